"""Evidence beside a decomposition, as figure.json fields and facts: the baselines of its window
statistics, the unit's dataset examples and the occlusion check of its decomposition on its top
example (issue 21). Each function returns ``(fields, facts)`` for `FigureWriter.write`, the fields
as contract models (`contract.Baseline`, `contract.Examples`, `contract.Occlusion`), so a recipe
adds evidence with one call per kind of evidence.

    fields, named = evidence.window_baselines(model, target, "block9", "full", 224)
    fields, named, found = evidence.dataset_examples(model, target, writer, {"images": "skimage:", "top": 6})
    fields, named = evidence.occlusion_check(model, target, "block9", writer, found.examples[0])
"""

import msgspec
import numpy as np
from msgspec import UNSET

from mechanics import baselines, contract, decompose, examples, facts, occlusion
from mechanics.decompose import Target

SKIMAGE_SOURCE = "scikit-image's bundled photos"


def baseline_facts(prefix, entry, kind="share", digits=0):
    """Facts of one contract.Baseline: its value, percentile and layer median, null and trivial values."""
    out = {f"{prefix}": facts.fact(entry.value, kind, digits, entry.label)}
    if entry.layer is not UNSET:
        layer = entry.layer
        out[f"{prefix}_percentile"] = facts.fact(layer.percentile, "number", 0, f"percentile of {entry.label} in its layer")
        out[f"{prefix}_layer_median"] = facts.fact(layer.quantiles.q50, kind, digits, "its layer's median")
        out[f"{prefix}_layer_units"] = facts.fact(layer.n, "count", what="units in its layer")
    if entry.null is not UNSET:
        null = entry.null
        out[f"{prefix}_null_q95"] = facts.fact(null.quantiles.q95, kind, digits if kind != "number" else 2,
                                               f"95th percentile of the null ({null.kind})")
        out[f"{prefix}_exceeded_by"] = facts.fact(null.exceeded_by, "share", 0, "share of null samples at or above it")
    if entry.trivial is not UNSET:
        out[f"{prefix}_flat"] = facts.fact(entry.trivial.value, kind, digits, entry.trivial.kind)
    return out


def entry(id_, label, base, layer_label=None):
    """A baselines.baseline(...) dict (plain numbers) as the contract's Baseline, with an id and a label."""
    out = {"id": id_, "label": label, **base}
    if layer_label and "layer" in out:
        out["layer"] = {**out["layer"], "label": layer_label}
    return msgspec.convert(out, contract.Baseline)


def window_baselines(model, target, earlier, input_size):
    """The off-centre share of `target`'s centre-neuron decomposition over `earlier` (expanded weights,
    full path) against every unit of its layer and the flat window."""
    base = baselines.window_baseline(model, target.layer, earlier, target.channel, input_size=input_size)
    item = entry("off_centre_share", f"off-centre share of {target.layer}:{target.channel} over {earlier}", base,
                 f"{model.label} {target.layer}")
    return [item], baseline_facts("off_centre_share", item)


def selection_baselines(model, chosen, input_size):
    """For each layer of a hand-picked selection (`chosen`: {(layer, earlier): [channels]}), the
    picked neurons' median centre share against that of every unit of the layer, both of the
    centre neuron's expanded weights over the full path: is the selection typical of its layer?"""
    items, named = [], {}
    for (layer, earlier), channels in chosen.items():
        windows = baselines.centre_decompositions(model, layer, earlier, input_size)
        values = np.array([baselines.centre_share(w) for w in windows])
        median = float(np.median(values[channels]))
        rank = {**baselines.rank(values, median), "label": f"{model.label} {layer}"}
        item = entry(f"{facts.key(layer)}_centre_share",
                     f"median centre share of the {len(channels)} {layer} neurons shown (full path)",
                     baselines.baseline("centre_share", median, layer=rank,
                                        trivial=baselines.trivial(baselines.centre_share, windows.shape[1:3])))
        items.append(item)
        named.update(baseline_facts(f"{facts.key(layer)}_centre_share", item, "share", 1))
    return items, named


