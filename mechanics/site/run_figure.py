"""Child process that makes one figure: its kind's recipe(out_dir, figure, quick), or the
script's own make(out_dir, quick).

Run by the figure cache as `python -m mechanics.site.run_figure SCRIPT OUT_DIR --error-file F
--modules-file M --parent-pid PID [--workers N] [--ray-address ADDRESS] [--verbose]`, so the engine's
TensorFlow state never enters the build process. --workers and --ray-address are passed on as
`workers=` and `ray_address=` (to a kind that runs on Ray; build.py refuses them for any other).
On success it writes to M the engine modules the figure imported, with their source hashes; on
failure it writes {"message": ...} to F and exits non-zero (3 for WeightsUnavailable). It dies with
its parent, even when the parent is killed with SIGKILL (Linux parent-death signal).
"""

import argparse
import ctypes
import importlib
import json
import os
import signal
import sys
import traceback
from pathlib import Path

from mechanics.errors import WeightsUnavailable
from mechanics.site import figure_params
from mechanics.site.figure_cache import EXIT_WEIGHTS_UNAVAILABLE, custom_make, load_script, loaded_engine_modules
from mechanics.site.tensorflow_log import quiet_tensorflow

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid):
    """Ask Linux to kill this process when its parent dies; exit now if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl: no signal will come
        sys.exit(1)


def _where(error, script):
    """file:line of the innermost frame in the figure script (else the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if Path(f.filename) == script] or frames
    return f"{own[-1].filename}:{own[-1].lineno}" if own else str(script)


def recipe(kind):
    """The function that makes a figure of `kind` (figure_params: its `recipe`, "module:function")."""
    module_name, function = figure_params.KINDS[kind].recipe.split(":")
    return getattr(importlib.import_module(module_name), function)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("script", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--error-file", type=Path, required=True)
    parser.add_argument("--modules-file", type=Path, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--ray-address")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's and absl's log lines")
    args = parser.parse_args(argv)
    die_with_parent(args.parent_pid)
    if not args.verbose:  # TensorFlow's start-up lines say nothing about the figure; its errors still show
        quiet_tensorflow()
    script = args.script.resolve()
    try:
        ray_options = {k: v for k, v in (("workers", args.workers), ("ray_address", args.ray_address)) if v is not None}
        module = load_script(script)
        make = custom_make(module)
        if make is not None:  # a custom figure
            make(args.out_dir, args.quick, **ray_options)
        else:
            recipe(module.FIGURE.kind)(args.out_dir, module.FIGURE, args.quick, **ray_options)
    except KeyboardInterrupt:
        return 130
    except WeightsUnavailable as error:
        args.error_file.write_text(json.dumps({"message": str(error)}))
        return EXIT_WEIGHTS_UNAVAILABLE
    except Exception as error:
        message = f"{type(error).__name__}: {error} ({_where(error, script)})"
        args.error_file.write_text(json.dumps({"message": message}))
        return 1
    args.modules_file.write_text(json.dumps(loaded_engine_modules()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
