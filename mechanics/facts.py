"""Named facts: the statistics a reader would quote from a figure, computed by its recipe.

A recipe passes ``facts={name: fact(...)}`` to ``FigureWriter.write``; the article binds them by
name (``{{ eye_detector.full_norm_3_3 }}``), so no number in the text is typed by hand. Each fact
carries what it needs to print itself: its ``kind`` (see ``KINDS``), its default ``digits``, an
optional ``unit`` and a short ``what``. Derived facts (medians, ranges, shares) are computed
here, from the same arrays the figure draws, never in the article's templates.

Cells are named by row and column counting from 1, as the article counts them: ``_3_3`` is the
centre of a 5x5 window.
"""

import re

import numpy as np

# How a fact's value prints (mechanics.contract checks each kind's value):
#   number  a decimal, ``digits`` after the point         10.48
#   signed  a decimal that always shows its sign           +0.024, −0.017
#   share   a fraction in [0, 1], printed as a percent     87%
#   percent a fraction of any size or sign, as a percent   −64%, 100.4%
#   count   a whole number, with thousands separators      1,808
#   index   a whole number that names something            channel 101, row 5
#   text    a string (a unit's label, a class name)        block8:98
KINDS = ("number", "signed", "share", "percent", "count", "index", "text")
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


def fact(value, kind="number", digits=None, what="", unit=None):
    """One fact's JSON: value as a plain Python number (or string for kind text)."""
    if kind in ("count", "index"):
        value, digits = int(value), 0
    elif kind == "text":
        value, digits = str(value), None
    else:
        value = float(value)
        digits = 2 if digits is None else digits
    out = {"value": value, "kind": kind}
    if digits is not None:
        out["digits"] = digits
    if unit:
        out["unit"] = unit
    if what:
        out["what"] = what
    return out


def key(text):
    """A fact-name part from an id such as 'logit:285' -> 'logit285', 'block14:186' -> 'block14_186'."""
    text = text.lower().replace("logit:", "logit").replace("efficientnet_", "")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _cell(r, c):
    return f"{r + 1}_{c + 1}"


