"""The engine's results inline in a notebook, drawn by the article's own diagrams.

    from mechanics.notebook import show, attribution, factors, atlas_entry
    show("efficientnet_lite0", "block10:101", prev="block9", at=(7, 7))   # a decomposition, rendered
    attribution("efficientnet_lite0", "skimage:chelsea.png", "block12", ["logit:285"])
    factors("efficientnet_lite0", "skimage:chelsea.png", "block12/expand:10", prev="block11", k=4)
    atlas_entry("efficientnet_lite0", "block10:101")
    figure("pointwise_factors")                                   # a committed figure of the article

Each returns a `Diagram`, which displays itself (`_repr_html_`): the component the article uses
(`article/static/components/<kind>.js` after `sprites.js`, styled by `diagrams.css`, all inline),
holding its figure.json (the contract, `mechanics.contract`) with every image as a data: URI. So
an output needs no server and nothing from the network: it works in Jupyter Lab and Notebook,
VS Code and an nbconvert HTML export. The components' scripts define each element once, so any
number of diagrams share a page. Where scripts do not run (an untrusted notebook), the output
shows the diagram's pictures as plain images.

What a diagram shows is computed by the figures' own recipes (`mechanics.recipes`), from a
FigureSpec built here, and cached under `cache_dir()/notebook/`, keyed like a figure: its
parameters, the model's weights id, the input images' hashes (`recipes.input_hash`), quick mode
and the engine's sources. Renders show tqdm's notebook progress bar inside a kernel.

`quick=True` (or MECHANICS_QUICK=1 in the kernel's environment) renders drafts (few steps,
small images), as `build.py figures --quick` does; the tests run the example notebook so.

Imported inside IPython, the module shows a `BadInput` as its one line, as the CLI does,
rather than a traceback of the engine's internals, and hides TensorFlow's start-up lines.
"""

import base64
import contextlib
import functools
import hashlib
import html
import json
import logging
import mimetypes
import os
import re
import shutil
import sys
import tempfile
import types
from pathlib import Path

import mechanics
from mechanics.errors import BadInput
from mechanics.figure_spec import FigureSpec
from mechanics.storage import cache_dir

PACKAGE = Path(mechanics.__file__).resolve().parent
COMPONENTS = PACKAGE.parent / "article" / "static" / "components"
TEMPLATES = PACKAGE.parent / "article" / "templates"
COMMITTED_FIGURES = PACKAGE.parent / "assets" / "figures"
QUICK_VARIABLE = "MECHANICS_QUICK"
# Engine sources that do not decide a result: the CLI, this module and the site builder.
_NOT_RESULTS = ("__main__.py", "notebook.py")
CAPTION_STYLE = (".nm-notebook { margin: 0 0 24px; } .nm-notebook figcaption { font: 13px/1.4 system-ui, sans-serif; "
                 "color: #6b6b6b; max-width: 704px; margin: 8px auto 0; padding: 0 24px; }")
# An atlas entry that no committed atlas holds is computed as they were (figures_src/atlas_*.py).
ATLAS_SETTINGS = {"input_size": 128, "size": 48, "steps": 64, "objective": "dot", "seed": 0}
ENTRY_FORMAT = 1  # bump when an atlas entry's figure changes shape


