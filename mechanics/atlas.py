"""A decomposed atlas of whole layers, computed as resumable work items, in-process or on Ray.

An atlas figure (FigureSpec kind "atlas") lists layers, each with the earlier layer it is
decomposed over and the path (`full`, or a residual block's `branch`). For every channel of
each layer the atlas holds the centre neuron's own render, and its expanded-weights
decomposition over the earlier layer: the positive part of each of the h x w components,
rendered at the earlier layer, with norms and top channels.

The work is a list of items, each one batched render of up to BATCH directions:
- "cells": one unit; the item decomposes it and renders the components at the earlier layer;
- "units": up to BATCH units of one layer; their own renders (one-hot neuron directions).
The decomposition runs inside the item, so it is spread over the workers too, and an item's
key is known without TensorFlow. Each result is written atomically to
`cache_dir()/atlas-items/<key>.npz` the moment it finishes. The key hashes everything that
decides the result (model weights, layer, channels, earlier layer, path, sizes, render
parameters, the sources of the modules that compute pixels), so a run skips finished items
and an interrupted run, even by kill -9, loses only the items in flight.

    build(out_dir, FIGURE, quick)                             # in-process, no Ray
    build(out_dir, FIGURE, quick, workers=4)                  # Ray tasks on a local Ray instance
    build(out_dir, FIGURE, quick, ray_address="HOST:6379")    # Ray tasks on an existing cluster
    status(FIGURE, quick)                                     # (done, total) items; no TensorFlow

Importing this module is cheap: TensorFlow loads inside the functions that compute, Ray
only when asked for.
"""

import hashlib
import io
import json
import os
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mechanics import contract
from mechanics.errors import BadInput
from mechanics.figure_spec import SETTING_KEYS
from mechanics.inputs import weights_id
from mechanics.storage import cache_dir, write_atomic

BATCH = 25              # directions per render: one 5x5 window, as the figures' recipes
CPUS_PER_TASK = 2       # the renderer runs two chains side by side (render.CHAINS)
TASK_RETRIES = 3        # Ray reruns a task whose worker died this many times
TOP_CHANNELS = 4
# Sprites are JPEG q85 (FigureWriter). Measured on Lite0 renders at 96 steps, per unit: its
# 64 px tile 1.6 kB, its 25 components at 48 px 21 kB (at 40 px 15 kB); WebP q85 is no
# smaller at these tile sizes. With its JSON (8 kB) a unit takes about 31 kB.
UNIT_TILE = 64          # px of a unit's own render in its layer's sprite
CELL_TILE = 48          # px of a component
UNITS_PER_CELL_SPRITE = 16  # a detail view loads one sprite of this many units' grids
BLANK = 0.5             # tile of a zero component, which has nothing to visualize
# The sources that decide an item's numbers; with ITEM_FORMAT, part of every item's key.
PIXEL_MODULES = ("lucid_tf2.py", "torch_pickle.py", "efficientnet.py", "layer_graph.py", "zoo.py", "decompose.py",
                 "transforms.py", "projective_warp.py", "render.py",
                 "zoo_model.py",    # builds each zoo model: its graph, input range, layer names and native size
                 "model_files.py")  # which checkpoint file a zoo name loads, and each Lite's native size
ITEM_FORMAT = 1         # bump when compute_item changes what an item holds


@dataclass(frozen=True)
class LayerPlan:
    layer: str
    earlier: str
    path: str
    channels: tuple


@dataclass(frozen=True)
class WorkItem:
    kind: str           # "cells" (one unit's decomposition) or "units" (units' own renders)
    model_id: str       # weights id: which model the renderer cache in a worker holds
    layer: str          # the units' layer
    channels: tuple     # one channel for "cells", up to BATCH for "units"
    earlier: str        # the layer "cells" renders at
    path: str
    input_size: int     # of the decomposition: fixes the centre neuron and the window
    settings: tuple     # (key, value) pairs of RenderSettings fields, before `quick`
    quick: bool
    key: str


