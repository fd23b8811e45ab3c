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

from mechanics import contract, decompose, facts
from mechanics.assets import FigureWriter
from mechanics.decompose import Target
from mechanics.figure_spec import SETTING_KEYS
from mechanics.inputs import image_id, resolve_image, weights_id
from mechanics.render import Renderer, RenderSettings, unit_vectors
from mechanics.zoo import load_model

BATCH = 25            # one 5x5 window per optimization
TOP_CHANNELS = 4
BLANK = 0.5           # tile shown for a zero vector, which has nothing to visualize
FACTOR_COLOURS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628")


def settings_of(params, quick, **overrides):
    values = {k: params[k] for k in SETTING_KEYS if k in params}
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


def _weights(norms):
    top = norms.max()
    return norms / top if top > 0 else np.zeros_like(norms)


def grid_cells(decomposition, part, images, channel_refs, with_top=True):
    """The contract's cells of one part of a decomposition: each position's image, weight and
    norm, and (`with_top`) its strongest channels with their thumbnails from `channel_refs`."""
    values = getattr(decomposition, part)
    norms = np.linalg.norm(values, axis=-1).ravel()
    weights = _weights(norms)
    order, top = decomposition.top_channels(part, TOP_CHANNELS)
    h, w = decomposition.window.height, decomposition.window.width
    offsets = decomposition.offsets
    cells = []
    for i in range(h * w):
        r, c = divmod(i, w)
        top_channels = [contract.TopChannel(channel=int(ch), weight=float(wt), image=channel_refs.get(int(ch)))
                        for ch, wt in zip(order[r, c], top[r, c]) if wt > 0] if with_top else []
        cells.append(contract.Cell(row=r, col=c, offset=[int(v) for v in offsets[r, c]], norm=float(norms[i]),
                                   weight=float(weights[i]), image=images[i], top_channels=top_channels))
    return cells


def channel_thumbnails(model, layer, channels, settings, writer, sprite_id):
    """Render each of `channels` of `layer` alone into one sprite; their image refs by channel."""
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
    channel_refs = channel_thumbnails(model, earlier, used, settings, writer, "channels")
    views = {}
    for path, d in decompositions.items():
        parts = {}
        for part in ("positive", "negative"):
            values = getattr(d, part)
            images, _ = render_vectors(model, earlier, values.reshape(-1, values.shape[-1]), settings, f"{path} {part}")
            refs = writer.sprite(f"{path}_{part}", images, tile, columns=d.window.width)
            parts[part] = contract.Part(cells=grid_cells(d, part, refs, channel_refs))
        views[path] = contract.View(**parts)
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
    fields, named = _grid_evidence(model, target, p, writer, input_size)
    writer.write(contract.DecompositionGrid, summary, target=contract.Target.of(target), prev_layer=p["earlier"],
                 mode=p.get("mode", "expanded"), window=contract.Window.of(window), unit_image=unit_ref, views=views,
                 facts={**_grid_facts(decompositions), **named}, **fields)


def _grid_evidence(model, target, p, writer, input_size):
    """A grid's evidence (mechanics.evidence): its window statistic's baselines (expanded weights),
    and, with params `examples`, the unit's dataset examples and the occlusion check of its
    decomposition on the top one."""
    from mechanics import evidence
    fields, named = {}, {}
    if p.get("mode", "expanded") == "expanded":
        fields["baselines"], named = evidence.window_baselines(model, target, p["earlier"], input_size)
    if p.get("examples"):
        found_fields, found_named, found = evidence.dataset_examples(model, target, writer, p["examples"])
        check_fields, check_named = evidence.occlusion_check(model, target, p["earlier"], writer, found.examples[0])
        fields.update({**found_fields, **check_fields})
        named.update({**found_named, **check_named})
    return fields, named


def _grid_facts(decompositions):
    """Each path's window facts, and those of their sum ('full') when the figure splits a residual block."""
    from mechanics import search
    out = {}
    for path, d in decompositions.items():
        out.update(facts.window_facts(path, d.vectors, search.halves_score(d) if path != "skip" else None))
    if set(decompositions) == {"branch", "skip"}:
        out.update(facts.window_facts("full", decompositions["branch"].vectors + decompositions["skip"].vectors))
    return out


