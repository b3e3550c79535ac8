"""Whole models in ``.keras`` archives (the Keras 3 zip layout), loaded defensively.

The archive holds, stored uncompressed and in this order, ``metadata.json``,
``config.json`` (the model config with ``compile_config`` and ``build_config``),
``model.weights.h5`` and, for layers with assets (lookup vocabularies), files
under ``assets/<layer path>/``.  ``zipped=False`` writes the same members into a
directory instead.

Loading treats the file as untrusted.  Every class resolves through
``custom_objects`` and the plugin registry (nothing is imported by module path,
no function named by a config is called, lambdas and pickles are refused unless
``safe_mode=False``); archive members with absolute paths, ``..`` components or
symlinks are refused, as are decompression bombs, HDF5 links/external
storage/virtual datasets/shape bombs, and configs whose layers would allocate far
more memory than the file stores.  A truncated or corrupt file raises a
``ValueError`` that says so and names the file, a missing one a ``FileNotFoundError``;
in safe mode ``model.weights.h5`` is parsed in a child process under a time and memory
limit (``cornu.saving.h5_reader``) unless this process saved the archive itself.
"""
import contextlib
import datetime
import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import zipfile

import h5py

from cornu.saving import h5_reader
from cornu.saving.atomic import atomic_directory, atomic_path
from cornu.saving.weights import (
    UnsafeFileError,
    _read_guarded,
    errors_naming,
    load_assets,
    save_assets,
    trusted_source,
    write_weights,
)

KERAS_VERSION = "3.15.1"  # the file-format version written into metadata.json
_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")
_ASSETS = "assets"
#: A member larger than this must not expand more than _MAX_EXPANSION times.
_BOMB_FLOOR_BYTES = 256 << 20
_MAX_EXPANSION = 100
_MAX_MEMBERS = 100_000
_MAX_JSON_BYTES = 256 << 20
#: Variables a config may create beyond what the file stores (bytes).
_ALLOCATION_SLACK = 64 << 20


# -- saving ----------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, zipped=None, include_optimizer=True,
               **kwargs):
    """Save ``model`` (architecture, weights, optimizer state, assets) to a ``.keras`` file.

    Args:
        model: the model.
        filepath: a path ending in ``.keras``.
        overwrite: replace an existing file (otherwise FileExistsError).
        zipped: False writes the members into a directory named ``filepath``.
        include_optimizer: write the optimizer state and the compile config.
        save_format: Keras 2's argument, deprecated in Keras 3 and handled as there:
            with a ``.keras`` (or ``.h5``) filename it only warns (the name gives the
            format), with any other it is an error.  Any other keyword is an error.

    The file appears under its name only once complete (written beside it and
    renamed), so a crash mid-save leaves the previous file intact.
    """
    save_format = kwargs.pop("save_format", None)
    if save_format:
        if filepath.endswith((".h5", ".hdf5", ".keras")):
            import warnings

            from cornu._warning import CornuWarning

            warnings.warn(
                "The `save_format` argument is deprecated in Keras 3. We recommend "
                "removing this argument as it can be inferred from the file path. "
                f"Received: save_format={save_format}", CornuWarning, stacklevel=3)
        else:
            raise ValueError(
                "The `save_format` argument is deprecated in Keras 3. Please remove this "
                "argument and pass a file path with either `.keras` or `.h5` extension. "
                f"Received: save_format={save_format}")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if _is_file_object(filepath):
        if zipped is False:
            raise ValueError("save(): a file object holds a zipped .keras archive only "
                             "(zipped=False writes a directory)")
        return _save_to_file_object(model, filepath, include_optimizer)
    filepath = os.fspath(filepath)
    if filepath.endswith(".weights.h5"):
        raise ValueError("save(): use save_weights() for a .weights.h5 file")
    if filepath.endswith(".h5") or filepath.endswith(".hdf5"):
        raise ValueError(
            "save(): the legacy HDF5 (.h5) model format is not written by cornu (Keras 3 "
            f"deprecates it); use a .keras filename. Received {filepath!r}"
        )
    if not filepath.endswith(".keras"):
        raise ValueError(f"save(): the filename must end in .keras, received {filepath!r}")
    if zipped is None:
        zipped = True
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    members = _serialize_members(model, include_optimizer)
    with tempfile.TemporaryDirectory(prefix="cornu-assets-") as assets_dir:
        has_assets = save_assets(model, assets_dir)
        asset_files = _list_files(assets_dir) if has_assets else []
        if zipped:
            with atomic_path(filepath) as tmp:
                with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
                    for name in _MEMBERS:
                        archive.writestr(name, members[name])
                    for rel in asset_files:
                        archive.write(os.path.join(assets_dir, rel), f"{_ASSETS}/{rel}")
            h5_reader.remember(filepath)
        else:
            _write_directory(filepath, members, assets_dir, asset_files)


