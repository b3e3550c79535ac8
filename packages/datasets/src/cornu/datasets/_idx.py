"""Reading gzipped IDX files (the MNIST family's format) into numpy arrays.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>`` (type 0x08 is
unsigned bytes), ``ndim`` big-endian uint32 dimensions, then the data in C
order.  Labels files have magic 0x00000801, image files 0x00000803.
"""
import gzip
import struct
import zlib

import numpy as np

__all__ = ["IDXError", "read_idx", "load_idx_pair"]

LABELS_MAGIC = 0x00000801
IMAGES_MAGIC = 0x00000803


class IDXError(ValueError):
    """A file is not the IDX file it should be (corrupt, truncated or of another kind)."""


def _corrupt(path, why):
    return IDXError(
        f"{path} is not a valid IDX file: {why}. Delete it so that it is fetched again."
    )


def read_idx(path, magic):
    """Read the gzipped IDX file at ``path`` into a writable ``uint8`` array.

    Args:
        path: the ``.gz`` file.
        magic: the expected magic number (``0x801`` for labels, ``0x803`` for images).
    Returns:
        A ``uint8`` array of the shape given by the file's header.
    Raises:
        IDXError: the file is not gzip, has another magic number, or its size
            does not match its header.
    """
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4:
                raise _corrupt(path, "it is shorter than an IDX header")
            (found,) = struct.unpack(">I", head)
            if found != magic:
                raise _corrupt(path, f"magic number 0x{found:08x}, expected 0x{magic:08x}")
            ndim = magic & 0xFF
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise _corrupt(path, "its header is truncated")
            shape = struct.unpack(f">{ndim}I", raw_dims)
            out = np.empty(shape, dtype=np.uint8)
            view = memoryview(out).cast("B")
            filled = 0
            while filled < out.size:
                n = f.readinto(view[filled:])
                if not n:
                    raise _corrupt(
                        path, f"it holds {filled} data bytes, its header announces {out.size}"
                    )
                filled += n
            if f.read(1):
                raise _corrupt(
                    path, f"it holds more than the {out.size} bytes its header announces"
                )
    except (OSError, EOFError, zlib.error) as err:
        raise _corrupt(path, f"{type(err).__name__}: {err}") from err
    return out


def load_idx_pair(labels_path, images_path, image_shape=(28, 28)):
    """Read a labels file and an images file that go together; returns ``(images, labels)``."""
    labels = read_idx(labels_path, LABELS_MAGIC)
    images = read_idx(images_path, IMAGES_MAGIC)
    if images.shape[1:] != tuple(image_shape):
        raise _corrupt(images_path, f"images of shape {images.shape[1:]}, expected {image_shape}")
    if len(images) != len(labels):
        raise IDXError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels."
        )
    return images, labels
