"""What each kind of figure computes, given its script's FigureSpec: decompose, render, write.

A figure script declares a FigureSpec (model, target, layers, parameters) and calls one
recipe here with it. Parameters the recipes read are listed per recipe; rendering
parameters (size, steps, objective, seed, learning_rate) go to RenderSettings.
"""

import functools
import hashlib
import json
from dataclasses import replace

import numpy as np

from mechanics import decompose
from mechanics.assets import FigureWriter
from mechanics.decompose import Target
from mechanics.inputs import image_id, resolve_image, weights_id
from mechanics.render import Renderer, RenderSettings, unit_vectors
from mechanics.zoo import load_model

BATCH = 25            # one 5x5 window per optimization
TOP_CHANNELS = 4
BLANK = 0.5           # tile shown for a zero vector, which has nothing to visualize
FACTOR_COLOURS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628")
_SETTING_KEYS = ("size", "steps", "learning_rate", "seed", "objective", "spatial", "transforms", "redirected_steps")


def settings_of(params, quick, **overrides):
    values = {k: params[k] for k in _SETTING_KEYS if k in params}
    settings = RenderSettings(**{**values, **overrides})
    return settings.quick() if quick else settings


def input_hash(figure):
    parts = {"params": figure.params, "weights": weights_id(figure.model),
             "images": {ref: image_id(ref) for ref in figure.images}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _renderer(model_name, layer, settings, batch):
    return Renderer(load_model(model_name), layer, batch, settings, progress=True)


def render_vectors(model, layer, vectors, settings, description):
    """Images for (N, C) vectors, BATCH at a time in one reused graph; zero vectors get a blank tile."""
    vectors = np.asarray(vectors, np.float32)
    images = np.full((len(vectors), settings.size, settings.size, 3), BLANK, np.float32)
    values = np.zeros(len(vectors), np.float32)
    live = np.flatnonzero(np.linalg.norm(vectors, axis=1) > 1e-6)
    for start in range(0, len(live), BATCH):
        chunk = live[start:start + BATCH]
        # A short last chunk of a long list still uses the full batch's graph.
        renderer = _renderer(model.model_name, layer, settings, BATCH if len(live) > BATCH else len(chunk))
        rendering = renderer.render(vectors[chunk], f"{description} {start // BATCH + 1}")
        images[chunk], values[chunk] = rendering.images, rendering.values
    return images, values


def _unit_image(model, target, settings, writer, sprite_id, tile):
    spatial = "neuron" if target.position is not None else "channel"
    unit_settings = replace(settings, spatial=spatial)
    vectors = unit_vectors(model.layer(target.layer).channels, [target.channel])
    images, values = render_vectors(model, target.layer, vectors, unit_settings, f"{target.label} unit")
    return writer.sprite(sprite_id, images, tile, columns=1)[0], float(values[0])


def _target_json(target):
    return {"layer": target.layer, "channel": target.channel,
            "position": list(target.position) if target.position is not None else None, "label": target.label}


def _weights(norms):
    top = norms.max()
    return norms / top if top > 0 else np.zeros_like(norms)


def _cells(decomposition, part, images, channel_refs, with_top=True):
    values = getattr(decomposition, part)
    norms = np.linalg.norm(values, axis=-1).ravel()
    weights = _weights(norms)
    order, top = decomposition.top_channels(part, TOP_CHANNELS)
    h, w = decomposition.window.height, decomposition.window.width
    offsets = decomposition.offsets
    cells = []
    for i in range(h * w):
        r, c = divmod(i, w)
        cell = {"row": r, "col": c, "offset": [int(v) for v in offsets[r, c]], "norm": float(norms[i]),
                "weight": float(weights[i]), "image": images[i]}
        cell["top_channels"] = [
            {"channel": int(ch), "weight": float(wt), "image": channel_refs.get(int(ch))}
            for ch, wt in zip(order[r, c], top[r, c]) if wt > 0] if with_top else []
        cells.append(cell)
    return cells


def _channel_thumbnails(model, layer, channels, settings, writer, sprite_id):
    channels = sorted(channels)
    vectors = unit_vectors(model.layer(layer).channels, channels)
    images, _ = render_vectors(model, layer, vectors, settings, f"{layer} channels")
    refs = writer.sprite(sprite_id, images, 48, columns=8)
    return dict(zip(channels, refs))


def _decomposition_views(model, settings, writer, decompositions, tile):
    """Render and write the positive and negative parts of each path's decomposition."""
    earlier = next(iter(decompositions.values())).earlier
    used = set()
    for d in decompositions.values():
        for part in ("positive", "negative"):
            order, top = d.top_channels(part, TOP_CHANNELS)
            used.update(int(c) for c, w in zip(order.ravel(), top.ravel()) if w > 0)
    channel_refs = _channel_thumbnails(model, earlier, used, settings, writer, "channels")
    views = {}
    for path, d in decompositions.items():
        for part in ("positive", "negative"):
            values = getattr(d, part)
            images, _ = render_vectors(model, earlier, values.reshape(-1, values.shape[-1]), settings, f"{path} {part}")
            refs = writer.sprite(f"{path}_{part}", images, tile, columns=d.window.width)
            views.setdefault(path, {})[part] = {"cells": _cells(d, part, refs, channel_refs)}
    return views


def decomposition_grid(out_dir, figure, quick):
    """params: target 'LAYER:CH', at [y, x] (or absent for the channel), earlier, mode,
    paths (e.g. ['branch', 'skip'] or ['full']), image (for mode 'gradient'), input_size
    (of the decomposition; default the render size), plus render settings."""
    p = figure.params
    model = load_model(figure.model)
    settings = settings_of(p, quick)
    input_size = settings.size if quick else p.get("input_size", settings.size)
    target = Target.parse(p["target"], p.get("at"))
    if quick and target.position is not None:
        target = Target(target.layer, target.channel, model.centre(target.layer, input_size))
    image = resolve_image(p["image"]) if p.get("image") else None
    decompositions = {path: decompose.spatial(model, target, p["earlier"], p.get("mode", "expanded"), image,
                                              path, input_size=input_size)
                      for path in p.get("paths", ["full"])}
    writer = FigureWriter(out_dir, figure.name, model, input_hash(figure), {**p, "render": settings.to_json()})
    unit_ref, _ = _unit_image(model, target, settings, writer, "unit", 128)
    views = _decomposition_views(model, settings, writer, decompositions, tile=96)
    window = next(iter(decompositions.values())).window
    summary = (f"{model.label}, {target.label} decomposed over {p['earlier']} ({p.get('mode', 'expanded')} "
               f"{', '.join(decompositions)}; {window.height}x{window.width} window at {input_size} px); each component rendered "
               f"with the {settings.objective} direction objective for {settings.steps} steps at {settings.size} px.")
    writer.write("decomposition_grid", summary, target=_target_json(target), prev_layer=p["earlier"],
                 mode=p.get("mode", "expanded"), window={"height": window.height, "width": window.width},
                 unit_image=unit_ref, views=views)


def attribution_explorer(out_dir, figure, quick):
    """params: image, layer, targets ['logit:N' | 'LAYER:CH'], methods, ig_steps, input_size,
    min_weight (cells below it are not rendered), plus render settings."""
    p = figure.params
    model = load_model(figure.model)
    settings = settings_of(p, quick)
    input_size = 128 if quick else p.get("input_size", model.default_size)
    photo_path = resolve_image(p["image"])
    writer = FigureWriter(out_dir, figure.name, model, input_hash(figure), {**p, "render": settings.to_json()})
    photo = writer.photo("photo.jpg", decompose.load_image(photo_path, input_size))
    size = model.spatial_size(p["layer"], input_size)
    labels = {"gradxact": "activation × gradient", "ig": f"integrated gradients ({p.get('ig_steps', 64)} steps)"}
    results, targets = {}, []
    for spec in p["targets"]:
        target = Target.parse(spec)
        name = model.class_labels[target.channel] if target.layer == "logits" and model.class_labels else None
        targets.append({"id": spec, "label": f"{name} ({target.label})" if name else target.label})
        for method in p["methods"]:
            a = decompose.attribute(model, photo_path, p["layer"], target, method, p.get("ig_steps", 64), input_size)
            vectors = a.vectors.reshape(-1, a.vectors.shape[-1])
            norms = np.linalg.norm(vectors, axis=1)
            weights = _weights(norms)
            shown = np.where(weights[:, None] >= p.get("min_weight", 0.0), vectors, 0)
            images, _ = render_vectors(model, p["layer"], shown, settings, f"{spec} {method}")
            refs = writer.sprite(f"{spec.replace(':', '_').replace('/', '_')}_{method}", images, 64, columns=size)
            cells = [{"row": i // size, "col": i % size, "norm": float(norms[i]), "weight": float(weights[i]),
                      "image": refs[i]} for i in range(size * size)]
            results.setdefault(spec, {})[method] = {
                "saliency": a.saliency.tolist(), "cells": cells,
                "completeness": {"target_delta": a.target_delta, "attribution_sum": a.attribution_sum,
                                 "gap": a.gap, "ratio": a.ratio}}
    summary = (f"{model.label}, attribution of {', '.join(t['label'] for t in targets)} to {p['layer']} "
               f"({size}x{size}) on {p['image'].split(':')[-1]} at {input_size} px; each cell's vector rendered with "
               f"the {settings.objective} direction objective for {settings.steps} steps.")
    writer.write("attribution_explorer", summary, photo=photo, layer=p["layer"], grid={"height": size, "width": size},
                 targets=targets, methods=[{"id": m, "label": labels[m]} for m in p["methods"]], results=results)


def factor_view(out_dir, figure, quick):
    """params: image, target 'LAYER:CH' (a pointwise unit, as a channel), earlier, k, input_size,
    plus render settings. Factors the positive attribution vectors of the unit over the photo."""
    p = figure.params
    model = load_model(figure.model)
    settings = settings_of(p, quick)
    input_size = 128 if quick else p.get("input_size", model.default_size)
    target = Target.parse(p["target"])
    a = decompose.attribute(model, resolve_image(p["image"]), p["earlier"], target, "ig", 32, input_size)
    positive = np.maximum(a.vectors, 0)
    factors = decompose.factorize(positive, p["k"], seed=settings.seed)
    writer = FigureWriter(out_dir, figure.name, model, input_hash(figure), {**p, "render": settings.to_json()})
    unit_ref, _ = _unit_image(model, target, settings, writer, "unit", 128)
    norms = np.linalg.norm(factors.directions, axis=1, keepdims=True)
    images, _ = render_vectors(model, p["earlier"], factors.directions / np.maximum(norms, 1e-12), settings, "factors")
    refs = writer.sprite("factors", images, 96, columns=len(images))
    order = np.argsort(-factors.directions, axis=1)[:, :TOP_CHANNELS]
    channel_refs = _channel_thumbnails(model, p["earlier"], set(order.ravel().tolist()), settings, writer, "channels")
    h, w = factors.maps.shape[:2]
    out = []
    for i in range(len(images)):
        spatial_map = factors.maps[..., i]
        out.append({"color": FACTOR_COLOURS[i % len(FACTOR_COLOURS)],
                    "map": (spatial_map / max(spatial_map.max(), 1e-12)).tolist(), "image": refs[i],
                    "top_channels": [{"channel": int(c), "weight": float(factors.directions[i, c]),
                                      "image": channel_refs[int(c)]} for c in order[i]]})
    summary = (f"{model.label}, {target.label} (a pointwise unit) on {p['image'].split(':')[-1]}: its positive "
               f"attribution vectors at {p['earlier']} factored by NMF into {len(out)} directions; each rendered with "
               f"the {settings.objective} direction objective for {settings.steps} steps.")
    writer.write("factor_view", summary, target=_target_json(target), prev_layer=p["earlier"],
                 window={"height": h, "width": w}, unit_image=unit_ref, factors=out)


def objective_comparison(out_dir, figure, quick):
    """params: target 'LAYER:CH', at [y, x], earlier, path, plus render settings. Panels: neuron and
    channel objective for the unit, each with dot and cossim; neuron panels carry the decomposition."""
    p = figure.params
    model = load_model(figure.model)
    base = settings_of(p, quick)
    position = p["at"] if not quick else model.centre(Target.parse(p["target"]).layer, base.size)
    neuron = Target.parse(p["target"], position)
    channel = Target.parse(p["target"])
    d = decompose.spatial(model, neuron, p["earlier"], "expanded", None, p.get("path", "full"), input_size=base.size)
    writer = FigureWriter(out_dir, figure.name, model, input_hash(figure), {**p, "render": base.to_json()})
    panels = []
    for objective in ("dot", "cossim"):
        settings = replace(base, objective=objective)
        for unit, kind in ((neuron, "neuron"), (channel, "channel")):
            unit_ref, value = _unit_image(model, unit, settings, writer, f"{kind}_{objective}_unit", 128)
            panel = {"id": f"{kind}-{objective}", "objective": kind, "direction": objective, "value": value,
                     "label": f"{kind} objective, {'dot product' if objective == 'dot' else 'cosine similarity'}",
                     "unit_image": unit_ref, "window": None, "cells": []}
            if kind == "neuron":
                images, _ = render_vectors(model, p["earlier"], d.positive.reshape(-1, d.positive.shape[-1]),
                                           settings, f"cells {objective}")
                refs = writer.sprite(f"cells_{objective}", images, 72, columns=d.window.width)
                panel["window"] = {"height": d.window.height, "width": d.window.width}
                panel["cells"] = _cells(d, "positive", refs, {}, with_top=False)
            panels.append(panel)
    summary = (f"{model.label}, {neuron.label} over {p['earlier']}: neuron against channel objective and dot "
               f"against cossim (pow 2), {base.steps} steps at {base.size} px.")
    writer.write("objective_comparison", summary, target=_target_json(neuron), panels=panels)


def gallery(out_dir, figure, quick):
    """params: units [[layer, earlier, path, [channels...]], ...], input_size, plus render settings."""
    p = figure.params
    model = load_model(figure.model)
    settings = settings_of(p, quick)
    input_size = p.get("input_size", model.default_size)
    writer = FigureWriter(out_dir, figure.name, model, input_hash(figure), {**p, "render": settings.to_json()})
    items = []
    units = [(layer, earlier, path, ch) for layer, earlier, path, channels in p["units"] for ch in channels]
    if quick:
        units = units[:2]
    for chunk_start in range(0, len(units), 8):
        chunk = units[chunk_start:chunk_start + 8]
        unit_images, cell_images, decompositions = [], [], []
        for layer, earlier, path, ch in chunk:
            target = Target(layer, ch, model.centre(layer, input_size))
            d = decompose.spatial(model, target, earlier, "expanded", None, path, input_size=input_size)
            decompositions.append((target, d))
            unit_settings = replace(settings, spatial="neuron")
            images, _ = render_vectors(model, layer, unit_vectors(model.layer(layer).channels, [ch]),
                                       unit_settings, f"{layer}:{ch} unit")
            unit_images.append(images[0])
            images, _ = render_vectors(model, earlier, d.positive.reshape(-1, d.positive.shape[-1]),
                                       settings, f"{layer}:{ch} cells")
            cell_images.append(images)
        group = chunk_start // 8
        unit_refs = writer.sprite(f"units_{group}", np.stack(unit_images), 96, columns=len(chunk))
        cell_refs = writer.sprite(f"cells_{group}", np.concatenate(cell_images), 48, columns=5)
        offset = 0
        for (target, d), unit_ref in zip(decompositions, unit_refs):
            n = d.window.height * d.window.width
            cells = _cells(d, "positive", cell_refs[offset:offset + n], {}, with_top=False)
            offset += n
            items.append({"id": f"{model.model_name}/{target.layer}/{target.channel}", "model": model.model_name,
                          "model_label": model.label, "layer": target.layer, "channel": target.channel,
                          "label": f"{target.layer}:{target.channel}", "unit_image": unit_ref,
                          "window": {"height": d.window.height, "width": d.window.width}, "cells": cells})
    layers = sorted({item["layer"] for item in items})
    summary = (f"{model.label}, {len(items)} neurons of {', '.join(layers)}, each decomposed (expanded weights, positive "
               f"part) over the block before and rendered with the {settings.objective} direction objective for "
               f"{settings.steps} steps at {settings.size} px.")
    writer.write("gallery", summary, items=items)



# -- figures across models: ranked units and side-by-side decompositions ----------------------------

def _models_hash(figure, models):
    """input_hash, with the weights of every model the figure uses."""
    parts = {"params": figure.params, "weights": {name: weights_id(name) for name in models},
             "images": {ref: image_id(ref) for ref in figure.images}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _class_label(model, class_id):
    return model.class_labels[class_id] if model.class_labels else f"class {class_id}"


def _top_classes(model, top):
    return [{"class": k, "label": _class_label(model, k), "weight": w} for k, w in top]


CLASS_MEASURES = [
    {"id": "class_z", "label": "class score",
     "description": "mean expanded weight of the channel (summed over positions) to the chosen classes, minus its "
                    "mean over all 1000 classes, divided by its standard deviation over them"},
    {"id": "class_mean", "label": "mean weight",
     "description": "mean expanded weight to the chosen classes, minus the channel's mean over all classes"},
]


def unit_ranking(out_dir, figure, quick):
    """params: models, stage ('stageN': its last block is ranked), classes (ImageNet ids), top,
    plus render settings. Ranks each model's channels by their class score (mechanics.search) at the
    model's native size and renders each top unit's centre neuron."""
    from mechanics import search
    p = figure.params
    settings = replace(settings_of(p, quick), spatial="neuron")
    models = [load_model(name) for name in p["models"]]
    classes = p.get("classes", search.CAR_CLASSES)
    writer = FigureWriter(out_dir, figure.name, models[0], _models_hash(figure, p["models"]),
                          {**p, "render": settings.to_json()})
    blocks = []
    for model in models:
        layer = search.resolve_layer(model, p["stage"])
        rows = search.rank_by_classes(search.class_weights(model, layer), classes)[: p.get("top", 6)]
        vectors = unit_vectors(model.layer(layer).channels, [row[0] for row in rows])
        images, _ = render_vectors(model, layer, vectors, settings, f"{model.model_name} {layer} units")
        refs = writer.sprite(f"units_{model.model_name}", images, 96, columns=len(rows))
        units = [{"rank": i + 1, "channel": ch, "label": f"{layer}:{ch}", "image": ref,
                  "values": {"class_z": score, "class_mean": mean}, "top_classes": _top_classes(model, top)}
                 for i, ((ch, score, mean, top), ref) in enumerate(zip(rows, refs))]
        blocks.append({"model": model.model_name, "model_label": model.label, "layer": layer, "stage": p["stage"],
                       "units": units})
    names = ", ".join(f"{b['model_label']} {b['layer']}" for b in blocks)
    summary = (f"The channels of {names} (the last block of {p['stage']} in each) ranked by their class score for "
               f"{len(classes)} ImageNet classes; each top unit's centre neuron rendered with the {settings.objective} "
               f"objective for {settings.steps} steps at {settings.size} px.")
    writer.write("unit_ranking", summary, measures=CLASS_MEASURES,
                 classes=[{"class": k, "label": _class_label(models[0], k)} for k in classes], models=blocks)


def _comparison_units(models, p):
    """[(model, layer, channel, {measure: value})]: each model's unit for the figure, chosen by p['select']."""
    from mechanics import mechanisms, search
    select = p["select"]
    chosen = []
    if select["by"] == "classes":
        for model in models:
            layer = search.resolve_layer(model, p["stage"])
            channel, score, mean, _ = search.rank_by_classes(search.class_weights(model, layer), select["classes"])[0]
            chosen.append((model, layer, channel, {"class_z": score, "class_mean": mean}))
        return chosen
    # by "counterpart": the reference unit's activations against every channel of each model's layer,
    # all fed the same images (and the reference's own render) at one input size.
    ref_model = load_model(select["reference"][0])
    ref_layer, ref_channel = select["reference"][1], select["reference"][2]
    size = select.get("input_size", ref_model.default_size)
    render_settings = replace(RenderSettings(), spatial="neuron")
    own, _ = render_vectors(ref_model, ref_layer, unit_vectors(ref_model.layer(ref_layer).channels, [ref_channel]),
                            render_settings, "reference unit")
    pixels = mechanisms.shared_inputs([resolve_image(ref) for ref in select["images"]], size, extra=own)
    reference = mechanisms.activations(ref_model, ref_layer, pixels)[..., ref_channel]
    for model in models:
        layer = search.resolve_layer(model, p["stage"])
        correlations = mechanisms.counterparts(reference, mechanisms.activations(model, layer, pixels))
        channel = int(np.argmax(correlations))
        chosen.append((model, layer, channel, {"correlation": float(correlations[channel])}))
    return chosen


SELECT_MEASURES = {
    "classes": CLASS_MEASURES,
    "counterpart": [{"id": "correlation", "label": "activation correlation",
                     "description": "Pearson correlation, over every image and position, of this channel's "
                                    "activations with the reference unit's, on the same images at the same size"}],
}
CLAIM_MEASURES = [
    {"id": "wheel_bottom_minus_top", "label": "wheel: bottom − top",
     "description": "correlation over channels of the bottom rows' summed components with the wheel direction, minus the top rows'"},
    {"id": "window_top_minus_bottom", "label": "window: top − bottom",
     "description": "correlation over channels of the top rows' summed components with the window direction, minus the bottom rows'"},
    {"id": "wheel_top", "label": "wheel, top rows", "description": "correlation over channels of the top rows' summed components with the wheel direction"},
    {"id": "wheel_bottom", "label": "wheel, bottom rows", "description": "the same for the bottom rows"},
    {"id": "window_top", "label": "window, top rows", "description": "correlation over channels of the top rows' summed components with the window direction"},
    {"id": "window_bottom", "label": "window, bottom rows", "description": "the same for the bottom rows"},
    {"id": "wheel_window_correlation", "label": "wheel · window",
     "description": "correlation over channels between the two reference directions themselves (near 1 would make the test blind)"},
]


def _reference_direction(model, layer, classes):
    """The mean centred expanded weights of `classes` at `layer`: what those logits want there."""
    from mechanics import search
    return search.centred(search.class_weights(model, layer))[:, list(classes)].mean(axis=1)


def decomposition_comparison(out_dir, figure, quick):
    """params: models, stage ('stageN': the unit is in its last block, decomposed over the block before
    on the residual branch), select ({by: 'classes', classes} or {by: 'counterpart', reference:
    [model, layer, channel], images, input_size}), optional claim ({wheel: [classes], window: [classes]}),
    plus render settings. Decompositions use expanded weights at each model's native size, in quick
    mode too (they are cheap), so the measures do not depend on the render settings."""
    from mechanics import mechanisms
    p = figure.params
    settings = settings_of(p, quick)
    models = [load_model(name) for name in p["models"]]
    writer = FigureWriter(out_dir, figure.name, models[0], _models_hash(figure, p["models"]),
                          {**p, "render": settings.to_json()})
    measures = list(SELECT_MEASURES[p["select"]["by"]]) + (CLAIM_MEASURES if p.get("claim") else [])
    cell_measures = [{"id": "wheel", "label": "wheel correlation", "description": "correlation over channels of this cell's component with the wheel direction"},
                     {"id": "window", "label": "window correlation", "description": "correlation over channels of this cell's component with the window direction"}
                     ] if p.get("claim") else []
    chosen = _comparison_units(models, p)
    panels, unit_images = [], []
    for i, (model, layer, channel, values) in enumerate(chosen):
        info = model.layer(layer)
        earlier, path = (info.skip_from, "branch") if info.skip_from else (info.prev, "full")
        target = Target(layer, channel, model.centre(layer, model.default_size))
        d = decompose.spatial(model, target, earlier, "expanded", None, path, input_size=model.default_size)
        cell_values = {}
        if p.get("claim"):
            wheel = _reference_direction(model, earlier, p["claim"]["wheel"])
            window = _reference_direction(model, earlier, p["claim"]["window"])
            claim = mechanisms.claim_scores(d.positive, wheel, window)
            values = {**values, "wheel_bottom_minus_top": claim.wheel_bottom_minus_top,
                      "window_top_minus_bottom": claim.window_top_minus_bottom,
                      "wheel_top": claim.halves["wheel"][0], "wheel_bottom": claim.halves["wheel"][1],
                      "window_top": claim.halves["window"][0], "window_bottom": claim.halves["window"][1],
                      "wheel_window_correlation": float(np.corrcoef(wheel, window)[0, 1])}
            cell_values = {name: claim.cells[name].tolist() for name in ("wheel", "window")}
        unit_settings = replace(settings, spatial="neuron")
        images, _ = render_vectors(model, layer, unit_vectors(info.channels, [channel]), unit_settings, f"{target.label} unit")
        unit_images.append(images[0])
        order, top = d.top_channels("positive", TOP_CHANNELS)
        used = {int(c) for c, w in zip(order.ravel(), top.ravel()) if w > 0}
        channel_refs = _channel_thumbnails(model, earlier, used, settings, writer, f"channels_{i}")
        cells, _ = render_vectors(model, earlier, d.positive.reshape(-1, d.positive.shape[-1]), settings, f"{target.label} cells")
        refs = writer.sprite(f"cells_{i}", cells, 72, columns=d.window.width)
        panels.append({"id": f"{model.model_name}/{layer}/{channel}", "model": model.model_name,
                       "model_label": model.label, "target": _target_json(target), "prev_layer": earlier, "path": path,
                       "window": {"height": d.window.height, "width": d.window.width},
                       "cells": _cells(d, "positive", refs, channel_refs), "values": values, "cell_values": cell_values})
    for panel, ref in zip(panels, writer.sprite("units", np.stack(unit_images), 128, columns=len(panels))):
        panel["unit_image"] = ref
    units = "; ".join(f"{p_['model_label']} {p_['target']['label']} over {p_['prev_layer']} ({p_['path']})" for p_ in panels)
    summary = (f"{units}: each centre neuron decomposed by expanded weights at its model's native size, positive part; "
               f"units and components rendered with the {settings.objective} objective for {settings.steps} steps "
               f"at {settings.size} px.")
    writer.write("decomposition_comparison", summary, measures=measures, cell_measures=cell_measures, panels=panels)