def dataset_examples(model, target, writer, spec, tile=96):
    """The unit's top examples in an image folder (spec: {"images": folder or 'skimage:', "top": K}),
    each image's maximum activation as the baseline of the top ones, and the examples themselves."""
    found = examples.top_examples(model, target.layer, target.channel, spec["images"], spec.get("top", 6),
                                  progress=False)
    refs = writer.sprite("examples", np.stack([_square(e.crop) for e in found.examples]), tile)
    source = SKIMAGE_SOURCE if spec["images"] == examples.SKIMAGE_FOLDER else spec["images"]
    field = contract.Examples(
        source=source, images=found.images, skipped=len(found.skipped), input_size=found.input_size,
        activation_quantiles=contract.Quantiles(**baselines.quantiles(found.maxima)),
        top=[contract.Example(file=e.path.rsplit("/", 1)[-1], activation=e.activation, position=list(e.position),
                              image=ref) for e, ref in zip(found.examples, refs)])
    best = found.examples[0]
    named = {"examples_images": facts.fact(found.images, "count", what="images scanned for dataset examples"),
             "examples_top_file": facts.fact(field.top[0].file, "text", what="the image the unit responds to most"),
             "examples_top_activation": facts.fact(best.activation, "number", 2, what="its maximum activation there"),
             "examples_median_activation": facts.fact(np.median(found.maxima), "number", 2,
                                                      what="median over the scanned images of the unit's maximum")}
    return {"examples": field}, named, found


def photo_activation(model, target, photo, input_size, images="skimage:"):
    """`target`'s strongest activation on `photo` against its strongest on every photo of `images`:
    whether the unit responds to this photo at all."""
    name = str(photo).rsplit("/", 1)[-1]
    value = examples.scan(model, target.layer, [photo], input_size, progress=False,
                          channels=[target.channel]).reduced[0, 0, 0]
    found = examples.scan(model, target.layer, images, input_size, progress=False, channels=[target.channel])
    maxima = found.reduced[:, 0, 0]
    source = SKIMAGE_SOURCE if images == examples.SKIMAGE_FOLDER else str(images)
    prefix = f"{facts.key(target.label)}_photo_max"
    item = entry(prefix, f"{target.label}'s strongest activation on {name}",
                 baselines.baseline("max_activation", value, null=baselines.null(
                     value, maxima, f"its strongest activation on each of the {len(maxima)} images of {source}")))
    named = baseline_facts(prefix, item, "number", 2)
    named[f"{prefix}_null_median"] = facts.fact(np.median(maxima), "number", 2,
                                                f"median of {target.label}'s strongest activation over those images")
    return [item], named


def _square(crop):
    """A crop padded to a square (a window clipped by nothing is square already)."""
    h, w = crop.shape[:2]
    size = max(h, w)
    out = np.full((size, size, 3), examples.OUTSIDE, np.float32)
    out[:h, :w] = crop
    return out


def interior_peak(model, layer, channel, image, earlier):
    """(y, x): where the unit responds most on `image` (native size) among the positions whose whole
    window on `earlier` lies inside the map, so that every position of the window can be occluded."""
    from mechanics import mechanisms
    size = model.default_size
    acts = mechanisms.activations(model, layer, decompose.load_image(image, size)[None])[0, ..., channel]
    limit = model.spatial_size(earlier, size)
    best, best_value = None, -np.inf
    for y in range(acts.shape[0]):
        for x in range(acts.shape[1]):
            w = model.window(layer, earlier, (y, x), size)
            if w.top >= 0 and w.left >= 0 and w.top + w.height <= limit and w.left + w.width <= limit and acts[y, x] > best_value:
                best, best_value = (y, x), acts[y, x]
    return best if best is not None else tuple(int(v) for v in np.unravel_index(np.argmax(acts), acts.shape))


