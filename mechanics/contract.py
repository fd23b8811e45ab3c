"""The figure asset contract, version 1: what the engine writes and the article reads.

Every figure lives in ``assets/figures/<name>/``: one ``figure.json`` plus the image
files it names (sprites and, for attribution, the photo). ``manifest.json`` in the
same folder belongs to build.py's cache and is not part of this contract.
``validate_figure(name, figure_dir)`` checks a figure against everything below and
raises ``ContractError`` naming the figure and the field path, e.g.::

    figure 'eye_detector': views.branch.positive.cells has 24 cells, expected 25 (window 5x5)

Field paths are dotted, with ``[i]`` for list items and ``.key`` for object keys.
Validation reads only figure.json and the image headers (never pixel data), imports
neither TensorFlow nor Lucid, and takes milliseconds.

The contract is in two parts, both in this module:

- The **typed models** (msgspec ``Struct`` classes, one per kind of figure and one per shape
  they share): every field's type, range and pattern, with what it means in the class's
  docstring. The engine's recipes build them and ``mechanics.assets`` writes them, so a figure is
  written as the validator reads it; the test fixtures build them too. ``python -m mechanics
  contract --schema`` prints them as a JSON Schema (``json_schema()``) for people writing their own
  components.
- The **semantic checks** (``_Semantics``, at the end): what a schema cannot say. Lists agree
  in length (cells cover their window, maps have the window's shape), image references fall
  inside their sprite, ids are unique, files exist with the size and format they claim,
  values are ordered where the contract orders them.

Sprites
-------
A sprite is one image file holding a grid of square tiles::

    "sprites": {"branch_pos": {"file": "branch_pos.jpg", "tile": 96, "columns": 5, "count": 25}}

- ``file``: a plain file name in the figure folder (no directories), ending in
  ``.jpg``/``.jpeg``, ``.png`` or ``.webp``; its content must be of that format.
- ``tile``: tile side in pixels; ``columns``: tiles per row; ``count``: number of tiles.
- Tile ``i`` sits at pixel ``x = (i % columns) * tile``, ``y = (i // columns) * tile``.
- The image must be exactly ``columns * tile`` wide and ``ceil(count / columns) * tile``
  high; unused tiles of the last row are padding.
- For the grid of a window the engine uses ``columns = window width`` and row-major
  order, so the sprite file itself is the grid picture. The diagrams show it as-is
  when JavaScript is off.
- Sprites are grouped: one file per grid, per layer chunk of a gallery, and so on.
  There is never one file per item, so a page makes few requests and can lazy-load.

Format and quality. Feature visualizations and photos are photographic (smooth
gradients and fine texture, no flat areas), so their sprites are JPEG at quality 85
(4:2:0 chroma subsampling, Pillow's default). Measured on a natural photo cut into a
5x5 grid of 96 px tiles: JPEG q85 is 47 kB for the whole grid, PNG 360 kB (7.6 times
larger), WebP q85 33 kB. Going down to q75 saves only a fifth of the bytes, too
little to pay for softer fine texture, which is what feature visualizations show.
They carry more high-frequency detail than photos and come out somewhat larger. PNG is for
non-photographic pictures only (flat colours, line art); WebP is allowed where every
target browser has it.

An image reference, anywhere in figure.json, is ``{"sprite": "<sprite_id>", "index": i}``,
with ``sprite`` a key of ``sprites`` and ``0 <= i < count``.

Numbers
-------
Every number must be finite: NaN and Infinity are rejected wherever they occur,
including inside ``params``. Integers (channels, indices, sizes) must be JSON
integers, not floats and not booleans. A ``weight`` of a cell is in [0, 1].
Keys that the contract does not name are allowed and ignored, so the engine can
add fields without breaking older readers (a baseline is the exception: a misspelt
one would vanish from the page).

How the diagrams read a figure
------------------------------
The partial ``article/templates/diagrams/<kind>.html`` renders a custom element
``<nm-KIND>`` (``nm-decomposition-grid``, ``nm-attribution-explorer``, ``nm-factor-view``,
``nm-objective-comparison``, ``nm-gallery``, ``nm-unit-ranking``, ``nm-decomposition-comparison``,
``nm-trends``, ``nm-claim-test``) from ``article/static/components/<kind>.js``:

- The validated figure.json is embedded inside the element as
  ``<script type="application/json">`` (Jinja's ``tojson``, which escapes ``<``, ``>``,
  ``&`` and ``'``), so a diagram needs no request before it becomes interactive and the
  page works from any static host, even from a file.
- ``data-asset-url`` carries the builder's ``asset_url``; sprite files are addressed
  relative to it, so the site works under any base path.
- Without JavaScript the element's children show the sprite files as plain ``<img>``
  (the gallery's sit in ``<noscript>``, so with JavaScript nothing loads before it
  scrolls into view). The component replaces them when it starts.
- A figure's ``baselines`` are drawn by the partials' shared macro after the element, as plain
  HTML (a ``<dl class="nm-baselines">``), so they show with or without JavaScript and in print.
- Once interactive, an element has the attribute ``data-ready`` and the page has a
  ``performance.mark("nm-diagram-ready")``; bench/bench_page.py times the first one.
"""

import inspect
import json
import math
import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType, field
from PIL import Image, UnidentifiedImageError

from mechanics.errors import BadInput
from mechanics.facts import KINDS as FACT_KINDS, NAME as FACT_NAME

CONTRACT_VERSION = 1
MAX_TOP_CHANNELS = 8
# File extension -> the format PIL must detect in the file's header.
IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
# Slack for weight == norm / max norm, so rounding in the engine's JSON writer passes.
WEIGHT_TOLERANCE = 1e-3


class ContractError(BadInput):
    """A figure's data breaks the asset contract; the message names figure and field."""


# -- typed models: the shapes every kind shares ----------------------------------------------------
# A description on a constrained type is also what its error message says would be valid.

