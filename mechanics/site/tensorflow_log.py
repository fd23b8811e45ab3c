"""Hide TensorFlow's and absl's start-up lines, so a command prints only what it has to say.

TensorFlow's C++ side writes some lines straight to file descriptor 2 while it is imported,
before absl's logging starts, whatever TF_CPP_MIN_LOG_LEVEL says (e.g. "oneDNN custom
operations are on", on CPUs where oneDNN is on or with TF_ENABLE_ONEDNN_OPTS=1). So the import
of `tensorflow` runs with descriptor 2 captured, and every captured line that is not such a
start-up line is written back: errors still show. Used by `python -m mechanics` and by the
figure runner (mechanics/site/run_figure.py); it lives here, outside the engine modules, so
that no figure's cache key depends on it.
"""

import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile
from contextlib import contextmanager

# absl's notice, and info/warning records in absl's C++ format (I0000 00:00:17.. 123 port.cc:153] ...).
_START_UP_LINE = re.compile(r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                            r"|[IW]\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w.]+:\d+\] .*")


def quiet_tensorflow():
    """Hide TensorFlow's start-up lines (C++ and absl logs, Python deprecation warnings) from
    this process; call it before anything imports TensorFlow. Errors still show."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())


def kept_lines(text):
    """The lines of captured output that are not TensorFlow's start-up lines."""
    return "".join(line for line in text.splitlines(keepends=True) if not _START_UP_LINE.fullmatch(line.rstrip("\n")))


@contextmanager
def _filtered_stderr():
    """Capture file descriptor 2 (C++ and Python writes alike); write back what kept_lines keeps."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            sys.stderr.write(kept_lines(capture.read().decode(errors="replace")))
            sys.stderr.flush()


class _QuietImport(importlib.abc.MetaPathFinder):
    """Runs the first import of `tensorflow` (whoever asks for it, whenever) inside _filtered_stderr."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finder does the finding
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with _filtered_stderr():
            self.loader.exec_module(module)