def attribution_explorer(out_dir, figure, quick):
    """params: image, layer, targets ['logit:N' | 'LAYER:CH'], methods, ig_steps, input_size,
    min_weight (cells below it are not rendered), optional completeness_layers (other layers whose
    completeness the figure states as facts only), optional photo_units (units whose activation on
    the photo is stated against scikit-image's photos), plus render settings."""
    from mechanics.classify import probabilities
    p = figure.params
    model = load_model(figure.model)
    settings = settings_of(p, quick)
    input_size = 128 if quick else p.get("input_size", model.default_size)
    photo_path = resolve_image(p["image"])
    writer = FigureWriter(out_dir, figure.name, model, input_hash(figure), {**p, "render": settings.to_json()})
    photo = writer.photo("photo.jpg", decompose.load_image(photo_path, input_size))
    size = model.spatial_size(p["layer"], input_size)
    labels = {"gradxact": "activation × gradient", "ig": f"integrated gradients ({p.get('ig_steps', 64)} steps)"}
    results, targets, figure_facts = {}, [], {}
    probs = probabilities(model, photo_path, input_size)
    for spec in p["targets"]:
        target = Target.parse(spec)
        name = model.class_labels[target.channel] if target.layer == "logits" and model.class_labels else None
        targets.append(contract.Choice(id=spec, label=f"{name} ({target.label})" if name else target.label))
        if target.layer == "logits":
            figure_facts[f"{facts.key(spec)}_prob"] = facts.fact(probs[target.channel], "share", 2,
                                                                 f"probability of class {target.channel} on the photo")
        for method in p["methods"]:
            a = decompose.attribute(model, photo_path, p["layer"], target, method, p.get("ig_steps", 64), input_size)
            figure_facts.update(facts.attribution_facts(f"{facts.key(spec)}_{method}", a, size))
            for layer in p.get("completeness_layers", []):
                other = decompose.attribute(model, photo_path, layer, target, method, p.get("ig_steps", 64), input_size)
                figure_facts.update(facts.completeness_facts(f"{facts.key(layer)}_{facts.key(spec)}_{method}", other))
            vectors = a.vectors.reshape(-1, a.vectors.shape[-1])
            norms = np.linalg.norm(vectors, axis=1)
            weights = _weights(norms)
            shown = np.where(weights[:, None] >= p.get("min_weight", 0.0), vectors, 0)
            images, _ = render_vectors(model, p["layer"], shown, settings, f"{spec} {method}")
            refs = writer.sprite(f"{spec.replace(':', '_').replace('/', '_')}_{method}", images, 64, columns=size)
            cells = [contract.PlainCell(row=i // size, col=i % size, norm=float(norms[i]), weight=float(weights[i]),
                                        image=refs[i]) for i in range(size * size)]
            results.setdefault(spec, {})[method] = contract.AttributionResult(
                saliency=a.saliency.tolist(), cells=cells,
                completeness=contract.Completeness(target_delta=a.target_delta, attribution_sum=a.attribution_sum,
                                                   gap=a.gap, ratio=a.ratio))
    activity = []
    if p.get("photo_units"):
        from mechanics import evidence
        activity = [evidence.photo_activation(model, Target.parse(spec), photo_path, input_size)
                    for spec in p["photo_units"]]
    for _, named in activity:
        figure_facts.update(named)
    summary = (f"{model.label}, attribution of {', '.join(t.label for t in targets)} to {p['layer']} "
               f"({size}x{size}) on {p['image'].split(':')[-1]} at {input_size} px; each cell's vector rendered with "
               f"the {settings.objective} direction objective for {settings.steps} steps.")
    writer.write(contract.AttributionExplorer, summary, photo=photo, layer=p["layer"],
                 grid=contract.Window(height=size, width=size), targets=targets,
                 methods=[contract.Choice(id=m, label=labels[m]) for m in p["methods"]], results=results,
                 facts=figure_facts, **({"baselines": [item for items, _ in activity for item in items]} if activity else {}))


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
    channel_refs = channel_thumbnails(model, p["earlier"], set(order.ravel().tolist()), settings, writer, "channels")
    h, w = factors.maps.shape[:2]
    out = []
    for i in range(len(images)):
        spatial_map = factors.maps[..., i]
        out.append(contract.Factor(color=FACTOR_COLOURS[i % len(FACTOR_COLOURS)],
                                   map=(spatial_map / max(spatial_map.max(), 1e-12)).tolist(), image=refs[i],
                                   top_channels=[contract.TopChannel(channel=int(c),
                                                                     weight=float(factors.directions[i, c]),
                                                                     image=channel_refs[int(c)]) for c in order[i]]))
    summary = (f"{model.label}, {target.label} (a pointwise unit) on {p['image'].split(':')[-1]}: its positive "
               f"attribution vectors at {p['earlier']} factored by NMF into {len(out)} directions; each rendered with "
               f"the {settings.objective} direction objective for {settings.steps} steps.")
    from mechanics import evidence
    reconstruction, named, _ = evidence.factor_reconstruction(positive, p["k"], seed=settings.seed)
    writer.write(contract.FactorView, summary, target=contract.Target.of(target), prev_layer=p["earlier"],
                 window=contract.Window(height=h, width=w), unit_image=unit_ref, factors=out,
                 facts={**facts.factor_facts(factors.maps, factors.directions), **named}, baselines=reconstruction)