def occlusion_check(model, target, earlier, writer, example, mode="expanded"):
    """The decomposition of `target`'s channel where it responds most on its top example's image
    (window inside the map), checked by occlusion at the model's native size: over every window
    position, and over the off-centre positions alone (the centre cell, with the skip path, can
    carry the whole correlation by itself)."""
    at = Target(target.layer, target.channel, interior_peak(model, target.layer, target.channel, example.path, earlier))
    pixels = decompose.load_image(example.path, model.default_size)
    photo = writer.sprite("occlusion_photo", pixels[None], 160)[0]
    checks = {m: _checked(model, at, earlier, example.path, m) for m in dict.fromkeys((mode, "gradient"))}
    data = checks[mode]
    field = {"file": example.path.rsplit("/", 1)[-1], "photo": photo, "target": contract.Target.of(at),
             "earlier": earlier, **data}
    if mode != "gradient":
        # The same unit's local gradient on this image, the first-order estimate of each occlusion:
        # how well any linear decomposition could predict them here.
        field["gradient"] = {k: checks["gradient"][k] for k in ("predicted", "pearson", "spearman", "n", "null", "off_centre")}
    named = {"occlusion_file": facts.fact(field["file"], "text", what="the image of the occlusion check"),
             "occlusion_at": facts.fact(f"({at.position[0]}, {at.position[1]})", "text", what="the position checked"),
             "occlusion_positions": facts.fact(data["n"], "count", what="window positions occluded")}
    found_sets = [(f"occlusion{'' if m == mode else '_' + m}", checks[m]) for m in checks]
    found_sets += [(f"{prefix}_off_centre", found["off_centre"]) for prefix, found in list(found_sets)]
    for prefix, found in found_sets:
        if found["pearson"] is not None:
            named[f"{prefix}_pearson"] = facts.fact(found["pearson"], "number", 2, "Pearson r, predicted against measured")
            named[f"{prefix}_spearman"] = facts.fact(found["spearman"], "number", 2, "Spearman rank correlation")
            named[f"{prefix}_null_q95"] = facts.fact(found["null"]["quantiles"]["q95"], "number", 2,
                                                     "95th percentile of r with the predictions shuffled")
            named[f"{prefix}_exceeded_by"] = facts.fact(found["null"]["exceeded_by"], "share", 1,
                                                        "share of shuffles with r at or above it")
    # occlusion.check's numbers are plain Python ones: the contract's Occlusion from them as they are.
    return {"occlusion": msgspec.convert(field, contract.Occlusion)}, named


def _checked(model, at, earlier, image, mode):
    """occlusion.check's JSON (plain numbers), with the same comparison over the off-centre positions alone."""
    result = occlusion.check(model, at, earlier, image, mode)
    h, w = result.predicted.shape
    off = ~np.isnan(result.predicted)
    off[h // 2, w // 2] = False
    data = result.to_json()
    data["off_centre"] = occlusion.compare(result.predicted[off], result.measured[off])
    return {k: data[k] for k in ("window", "unit_value", "predicted", "measured", "pearson", "spearman", "n", "null",
                                 "off_centre")}


def factor_reconstruction(matrix, k, seed=0, ks=6, shuffles=20):
    """How much of a non-negative (h, w, C) matrix k NMF factors explain (1 − relative squared
    error), for 1..ks factors, against a null: the same NMF on the matrix with each cell's channels
    shuffled (seeded), which keeps every cell's values and loses what the cells share."""
    def explained(m, n):
        f = decompose.factorize(m, n, seed)
        rebuilt = f.maps.reshape(-1, n) @ f.directions
        flat = m.reshape(-1, m.shape[-1])
        return 1.0 - float(np.sum((flat - rebuilt) ** 2) / max(np.sum(flat ** 2), 1e-30))
    curve = [explained(matrix, n) for n in range(1, max(ks, k) + 1)]
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(shuffles):
        shuffled = np.stack([rng.permutation(cell) for cell in matrix.reshape(-1, matrix.shape[-1])])
        samples.append(explained(shuffled.reshape(matrix.shape), k))
    base = baselines.baseline("explained_share", curve[k - 1],
                              null=baselines.null(curve[k - 1], samples, "each cell's channels shuffled", seed))
    item = entry("explained_share", f"share of the attribution vectors {k} factors explain", base)
    named = baseline_facts("explained_share", item, "share", 0)
    named.update({f"explained_share_k{n + 1}": facts.fact(v, "share", 0, f"explained by {n + 1} factor(s)")
                  for n, v in enumerate(curve)})
    return [item], named, curve
