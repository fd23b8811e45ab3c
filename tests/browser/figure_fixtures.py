"""Contract-valid fixture figures, one per diagram kind, with synthetic sprites, built as the
contract's typed models (mechanics.contract), so a field the contract does not know is a TypeError.

Every tile is a flat, distinct colour with its sprite id initial and index drawn on
it, so a test (or a human looking at a screenshot) can tell which tile is shown.
build_fixture_project() lays out a whole project around them for build.py --root.
"""

import colorsys
import math
import shutil
from pathlib import Path

import msgspec
import numpy as np
from PIL import Image, ImageDraw

from mechanics import contract as c
from mechanics.assets import encode

FIGURES = {
    "eye_detector": "decomposition_grid",
    "cat_attribution": "attribution_explorer",
    "eye_factors": "factor_view",
    "eye_objectives": "objective_comparison",
    "unit_gallery": "gallery",
    "car_ranking": "unit_ranking",
    "car_comparison": "decomposition_comparison",
    "atlas_trends": "trends",
    "car_claim": "claim_test",
}
# The browser tests' page: every kind, and one kind twice, as in the article, where each diagram
# loads its component's script again.
PAGE_FIGURES = {**FIGURES, "eye_detector_again": "decomposition_grid"}
# Figures as made before evidence (issue 21): no baselines, dataset examples or occlusion check.
WITHOUT_EVIDENCE = {"eye_detector_again"}