# -- planning (cheap) -----------------------------------------------------------------


def model_id(model):
    """Which weights: a model name's (zoo or file) weights id, or a model object's graph hash."""
    if isinstance(model, str):
        return weights_id(model)
    return "graph:" + hashlib.sha256(model.graph_def.SerializeToString(deterministic=True)).hexdigest()[:16]


def engine_hash():
    here = Path(__file__).parent
    digest = hashlib.sha256(str(ITEM_FORMAT).encode())
    for name in PIXEL_MODULES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def _hash(parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def _plan_key(figure, quick, mid):
    return _hash({"params": figure.params, "model": mid, "quick": quick, "engine": engine_hash()})


def _items_dir():
    path = cache_dir() / "atlas-items"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _plans_dir():
    path = cache_dir() / "atlas-plans"
    path.mkdir(parents=True, exist_ok=True)
    return path


def item_path(item):
    return _items_dir() / f"{item.key}.npz"


def _fail(figure, where, problem):
    raise BadInput(f"figure {figure.name!r}: params.{where} {problem}")


def layer_plans(figure, quick, model):
    """The layers of `figure.params["layers"]` checked against the model, with their channels.

    Each entry is [layer, earlier, path] (every channel) or [layer, earlier, path, [channels]];
    in quick mode only the first `quick_channels` (default 2) of each layer.
    """
    from mechanics.decompose import PATHS
    p = figure.params
    entries = p.get("layers")
    if not isinstance(entries, list) or not entries:
        _fail(figure, "layers", "must be a non-empty list of [layer, earlier, path] or [layer, earlier, path, [channels]]")
    plans = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, list) or len(entry) not in (3, 4):
            _fail(figure, f"layers[{i}]", f"is {entry!r}, expected [layer, earlier, path] or [layer, earlier, path, [channels]]")
        layer, earlier, path = entry[:3]
        try:
            info = model.layer(layer)
            model.path_between(layer, earlier)
        except BadInput as e:
            _fail(figure, f"layers[{i}]", str(e))
        if path not in PATHS or (path != "full" and info.skip_from is None):
            valid = PATHS if info.skip_from is not None else ("full",)
            _fail(figure, f"layers[{i}]", f"path {path!r} is not valid for {layer}: valid paths: {', '.join(valid)}")
        channels = entry[3] if len(entry) == 4 else list(range(info.channels))
        for ch in channels:
            if isinstance(ch, bool) or not isinstance(ch, int) or not 0 <= ch < info.channels:
                _fail(figure, f"layers[{i}]", f"channel {ch!r} is out of range for {layer}: valid channels are 0..{info.channels - 1}")
        if quick:
            channels = channels[:p.get("quick_channels", 2)]
        plans.append(LayerPlan(layer, earlier, path, tuple(channels)))
    if len({plan.layer for plan in plans}) != len(plans):
        _fail(figure, "layers", "names a layer twice")
    return plans


def plan(figure, quick, model, mid):
    """The work items of an atlas, in a fixed order; also recorded for status().
    `mid`: model_id() of the model's name, or of the object given in its place."""
    p = figure.params
    settings = tuple(sorted((k, p[k]) for k in SETTING_KEYS if k in p))
    input_size = p.get("input_size", model.default_size)
    common = {"model": mid, "input_size": input_size, "settings": settings, "quick": quick,
              "batch": BATCH, "engine": engine_hash()}
    items = []
    for lp in layer_plans(figure, quick, model):
        for ch in lp.channels:
            fields = dict(kind="cells", layer=lp.layer, channels=(ch,), earlier=lp.earlier, path=lp.path)
            items.append(WorkItem(model_id=mid, input_size=input_size, settings=settings, quick=quick,
                                  key=_hash({**common, **fields}), **fields))
        for start in range(0, len(lp.channels), BATCH):
            fields = dict(kind="units", layer=lp.layer, channels=lp.channels[start:start + BATCH], earlier=lp.earlier,
                          path=lp.path)
            items.append(WorkItem(model_id=mid, input_size=input_size, settings=settings, quick=quick,
                                  key=_hash({**common, **fields}), **fields))
    record = json.dumps({"figure": figure.name, "items": [item.key for item in items]}).encode()
    write_atomic(_plans_dir() / f"{_plan_key(figure, quick, mid)}.json", record)
    return items