def objective_comparison(out_dir, figure, quick):
    """params: target 'LAYER:CH', at [y, x], earlier, path, optional scored_units, plus render settings.
    Panels: neuron and channel objective for the unit, each with dot and cossim; neuron panels carry
    the decomposition. With scored_units, that many units of the layer are rendered with every
    objective and scored (mechanics.objective_scores)."""
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
            window, cells = None, []
            if kind == "neuron":
                images, _ = render_vectors(model, p["earlier"], d.positive.reshape(-1, d.positive.shape[-1]),
                                           settings, f"cells {objective}")
                refs = writer.sprite(f"cells_{objective}", images, 72, columns=d.window.width)
                window, cells = contract.Window.of(d.window), grid_cells(d, "positive", refs, {}, with_top=False)
            panels.append(contract.ObjectivePanel(
                id=f"{kind}-{objective}", objective=kind, direction=objective, value=value,
                label=f"{kind} objective, {'dot product' if objective == 'dot' else 'cosine similarity'}",
                unit_image=unit_ref, window=window, cells=cells))
    summary = (f"{model.label}, {neuron.label} over {p['earlier']}: neuron against channel objective and dot "
               f"against cossim (pow 2), {base.steps} steps at {base.size} px.")
    values = {f"{panel.objective}_{panel.direction}_value": facts.fact(panel.value, digits=1, what=panel.label)
              for panel in panels}
    fields = {}
    if p.get("scored_units"):
        from mechanics import objective_scores
        channels = objective_scores.evenly_spaced(model.layer(neuron.layer).channels,
                                                  min(p["scored_units"], 3) if quick else p["scored_units"])
        fields, named = objective_scores.score(model, neuron.layer, channels, base)
        values.update(named)
        summary += f" Below: every objective scored over {len(channels)} units of {neuron.layer}."
    writer.write(contract.ObjectiveComparison, summary, target=contract.Target.of(neuron), panels=panels, facts=values,
                 **fields)


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
            cells = grid_cells(d, "positive", cell_refs[offset:offset + n], {}, with_top=False)
            offset += n
            items.append(contract.GalleryItem(
                id=f"{model.model_name}/{target.layer}/{target.channel}", model=model.model_name,
                model_label=model.label, layer=target.layer, channel=target.channel,
                label=f"{target.layer}:{target.channel}", unit_image=unit_ref, window=contract.Window.of(d.window),
                cells=cells))
    layers = list(dict.fromkeys(item.layer for item in items))  # as declared: block8 before block10
    summary = (f"{model.label}, {len(items)} neurons of {', '.join(layers)}, each decomposed (expanded weights, positive "
               f"part) over the block before and rendered with the {settings.objective} direction objective for "
               f"{settings.steps} steps at {settings.size} px.")
    from mechanics import evidence
    chosen = {}
    for layer, earlier, _, ch in units:
        chosen.setdefault((layer, earlier), []).append(ch)
    selection, named = evidence.selection_baselines(model, chosen, input_size)
    writer.write(contract.Gallery, summary, items=items, facts={**facts.gallery_facts(items), **named}, baselines=selection)
