"""Figure scripts, their cache keys, and regenerating stale assets in a child process.

A figure's assets live in assets/figures/<name>/ next to a manifest.json holding the cache key
they were made with and the sha256 of every asset file. The key hashes everything that decides
the output: the script source, the parameters, the model weights' id, the input images' hashes,
the recorded file hashes of the figures it reads (params.atlases, e.g. the trends figure), and
whether it was a quick draft. The manifest also records the source hash of every engine
module that make() imported (mechanics.*, not the site builder): editing one of those makes the
figure stale, while a module it never imported (another figure's recipe, the atlas) does not. Assets whose files
no longer match their hashes, or whose manifest is unreadable, are 'corrupt' and regenerated like
stale ones. Manifests written before hashes were recorded have no "files": their assets count
as fresh, unverified, until the figure is next made.

An atlas (kind "atlas", mechanics/atlas.py) is a figure like the others here, but a build only
regenerates it when it is named (build.py figures NAME): its work items take tens of minutes and
are cached one by one, so atlas_progress() can say how far it got.
"""

import enum
import functools
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import mechanics
from mechanics.errors import BadInput
from mechanics.figure_spec import FigureSpec
from mechanics import inputs as model_inputs
from mechanics.inputs import image_id, weights_id
from mechanics.site import file_hashes, figure_params, stamps
from mechanics.site.errors import FigureError, Interrupted, SourceError, read_source
from mechanics.site.folders import usable_cache_dir
from mechanics.site.fsutil import TEMP_PREFIX, new_dir, scratch, swap_in, sweep

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

    @property
    def runs_on_ray(self):
        """Whether its kind takes workers= and ray_address= (an atlas's does)."""
        return figure_params.KINDS[self.spec.kind].ray

    @property
    def is_atlas(self):
        """An atlas (kind "atlas") is made only when named: it takes tens of minutes, resumably."""
        return self.spec.kind == "atlas"

    def manifest(self):
        """The manifest, or None if it is missing, unreadable or not of the documented shape."""
        try:
            data = json.loads((self.assets / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if _is_manifest(data) else None


def _is_manifest(data):
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        return False
    if "unavailable" in data:
        return isinstance(data["unavailable"], str)

    def number(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    files = data.get("files", {})
    return (isinstance(data.get("quick"), bool) and number(data.get("duration_s")) and number(data.get("asset_bytes"))
            and isinstance(data.get("inputs"), dict)
            and isinstance(files, dict) and all(isinstance(v, str) for v in files.values()))


_asset_files = stamps.Memo()  # folder -> its asset files' hashes, while no file in it changes


def asset_files(folder):
    """{relative path: sha256} of a figure's asset files (not the manifest, not hidden files). An
    unchanged file is not read again (file_hashes), in this process or the next, and an unchanged
    folder is not listed again in this process (stamps)."""
    return dict(_asset_files.get(str(folder), lambda: stamps.of_tree(folder), lambda: _hashed_files(folder)))


def _hashed_files(folder):
    found = {}
    for parent, subfolders, names in os.walk(folder, followlinks=True):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        for name in names:
            path = os.path.join(parent, name)
            if name != MANIFEST and not name.startswith(".") and os.path.isfile(path):
                found[Path(os.path.relpath(path, folder)).as_posix()] = path
    return {rel: file_hashes.sha256(found[rel]) for rel in sorted(found)}


def load_script(path):
    """Execute a figure script's top level (cheap by contract) and return its module."""
    read_source(path, "the figure script")  # bytes that are not UTF-8: a clear error, not Python's
    module_spec = importlib.util.spec_from_file_location(f"figures_src.{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        exec(_compiled(path.read_bytes(), str(path)), module.__dict__)
    except SyntaxError as error:
        raise SourceError(path, error.lineno, f"syntax error: {error.msg}") from None
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
        line = frames[-1].lineno if frames else None
        raise SourceError(path, line, f"{type(error).__name__}: {error}") from None
    return module


def custom_make(module):
    """The script's own make(out_dir, quick), which a custom figure defines; None otherwise."""
    make = getattr(module, "make", None)
    return make if callable(make) else None


@functools.lru_cache(maxsize=256)
def _compiled(source, filename):
    """A script's code, compiled once per content in this process (as its loader would, but serve
    loads every script on every rebuild, and no .pyc may be written)."""
    return compile(source, filename, "exec", dont_inherit=True)


def natural_key(name):
    """Sort key: numbers in a name compare as numbers (block8 before block10)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def discover(project):
    """Every figure script in figures_src/, by name (numbers in names in numeric order).
    Every command that reads assets/figures/ starts here, so scratch folders left there by a
    run that died (kill -9) are removed here, those of a live run left alone (fsutil.sweep)."""
    sweep(project.figure_assets)
    figures = {}
    for script in sorted(project.figures_src.glob("*.py"), key=lambda script: natural_key(script.name)):
        if script.name.startswith(("_", ".")):
            continue
        module = load_script(script)
        spec = getattr(module, "FIGURE", None)
        if not isinstance(spec, FigureSpec):
            raise SourceError(script, None, "a figure script must define FIGURE = FigureSpec(...)")
        if spec.name != script.stem:
            raise SourceError(script, None, f"FIGURE.name is {spec.name!r} but must equal the file name {script.stem!r}")
        _check_params(spec, script)
        if figure_params.KINDS[spec.kind].recipe is None and custom_make(module) is None:
            raise SourceError(script, None, f"figure {spec.name!r}: kind {spec.kind!r} has no recipe, so the script "
                                            "must define make(out_dir, quick)")
        figures[spec.name] = Figure(spec=spec, script=script, assets=project.figure_assets / spec.name)
    return figures


def _check_params(spec, script):
    """Every problem of the figure's kind and params in one line, at the line of the first."""
    found = figure_params.problems(spec.kind, spec.params)
    if found:
        key = found[0][0]
        where = rf"\b{re.escape(key)}\s*=|[\"']{re.escape(key)}[\"']\s*:" if isinstance(key, str) else r"\bkind\s*="
        text = script.read_text(encoding="utf-8")
        match = re.search(where, text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
        raise SourceError(script, line, f"figure {spec.name!r}: " + "; ".join(message for _, message in found))


def _source_hash(path):
    try:
        return file_hashes.sha256(path)[:16]
    except OSError:
        return None


def loaded_engine_modules():
    """{path within the package: source hash} of every engine module this process imported."""
    package = Path(mechanics.__file__).resolve().parent
    files = {Path(module.__file__).resolve() for name, module in list(sys.modules.items())
             if (name == "mechanics" or name.startswith("mechanics.")) and not name.startswith("mechanics.site")
             and getattr(module, "__file__", None)}
    return {str(path.relative_to(package)): _source_hash(path) for path in sorted(files)}


def changed_engine_modules(manifest):
    """The engine modules recorded in a manifest whose source is no longer the same."""
    recorded = manifest.get("engine_modules")
    if not isinstance(recorded, dict) or not recorded:
        return ["(engine modules not recorded)"]
    package = Path(mechanics.__file__).resolve().parent
    return sorted(name for name, digest in recorded.items() if _source_hash(package / name) != digest)


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
    except OSError as error:  # the model cache: a file, or not writable
        raise FigureError(figure.name, f"cannot use {error.filename or 'the model cache'} ({error.strerror}); "
                          "set XDG_CACHE_HOME to a writable folder") from None
    figure_inputs = {
        "script": hashlib.sha256(figure.script.read_bytes()).hexdigest()[:16],
        "engine_version": mechanics.__version__,
        "params": spec.params,
        "model": spec.model,
        "weights": weights,
        "images": images,
    }
    if isinstance(spec.params.get("atlases"), list):
        figure_inputs["atlases"] = {name: _figure_files_id(figure.assets.parent / name)
                                    for name in spec.params["atlases"] if isinstance(name, str)}
    return figure_inputs


def _figure_files_id(folder):
    """The sha256 prefix of another figure's asset files as its manifest records them (None while
    it has none): a figure computed from it (params.atlases) goes stale when it changes."""
    try:
        files = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(files, dict):
        return None
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def cache_key(figure_inputs, quick):
    payload = json.dumps({**figure_inputs, "quick": quick}, sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()


class FigureStatus(enum.StrEnum):
    """Where a figure's assets stand against its inputs. A StrEnum, so it prints (and reaches the
    templates) as its value."""
    FRESH = "fresh"
    QUICK = "quick"              # draft assets (--quick): stale for a full build
    STALE = "stale"              # made from other inputs or other engine modules
    MISSING = "missing"          # never made (or recorded unavailable for other inputs)
    CORRUPT = "corrupt"          # files that differ from the manifest's hashes, or an unreadable manifest
    UNAVAILABLE = "unavailable"  # its model's weights could not be had, for exactly these inputs


_statuses = stamps.Memo()  # a figure's status, while no file it is computed from changes


def status(figure, root, quick=False):
    """The figure's FigureStatus; `quick`: draft assets count as fresh. Computed again only when
    a file it is computed from changed (_status_stamp): serve's rebuilds check every figure."""
    key = (figure.name, str(figure.assets), str(figure.script), str(root), quick)
    return _statuses.get(key, lambda: _status_stamp(figure, root), lambda: _status(figure, root, quick))


def _status_stamp(figure, root):
    """The stats of every file _status reads: the figure's assets and script, its input images,
    its model's weights, the manifests of the figures it reads (params.atlases) and the engine's
    modules; with its declaration and the environment naming the model cache. None when an input
    cannot be found (then _status says so)."""
    spec = figure.spec
    try:
        paths = [figure.script, *(_image_path(ref, root) for ref in spec.images),
                 *model_inputs.weights_files(spec.model)]
    except BadInput:
        return None
    if isinstance(spec.params.get("atlases"), list):
        paths += [figure.assets.parent / name / MANIFEST for name in spec.params["atlases"] if isinstance(name, str)]
    environment = [os.environ.get(name) for name in ("MECHANICS_INCEPTION_V1", "XDG_CACHE_HOME", "HOME")]
    return (repr(spec), stamps.of_tree(figure.assets), tuple(map(stamps.of_file, paths)),
            stamps.of_tree(Path(mechanics.__file__).parent, skip=("site", "__pycache__")), environment)


def _image_path(ref, root):
    """The file of an input image, as image_id() reads it."""
    if ref.startswith("skimage:"):
        return _bundled_image(ref)
    return model_inputs.resolve_image(ref if Path(ref).is_absolute() else str(root / ref))


@functools.cache
def _bundled_image(ref):
    return model_inputs.resolve_image(ref)  # looks for scikit-image's package: once per process


def _status(figure, root, quick):
    if not (figure.assets / MANIFEST).exists():
        return FigureStatus.MISSING
    manifest = figure.manifest()
    if manifest is None:
        return FigureStatus.CORRUPT
    if "unavailable" in manifest:
        same_inputs = manifest.get("key") == cache_key(inputs(figure, root), quick)
        return FigureStatus.UNAVAILABLE if same_inputs else FigureStatus.MISSING
    if not (figure.assets / "figure.json").is_file() or corrupt_files(figure, manifest):
        return FigureStatus.CORRUPT
    figure_inputs = inputs(figure, root)
    if changed_engine_modules(manifest):
        return FigureStatus.STALE
    if manifest.get("key") == cache_key(figure_inputs, quick=False):
        return FigureStatus.FRESH
    if manifest.get("key") == cache_key(figure_inputs, quick=True):
        return FigureStatus.FRESH if quick else FigureStatus.QUICK
    return FigureStatus.STALE


def corrupt_files(figure, manifest):
    """The asset files that differ from the manifest's hashes: changed, missing or extra."""
    if "files" not in manifest:
        return []  # made before hashes were recorded: unverified
    actual, recorded = asset_files(figure.assets), manifest["files"]
    return sorted(name for name in actual.keys() | recorded.keys() if actual.get(name) != recorded.get(name))


def corrupt_message(figure):
    manifest = figure.manifest()
    if manifest is None:
        what = f"its {MANIFEST} is unreadable or not a figure manifest"
    else:
        files = corrupt_files(figure, manifest) or ["figure.json"]
        what = f"its files differ from the hashes in its {MANIFEST}: {', '.join(files[:3])}{' ...' if len(files) > 3 else ''}"
    return f"{what}; run python build.py figures {figure.name} to regenerate it"


_figure_json = {}  # (name, folder, its files' hashes) -> (figure.json data, checked against the contract)


def validate(name, figure_dir, trust=True):
    """The parsed figure.json, checked against the asset contract (mechanics/contract.py) unless
    `trust` and the folder's files are exactly those its manifest recorded: regenerate() checks a
    figure before it records its hashes, so an unchanged figure is not read through the contract
    again on every build. A staging folder, a file changed since, or a manifest without hashes
    (made before they were recorded) is checked, once per process for each content.
    The result is shared between calls: read it, never change it."""
    files = asset_files(figure_dir)
    key = (name, str(figure_dir), tuple(files.items()))
    known = _figure_json.get(key)
    if known is None or not (trust or known[1]):
        if len(_figure_json) > 256:
            _figure_json.clear()
        data = _recorded_figure_json(figure_dir, files) if trust else None
        _figure_json[key] = (data, False) if data is not None else (_checked(name, figure_dir), True)
    return _figure_json[key][0]


def _checked(name, figure_dir):
    from mechanics import contract  # imported here: a build that trusts every figure never loads it

    return contract.validate_figure(name, figure_dir)


def _recorded_figure_json(folder, files):
    """The folder's figure.json data if its files are those its manifest recorded, else None."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
        if not _is_manifest(manifest) or manifest.get("files") != files:
            return None
        return json.loads((Path(folder) / "figure.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def regenerate(figure, project, quick, workers=None, ray_address=None, verbose=False):
    """Run the figure's make() in a child process and swap its assets in on success.

    `workers` and `ray_address` go to its recipe or make() (a kind that runs on Ray) when given;
    `verbose` shows TensorFlow's start-up lines.
    Returns None, or the message of WeightsUnavailable when the model cannot be had here.
    On any failure or interrupt the old assets stay as they were, and the child is stopped.
    """
    figure_inputs = inputs(figure, project.root)
    with scratch(figure.assets) as work:
        run = _spawn(figure, project, work, quick, workers, ray_address, verbose)
        returncode = _wait(figure, run.child, quick)
        if returncode != 0:
            failure = _read_failure(run.error_file)
            if returncode == EXIT_WEIGHTS_UNAVAILABLE:
                _record_unavailable(figure, cache_key(figure_inputs, quick), failure)
                return failure
            raise FigureError(figure.name, f"make() failed: {failure}; old assets kept")
        _install(figure, run, figure_inputs, quick)
        return None


@dataclass(frozen=True)
class _Run:
    """A figure's make() running in its child process, and where that child writes."""
    child: subprocess.Popen
    staging: Path       # the new assets
    error_file: Path    # {"message": ...} when make() failed
    modules_file: Path  # the engine modules make() imported, with their source hashes
    started: float      # time.monotonic() at the start


def _spawn(figure, project, work, quick, workers, ray_address, verbose):
    """Start mechanics.site.run_figure on the figure, writing into the scratch folder `work`."""
    staging = new_dir(work / "assets")
    error_file = work / "error.json"
    modules_file = work / "engine_modules.json"
    command = [sys.executable, "-m", "mechanics.site.run_figure", str(figure.script), str(staging),
               "--error-file", str(error_file), "--modules-file", str(modules_file),
               "--parent-pid", str(os.getpid())] + (["--quick"] if quick else [])
    command += (["--workers", str(workers)] if workers is not None else []) + (
        ["--ray-address", ray_address] if ray_address else []) + (["--verbose"] if verbose else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(mechanics.__file__).parent.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    started = time.monotonic()
    # The child inherits stdout/stderr, so the engine's own tqdm bars stream straight through.
    child = subprocess.Popen(command, cwd=project.root, env=env)
    return _Run(child, staging, error_file, modules_file, started)


def _wait(figure, child, quick):
    """The child's exit status, showing the time it takes; on any exception (Ctrl-C, SIGTERM)
    the child is stopped first."""
    from tqdm import tqdm  # only needed when a figure is actually made

    try:
        bar_format = "{desc}: {elapsed}{postfix}"
        # An atlas shows its own bar, with an ETA over its work items; two bars would fight.
        with tqdm(desc=f"figure {figure.name}" + (" (quick)" if quick else ""), bar_format=bar_format,
                  disable=figure.is_atlas) as bar:
            while True:
                try:
                    returncode = child.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    bar.refresh()
            bar.set_postfix_str("done" if returncode == 0 else "failed", refresh=False)
    except BaseException:
        _stop(child)
        raise
    return returncode


def _install(figure, run, figure_inputs, quick):
    """Check the new assets against the contract, record them in their manifest (their files'
    hashes, which let later builds trust them: see validate) and swap them in."""
    staging = run.staging
    validate(figure.name, staging)
    files = asset_files(staging)
    manifest = {
        "key": cache_key(figure_inputs, quick),
        "quick": quick,
        "duration_s": round(time.monotonic() - run.started, 2),
        "asset_bytes": sum((staging / name).stat().st_size for name in files),
        "files": files,
        "inputs": figure_inputs,
        "engine_modules": json.loads(run.modules_file.read_text()),
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=repr) + "\n")
    swap_in(staging, figure.assets)


def _stop(child):
    """Stop the figure's process (Ctrl-C reached it too, SIGTERM may not have) and wait for it."""
    child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _record_unavailable(figure, key, message):
    """Remember, for these inputs, that the weights could not be had, so a build does not retry
    (and reach for the network) until the inputs change, e.g. a local weights file is named.
    Assets made earlier, where the weights were available, are kept as they are, and so is a
    record for the same inputs (even if --force ran it again)."""
    if (figure.assets / "figure.json").is_file() or (figure.manifest() or {}).get("key") == key:
        return
    with scratch(figure.assets) as work:
        staging = new_dir(work / "assets")
        manifest = {"key": key, "unavailable": message}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        swap_in(staging, figure.assets)


def atlas_progress(figure, quick=False):
    """How far an atlas figure's work has got, e.g. '120/1008 items done', without TensorFlow."""
    from mechanics import atlas

    try:
        done, total = atlas.status(figure.spec, quick)
    except BadInput as error:
        raise FigureError(figure.name, str(error)) from None
    return f"{done}/{total} items done" if total is not None else "no items planned yet"


def unavailable_message(figure):
    return (figure.manifest() or {}).get("unavailable")


def _read_failure(error_file):
    try:
        return json.loads(Path(error_file).read_text())["message"]
    except (OSError, ValueError, KeyError, TypeError):
        return "the figure process died without a message"


def refresh(figures, project, quick=False, force=False, workers=None, ray_address=None, verbose=False):
    """Regenerate the stale, missing or corrupt figures among `figures` (from discover());
    {name: message} of unavailable ones. `workers` and `ray_address` go to every one's make():
    give them only for figures that take them."""
    unavailable, made = {}, []
    for figure in figures:
        state = status(figure, project.root, quick)
        if state == FigureStatus.UNAVAILABLE and not force:
            unavailable[figure.name] = unavailable_message(figure)
        elif force or state != FigureStatus.FRESH:
            _check_cache()
            try:
                message = regenerate(figure, project, quick, workers, ray_address, verbose)
            except KeyboardInterrupt:
                raise Interrupted("Ctrl-C", _kept(figure, made)) from None
            except Interrupted as stop:
                raise Interrupted(stop.signal_name, _kept(figure, made)) from None
            if message is not None:
                print(f"figure {figure.name!r} skipped: {message}", file=sys.stderr)
                unavailable[figure.name] = message
            else:
                made.append(figure.name)
    return unavailable


def _check_cache():
    """The engine caches model graphs in the user's cache folder: refuse to start a figure
    (and load TensorFlow) when that folder cannot be used."""
    usable_cache_dir("for the figure's model graphs")


def _kept(figure, made):
    done = f"; regenerated before it: {', '.join(made)}" if made else ""
    return f"figure {figure.name!r} was not changed (its previous assets are kept){done}; the site is as it was"


def is_scratch(path):
    return any(part.startswith(TEMP_PREFIX) for part in Path(path).parts)
