"""Scratch folders and swapping a finished one into place, so readers never see a half-written one.

Every scratch folder is created, locked (flock) and swept under a lock on its parent folder:
a folder whose creator died (Ctrl-C, SIGTERM, kill -9) is unlocked, so the next run removes it,
while the folders of a run still going stay locked and are left alone.
"""

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

# Scratch folders start with this (git-ignored, skipped by the watcher and the figure list).
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
def locked(folder):
    """Serialize scratch folders and swaps in `folder` between processes (two builds at once).

    The lock is on the folder itself, so no lock file litters the tree.
    """
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def sweep(folder, made_for=None):
    """Remove the scratch folders in `folder` left by runs that died, skipping those in use;
    only those made for the destination named `made_for` when given (a folder not all ours)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    prefix = f"{TEMP_PREFIX}{made_for}-" if made_for else TEMP_PREFIX
    with locked(folder):
        for path in folder.iterdir():
            if not path.name.startswith(prefix) or not path.is_dir() or path.is_symlink():
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # its creator removed it since the listing (scratch's background removal)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its creator is alive
            else:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                os.close(fd)


@contextmanager
def scratch(dest, remove_in_background=False):
    """A fresh, locked, empty folder next to `dest` (same filesystem, so a swap is a rename);
    removed with whatever it holds (after a swap: the old contents of `dest`) on exit, or just
    after in a background thread, and by sweep() if this process dies first."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with locked(dest.parent):
        path = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f"{TEMP_PREFIX}{dest.name}-"))
        fd = os.open(path, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)

    def remove():
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)

    try:
        yield path
    finally:
        if remove_in_background:
            threading.Thread(target=remove, daemon=True).start()
        else:
            remove()


def new_dir(path):
    """Create a folder readable by a static host (mkdtemp's are private)."""
    path = Path(path)
    path.mkdir()
    path.chmod(0o755)
    return path


def swap_in(staged, dest):
    """Replace `dest` by the directory `staged`, a folder inside a scratch() folder; the old
    contents of `dest` end up in that scratch folder, which removes them."""
    staged, dest = Path(staged), Path(dest)
    with locked(dest.parent):
        if not dest.exists():
            os.rename(staged, dest)
        elif not _exchange(staged, dest):
            os.rename(dest, staged.parent / f"old-{dest.name}")
            os.rename(staged, dest)