def window_facts(prefix, vectors, halves=None):
    """Facts of one path's (h, w, C) decomposition vectors: each cell's norm (whole vector and
    positive part) and leading positive channel, the centre against the rest, and `halves`
    ((top/bottom, left/right) from mechanics.search.halves_score) if given."""
    h, w = vectors.shape[:2]
    whole = np.linalg.norm(vectors, axis=-1)
    positive = np.maximum(vectors, 0)
    pos = np.linalg.norm(positive, axis=-1)
    lead = positive.argmax(axis=-1)
    centre = (h // 2, w // 2)
    off = np.ones((h, w), bool)
    off[centre] = False
    out = {}
    for r in range(h):
        for c in range(w):
            out[f"{prefix}_norm_{_cell(r, c)}"] = fact(whole[r, c], what=f"norm of the component at row {r + 1}, column {c + 1}")
            out[f"{prefix}_pos_norm_{_cell(r, c)}"] = fact(pos[r, c], what=f"norm of the positive part at row {r + 1}, column {c + 1}")
            if pos[r, c] > 0:
                out[f"{prefix}_pos_top_{_cell(r, c)}"] = fact(lead[r, c], "index", what="the channel weighing most in the positive part of that cell")
    for name, norms, what in (("", whole, "component"), ("pos_", pos, "positive part")):
        out[f"{prefix}_{name}centre_norm"] = fact(norms[centre], what=f"norm of the centre cell's {what}")
        if off.any():
            out[f"{prefix}_{name}off_centre_min"] = fact(norms[off].min(), what=f"smallest norm of an off-centre cell's {what}")
            out[f"{prefix}_{name}off_centre_max"] = fact(norms[off].max(), what=f"largest norm of an off-centre cell's {what}")
    if pos.sum() > 0:
        out[f"{prefix}_pos_off_centre_share"] = fact(1 - pos[centre] / pos.sum(), "share", 0,
                                                     "share of the positive part's summed cell norms off the centre cell")
    if halves is not None:
        out[f"{prefix}_halves_top_bottom"] = fact(halves[0], what="halves score, top two rows against bottom two (search --score halves)")
        out[f"{prefix}_halves_left_right"] = fact(halves[1], what="halves score, left two columns against right two")
    return out


def balance(norms):
    """(imbalance, side): the larger of |top - bottom| / (top + bottom) over the two outer row pairs
    and the same for the column pairs, and the side it leans to."""
    h, w = norms.shape
    pairs = (("top", "bottom", norms[: h // 2].sum(), norms[(h + 1) // 2:].sum()),
             ("left", "right", norms[:, : w // 2].sum(), norms[:, (w + 1) // 2:].sum()))
    best = (0.0, "none")
    for first, second, a, b in pairs:
        if a + b > 0 and abs(a - b) / (a + b) > best[0]:
            best = (abs(a - b) / (a + b), first if a > b else second)
    return best


def gallery_facts(items):
    """Counts per layer, the median centre share and the most lopsided neuron of a gallery (its
    contract.GalleryItem list)."""
    out = {"neurons": fact(len(items), "count", what="neurons in the gallery")}
    layers = list(dict.fromkeys(item.layer for item in items))
    out["layers"] = fact(len(layers), "count", what="layers the gallery draws from")
    for layer in layers:
        out[f"{key(layer)}_neurons"] = fact(sum(item.layer == layer for item in items), "count",
                                            what=f"neurons of {layer}")
    shares, lopsided = [], (-1.0, "", "")
    for item in items:
        h, w = item.window.height, item.window.width
        norms = np.array([cell.norm for cell in item.cells]).reshape(h, w)
        total = norms.sum()
        shares.append(norms[h // 2, w // 2] / total if total > 0 else 0.0)
        imbalance, side = balance(norms)
        if imbalance > lopsided[0]:
            lopsided = (imbalance, item.label, side)
    window = items[0].window
    out["flat_centre_share"] = fact(1 / (window.height * window.width), "share", 0, "a flat window's centre share")
    out["median_centre_share"] = fact(np.median(shares), "share", 1,
                                      "median share of the positive part's summed cell norms in the centre cell")
    out["max_imbalance"] = fact(lopsided[0], "share", 0, "largest |top − bottom| / (top + bottom) of the outer two "
                                "rows (or left/right columns) of a neuron's positive norms")
    out["max_imbalance_unit"] = fact(lopsided[1], "text", what="the neuron with that imbalance")
    out["max_imbalance_side"] = fact(lopsided[2], "text", what="the side it leans to")
    return out


def attribution_facts(prefix, attribution, size):
    """Completeness, per-cell and per-row saliency and the strongest cell of one target and method."""
    saliency = attribution.saliency
    norms = np.linalg.norm(attribution.vectors.reshape(-1, attribution.vectors.shape[-1]), axis=1)
    out = {f"{prefix}_delta": fact(attribution.target_delta, what="the target's change from the zero baseline"),
           f"{prefix}_sum": fact(attribution.attribution_sum, what="the attributions' sum"),
           f"{prefix}_gap": fact(attribution.gap, what="change minus sum"),
           f"{prefix}_ratio": fact(attribution.ratio, "percent", 1, "sum / change")}
    for r in range(size):
        out[f"{prefix}_row_{r + 1}"] = fact(saliency[r].sum(), what=f"saliency summed over row {r + 1}")
        for c in range(size):
            out[f"{prefix}_saliency_{_cell(r, c)}"] = fact(saliency[r, c], what=f"saliency at row {r + 1}, column {c + 1}")
    peak = int(np.argmax(norms))
    out[f"{prefix}_peak_row"] = fact(peak // size + 1, "index", what="row of the cell with the largest vector")
    out[f"{prefix}_peak_col"] = fact(peak % size + 1, "index", what="column of the cell with the largest vector")
    return out


def completeness_facts(prefix, attribution):
    """Only the completeness of an attribution (for layers the figure does not draw)."""
    return {f"{prefix}_delta": fact(attribution.target_delta, what="the target's change from the zero baseline"),
            f"{prefix}_sum": fact(attribution.attribution_sum, what="the attributions' sum"),
            f"{prefix}_ratio": fact(attribution.ratio, "percent", 1, "sum / change")}


def ranking_facts(blocks, score):
    """Per model (a contract.RankedModel) and rank: channel, measures and top classes; the range of the
    top `score`s."""
    out = {}
    for block in blocks:
        m = key(block.model)
        out[f"{m}_layer"] = fact(block.layer, "text", what="the ranked layer")
        for unit in block.units:
            p = f"{m}_rank{unit.rank}"
            out[f"{p}_channel"] = fact(unit.channel, "index", what="channel at this rank")
            for measure, value in unit.values.items():
                out[f"{p}_{measure}"] = fact(value, what=measure)
            out[f"{p}_classes"] = fact(", ".join(c.label for c in unit.top_classes[:3]), "text",
                                       what="its three strongest classes")
    tops = [block.units[0].values[score] for block in blocks]
    out["top_score_min"] = fact(min(tops), what="smallest rank-1 score over the models")
    out["top_score_max"] = fact(max(tops), what="largest rank-1 score over the models")
    return out


CLAIM_SIGNED = ("wheel_bottom_minus_top", "window_top_minus_bottom", "wheel_top", "wheel_bottom", "window_top",
                "window_bottom", "wheel_window_correlation")


def comparison_facts(panels, holds=None):
    """Per panel (a contract.ComparisonPanel, named by model): its unit and every measure; for the car
    claim, how many units it holds for and the ranges the text quotes. `holds` lists, per panel, whether
    the claim holds."""
    out = {}
    for panel in panels:
        m = key(panel.model)
        out[f"{m}_layer"] = fact(panel.target.layer, "text", what="the unit's layer")
        out[f"{m}_channel"] = fact(panel.target.channel, "index", what="the unit's channel")
        for measure, value in panel.values.items():
            kind, digits = ("signed", 3) if measure in CLAIM_SIGNED else ("number", 2)
            out[f"{m}_{measure}"] = fact(value, kind, digits, measure)
    values = [panel.values for panel in panels]
    if holds is not None:
        out["claim_holds"] = fact(sum(holds), "count", what="units for which the claim holds")
        out["claim_difference_max"] = fact(
            max(max(abs(v["wheel_bottom_minus_top"]), abs(v["window_top_minus_bottom"])) for v in values), digits=3,
            what="largest |difference| that would carry the claim")
        halves = [abs(v[name]) for v in values for name in ("wheel_top", "wheel_bottom", "window_top", "window_bottom")]
        out["half_correlation_abs_min"] = fact(min(halves), what="smallest |correlation| of a half with a direction")
        out["half_correlation_abs_max"] = fact(max(halves), what="largest |correlation| of a half with a direction")
        wheel = [v[name] for v in values for name in ("wheel_top", "wheel_bottom")]
        out["wheel_half_min"] = fact(min(wheel), "signed", what="lowest correlation of a half with the wheel")
        out["wheel_half_max"] = fact(max(wheel), "signed", what="highest correlation of a half with the wheel")
    return out


def factor_facts(maps, directions):
    """Per factor (from 1): the cell where it acts most and its leading channel."""
    out = {"factors": fact(directions.shape[0], "count", what="factors")}
    h, w = maps.shape[:2]
    for i in range(directions.shape[0]):
        peak = int(np.argmax(maps[..., i]))
        out[f"factor{i + 1}_peak_row"] = fact(peak // w + 1, "index", what="row of the factor's strongest cell")
        out[f"factor{i + 1}_peak_col"] = fact(peak % w + 1, "index", what="column of the factor's strongest cell")
        out[f"factor{i + 1}_top_channel"] = fact(int(np.argmax(directions[i])), "index", what="the factor's leading channel")
    return out
