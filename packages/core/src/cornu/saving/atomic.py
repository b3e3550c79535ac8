"""Atomic file writes: write beside the target, fsync, rename over it, sync the folder.

Every file cornu saves (``.keras``, ``.weights.h5``, shards and their index, backups,
downloads and extracted archives in the cache) is written under a temporary name in the
target's folder and renamed over the target only once complete and fsynced; the folder
itself is then fsynced, so that after a crash or a power cut the target is either the
previous file or the new one, never an empty or torn one.

**Permissions.** A new file gets the permissions an ordinary ``open(path, "w")`` gives
it: ``0o666`` less the process's umask (``0o644`` under umask ``0o022``, ``0o600`` under
``0o077``); a new folder ``0o777`` less the umask. The kernel applies the umask (and a
folder's default ACL) when the temporary is created, so the umask is never read or
changed. A file that replaces an existing regular file (or folder) keeps that file's
permission bits, as rewriting it in place would.

**Temporary names** say what they are: ``.<target name>.cornu-partial-<host>-<pid>-<hex>``
(``<host>`` is 8 hex digits from the host name, ``<pid>`` the writing process;
``...-<hex>.old`` is the previous version of a folder while it is being swapped out).

**Leftovers.** A process killed mid-save leaves its temporary behind. Each save removes,
before it writes, the stale temporaries of *the same target* in that folder, owned by the
same user, where stale means:

* written on this host by a process that no longer exists; or
* last modified more than :data:`STALE_AFTER` seconds ago (24 hours) and written on
  another host (a folder shared over the network, where a pid cannot be checked).

A temporary whose process is alive on this host is never removed, however old (a reused
pid keeps a leftover until that process ends). A ``.old`` folder is removed only when the
target exists, since between the two renames of a folder swap it is the last good copy.
Where a pid cannot be checked (Windows), only the age rule for other hosts applies.
"""
import contextlib
import functools
import os
import re
import secrets
import shutil
import socket
import stat
import time
import zlib

#: What marks a temporary name (between the target's name and the host tag).
PARTIAL_TAG = ".cornu-partial-"
#: Seconds after which a temporary written on another host counts as stale.
STALE_AFTER = 24 * 3600


@functools.lru_cache(maxsize=1)
def _host_tag():
    return f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFFFFFF:08x}"


def partial_path(filepath):
    """A fresh temporary name beside ``filepath`` (nothing is created)."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    name = (f".{os.path.basename(filepath)}{PARTIAL_TAG}{_host_tag()}-{os.getpid()}-"
            f"{secrets.token_hex(4)}")
    return os.path.join(directory, name)


def _pid_alive(pid):
    if os.name != "posix" or pid <= 0:
        return True  # cannot tell (os.kill would end the process on Windows): keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def remove_stale_partials(filepath):
    """Remove the stale temporaries of ``filepath`` (the rule is in the module docstring).

    Returns the paths removed. Never raises: an entry that cannot be removed stays.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    prefix = "." + os.path.basename(filepath) + PARTIAL_TAG
    pattern = re.compile(re.escape(prefix) + r"([0-9a-f]{8})-([0-9]+)-[0-9a-f]+(\.old)?")
    removed = []
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(prefix)]
    except OSError:
        return removed
    target_exists = os.path.lexists(filepath)
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        host, pid, old = match.group(1), int(match.group(2)), match.group(3)
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            continue
        if old and not target_exists:
            continue
        if host == _host_tag():
            stale = pid != os.getpid() and not _pid_alive(pid)
        else:
            stale = time.time() - st.st_mtime > STALE_AFTER
        if not stale:
            continue
        try:
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(entry.path)
            else:
                os.remove(entry.path)
        except OSError:
            continue
        removed.append(entry.path)
    return removed


def fsync_directory(directory):
    """fsync a folder, so that a rename inside it survives a power cut.

    A no-op where a folder cannot be opened or synced (Windows, some network filesystems).
    """
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _kept_mode(filepath, is_dir):
    """The permission bits of the file ``filepath`` replaces, or None for a new one."""
    try:
        st = os.lstat(filepath)
    except OSError:
        return None
    if (stat.S_ISDIR(st.st_mode) if is_dir else stat.S_ISREG(st.st_mode)):
        return stat.S_IMODE(st.st_mode) & 0o777
    return None


def _create_partial(filepath, is_dir):
    """Create a temporary beside ``filepath``; returns ``(path, final permission bits)``."""
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    remove_stale_partials(filepath)
    kept = _kept_mode(filepath, is_dir)
    for _ in range(100):
        tmp = partial_path(filepath)
        try:
            if is_dir:
                os.mkdir(tmp, 0o777)  # less the umask, applied by the kernel
            else:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
                os.close(os.open(tmp, flags, 0o666))
        except FileExistsError:
            continue
        mode = kept if kept is not None else stat.S_IMODE(os.lstat(tmp).st_mode)
        return tmp, mode
    raise FileExistsError(f"could not create a temporary file beside {filepath}")


def _set_mode(path, mode):
    if stat.S_IMODE(os.lstat(path).st_mode) != mode:
        os.chmod(path, mode)


def commit(tmp, filepath, mode):
    """Give ``tmp`` its permission bits, rename it over ``filepath``, sync the folder."""
    _set_mode(tmp, mode)
    os.replace(tmp, filepath)
    fsync_directory(os.path.dirname(os.path.abspath(filepath)))


@contextlib.contextmanager
def atomic_path(filepath):
    """Yield a temporary path; on success it replaces ``filepath`` in one rename.

    The temporary exists (empty) when yielded; the caller writes it by name. On success
    it is fsynced, given its permissions (see the module docstring), renamed over
    ``filepath`` and the folder is fsynced. A crash or an exception before the rename
    leaves any previous file untouched and, short of a kill, removes the temporary; the
    next save of ``filepath`` removes what a killed one left.
    """
    filepath = os.fspath(filepath)
    tmp, mode = _create_partial(filepath, is_dir=False)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        commit(tmp, filepath, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_directory(filepath, fsync_files=True):
    """Yield a fresh temporary folder; on success it takes the place of ``filepath``.

    An existing ``filepath`` (a folder or a file) is first renamed aside to
    ``<temporary>.old``, the new folder renamed into place, then the old one removed;
    a kill between the two renames leaves both copies, and the ``.old`` one is kept
    until the target exists again. An exception removes the temporary folder (and puts
    the old copy back if it was moved aside).

    Args:
        filepath: the folder to write.
        fsync_files: fsync every file of the new folder before the rename (False for
            caches that can be fetched again, e.g. an extracted dataset of many files).
    """
    filepath = os.fspath(filepath)
    staging, mode = _create_partial(filepath, is_dir=True)
    old = None
    try:
        yield staging
        if fsync_files:
            for root, _, files in os.walk(staging):
                for name in files:
                    path = os.path.join(root, name)
                    if not os.path.islink(path):
                        with open(path, "rb+") as f:
                            os.fsync(f.fileno())
        _set_mode(staging, mode)
        if os.path.lexists(filepath):
            old = staging + ".old"
            os.replace(filepath, old)
        os.replace(staging, filepath)
        fsync_directory(os.path.dirname(os.path.abspath(filepath)))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None and not os.path.lexists(filepath):
            with contextlib.suppress(OSError):
                os.replace(old, filepath)
        raise
    if old is not None:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old)
        else:
            os.remove(old)