def status(figure, quick=False, model=None):
    """(done, total) work items of an atlas, without TensorFlow; total is None before its first plan.
    `model`: the model object build() was given instead of the zoo's `figure.model`."""
    path = _plans_dir() / f"{_plan_key(figure, quick, model_id(model or figure.model))}.json"
    if not path.is_file():
        return 0, None
    keys = json.loads(path.read_text())["items"]
    done = {p.stem for p in _items_dir().glob("*.npz")}
    return sum(key in done for key in keys), len(keys)


# -- one item (in any process) ----------------------------------------------------------

_MODELS = {}                # model id -> model, in this process
_RENDERERS = OrderedDict()  # (model id, layer, settings) -> Renderer, kept across items
# Items arrive in plan order, layer after layer, so a worker needs few graphs at a time; a
# whole model's (two per layer) would hold gigabytes.
RENDERERS_KEPT = 4


def _renderer(item, model, layer, settings):
    from mechanics.render import Renderer
    key = (item.model_id, layer, settings)
    if key in _RENDERERS:
        _RENDERERS.move_to_end(key)
    else:
        if len(_RENDERERS) == RENDERERS_KEPT:
            _RENDERERS.popitem(last=False)[1].close()
        _RENDERERS[key] = Renderer(model, layer, BATCH, settings, progress=False)
    return _RENDERERS[key]


@dataclass
class ShippedModel:
    """A model object sent to another process with its graph, which Lucid's Model leaves out
    when pickled."""

    model: object
    graph: bytes

    def load(self):
        from mechanics.lucid_tf2 import tf
        graph_def = tf.GraphDef()
        graph_def.ParseFromString(self.graph)
        self.model._graph_def = graph_def
        return self.model


def _resolve(model):
    from mechanics.zoo import load_model
    if isinstance(model, str):
        return load_model(model)
    return model.load() if isinstance(model, ShippedModel) else model


def compute_item(item, model):
    """One item's arrays: rendered images (uint8), objective values, the rendered vectors and
    (for "cells") the window offsets. `model`: a zoo model name, a model object or a ShippedModel."""
    from mechanics import decompose
    from mechanics.render import RenderSettings, unit_vectors
    if item.model_id not in _MODELS:
        _MODELS[item.model_id] = _resolve(model)
    model = _MODELS[item.model_id]
    settings = RenderSettings(**dict(item.settings), spatial="neuron")
    settings = settings.quick() if item.quick else settings
    arrays = {}
    if item.kind == "units":
        vectors = unit_vectors(model.layer(item.layer).channels, list(item.channels))
        layer = item.layer
    else:
        target = decompose.Target(item.layer, item.channels[0], model.centre(item.layer, item.input_size))
        d = decompose.spatial(model, target, item.earlier, "expanded", None, item.path, input_size=item.input_size)
        vectors = d.positive.reshape(-1, d.positive.shape[-1])
        arrays["offsets"] = d.offsets.astype(np.int32)
        layer = item.earlier
    images = np.full((len(vectors), settings.size, settings.size, 3), BLANK, np.float32)
    values = np.zeros(len(vectors), np.float32)
    live = np.flatnonzero(np.linalg.norm(vectors, axis=1) > 1e-6)
    renderer = _renderer(item, model, layer, settings)
    for start in range(0, len(live), BATCH):
        chunk = live[start:start + BATCH]
        rendering = renderer.render(vectors[chunk])
        images[chunk], values[chunk] = rendering.images, rendering.values
    arrays.update(images=(np.clip(images, 0, 1) * 255 + 0.5).astype(np.uint8), values=values,
                  vectors=vectors.astype(np.float32))
    return arrays