Text = Annotated[str, Meta(pattern=r"\S", description="a non-empty string")]
Count = Annotated[int, Meta(ge=0)]
Positive = Annotated[int, Meta(ge=1)]
Share = Annotated[float, Meta(ge=0, le=1)]
Percentile = Annotated[float, Meta(ge=0, le=100)]
Norm = Annotated[float, Meta(ge=0)]
ClassId = Annotated[int, Meta(ge=0, le=999, description="a class id in 0..999")]
YX = Annotated[list[Count], Meta(min_length=2, max_length=2, description="[y, x]")]
PlainName = Annotated[str, Meta(pattern=r"^(?!\.\.?$)[^/\\]+$", description="a plain file name (no folders, no URL)")]
Color = Annotated[str, Meta(pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb")]
BaselineId = Annotated[str, Meta(pattern=r"^[a-z0-9_]+$",
                                 description="lower-case letters, digits and _ ([a-z0-9_]+)")]
FactName = Annotated[str, Meta(pattern="^" + FACT_NAME.pattern.replace(r"\Z", "$"),
                               description="a fact name: lower-case letters, digits and _, starting with a letter")]
ViewName = Literal["branch", "skip", "full"]
Map = list[list[float]]  # h x w, row-major


class Model(Struct, kw_only=True):
    """Fields named here are checked; fields not named are allowed and ignored."""


class ImageRef(Model):
    """A tile of a sprite: `sprite` is a key of the figure's `sprites`, 0 <= `index` < its count."""
    sprite: str
    index: int


class Sprite(Model):
    """One image file holding `count` square tiles of `tile` px, `columns` a row, row-major; the file is
    exactly columns * tile wide and ceil(count / columns) * tile high, and its extension (.jpg, .jpeg,
    .png, .webp) names its format."""
    file: PlainName
    tile: Positive
    columns: Positive
    count: Positive


class Window(Model):
    """A window of positions (or a grid) on a layer, in positions."""
    height: Positive
    width: Positive

    @classmethod
    def of(cls, window):
        """A decompose.Window's (or grid's) height and width."""
        return cls(height=window.height, width=window.width)


class Target(Model):
    """A unit: `position` null means the whole channel (the mean over positions)."""
    layer: Text
    channel: Count
    position: Optional[YX]
    label: Text

    @classmethod
    def of(cls, target):
        """A decompose.Target."""
        return cls(layer=target.layer, channel=target.channel, label=target.label,
                   position=list(target.position) if target.position is not None else None)


class TopChannel(Model):
    """One of a cell's strongest channels of the earlier layer; `image` null when not rendered."""
    channel: Count
    weight: float
    image: Optional[ImageRef]


class PlainCell(Model):
    """A position of a window: cells are row-major (item i has row i // w, col i % w), `weight` drives
    its emphasis."""
    row: int
    col: int
    norm: Norm
    weight: Share
    image: ImageRef


Offset = Annotated[list[int], Meta(min_length=2, max_length=2, description="[dy, dx]")]
TopChannels = Annotated[list[TopChannel], Meta(max_length=MAX_TOP_CHANNELS)]


class GalleryCell(PlainCell):
    """A gallery's cell: the engine also writes its offset and (empty) top channels, as in a Cell; a
    gallery does not draw them."""
    offset: Union[Offset, UnsetType] = UNSET
    top_channels: Union[TopChannels, UnsetType] = UNSET


class Cell(GalleryCell):
    """A cell with its offset from the target's position and its strongest earlier-layer channels;
    `weight` is norm / max norm of its list of cells (0 when every norm is 0)."""
    offset: Offset
    top_channels: TopChannels


class Quantiles(Model):
    """Quantiles of a sample, non-decreasing (mechanics.baselines.quantiles)."""
    q01: float
    q05: float
    q25: float
    q50: float
    q75: float
    q95: float
    q99: float


class Legend(Model):
    """A measure: ids are unique within their list; the first of a ranking is the score ranked by."""
    id: Text
    label: Text
    description: Text


class Choice(Model):
    """One of a list of options (targets, methods), unique ids."""
    id: Text
    label: Text


class ClassLabel(Model):
    """An ImageNet class."""
    class_: ClassId = field(name="class")
    label: Text


# -- evidence: baselines (any kind), dataset examples and an occlusion check (decomposition grids) --

class LayerRank(Model):
    """The statistic over every unit of a layer (`n` units, `label` e.g. "EfficientNet-Lite0 block10"),
    and the unit's percentile in it."""
    n: Positive
    percentile: Percentile
    quantiles: Quantiles
    label: Union[Text, UnsetType] = UNSET


class NullSample(Model):
    """The statistic under a null (`kind` says which, e.g. "random channel pairs"), and the share of
    null samples at or above the value."""
    kind: Text
    n: Count
    seed: Optional[int]
    quantiles: Quantiles
    exceeded_by: Share


class Trivial(Model):
    """The statistic of a trivial case (e.g. "flat 5x5 window")."""
    kind: Text
    value: float


class Baseline(Model, forbid_unknown_fields=True):
    """Whether a statistic the figure quotes is large (mechanics.baselines.baseline): at least one of
    layer, null and trivial; unique ids. No other field: a misspelt baseline would vanish from the page."""
    id: BaselineId
    label: Text
    statistic: Text
    value: float
    layer: Union[LayerRank, UnsetType] = UNSET
    null: Union[NullSample, UnsetType] = UNSET
    trivial: Union[Trivial, UnsetType] = UNSET


class Example(Model):
    """A dataset example: `file` is shown as text only; `image` is the crop of the input under the
    receptive field at `position`, the maximum on the unit's map."""
    file: PlainName
    activation: float
    position: YX
    image: ImageRef


class Examples(Model):
    """The unit's dataset examples (mechanics.examples): `images` scanned, `activation_quantiles` of
    each scanned image's maximum activation of the unit."""
    source: Text
    images: Positive
    skipped: Count
    input_size: Positive
    activation_quantiles: Quantiles
    top: Annotated[list[Example], Meta(min_length=1)]


class Correlation(Model):
    """Predictions against measurements over some positions (mechanics.occlusion.compare): Pearson and
    Spearman r (null when either side has no spread), the number of positions and Pearson r with the
    predictions shuffled."""
    pearson: Optional[float]
    spearman: Optional[float]
    n: Count
    null: Optional[NullSample]


class GradientCheck(Correlation, kw_only=True):
    """The unit's local gradient on the same photo, the first-order estimate of each occlusion: how well
    any linear decomposition could predict them here. `predicted` as in the occlusion check."""
    predicted: list[list[Optional[float]]]
    off_centre: Union[Correlation, UnsetType] = UNSET


class Occlusion(Correlation, kw_only=True):
    """The decomposition checked on a real input (mechanics.occlusion), over every window position and
    (`off_centre`) over the off-centre ones alone. `window` lies on `earlier` (top and left may be
    negative where it leaves the map; height x width is the figure's window). `predicted` (each
    position's predicted contribution) and `measured` (the unit's drop when it is occluded) are h x w,
    null exactly at the same positions (outside the map)."""
    file: PlainName
    photo: ImageRef
    target: Target
    earlier: Text
    window: Annotated[list[int], Meta(min_length=4, max_length=4, description="[top, left, height, width]")]
    unit_value: float
    predicted: list[list[Optional[float]]]
    measured: list[list[Optional[float]]]
    off_centre: Union[Correlation, UnsetType] = UNSET
    gradient: Union[GradientCheck, UnsetType] = UNSET


class _FactBase(Model, tag_field="kind"):
    """A statistic a reader would quote (mechanics.facts), bound by name in the article
    ({{ figure.name }}); `digits` are the decimals it prints with (after scaling to a percent for
    share and percent)."""
    digits: Union[Annotated[int, Meta(ge=0, le=6)], UnsetType] = UNSET
    unit: Union[str, UnsetType] = UNSET
    what: Union[str, UnsetType] = UNSET


# Each fact kind's value: share is a fraction in [0, 1], percent a fraction of any sign or size.
_FACT_VALUES = {"number": float, "signed": float, "share": Share, "percent": float,
                "count": Count, "index": int, "text": str}
assert tuple(_FACT_VALUES) == FACT_KINDS, "mechanics.facts.KINDS and the contract's fact models differ"
FACT_MODELS = {kind: msgspec.defstruct(f"{kind.title()}Fact", [("value", value)], bases=(_FactBase,), tag=kind,
                                       kw_only=True) for kind, value in _FACT_VALUES.items()}
Fact = Union[tuple(FACT_MODELS.values())]


# -- the kinds ---------------------------------------------------------------------------------------

class Figure(Model, tag_field="kind"):
    """Fields of every kind. `figure` equals the folder name; `params` is free-form (steps, size,
    objective, seed, ...); `summary` is one plain-text sentence naming model, layer, unit, objective
    and steps, used in captions and as the fallback image's alt text."""
    contract: Literal[1]
    figure: Text
    model: Text
    model_label: Text
    engine_version: Text
    input_hash: Text
    params: dict[str, Any]
    sprites: Annotated[dict[str, Sprite], Meta(min_length=1)]
    summary: Text
    facts: Union[dict[FactName, Fact], UnsetType] = UNSET
    baselines: Union[list[Baseline], UnsetType] = UNSET


class Part(Model):
    cells: list[Cell]


class View(Model):
    """A path's decomposition: its positive part, and its negative part unless only the positive part is
    known (a unit's entry in an atlas)."""
    positive: Part
    negative: Union[Part, UnsetType] = UNSET


class DecompositionGrid(Figure, tag="decomposition_grid", kw_only=True):
    """A unit decomposed over a window of an earlier layer: each view (branch and skip only for residual
    blocks) has its positive and negative part as cells covering the window."""
    target: Target
    prev_layer: Text
    mode: Literal["expanded", "gradient", "optimized"]
    window: Window
    unit_image: ImageRef
    views: Annotated[dict[ViewName, View], Meta(min_length=1)]
    examples: Union[Examples, UnsetType] = UNSET
    occlusion: Union[Occlusion, UnsetType] = UNSET


class Photo(Model):
    """The input photo: a file in the figure folder of exactly this pixel size."""
    file: PlainName
    width: Positive
    height: Positive


class Completeness(Model):
    """The target's change against the baseline, the sum of the attributions, their difference and
    attribution_sum / target_delta."""
    target_delta: float
    attribution_sum: float
    gap: float
    ratio: float


class AttributionResult(Model):
    """`saliency` is the scalar map (gh x gw, summed over channels); each cell's image visualizes that
    position's attribution vector."""
    saliency: Map
    cells: list[PlainCell]
    completeness: Completeness


class AttributionExplorer(Figure, tag="attribution_explorer", kw_only=True):
    """Attributions of a photo at a layer (`grid` is its spatial size): `results` holds a result for
    every target id and every method id, and no others."""
    photo: Photo
    layer: Text
    grid: Window
    targets: Annotated[list[Choice], Meta(min_length=1)]
    methods: Annotated[list[Choice], Meta(min_length=1)]
    results: dict[str, dict[str, AttributionResult]]


class Factor(Model):
    """`map` (h x w, in [0, 1]) is where the factor acts in the window; `image` visualizes its channel
    direction."""
    color: Color
    map: list[list[Share]]
    image: ImageRef
    top_channels: Annotated[list[TopChannel], Meta(max_length=MAX_TOP_CHANNELS)]


class FactorView(Figure, tag="factor_view", kw_only=True):
    """NMF factors of a unit's window."""
    target: Target
    prev_layer: Text
    window: Window
    unit_image: ImageRef
    factors: Annotated[list[Factor], Meta(min_length=1)]


class ObjectivePanel(Model):
    """`value` is the final objective value; `cells` is either empty or covers the window, and empty
    when `window` is null."""
    id: Text
    label: Text
    objective: Literal["neuron", "channel"]
    direction: Literal["dot", "cossim"]
    value: float
    unit_image: ImageRef
    window: Optional[Window]
    cells: list[Cell]


class RenderScores(Model, forbid_unknown_fields=True):
    """One render scored at its unit's layer (mechanics.objective_scores): the unit's activation at
    the layer's centre, its mean over the map, and the cosine of the centre's activation vector
    with the unit's axis."""
    centre: float
    mean: float
    cosine: float


class ScoredUnit(Model, forbid_unknown_fields=True):
    """A unit rendered with each of the four objectives, each render scored."""
    channel: Count
    neuron_dot: RenderScores
    neuron_cossim: RenderScores
    channel_dot: RenderScores
    channel_cossim: RenderScores


class ObjectiveScores(Model):
    """Every objective over many units of `layer`; `measures` names each score."""
    layer: Text
    measures: dict[str, Text]
    units: Annotated[list[ScoredUnit], Meta(min_length=1)]


class ObjectiveComparison(Figure, tag="objective_comparison", kw_only=True):
    """One unit under several objectives; unique panel ids. `objective_scores`, when present, scores
    every objective over many units of the layer; its medians are the figure's baselines."""
    target: Target
    panels: Annotated[list[ObjectivePanel], Meta(min_length=2)]
    objective_scores: Union[ObjectiveScores, UnsetType] = UNSET


class GalleryItem(Model):
    """A decomposed unit; its cells cover its window."""
    id: Text
    model: Text
    model_label: Text
    layer: Text
    channel: Count
    label: Text
    unit_image: ImageRef
    window: Window
    cells: list[GalleryCell]


class Gallery(Figure, tag="gallery", kw_only=True):
    """Units with their decompositions, unique ids. The article's gallery shows at least 64 items from at
    least 3 layers; the contract itself does not fix a minimum beyond one."""
    items: Annotated[list[GalleryItem], Meta(min_length=1)]


class AtlasLayerEntry(Model):
    """A layer of an atlas: `file` is a plain .json file name in the figure folder (not figure.json)
    holding an AtlasLayer with exactly `units` units, so a layer page reads only its own layer."""
    layer: Text
    prev_layer: Text
    path: ViewName
    file: PlainName
    units: Positive


class Atlas(Figure, tag="atlas", kw_only=True):
    """A whole layer (or several) of one model, each unit with its decomposition (mechanics.atlas). The
    `sprites` table serves every layer: per layer one of the units' own renders (`<layer>_units`) and one
    per group of units' cells (`<layer>_cells_<k>`, each unit's grid a block of rows), so a page loads
    a unit's cells only when it is opened. Unique `layer`."""
    layers: Annotated[list[AtlasLayerEntry], Meta(min_length=1)]


class AtlasUnit(Model):
    """`value` is the unit render's final objective value; cells are the positive part, each `image`
    renders the cell's vector at prev_layer; the top channels' `image` is null (a page links a top
    channel to its layer's entry when the atlas has one)."""
    channel: Count
    label: Text
    value: float
    unit_image: ImageRef
    cells: list[Cell]


class AtlasLayer(Model):
    """An atlas's layer file (field paths read `FILE:field`, e.g. `block9.json:units[3].cells`): `layer`,
    `prev_layer` and `path` as in its entry in figure.json; `position` is the neuron of each unit's
    channel that is decomposed and rendered; `window` (on prev_layer) is the same for every unit;
    `units` have unique channels in increasing order. Its image references name sprites of figure.json."""
    layer: Text
    prev_layer: Text
    path: ViewName
    position: YX
    window: Window
    units: list[AtlasUnit]


class TopClass(Model):
    class_: ClassId = field(name="class")
    label: Text
    weight: float


class RankedUnit(Model):
    """`values` holds a float for every measure; ranks are 1, 2, 3, ... in order, and the first measure
    does not increase down the list."""
    rank: int
    channel: Count
    label: Text
    image: ImageRef
    values: dict[str, float]
    top_classes: list[TopClass]


class RankedModel(Model):
    model: Text
    model_label: Text
    layer: Text
    stage: Text
    units: Annotated[list[RankedUnit], Meta(min_length=1)]


class UnitRanking(Figure, tag="unit_ranking", kw_only=True):
    """A layer's units ranked, per model, by the first of `measures` (the legend); `classes` scored."""
    measures: Annotated[list[Legend], Meta(min_length=1)]
    classes: list[ClassLabel]
    models: Annotated[list[RankedModel], Meta(min_length=1)]


class ComparisonPanel(Model):
    """A unit decomposed: cells cover the window (weight = norm / max norm); `values` holds a float for
    every measure, `cell_values` an h x w map for every cell measure."""
    id: Text
    model: Text
    model_label: Text
    target: Target
    prev_layer: Text
    path: ViewName
    unit_image: ImageRef
    window: Window
    cells: list[Cell]
    values: dict[str, float]
    cell_values: dict[str, Map]


class DecompositionComparison(Figure, tag="decomposition_comparison", kw_only=True):
    """Units (e.g. counterparts in several models) decomposed side by side; unique panel ids."""
    measures: Annotated[list[Legend], Meta(min_length=1)]
    cell_measures: list[Legend]
    panels: Annotated[list[ComparisonPanel], Meta(min_length=1)]


class MeasureSummary(Model):
    """A measure over a layer's units, with the flat window (`trivial`) or a null; with a null,
    `threshold`, `share_assembling` and `null_share_assembling` are required."""
    quantiles: Quantiles
    trivial: Union[Trivial, UnsetType] = UNSET
    null: Union[NullSample, UnsetType] = UNSET
    threshold: Union[Share, UnsetType] = UNSET
    share_assembling: Union[Share, UnsetType] = UNSET
    null_share_assembling: Union[Share, UnsetType] = UNSET


class TrendsUnit(Model):
    """An atlas unit, with a float field named by each measure id besides these: the engine's measures
    (mechanics.trends) are named here; another legend's are read from the plain data."""
    channel: Count
    label: Text
    dominant: int
    assembles: bool
    off_centre_share: Union[float, UnsetType] = UNSET
    concentration: Union[float, UnsetType] = UNSET
    assembly_share: Union[float, UnsetType] = UNSET


class TrendsLayer(Model):
    """An atlas layer (`atlas` names the atlas figure it was read from): a summary for every measure and
    exactly `n` units."""
    id: Text
    model: Text
    model_label: Text
    layer: Text
    prev_layer: Text
    path: ViewName
    atlas: Text
    label: Text
    n: Positive
    summary: dict[str, MeasureSummary]
    units: list[TrendsUnit]


class NamedUnit(Model):
    """A unit the article names, with every measure's value and its percentile in its layer."""
    id: Text
    model: Text
    layer: Text
    channel: Count
    label: Text
    assembles: bool
    values: dict[str, float]
    percentiles: dict[str, Percentile]


class Trends(Figure, tag="trends", kw_only=True):
    """Per-unit measures of every unit of some atlas layers, against baselines (mechanics.trends). It
    draws only numbers, so `sprites` may be empty; unique layer ids."""
    sprites: dict[str, Sprite]
    measures: Annotated[list[Legend], Meta(min_length=1)]
    strong_cells: Positive
    pooling_quantile: Share
    layers: Annotated[list[TrendsLayer], Meta(min_length=1)]
    named: list[NamedUnit]


class Direction(Model):
    """A reference direction and the classes it comes from."""
    id: Text
    label: Text
    classes: list[ClassLabel]


class Check(Legend):
    """A check of the directions against something independent (e.g. integrated-gradient vectors);
    `null_q95`, the 95th percentile of its null, when it has one."""
    value: float
    null_q95: Union[float, UnsetType] = UNSET


class Render(Model):
    """A class visualization the units were picked by response to."""
    class_: ClassId = field(name="class")
    label: Text
    group: Literal["car", "control"]
    image: ImageRef


class Control(Model):
    """The positive control (a synthetic unit built from the directions): `values` holds every measure
    but `response` (a synthetic window has no response to renders)."""
    label: Text
    value: float
    percentile: Percentile
    values: dict[str, float]


class ClaimUnit(Model):
    """A unit picked by its response to the car renders (`response_rank`), with its score's percentile
    in the layer and a value for every measure."""
    channel: Count
    label: Text
    image: ImageRef
    percentile: Percentile
    response_rank: Positive
    values: dict[str, float]


class ClaimLayer(Model):
    """A layer scored whole: `scores` holds exactly `n` claim scores (index = channel), `quantiles` are
    theirs; units' channels are channels of the layer."""
    id: Text
    layer: Text
    prev_layer: Text
    path: ViewName
    map_size: Positive
    label: Text
    n: Positive
    scores: list[float]
    quantiles: Quantiles
    control: Control
    units: list[ClaimUnit]


class ClaimTest(Figure, tag="claim_test", kw_only=True):
    """The research note's car claim (windows above, wheels below) over every unit of some layers, with
    a positive control. The claim score is among `measures`; unique ids in every list."""
    measures: Annotated[list[Legend], Meta(min_length=1)]
    directions: Annotated[list[Direction], Meta(min_length=1)]
    checks: list[Check]
    renders: list[Render]
    layers: Annotated[list[ClaimLayer], Meta(min_length=1)]


AnyFigure = Union[DecompositionGrid, AttributionExplorer, FactorView, ObjectiveComparison, Gallery, Atlas,
                  UnitRanking, DecompositionComparison, Trends, ClaimTest]
KINDS = tuple(msgspec.inspect.type_info(kind).tag for kind in typing.get_args(AnyFigure))


def json_schema():
    """The JSON Schema of figure.json (and, under $defs, of an atlas's layer file)."""
    (schema, _), components = msgspec.json.schema_components([AnyFigure, AtlasLayer])
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"figure.json, figure asset contract {CONTRACT_VERSION} (mechanics.contract)",
            "description": inspect.cleandoc(Figure.__doc__), **schema, "$defs": components}


# -- reading: a file's JSON, typed, with one-line errors ---------------------------------------------

def validate_figure(name: str, figure_dir: Path) -> dict:
    """Parses figure_dir/figure.json, checks it against the contract and returns it (as plain data,
    with every field, named by the contract or not).

    Raises ContractError (a BadInput) whose message names the figure and the field.
    """
    semantics = _Semantics(name, Path(figure_dir))
    data = semantics.plain(semantics.read("figure.json", ""), "", "")
    semantics.figure(semantics.typed(data, AnyFigure, ""), data)
    return data


def _fail(name, path, problem):
    where = f"{path} " if path else ""
    raise ContractError(f"figure {name!r}: {where}{problem}")


def _parse(name, text, path, prefix):
    """A file's JSON as plain data (msgspec's parser); else one error at its first NaN or Infinity, or
    its syntax error. path: the field naming the file ("" for figure.json); prefix: its fields' prefix."""
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        pass  # msgspec refuses NaN and Infinity: json finds where they are, or what else is wrong
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        _fail(name, path, f"figure.json is not valid JSON: {e}" if path == "" else
              f"names {prefix.rstrip(':')!r}, which is not readable JSON ({e})")
    _fail(name, *_non_finite(data, prefix))


def _non_finite(value, path):
    """(path, problem) of the first NaN or Infinity inside value."""
    stack = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path or "figure.json", f"is {value}, expected a finite number"
        if isinstance(value, dict):
            stack.extend((v, _join(path, k)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(value))))
    raise AssertionError("msgspec refused JSON that holds only finite numbers")