class Diagram:
    """A figure (its contract-valid figure.json and image files) that displays itself as the
    article's component. `fig`: the figure.json data; `folder`: where its files are."""

    def __init__(self, fig, folder):
        self.fig = fig
        self.folder = Path(folder)

    @property
    def kind(self):
        return self.fig["kind"]

    def _inline(self):
        """The figure with every file it names as a data: URI."""
        sprites = {sid: {**sprite, "file": _data_uri(self.folder / sprite["file"])}
                   for sid, sprite in self.fig["sprites"].items()}
        fig = {**self.fig, "sprites": sprites}
        if "photo" in fig:
            fig["photo"] = {**fig["photo"], "file": _data_uri(self.folder / fig["photo"]["file"])}
        return fig

    def _repr_html_(self):
        fig = self._inline()
        tag = "nm-" + self.kind.replace("_", "-")
        fallback = "".join(f'<img src="{html.escape(uri)}" alt="">' for uri in _fallback_images(fig))
        scripts = "".join(f"<script>{_component(name)}</script>" for name in ("sprites.js", f"{self.kind}.js"))
        return (f'<figure class="nm-notebook"><style>{_component("diagrams.css")}{CAPTION_STYLE}</style>'
                f'<{tag} class="nm-diagram" data-asset-url="">'
                f'<script type="application/json">{_script_json(fig)}</script>'
                f'<div class="nm-fallback">{fallback}</div></{tag}>{_baselines(fig)}'
                f'<figcaption>{html.escape(fig["summary"])}</figcaption>{scripts}</figure>')

    def __repr__(self):
        return f"<Diagram {self.kind}: {self.fig['summary']}>"


def _baselines(fig):
    """The figure's baselines as the article lists them under a diagram (its partials' shared macro)."""
    return str(_macros().baselines(fig["baselines"])) if fig.get("baselines") else ""


@functools.lru_cache(maxsize=1)
def _macros():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("diagrams/_macros.html").module


def _component(name):
    return (COMPONENTS / name).read_text(encoding="utf-8")


