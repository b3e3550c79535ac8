"""Downloading, caching, verifying and extracting files: ``cornu.utils.get_file``.

``get_file`` follows ``keras.utils.get_file`` (same arguments, defaults and
return value) and adds what an unattended machine needs:

* the download goes to a temporary file in the cache folder and is renamed
  into place only once its hash matches, so a good cached file is never
  replaced by a bad one, and a failed download leaves nothing behind (a killed
  one's partial file is removed by the next download of that file: see
  ``cornu.saving.atomic``); the cached file gets the umask's permissions;
* up to three attempts, resuming a partial download with an HTTP ``Range``
  request when the server supports it;
* archives are extracted safely: a member with an absolute path, a ``..``
  component, or a link that points outside the target folder is refused;
* errors say what to do (the URL, the cache path, ``CORNU_DATASETS_MIRROR``,
  the expected and the received hash, a full disk).

The cache lives in ``$CORNU_HOME`` (``~/.cornu`` by default), under
``cache_subdir`` (``"datasets"``).
"""
import errno
import hashlib
import http.client
import os
import re
import shutil
import stat
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from cornu import CornuWarning

__all__ = [
    "DownloadError",
    "extract_archive",
    "get_cache_dir",
    "get_file",
    "hash_file",
    "validate_file",
]

#: Attempts per download (the first try included).
DOWNLOAD_ATTEMPTS = 3
#: Seconds before the second attempt; doubled before each later one.
RETRY_DELAY = 0.5
#: Socket timeout, in seconds, for each request.
TIMEOUT = 60
_CHUNK = 1 << 16
MIRROR_ENV = "CORNU_DATASETS_MIRROR"


class DownloadError(OSError):
    """A file could not be fetched from its origin (network down, HTTP error, ...)."""


# --------------------------------------------------------------------------- #
# Hashes
# --------------------------------------------------------------------------- #
def resolve_hasher(algorithm, file_hash=None):
    """A new ``hashlib`` object for ``algorithm`` ("auto": sha256 for 64 hex digits, else md5)."""
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"Unknown hash_algorithm {algorithm!r}: expected 'auto', 'sha256' or 'md5'."
        )
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is not None and len(str(file_hash)) == 64:
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=_CHUNK):
    """The hex digest of the file at ``fpath``.

    Args:
        fpath: path of the file.
        algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256), or a
            ``hashlib`` object to update.
        chunk_size: bytes read at a time.
    Returns:
        The hash as a lowercase hex string.
    """
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=_CHUNK):
    """Whether the file at ``fpath`` has the hash ``file_hash`` (sha256 or md5)."""
    hasher = resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, hasher, chunk_size) == str(file_hash).lower()


def _algorithm_name(algorithm, file_hash):
    return resolve_hasher(algorithm, file_hash).name


# --------------------------------------------------------------------------- #
# The cache
# --------------------------------------------------------------------------- #
def _cornu_home():
    return os.path.expanduser(os.environ.get("CORNU_HOME", os.path.join("~", ".cornu")))


def get_cache_dir(cache_subdir="datasets", cache_dir=None, create=True):
    """The folder where ``get_file`` keeps files for ``cache_subdir``.

    ``cache_dir`` defaults to ``$CORNU_HOME`` (``~/.cornu``).  When that
    folder cannot be created or written, ``<tmp>/.cornu`` is used instead
    (as Keras falls back to ``/tmp/.keras``).  An absolute ``cache_subdir``
    is used as is.
    """
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else _cornu_home()
    datadir = os.path.join(base, os.fspath(cache_subdir))
    if not create:
        return datadir
    try:
        os.makedirs(datadir, exist_ok=True)
        if os.access(datadir, os.W_OK):
            return datadir
    except OSError:
        pass
    fallback = os.path.join(tempfile.gettempdir(), ".cornu", os.fspath(cache_subdir))
    os.makedirs(fallback, exist_ok=True)
    return fallback


def _check_fname(fname, origin):
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
        return fname, False
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "Paths are not accepted as the `fname` argument. To specify the "
            f"file's parent directory, use the `cache_dir` argument. Received: fname={fname}"
        )
    return fname, True


# --------------------------------------------------------------------------- #
# Progress
# --------------------------------------------------------------------------- #
def _format_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n} B"  # pragma: no cover


