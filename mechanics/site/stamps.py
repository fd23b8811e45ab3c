"""Results kept in a long-lived process (build.py serve) for as long as the files they were
computed from are unchanged, told by their stat (inode, size, mtime and ctime), not their bytes.

A result is stored with its stamp: the stats of every file it was computed from, taken before
computing it (from the result's second use: see Memo). It is used again only when a new stamp is
equal, so a file written since, added to or removed from a folder the stamp lists, makes it
computed again.
"""

import os


def of_file(path):
    """What identifies a file's content without reading it; None when it is missing."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def of_tree(folder, skip=()):
    """(path, of_file) of every file under `folder` (symlinked folders followed), in a stable
    order, leaving out folders named in `skip`; () when it is missing."""
    found = []
    _scan(os.fspath(folder), skip, found)
    return tuple(found)


def _scan(folder, skip, found):
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            if entry.name not in skip:
                _scan(entry.path, skip, found)
        else:
            found.append((entry.path, of_file(entry.path)))


class Memo:
    """{key: (stamp, result)}: a result computed once for each stamp of its inputs.

    A result is kept from the second time its key is asked for: a one-shot build (build.py) asks
    for most keys once, and would only pay for the stamp, while serve asks on every rebuild."""

    def __init__(self, limit=512):
        self._known = {}
        self._limit = limit

    def get(self, key, stamp, compute):
        """compute()'s result, or the one kept for `key` when stamp() (the stamp now) equals the
        one it was kept with. A stamp of None (an input that could not be looked at) is never kept."""
        if key not in self._known:
            if len(self._known) >= self._limit:
                self._known.clear()
            self._known[key] = None
            return compute()
        now = stamp()
        known = self._known[key]
        if now is not None and known is not None and known[0] == now:
            return known[1]
        result = compute()
        if now is not None:
            self._known[key] = (now, result)
        return result