def _data_uri(path):
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _script_json(data):
    """JSON safe inside <script>: as Jinja's tojson, which the article's partials use."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("'", "\\u0027"))


def _fallback_images(fig):
    """What the article's partial shows where the component's script does not run (an untrusted
    notebook): the image files of the unit and of the default grid, or the photo and its first
    attribution grid."""
    def sprite_file(ref):
        return fig["sprites"][ref["sprite"]]["file"]

    if fig["kind"] == "decomposition_grid":
        view = fig["views"].get("branch") or next(iter(fig["views"].values()))
        return [sprite_file(fig["unit_image"]), sprite_file(view["positive"]["cells"][0]["image"])]
    if fig["kind"] == "attribution_explorer":
        first = next(iter(next(iter(fig["results"].values())).values()))
        return [fig["photo"]["file"], sprite_file(first["cells"][0]["image"])]
    if fig["kind"] == "factor_view":
        return [sprite_file(fig["unit_image"]), sprite_file(fig["factors"][0]["image"])]
    return [next(iter(fig["sprites"].values()))["file"]]


# -- computing a figure, cached -------------------------------------------------------------


def _quick(quick):
    return os.environ.get(QUICK_VARIABLE, "") not in ("", "0") if quick is None else bool(quick)


def _model_name(model):
    """A zoo name or model path, or the model object load_model() returned for one."""
    name = model if isinstance(model, str) else getattr(model, "model_name", None)
    if not isinstance(name, str):
        raise BadInput(f"model {model!r} is neither a model name nor a model from mechanics.zoo.load_model")
    return name


def engine_hash():
    """The sources of every engine module that may decide a result."""
    digest = hashlib.sha256(mechanics.__version__.encode())
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name not in _NOT_RESULTS:
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_key(spec, quick):
    from mechanics.recipes import input_hash
    parts = {"kind": spec.kind, "model": spec.model, "inputs": input_hash(spec), "quick": quick,
             "engine": engine_hash()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


@contextlib.contextmanager
def _notebook_progress():
    """The renderer's progress bars as tqdm's notebook widget inside a kernel (tqdm.auto
    decides). render.py is a frozen engine module importing plain tqdm, so the bar it uses is
    swapped for the duration of the call."""
    from tqdm.auto import tqdm as auto_tqdm

    from mechanics import render
    plain, render.tqdm = render.tqdm, auto_tqdm
    try:
        yield
    finally:
        render.tqdm = plain


def _cached(name, key, write, contract=True):
    """Figure `name` in `cache_dir()/notebook/<name>_<key>/`, written there by `write(out_dir)`
    when absent (into a scratch folder, renamed into place), checked against the contract
    unless it is an atlas entry (a decomposition grid without the negative part, as an
    atlas page shows one)."""
    from mechanics.contract import validate_figure
    root = cache_dir() / "notebook"
    root.mkdir(exist_ok=True)
    folder = root / f"{name}_{key}"
    if not (folder / "figure.json").is_file():
        scratch = Path(tempfile.mkdtemp(dir=root, prefix=".scratch-"))
        try:
            write(scratch)
            try:
                os.replace(scratch, folder)
            except OSError:  # made meanwhile by another kernel: keep that one
                pass
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    if contract:
        return Diagram(validate_figure(name, folder), folder)
    return Diagram(json.loads((folder / "figure.json").read_text(encoding="utf-8")), folder)


def _computed(spec, quick, make):
    """The figure that recipe `make(out_dir, spec, quick)` writes, cached by its inputs."""
    quick = _quick(quick)

    def write(out_dir):
        with _notebook_progress():
            make(out_dir, spec, quick)

    return _cached(spec.name, _cache_key(spec, quick), write)


def _spec(kind, model, params, images=()):
    name = _model_name(model)
    from mechanics.inputs import check_model
    check_model(name)
    return FigureSpec(name=kind, kind=kind, title="", caption="", model=name, params=params,
                      images=list(images))


def show(model, unit, prev, at=None, paths=("full",), mode="expanded", image=None, input_size=None, quick=None,
         **render):
    """A unit's spatial decomposition over the earlier layer `prev`, each component rendered:
    the article's decomposition grid. `unit`: 'LAYER:CHANNEL'; `at`: (y, x) of the neuron, or
    None for the whole channel; `paths`: 'full', or a residual block's 'branch' and 'skip';
    `mode`: 'expanded' weights or local 'gradient' (on `image`). `render`: RenderSettings
    fields (size, steps, objective, seed, ...)."""
    from mechanics.recipes import decomposition_grid
    params = {"target": unit, "earlier": prev, "mode": mode, "paths": list(paths), **render}
    if at is not None:
        params["at"] = list(at)
    if image is not None:
        params["image"] = image
    if input_size is not None:
        params["input_size"] = input_size
    spec = _spec("decomposition_grid", model, params, [image] if image else [])
    return _computed(spec, quick, decomposition_grid)


def attribution(model, image, layer, targets, methods=("gradxact", "ig"), ig_steps=64, input_size=None,
                min_weight=0.0, quick=None, **render):
    """Attribution of `targets` ('logit:N' or 'LAYER:CHANNEL') to each position of `layer` on
    `image`, each position's vector rendered (cells under `min_weight` of the largest are left
    blank): the article's attribution explorer."""
    from mechanics.recipes import attribution_explorer
    params = {"image": image, "layer": layer, "targets": [targets] if isinstance(targets, str) else list(targets),
              "methods": list(methods), "ig_steps": ig_steps, "min_weight": min_weight, **render}
    if input_size is not None:
        params["input_size"] = input_size
    return _computed(_spec("attribution_explorer", model, params, [image]), quick, attribution_explorer)


def factors(model, image, unit, prev, k=3, input_size=None, quick=None, **render):
    """The positive attribution vectors of a (pointwise) unit over `prev` on `image`, factored
    by NMF into `k` directions, each rendered: the article's factor view."""
    from mechanics.recipes import factor_view
    params = {"image": image, "target": unit, "earlier": prev, "k": k, **render}
    if input_size is not None:
        params["input_size"] = input_size
    return _computed(_spec("factor_view", model, params, [image]), quick, factor_view)


def figure(name):
    """A committed figure of the article (`assets/figures/NAME/`), shown by its component; an
    atlas shows its entries by `atlas_entry`."""
    from mechanics.contract import validate_figure
    folder = COMMITTED_FIGURES / name
    if not (folder / "figure.json").is_file():
        made = sorted(p.parent.name for p in COMMITTED_FIGURES.glob("*/figure.json"))
        raise BadInput(f"no committed figure {name!r}; committed figures: {', '.join(made)}")
    fig = validate_figure(name, folder)
    if fig["kind"] == "atlas":
        raise BadInput(f"{name} is an atlas: show a unit's entry with atlas_entry(model, 'LAYER:CHANNEL')")
    return Diagram(fig, folder)


