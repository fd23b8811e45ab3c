"""Trends across the atlas: per-unit measures of every committed atlas unit, against baselines.

Reads only the atlases' layer files (contract kind "atlas": each unit's window of positive-part
cells with their norms and top channels), so it needs no TensorFlow. Two properties per unit:

- **Spatial structure.** `off_centre_share`: the share of the positive part's summed cell norms
  off the centre cell (a flat window gives 24/25 = 0.96: a unit far below it is centred, near it
  is spread). `concentration`: 1 - the normalized entropy of the 25 cell norms (0 for a flat
  window, 1 when one cell holds everything). Baselines: the flat window (`baselines.trivial`) and
  the layer's own distribution (`baselines.layer_rank`).
- **Pooling one feature or assembling several.** `assembly_share`: among the unit's STRONG_CELLS
  strongest off-centre cells, the share whose top channel is not the unit's dominant channel (the
  top channel of the most cells of its window; ties to the larger summed top weight). A unit that
  pools one feature over positions scores near 0; one whose positions lead with different
  channels scores near 1. Null: the same statistic with each cell's top channel drawn at random
  (seeded) from the layer's pool of cell top channels, the unit's norms kept, NULL_DRAWS times
  per unit (`baselines.null`). A unit *assembles* if its share is at or above the layer null's
  POOLING_QUANTILE quantile (as diverse as random assignment), and *pools* otherwise.

    from mechanics import trends
    trends.build(out_dir, FIGURE, quick, atlas_root)      # the figure (kind "trends")
    trends.unit_measures(unit, window)                    # one unit's measures
"""

import json
from pathlib import Path
from types import SimpleNamespace

import msgspec
import numpy as np

from mechanics import baselines, contract
from mechanics.errors import BadInput
from mechanics.facts import fact, key

STRONG_CELLS = 8        # a third of the 24 off-centre cells
NULL_DRAWS = 200        # random assignments of top channels per unit
POOLING_QUANTILE = 0.05
MEASURES = (
    ("off_centre_share", "off-centre share",
     "share of the positive part's summed cell norms off the centre cell (flat window: 0.96)"),
    ("concentration", "concentration",
     "1 − normalized entropy of the cell norms (flat window: 0; one cell holding everything: 1)"),
    ("assembly_share", "assembly share",
     f"share of the {STRONG_CELLS} strongest off-centre cells whose top channel is not the unit's dominant channel"),
)


# -- one unit -------------------------------------------------------------------------------------

def cell_norms(unit, window):
    """(h, w) norms of a unit's positive-part cells."""
    return np.array([cell["norm"] for cell in unit["cells"]], np.float64).reshape(window["height"], window["width"])


def cell_tops(unit):
    """(n,) top channel of each cell (-1 for a cell without one) and (n, ) its weight."""
    tops = [cell["top_channels"][0] if cell["top_channels"] else None for cell in unit["cells"]]
    return (np.array([-1 if t is None else t["channel"] for t in tops]),
            np.array([0.0 if t is None else t["weight"] for t in tops]))


def concentration(vectors):
    """1 - normalized entropy of the positive norms of an (h, w, C) window; 0 for a flat one."""
    norms = np.linalg.norm(np.maximum(np.asarray(vectors, np.float64), 0), axis=-1).ravel()
    if norms.sum() <= 0:
        return 0.0
    p = norms / norms.sum()
    p = p[p > 0]
    # Rounded so that a flat window gives 0, not a float's last bit.
    return round(float(1 + (p * np.log(p)).sum() / np.log(norms.size)), 12)


def dominant_channel(tops, weights):
    """The top channel of the most cells; ties go to the larger summed weight, then the lower channel."""
    live = tops >= 0
    if not live.any():
        return -1
    channels = np.unique(tops[live])
    counts = np.array([(tops == c).sum() for c in channels])
    summed = np.array([weights[tops == c].sum() for c in channels])
    return int(channels[np.lexsort((channels, -summed, -counts))[0]])


