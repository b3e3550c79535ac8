"""Untrusted HDF5, read in a child process under a time and a memory limit.

libhdf5 trusts the bytes of a file: a few flipped bits can make it loop forever (while
reading an attribute, say) or allocate without bound, and a loop in C cannot be
interrupted from Python.  So every HDF5 file that cornu loads -- a legacy ``.h5``
model or weights file, a ``.weights.h5`` file (and the shards of a sharded one), the
``model.weights.h5`` inside a ``.keras`` archive -- is read by :func:`read_h5`, which
walks the whole file once and returns it as a plain in-memory tree
(:class:`Group`, :class:`Dataset`, their ``attrs``; numpy arrays and plain Python
values only) with the subset of h5py's reading API that the loaders use.

**Untrusted** (the default) the walk runs in a child process: ``sys.executable`` with
``-I`` running this file, which imports nothing but h5py and numpy.  The child sets
``RLIMIT_AS`` on itself, reads the file, and writes back one JSON document (the tree,
the attributes) followed by the raw bytes of the numeric arrays; the parent parses
that with ``json`` and ``numpy.frombuffer`` (no pickle), checking every offset, dtype
and shape.  The limits:

* **time**: 60 s plus 20 s per GiB of input (``CORNU_H5_TIMEOUT`` = seconds sets it);
* **memory**: 1 GiB plus 4 times the input size of address space on top of what the
  child uses once started (``CORNU_H5_MEMORY_MB`` = MiB sets the part on top).

Passing either limit, or a reader that dies (a signal, an abort inside libhdf5), is a
:class:`H5ReadError` (a ``ValueError``) that names the file, e.g. ``x.weights.h5 could
not be read within 60 s: the file is corrupt or not an HDF5 file``.

**Trusted** reads run the same walk in this process: a file this process saved itself
and has not changed since (see :func:`remember` / :func:`is_trusted`), or a load with
``safe_mode=False``.

The walk follows hard links only (a soft or external link is recorded, never
followed; a hard-link cycle is visited once) and reads a dataset's bytes only when it
is numeric, stored in the file itself (no external storage, not virtual) and not a
"shape bomb" (declaring far more bytes than it stores); for the others it records what
the loaders need to refuse them (:func:`cornu.saving.weights.safe_dataset`).  An
attribute or dataset that cannot be read is recorded as an error that is raised
(``OSError``) only when the loader asks for that value, as h5py would.
"""
import collections
import collections.abc
import hashlib
import io
import json
import math
import os
import struct
import subprocess
import sys
import threading

import h5py
import numpy as np

#: A dataset declaring more than this many bytes must store at least
#: 1/MAX_EXPANSION of them (cornu and Keras write uncompressed datasets).
BOMB_FLOOR_BYTES = 64 << 20
MAX_EXPANSION = 1000

TIMEOUT_ENV = "CORNU_H5_TIMEOUT"
MEMORY_ENV = "CORNU_H5_MEMORY_MB"
BASE_TIMEOUT_S = 60.0
TIMEOUT_S_PER_GIB = 20.0
BASE_MEMORY_BYTES = 1 << 30
MEMORY_PER_INPUT_BYTE = 4

#: Limits on the shape of a tree (a file is refused beyond them).
MAX_NODES = 1_000_000

_MAGIC = b"CORNUH5\x01"
_HEADER = struct.Struct("<Q")
_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class H5ReadError(ValueError):
    """An HDF5 file that could not be read within the limits (or whose reader crashed)."""


class MissingFileError(FileNotFoundError, ValueError):
    """A file to load does not exist (a ``FileNotFoundError``; also a ``ValueError``,
    which Keras raises there, so that code written for Keras keeps catching it)."""

    def __init__(self, message, filename=None):
        super().__init__(message)
        self.filename = filename

    def __str__(self):
        return str(self.args[0])


def require_file(filepath, what=None):
    """Raise :class:`MissingFileError` naming ``filepath`` if nothing is there."""
    if not os.path.lexists(filepath):
        raise MissingFileError(f"{what or 'File'} not found: {filepath}", filepath)


