"""Figure scripts, their cache keys, and regenerating stale assets in a child process.

A figure's assets live in assets/figures/<name>/ next to a manifest.json holding the cache key
they were made with. The key hashes everything that decides the output: the script source,
the engine (version and module sources), the parameters, the model weights' id, the input
images' hashes, and whether it was a quick draft.
"""

import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import mechanics
from mechanics.errors import BadInput
from mechanics.figure_spec import FigureSpec
from mechanics.inputs import image_id, weights_id
from mechanics.site.errors import FigureError, SourceError
from mechanics.site.fsutil import TEMP_PREFIX, staging_dir, swap_in
from mechanics.storage import write_atomic

MANIFEST = "manifest.json"
# Exit status of run_figure when make() raised WeightsUnavailable: the build goes on without it.
EXIT_WEIGHTS_UNAVAILABLE = 3


@dataclass(frozen=True)
class Figure:
    spec: FigureSpec
    script: Path
    assets: Path

    @property
    def name(self):
        return self.spec.name

    def manifest(self):
        try:
            return json.loads((self.assets / MANIFEST).read_text())
        except (OSError, ValueError):
            return None


def load_script(path):
    """Execute a figure script's top level (cheap by contract) and return its module."""
    module_spec = importlib.util.spec_from_file_location(f"figures_src.{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as error:
        raise SourceError(path, error.lineno, f"syntax error: {error.msg}") from None
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
        line = frames[-1].lineno if frames else None
        raise SourceError(path, line, f"{type(error).__name__}: {error}") from None
    return module


def discover(project):
    """Every figure script in figures_src/, by name."""
    figures = {}
    for script in sorted(project.figures_src.glob("*.py")):
        if script.name.startswith(("_", ".")):
            continue
        spec = getattr(load_script(script), "FIGURE", None)
        if not isinstance(spec, FigureSpec):
            raise SourceError(script, None, "a figure script must define FIGURE = FigureSpec(...)")
        if spec.name != script.stem:
            raise SourceError(script, None, f"FIGURE.name is {spec.name!r} but must equal the file name {script.stem!r}")
        figures[spec.name] = Figure(spec=spec, script=script, assets=project.figure_assets / spec.name)
    return figures


@cache
def engine_fingerprint():
    """mechanics.__version__ plus the hash of every engine module that exists."""
    digest = hashlib.sha256(mechanics.__version__.encode())
    package = Path(mechanics.__file__).parent
    for module in mechanics.ENGINE_MODULES:
        path = package / module
        if path.is_file():
            digest.update(module.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def inputs(figure, root):
    """What the figure is computed from, as recorded in its manifest."""
    spec = figure.spec
    images = {}
    for ref in spec.images:
        path_ref = ref if ref.startswith("skimage:") or Path(ref).is_absolute() else str(root / ref)
        images[ref] = image_id(path_ref)
    try:
        weights = weights_id(spec.model)
    except BadInput as error:
        raise FigureError(figure.name, str(error)) from None
    return {
        "script": hashlib.sha256(figure.script.read_bytes()).hexdigest()[:16],
        "engine": engine_fingerprint(),
        "params": spec.params,
        "model": spec.model,
        "weights": weights,
        "images": images,
    }


def cache_key(figure_inputs, quick):
    payload = json.dumps({**figure_inputs, "quick": quick}, sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()


def status(figure, root, quick=False):
    """'fresh', 'quick' (draft assets, stale for a full build), 'stale', 'missing', or
    'unavailable' (its model's weights could not be had for exactly these inputs)."""
    manifest = figure.manifest()
    if manifest is not None and "unavailable" in manifest:
        return "unavailable" if manifest.get("key") == cache_key(inputs(figure, root), quick) else "missing"
    if manifest is None or not (figure.assets / "figure.json").is_file():
        return "missing"
    figure_inputs = inputs(figure, root)
    if manifest.get("key") == cache_key(figure_inputs, quick=False):
        return "fresh"
    if manifest.get("key") == cache_key(figure_inputs, quick=True):
        return "fresh" if quick else "quick"
    return "stale"


def validate(name, figure_dir):
    """The parsed figure.json, checked against the asset contract (mechanics/contract.py)."""
    try:
        contract = importlib.import_module("mechanics.contract")
    except ModuleNotFoundError as error:
        if error.name != "mechanics.contract":
            raise
        # Until the contract validator lands, check only what the build itself reads.
        try:
            data = json.loads((figure_dir / "figure.json").read_text())
        except (OSError, ValueError) as error:
            raise FigureError(name, f"unreadable figure.json: {error}") from None
        for field in ("kind", "summary"):
            if not isinstance(data.get(field), str):
                raise FigureError(name, f"figure.json needs a text field {field!r}")
        return data
    return contract.validate_figure(name, figure_dir)


def regenerate(figure, project, quick):
    """Run the figure's make() in a child process and swap its assets in on success.

    Returns None, or the message of WeightsUnavailable when the model cannot be had here.
    On any failure or interrupt the old assets stay as they were.
    """
    from tqdm import tqdm  # only needed when a figure is actually made

    figure_inputs = inputs(figure, project.root)
    staging = staging_dir(figure.assets)
    error_fd, error_file = tempfile.mkstemp(prefix="figure-error-", suffix=".json")
    os.close(error_fd)
    command = [sys.executable, "-m", "mechanics.site.run_figure", str(figure.script), str(staging),
               "--error-file", error_file] + (["--quick"] if quick else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(mechanics.__file__).parent.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    started = time.monotonic()
    try:
        # The child inherits stdout/stderr, so the engine's own tqdm bars stream straight through.
        child = subprocess.Popen(command, cwd=project.root, env=env)
        bar_format = "{desc}: {elapsed}{postfix}"
        with tqdm(desc=f"figure {figure.name}" + (" (quick)" if quick else ""), bar_format=bar_format) as bar:
            try:
                while True:
                    try:
                        returncode = child.wait(timeout=0.5)
                        break
                    except subprocess.TimeoutExpired:
                        bar.refresh()
            except KeyboardInterrupt:
                child.terminate()
                child.wait()
                raise
            bar.set_postfix_str("done" if returncode == 0 else "failed", refresh=False)
        if returncode != 0:
            failure = _read_failure(error_file)
            if returncode == EXIT_WEIGHTS_UNAVAILABLE:
                _record_unavailable(figure, cache_key(figure_inputs, quick), failure)
                return failure
            raise FigureError(figure.name, f"make() failed: {failure}; old assets kept")
        validate(figure.name, staging)
        asset_bytes = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
        manifest = {
            "key": cache_key(figure_inputs, quick),
            "quick": quick,
            "duration_s": round(time.monotonic() - started, 2),
            "asset_bytes": asset_bytes,
            "inputs": figure_inputs,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=repr) + "\n")
        swap_in(staging, figure.assets)
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.unlink(error_file)


def _record_unavailable(figure, key, message):
    """Remember, for these inputs, that the weights could not be had, so a build does not retry
    (and reach for the network) until the inputs change, e.g. a local weights file is named.
    Assets made earlier, where the weights were available, are kept as they are."""
    if (figure.assets / "figure.json").is_file():
        return
    figure.assets.mkdir(parents=True, exist_ok=True)
    manifest = {"key": key, "unavailable": message}
    write_atomic(figure.assets / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())


def unavailable_message(figure):
    return (figure.manifest() or {}).get("unavailable")


def _read_failure(error_file):
    try:
        return json.loads(Path(error_file).read_text())["message"]
    except (OSError, ValueError, KeyError):
        return "the figure process died without a message"


def refresh(figures, project, quick=False, force=False):
    """Regenerate the stale or missing figures among `figures`; {name: message} of unavailable ones."""
    unavailable = {}
    for figure in figures:
        state = status(figure, project.root, quick)
        if state == "unavailable" and not force:
            unavailable[figure.name] = unavailable_message(figure)
        elif force or state != "fresh":
            message = regenerate(figure, project, quick)
            if message is not None:
                print(f"figure {figure.name!r} skipped: {message}", file=sys.stderr)
                unavailable[figure.name] = message
    return unavailable


def is_scratch(path):
    return any(part.startswith(TEMP_PREFIX) for part in Path(path).parts)
