"""Citations from a BibTeX file (parsed and formatted by pybtex), numbered by first use."""

import re
from dataclasses import dataclass

from pybtex.backends.html import Backend
from pybtex.database import parse_string
from pybtex.exceptions import PybtexError
from pybtex.plugin import find_plugin

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
            self.entries = parse_string(self.text, bib_format="bibtex").entries
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
        style = find_plugin("pybtex.style.formatting", "unsrt")()
        backend = Backend()
        cited = [self.entries[key] for key in self.numbers]
        result = []
        try:
            for number, entry in enumerate(style.format_entries(cited), start=1):
                result.append(Reference(key=entry.key, number=number, html=entry.text.render(backend)))
        except PybtexError as error:
            key = list(self.numbers)[len(result)]
            raise SourceError(self.path, self.entry_line(key), f"broken entry {key!r}: {_reason(error)}") from None
        return result

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


def _reason(error):
    return re.sub(r"^syntax error in line \d+: ", "", str(error))
