"""What each file of the built site was made from, so the next build links it from the previous
site instead of copying or rendering it again.

The record is kept in the user's cache folder, one per output folder (the site itself stays the
same bytes from build to build), as {path in the site: [source, copy]}: `source` is what the file
was made from (a copied file's inode, size and mtime, or the digest of a rendered page's inputs),
`copy` the built file's own. A file is linked only when both still hold, so a source changed
since, or a built file edited by hand, is made again. A record that is missing, unreadable or
another build's (two builds at once) only means fewer files are linked.

It also keeps the whole site's: the digest of the build's inputs (builder._inputs_digest), the
BibTeX file it read, its report, and every file the site held once it was in place. A build with
the same inputs, whose site still holds exactly those files unchanged, keeps the site as it is.
"""

import hashlib
import json
import os
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.site.folders import usable_cache_dir
from mechanics.storage import write_atomic


def file_stat(path):
    """What identifies a file's content without reading it: (inode, size, mtime_ns)."""
    stat = os.stat(path)
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


class SiteRecord:
    """The previous site's record (read once), and this build's (written with save())."""

    def __init__(self, site):
        self.previous = Path(site)
        try:
            record = json.loads(_record_path(self.previous).read_text(encoding="utf-8"))
        except (BadInput, OSError, ValueError):
            record = {}
        record = record if isinstance(record, dict) else {}
        self.before = record.get("files") if isinstance(record.get("files"), dict) else {}
        self.before_site = record.get("site") if isinstance(record.get("site"), dict) else {}
        self.files = {}

    def bibliography(self):
        """The BibTeX file the build that made the site in place read, if it is recorded."""
        recorded = self.before_site.get("bibliography")
        return Path(recorded) if isinstance(recorded, str) else None

    def report(self, inputs):
        """The report of the build that made the site in place, if it was made from `inputs` and
        the site still holds exactly the files it left, unchanged; else None. The site is looked
        at only when the inputs are the same (a rebuild after an edit does not list it)."""
        if self.before_site.get("inputs") != inputs or "report" not in self.before_site:
            return None
        try:
            if _site_files(self.previous) == self.before_site.get("files"):
                return self.before_site["report"]
        except OSError:
            pass
        return None

    def link(self, rel, source, target):
        """Hard-link the previous site's `rel` to `target` if it was made from `source` and is
        unchanged since; whether it was."""
        rel = Path(rel).as_posix()
        entry = self.before.get(rel)
        if not isinstance(entry, list) or len(entry) != 2 or entry[0] != source:
            return False
        try:
            if file_stat(self.previous / rel) != entry[1]:
                return False
            os.link(self.previous / rel, target)
        except OSError:
            return False  # the previous site changed under us: make it again
        self.files[rel] = entry
        return True

    def made(self, rel, source, target):
        """Record that `target` (the site's `rel`) was made from `source`."""
        self.files[Path(rel).as_posix()] = [source, file_stat(target)]

    def save(self, inputs, bibliography, report):
        """Keep this build's record, once its site has replaced the previous one: `inputs` (the
        digest it was made from), the BibTeX file it read and its report (JSON)."""
        site = {"inputs": inputs, "bibliography": str(bibliography), "report": report, "files": _site_files(self.previous)}
        try:
            write_atomic(_record_path(self.previous), json.dumps({"files": self.files, "site": site}, sort_keys=True).encode())
        except (BadInput, OSError):
            pass  # no usable cache folder: the next build copies everything


def _site_files(site):
    """{path in the site: file_stat} of every file the site holds."""
    files = {}
    top = os.path.join(site, "")
    for folder, _, names in os.walk(top):
        for name in names:
            path = os.path.join(folder, name)
            files[path[len(top):]] = file_stat(path)  # what os.path.relpath gives, at a tenth of the cost
    return files


def _record_path(site):
    folder = usable_cache_dir("for the record of the built site") / "sites"
    folder.mkdir(exist_ok=True)
    return folder / (hashlib.sha256(str(site.resolve()).encode()).hexdigest()[:16] + ".json")
