"""Where downloaded files come from: the cache, then a mirror, then the canonical origin.

Every loader in ``cornu.datasets`` and the pretrained weights of
``cornu.applications`` fetch their files through :func:`fetch`.

The mirror is named by the ``CORNU_DATASETS_MIRROR`` environment variable:

* a local folder (``/data/keras-datasets``), or a ``file://`` URL of one;
* a base URL (``http://host/datasets/``, ``https://...``).

A file is looked up in the mirror by the basename of its canonical URL
(``mnist.npz``, ``train-images-idx3-ubyte.gz``), first directly under the
mirror, then under the dataset's own folder name (``fashion-mnist/...``,
``mnist/...``; ``models/...`` for weights), so one mirror root can serve all::

    CORNU_DATASETS_MIRROR=/data/fashion-mnist      # files directly inside
    CORNU_DATASETS_MIRROR=/data                    # /data/fashion-mnist/<file>

A mirrored file is copied into the cache and verified with the same hash as
the canonical file; a copy that does not match is rejected with a warning
and the next source is tried.  The canonical origin is the last resort.
"""
import os
import pathlib
import urllib.parse
import urllib.request
import warnings

from cornu import CornuWarning
from cornu.utils.file_utils import (
    MIRROR_ENV,
    DownloadError,
    get_cache_dir,
    get_file,
    validate_file,
)

__all__ = ["MIRROR_ENV", "fetch", "from_cache", "from_mirror", "mirror_location"]


def mirror_location():
    """The mirror in ``CORNU_DATASETS_MIRROR``: ``("dir", path)``, ``("url", base)`` or None."""
    raw = os.environ.get(MIRROR_ENV, "").strip()
    if not raw:
        return None
    scheme = urllib.parse.urlsplit(raw).scheme.lower()
    if scheme == "file":
        return "dir", urllib.request.url2pathname(urllib.parse.urlsplit(raw).path)
    if scheme in ("http", "https"):
        return "url", raw.rstrip("/") + "/"
    if scheme and len(scheme) > 1:
        raise ValueError(
            f"{MIRROR_ENV}={raw!r}: expected a local folder or an http://, https:// "
            "or file:// URL."
        )
    return "dir", os.path.expanduser(raw)


def _mirror_candidates(name, subdir):
    location = mirror_location()
    if location is None:
        return []
    kind, base = location
    rels = [name] + ([f"{subdir}/{name}"] if subdir else [])
    if kind == "url":
        return [base + urllib.parse.quote(rel) for rel in rels]
    if not os.path.isdir(base):
        raise FileNotFoundError(f"{MIRROR_ENV}={base!r} is not a folder.")
    paths = [os.path.join(base, *rel.split("/")) for rel in rels]
    return [pathlib.Path(p).resolve().as_uri() for p in paths if os.path.isfile(p)]


def _verified(path, file_hash, accept):
    """Whether ``path`` is the canonical file, or ``accept(path)`` vouches for it."""
    if file_hash is None or validate_file(path, file_hash):
        return True
    if accept is None:
        return False
    try:
        return bool(accept(path))
    except Exception:  # e.g. not the container ``accept`` reads, or a damaged one
        return False


def from_cache(fname, file_hash=None, cache_subdir="datasets", accept=None):
    """The cached copy of ``fname`` if it exists and is verified, else None."""
    path = os.path.join(get_cache_dir(cache_subdir), fname)
    if not os.path.isfile(path):
        return None
    if not _verified(path, file_hash, accept):
        return None
    return path


def from_mirror(fname, file_hash=None, cache_subdir="datasets", mirror_name=None,
                mirror_subdir=None, problems=None, accept=None):
    """Copy ``mirror_name`` from the mirror into the cache as ``fname``; its path, or None.

    Returns None when no mirror is set or the mirror lacks the file.  A mirror
    copy whose hash does not match (and that ``accept``, when given, does not
    vouch for) is rejected with a warning.  What went
    wrong is appended to ``problems`` (a list) when one is given.
    """
    problems = [] if problems is None else problems
    for url in _mirror_candidates(mirror_name or fname, mirror_subdir):
        try:
            if accept is None:
                return get_file(fname, origin=url, file_hash=file_hash,
                                cache_subdir=cache_subdir, force_download=True)
            # A rebuilt copy may hold the canonical content in other bytes: fetch it
            # under a temporary name and keep it only once ``accept`` vouches for it.
            part = get_file(f".{fname}.mirror", origin=url, cache_subdir=cache_subdir,
                            force_download=True)
            if not _verified(part, file_hash, accept):
                os.remove(part)
                raise ValueError(
                    f"neither its hash ({file_hash}) nor its content match the canonical file"
                )
            path = os.path.join(get_cache_dir(cache_subdir), fname)
            os.replace(part, path)
            return path
        except ValueError as err:  # hash mismatch
            warnings.warn(f"Ignoring the mirror copy {url}: {err}", stacklevel=3, category=CornuWarning)
            problems.append(f"{url}: hash mismatch")
        except DownloadError as err:
            problems.append(f"{url}: {err.__cause__ or err}")
    return None


def fetch(fname, origin=None, file_hash=None, cache_subdir="datasets", mirror_name=None,
          mirror_subdir=None, accept=None):
    """A verified local copy of a dataset file: from the cache, the mirror, or ``origin``.

    Args:
        fname: the file's name in the cache.
        origin: the canonical URL; None to look only in the cache and the mirror.
        file_hash: the canonical file's sha256 (or md5).
        cache_subdir: where it is cached, below ``$CORNU_HOME``.
        mirror_name: the file's name in the mirror; defaults to the basename of
            ``origin`` (or ``fname``).
        mirror_subdir: the dataset's folder name in a mirror root (``"fashion-mnist"``).
        accept: ``accept(path) -> bool``, a second check for a cached or mirrored
            copy whose bytes differ from the canonical file's (e.g. a rebuilt
            ``.npz`` holding the same arrays).

    Returns:
        The path of the cached, verified file, or None when ``origin`` is None
        and neither the cache nor the mirror has it.
    """
    path = from_cache(fname, file_hash, cache_subdir, accept)
    if path is not None:
        return path
    if mirror_name is None:
        mirror_name = os.path.basename(urllib.parse.urlsplit(origin).path) if origin else fname
    problems = []
    path = from_mirror(fname, file_hash, cache_subdir, mirror_name, mirror_subdir, problems,
                       accept)
    if path is not None or origin is None:
        return path
    try:
        return get_file(fname, origin=origin, file_hash=file_hash, cache_subdir=cache_subdir)
    except DownloadError as err:
        if not mirror_location():
            raise
        detail = "; ".join(problems) if problems else "it does not hold the file"
        raise DownloadError(
            f"{err}\nThe mirror {MIRROR_ENV}={os.environ[MIRROR_ENV]!r} was tried first: {detail}."
        ) from err
