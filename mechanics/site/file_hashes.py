"""The sha256 of files, remembered across processes by what identifies their content without
reading it, so a build does not re-read the megabytes of figure assets that have not changed.

A file's hash is kept in the user's cache folder with its stamps.of_file (inode, size, mtime and
ctime): a write to the file changes its mtime and ctime (and setting the mtime back still changes
the ctime), so a changed file is read again. New hashes are saved when the process ends, and the
entries of files that no longer exist (a figure's scratch folder, a removed project) are dropped
then.
Without a usable cache folder every file is read, as before.
"""

import atexit
import hashlib
import json
import os
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.site import stamps
from mechanics.site.folders import usable_cache_dir
from mechanics.storage import write_atomic


def sha256(path):
    """The file's sha256 (hex); from the store when its stat is the one recorded with it."""
    return _STORE.sha256(os.fspath(path))


class _Store:
    """{path: [inode, size, mtime_ns, ctime_ns, sha256]}, read from the cache folder when first used."""

    def __init__(self):
        self._known = None
        self._path = None  # where it was read from, and is saved to
        self._changed = False

    def sha256(self, path):
        identity = stamps.of_file(path)
        if identity is None:
            raise FileNotFoundError(path)
        identity = list(identity)  # as JSON keeps it
        known = self._read()
        entry = known.get(path)
        if not isinstance(entry, list) or entry[:4] != identity:
            entry = known[path] = identity + [hashlib.sha256(Path(path).read_bytes()).hexdigest()]
            if not self._changed:
                self._changed = True
                atexit.register(self._save)
        return entry[4]

    def _save(self):
        if self._path is None:
            return  # no usable cache folder: the files are read again next time
        kept = {path: entry for path, entry in self._known.items() if os.path.exists(path)}
        try:
            write_atomic(self._path, json.dumps(kept).encode())
        except OSError:
            pass  # the cache folder went away: the same

    def _read(self):
        if self._known is None:
            known = {}
            try:
                self._path = usable_cache_dir("for the hashes of figure assets") / "file-hashes.json"
                known = json.loads(self._path.read_text(encoding="utf-8"))
            except (BadInput, OSError, ValueError):
                pass
            self._known = known if isinstance(known, dict) else {}
        return self._known


_STORE = _Store()
