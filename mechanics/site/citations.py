"""Citations from a BibTeX file (parsed and formatted by pybtex), numbered by first use."""

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from pybtex.backends.html import Backend
from pybtex.database.input.bibtex import Parser
from pybtex.exceptions import PybtexError
from pybtex.style.formatting.unsrt import Style
from pybtex.style.labels.number import LabelStyle
from pybtex.style.names.plain import NameStyle
from pybtex.style.sorting.none import SortingStyle

from mechanics.site import links
from mechanics.site.errors import SourceError, read_source


@dataclass(frozen=True)
class Reference:
    key: str
    number: int
    html: str  # pybtex's HTML rendering of the entry (its own escaping)


class Bibliography:
    def __init__(self, path):
        self.path = path
        self.text = read_source(path, "the bibliography")
        try:
            self.entries = _parse(self.text)
        except PybtexError as error:
            raise SourceError(path, self._error_line(error), f"broken BibTeX: {_reason(error)}") from None
        self.numbers = {}  # key -> number, in order of first citation

    def cite(self, key, path, line):
        """The number of `key`, given at its first citation."""
        if key not in self.entries:
            raise SourceError(path, line, f"unknown citation key {key!r} (not in {self.path.name})")
        return self.numbers.setdefault(key, len(self.numbers) + 1)

    def references(self):
        """The cited entries in citation order, formatted with pybtex's 'unsrt' style."""
        try:
            return list(_format(self.text, tuple(self.numbers)))
        except _BrokenEntry as broken:
            raise SourceError(self.path, self.entry_line(broken.key), f"broken entry {broken.key!r}: {broken.reason}") from None

    def entry_line(self, key):
        match = re.search(r"@\w+\s*[{(]\s*" + re.escape(key) + r"\s*,", self.text)
        return self.text.count("\n", 0, match.start()) + 1 if match else None

    def _error_line(self, error):
        if getattr(error, "lineno", None):
            return error.lineno
        repeated = re.match(r"repeated bibliography entry: (\S+)", str(error))
        if repeated:  # point at the second definition
            starts = [m.start() for m in re.finditer(r"@\w+\s*[{(]\s*" + re.escape(repeated.group(1)) + r"\s*,", self.text)]
            if len(starts) > 1:
                return self.text.count("\n", 0, starts[1]) + 1
        return None


class _BrokenEntry(Exception):
    def __init__(self, key, reason):
        self.key, self.reason = key, reason


# Parsing and formatting depend only on the file's text and the cited keys: a preview rebuild
# after an edit that cites nothing new reuses both (pybtex's formatting is most of a build).
# pybtex's classes are named, not looked up by name: a lookup scans every installed package's
# entry points, each time.
@lru_cache(maxsize=8)
def _parse(text):
    return Parser().parse_string(text).entries


@lru_cache(maxsize=32)
def _format(text, keys):
    style = Style(label_style=LabelStyle, name_style=NameStyle, sorting_style=SortingStyle)
    backend = Backend()
    entries = _parse(text)
    result = []
    try:
        for number, entry in enumerate(style.format_entries([entries[key] for key in keys]), start=1):
            result.append(Reference(key=entry.key, number=number, html=_safe_links(entry.key, entry.text.render(backend))))
    except PybtexError as error:
        raise _BrokenEntry(keys[len(result)], _reason(error)) from None
    return tuple(result)


def _safe_links(key, rendered):
    """The entry's HTML with every link checked (mechanics.site.links); a URL that may not be a
    link (javascript:, data:, ...) breaks the entry."""
    def check(match):
        url = links.safe_url(html.unescape(match.group(1)))
        if url is None:
            raise _BrokenEntry(key, f"its URL {html.unescape(match.group(1))!r} may not be a link: give {links.ALLOWED}")
        return f'href="{html.escape(url)}"'
    return re.sub(r'href="([^"]*)"', check, rendered)


def _reason(error):
    return re.sub(r"^syntax error in line \d+: ", "", str(error))