def _join(path, key):
    return f"{path}.{key}" if path and not path.endswith(":") else f"{path}{key}"


# msgspec's error: "PROBLEM - at `$.a[2].b`", with `key` in `$...` for a bad dict key, or no location.
_ERROR = re.compile(r"(?P<problem>.*?)(?: - at `(?P<key>key` in `)?\$(?P<path>[^`]*)`)?", re.S)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_FIELD = re.compile(r"field `([^`]+)`")


def _schema_problem(error, data, model, prefix):
    """(field path, problem) of a msgspec ValidationError, worded as the contract words them: the path
    with dict keys filled in, the value found there and what would be valid (from the model's type)."""
    parts = _ERROR.fullmatch(str(error))
    problem = parts["problem"]
    path, tp, value = _locate(model, data, _STEP.findall(parts["path"] or ""), prefix)
    named = _FIELD.search(problem)
    if problem.startswith("Object missing required field"):
        return _join(path, named[1]), "is missing"
    if problem.startswith("Object contains unknown field"):
        cls = _unwrap(tp, value)[0]
        valid = ", ".join(f.encode_name for f in msgspec.structs.fields(cls))
        return _join(path, named[1]), f"is not a {cls.__name__.lower()} field (valid: {valid})"
    if parts["key"]:
        key_type = typing.get_args(_unwrap(tp, value)[0])[0]
        key = next(k for k in value if not _fits(k, key_type))
        return _join(path, key), f"is not {_expected(key_type, key)}"
    where = path if path != prefix else prefix.rstrip(":") or "figure.json"  # the file itself
    if problem.startswith("Expected `") and ", got `" in problem:
        return where, f"must be {_noun(tp, value)}, got {_shown(value)}"
    if isinstance(value, (list, dict)):
        return where, _length_problem(tp, value)
    return where, f"is {_shown(value)}, expected {_expected(tp, value)}"


