"""Errors of the site builder: one line naming the file and line (or the figure) at fault."""

from pathlib import Path

from mechanics.errors import BadInput


def display_path(path):
    """A path as the user typed it: relative to the working directory when it lies below it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class SourceError(BadInput):
    """Bad input at a known place in a source file; str() is `file:line: message`."""

    def __init__(self, path, line, message):
        self.path, self.line, self.message = Path(path), line, message
        where = display_path(path) if line is None else f"{display_path(path)}:{line}"
        super().__init__(f"{where}: {message}")


class FigureError(BadInput):
    """A figure failed to generate or validate; str() names the figure."""

    def __init__(self, name, message):
        self.name = name
        super().__init__(f"figure {name!r}: {message}")