def strong_cells(norms):
    """Flat indices of the STRONG_CELLS off-centre cells with the largest norms (norm > 0)."""
    h, w = norms.shape
    flat = norms.ravel()
    order = [i for i in np.argsort(-flat, kind="stable") if i != (h // 2) * w + w // 2 and flat[i] > 0]
    return np.array(order[:STRONG_CELLS], int)


def assembly_share(tops, strong, dominant):
    return float(np.mean(tops[strong] != dominant)) if len(strong) else 0.0


def unit_measures(unit, window):
    """{measure: value} of one atlas unit, with its dominant channel."""
    norms = cell_norms(unit, window)
    tops, weights = cell_tops(unit)
    dominant = dominant_channel(tops, weights)
    return {"off_centre_share": baselines.off_centre_share(norms[..., None]),
            "concentration": concentration(norms[..., None]),
            "assembly_share": assembly_share(tops, strong_cells(norms), dominant), "dominant": dominant}


# -- a layer ----------------------------------------------------------------------------------------

def null_assembly(units, window, seed=0, draws=NULL_DRAWS):
    """(len(units) * draws,) assembly shares with every cell's top channel drawn at random from the
    layer's pool of cell top channels (so a channel that leads many cells of the layer leads as many
    at random), each unit keeping its norms; the dominant channel is recomputed on each draw (ties
    at random), so the null pays the same selection as the data."""
    rng = np.random.default_rng(seed)
    pool = np.concatenate([cell_tops(unit)[0] for unit in units])
    pool = pool[pool >= 0]
    channels, frequency = np.unique(pool, return_counts=True)
    n = window["height"] * window["width"]
    out = []
    for unit in units:
        strong = strong_cells(cell_norms(unit, window))
        drawn = rng.choice(len(channels), size=(draws, n), p=frequency / frequency.sum())
        counts = np.zeros((draws, len(channels)))
        np.add.at(counts, (np.arange(draws)[:, None], drawn), 1)
        dominant = (counts + rng.uniform(0, 0.5, counts.shape)).argmax(axis=1)
        out.append((drawn[:, strong] != dominant[:, None]).mean(axis=1) if len(strong) else np.zeros(draws))
    return np.concatenate(out)


def layer_trends(units, window, seed=0):
    """Every unit's measures, and per measure the layer's quantiles and its baseline."""
    measured = [unit_measures(unit, window) for unit in units]
    values = {m: np.array([u[m] for u in measured]) for m, _, _ in MEASURES}
    null = null_assembly(units, window, seed)
    threshold = float(np.quantile(null, POOLING_QUANTILE))
    assembles = values["assembly_share"] >= threshold
    shape = (window["height"], window["width"])
    summary = {
        "off_centre_share": {"quantiles": baselines.quantiles(values["off_centre_share"]),
                             "trivial": baselines.trivial(baselines.off_centre_share, shape)},
        "concentration": {"quantiles": baselines.quantiles(values["concentration"]),
                          "trivial": baselines.trivial(concentration, shape)},
        "assembly_share": {"quantiles": baselines.quantiles(values["assembly_share"]),
                           "null": baselines.null(float(np.median(values["assembly_share"])), null,
                                                  "top channels drawn at random from the layer's cells", seed),
                           "threshold": threshold, "share_assembling": float(assembles.mean()),
                           "null_share_assembling": float((null >= threshold).mean())},
    }
    rows = [contract.TrendsUnit(channel=unit["channel"], label=unit["label"], dominant=m["dominant"],
                                assembles=bool(a), **{k: round(float(m[k]), 4) for k, _, _ in MEASURES})
            for unit, m, a in zip(units, measured, assembles)]
    # The baselines' plain numbers, typed as they are.
    return rows, msgspec.convert(summary, dict[str, contract.MeasureSummary]), values


# -- the figure -------------------------------------------------------------------------------------

def _fail(figure, problem):
    raise BadInput(f"figure {figure.name!r}: {problem}")


def read_atlas_layers(figure, atlas_root):
    """[(atlas figure.json, layer entry, layer file data)] of every atlas in params.atlases."""
    names = figure.params.get("atlases")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        _fail(figure, f"params.atlases is {names!r}, expected a non-empty list of atlas figure names")
    out = []
    for name in names:
        folder = Path(atlas_root) / name
        try:
            fig = json.loads((folder / "figure.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _fail(figure, f"params.atlases names {name!r}, which has no readable {folder / 'figure.json'}: "
                  f"make it first (python build.py figures {name})")
        if fig.get("kind") != "atlas":
            _fail(figure, f"params.atlases names {name!r}, a figure of kind {fig.get('kind')!r}, not an atlas")
        for entry in fig["layers"]:
            out.append((fig, entry, json.loads((folder / entry["file"]).read_text(encoding="utf-8"))))
    return out


def _facts(layers, named, raw):
    """`raw`: per layer, {measure: (n,) values} unrounded."""
    out = {"units": fact(sum(layer.n for layer in layers), "count", what="atlas units measured"),
           "layers": fact(len(layers), "count", what="atlas layers measured"),
           "strong_cells": fact(STRONG_CELLS, "count", what="strongest off-centre cells the assembly share looks at"),
           "null_draws": fact(NULL_DRAWS, "count", what="random assignments of top channels per unit in the null"),
           "pooling_quantile": fact(POOLING_QUANTILE, "share", 0, "null quantile below which a unit pools")}
    first = layers[0].summary
    out["flat_off_centre_share"] = fact(first["off_centre_share"].trivial.value, "share", 0,
                                        "off-centre share of a flat 5x5 window")
    out["flat_concentration"] = fact(first["concentration"].trivial.value, digits=2,
                                     what="concentration of a flat 5x5 window")
    for layer in layers:
        p, s = layer.id, layer.summary
        out[f"{p}_units"] = fact(layer.n, "count", what=f"units of {layer.label}")
        for m, kind in (("off_centre_share", "share"), ("concentration", "number"), ("assembly_share", "share")):
            for name in ("q25", "q50", "q75"):
                out[f"{p}_{m}_{name}"] = fact(getattr(s[m].quantiles, name), kind, 0 if kind == "share" else 2,
                                              f"{name} of {m} over the units of {layer.label}")
        a = s["assembly_share"]
        out[f"{p}_null_assembly_share_q50"] = fact(a.null.quantiles.q50, "share", 0,
                                                   f"median assembly share under the null, {layer.label}")
        out[f"{p}_assembly_threshold"] = fact(a.threshold, "share", 0, f"the null's {POOLING_QUANTILE} quantile, "
                                              f"{layer.label}: at or above it a unit assembles")
        out[f"{p}_share_assembling"] = fact(a.share_assembling, "share", 0, f"units of {layer.label} that assemble")
        out[f"{p}_null_share_assembling"] = fact(a.null_share_assembling, "share", 0,
                                                 f"share that would assemble under the null, {layer.label}")
        out[f"{p}_share_pooling"] = fact(1 - a.share_assembling, "share", 0, f"units of {layer.label} that pool")
    for model in dict.fromkeys(layer.model for layer in layers):
        mine = [i for i, layer in enumerate(layers) if layer.model == model]
        units = [u for i in mine for u in layers[i].units]
        pooled = {m: np.concatenate([raw[i][m] for i in mine]) for m, _, _ in MEASURES}
        m = key(model)
        out[f"{m}_units"] = fact(len(units), "count", what=f"units of {model} measured")
        out[f"{m}_off_centre_share_q50"] = fact(np.median(pooled["off_centre_share"]), "share", 0,
                                                f"median off-centre share over {model}'s units")
        out[f"{m}_concentration_q50"] = fact(np.median(pooled["concentration"]), digits=2,
                                             what=f"median concentration over {model}'s units")
        out[f"{m}_share_assembling"] = fact(np.mean([u.assembles for u in units]), "share", 0,
                                            f"share of {model}'s units that assemble")
    for unit in named:
        p = unit.id
        for m, pct in unit.percentiles.items():
            out[f"{p}_{m}_percentile"] = fact(pct, digits=0, what=f"{unit.label}'s percentile of {m} in its layer")
            out[f"{p}_{m}"] = fact(unit.values[m], "share" if m != "concentration" else "number", 0 if m != "concentration" else 2,
                                   f"{unit.label}'s {m}")
        out[f"{p}_assembles"] = fact("assembles" if unit.assembles else "pools", "text",
                                     what=f"{unit.label}'s class")
    return out


def build(out_dir, figure, quick, atlas_root):
    """The trends figure (kind "trends") from the atlases in params.atlases, found in `atlas_root`.
    `quick` changes nothing: the measures are cheap."""
    from mechanics.assets import FigureWriter
    p = figure.params
    seed = p.get("seed", 0)
    wanted = p.get("units", [])
    layers, named, raw = [], [], []
    for fig, entry, data in read_atlas_layers(figure, atlas_root):
        rows, summary, values = layer_trends(data["units"], data["window"], seed)
        raw.append(values)
        ident = f"{key(fig['model'])}_{key(entry['layer'])}"
        layers.append(contract.TrendsLayer(
            id=ident, model=fig["model"], model_label=fig["model_label"], layer=entry["layer"],
            prev_layer=entry["prev_layer"], path=entry["path"], atlas=fig["figure"],
            label=f"{fig['model_label']} {entry['layer']}", n=len(rows), summary=summary, units=rows))
        channels = [row.channel for row in rows]
        for model, layer, channel in wanted:
            if (model, layer) == (fig["model"], entry["layer"]) and channel in channels:
                i = channels.index(channel)
                named.append(contract.NamedUnit(
                    id=f"{ident}_{channel}", model=model, layer=layer, channel=channel, label=f"{layer}:{channel}",
                    assembles=rows[i].assembles, values={m: float(values[m][i]) for m, _, _ in MEASURES},
                    percentiles={m: baselines.layer_rank(values[m], i)["percentile"] for m, _, _ in MEASURES}))
    for model, layer, channel in wanted:
        if not any((u.model, u.layer, u.channel) == (model, layer, channel) for u in named):
            _fail(figure, f"params.units names {model} {layer}:{channel}, which no atlas in params.atlases holds")
    total = sum(layer.n for layer in layers)
    models = list(dict.fromkeys(layer.model_label for layer in layers))
    writer = FigureWriter(Path(out_dir), figure.name, SimpleNamespace(model_name=figure.model, label=", ".join(models)),
                          f"{total}-units", p)
    summary = (f"{total} atlas units of {len(layers)} layers ({', '.join(layer.label for layer in layers)}), each "
               f"centre neuron's expanded-weights decomposition over the block before (positive part), measured; "
               f"the assembly null draws top channels at random {NULL_DRAWS} times per unit (seed {seed}).")
    return writer.write(contract.Trends, summary, facts=_facts(layers, named, raw),
                        measures=[contract.Legend(id=i, label=label, description=d) for i, label, d in MEASURES],
                        strong_cells=STRONG_CELLS, pooling_quantile=POOLING_QUANTILE, layers=layers, named=named)
