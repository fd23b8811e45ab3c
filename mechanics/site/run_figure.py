"""Child process that runs one figure script's make(out_dir, quick).

Run by the figure cache as `python -m mechanics.site.run_figure SCRIPT OUT_DIR --error-file F`,
so the engine's TensorFlow state never enters the build process. On failure it writes
{"message": ...} to F and exits non-zero (3 for WeightsUnavailable).
"""

import argparse
import json
import sys
import traceback
from pathlib import Path

from mechanics.errors import WeightsUnavailable
from mechanics.site.figure_cache import EXIT_WEIGHTS_UNAVAILABLE, load_script


def _where(error, script):
    """file:line of the innermost frame in the figure script (else the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if Path(f.filename) == script] or frames
    return f"{own[-1].filename}:{own[-1].lineno}" if own else str(script)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("script", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--error-file", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    script = args.script.resolve()
    try:
        load_script(script).make(args.out_dir, args.quick)
    except KeyboardInterrupt:
        return 130
    except WeightsUnavailable as error:
        args.error_file.write_text(json.dumps({"message": str(error)}))
        return EXIT_WEIGHTS_UNAVAILABLE
    except Exception as error:
        message = f"{type(error).__name__}: {error} ({_where(error, script)})"
        args.error_file.write_text(json.dumps({"message": message}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