class _DownloadProgress:
    """A one-line byte counter on stderr: live when stderr is a terminal, else one final line."""

    def __init__(self, total, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.done = 0
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0

    def _line(self):
        if self.total:
            pct = 100.0 * self.done / self.total
            width = 30
            filled = int(width * min(self.done, self.total) / self.total)
            bar = "=" * filled + "." * (width - filled)
            return f"[{bar}] {self.done}/{self.total} bytes ({pct:.0f}%)"
        return f"{_format_bytes(self.done)} downloaded"

    def update(self, done):
        self.done = done
        if self.live:
            now = time.monotonic()
            if now - self._last >= 0.1:
                self._last = now
                self.stream.write("\r" + self._line())
                self.stream.flush()

    def close(self):
        if self.live:
            self.stream.write("\r" + self._line() + "\n")
        elif self.total:
            self.stream.write(self._line() + "\n")
        else:
            return
        self.stream.flush()


def _say(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- #
# Downloading
# --------------------------------------------------------------------------- #
class _Retryable(Exception):
    """A failure worth another attempt (network glitch, 5xx, cut connection)."""


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _disk_full(err, origin, part_path):
    return OSError(
        errno.ENOSPC,
        f"No space left on device while downloading {origin} into "
        f"{os.path.dirname(part_path)}. Nothing was written to the cache; free some "
        "space, or set CORNU_HOME (or pass cache_dir=) to a folder on a larger disk.",
    )


def _fetch_once(origin, part_path, progress_factory, validator):
    """One request: appends to ``part_path`` if the server honours a Range, else rewrites it.

    ``validator`` (a dict) keeps the first response's ETag or Last-Modified, sent
    back as ``If-Range`` so that a file changed on the server is fetched whole.
    """
    have = os.path.getsize(part_path)
    request = urllib.request.Request(origin, headers={"User-Agent": "cornu"})
    if have:
        request.add_header("Range", f"bytes={have}-")
        if validator.get("value"):
            request.add_header("If-Range", validator["value"])
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # our partial file is stale: start again
            open(part_path, "wb").close()
            raise _Retryable(f"HTTP 416 {err.reason}") from err
        if err.code >= 500 or err.code in (408, 429):
            raise _Retryable(f"HTTP {err.code} {err.reason}") from err
        raise DownloadError(f"HTTP {err.code} {err.reason}") from err
    except urllib.error.URLError as err:
        if urllib.parse.urlsplit(origin).scheme == "file":
            raise DownloadError(str(err.reason)) from err
        raise _Retryable(str(err.reason)) from err
    except (OSError, http.client.HTTPException) as err:
        raise _Retryable(f"{type(err).__name__}: {err}") from err

    with response:
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        status = getattr(response, "status", None)
        mode, start = "wb", 0
        if have and status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != have:
                open(part_path, "wb").close()  # not the range we asked for: start again
                raise _Retryable("the server answered with an unexpected byte range")
            mode, start = "ab", have
        else:
            validator["value"] = (
                response.headers.get("ETag") or response.headers.get("Last-Modified")
            )
        total = start + length if length is not None else None
        done = start
        progress = progress_factory(total)
        try:
            with open(part_path, mode) as out:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as err:
                        raise _Retryable(f"connection lost after {done} bytes: {err}") from err
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    progress.update(done)
                out.flush()
                os.fsync(out.fileno())
        except OSError as err:  # from write, flush, fsync or close
            if err.errno == errno.ENOSPC:
                raise _disk_full(err, origin, part_path) from err
            raise
        finally:
            progress.close()
    if total is not None and done < total:
        raise _Retryable(f"connection closed after {done} of {total} bytes")


def _download(origin, part_path, progress_factory):
    attempts = 1 if urllib.parse.urlsplit(origin).scheme == "file" else DOWNLOAD_ATTEMPTS
    validator = {}
    for attempt in range(1, attempts + 1):
        try:
            _fetch_once(origin, part_path, progress_factory, validator)
            return
        except _Retryable as err:
            if attempt == attempts:
                raise DownloadError(f"{err} (after {attempts} attempts)") from err
            delay = RETRY_DELAY * 2 ** (attempt - 1)
            _say(f"Download of {origin} failed ({err}); retrying in {delay:g}s "
                 f"(attempt {attempt + 1} of {attempts}).")
            time.sleep(delay)


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL if it is not already in the cache.

    By default the file at ``origin`` is downloaded to ``~/.cornu/datasets/fname``
    (``$CORNU_HOME`` replaces ``~/.cornu``).  A cached file is reused when it
    exists and, if ``file_hash`` is given, its hash matches; a cached file whose
    hash does not match is downloaded again.  ``.tar``, ``.tar.gz``,
    ``.tar.bz2`` and ``.zip`` archives can be extracted.

    The download goes to a temporary file in the cache folder, is retried up to
    three times (resuming with an HTTP Range request where the server allows),
    and is renamed to its final name only after its hash matches.

    Args:
        fname: the local name of the file.  ``None`` uses the name of the file
            at ``origin``.  With ``extract=True``, a name without an extension
            names the extraction folder.
        origin: URL of the file (``http://``, ``https://``, ``file://``).
        untar: deprecated, use ``extract``.  Extract a tar archive.
        md5_hash: deprecated, use ``file_hash``.  Expected md5 of the file.
        file_hash: expected sha256 or md5 hex digest of the file.
        cache_subdir: folder under the cache dir where the file is saved; an
            absolute path is used as is.
        hash_algorithm: ``"auto"`` (sha256 for a 64-digit hash, else md5),
            ``"sha256"`` or ``"md5"``.
        extract: extract the archive (tar or zip).
        archive_format: ``"auto"`` (``["tar", "zip"]``), ``"tar"``, ``"zip"``,
            a list of those, or ``None``.  An archive is extracted again only
            when it was just downloaded or its extraction folder is missing
            (extraction is atomic, so an existing folder is complete).
        cache_dir: the cache folder; ``None`` means ``$CORNU_HOME`` or ``~/.cornu``.
        force_download: download again even if a valid cached copy exists (the
            cached copy is replaced only once the new one is verified).

    Returns:
        The path of the downloaded file, or of the extraction folder when
        ``extract`` (or ``untar``) is true.

    Raises:
        DownloadError: (an ``OSError``) the file could not be fetched.
        ValueError: the downloaded file's hash does not match ``file_hash``.
        OSError: with ``errno.ENOSPC`` when the disk is full.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    origin = os.fspath(origin)
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = "md5"
    if file_hash is not None:
        file_hash = str(file_hash).strip().lower()
        resolve_hasher(hash_algorithm, file_hash)  # validate the algorithm name early
    datadir = get_cache_dir(cache_subdir, cache_dir)
    fname, provided = _check_fname(fname, origin)

    if extract or untar:
        if provided and "." in fname:
            download_target = os.path.join(datadir, fname)
            stem = fname[: fname.find(".")]
            extraction_dir = os.path.join(datadir, f"{stem}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            download_target = os.path.join(datadir, f"{fname}_archive")
    else:
        download_target = os.path.join(datadir, fname)

    if force_download:
        download = True
    elif os.path.exists(download_target):
        download = False
        if file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
            _say(
                f"A local file was found at {download_target}, but its "
                f"{_algorithm_name(hash_algorithm, file_hash)} hash does not match "
                f"the expected {file_hash}: it is incomplete or outdated, "
                "downloading it again."
            )
            download = True
    else:
        download = True

    if download:
        if urllib.parse.urlsplit(origin).scheme == "file":
            _say(f"Copying data from {origin}")
        else:
            _say(f"Downloading data from {origin}")
        from cornu.saving.atomic import atomic_path

        with atomic_path(download_target) as part_path:
            try:
                _download(origin, part_path, _DownloadProgress)
            except DownloadError as err:
                raise DownloadError(
                    f"URL fetch failure on {origin}: {err}. If this machine is offline, "
                    f"put a copy of the file at {download_target}"
                    + (f" (its hash must be {file_hash})" if file_hash else "")
                    + f", or, for cornu.datasets loaders, point {MIRROR_ENV} at a "
                    "folder or URL that holds it."
                ) from err
            if file_hash is not None:
                algorithm = _algorithm_name(hash_algorithm, file_hash)
                received = hash_file(part_path, resolve_hasher(hash_algorithm, file_hash))
                if received != file_hash:
                    kept = (
                        f" The cached file {download_target} was left untouched."
                        if os.path.exists(download_target) else ""
                    )
                    raise ValueError(
                        f"Incomplete or corrupted file detected: the {algorithm} hash of "
                        f"the file downloaded from {origin} is {received}, but the "
                        f"expected {algorithm} hash is {file_hash}.{kept}"
                    )

    if extract or untar:
        if untar:
            archive_format = "tar"
        if download or not os.path.isdir(extraction_dir):
            if not extract_archive(download_target, extraction_dir, archive_format):
                warnings.warn(f"Could not extract archive {download_target}.", stacklevel=2, category=CornuWarning)
        return extraction_dir
    return download_target


# --------------------------------------------------------------------------- #
# Safe extraction
# --------------------------------------------------------------------------- #
def _inside(path, base):
    try:
        return os.path.commonpath([path, base]) == base
    except ValueError:
        return False


def _checked_member_path(name, base, archive):
    """The path where member ``name`` goes, or ValueError if it would escape ``base``."""
    if not name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ValueError(
            f"Refusing to extract {archive}: member {name!r} has an absolute path."
        )
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        raise ValueError(
            f"Refusing to extract {archive}: member {name!r} contains '..' and "
            "could write outside the target folder."
        )
    path = os.path.normpath(os.path.join(base, name))
    if not _inside(path, base):  # pragma: no cover - covered by the checks above
        raise ValueError(f"Refusing to extract {archive}: member {name!r} escapes the target.")
    return path


def _check_link(member, path, base, archive):
    link = member.linkname
    if not link or os.path.isabs(link) or link.startswith(("/", "\\")):
        raise ValueError(
            f"Refusing to extract {archive}: link {member.name!r} points to the "
            f"absolute path {link!r}."
        )
    if member.islnk():  # hard links are relative to the archive root
        target = os.path.normpath(os.path.join(base, link))
    else:
        target = os.path.normpath(os.path.join(os.path.dirname(path), link))
    if not _inside(target, base):
        raise ValueError(
            f"Refusing to extract {archive}: link {member.name!r} -> {link!r} points "
            "outside the target folder."
        )
    return target


def _extract_tar(tar, dest, archive):
    """Extract into ``dest`` (a fresh folder): files first, then hard links, then symlinks."""
    base = os.path.realpath(dest)
    members = tar.getmembers()
    plan = []
    regular = {}
    for m in members:
        path = _checked_member_path(m.name, base, archive)
        if m.isdir() or m.isreg():
            regular[os.path.normpath(m.name)] = m
        elif m.issym() or m.islnk():
            _check_link(m, path, base, archive)
        else:
            raise ValueError(
                f"Refusing to extract {archive}: member {m.name!r} is a device, fifo "
                "or other special file."
            )
        plan.append((m, path))

    for m, path in plan:
        if m.isdir():
            os.makedirs(path, exist_ok=True)
        elif m.isreg():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            src = tar.extractfile(m)
            with src, open(path, "wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
            os.chmod(path, (m.mode & 0o755) | stat.S_IRUSR | stat.S_IWUSR)
    for m, path in plan:
        if m.islnk():
            source = os.path.normpath(m.linkname)
            if source not in regular or not regular[source].isreg():
                raise ValueError(
                    f"Refusing to extract {archive}: hard link {m.name!r} does not point "
                    "to a regular file of the archive."
                )
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copyfile(os.path.join(base, source), path)
    symlinks = [(m, path) for m, path in plan if m.issym()]
    for m, path in symlinks:
        parent = os.path.dirname(path)
        if not _inside(os.path.realpath(parent), base):
            raise ValueError(
                f"Refusing to extract {archive}: member {m.name!r} would be written "
                "through a link that leaves the target folder."
            )
        os.makedirs(parent, exist_ok=True)
        os.symlink(m.linkname, path)
        if not _inside(os.path.realpath(path), base):
            raise ValueError(
                f"Refusing to extract {archive}: link {m.name!r} -> {m.linkname!r} "
                "resolves outside the target folder."
            )
    # Links created later can redirect earlier ones: check them all once more.
    for m, path in symlinks:
        if not _inside(os.path.realpath(path), base):
            raise ValueError(
                f"Refusing to extract {archive}: link {m.name!r} -> {m.linkname!r} "
                "resolves outside the target folder."
            )


def _extract_zip(zf, dest, archive):
    base = os.path.realpath(dest)
    infos = zf.infolist()
    paths = [_checked_member_path(info.filename, base, archive) for info in infos]
    for info, path in zip(infos, paths, strict=True):
        if info.is_dir():
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with zf.open(info) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``) or zip archive.

    The archive is extracted into a temporary folder beside ``path`` and moved
    to ``path`` only when every member was extracted, so ``path`` is either
    complete or untouched.  An existing ``path`` is replaced.

    Args:
        file_path: the archive.
        path: the folder to extract into.
        archive_format: ``"auto"`` (``["tar", "zip"]``), ``"tar"``, ``"zip"``,
            a list of those, or ``None`` (extract nothing).

    Returns:
        True if the archive matched a format and was extracted, else False.

    Raises:
        ValueError: a member has an absolute path, a ``..`` component, is a
            link pointing outside ``path``, or is a special file.  Nothing is
            extracted then.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path = os.fspath(file_path)
    path = os.path.abspath(os.fspath(path))

    for archive_type in archive_format:
        if archive_type == "tar":
            if not tarfile.is_tarfile(file_path):
                continue
            opener, extractor = tarfile.open, _extract_tar
        elif archive_type == "zip":
            if not zipfile.is_zipfile(file_path):
                continue
            opener, extractor = zipfile.ZipFile, _extract_zip
        else:
            raise NotImplementedError(f"Unknown archive format {archive_type!r}.")
        from cornu.saving.atomic import atomic_directory

        try:
            with atomic_directory(path, fsync_files=False) as staging:
                with opener(file_path) as archive:
                    extractor(archive, staging, file_path)
        except OSError as err:
            if err.errno == errno.ENOSPC:
                raise OSError(
                    errno.ENOSPC,
                    f"No space left on device while extracting {file_path} into {path}.",
                ) from err
            raise
        return True
    return False
