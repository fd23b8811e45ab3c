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


def read_source(path, what):
    """The text of a source file; a missing file or bytes that are not UTF-8 are a SourceError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(path, None, f"cannot read {what}: {error.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise SourceError(path, line, f"{what} is not UTF-8 text (byte 0x{data[error.start]:02x} at column {column}); "
                          "save it as UTF-8") from None


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM, carrying what was kept (a BaseException, as KeyboardInterrupt is, so no
    `except Exception` swallows it)."""

    def __init__(self, signal_name, kept="the site and the figure assets are as they were"):
        self.signal_name, self.kept = signal_name, kept
        super().__init__(f"interrupted ({signal_name}): {kept}")

    @property
    def exit_status(self):
        return 130 if self.signal_name == "Ctrl-C" else 143