def _locate(model, data, steps, prefix):
    """Walks the data and the model's type along msgspec's path; `[...]` (a dict key msgspec does not
    name) is the first key whose value fails its type."""
    path, tp, value = prefix, model, data
    for name, index in steps:
        tp = _unwrap(tp, value)[0]
        tags = _tags(tp)
        if name and tags and name == tags[0]:
            return _join(path, name), Literal[tuple(tags[1])], value.get(name)
        if name:
            tp = {f.encode_name: f.type for f in msgspec.structs.fields(tp)}[name]
            path, value = _join(path, name), value.get(name)
        elif index == "...":
            value_type = typing.get_args(tp)[1]
            key = next(k for k, v in value.items() if not _fits(v, value_type))
            path, tp, value = _join(path, key), value_type, value[key]
        else:
            tp = typing.get_args(tp)[0]
            path, value = f"{path}[{index}]", value[int(index)]
    return path, tp, value


def _fits(value, tp):
    try:
        msgspec.convert(value, tp)
        return True
    except msgspec.ValidationError:
        return False


def _tags(tp):
    """(tag field, {tag: struct}) of a tagged union of Structs, else None."""
    if typing.get_origin(tp) is not Union:
        return None
    members = [m for m in typing.get_args(tp) if isinstance(m, type) and issubclass(m, Struct)]
    if not members or not members[0].__struct_config__.tag_field:
        return None
    return members[0].__struct_config__.tag_field, {m.__struct_config__.tag: m for m in members}