def encode_item(arrays):
    """An .npz whose bytes depend only on the arrays (entries in name order, fixed timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(arrays):
            with archive.open(zipfile.ZipInfo(f"{name}.npy"), "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arrays[name]), allow_pickle=False)
    return buffer.getvalue()


def load_item(item):
    with np.load(item_path(item), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


# -- running the items ------------------------------------------------------------------


def _in_process(pending, model):
    for item in pending:
        yield item, compute_item(item, model)


def ray_temp_dir():
    """Ray's session folders and sockets, under the project's cache instead of the system's /tmp."""
    path = cache_dir() / "ray"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _on_ray(pending, model, workers, address):
    """Items as Ray tasks, yielded as they finish; each worker process keeps its renderers."""
    import ray
    import mechanics
    if address:
        # The cluster's nodes get the engine package from the driver; they need the venv's packages.
        ray.init(address=address, runtime_env={"py_modules": [str(Path(mechanics.__file__).parent)]},
                 logging_level="WARNING")
    else:
        ray.init(address="local", num_cpus=workers * CPUS_PER_TASK, _temp_dir=str(ray_temp_dir()),
                 include_dashboard=False, logging_level="WARNING")
    try:
        task = ray.remote(num_cpus=CPUS_PER_TASK, max_retries=TASK_RETRIES)(compute_item)
        source = model if isinstance(model, str) else ray.put(ShippedModel(model, model.graph_def.SerializeToString(deterministic=True)))
        running = {task.remote(item, source): item for item in pending}
        while running:
            done, _ = ray.wait(list(running), num_returns=1)
            yield running.pop(done[0]), ray.get(done[0])
    finally:
        ray.shutdown()


