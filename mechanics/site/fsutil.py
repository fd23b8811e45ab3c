"""Swapping a finished directory into place, so readers never see a half-written one."""

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

# Scratch directories start with this (git-ignored, skipped by the watcher and the figure list).
TEMP_PREFIX = ".site-"
_RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def _exchange(a, b):
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


@contextmanager
def locked(dest):
    """Serialize swaps into `dest`'s parent between processes (two builds at once).

    The lock is on the parent directory itself, so no lock file litters the tree.
    """
    fd = os.open(Path(dest).parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def staging_dir(dest):
    """A fresh empty directory next to `dest` (same filesystem, so the swap is a rename)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f"{TEMP_PREFIX}{dest.name}-"))
    path.chmod(0o755)  # mkdtemp makes it private; a published site must be readable
    return path


def swap_in(staged, dest):
    """Replace `dest` by the directory `staged`; the old contents are deleted afterwards."""
    staged, dest = Path(staged), Path(dest)
    with locked(dest):
        if not dest.exists():
            os.rename(staged, dest)
            return
        if _exchange(staged, dest):
            shutil.rmtree(staged)
            return
        old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f"{TEMP_PREFIX}old-{dest.name}-"))
        os.rename(dest, old / "x")
        os.rename(staged, dest)
        shutil.rmtree(old)
