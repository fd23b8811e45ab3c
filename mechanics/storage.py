"""Where the engine keeps files, and how it writes them: atomically, through a temporary file."""

import os
import tempfile
from pathlib import Path


def cache_dir():
    """The user's cache folder for built graphs and downloads (XDG_CACHE_HOME, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "neuron-mechanics"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path, data):
    """Write bytes to `path` through a temporary file in the same folder, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
