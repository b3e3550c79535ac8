"""Reading dataset ``.npz`` files without ever executing code from them.

IMDB and Reuters store ragged sequences as ``dtype=object`` arrays, which numpy can
only persist as pickle streams.  ``np.load(allow_pickle=True)`` would run whatever a
tampered file's pickle asks for; :func:`load_npz` instead reads numeric members with
pickling disabled and object members with :class:`RestrictedUnpickler`, which
resolves only the three globals that rebuilding a numpy array needs.  The CIFAR
batches (plain pickles) are read with the same unpickler.
"""
import hashlib
import io
import pickle
import zipfile

import numpy as np

__all__ = ["RestrictedUnpickler", "arrays_sha256", "holds_arrays", "load_npz", "load_pickle"]

_ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),  # files written by numpy < 2
    ("numpy._core.multiarray", "_reconstruct"),  # numpy >= 2
})


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and builtin containers, nothing else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load {module}.{name} from a dataset file: only numpy arrays, "
            "lists, dicts, numbers, strings and bytes may appear in one. The file is "
            "corrupted or has been tampered with; delete it from the cache and load again."
        )


def load_pickle(fp, encoding="ASCII"):
    """Unpickle ``fp`` (a binary file) with :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(fp, encoding=encoding).load()


def _read_member(fp):
    try:  # numeric arrays: pickling fully disabled
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:
        pass
    fp.seek(0)  # an object array: skip the header, then the restricted unpickler
    major, _ = np.lib.format.read_magic(fp)
    if major == 1:
        np.lib.format.read_array_header_1_0(fp)
    elif major in (2, 3):  # 3.0 differs from 2.0 only in the header's text encoding
        np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"Unsupported .npy format version {major}.")
    return load_pickle(fp, encoding="latin1")


def load_npz(path):
    """The arrays of the ``.npz`` file at ``path``, as a dict (name -> array)."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_member(io.BytesIO(archive.read(member)))
    return arrays


def arrays_sha256(path):
    """sha256 over a numeric ``.npz``'s arrays (names, dtypes, shapes, bytes), not its zip.

    Two files that hold the same arrays in different containers (another numpy
    version, compressed or not) have the same digest; the loaders accept a mirror
    copy whose file hash differs from the canonical one when this digest matches
    (:func:`holds_arrays`).
    """
    digest = hashlib.sha256()
    with np.load(path, allow_pickle=False) as f:
        for name in sorted(f.files):
            a = np.ascontiguousarray(f[name])
            digest.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
            digest.update(a.tobytes())
    return digest.hexdigest()


def holds_arrays(digest):
    """``accept`` for ``cornu.utils.mirror.fetch``: a copy holding the arrays ``digest`` names."""
    return lambda path: arrays_sha256(path) == digest

