"""Which folders the build may read and replace: the project root, the output, the cache.

The output folder belongs to the build only if the build made it: a previous build leaves
MARKER in it. A missing or empty folder may be claimed; anything else is refused, and so are
the project root, the source folders and their ancestors, whatever they hold.
"""

import os
import tempfile

from mechanics.errors import BadInput
from mechanics.site.errors import display_path

MARKER = ".neuron-mechanics-site"
MARKER_TEXT = "This folder is made by build.py (Neuron Mechanics) and replaced by every build.\n"
SOURCE_FOLDERS = ("article", "figures_src", "assets", ".git")


def check_root(root):
    """The project root must be an existing folder."""
    if not root.exists():
        raise BadInput(f"--root {display_path(root)}: no such folder; give the project folder (the one holding article/)")
    if not root.is_dir():
        raise BadInput(f"--root {display_path(root)} is a file, not a folder; give the project folder (the one holding article/)")


def check_output(out, root):
    """Refuse an output folder the build may not replace, saying why; `out` and `root` are resolved."""
    where = f"output folder {display_path(out)}"
    if out.exists() and not out.is_dir():
        raise BadInput(f"{where} is a file; give a folder path with --out (it is replaced by each build)")
    if out == root or root.is_relative_to(out):
        raise BadInput(f"{where} holds the project itself; give a folder of its own with --out, e.g. {display_path(root / '_site')}")
    for name in SOURCE_FOLDERS:
        source = root / name
        if out.is_relative_to(source):
            raise BadInput(f"{where} is inside the source folder {display_path(source)}; give a folder outside the sources with --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise BadInput(f"{where} is not empty and was not made by build.py (it has no {MARKER}); "
                       "the build replaces its output, so give a new or empty folder with --out")
    check_writable(out.parent, f"the folder holding {where}")


def check_writable(folder, what):
    """`folder` (or, if missing, its nearest existing ancestor, where it would be made) is a
    folder this process can write into."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"{what}: {display_path(existing)} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(f"{what}: {display_path(existing)} is not writable")


def usable_cache_dir(purpose):
    """The engine's cache folder ($XDG_CACHE_HOME/neuron-mechanics), made if missing, once a file
    could be created in it; else one line naming the folder, the reason and what to set. The
    engine writes model graphs, downloads and work items there, so a command that needs it
    checks it before any TensorFlow."""
    from mechanics.storage import cache_dir

    try:
        folder = cache_dir()
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise BadInput(f"cannot use the cache folder {display_path(error.filename or folder)} {purpose} "
                       f"({error.strerror}); set XDG_CACHE_HOME to a writable folder") from None
    return folder