def _serialize_members(model, include_optimizer):
    from cornu._version import __version__
    from cornu.serialization import serialize_cornu_object

    config = serialize_cornu_object(model)
    config["compile_config"] = model.get_compile_config() if include_optimizer else None
    build = model.get_build_config()
    if build is not None:
        config["build_config"] = build
    metadata = {
        "keras_version": KERAS_VERSION,
        "cornu_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        write_weights(model, f, include_optimizer=include_optimizer)
    return {
        "metadata.json": json.dumps(metadata),
        "config.json": json.dumps(config),
        "model.weights.h5": weights.getvalue(),
    }


def _list_files(directory):
    out = []
    for root, _, files in os.walk(directory):
        for name in sorted(files):
            out.append(os.path.relpath(os.path.join(root, name), directory).replace(os.sep, "/"))
    return sorted(out)


def _write_directory(filepath, members, assets_dir, asset_files):
    """``zipped=False``: build the directory beside the target, then swap it in."""
    with atomic_directory(filepath) as staging:
        for name in _MEMBERS:
            data = members[name]
            with open(os.path.join(staging, name), "wb") as f:
                f.write(data.encode() if isinstance(data, str) else data)
        for rel in asset_files:
            target = os.path.join(staging, _ASSETS, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(assets_dir, *rel.split("/")), target)


# -- reading untrusted archives -----------------------------------------------------------
def _safe_member_name(name):
    """True for a relative, normalized member name (no ``..``, no absolute path)."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return False
    if len(name) > 1 and name[1] == ":":  # a Windows drive
        return False
    parts = name.rstrip("/").split("/")
    return all(p not in ("", ".", "..") for p in parts)


def check_archive(archive, source):
    """Refuse unsafe archives before reading anything from them."""
    infos = archive.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise UnsafeFileError(f"{source}: {len(infos)} members is not a .keras archive")
    seen = set()
    declared = 0
    for info in infos:
        name = info.filename
        if not _safe_member_name(name):
            raise UnsafeFileError(
                f"{source}: refusing the archive member {name!r}: its path escapes the "
                "extraction directory (absolute path or '..')"
            )
        if name in seen:
            raise UnsafeFileError(f"{source}: the archive member {name!r} appears twice")
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeFileError(f"{source}: refusing the symbolic link {name!r} in the archive")
        if info.file_size > _BOMB_FLOOR_BYTES and \
                info.file_size > _MAX_EXPANSION * max(info.compress_size, 1):
            raise UnsafeFileError(
                f"{source}: refusing the member {name!r}: it declares {info.file_size} bytes "
                f"but stores {info.compress_size} (a decompression bomb)"
            )
        declared += info.file_size
    size = os.path.getsize(source) if isinstance(source, str) and os.path.isfile(source) else None
    if size is not None and declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * size:
        raise UnsafeFileError(
            f"{source}: the members declare {declared} bytes in a {size}-byte archive "
            "(a decompression bomb)"
        )


def _read_member(archive, name, limit=None):
    info = archive.getinfo(name)
    if limit is not None and info.file_size > limit:
        raise UnsafeFileError(f"Refusing to read {name}: {info.file_size} bytes is too large")
    with archive.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ValueError(f"{name}: the archive member is not the size its header declares")
    return data


class _ArchiveReader:
    """The members of a ``.keras`` zip archive or of a ``zipped=False`` directory."""

    def __init__(self, filepath):
        self.filepath = filepath
        self.archive = None
        self.directory = None
        if os.path.isdir(filepath):
            self.directory = filepath
        else:
            self.archive = zipfile.ZipFile(filepath, "r")
            check_archive(self.archive, filepath)

    def close(self):
        if self.archive is not None:
            self.archive.close()

    def names(self):
        if self.archive is not None:
            return [n for n in self.archive.namelist() if not n.endswith("/")]
        return [os.path.relpath(os.path.join(r, f), self.directory).replace(os.sep, "/")
                for r, _, files in os.walk(self.directory) for f in files]

    def size(self, name):
        if self.archive is not None:
            return self.archive.getinfo(name).file_size
        return os.path.getsize(self._dir_path(name))

    def _dir_path(self, name):
        path = os.path.join(self.directory, *name.split("/"))
        if os.path.islink(path) or not os.path.isfile(path):
            raise UnsafeFileError(f"{self.filepath}: {name} is not a regular file")
        return path

    def read(self, name, limit=None):
        if self.archive is not None:
            return _read_member(self.archive, name, limit)
        path = self._dir_path(name)
        if limit is not None and os.path.getsize(path) > limit:
            raise UnsafeFileError(f"Refusing to read {name}: it is too large")
        with open(path, "rb") as f:
            return f.read()

    def extract_assets(self, target):
        """Copy ``assets/...`` into ``target`` (names validated); True if there were any."""
        found = False
        for name in self.names():
            if not name.startswith(_ASSETS + "/"):
                continue
            if not _safe_member_name(name):
                raise UnsafeFileError(f"{self.filepath}: refusing the asset path {name!r}")
            destination = os.path.join(target, *name.split("/"))
            root = os.path.realpath(target)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            if not os.path.realpath(destination).startswith(root + os.sep):
                raise UnsafeFileError(f"{self.filepath}: the asset {name!r} escapes the assets "
                                      "directory")
            with open(destination, "wb") as out:
                out.write(self.read(name))
            found = True
        return found


@contextlib.contextmanager
def _open_reader(filepath):
    if not os.path.exists(filepath):
        raise h5_reader.MissingFileError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible "
            "`.keras` zip file.", filepath
        )
    if not os.path.isdir(filepath) and not zipfile.is_zipfile(filepath):
        raise ValueError(
            f"{filepath} is not a .keras archive (a zip file): it is truncated, corrupt, or "
            "another format. Weights-only files load with model.load_weights()."
        )
    try:
        reader = _ArchiveReader(filepath)
    except UnsafeFileError:
        raise
    except Exception as err:  # zipfile raises many types on a damaged directory
        raise ValueError(f"{filepath} is a corrupt .keras archive: {type(err).__name__}: "
                         f"{err}") from err
    try:
        yield reader
    finally:
        reader.close()


def _read_members(reader):
    """config dict, weights bytes and the member names, with clear errors."""
    names = set(reader.names())
    for required in ("config.json", "model.weights.h5"):
        if required not in names:
            raise ValueError(f"{reader.filepath} is not a valid .keras file: {required} is missing")
    try:
        raw_config = reader.read("config.json", limit=_MAX_JSON_BYTES)
        weights = reader.read("model.weights.h5")
        if "metadata.json" in names:
            json.loads(reader.read("metadata.json", limit=1 << 20))
    except UnsafeFileError:
        raise
    except Exception as err:  # CRC mismatch, bad compression, truncated member, ...
        raise ValueError(f"{reader.filepath} is a corrupt .keras archive: "
                         f"{type(err).__name__}: {err}") from err
    try:
        config = json.loads(raw_config)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{reader.filepath}: config.json is not valid JSON: {err}") from err
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{reader.filepath}: config.json does not describe a model")
    return config, weights, names


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by ``model.save`` (cornu or Keras 3; also legacy Keras ``.h5``).

    Args:
        filepath: a ``.keras`` file (or a ``zipped=False`` directory, or a legacy
            HDF5 whole-model file, or an Orbax checkpoint directory written by
            ``cornu.callbacks.OrbaxCheckpoint`` or Keras's: its latest step).
        custom_objects: name -> class/function for user objects in the config.
        compile: compile the model with the saved compile config (and restore the
            optimizer state).
        safe_mode: refuse anything that would run code from the file (lambdas
            stored as bytecode, pickled modules, SavedModel graphs, host paths).
    """
    if _is_file_object(filepath):
        return _load_from_file_object(filepath, custom_objects, compile, safe_mode)
    filepath = os.fspath(filepath)
    from cornu.saving import orbax_checkpoint

    if orbax_checkpoint.is_orbax_checkpoint(filepath):  # what OrbaxCheckpoint writes
        return orbax_checkpoint.load_model(filepath, custom_objects=custom_objects,
                                           compile=compile, safe_mode=safe_mode)
    if os.path.isfile(filepath) and h5_reader.looks_like_hdf5(filepath):
        from cornu.saving.legacy_model import load_legacy_model

        return load_legacy_model(filepath, custom_objects=custom_objects, compile=compile,
                                 safe_mode=safe_mode)
    with errors_naming(filepath), _open_reader(filepath) as reader:
        config, weights, names = _read_members(reader)
        with tempfile.TemporaryDirectory(prefix="cornu-load-") as tmp:
            has_assets = reader.extract_assets(tmp)
            asset_bytes = sum(reader.size(n) for n in names if n.startswith(_ASSETS + "/"))
            config_bytes = reader.size("config.json")  # vocabularies may live there
            limit = 2 * (len(weights) + asset_bytes + config_bytes) + _ALLOCATION_SLACK
            model = model_from_config(config, custom_objects, compile, safe_mode, limit,
                                      filepath)
            f = h5_reader.read_h5(weights, f"{filepath}: model.weights.h5",
                                  trusted=trusted_source(filepath, safe_mode))
            _read_guarded(model, f, filepath, include_optimizer=compile)
            if has_assets:
                load_assets(model, os.path.join(tmp, _ASSETS))
    return model


#: SHA-256 digests of the archives this process wrote to file objects (the newest
#: last): loading those bytes back reads them in process, as for a file it saved.
_SAVED_DIGESTS = []
_SAVED_DIGESTS_KEPT = 256


def _is_file_object(filepath):
    """A binary file object (``io.BytesIO``, an open file) rather than a path, as
    Keras's ``saving_lib`` takes (SciKeras pickles models through one)."""
    if isinstance(filepath, (str, bytes, os.PathLike)):
        return False
    return isinstance(filepath, io.IOBase) or hasattr(filepath, "read") \
        or hasattr(filepath, "write")


def _save_to_file_object(model, fileobj, include_optimizer):
    """The ``.keras`` archive of ``model`` written to ``fileobj`` (built as a file)."""
    with tempfile.TemporaryDirectory(prefix="cornu-save-") as tmp:
        path = os.path.join(tmp, "model.keras")
        save_model(model, path, include_optimizer=include_optimizer)
        with open(path, "rb") as f:
            data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest not in _SAVED_DIGESTS:
        _SAVED_DIGESTS.append(digest)
        del _SAVED_DIGESTS[:-_SAVED_DIGESTS_KEPT]
    fileobj.write(data)


def _load_from_file_object(fileobj, custom_objects, compile, safe_mode):
    """``load_model`` of the ``.keras`` archive read from ``fileobj`` (from its current
    position).  Bytes this process saved are trusted as its own files are; any others
    are read under the same safe-mode rules as an unknown file."""
    data = fileobj.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_model(): the file object gave {type(data).__name__}, "
                        "not bytes (open it in binary mode)")
    data = bytes(data)
    with tempfile.TemporaryDirectory(prefix="cornu-load-") as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        if hashlib.sha256(data).hexdigest() in _SAVED_DIGESTS:
            h5_reader.remember(path)
        return load_model(path, custom_objects=custom_objects, compile=compile,
                          safe_mode=safe_mode)