def _unwrap(tp, value):
    """(the type that applies to value, its Meta constraints merged): strips Annotated, UNSET and
    Optional, and picks a tagged union's member by the value's tag."""
    meta = {}
    while True:
        if typing.get_origin(tp) is Annotated:
            tp, *metas = typing.get_args(tp)
            for m in metas:
                meta.update({k: getattr(m, k) for k in ("ge", "le", "min_length", "max_length", "description")
                             if getattr(m, k) is not None and k not in meta})
            continue
        tags = _tags(tp)
        if tags and isinstance(value, dict) and value.get(tags[0]) in tags[1]:
            return tags[1][value[tags[0]]], meta
        members = [m for m in typing.get_args(tp) if m not in (UnsetType, type(None))] \
            if typing.get_origin(tp) is Union and not tags else []
        if len(members) == 1:
            tp = members[0]
            continue
        return tp, meta


def _noun(tp, value=None):
    optional = typing.get_origin(tp) is Union and type(None) in typing.get_args(tp)
    tp, meta = _unwrap(tp, value)
    if typing.get_origin(tp) is Literal:
        noun = "one of " + ", ".join(map(repr, typing.get_args(tp)))
    else:
        origin = typing.get_origin(tp) or tp
        noun = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list",
                dict: "an object"}.get(origin, "an object")
    return f"{noun} or null" if optional else noun