def run_items(items, model, workers=None, ray_address=None, progress=True, description="atlas"):
    """Compute the items not yet in the cache, writing each result the moment it arrives.

    In-process by default; `workers=N` runs N tasks at a time on a local Ray instance,
    `ray_address` (or Ray's RAY_ADDRESS) on an existing cluster. Returns how many were computed.
    """
    from tqdm import tqdm
    address = ray_address or (None if workers else os.environ.get("RAY_ADDRESS"))
    if workers is not None and ray_address:
        raise BadInput("give either workers (a local Ray instance) or a Ray address, not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise BadInput(f"workers is {workers!r}, expected an integer >= 1")
    pending = [item for item in items if not item_path(item).is_file()]
    if not pending:
        return 0
    results = _on_ray(pending, model, workers, address) if workers or address else _in_process(pending, model)
    with tqdm(total=len(items), initial=len(items) - len(pending), unit="item", desc=description,
              disable=not progress) as bar:
        for item, arrays in results:
            write_atomic(item_path(item), encode_item(arrays))
            bar.update()
    return len(pending)


# -- the figure -------------------------------------------------------------------------


def _sprite_id(layer, what):
    return f"{layer.replace('/', '_')}_{what}"


def _rounded(x):
    """Six significant digits: the float32 engine has no more, and the layer files stay small."""
    return float(f"{x:.6g}")


def _cells(vectors, offsets, width, refs):
    norms = np.linalg.norm(vectors, axis=1)
    weights = norms / norms.max() if norms.max() > 0 else np.zeros_like(norms)
    cells = []
    for i, (vector, ref) in enumerate(zip(vectors, refs)):
        top = np.argsort(-vector, kind="stable")[:TOP_CHANNELS]
        cells.append(contract.Cell(row=i // width, col=i % width, offset=[int(v) for v in offsets.reshape(-1, 2)[i]],
                                   norm=_rounded(norms[i]), weight=_rounded(weights[i]), image=ref,
                                   top_channels=[contract.TopChannel(channel=int(c), weight=_rounded(vector[c]),
                                                                     image=None) for c in top if vector[c] > 0]))
    return cells


def _write_layer(writer, lp, items, model, input_size, settings):
    """One layer's sprites and its JSON file; returns its entry in figure.json's `layers`."""
    units = {}
    for item in items:
        if item.kind == "units":
            data = load_item(item)
            for i, ch in enumerate(item.channels):
                units[ch] = {"image": data["images"][i], "value": float(data["values"][i])}
    channels = list(lp.channels)
    unit_refs = writer.sprite(_sprite_id(lp.layer, "units"), np.stack([units[ch]["image"] for ch in channels]) / 255,
                              UNIT_TILE, columns=min(len(channels), 16))
    cells_of = {item.channels[0]: item for item in items if item.kind == "cells"}
    entries = []
    for start in range(0, len(channels), UNITS_PER_CELL_SPRITE):
        chunk = channels[start:start + UNITS_PER_CELL_SPRITE]
        data = [load_item(cells_of[ch]) for ch in chunk]
        height, width = data[0]["offsets"].shape[:2]
        refs = writer.sprite(_sprite_id(lp.layer, f"cells_{start // UNITS_PER_CELL_SPRITE}"),
                             np.concatenate([d["images"] for d in data]) / 255, CELL_TILE, columns=width)
        for k, (ch, d) in enumerate(zip(chunk, data)):
            n = height * width
            entries.append(contract.AtlasUnit(channel=ch, label=f"{lp.layer}:{ch}", value=_rounded(units[ch]["value"]),
                                              unit_image=unit_refs[start + k],
                                              cells=_cells(d["vectors"], d["offsets"], width, refs[k * n:(k + 1) * n])))
    file_name = f"{lp.layer.replace('/', '_')}.json"
    position = model.centre(lp.layer, input_size)
    writer.layer_file(file_name, contract.AtlasLayer(
        layer=lp.layer, prev_layer=lp.earlier, path=lp.path, position=list(position),
        window=contract.Window(height=int(height), width=int(width)), units=entries))
    return contract.AtlasLayerEntry(layer=lp.layer, prev_layer=lp.earlier, path=lp.path, file=file_name,
                                    units=len(entries))


def write_atlas(out_dir, figure, quick, model, items, mid):
    """figure.json, one JSON per layer and their sprites, from the cached items."""
    from mechanics.assets import FigureWriter
    from mechanics.render import RenderSettings
    p = figure.params
    settings = RenderSettings(**{k: p[k] for k in SETTING_KEYS if k in p}, spatial="neuron")
    settings = settings.quick() if quick else settings
    input_size = p.get("input_size", model.default_size)
    writer = FigureWriter(Path(out_dir), figure.name, model, _plan_key(figure, quick, mid)[:16],
                          {**p, "render": settings.to_json()})
    layers = [_write_layer(writer, lp, [item for item in items if item.layer == lp.layer], model, input_size, settings)
              for lp in layer_plans(figure, quick, model)]
    count = sum(layer.units for layer in layers)
    summary = (f"{model.label}, an atlas of {count} neurons of {', '.join(layer.layer for layer in layers)}, each "
               f"decomposed (expanded weights, positive part) over the block before at {input_size} px and rendered "
               f"with the {settings.objective} direction objective for {settings.steps} steps at {settings.size} px.")
    return writer.write(contract.Atlas, summary, layers=layers)


def build(out_dir, figure, quick, workers=None, ray_address=None, model=None, progress=True):
    """Compute what the cache lacks of atlas `figure`, then write it to `out_dir`.

    `model`: a model object to use instead of the zoo's `figure.model` (tests' tiny models).
    """
    from mechanics.zoo import load_model
    # Workers load a zoo model by name rather than receive its graph.
    source = figure.model if model is None else model
    mid = model_id(source)
    model = load_model(figure.model) if model is None else model
    items = plan(figure, quick, model, mid)
    run_items(items, source, workers, ray_address, progress, description=figure.name)
    return write_atlas(out_dir, figure, quick, model, items, mid)