# -- atlas entries --------------------------------------------------------------------------


def atlas_entry(model, unit, prev=None, path=None, quick=None, **render):
    """A unit's entry in the atlas ('LAYER:CHANNEL'), as its atlas page shows it: its centre
    neuron's decomposition over the earlier layer, the top channels with that layer's unit tiles
    when an atlas has them. Read from the project's committed atlases when one holds the unit
    (whatever `quick`), else computed as a one-unit atlas (`mechanics.atlas`; for a residual
    block `prev` defaults to the block before and `path` to its 'branch', as in the committed
    atlases, whose settings, ATLAS_SETTINGS, `render` overrides)."""
    name = _model_name(model)
    target = _parse_unit(unit)
    found = _committed_layer(name, target.layer)
    if found is None or not (target.channel in {u["channel"] for u in found[2]["units"]}
                             and prev in (None, found[2]["prev_layer"]) and path in (None, found[2]["path"])):
        found = _computed_atlas(name, target, prev, path, quick, {**ATLAS_SETTINGS, **render})
    atlas_fig, folder, layer_data = found
    unit_data = next(u for u in layer_data["units"] if u["channel"] == target.channel)
    return _entry_diagram(name, atlas_fig, folder, layer_data, unit_data)


def _parse_unit(text):
    """'LAYER:CHANNEL', without importing TensorFlow (as decompose.Target.parse)."""
    match = re.fullmatch(r"([\w/]+):(\d+)", text) if isinstance(text, str) else None
    if not match:
        raise BadInput(f"unit {text!r} is not LAYER:CHANNEL (e.g. block10:101)")
    return types.SimpleNamespace(layer=match.group(1), channel=int(match.group(2)))


