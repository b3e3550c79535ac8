"""Atomic file writes: write beside the target, fsync, then rename over it."""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(filepath):
    """Yield a temporary path; on success it replaces ``filepath`` in one rename.

    A crash or an exception before the rename leaves any previous file untouched
    and removes the temporary file.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(filepath) + "-", dir=directory)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
