"""What the project's two command lines (build.py and python -m mechanics) share: a parser whose
usage errors are one line, integer options checked with the range to give, and one way to end.

run() ends every command the same way: bad input (BadInput, a usage error, a file the system
refused) is one line `error: ...` and exit status 2; a reader of stdout that stopped early
(`| head -1`) gets nothing more and no traceback is printed, exit status 141 (as a shell reports
a process that SIGPIPE ended).
"""

import argparse
import os
import sys

from mechanics.errors import BadInput
from mechanics.site.errors import display_path

EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are BadInput: one line, exit status 2, like every other bad input."""

    def error(self, message):
        raise BadInput(f"{message} (see {self.prog} --help)")


def integer(low, high=None, what=None, valid=None):
    """An argparse type: an integer from `low` to `high` (no limit if None). Its errors name the
    value (after `what`, e.g. "size") and say what is `valid` (default: "valid sizes are 8..2048")."""
    noun = f"{what} " if what else ""
    if valid is None:
        valid = f"valid {what}s are {low}.." + (f"{high}" if high is not None else "")

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{noun}{text!r} is not an integer: {valid}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{noun}{value} is out of range: {valid}")
        return value
    return parse


def run(command):
    """Run `command()`, which returns the exit status, and end it as every command line does."""
    try:
        try:
            status = command()
        except SystemExit as exit:  # argparse's --help, whose text is flushed below too
            status = exit.code
        sys.stdout.flush()  # here, not at exit: a reader that stopped early is caught below
        return status
    except BrokenPipeError:
        # Output to /dev/null from now on, so the interpreter's last flush fails no more (the
        # Python docs' advice for SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except BadInput as error:
        return error_line(error, EXIT_BAD_INPUT)
    except OSError as error:
        # The file system refused (disk full, permissions changed mid-run): say where, no traceback.
        where = f"cannot use {display_path(error.filename)}: " if error.filename else ""
        return error_line(f"{where}{error.strerror or error}", EXIT_BAD_INPUT)


def error_line(message, status):
    """Print the one line `error: MESSAGE` and return `status`."""
    print(f"error: {message}", file=sys.stderr)
    return status