def _atlases(model_name):
    """(figure.json, folder) of each valid committed atlas of the model."""
    from mechanics.contract import validate_figure
    for figure_json in sorted(COMMITTED_FIGURES.glob("*/figure.json")):
        try:
            head = json.loads(figure_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if head.get("kind") == "atlas" and head.get("model") == model_name:
            try:
                yield validate_figure(figure_json.parent.name, figure_json.parent), figure_json.parent
            except BadInput:
                continue  # corrupt: the build lists it; here it is as if absent


def _committed_layer(model_name, layer):
    for fig, folder in _atlases(model_name):
        for entry in fig["layers"]:
            if entry["layer"] == layer:
                return fig, folder, json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
    return None


def _computed_atlas(model_name, target, prev, path, quick, settings):
    from mechanics import atlas
    from mechanics.zoo import load_model
    info = load_model(model_name).layer(target.layer)
    if prev is None and info.skip_from is None:
        raise BadInput(f"{model_name} {target.layer} is in no committed atlas and has no residual connection: "
                       f"give prev, the earlier layer to decompose it over")
    prev = prev or info.skip_from  # a residual block: the block before, through its branch
    path = path or ("branch" if prev == info.skip_from else "full")
    spec = _spec("atlas", model_name, {"layers": [[target.layer, prev, path, [target.channel]]], **settings})
    diagram = _computed(spec, quick, lambda out_dir, atlas_spec, q: atlas.build(out_dir, atlas_spec, q, progress=False))
    entry = diagram.fig["layers"][0]
    return diagram.fig, diagram.folder, json.loads((diagram.folder / entry["file"]).read_text(encoding="utf-8"))


def _entry_diagram(model_name, atlas_fig, folder, layer_data, unit):
    """The unit as a decomposition_grid figure, as atlas.js's gridFigure makes it for a layer
    page, with the earlier layer's unit tiles (from whichever committed atlas of the model holds
    that layer) for its top channels. An atlas's sprites hold many units, so the tiles the entry
    shows are copied into sprites of its own (FigureWriter), cached like a computed figure."""
    prev = _committed_layer(model_name, layer_data["prev_layer"])
    prev_units = {u["channel"]: u["unit_image"] for u in prev[2]["units"]} if prev else {}
    top = sorted({ch["channel"] for cell in unit["cells"] for ch in cell["top_channels"]} & prev_units.keys())
    key = hashlib.sha256(json.dumps([ENTRY_FORMAT, atlas_fig["input_hash"], prev[0]["input_hash"] if prev else None,
                                     layer_data["layer"], unit["channel"]]).encode()).hexdigest()[:16]

    def write(out_dir):
        import msgspec
        from mechanics import contract
        from mechanics.assets import FigureWriter
        model = types.SimpleNamespace(model_name=atlas_fig["model"], label=atlas_fig["model_label"])
        writer = FigureWriter(out_dir, "atlas_entry", model, atlas_fig["input_hash"], atlas_fig["params"])
        cells = unit["cells"]
        width = layer_data["window"]["width"]
        cell_refs = writer.sprite("cells", _tiles(folder, atlas_fig, [c["image"] for c in cells]),
                                  atlas_fig["sprites"][cells[0]["image"]["sprite"]]["tile"], columns=width)
        unit_ref = writer.sprite("unit", _tiles(folder, atlas_fig, [unit["unit_image"]]),
                                 atlas_fig["sprites"][unit["unit_image"]["sprite"]]["tile"], columns=1)[0]
        tiles = {}
        if top:
            refs = writer.sprite("channels", _tiles(prev[1], prev[0], [prev_units[ch] for ch in top]),
                                 prev[0]["sprites"][prev_units[top[0]]["sprite"]]["tile"])
            tiles = dict(zip(top, refs))
        # The atlas's cells, as read from its layer file, with images from this figure's sprites.
        cells = msgspec.convert([{**cell, "image": ref, "top_channels": [{**ch, "image": tiles.get(ch["channel"])}
                                                                         for ch in cell["top_channels"]]}
                                 for cell, ref in zip(cells, cell_refs)], list[contract.Cell])
        view = contract.View(positive=contract.Part(cells=cells))  # an atlas holds the positive part only
        writer.write(contract.DecompositionGrid, f"{unit['label']}, its entry in the atlas: {atlas_fig['summary']}",
                     target=contract.Target(layer=layer_data["layer"], channel=unit["channel"],
                                            position=layer_data["position"], label=unit["label"]),
                     prev_layer=layer_data["prev_layer"], mode="expanded",
                     window=msgspec.convert(layer_data["window"], contract.Window), unit_image=unit_ref,
                     views={layer_data["path"]: view})

    return _cached("atlas_entry", key, write, contract=False)


def _tiles(folder, fig, refs):
    """The tiles `refs` of a figure's sprites, as (N, tile, tile, 3) floats in [0, 1]."""
    import numpy as np
    from PIL import Image
    images, sheets = [], {}
    for ref in refs:
        sprite = fig["sprites"][ref["sprite"]]
        if ref["sprite"] not in sheets:
            with Image.open(folder / sprite["file"]) as image:
                sheets[ref["sprite"]] = np.asarray(image.convert("RGB"), np.float32) / 255
        t, (row, col) = sprite["tile"], divmod(ref["index"], sprite["columns"])
        images.append(sheets[ref["sprite"]][row * t:(row + 1) * t, col * t:(col + 1) * t])
    return np.stack(images)


# -- errors ---------------------------------------------------------------------------------


def _show_bad_input(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for BadInput: its one line, as the CLI prints it, as the cell's error
    (IPython leaves showing it to the handler) instead of a traceback of the engine."""
    shell._showtraceback(etype, value, [f"error: {value}"])


def _in_a_kernel():
    """Inside IPython: BadInput as one line, and TensorFlow's start-up lines hidden, as the CLI
    does (they show when the engine first imports TensorFlow, so import this module first)."""
    ipython = sys.modules.get("IPython")  # imported by the kernel itself; never imported here
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((BadInput,), _show_bad_input)
        from mechanics.__main__ import quiet_tensorflow
        quiet_tensorflow()
        # In an interactive shell TensorFlow sets its logger to INFO when it creates it, on import.
        import tensorflow
        tensorflow.get_logger().setLevel(logging.ERROR)


_in_a_kernel()