def looks_like_hdf5(filepath):
    """Whether ``filepath`` holds the HDF5 signature (at 0, 512, 1024, ...), read in Python
    (``h5py.is_hdf5`` asks libhdf5 to open the file)."""
    try:
        size = os.path.getsize(filepath)
        with open(filepath, "rb") as f:
            offset = 0
            while offset + len(_SIGNATURE) <= size:
                f.seek(offset)
                if f.read(len(_SIGNATURE)) == _SIGNATURE:
                    return True
                offset = 512 if offset == 0 else offset * 2
    except OSError:
        return False
    return False


# -- files this process wrote ----------------------------------------------------------
_TRUSTED = collections.OrderedDict()
_TRUSTED_MAX = 1024
_TRUSTED_LOCK = threading.Lock()


def _identity(filepath):
    st = os.stat(filepath)
    return os.path.realpath(filepath), (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _digest(filepath):
    digest = hashlib.sha256()
    with open(filepath, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def remember(filepath):
    """Record that this process has just written ``filepath`` (so it may read it in
    process): its real path, size, mtime, inode and a SHA-256 of its contents."""
    try:
        key, ident = _identity(filepath)
        digest = _digest(filepath)
    except OSError:
        return
    with _TRUSTED_LOCK:
        _TRUSTED.pop(key, None)
        _TRUSTED[key] = (ident, digest)
        while len(_TRUSTED) > _TRUSTED_MAX:
            _TRUSTED.popitem(last=False)


def is_trusted(filepath):
    """Whether ``filepath`` is a file this process wrote (:func:`remember`) and that has
    not changed since: same real path, size, mtime, inode and contents."""
    try:
        key, ident = _identity(filepath)
    except (OSError, TypeError, ValueError):
        return False
    with _TRUSTED_LOCK:
        entry = _TRUSTED.get(key)
    if entry is None or entry[0] != ident:
        return False
    try:  # mtimes are as coarse as the kernel's clock tick: the contents decide
        return _digest(filepath) == entry[1]
    except OSError:
        return False


def forget(filepath=None):
    """Drop ``filepath`` (or every file) from the record of files this process wrote."""
    with _TRUSTED_LOCK:
        if filepath is None:
            _TRUSTED.clear()
        else:
            _TRUSTED.pop(os.path.realpath(filepath), None)


# -- the walk (runs in the child, or in process for trusted files) -----------------------
def _error(err):
    return f"{type(err).__name__}: {err}"


class _Chunks:
    """The raw arrays of a walk; the JSON refers to them by index."""

    def __init__(self):
        self.arrays = []

    def add(self, array):
        self.arrays.append(np.ascontiguousarray(array))
        return len(self.arrays) - 1


def is_bfloat16(dtype):
    """Whether ``dtype`` is ml_dtypes' bfloat16 (numpy knows it only by that library)."""
    return dtype.kind == "V" and dtype.itemsize == 2 and dtype.name == "bfloat16"


def marked_bfloat16(ds, dtype):
    """A dataset Keras (or cornu) wrote from a bfloat16 array: two opaque bytes per
    element and a ``dtype`` attribute saying ``bfloat16``."""
    if dtype.kind != "V" or dtype.itemsize != 2 or dtype.fields is not None:
        return False
    try:
        mark = ds.attrs.get("dtype")
    except Exception:  # noqa: BLE001 - a corrupt attribute is not a mark
        return False
    return isinstance(mark, (str, bytes)) and mark in ("bfloat16", b"bfloat16")


def _plain_dtype(dtype):
    return dtype.fields is None and dtype.subdtype is None and dtype.kind in "biufcS"


def _encode_value(value, chunks):
    """An attribute value as JSON (arrays and bytes go to ``chunks``)."""
    if isinstance(value, str):
        return {"k": "str", "v": value}
    if isinstance(value, bytes):
        return {"k": "bytes", "c": chunks.add(np.frombuffer(value, np.uint8))}
    if isinstance(value, h5py.Empty):
        return {"k": "none"}
    if isinstance(value, np.ndarray):
        if _plain_dtype(value.dtype):
            return {"k": "array", "dtype": value.dtype.str, "shape": list(value.shape),
                    "c": chunks.add(value)}
        if value.dtype.kind == "O":
            items = [_encode_value(v, chunks) for v in value.reshape(-1).tolist()]
            if all(i["k"] in ("str", "bytes") for i in items):
                return {"k": "objects", "shape": list(value.shape), "items": items}
        return {"k": "error", "msg": f"TypeError: unsupported attribute type {value.dtype}"}
    if isinstance(value, np.generic) and _plain_dtype(value.dtype):
        return {"k": "scalar", "dtype": value.dtype.str, "c": chunks.add(np.asarray(value))}
    return {"k": "error", "msg": f"TypeError: unsupported attribute type {type(value).__name__}"}


def _encode_attrs(obj, chunks):
    try:
        names = list(obj.attrs.keys())
    except Exception as err:  # noqa: BLE001 - anything libhdf5 raises on a corrupt header
        return {"error": _error(err)}
    out = {}
    for name in names:
        try:
            out[str(name)] = _encode_value(obj.attrs[name], chunks)
        except MemoryError:
            raise
        except Exception as err:  # noqa: BLE001
            out[str(name)] = {"k": "error", "msg": _error(err)}
    return {"values": out}


def _encode_dataset(ds, chunks):
    node = {"t": "d"}
    try:
        shape = ds.shape
        dtype = ds.dtype
        node["shape"] = None if shape is None else [int(s) for s in shape]
        node["dtype"] = {"str": dtype.str, "repr": str(dtype), "kind": dtype.kind,
                         "itemsize": int(dtype.itemsize), "plain": _plain_dtype(dtype)}
        external = ds.external
        node["external"] = None if not external else [
            [str(e[0]) for e in external]]
        node["virtual"] = bool(ds.is_virtual)
        stored = int(ds.id.get_storage_size())
        node["stored"] = stored
        declared = math.prod(shape or ()) * dtype.itemsize
        numeric = node["dtype"]["plain"] and dtype.kind in "biufc"
        if marked_bfloat16(ds, dtype):  # sent as its raw 16-bit words
            node["dtype"].update(str="<u2", plain=True, bfloat16=True)
            numeric = True
        bomb = declared > BOMB_FLOOR_BYTES and declared > MAX_EXPANSION * stored
        if numeric and not external and not node["virtual"] and not bomb:
            if shape is None:
                node["error"] = "OSError: the dataset has no dataspace"
            else:
                value = np.asarray(ds[()])
                if node["dtype"].get("bfloat16"):
                    value = value.view("<u2")
                node["c"] = chunks.add(value)
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001
        node["error"] = _error(err)
    return node


def walk_file(f):
    """The tree of an open h5py File as (JSON-able document, list of arrays)."""
    chunks = _Chunks()
    nodes = []
    seen = {}

    def key_of(obj):
        info = h5py.h5o.get_info(obj.id)
        return (info.fileno, info.addr)

    def add(obj, name):
        key = key_of(obj)
        if key in seen:
            return seen[key], False
        if len(nodes) >= MAX_NODES:
            raise OSError(f"more than {MAX_NODES} objects: not a weights file")
        seen[key] = len(nodes)
        nodes.append(None)
        return seen[key], True

    root, _ = add(f, "/")
    pending = [(root, f, "/")]
    while pending:
        index, obj, name = pending.pop()
        if isinstance(obj, h5py.Dataset):
            node = _encode_dataset(obj, chunks)
            node["name"] = name
            node["attrs"] = _encode_attrs(obj, chunks)
            nodes[index] = node
            continue
        node = {"t": "g", "name": name, "attrs": _encode_attrs(obj, chunks), "links": []}
        nodes[index] = node
        try:
            keys = list(obj.keys())
        except MemoryError:
            raise
        except Exception as err:  # noqa: BLE001
            node["error"] = _error(err)
            continue
        for key in keys:
            child_name = name.rstrip("/") + "/" + key
            try:
                link = obj.get(key, getlink=True)
                if isinstance(link, h5py.HardLink):
                    child = obj[key]
                    if not isinstance(child, (h5py.Group, h5py.Dataset)):
                        node["links"].append([key, "other", type(child).__name__])
                        continue
                    child_index, new = add(child, child_name)
                    if new:
                        pending.append((child_index, child, child_name))
                    node["links"].append([key, "hard", child_index])
                elif isinstance(link, h5py.SoftLink):
                    node["links"].append([key, "soft", str(link.path)])
                elif isinstance(link, h5py.ExternalLink):
                    node["links"].append([key, "external", str(link.filename), str(link.path)])
                else:
                    node["links"].append([key, "other", type(link).__name__])
            except MemoryError:
                raise
            except Exception as err:  # noqa: BLE001
                node["links"].append([key, "error", _error(err)])
    return {"nodes": nodes}, chunks.arrays


def _open(source):
    data = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    return h5py.File(data, "r")


# -- the tree the loaders read ---------------------------------------------------------
class HardLink(h5py.HardLink):
    """A hard link of the tree (``isinstance(link, h5py.HardLink)`` holds)."""


class SoftLink(h5py.SoftLink):
    """A soft link, recorded and never followed."""


class ExternalLink(h5py.ExternalLink):
    """An external link, recorded and never followed."""


class OtherLink:
    """A link or object of a kind the loaders never read (a committed datatype, ...)."""

    def __init__(self, what):
        self.what = what


class _StoredError:
    def __init__(self, message):
        self.message = message

    def raise_(self, where):
        raise OSError(f"cannot read {where}: {self.message}")


class Attributes(collections.abc.Mapping):
    """A node's attributes: ``name -> value`` (str, bytes, numpy scalar or array)."""

    def __init__(self, owner, values, error=None):
        self._owner = owner
        self._values = values
        self._error = error

    def _check(self):
        if self._error is not None:
            self._error.raise_(f"the attributes of {self._owner}")

    def __getitem__(self, key):
        self._check()
        value = self._values[key]
        if isinstance(value, _StoredError):
            value.raise_(f"the attribute {key!r} of {self._owner}")
        return value

    def __iter__(self):
        self._check()
        return iter(self._values)

    def __len__(self):
        self._check()
        return len(self._values)

    def __contains__(self, key):
        self._check()
        return key in self._values


class _Node:
    name = "/"
    attrs = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass


class Group(_Node):
    """A group of the tree: ``keys()``, ``in``, ``[path]``, ``get(path, getlink=True)``."""

    def __init__(self, name):
        self.name = name
        self._links = {}
        self._error = None

    def __repr__(self):
        return f"<cornu HDF5 group {self.name!r} ({len(self._links)} members)>"

    def _check(self):
        if self._error is not None:
            self._error.raise_(f"the members of {self.name}")

    def keys(self):
        self._check()
        return list(self._links)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def _link(self, path):
        """The link at ``path`` (None if absent); inner components must be hard links."""
        parts = [p for p in str(path).split("/") if p]
        if not parts:
            return HardLink()
        group = self
        for part in parts[:-1]:
            group._check()
            link = group._links.get(part)
            if link is None:
                return None
            if not isinstance(link, HardLink) or not isinstance(link.target, Group):
                raise OSError(f"refusing to follow {group.name.rstrip('/')}/{part}: "
                              "not a group reached by a hard link")
            group = link.target
        group._check()
        link = group._links.get(parts[-1])
        if isinstance(link, _StoredError):
            link.raise_(f"{group.name.rstrip('/')}/{parts[-1]}")
        return link

    def __contains__(self, path):
        try:
            return self._link(path) is not None
        except OSError:
            return False

    def get(self, path, default=None, getlink=False):
        link = self._link(path)
        if link is None:
            return default
        if getlink:
            return link
        return self[path]

    def __getitem__(self, path):
        if not [p for p in str(path).split("/") if p]:
            return self
        link = self._link(path)
        if link is None:
            raise KeyError(f"{self.name.rstrip('/')}/{path} does not exist")
        if not isinstance(link, HardLink):
            raise OSError(f"refusing to follow the {type(link).__name__} "
                          f"{self.name.rstrip('/')}/{path}")
        return link.target


class _DtypeInfo:
    """The dtype of a dataset that was not read (non-numeric): kind, itemsize, str."""

    def __init__(self, kind, itemsize, text):
        self.kind = kind
        self.itemsize = itemsize
        self._text = text

    def __str__(self):
        return self._text

    __repr__ = __str__


class Dataset(_Node):
    """A dataset of the tree: ``shape``, ``dtype``, ``external``, ``is_virtual``,
    ``id.get_storage_size()`` and ``[()]`` (the array, when it was read)."""

    def __init__(self, name, shape, dtype, external, virtual, stored, value, error):
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.external = external
        self.is_virtual = virtual
        self._stored = stored
        self._value = value
        self._error = error

    def __repr__(self):
        return f"<cornu HDF5 dataset {self.name!r} shape {self.shape} dtype {self.dtype}>"

    @property
    def id(self):
        return self

    def get_storage_size(self):
        return self._stored

    @property
    def ndim(self):
        return len(self.shape or ())

    @property
    def size(self):
        return math.prod(self.shape or ())

    def __len__(self):
        if not self.shape:
            raise TypeError("a scalar dataset has no len()")
        return self.shape[0]

    def __getitem__(self, key):
        if self._error is not None:
            self._error.raise_(self.name)
        if self._value is None:
            raise OSError(f"{self.name} was not read (external, virtual, non-numeric or a "
                          "shape bomb)")
        return self._value[key]


def is_group(obj):
    """A group of an h5py file or of a tree."""
    return isinstance(obj, (Group, h5py.Group))


def is_dataset(obj):
    """A dataset of an h5py file or of a tree."""
    return isinstance(obj, (Dataset, h5py.Dataset))


class _Malformed(Exception):
    pass


def _need(condition, what="malformed reader output"):
    if not condition:
        raise _Malformed(what)


def _build(document, arrays):
    """The tree of a walk.  ``arrays(i, dtype, shape)`` returns chunk ``i`` as an array."""
    _need(isinstance(document, dict) and isinstance(document.get("nodes"), list))
    raw = document["nodes"]
    _need(raw and len(raw) <= MAX_NODES)
    built = []
    for entry in raw:
        _need(isinstance(entry, dict) and entry.get("t") in ("g", "d"))
        name = entry.get("name")
        _need(isinstance(name, str))
        if entry["t"] == "g":
            built.append(Group(name))
        else:
            built.append(_dataset(entry, arrays))
        built[-1].attrs = _attrs(name, entry.get("attrs"), arrays)
    for node, entry in zip(built, raw):
        if not isinstance(node, Group):
            continue
        if entry.get("error") is not None:
            node._error = _StoredError(str(entry["error"]))
        links = entry.get("links")
        _need(isinstance(links, list))
        for link in links:
            _need(isinstance(link, list) and len(link) >= 3 and isinstance(link[0], str))
            key, kind = link[0], link[1]
            if kind == "hard":
                _need(isinstance(link[2], int) and 0 <= link[2] < len(built))
                target = HardLink()
                target.target = built[link[2]]
                node._links[key] = target
            elif kind == "soft":
                node._links[key] = SoftLink(str(link[2]))
            elif kind == "external":
                _need(len(link) == 4)
                node._links[key] = ExternalLink(str(link[2]), str(link[3]))
            elif kind == "other":
                node._links[key] = OtherLink(str(link[2]))
            else:
                _need(kind == "error")
                node._links[key] = _StoredError(str(link[2]))
    return built[0]


def _shape(value):
    _need(isinstance(value, list) and len(value) <= 64
          and all(isinstance(s, int) and s >= 0 for s in value))
    return tuple(value)


def _dtype(text):
    _need(isinstance(text, str))
    try:
        dtype = np.dtype(text)
    except TypeError as err:
        raise _Malformed(f"bad dtype {text!r}") from err
    _need(_plain_dtype(dtype), f"bad dtype {text!r}")
    return dtype


def _dataset(entry, arrays):
    shape = entry.get("shape")
    shape = None if shape is None else _shape(shape)
    error = entry.get("error")
    info = entry.get("dtype")
    value = None
    if info is None:
        dtype = None
        _need(error is not None)
    else:
        _need(isinstance(info, dict))
        dtype = _DtypeInfo(str(info.get("kind")), int(info.get("itemsize", 0)),
                           str(info.get("repr")))
        if info.get("plain"):
            dtype = _dtype(info.get("str"))
    if "c" in entry:
        _need(isinstance(dtype, np.dtype) and shape is not None)
        value = arrays(entry["c"], dtype, shape)
        if info.get("bfloat16"):
            _need(dtype == np.dtype("<u2"), "bad bfloat16 dataset")
            import ml_dtypes  # a dependency of both frameworks

            value = value.view(ml_dtypes.bfloat16)
            dtype = value.dtype
    external = entry.get("external")
    if external is not None:
        _need(isinstance(external, list) and external and isinstance(external[0], list))
        external = [(str(name), 0, 0) for name in external[0]]
    stored = entry.get("stored", 0)
    _need(isinstance(stored, int))
    return Dataset(entry["name"], shape, dtype, external, bool(entry.get("virtual")), stored,
                   value, None if error is None else _StoredError(str(error)))


def _attr_value(item, arrays):
    _need(isinstance(item, dict))
    kind = item.get("k")
    if kind == "str":
        _need(isinstance(item.get("v"), str))
        return item["v"]
    if kind == "bytes":
        return np.bytes_(arrays(item["c"], np.dtype(np.uint8), None).tobytes())
    if kind == "none":
        return None
    if kind == "array":
        return arrays(item["c"], _dtype(item.get("dtype")), _shape(item.get("shape")))
    if kind == "scalar":
        return arrays(item["c"], _dtype(item.get("dtype")), ())[()]
    if kind == "objects":
        items = item.get("items")
        shape = _shape(item.get("shape"))
        _need(isinstance(items, list) and len(items) == math.prod(shape))
        out = np.empty(len(items), dtype=object)
        for i, sub in enumerate(items):
            _need(isinstance(sub, dict) and sub.get("k") in ("str", "bytes"))
            out[i] = _attr_value(sub, arrays)
        return out.reshape(shape)
    _need(kind == "error")
    return _StoredError(str(item.get("msg")))


def _attrs(owner, entry, arrays):
    _need(isinstance(entry, dict))
    if "error" in entry:
        return Attributes(owner, {}, _StoredError(str(entry["error"])))
    values = entry.get("values")
    _need(isinstance(values, dict))
    return Attributes(owner, {str(k): _attr_value(v, arrays) for k, v in values.items()})


def _in_process(source):
    """The trusted path: the same walk and the same tree, in this process."""
    with _open(source) as f:
        document, chunks = walk_file(f)

    def arrays(index, dtype, shape):
        _need(isinstance(index, int) and 0 <= index < len(chunks))
        array = chunks[index]
        if shape is None:
            return array.reshape(-1).view(np.uint8)
        return array.reshape(shape)

    return _build(document, arrays)


# -- the child process ----------------------------------------------------------------
def _limits(size, timeout, memory_mb):
    if timeout is None:
        env = os.environ.get(TIMEOUT_ENV)
        timeout = float(env) if env else BASE_TIMEOUT_S + TIMEOUT_S_PER_GIB * size / (1 << 30)
    if memory_mb is None:
        env = os.environ.get(MEMORY_ENV)
        memory = int(float(env) * (1 << 20)) if env else \
            BASE_MEMORY_BYTES + MEMORY_PER_INPUT_BYTE * size
    else:
        memory = int(memory_mb * (1 << 20))
    return float(timeout), memory


def _child_command():
    return [sys.executable, "-I", os.path.abspath(__file__)]


def _child_env():
    env = dict(os.environ)
    # One thread each, and no framework start-up: the child needs numpy and h5py only.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def _in_child(source, what, size, timeout, memory_mb):
    timeout, memory = _limits(size, timeout, memory_mb)
    mib = memory / (1 << 20)
    path = None if isinstance(source, (bytes, bytearray)) else source
    command = _child_command() + [str(memory), path if path is not None else "-"]
    try:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=_child_env())
    except OSError as err:
        raise H5ReadError(f"{what} could not be read: cannot start the HDF5 reader "
                          f"({sys.executable}): {err}") from err
    try:
        out, err = proc.communicate(None if path is not None else bytes(source),
                                    timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise H5ReadError(
            f"{what} could not be read within {timeout:g} s: the file is corrupt or not an "
            f"HDF5 file (the limit is {TIMEOUT_ENV}, in seconds)") from None
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    memory_message = (
        f"{what} could not be read within the memory limit of {mib:.0f} MiB: the file is "
        f"corrupt or not an HDF5 file (the limit is {MEMORY_ENV})")
    if proc.returncode != 0 or not out.startswith(_MAGIC):
        tail = err.decode("utf8", "replace").strip().splitlines()[-1:] or [""]
        if "MemoryError" in tail[0]:
            raise H5ReadError(memory_message)
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else \
            f"exit status {proc.returncode}"
        raise H5ReadError(
            f"{what} could not be read: the HDF5 reader stopped ({how}"
            f"{': ' + tail[0][:300] if tail[0] else ''}): the file is corrupt or not an "
            "HDF5 file")
    try:
        return _parse(out, what, memory_message)
    except _Malformed as bad:
        raise H5ReadError(f"{what} could not be read: {bad}") from None


def _parse(out, what, memory_message):
    view = memoryview(out)
    start = len(_MAGIC)
    _need(len(out) >= start + _HEADER.size)
    (length,) = _HEADER.unpack_from(out, start)
    start += _HEADER.size
    _need(length <= len(out) - start)
    try:
        document = json.loads(bytes(view[start:start + length]))
    except (ValueError, RecursionError) as err:
        raise _Malformed("malformed reader output") from err
    start += length
    _need(isinstance(document, dict))
    if "error" in document:
        if document["error"] == "memory":
            raise H5ReadError(memory_message)
        _need(document["error"] == "open")
        raise ValueError(f"{what} is not a readable HDF5 file (corrupt or truncated): "
                         f"{document.get('message')}")
    sizes = document.get("chunks")
    _need(isinstance(sizes, list) and all(isinstance(n, int) and n >= 0 for n in sizes))
    offsets = []
    for n in sizes:
        offsets.append(start)
        start += n
    _need(start == len(out))

    def arrays(index, dtype, shape):
        _need(isinstance(index, int) and 0 <= index < len(sizes))
        n = sizes[index]
        count = n // dtype.itemsize if dtype.itemsize else 0
        _need(count * dtype.itemsize == n)
        if shape is not None:
            _need(math.prod(shape) == count)
        array = np.frombuffer(view, dtype, count, offsets[index]).copy()
        return array if shape is None else array.reshape(shape)

    return _build(document, arrays)


def _child_main(argv):  # pragma: no cover - runs in the child process
    memory, path = int(argv[1]), argv[2]
    data = sys.stdin.buffer.read() if path == "-" else path
    try:
        import resource

        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = used + memory + (len(data) if path == "-" else 0)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # no RLIMIT_AS here (Windows): the time limit still holds
    out = sys.stdout.buffer

    def send(document, chunks=()):
        header = json.dumps(document, separators=(",", ":")).encode()
        out.write(_MAGIC + _HEADER.pack(len(header)) + header)
        for chunk in chunks:
            out.write(memoryview(chunk).cast("B"))
        out.flush()

    try:
        try:
            f = _open(data)
        except MemoryError:
            raise
        except Exception as err:  # noqa: BLE001 - h5py raises OSError, sometimes others
            send({"error": "open", "message": str(err)})
            return 0
        with f:
            document, chunks = walk_file(f)
        document["chunks"] = [int(c.nbytes) for c in chunks]
        send(document, chunks)
    except MemoryError:
        document = chunks = None
        send({"error": "memory"})
    return 0


# -- the entry point ---------------------------------------------------------------------
def read_h5(source, what=None, trusted=False, timeout=None, memory_mb=None):
    """The whole HDF5 file ``source`` (a path or the file's bytes) as a :class:`Group`.

    Args:
        source: a file path, or the bytes of an HDF5 file (a ``.keras`` member).
        what: how errors name the file (default: the path).
        trusted: read in this process (a file this process wrote, ``safe_mode=False``);
            otherwise in a child process under the limits of the module docstring.
        timeout: seconds (default: ``CORNU_H5_TIMEOUT``, else 60 s + 20 s per GiB).
        memory_mb: MiB of address space for the child beyond its start-up (default:
            ``CORNU_H5_MEMORY_MB``, else 1 GiB + 4 times the input size).

    Raises:
        MissingFileError: no file at ``source``.
        ValueError: not an HDF5 file ("not a readable HDF5 file (corrupt or truncated)").
        H5ReadError: the limits were exceeded or the reader crashed.
    """
    if not isinstance(source, (bytes, bytearray)):
        source = os.fspath(source)
        what = what or source
        require_file(source)
        size = os.path.getsize(source) if os.path.isfile(source) else 0
    else:
        size = len(source)
    if trusted or not sys.executable:
        try:
            return _in_process(bytes(source) if isinstance(source, bytearray) else source)
        except OSError as err:
            raise ValueError(f"{what} is not a readable HDF5 file (corrupt or truncated): "
                             f"{err}") from err
    return _in_child(source, what, size, timeout, memory_mb)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child_main(sys.argv))