def model_from_config(config, custom_objects, compile, safe_mode, limit, source):
    """Rebuild (and optionally compile) the model in ``config`` under an allocation bound."""
    from cornu.serialization import (
        allocation_budget,
        custom_object_scope,
        deserialize_cornu_object,
    )

    config = dict(config)
    compile_config = config.pop("compile_config", None)
    try:
        with allocation_budget(limit, source):
            model = deserialize_cornu_object(config, custom_objects=custom_objects,
                                             kind="layer", safe_mode=safe_mode)
            if not getattr(model, "built", True) and config.get("build_config"):
                model.build_from_config(config["build_config"])
        if compile and compile_config:
            with custom_object_scope(custom_objects or {}):
                model.compile_from_config(compile_config)
    except (TypeError, KeyError, AttributeError, IndexError) as err:
        raise ValueError(
            f"{source}: cannot rebuild the model from its config "
            f"({type(err).__name__}: {err})"
        ) from err
    return model


def load_weights_from_archive(model, filepath, skip_mismatch=False):
    filepath = os.fspath(filepath)
    with errors_naming(filepath), _open_reader(filepath) as reader:
        if "model.weights.h5" not in set(reader.names()):
            raise ValueError(f"{filepath} is not a valid .keras file: model.weights.h5 is missing")
        try:
            weights = reader.read("model.weights.h5")
        except UnsafeFileError:
            raise
        except Exception as err:
            raise ValueError(f"{filepath} is a corrupt .keras archive: "
                             f"{type(err).__name__}: {err}") from err
        f = h5_reader.read_h5(weights, f"{filepath}: model.weights.h5",
                              trusted=trusted_source(filepath))
        _read_guarded(model, f, filepath, skip_mismatch=skip_mismatch)
