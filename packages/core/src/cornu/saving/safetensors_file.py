"""``save_weights("w.safetensors")`` / ``load_weights(...)``: the safetensors format.

Beyond Keras (whose core saves weights to HDF5 only): the same weights as a
``.weights.h5`` file, under the same paths, in the `safetensors
<https://github.com/huggingface/safetensors>`_ layout, which holds nothing but
arrays: an 8-byte little-endian header length, a JSON header mapping each tensor
name to ``{"dtype", "shape", "data_offsets"}`` (plus a ``__metadata__`` map of
strings), then the raw little-endian bytes.  No code and no pickle, so any tool that
reads safetensors (the ``safetensors`` library, a model hub) can read cornu's file.

Tensor names are the ``.weights.h5`` dataset paths (``layers/dense/vars/0``,
``optimizer/vars/3``); ``__metadata__`` holds ``"format": "cornu-weights"`` and, as
``"groups"``, the JSON ``{group path: name}`` that ``.weights.h5`` keeps in each
group's ``name`` attribute (absent from a file written by another tool, which then
loads as long as its tensor names follow the paths).

Reading is strict before any array is made: the header must be a JSON object under
:data:`MAX_HEADER_BYTES`, every dtype known, every shape a list of non-negative ints
whose byte count equals its ``data_offsets`` span, and the spans must tile the data
section exactly (no overlap, no gap, nothing past the end).  Anything else is a
``ValueError`` naming the file.  The loaded tensors become the same in-memory tree the
HDF5 reader returns, so both formats share one loader (``weights.read_weights``).
"""
import json
import math
import os
import struct

import numpy as np

from cornu.saving import h5_reader
from cornu.saving.atomic import atomic_path

SUFFIX = ".safetensors"
FORMAT = "cornu-weights"
#: A header larger than this is refused (the safetensors library's own limit).
MAX_HEADER_BYTES = 100 * 1000 * 1000

