"""Recipes of the figures that span models: ranked units (kind unit_ranking) and side-by-side
decompositions (kind decomposition_comparison).

A module of its own, beside recipes.py, so that each figure depends only on the recipes it runs
(the figure cache tracks the engine modules a figure's make() imports).
"""

import hashlib
import json
from dataclasses import replace

import numpy as np

from mechanics import contract, decompose, facts
from mechanics.assets import FigureWriter
from mechanics.decompose import Target
from mechanics.inputs import image_id, resolve_image, weights_id
from mechanics.recipes import TOP_CHANNELS, channel_thumbnails, grid_cells, render_vectors, settings_of
from mechanics.render import unit_vectors
from mechanics.zoo import load_model


def _models_hash(figure, models):
    """input_hash, with the weights of every model the figure uses."""
    parts = {"params": figure.params, "weights": {name: weights_id(name) for name in models},
             "images": {ref: image_id(ref) for ref in figure.images}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _class_label(model, class_id):
    return model.class_labels[class_id] if model.class_labels else f"class {class_id}"


def _top_classes(model, top):
    return [contract.TopClass(class_=k, label=_class_label(model, k), weight=w) for k, w in top]


CLASS_MEASURES = [
    contract.Legend(id="class_z", label="class score",
                    description="mean expanded weight of the channel (summed over positions) to the chosen classes, "
                                "minus its mean over all 1000 classes, divided by its standard deviation over them"),
    contract.Legend(id="class_mean", label="mean weight",
                    description="mean expanded weight to the chosen classes, minus the channel's mean over all classes"),
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
    blocks, baseline_items, baseline_facts = [], [], {}
    for model in models:
        layer = search.resolve_layer(model, p["stage"])
        weights = search.class_weights(model, layer)
        rows = search.rank_by_classes(weights, classes)[: p.get("top", 6)]
        item, named = _class_score_baseline(model, layer, weights, classes, rows[0][0], settings.seed)
        baseline_items.append(item)
        baseline_facts.update(named)
        vectors = unit_vectors(model.layer(layer).channels, [row[0] for row in rows])
        images, _ = render_vectors(model, layer, vectors, settings, f"{model.model_name} {layer} units")
        refs = writer.sprite(f"units_{model.model_name}", images, 96, columns=len(rows))
        units = [contract.RankedUnit(rank=i + 1, channel=ch, label=f"{layer}:{ch}", image=ref,
                                     values={"class_z": score, "class_mean": mean}, top_classes=_top_classes(model, top))
                 for i, ((ch, score, mean, top), ref) in enumerate(zip(rows, refs))]
        blocks.append(contract.RankedModel(model=model.model_name, model_label=model.label, layer=layer,
                                           stage=p["stage"], units=units))
    names = ", ".join(f"{b.model_label} {b.layer}" for b in blocks)
    summary = (f"The channels of {names} (the last block of {p['stage']} in each) ranked by their class score for "
               f"{len(classes)} ImageNet classes; each top unit's centre neuron rendered with the {settings.objective} "
               f"objective for {settings.steps} steps at {settings.size} px.")
    writer.write(contract.UnitRanking, summary, measures=CLASS_MEASURES,
                 classes=[contract.ClassLabel(class_=k, label=_class_label(models[0], k)) for k in classes],
                 models=blocks, facts={**facts.ranking_facts(blocks, "class_z"), **baseline_facts}, baselines=baseline_items)


def _class_score_baseline(model, layer, weights, classes, channel, seed, n=1000):
    """The rank-1 channel's class score against every channel of its layer, and against the rank-1
    score for `n` random sets of as many ImageNet classes (seeded): is a top score of this size what
    any set of classes gets from some channel?"""
    from mechanics import baselines, evidence, search
    scores = search.class_scores(weights, classes)
    rng = np.random.default_rng(seed)
    tops = [search.class_scores(weights, rng.choice(weights.shape[1], len(classes), replace=False)).max()
            for _ in range(n)]
    base = baselines.baseline("class_z", scores[channel], layer=baselines.layer_rank(scores, channel),
                              null=baselines.null(scores[channel], tops, f"best channel's score for {len(classes)} "
                                                  "random classes", seed))
    item = evidence.entry(f"{facts.key(model.model_name)}_class_z", f"class score of {model.label} {layer}:{channel}",
                          base, f"{model.label} {layer}")
    return item, evidence.baseline_facts(f"{facts.key(model.model_name)}_rank1_class_z", item, "number", 2)


def _counterpart_baseline(reference_layer, candidates, ref_channel, model, layer, channel, images):
    """A counterpart's r against every reference channel's best r in the same model (the layer) and
    against random channel pairs (the null)."""
    from mechanics import baselines, evidence
    base = baselines.counterpart_baseline(reference_layer, candidates, ref_channel)
    label = f"r of the counterpart {model.label} {layer}:{channel} on {images} images"
    return evidence.entry(f"{facts.key(model.model_name)}_counterpart_r", label, base, "every reference channel's best r")


def _comparison_units(models, p, found):
    """[(model, layer, channel, {measure: value})]: each model's unit for the figure, chosen by p['select'];
    the baselines of the choice are appended to `found`."""
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
    # all fed the same photos (not the reference's own render, which would favour its own model) at one size.
    from mechanics.examples import image_files
    ref_model = load_model(select["reference"][0])
    ref_layer, ref_channel = select["reference"][1], select["reference"][2]
    size = select.get("input_size", ref_model.default_size)
    files = image_files(select["images"]) if isinstance(select["images"], str) else [resolve_image(ref) for ref in select["images"]]
    pixels = mechanisms.shared_inputs(files, size)
    reference_layer = mechanisms.activations(ref_model, ref_layer, pixels)
    reference = reference_layer[..., ref_channel]
    for model in models:
        layer = search.resolve_layer(model, p["stage"])
        candidates = mechanisms.activations(model, layer, pixels)
        correlations = mechanisms.counterparts(reference, candidates)
        channel = int(np.argmax(correlations))
        chosen.append((model, layer, channel, {"correlation": float(correlations[channel])}))
        if model.model_name != ref_model.model_name:
            found.append(_counterpart_baseline(reference_layer, candidates, ref_channel, model, layer, channel, len(pixels)))
    return chosen


SELECT_MEASURES = {
    "classes": CLASS_MEASURES,
    "counterpart": [contract.Legend(id="correlation", label="activation correlation",
                                    description="Pearson correlation, over every image and position, of this "
                                                "channel's activations with the reference unit's, on the same images "
                                                "at the same size")],
}
CLAIM_MEASURES = [contract.Legend(id=id_, label=label, description=description) for id_, label, description in (
    ("wheel_bottom_minus_top", "wheel: bottom − top",
     "correlation over channels of the bottom rows' summed components with the wheel direction, minus the top rows'"),
    ("window_top_minus_bottom", "window: top − bottom",
     "correlation over channels of the top rows' summed components with the window direction, minus the bottom rows'"),
    ("wheel_top", "wheel, top rows", "correlation over channels of the top rows' summed components with the wheel direction"),
    ("wheel_bottom", "wheel, bottom rows", "the same for the bottom rows"),
    ("window_top", "window, top rows", "correlation over channels of the top rows' summed components with the window direction"),
    ("window_bottom", "window, bottom rows", "the same for the bottom rows"),
    ("wheel_window_correlation", "wheel · window",
     "correlation over channels between the two reference directions themselves (near 1 would make the test blind)"),
)]
CELL_MEASURES = [contract.Legend(id=part, label=f"{part} correlation",
                                 description=f"correlation over channels of this cell's component with the {part} direction")
                 for part in ("wheel", "window")]


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
    cell_measures = CELL_MEASURES if p.get("claim") else []
    found = []
    chosen = _comparison_units(models, p, found)
    panels, unit_images, holds = [], [], []
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
            holds.append(bool(claim.holds))
        unit_settings = replace(settings, spatial="neuron")
        images, _ = render_vectors(model, layer, unit_vectors(info.channels, [channel]), unit_settings, f"{target.label} unit")
        unit_images.append(images[0])
        order, top = d.top_channels("positive", TOP_CHANNELS)
        used = {int(c) for c, w in zip(order.ravel(), top.ravel()) if w > 0}
        channel_refs = channel_thumbnails(model, earlier, used, settings, writer, f"channels_{i}")
        cells, _ = render_vectors(model, earlier, d.positive.reshape(-1, d.positive.shape[-1]), settings, f"{target.label} cells")
        refs = writer.sprite(f"cells_{i}", cells, 72, columns=d.window.width)
        panels.append(dict(id=f"{model.model_name}/{layer}/{channel}", model=model.model_name, model_label=model.label,
                           target=contract.Target.of(target), prev_layer=earlier, path=path,
                           window=contract.Window.of(d.window), cells=grid_cells(d, "positive", refs, channel_refs), values=values, cell_values=cell_values))
    # The units' own renders share one sprite, written once every unit is rendered.
    unit_refs = writer.sprite("units", np.stack(unit_images), 128, columns=len(panels))
    panels = [contract.ComparisonPanel(**panel, unit_image=ref) for panel, ref in zip(panels, unit_refs)]
    units = "; ".join(f"{p_.model_label} {p_.target.label} over {p_.prev_layer} ({p_.path})" for p_ in panels)
    summary = (f"{units}: each centre neuron decomposed by expanded weights at its model's native size, positive part; "
               f"units and components rendered with the {settings.objective} objective for {settings.steps} steps "
               f"at {settings.size} px.")
    from mechanics import evidence
    named = {k: v for item in found for k, v in evidence.baseline_facts(item.id, item, "number", 2).items()}
    writer.write(contract.DecompositionComparison, summary, measures=measures, cell_measures=cell_measures, panels=panels,
                 facts={**facts.comparison_facts(panels, holds if p.get("claim") else None), **named},
                 **({"baselines": found} if found else {}))