class SpriteSheet:
    """Collects sprites for one figure and writes them as JPEG files."""

    def __init__(self, figure_dir):
        self.dir = figure_dir
        self.table = {}
        self._hue = 0.0

    def add(self, sprite_id, count, tile, columns, colors=None):
        rows = math.ceil(count / columns)
        sheet = Image.new("RGB", (columns * tile, rows * tile), "white")
        draw = ImageDraw.Draw(sheet)
        for i in range(count):
            if colors is not None:
                color = colors[i]
            else:
                # Golden-ratio hue steps keep neighbouring tiles clearly different.
                self._hue = (self._hue + 0.618034) % 1.0
                color = tuple(int(255 * v) for v in colorsys.hsv_to_rgb(self._hue, 0.55, 0.9))
            x, y = (i % columns) * tile, (i // columns) * tile
            draw.rectangle([x, y, x + tile - 1, y + tile - 1], fill=color)
            draw.rectangle([x + 3, y + 3, x + tile - 4, y + tile - 4], outline=(40, 40, 40))
            draw.text((x + 6, y + 6), f"{sprite_id[:1]}{i}", fill=(20, 20, 20))
        file_name = f"{sprite_id}.jpg"
        sheet.save(self.dir / file_name, "JPEG", quality=85)
        self.table[sprite_id] = c.Sprite(file=file_name, tile=tile, columns=columns, count=count)
        return sprite_id


def _ref(sprite, index):
    return c.ImageRef(sprite=sprite, index=index)


CHANNELS = ("channels", 16, 48, 8)  # the thumbnails of earlier-layer channels: 16 tiles of 48 px, 8 a row


def _sheet(figure_dir, *sprites):
    """A SpriteSheet with `sprites` (SpriteSheet.add arguments) added in order: the order sets their colours."""
    sheet = SpriteSheet(figure_dir)
    for args in sprites:
        sheet.add(*args)
    return sheet


def _target():
    """The unit the decomposition, factor and objective fixtures are about."""
    return c.Target(layer="block10", channel=101, position=[2, 2], label="block10:101")


def _window(h, w):
    return c.Window(height=h, width=w)


def _figure(model, name, sprites, summary, **fields):
    """A figure of the kind `model` (a contract model), with the fields every kind has."""
    fact = c.FACT_MODELS
    return model(
        contract=1, figure=name, model="efficientnet_lite0", model_label="EfficientNet-Lite0",
        engine_version="test", input_hash="0" * 16, params={"steps": 64, "size": 128, "seed": 0},
        sprites=sprites.table, summary=summary,
        # Named facts, as every recipe writes them (mechanics.facts), for the article's {{ }} bindings.
        facts={"centre_norm": fact["number"](value=0.1247, digits=2, what="a norm"),
               "centre_share": fact["share"](value=0.163385, digits=1),
               "gap": fact["signed"](value=-6.325, digits=2),
               "neurons": fact["count"](value=1808, digits=0)},
        **fields)


def _cells(rng, sprite, h, w, top_sprite=None):
    """Row-major cells with a centre-peaked norm, so emphasis varies over the window; with top_sprite,
    full cells (offset and top channels)."""
    cy, cx = (h - 1) / 2, (w - 1) / 2
    norms = [round(float(1.0 / (1 + (r - cy) ** 2 + (c_ - cx) ** 2) + rng.uniform(0, 0.1)), 4)
             for r in range(h) for c_ in range(w)]
    top = max(norms)
    cells = []
    for i, norm in enumerate(norms):
        r, col = divmod(i, w)
        cell = dict(row=r, col=col, norm=norm, weight=round(norm / top, 4), image=_ref(sprite, i))
        if top_sprite is None:
            cells.append(c.PlainCell(**cell))
            continue
        cells.append(c.Cell(**cell, offset=[r - h // 2, col - w // 2], top_channels=[
            c.TopChannel(channel=int(17 * i + 3 * k) % 112, weight=round(1.0 / (k + 1), 3),
                         image=_ref(top_sprite, (i + k) % 16) if k < 3 else None)
            for k in range(4)]))
    return cells


def _full_cell(cell, h, w, top_channels, image=None):
    """A plain cell with its offset from the window's centre and its top channels, as the engine writes
    the cells of galleries (top channels empty) and atlases."""
    return c.Cell(row=cell.row, col=cell.col, norm=cell.norm, weight=cell.weight, image=image or cell.image,
                  offset=[cell.row - h // 2, cell.col - w // 2], top_channels=top_channels)


def _quantiles(samples):
    values = np.quantile(np.asarray(samples, np.float64), (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99))
    return c.Quantiles(*(round(float(v), 4) for v in values))


def _percentile(values, value):
    """mechanics.baselines.layer_rank's percentile: the share of values at or below `value`, times 100."""
    return round(100.0 * float(np.mean(np.asarray(values) <= value)), 2)


def _null(kind, samples, value, seed=0):
    """A NULL as mechanics.baselines.null writes one."""
    return c.NullSample(kind=kind, n=len(samples), seed=seed, quantiles=_quantiles(samples),
                        exceeded_by=round(float(np.mean(np.asarray(samples) >= value)), 4))


def _baselines(rng):
    """Two baselines as mechanics.baselines writes them: a unit's off-centre share against its layer
    and the flat window, and the occlusion check's correlation against its shuffled null."""
    layer = rng.uniform(0.6, 0.95, 112)
    share = float(layer[101])
    return [
        c.Baseline(id="off_centre_share", label="off-centre share of block10:101", statistic="off_centre_share",
                   value=round(share, 4),
                   layer=c.LayerRank(n=112, percentile=_percentile(layer, share), quantiles=_quantiles(layer),
                                     label="EfficientNet-Lite0 block10"),
                   trivial=c.Trivial(kind="flat 5x5 window", value=0.96)),
        c.Baseline(id="occlusion_r", label="occlusion check of block10:101 on chelsea.png", statistic="pearson",
                   value=0.83,
                   null=_null("predictions shuffled over window positions", rng.normal(0.0, 0.15, 1000), 0.83)),
    ]


def _examples(n_top):
    """Dataset examples: the top crops of a tiny folder, as mechanics.examples ranks them."""
    activations = sorted((round(9.0 - 0.7 * k - 0.01 * k * k, 3) for k in range(20)), reverse=True)
    return c.Examples(source="scikit-image's 20 bundled photos", images=20, skipped=1, input_size=224,
                      activation_quantiles=_quantiles(activations),
                      top=[c.Example(file=f"photo_{k}.png", activation=activations[k],
                                     position=[3 + k % 3, 7 - k % 4], image=_ref("examples", k))
                           for k in range(n_top)])


def _occlusion(rng, h, w):
    """An occlusion check whose window leaves the map on the left: the first column has no cells."""
    predicted = rng.normal(0.0, 1.0, (h, w))
    predicted[h // 2, w // 2] = 2.5
    measured = 0.8 * predicted + rng.normal(0.0, 0.4, (h, w))
    inside = [[col > 0 for col in range(w)] for _ in range(h)]
    grid = lambda values: [[round(float(v), 4) if inside[r][col] else None for col, v in enumerate(row)]
                           for r, row in enumerate(values)]
    null = _null("predictions shuffled over window positions", rng.normal(0.0, 0.18, 1000), 0.83, seed=0)
    off_centre = _comparison(rng, -0.06, h * (w - 1) - 1)
    gradient_null = _null("predictions shuffled over window positions", rng.normal(0.0, 0.18, 1000), 1.0, seed=0)
    return c.Occlusion(
        file="chelsea.png", photo=_ref("photo", 0), target=_target(), earlier="block9", window=[0, -1, h, w],
        unit_value=4.2, predicted=grid(predicted), measured=grid(measured), pearson=0.83, spearman=0.71,
        n=h * (w - 1), null=null, off_centre=off_centre,
        gradient=c.GradientCheck(predicted=grid(measured), pearson=1.0, spearman=0.94, n=h * (w - 1), null=gradient_null,
                                 off_centre=_comparison(rng, 0.91, h * (w - 1) - 1)))


def _comparison(rng, pearson, n):
    """occlusion.compare's shape: a correlation over n positions with its shuffled null."""
    return c.Correlation(pearson=pearson, spearman=pearson, n=n,
                         null=_null("predictions shuffled over window positions", rng.normal(0.0, 0.18, 1000),
                                    pearson, seed=0))


def decomposition_grid(figure_dir, name):
    rng = np.random.default_rng(1)
    evidence = name not in WITHOUT_EVIDENCE
    sheet = _sheet(figure_dir, ("unit", 1, 128, 1), CHANNELS)
    h = w = 5
    views = {}
    for view in ("branch", "skip", "full"):
        views[view] = c.View(**{part: c.Part(cells=_cells(rng, sheet.add(f"{view}_{part}", h * w, 64, w), h, w, "channels"))
                                for part in ("positive", "negative")})
    if evidence:
        sheet.add("examples", 6, 96, 6)
        sheet.add("photo", 1, 224, 1)
    fig = _figure(c.DecompositionGrid, name, sheet,
                  "EfficientNet-Lite0 block10:101 at the centre, decomposed over block9 (expanded weights, 64 steps).",
                  target=_target(), prev_layer="block9", mode="expanded", window=_window(h, w),
                  unit_image=_ref("unit", 0), views=views)
    if evidence:
        evidence_rng = np.random.default_rng(11)
        fig.baselines = _baselines(evidence_rng)
        fig.examples = _examples(6)
        fig.occlusion = _occlusion(evidence_rng, h, w)
    return fig


def attribution_explorer(figure_dir, name):
    rng = np.random.default_rng(2)
    sheet = SpriteSheet(figure_dir)
    gh = gw = 7
    yy, xx = np.mgrid[0:224, 0:224]
    photo = np.stack([xx, yy, 255 - (xx + yy) // 2], axis=-1).clip(0, 255).astype("uint8")
    Image.fromarray(photo).save(figure_dir / "photo.jpg", "JPEG", quality=85)
    targets = [c.Choice(id="logit:285", label="Egyptian cat (logit 285)"),
               c.Choice(id="block10:101", label="block10:101 (neuron)")]
    methods = [c.Choice(id="gradxact", label="activation × gradient"),
               c.Choice(id="ig", label="integrated gradients (64 steps)")]
    results = {}
    for t in targets:
        results[t.id] = {}
        for m in methods:
            sprite = sheet.add(f"{t.id.replace(':', '_')}_{m.id}", gh * gw, 48, gw)
            saliency = rng.normal(0, 1, (gh, gw)).round(3).tolist()
            delta = 10.2
            total = -0.05 if m.id == "gradxact" else 9.75
            results[t.id][m.id] = c.AttributionResult(
                saliency=saliency, cells=_cells(rng, sprite, gh, gw),
                completeness=c.Completeness(target_delta=delta, attribution_sum=total,
                                            gap=round(delta - total, 4), ratio=round(total / delta, 4)))
    return _figure(c.AttributionExplorer, name, sheet,
                   "EfficientNet-Lite0 attributions at block9 for a photo, two targets, two methods.",
                   photo=c.Photo(file="photo.jpg", width=224, height=224), layer="block9", grid=_window(gh, gw),
                   targets=targets, methods=methods, results=results)


def factor_view(figure_dir, name):
    rng = np.random.default_rng(3)
    sheet = _sheet(figure_dir, ("unit", 1, 128, 1), ("factors", 3, 96, 3), CHANNELS)
    h = w = 5
    colors = ["#e7298a", "#1b9e77", "#7570b3"]
    factors = []
    for i, color in enumerate(colors):
        # Each factor acts mostly in its own band of rows, as NMF factors of a window tend to.
        bump = np.exp(-((np.arange(h)[:, None] - (i * 2)) ** 2) / 2.0) * rng.uniform(0.6, 1.0, (h, w))
        factors.append(c.Factor(color=color, map=(bump / bump.max()).round(3).tolist(), image=_ref("factors", i),
                                top_channels=[c.TopChannel(channel=10 * i + k, weight=round(0.9 - 0.2 * k, 2),
                                                           image=_ref("channels", 3 * i + k)) for k in range(3)]))
    return _figure(c.FactorView, name, sheet, "EfficientNet-Lite0 block10:101, three NMF factors of its block9 window.",
                   target=_target(), prev_layer="block9", window=_window(h, w), unit_image=_ref("unit", 0),
                   factors=factors)


def objective_comparison(figure_dir, name):
    rng = np.random.default_rng(4)
    sheet = _sheet(figure_dir, ("units", 4, 128, 4), CHANNELS)
    h = w = 3
    panels = []
    for i, (objective, direction) in enumerate([("neuron", "dot"), ("neuron", "cossim"),
                                                 ("channel", "dot"), ("channel", "cossim")]):
        neuron = objective == "neuron"
        cells = _cells(rng, sheet.add(f"cells_{i}", h * w, 64, w), h, w, "channels") if neuron else []
        panels.append(c.ObjectivePanel(id=f"{objective}-{direction}", label=f"{objective} objective, {direction}",
                                       objective=objective, direction=direction, value=round(12.5 - 2.1 * i, 2),
                                       unit_image=_ref("units", i), window=_window(h, w) if neuron else None,
                                       cells=cells))
    return _figure(c.ObjectiveComparison, name, sheet, "EfficientNet-Lite0 block10:101 under four objectives, 64 steps.",
                   target=_target(), panels=panels)


def gallery(figure_dir, name):
    rng = np.random.default_rng(5)
    sheet = SpriteSheet(figure_dir)
    h = w = 3
    per_group = 16
    items = []
    # Two models x three layers, one unit sprite and one cell sprite per group.
    for model, model_label in (("efficientnet_lite0", "EfficientNet-Lite0"), ("inception_v1", "InceptionV1")):
        for layer in ("block8", "block9", "block10"):
            group = f"{model[:3]}_{layer}"
            units = sheet.add(f"u_{group}", per_group, 64, 8)
            cells = sheet.add(f"c_{group}", per_group * h * w, 24, w * 8)
            for k in range(per_group):
                channel = 7 * k + 1
                item_cells = [_full_cell(cell, h, w, []) for cell in _cells(rng, cells, h, w)]
                for cell in item_cells:
                    # Cell images of item k sit in its own 3x3 block of the chunk's grid sprite.
                    cell.image.index = ((k // 8) * h + cell.row) * (w * 8) + (k % 8) * w + cell.col
                items.append(c.GalleryItem(id=f"{model}/{layer}/{channel}", model=model, model_label=model_label,
                                           layer=layer, channel=channel, label=f"{layer}:{channel}",
                                           unit_image=_ref(units, k), window=_window(h, w), cells=item_cells))
    return _figure(c.Gallery, name, sheet, "96 decomposed units of EfficientNet-Lite0 and InceptionV1 at three layers.",
                   items=items)


def _legend(*ids):
    return [c.Legend(id=i, label=i.replace("_", " "), description=f"what {i} measures") for i in ids]


def _class(class_id, label):
    return c.ClassLabel(class_=class_id, label=label)


def unit_ranking(figure_dir, name):
    sheet = SpriteSheet(figure_dir)
    models = []
    for m, (model, label, layer) in enumerate((("efficientnet_lite0", "EfficientNet-Lite0", "block14"),
                                               ("efficientnet_lite2", "EfficientNet-Lite2", "block19"))):
        sprite = sheet.add(f"units_{m}", 3, 64, 3)
        units = [c.RankedUnit(rank=k + 1, channel=10 * m + 7 * k, label=f"{layer}:{10 * m + 7 * k}",
                              image=_ref(sprite, k),
                              values={"class_z": round(1.5 - 0.2 * k, 3), "class_mean": round(1.0 - 0.1 * k, 3)},
                              top_classes=[c.TopClass(class_=479 + k, label=f"class {479 + k}", weight=2.5),
                                           c.TopClass(class_=817, label="sports car", weight=2.0)])
                 for k in range(3)]
        models.append(c.RankedModel(model=model, model_label=label, layer=layer, stage="stage6", units=units))
    return _figure(c.UnitRanking, name, sheet, "Car units of two models ranked by class score, 64 steps.",
                   measures=_legend("class_z", "class_mean"),
                   classes=[_class(479, "car wheel"), _class(817, "sports car")], models=models)


def decomposition_comparison(figure_dir, name):
    rng = np.random.default_rng(6)
    sheet = _sheet(figure_dir, ("units", 2, 128, 2), CHANNELS)
    h = w = 5
    panels = []
    # Lite0's panel is block10:101, which the atlas fixture holds; Lite1's block14:4 it does not.
    for i, (model, label, layer, channel, prev_layer) in enumerate((
            ("efficientnet_lite0", "EfficientNet-Lite0", "block10", 101, "block9"),
            ("efficientnet_lite1", "EfficientNet-Lite1", "block14", 4, "block13"))):
        cells = _cells(rng, sheet.add(f"cells_{i}", h * w, 64, w), h, w, "channels")
        panels.append(c.ComparisonPanel(
            id=f"{model}/{layer}/{channel}", model=model, model_label=label,
            target=c.Target(layer=layer, channel=channel, position=[3, 3], label=f"{layer}:{channel} at (3, 3)"),
            prev_layer=prev_layer, path="branch", unit_image=_ref("units", i), window=_window(h, w), cells=cells,
            values={"class_z": round(1.4 - 0.3 * i, 3), "wheel_bottom_minus_top": round(0.25 - 0.3 * i, 3)},
            cell_values={"wheel": (np.arange(h)[:, None] * 0.1 + np.zeros((h, w)) - 0.2).round(3).tolist()}))
    return _figure(c.DecompositionComparison, name, sheet, "Two car units decomposed side by side, 64 steps.",
                   measures=_legend("class_z", "wheel_bottom_minus_top"), cell_measures=_legend("wheel"),
                   panels=panels)


TRENDS_MEASURES = ("off_centre_share", "concentration", "assembly_share")


def trends(figure_dir, name):
    """Two layers of per-unit measures; the Lite0 block10 one holds block10:101, which the atlas
    fixture has an entry for, and block10:5, which it has (channels 0..23); the Lite1 layer's units
    have no entries. No sprites: the figure draws numbers."""
    rng = np.random.default_rng(7)
    layers = []
    for model, label, layer, channels in (("efficientnet_lite0", "EfficientNet-Lite0", "block10", list(range(24)) + [101]),
                                          ("efficientnet_lite1", "EfficientNet-Lite1", "block12", list(range(30)))):
        units = []
        for ch in channels:
            share = round(float(rng.choice([0.25, 0.5, 0.75, 0.875, 1.0])), 4)
            units.append(c.TrendsUnit(channel=ch, label=f"{layer}:{ch}", dominant=int(ch % 7), assembles=share >= 0.75,
                                    off_centre_share=round(float(rng.uniform(0.7, 0.9)), 4),
                                    concentration=round(float(rng.uniform(0.03, 0.1)), 4), assembly_share=share))
        summary = {}
        for m in TRENDS_MEASURES:
            q = np.quantile([getattr(u, m) for u in units], (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99))
            summary[m] = c.MeasureSummary(quantiles=c.Quantiles(*map(float, q)))
        summary["off_centre_share"].trivial = c.Trivial(kind="flat 5x5 window", value=0.96)
        summary["concentration"].trivial = c.Trivial(kind="flat 5x5 window", value=0.0)
        assembly = summary["assembly_share"]
        assembly.null = c.NullSample(kind="random top channels", n=1000, seed=0, exceeded_by=0.4,
                                     quantiles=c.Quantiles(0.625, 0.75, 0.875, 0.875, 1.0, 1.0, 1.0))
        assembly.threshold = 0.75
        assembly.share_assembling = float(np.mean([u.assembles for u in units]))
        assembly.null_share_assembling = 0.99
        layers.append(c.TrendsLayer(id=f"{model[-5:]}_{layer}", model=model, model_label=label, layer=layer,
                                    prev_layer="block9", path="branch", atlas=f"atlas_{layer}", label=f"{label} {layer}",
                                    n=len(units), summary=summary, units=units))
    return _figure(c.Trends, name, SpriteSheet(figure_dir), "55 atlas units of two layers, measured.",
                   measures=_legend(*TRENDS_MEASURES), strong_cells=8, pooling_quantile=0.05, layers=layers,
                   named=[c.NamedUnit(id="lite0_block10_101", model="efficientnet_lite0", layer="block10", channel=101,
                                      label="block10:101", assembles=True, values=dict.fromkeys(TRENDS_MEASURES, 0.5),
                                      percentiles=dict.fromkeys(TRENDS_MEASURES, 50.0))])


def claim_test(figure_dir, name):
    """The car claim over every unit of two layers: a positive control beside each layer's scores,
    three units picked by response per layer, and the class renders they were picked with."""
    rng = np.random.default_rng(8)
    sheet = _sheet(figure_dir, ("renders", 6, 96, 6), ("units_block10", 3, 96, 3), ("units_block14", 3, 96, 3))
    measures = [c.Legend(id="claim_score", label="claim score",
                         description="window above minus window below plus wheel below minus wheel above"),
                c.Legend(id="window_above", label="window above",
                         description="correlation with the window direction, upper rows"),
                c.Legend(id="wheel_below", label="wheel below",
                         description="correlation with the wheel direction, lower rows")]
    layers = []
    for layer, prev, path, n, size in (("block10", "block9", "branch", 112, 14), ("block14", "block13", "full", 192, 7)):
        scores = rng.normal(0.0, 0.1, n).round(4)
        control = round(float(scores.max()) + 0.15, 4)
        channels = [int(ch) for ch in rng.choice(n, 3, replace=False)]
        units = [c.ClaimUnit(channel=ch, label=f"{layer}:{ch}", image=_ref(f"units_{layer}", k),
                             percentile=_percentile(scores, scores[ch]), response_rank=k + 1,
                             values={"claim_score": float(scores[ch]),
                                     "window_above": round(float(rng.uniform(-0.3, 0.3)), 4),
                                     "wheel_below": round(float(rng.uniform(-0.3, 0.3)), 4)})
                 for k, ch in enumerate(channels)]
        layers.append(c.ClaimLayer(id=f"lite0_{layer}", layer=layer, prev_layer=prev, path=path, map_size=size,
                                   label=f"EfficientNet-Lite0 {layer}", n=n, scores=scores.tolist(),
                                   quantiles=_quantiles(scores),
                                   control=c.Control(label="synthetic car unit (window above, wheel below)",
                                                     value=control, percentile=100.0,
                                                     values={"claim_score": control, "window_above": 0.61,
                                                             "wheel_below": 0.57}),
                                   units=units))
    renders = [c.Render(class_=class_id, label=label, group=group, image=_ref("renders", k))
               for k, (class_id, label, group) in enumerate(((817, "sports car", "car"), (511, "convertible", "car"),
                                                              (656, "minivan", "car"), (751, "racer", "car"),
                                                              (285, "Egyptian cat", "control"),
                                                              (948, "Granny Smith", "control")))]
    return _figure(
        c.ClaimTest, name, sheet, "The car claim (windows above, wheels below) over every unit of "
        "EfficientNet-Lite0 block10 and block14, with a positive control, 64 steps.",
        measures=measures,
        directions=[c.Direction(id="window", label="car window",
                                classes=[_class(817, "sports car"), _class(511, "convertible")]),
                    c.Direction(id="wheel", label="wheel", classes=[_class(479, "car wheel")])],
        checks=[c.Check(id="wheel_ig", label="wheel direction against integrated gradients",
                        description="cosine of the wheel direction with the wheel attribution's IG vectors", value=0.62)],
        renders=renders, layers=layers,
        baselines=[c.Baseline(id="control_block10", label="positive control's claim score at block10",
                              statistic="claim_score", value=layers[0].control.value,
                              layer=c.LayerRank(n=112, percentile=100.0, quantiles=layers[0].quantiles))])


# The atlas fixture's layers: (layer, earlier layer, path, channels). block10 holds 101, the unit of
# the decomposition fixtures; the gallery's Lite0 items at block9 and block10 with channels below
# 40 have entries, block8's none. Top channels range over 0..47 of the earlier layer, so some
# have entries (block9 has 0..39) and some do not.
ATLAS_LAYERS = (("block9", "block8", "branch", tuple(range(40))),
                ("block10", "block9", "branch", tuple(range(24)) + (101,)))
ATLAS_CELLS_PER_SPRITE = 16  # units per cells sprite, as mechanics.atlas writes them


def atlas_top_channels(channel, i):
    """Three distinct earlier-layer channels of cell i of a unit, strongest first."""
    base = (7 * channel + 3 * i) % 48
    return [base, (base + 13) % 48, (base + 29) % 48]


def atlas(figure_dir, name):
    """An atlas as mechanics.atlas writes one: figure.json, a JSON file per layer, per-layer sprites."""
    rng = np.random.default_rng(6)
    sheet = SpriteSheet(figure_dir)
    h = w = 5
    layers = []
    for layer, prev, path, channels in ATLAS_LAYERS:
        units_sprite = sheet.add(f"{layer}_units", len(channels), 64, 16)
        units = []
        for start in range(0, len(channels), ATLAS_CELLS_PER_SPRITE):
            chunk = channels[start:start + ATLAS_CELLS_PER_SPRITE]
            cells_sprite = sheet.add(f"{layer}_cells_{start // ATLAS_CELLS_PER_SPRITE}", len(chunk) * h * w, 48, w)
            for k, channel in enumerate(chunk):
                cells = [_full_cell(cell, h, w, [c.TopChannel(channel=ch, weight=round(1.0 / (n + 1), 3), image=None)
                                                 for n, ch in enumerate(atlas_top_channels(channel, i))],
                                    _ref(cells_sprite, k * h * w + i))
                         for i, cell in enumerate(_cells(rng, cells_sprite, h, w))]
                units.append(c.AtlasUnit(channel=channel, label=f"{layer}:{channel}", value=round(3.5 + channel / 10, 2),
                                         unit_image=_ref(units_sprite, start + k), cells=cells))
        (figure_dir / f"{layer}.json").write_bytes(encode(c.AtlasLayer(
            layer=layer, prev_layer=prev, path=path, position=[4, 4], window=_window(h, w), units=units), compact=True))
        layers.append(c.AtlasLayerEntry(layer=layer, prev_layer=prev, path=path, file=f"{layer}.json",
                                        units=len(units)))
    return _figure(c.Atlas, name, sheet, "EfficientNet-Lite0, an atlas of 65 neurons of block9, block10.",
                   layers=layers)


BUILDERS = {
    "decomposition_grid": decomposition_grid,
    "attribution_explorer": attribution_explorer,
    "factor_view": factor_view,
    "objective_comparison": objective_comparison,
    "gallery": gallery,
    "unit_ranking": unit_ranking,
    "decomposition_comparison": decomposition_comparison,
    "trends": trends,
    "claim_test": claim_test,
    "atlas": atlas,
}


def make_figure(figure_dir, name, kind):
    """Writes figure.json and sprites of a fixture figure into figure_dir; returns the figure as plain data."""
    figure_dir.mkdir(parents=True, exist_ok=True)
    fig = BUILDERS[kind](figure_dir, name)
    (figure_dir / "figure.json").write_bytes(encode(fig))  # as the engine writes one
    return msgspec.to_builtins(fig)


def write_figure(figures_root, name, kind):
    return make_figure(figures_root / name, name, kind)


ARTICLE = """---
title: "Diagram fixtures"
description: "One figure of each kind, for the browser tests."
authors:
  - name: Test Author
    affiliations: [Neuron Mechanics tests]
date: 2025-01-15
bibliography: references.bib
---

## Diagrams

Each figure below is made by a fixture script with synthetic sprites. A citation [@olah2017feature],
a footnote[^tap] and an [external link](https://example.org/fixtures) for the phone and print
tests, and maths and a table wider than a phone:

$$ u = \\sum_{{x=0}}^{{W}} \\sum_{{y=0}}^{{H}} \\sum_{{c=0}}^{{C}} \\left( A[x, y, c] \\cdot W_{{\\text{{expanded}}}}[x, y, c] + b_{{\\text{{folded}}}}[c] \\right) + \\sum_{{k=0}}^{{K}} \\mathrm{{skip}}_k $$

| layer | channels | window | spatial size | receptive field | stride | top class | score |
|---|---|---|---|---|---|---|---|
| block10_expanded_branch | 112 | 5x5 | 14x14 | 123x123 pixels | 16 | sports_car_convertible | 0.123456789 |

[^tap]: The footnote a tap opens.

{figures}
"""

REFERENCES = """@article{olah2017feature,
  author = {Olah, Chris and Mordvintsev, Alexander and Schubert, Ludwig},
  title = {Feature Visualization},
  journal = {Distill},
  year = {2017},
}
"""

# A figure script as the builder expects one: cheap FIGURE metadata, make() writing the assets.
# make() runs in build.py's child process, which finds figure_fixtures through the path below.
FIGURE_SCRIPT = """import sys

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(name={name!r}, kind={kind!r}, title={title!r}, caption={caption!r},
                    model="efficientnet_lite0", params={{}})


def make(out_dir, quick):
    sys.path.insert(0, {fixtures_dir!r})
    from figure_fixtures import make_figure
    make_figure(out_dir, {name!r}, {kind!r})
    {after}
"""


def build_fixture_project(root, repo, figures=FIGURES, after_make=None, atlases=()):
    """A project tree for build.py --root: an article embedding `figures` (name -> kind), their
    figure scripts, and the repository's templates and static files. `atlases` names atlas figure
    scripts (kind "atlas") to add: they have pages of their own, never an @figure line.

    after_make maps a figure name to one line of Python run at the end of its make(out_dir, quick),
    e.g. to break the assets it wrote.
    """
    (root / "figures_src").mkdir(parents=True)
    for name, kind in {**figures, **{name: "atlas" for name in atlases}}.items():
        (root / "figures_src" / f"{name}.py").write_text(FIGURE_SCRIPT.format(
            name=name, kind=kind, title=f"A {kind.replace('_', ' ')}", caption=f"The {kind} fixture.",
            fixtures_dir=str(Path(__file__).resolve().parent), after=(after_make or {}).get(name, "")))
    article = root / "article"
    article.mkdir()
    (article / "index.md").write_text(ARTICLE.format(figures="\n\n".join(f"@figure({n})" for n in figures)))
    (article / "references.bib").write_text(REFERENCES)
    shutil.copytree(repo / "article" / "templates", article / "templates")
    shutil.copytree(repo / "article" / "static", article / "static")