def _expected(tp, value):
    tp, meta = _unwrap(tp, value)
    if "description" in meta:
        return meta["description"]
    if typing.get_origin(tp) is Literal:
        choices = typing.get_args(tp)
        return repr(choices[0]) if len(choices) == 1 else "one of " + ", ".join(map(repr, choices))
    low, high = meta.get("ge"), meta.get("le")
    if low is not None and high is not None:
        return f"in {low}..{high}" if tp is int else f"in [{low}, {high}]"
    return f">= {low}" if low is not None else f"<= {high}"


def _length_problem(tp, value):
    tp, meta = _unwrap(tp, value)
    low, high = meta.get("min_length"), meta.get("max_length")
    if isinstance(value, dict) and not value:
        return f"is empty, expected at least {low} {'entry' if low == 1 else 'entries'}"
    if low == high:
        return f"has {len(value)} values, expected {meta.get('description', low)}"
    if low is not None and len(value) < low:
        return f"has {len(value)} items, expected at least {low}"
    return f"has {len(value)} items, expected at most {high}"


def _shown(value):
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    try:
        return json.dumps(value)[:60]
    except (TypeError, ValueError):
        return repr(value)[:60]


# -- semantic checks: what the models cannot say ----------------------------------------------------

class _Semantics:
    """Checks one typed figure; every failure goes through fail() so it names figure and field."""

    def __init__(self, name, figure_dir):
        self.name = name
        self.dir = figure_dir
        self.sprites = {}  # sprite id -> tile count

    def fail(self, path, problem):
        _fail(self.name, path, problem)

    # -- files --------------------------------------------------------------------------------------

    def read(self, file_name, path):
        """The bytes of a file of the figure folder named by the field `path` ("" for figure.json itself)."""
        file_path = self.dir / file_name
        try:
            text = file_path.read_bytes()
        except FileNotFoundError:
            if path == "":
                self.fail("", f"has no figure.json in {self.dir}")
            self.fail(path, f"names {file_name!r}, which does not exist in {self.dir}")
        except OSError as e:
            self.fail(path, f"cannot read {file_path}: {e}")
        return text

    def plain(self, text, path, prefix):
        return _parse(self.name, text, path, prefix)

    def typed(self, data, model, prefix):
        """Plain data as the model; the error names the field and what would be valid."""
        try:
            return msgspec.convert(data, model)
        except msgspec.ValidationError as error:
            self.fail(*_schema_problem(error, data, model, prefix))

    def decoded(self, text, model, path, prefix):
        """A file's JSON straight into the model (no plain data made on the way); on error, read again
        as plain data to say where."""
        try:
            return msgspec.json.decode(text, type=model)
        except msgspec.DecodeError as error:  # ValidationError is one too
            self.typed(self.plain(text, path, prefix), model, prefix)
            self.fail(prefix.rstrip(":"), str(error))  # only if msgspec's decode and convert disagreed

    def image_file(self, file_name, path):
        suffix = Path(file_name).suffix.lower()
        if suffix not in IMAGE_FORMATS:
            self.fail(path, f"is {file_name!r}, expected one of the extensions {', '.join(IMAGE_FORMATS)}")
        file_path = self.dir / file_name
        if not file_path.is_file():
            self.fail(path, f"names {file_name!r}, which does not exist in {self.dir}")
        try:
            # Image.open reads only the header; the pixels are never decoded here.
            with Image.open(file_path) as im:
                size, fmt = im.size, im.format
        except (UnidentifiedImageError, OSError) as e:
            self.fail(path, f"names {file_name!r}, which is not a readable image ({e})")
        if fmt != IMAGE_FORMATS[suffix]:
            self.fail(path, f"names {file_name!r}, which holds {fmt} data, not {IMAGE_FORMATS[suffix]}")
        return size

    def sprite_table(self, sprites):
        for sid, sprite in sprites.items():
            p = f"sprites.{sid}.file"
            size = self.image_file(sprite.file, p)
            expected = (sprite.columns * sprite.tile, math.ceil(sprite.count / sprite.columns) * sprite.tile)
            if size != expected:
                self.fail(p, f"{sprite.file!r} is {size[0]}x{size[1]} px, expected {expected[0]}x{expected[1]} "
                          f"({sprite.count} tiles of {sprite.tile} px in {sprite.columns} columns)")
            self.sprites[sid] = sprite.count

    def image(self, ref, path):
        count = self.sprites.get(ref.sprite)
        if count is None:
            self.fail(f"{path}.sprite", f"is {_shown(ref.sprite)}, which is not a key of sprites")
        if not 0 <= ref.index < count:
            self.fail(f"{path}.index", f"is {ref.index}, out of range for sprite {ref.sprite!r} with {count} tiles")

    # -- shapes ---------------------------------------------------------------------------------------

    def unique(self, items, path, key="id"):
        seen = set()
        for i, item in enumerate(items):
            ident = getattr(item, key)
            if ident in seen:
                self.fail(f"{path}[{i}].{key}", f"repeats {key} {ident!r}")
            seen.add(ident)
        return [getattr(item, key) for item in items]

    def keys(self, mapping, path, ids, what=None):
        """A dict with the keys `ids` (a value for every measure, a result for every target), and no
        others unless `what` is None."""
        for extra in sorted(set(mapping) - set(ids)) if what else ():
            self.fail(f"{path}.{extra}", f"is not the id of {what}")
        for i in ids:
            if i not in mapping:
                self.fail(f"{path}.{i}", "is missing")

    def grid(self, rows, path, height, width):
        """An h x w nested list (the map's numbers are typed by its model)."""
        if len(rows) != height:
            self.fail(path, f"has {len(rows)} rows, expected {height}")
        for r, row in enumerate(rows):
            if len(row) != width:
                self.fail(f"{path}[{r}]", f"has {len(row)} values, expected {width}")

    def quantiles(self, q, path):
        values = [getattr(q, k) for k in Quantiles.__struct_fields__]
        for k, low, high in zip(Quantiles.__struct_fields__[1:], values, values[1:]):
            if high < low:
                self.fail(f"{path}.{k}", f"is {high}, below the quantile before it ({low})")

    def cells(self, cells, path, h, w, relative=False):
        """A row-major list of h*w cells; relative: weight == norm / max norm."""
        if len(cells) != h * w:
            self.fail(path, f"has {len(cells)} cells, expected {h * w} (window {h}x{w})")
        top = max((cell.norm for cell in cells), default=0)
        sprites = self.sprites
        for i, cell in enumerate(cells):
            if (cell.row, cell.col) != divmod(i, w):
                self.fail(f"{path}[{i}]", f"is at row {cell.row}, col {cell.col}, expected row {i // w}, "
                          f"col {i % w} (row-major order)")
            ref = cell.image
            if not 0 <= ref.index < sprites.get(ref.sprite, 0):  # the common case without building a path
                self.image(ref, f"{path}[{i}].image")
            if relative:
                expected = cell.norm / top if top > 0 else 0.0
                if abs(cell.weight - expected) > WEIGHT_TOLERANCE:
                    self.fail(f"{path}[{i}].weight", f"is {cell.weight}, expected norm / max norm = {expected:.4f}")
            for k, channel in enumerate(getattr(cell, "top_channels", None) or ()):
                if channel.image is not None:
                    self.image(channel.image, f"{path}[{i}].top_channels[{k}].image")

    def top_channels(self, channels, path):
        for k, channel in enumerate(channels):
            if channel.image is not None:
                self.image(channel.image, f"{path}[{k}].image")

    # -- every kind -----------------------------------------------------------------------------------

    def figure(self, fig, data):
        if fig.figure != self.name:
            self.fail("figure", f"is {fig.figure!r}, expected the folder name {self.name!r}")
        self.sprite_table(fig.sprites)
        getattr(self, type(fig).__struct_config__.tag)(fig, data)
        if fig.baselines is not UNSET:
            self.baselines(fig.baselines)

    def baselines(self, baselines):
        self.unique(baselines, "baselines")
        for i, item in enumerate(baselines):
            p = f"baselines[{i}]"
            if item.layer is UNSET and item.null is UNSET and item.trivial is UNSET:
                self.fail(p, "has none of layer, null, trivial, expected at least one")
            if item.layer is not UNSET:
                self.quantiles(item.layer.quantiles, f"{p}.layer.quantiles")
            if item.null is not UNSET:
                self.quantiles(item.null.quantiles, f"{p}.null.quantiles")

    # -- kinds ----------------------------------------------------------------------------------------

    def decomposition_grid(self, fig, data):
        h, w = fig.window.height, fig.window.width
        self.image(fig.unit_image, "unit_image")
        for view_name, view in fig.views.items():
            for part in ("positive", "negative"):
                if getattr(view, part) is not UNSET:
                    self.cells(getattr(view, part).cells, f"views.{view_name}.{part}.cells", h, w, relative=True)
        if fig.examples is not UNSET:
            self.quantiles(fig.examples.activation_quantiles, "examples.activation_quantiles")
            for i, example in enumerate(fig.examples.top):
                self.image(example.image, f"examples.top[{i}].image")
        if fig.occlusion is not UNSET:
            self.occlusion(fig.occlusion, "occlusion", h, w)

    def occlusion(self, occlusion, path, h, w):
        self.image(occlusion.photo, f"{path}.photo")
        top, left, height, width = occlusion.window
        if (height, width) != (h, w):
            self.fail(f"{path}.window", f"is {height}x{width}, expected the figure's window {h}x{w}")
        for key in ("predicted", "measured"):
            self.grid(getattr(occlusion, key), f"{path}.{key}", h, w)
        for r, (predicted, measured) in enumerate(zip(occlusion.predicted, occlusion.measured)):
            for c, (p, m) in enumerate(zip(predicted, measured)):
                if (p is None) != (m is None):
                    self.fail(f"{path}.measured[{r}][{c}]", f"is {_shown(m)}, expected null where predicted is "
                              f"null and a number where it is not (predicted is {_shown(p)})")
        if occlusion.gradient is not UNSET:
            self.grid(occlusion.gradient.predicted, f"{path}.gradient.predicted", h, w)
        for key, check in (("", occlusion), (".off_centre", occlusion.off_centre), (".gradient", occlusion.gradient),
                           (".gradient.off_centre", getattr(occlusion.gradient, "off_centre", UNSET))):
            if check is not UNSET and check.null is not None:
                self.quantiles(check.null.quantiles, f"{path}{key}.null.quantiles")

    def attribution_explorer(self, fig, data):
        size = self.image_file(fig.photo.file, "photo.file")
        if size != (fig.photo.width, fig.photo.height):
            self.fail("photo.file", f"{fig.photo.file!r} is {size[0]}x{size[1]} px, "
                      f"expected {fig.photo.width}x{fig.photo.height}")
        gh, gw = fig.grid.height, fig.grid.width
        target_ids = self.unique(fig.targets, "targets")
        method_ids = self.unique(fig.methods, "methods")
        self.keys(fig.results, "results", target_ids, "a target")
        for tid in target_ids:
            self.keys(fig.results[tid], f"results.{tid}", method_ids, "a method")
            for mid in method_ids:
                p = f"results.{tid}.{mid}"
                result = fig.results[tid][mid]
                self.grid(result.saliency, f"{p}.saliency", gh, gw)
                self.cells(result.cells, f"{p}.cells", gh, gw)

    def factor_view(self, fig, data):
        self.image(fig.unit_image, "unit_image")
        for i, factor in enumerate(fig.factors):
            p = f"factors[{i}]"
            self.grid(factor.map, f"{p}.map", fig.window.height, fig.window.width)
            self.image(factor.image, f"{p}.image")
            self.top_channels(factor.top_channels, f"{p}.top_channels")

    def objective_comparison(self, fig, data):
        self.unique(fig.panels, "panels")
        for i, panel in enumerate(fig.panels):
            p = f"panels[{i}]"
            self.image(panel.unit_image, f"{p}.unit_image")
            if panel.window is None and panel.cells:
                self.fail(f"{p}.cells", f"has {len(panel.cells)} cells, expected none (window is null)")
            if panel.cells:
                self.cells(panel.cells, f"{p}.cells", panel.window.height, panel.window.width, relative=True)

    def gallery(self, fig, data):
        self.unique(fig.items, "items")
        for i, item in enumerate(fig.items):
            self.image(item.unit_image, f"items[{i}].unit_image")
            self.cells(item.cells, f"items[{i}].cells", item.window.height, item.window.width)

    def atlas(self, fig, data):
        self.unique(fig.layers, "layers", key="layer")
        for i, entry in enumerate(fig.layers):
            p = f"layers[{i}].file"
            if not entry.file.endswith(".json") or entry.file == "figure.json":
                self.fail(p, f"is {entry.file!r}, expected a plain .json file name in the figure folder, "
                          "not figure.json")
            self.atlas_layer(entry, self.decoded(self.read(entry.file, p), AtlasLayer, p, f"{entry.file}:"))

    def atlas_layer(self, entry, layer):
        p = f"{entry.file}:"
        for key in ("layer", "prev_layer", "path"):
            if getattr(layer, key) != getattr(entry, key):
                self.fail(p + key, f"is {_shown(getattr(layer, key))}, expected {_shown(getattr(entry, key))} "
                          "as in figure.json")
        if len(layer.units) != entry.units:
            self.fail(p + "units", f"has {len(layer.units)} units, expected {entry.units} as in figure.json")
        h, w = layer.window.height, layer.window.width
        last = -1
        for i, unit in enumerate(layer.units):
            u = f"{p}units[{i}]"
            if unit.channel <= last:
                self.fail(f"{u}.channel", f"is {unit.channel}, expected channels unique and increasing "
                          f"(previous {last})")
            last = unit.channel
            self.image(unit.unit_image, f"{u}.unit_image")
            self.cells(unit.cells, f"{u}.cells", h, w, relative=True)

    def unit_ranking(self, fig, data):
        ids = self.unique(fig.measures, "measures")
        for m, block in enumerate(fig.models):
            previous = None
            for u, unit in enumerate(block.units):
                q = f"models[{m}].units[{u}]"
                if unit.rank != u + 1:
                    self.fail(f"{q}.rank", f"is {unit.rank}, expected {u + 1} (ranks count 1, 2, 3, ... in order)")
                self.image(unit.image, f"{q}.image")
                self.keys(unit.values, f"{q}.values", ids, "a measure")
                score = unit.values[ids[0]]
                if previous is not None and score > previous:
                    self.fail(f"{q}.values.{ids[0]}", f"is {score}, above the unit ranked before it ({previous})")
                previous = score

    def decomposition_comparison(self, fig, data):
        ids = self.unique(fig.measures, "measures")
        cell_ids = self.unique(fig.cell_measures, "cell_measures")
        self.unique(fig.panels, "panels")
        for i, panel in enumerate(fig.panels):
            p = f"panels[{i}]"
            h, w = panel.window.height, panel.window.width
            self.image(panel.unit_image, f"{p}.unit_image")
            self.cells(panel.cells, f"{p}.cells", h, w, relative=True)
            self.keys(panel.values, f"{p}.values", ids, "a measure")
            self.keys(panel.cell_values, f"{p}.cell_values", cell_ids, "a cell measure")
            for cid in cell_ids:
                self.grid(panel.cell_values[cid], f"{p}.cell_values.{cid}", h, w)

    def trends(self, fig, data):
        ids = self.unique(fig.measures, "measures")
        self.unique(fig.layers, "layers")
        for i, layer in enumerate(fig.layers):
            p = f"layers[{i}]"
            for m in ids:
                s = f"{p}.summary.{m}"
                if m not in layer.summary:
                    self.fail(s, "is missing")
                summary = layer.summary[m]
                self.quantiles(summary.quantiles, f"{s}.quantiles")
                if summary.null is not UNSET:
                    self.quantiles(summary.null.quantiles, f"{s}.null.quantiles")
                    for k in ("threshold", "share_assembling", "null_share_assembling"):
                        if getattr(summary, k) is UNSET:
                            self.fail(f"{s}.{k}", "is missing")
            if len(layer.units) != layer.n:
                self.fail(f"{p}.units", f"has {len(layer.units)} units, expected n = {layer.n}")
            # A unit's measures are fields named by the legend, so they are read from the plain data.
            for u, unit in enumerate(data["layers"][i]["units"]):
                for m in ids:
                    value = unit.get(m)
                    if value is None:
                        self.fail(f"{p}.units[{u}].{m}", "is missing")
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        self.fail(f"{p}.units[{u}].{m}", f"must be a number, got {_shown(value)}")
        for i, unit in enumerate(fig.named):
            self.keys(unit.values, f"named[{i}].values", ids)
            self.keys(unit.percentiles, f"named[{i}].percentiles", ids)

    def claim_test(self, fig, data):
        ids = self.unique(fig.measures, "measures")
        self.unique(fig.directions, "directions")
        self.unique(fig.checks, "checks")
        for i, render in enumerate(fig.renders):
            self.image(render.image, f"renders[{i}].image")
        self.unique(fig.layers, "layers")
        for i, layer in enumerate(fig.layers):
            p = f"layers[{i}]"
            if len(layer.scores) != layer.n:
                self.fail(f"{p}.scores", f"has {len(layer.scores)} scores, expected n = {layer.n} (one per channel)")
            self.quantiles(layer.quantiles, f"{p}.quantiles")
            # A synthetic window has no response to renders: its values are the window measures.
            self.keys(layer.control.values, f"{p}.control.values", [m for m in ids if m != "response"], "a measure")
            for u, unit in enumerate(layer.units):
                q = f"{p}.units[{u}]"
                if unit.channel >= layer.n:
                    self.fail(f"{q}.channel", f"is {unit.channel}, expected a channel of the layer's {layer.n} "
                              f"units (0..{layer.n - 1})")
                self.image(unit.image, f"{q}.image")
                self.keys(unit.values, f"{q}.values", ids, "a measure")