_DTYPES = {  # safetensors name -> numpy dtype (little-endian)
    "BOOL": np.dtype("bool"), "U8": np.dtype("<u1"), "I8": np.dtype("<i1"),
    "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
}
try:  # the 16-bit brain float and the float8s come with ml_dtypes (a dependency of
    import ml_dtypes  # tensorflow and jax); without it such tensors are refused clearly

    _DTYPES.update({"BF16": np.dtype(ml_dtypes.bfloat16),
                    "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn),
                    "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2)})
except ImportError:  # pragma: no cover - ml_dtypes ships with both frameworks
    pass
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def is_safetensors_path(filepath):
    return os.fspath(filepath).endswith(SUFFIX)


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights (and its optimizer's) to a ``.safetensors`` file."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    from cornu.saving.weights import collect_weights

    tensors, groups = collect_weights(model)
    header = {"__metadata__": {"format": FORMAT, "groups": json.dumps(groups)}}
    offset = 0
    blobs = []
    for name, array in tensors:
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if dtype not in _NAMES:
            raise ValueError(f"save_weights: the variable {name} has dtype {array.dtype}, "
                             "which the safetensors format cannot hold")
        blob = np.ascontiguousarray(array, dtype=dtype).tobytes()
        header[name] = {"dtype": _NAMES[dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data section starts 8-byte aligned
    with atomic_path(filepath) as tmp:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(encoded)))
            f.write(encoded)
            for blob in blobs:
                f.write(blob)
    h5_reader.remember(filepath)


def _refuse(filepath, why):
    return ValueError(f"{filepath} is not a valid safetensors file: {why}")


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a tensor name appears twice in the header")
    return dict(pairs)


def read(filepath):
    """Parse a ``.safetensors`` file into ``({name: array}, metadata)``, checking it all."""
    filepath = os.fspath(filepath)
    size = os.path.getsize(filepath)
    with open(filepath, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise _refuse(filepath, f"{size} bytes, shorter than the 8-byte header length")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES or length > size - 8:
            raise _refuse(filepath, f"its header declares {length} bytes (the file has "
                                    f"{size - 8} after the length, the limit is "
                                    f"{MAX_HEADER_BYTES})")
        try:
            header = json.loads(f.read(length).decode("utf-8"),
                                object_pairs_hook=_no_duplicates)
        except (UnicodeDecodeError, ValueError) as err:
            raise _refuse(filepath, f"its header is not a JSON object ({err})") from None
        data = f.read()
    if not isinstance(header, dict):
        raise _refuse(filepath, "its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _refuse(filepath, "__metadata__ must map strings to strings")
    spans = []
    for name, entry in header.items():
        if not (isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"}):
            raise _refuse(filepath, f"tensor {name!r} needs exactly dtype, shape and "
                                    f"data_offsets, got {entry!r}")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in _DTYPES:
            raise _refuse(filepath, f"tensor {name!r} has dtype {dtype!r}; known: "
                                    f"{sorted(_DTYPES)}")
        if not (isinstance(shape, list) and all(
                type(s) is int and s >= 0 for s in shape)):
            raise _refuse(filepath, f"tensor {name!r} has shape {shape!r}, expected a list "
                                    "of non-negative integers")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise _refuse(filepath, f"tensor {name!r} has data_offsets {offsets!r}, expected "
                                    "[begin, end] with 0 <= begin <= end")
        nbytes = math.prod(shape) * _DTYPES[dtype].itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise _refuse(filepath, f"tensor {name!r} of shape {shape} and dtype {dtype} "
                                    f"needs {nbytes} bytes, its data_offsets span "
                                    f"{offsets[1] - offsets[0]}")
        spans.append((offsets[0], offsets[1], name))
    end = 0
    for begin, stop, name in sorted(spans):
        if begin != end:
            raise _refuse(filepath, f"tensor {name!r} starts at byte {begin} of the data, "
                                    f"expected {end} (the tensors overlap or leave a gap)")
        end = stop
    if end != len(data):
        raise _refuse(filepath, f"the tensors cover {end} bytes of data, the file holds "
                                f"{len(data)}")
    arrays = {}
    for name, entry in header.items():
        begin, stop = entry["data_offsets"]
        arrays[name] = np.frombuffer(data, dtype=_DTYPES[entry["dtype"]], count=(
            stop - begin) // _DTYPES[entry["dtype"]].itemsize, offset=begin).reshape(
            entry["shape"])
    return arrays, metadata


def _tree(arrays, groups):
    """The tensors as the HDF5 reader's in-memory tree (groups by path, datasets)."""
    root = h5_reader.Group("/")
    root.attrs = h5_reader.Attributes("/", {})

    def group_at(path):
        node = root
        for i, part in enumerate(path):
            link = node._links.get(part)
            if link is None:
                name = "/" + "/".join(path[:i + 1])
                child = h5_reader.Group(name)
                label = groups.get(name[1:])
                child.attrs = h5_reader.Attributes(name, {} if label is None
                                                   else {"name": label})
                link = h5_reader.HardLink()
                link.target = child
                node._links[part] = link
            if not isinstance(link.target, h5_reader.Group):
                raise ValueError(f"{'/'.join(path[:i + 1])} is both a tensor and a group")
            node = link.target
        return node

    for name, array in arrays.items():
        parts = [p for p in name.split("/") if p]
        if not parts:
            raise ValueError(f"tensor name {name!r} is not a path")
        parent = group_at(parts[:-1])
        if parts[-1] in parent._links:
            raise ValueError(f"{name} is both a tensor and a group")
        dataset = h5_reader.Dataset("/" + "/".join(parts), tuple(array.shape), array.dtype,
                                    external=False, virtual=False, stored=array.nbytes,
                                    value=array, error=None)
        dataset.attrs = h5_reader.Attributes(dataset.name, {})
        link = h5_reader.HardLink()
        link.target = dataset
        parent._links[parts[-1]] = link
    return root


def load_weights(model, filepath, skip_mismatch=False):
    """Assign ``model``'s weights from a ``.safetensors`` file (see the module doc)."""
    from cornu.saving.weights import _read_guarded, errors_naming

    filepath = os.fspath(filepath)
    with errors_naming(filepath):
        arrays, metadata = read(filepath)
        try:
            groups = json.loads(metadata.get("groups", "{}"))
        except ValueError as err:
            raise _refuse(filepath, f"its 'groups' metadata is not JSON ({err})") from None
        if not isinstance(groups, dict):
            raise _refuse(filepath, "its 'groups' metadata is not a JSON object")
        try:
            tree = _tree(arrays, {str(k): str(v) for k, v in groups.items()})
        except ValueError as err:
            raise _refuse(filepath, str(err)) from None
        _read_guarded(model, tree, filepath, skip_mismatch=skip_mismatch)
