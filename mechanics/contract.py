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
add fields without breaking older readers.

Common top-level fields (every kind)
------------------------------------
- ``contract``: 1
- ``kind``: one of ``KINDS``
- ``figure``: the figure name; equals the folder name
- ``model`` (e.g. ``"efficientnet_lite0"``), ``model_label`` (e.g. ``"EfficientNet-Lite0"``)
- ``engine_version``: str; ``input_hash``: str
- ``params``: object, free-form (steps, size, objective, seed, ...)
- ``sprites``: object of sprites, as above, non-empty (may be empty for ``trends``, which
  draws only numbers)
- ``summary``: one plain-text sentence naming model, layer, unit, objective and
  steps; the builder may use it in captions and as the fallback image's alt text

Facts (every kind but atlas; optional, so figures made before facts still validate)
-------------------------------------------------------------------------------------
- ``facts``: ``{name: FACT}``, the statistics a reader would quote, computed by the recipe
  (``mechanics.facts``) and bound by name in the article (``{{ figure.name }}``). A name is
  lower case: ``[a-z][a-z0-9_]*``. FACT is ``{"value", "kind", "digits"?, "unit"?, "what"?}``:

  - ``kind``: one of ``mechanics.facts.KINDS``: ``number`` and ``signed`` (a number; signed
    prints its ``+``), ``share`` (a fraction in [0, 1]) and ``percent`` (a fraction of any
    sign or size), both printed as percents, ``count`` and ``index`` (integers; a count gets
    thousands separators), ``text`` (a string)
  - ``digits``: integer in 0..6, the decimals it prints with by default (after scaling to a
    percent for share and percent); absent for text, 0 for integers
  - ``unit``: str, printed after the value (e.g. ``"min"``); ``what``: str, what the fact is

Baselines (every kind; optional, so figures made before them still validate)
-----------------------------------------------------------------------------
- ``baselines``: ``[BASELINE, ...]``, whether a statistic the figure quotes is large, as
  ``mechanics.baselines.baseline`` writes it. The diagram partials show them under every diagram
  (``_macros.html``), one row each. BASELINE is ``{"id": str ([a-z0-9_]+, unique), "label": str,
  "statistic": str, "value": float, "layer"?: LAYER_RANK, "null"?: NULL, "trivial"?: TRIVIAL}``,
  with at least one of layer, null and trivial, and no other key (a misspelt baseline would
  otherwise vanish from the page):

  - LAYER_RANK: ``{"n": int >= 1, "percentile": float in [0, 100], "quantiles": QUANTILES,
    "label"?: str}``: the statistic over every unit of the layer (``n`` units, ``label`` e.g.
    ``"EfficientNet-Lite0 block10"``), and the unit's percentile in it.
  - NULL: ``{"kind": str, "n": int >= 0, "seed": int or null, "quantiles": QUANTILES,
    "exceeded_by": float in [0, 1]}``: the statistic under a null (``kind`` says which, e.g.
    ``"random channel pairs"``) and the share of null samples at or above the value.
  - TRIVIAL: ``{"kind": str, "value": float}``: the statistic of a trivial case
    (e.g. ``"flat 5x5 window"``).
  - QUANTILES: ``{"q01", "q05", "q25", "q50", "q75", "q95", "q99"}``, floats, non-decreasing
    (``mechanics.baselines.quantiles``).

Shared shapes
-------------
- TARGET: ``{"layer": str, "channel": int >= 0, "position": [y, x] or null, "label": str}``;
  ``position`` null means the whole channel (the mean over positions).
- WINDOW: ``{"height": h, "width": w}``, integers >= 1.
- TOP_CHANNEL: ``{"channel": int >= 0, "weight": float, "image": image ref or null}``.
- CELL: ``{"row": r, "col": c, "offset": [dy, dx], "norm": float >= 0,
  "weight": float in [0, 1], "image": image ref, "top_channels": [TOP_CHANNEL, ...]}``
  with 0 to 8 top channels. ``weight`` is ``norm / max norm`` of its list of cells
  (0 when every norm is 0); it drives the cell's emphasis. ``offset`` is the
  position relative to the target's position, in integers.
- A list of cells for a window h x w has exactly ``h * w`` items in row-major
  order: item ``i`` has ``row == i // w`` and ``col == i % w``.

kind = "decomposition_grid"
---------------------------
- ``target``: TARGET; ``prev_layer``: str
- ``mode``: ``"expanded"`` | ``"gradient"`` | ``"optimized"``
- ``window``: WINDOW; ``unit_image``: image ref (the target unit's own visualization)
- ``views``: object whose keys are a non-empty subset of ``"branch"``, ``"skip"``,
  ``"full"`` (branch and skip only for residual blocks); each view is
  ``{"positive": PART, "negative": PART}`` and each PART is ``{"cells": [CELL, ...]}``
  over the window.
- ``examples`` (optional): the unit's dataset examples (``mechanics.examples``):
  ``{"source": str (e.g. "scikit-image's 20 bundled photos"), "images": int >= 1 (scanned),
  "skipped": int >= 0, "input_size": int >= 1, "activation_quantiles": QUANTILES (of each
  scanned image's maximum activation of the unit), "top": [EXAMPLE, ...] (at least one)}``.
  EXAMPLE is ``{"file": str, "activation": float, "position": [y, x], "image": image ref}``:
  ``file`` is a plain file name (no folder, no URL), shown as text only; ``image`` is the crop of
  the input under the receptive field at ``position``, the maximum on the unit's map.
- ``occlusion`` (optional): the decomposition checked on a real input (``mechanics.occlusion``):
  ``{"file": str (plain file name), "photo": image ref (the input), "target": TARGET,
  "earlier": str, "window": [top, left, height, width] (ints, on ``earlier``; top and left may be
  negative where the window leaves the map; height x width equals ``window``), "unit_value": float,
  "predicted": h x w nested list of float or null (each position's predicted contribution),
  "measured": the same shape (the unit's drop when that position is occluded), null exactly where
  predicted is null (positions outside the map), "pearson": float or null, "spearman": float or
  null (null when either side has no spread), "n": int >= 0 (positions compared),
  "null": NULL or null (Pearson r with the predictions shuffled)}``.

kind = "attribution_explorer"
-----------------------------
- ``photo``: ``{"file": str, "width": W, "height": H}``; the file exists in the figure
  folder and has exactly that pixel size.
- ``layer``: str; ``grid``: ``{"height": gh, "width": gw}`` (the layer's spatial size)
- ``targets``: ``[{"id": str, "label": str}, ...]``, at least one, unique ids
  (e.g. ``"logit:285"``)
- ``methods``: ``[{"id": str, "label": str}, ...]``, at least one, unique ids
  (e.g. ``"gradxact"``, ``"ig"``)
- ``results``: ``{target_id: {method_id: RESULT}}`` for every target and every method,
  and no others. RESULT is:

  - ``saliency``: gh x gw nested list of floats: the scalar map, summed over channels
  - ``cells``: gh * gw cells ``{"row", "col", "norm" >= 0, "weight" in [0, 1], "image"}``,
    row-major; ``image`` visualizes that position's attribution vector
  - ``completeness``: ``{"target_delta", "attribution_sum", "gap", "ratio"}``, floats:
    the target's change against the baseline, the sum of the attributions, their
    difference and ``attribution_sum / target_delta``

kind = "factor_view"
--------------------
- ``target``, ``prev_layer``, ``window``, ``unit_image`` as in decomposition_grid
- ``factors``: at least one ``{"color": "#rrggbb", "map": h x w nested list of floats in
  [0, 1], "image": image ref, "top_channels": [TOP_CHANNEL, ...]}``; ``map`` is where the
  factor acts in the window, ``image`` visualizes its channel direction.

kind = "objective_comparison"
-----------------------------
- ``target``: TARGET
- ``panels``: at least two, unique ids: ``{"id": str, "label": str,
  "objective": "neuron" | "channel", "direction": "dot" | "cossim", "value": float,
  "unit_image": image ref, "window": WINDOW or null, "cells": [CELL, ...]}``;
  ``value`` is the final objective value. ``cells`` is either empty or covers the
  window; with ``window`` null it is empty.

kind = "gallery"
----------------
- ``items``: at least one, unique ids: ``{"id": str, "model": str, "model_label": str,
  "layer": str, "channel": int >= 0, "label": str, "unit_image": image ref,
  "window": WINDOW, "cells": [{"row", "col", "norm" >= 0, "weight" in [0, 1], "image"}, ...]}``
  with ``h * w`` cells, row-major. The article's gallery shows at least 64 items from
  at least 3 layers; the contract itself does not fix a minimum beyond one.

kind = "atlas"
--------------
A whole layer (or several) of one model, each unit with its decomposition; built by
``mechanics.atlas``. figure.json holds the common fields (its ``sprites`` table serves every
layer) and ``layers``, at least one, unique ``layer``:
``{"layer": str, "prev_layer": str, "path": "full" | "branch" | "skip", "file": str,
"units": int >= 1}``. ``file`` is a plain ``.json`` file name in the figure folder
(not figure.json), so a layer page reads only its own layer. That file holds LAYER:

- ``layer``, ``prev_layer``, ``path``: as in its entry in ``layers``
- ``position``: ``[y, x]``, the neuron of each unit's channel that is decomposed and rendered
  (the centre of the map at the decomposition's input size)
- ``window``: WINDOW on ``prev_layer``, the same for every unit of the layer
- ``units``: exactly ``layers[i].units`` items, unique ``channel``, in increasing order:
  ``{"channel": int >= 0, "label": str, "value": float, "unit_image": image ref,
  "cells": [CELL, ...]}`` with ``h * w`` cells over the window, row-major. ``value`` is the
  unit render's final objective value; cells are the positive part, ``image`` renders the
  cell's vector at ``prev_layer``; the top channels' ``image`` is null (a top channel is a
  channel of ``prev_layer``: a page links it to that layer's entry when the atlas has one).

Image references in a layer file name sprites of figure.json. Sprites are per layer: one
of the units' own renders (``<layer>_units``) and one per group of units' cells
(``<layer>_cells_<k>``, ``columns`` = window width, each unit's grid a block of rows), so a
page loads the cells of a unit only when it is opened. Tiles are 64 px (units) and 48 px
(cells), JPEG q85 as everywhere: about 31 kB a unit with its JSON; see ``mechanics.atlas``.

kind = "unit_ranking"
---------------------
- ``measures``: the legend, at least one ``{"id": str, "label": str, "description": str}``, unique
  ids; the first is the score the units are ranked by.
- ``classes``: ``[{"class": int in 0..999, "label": str}, ...]``, the classes scored (may be empty).
- ``models``: at least one ``{"model": str, "model_label": str, "layer": str, "stage": str,
  "units": [UNIT, ...]}``, at least one unit each. UNIT is ``{"rank": int, "channel": int >= 0,
  "label": str, "image": image ref, "values": {measure id: float} for every measure,
  "top_classes": [{"class": int in 0..999, "label": str, "weight": float}, ...]}``; ranks are
  1, 2, 3, ... in order, and the first measure does not increase down the list.

kind = "decomposition_comparison"
---------------------------------
- ``measures``: the legend, as in unit_ranking (at least one).
- ``cell_measures``: ``[{"id", "label", "description"}, ...]`` (may be empty): measures per cell.
- ``panels``: at least one, unique ids: ``{"id": str, "model": str, "model_label": str,
  "target": TARGET, "prev_layer": str, "path": "branch" | "skip" | "full", "unit_image": image ref,
  "window": WINDOW, "cells": [CELL, ...] over the window (weight = norm / max norm),
  "values": {measure id: float} for every measure, "cell_values": {cell measure id: h x w nested
  list of floats} for every cell measure}``.

kind = "trends"
---------------
Per-unit measures of every unit of some atlas layers, against baselines (``mechanics.trends``).

- ``measures``: the legend, as in unit_ranking (at least one).
- ``strong_cells``: int >= 1; ``pooling_quantile``: float in (0, 1).
- ``layers``: at least one, unique ``id``: ``{"id": str, "model": str, "model_label": str,
  "layer": str, "prev_layer": str, "path": "full" | "branch" | "skip", "atlas": str (the atlas
  figure it was read from), "label": str, "n": int >= 1, "summary": SUMMARY, "units": [UNIT, ...]}``
  with exactly ``n`` units. UNIT is ``{"channel": int >= 0, "label": str, "dominant": int,
  "assembles": bool, measure id: float for every measure}``. SUMMARY holds, per measure id,
  ``{"quantiles": QUANTILES, ...}`` (QUANTILES: ``q01``, ``q05``, ``q25``, ``q50``, ``q75``,
  ``q95``, ``q99``, non-decreasing, as ``mechanics.baselines.quantiles``), with ``trivial``
  ``{"kind": str, "value": float}`` (the flat window) or ``null`` ``{"kind": str, "n": int,
  "quantiles": QUANTILES, ...}`` and then ``threshold``, ``share_assembling`` and
  ``null_share_assembling`` (floats in [0, 1]).
- ``named``: ``[{"id", "model", "layer", "channel", "label", "assembles", "values": {measure id:
  float}, "percentiles": {measure id: float in [0, 100]}}, ...]`` (may be empty): the units the
  article names, with their percentile in their layer.

kind = "claim_test"
-------------------
The research note's car claim (windows above, wheels below) over every unit of some layers, with a
positive control (a synthetic unit built from the two directions as the note describes).

- ``measures``: the legend, as in unit_ranking (at least one); the claim score is among them.
- ``directions``: at least one, unique ids: ``{"id": str, "label": str, "classes": [{"class": int
  in 0..999, "label": str}, ...]}``, the reference directions and the classes they come from.
- ``checks``: ``[{"id", "label", "description", "value": float}, ...]`` (may be empty): checks of the
  directions against something independent (e.g. integrated-gradient vectors).
- ``renders``: ``[{"class": int in 0..999, "label": str, "group": "car" | "control", "image": image
  ref}, ...]`` (may be empty): the class visualizations the units were picked by response to.
- ``layers``: at least one, unique ``id``: ``{"id": str, "layer": str, "prev_layer": str, "path":
  "full" | "branch" | "skip", "map_size": int >= 1, "label": str, "n": int >= 1, "scores": [float]
  (exactly n: the claim score of every unit, index = channel), "quantiles": QUANTILES (of scores),
  "control": {"label": str, "value": float, "percentile": float in [0, 100], "values": {measure id:
  float} for every measure but ``response``}, "units": [UNIT, ...]}``. UNIT is ``{"channel": int in 0..n-1, "label":
  str, "image": image ref, "percentile": float in [0, 100] (its score's, in the layer),
  "response_rank": int >= 1 (its rank by response to the car renders), "values": {measure id:
  float} for every measure}``.

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

import json
import math
import re
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mechanics.errors import BadInput
from mechanics.facts import KINDS as FACT_KINDS, NAME as FACT_NAME

CONTRACT_VERSION = 1
KINDS = ("decomposition_grid", "attribution_explorer", "factor_view", "objective_comparison", "gallery", "atlas",
         "unit_ranking", "decomposition_comparison", "trends", "claim_test")
QUANTILE_KEYS = ("q01", "q05", "q25", "q50", "q75", "q95", "q99")
VIEW_NAMES = ("branch", "skip", "full")
MODES = ("expanded", "gradient", "optimized")
MAX_TOP_CHANNELS = 8
# File extension -> the format PIL must detect in the file's header.
IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
# Slack for weight == norm / max norm, so rounding in the engine's JSON writer passes.
WEIGHT_TOLERANCE = 1e-3
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
BASELINE_ID = re.compile(r"[a-z0-9_]+")
BASELINE_KEYS = ("id", "label", "statistic", "value", "layer", "null", "trivial")
BASELINE_PARTS = ("layer", "null", "trivial")
CLAIM_GROUPS = ("car", "control")


class ContractError(BadInput):
    """A figure's data breaks the asset contract; the message names figure and field."""


class _Checker:
    """Checks one figure; every failure goes through fail() so it names figure and field."""

    def __init__(self, name, figure_dir):
        self.name = name
        self.dir = figure_dir
        self.sprites = {}

    def fail(self, path, problem):
        where = f"{path} " if path else ""
        raise ContractError(f"figure {self.name!r}: {where}{problem}")

    # -- primitive shapes ---------------------------------------------------------

    def field(self, obj, key, path):
        if not isinstance(obj, dict):
            self.fail(path, f"must be an object, got {_type_name(obj)}")
        if key not in obj:
            self.fail(_join(path, key), "is missing")
        return obj[key]

    def obj(self, value, path):
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, got {_type_name(value)}")
        return value

    def lst(self, value, path, min_len=0, max_len=None):
        if not isinstance(value, list):
            self.fail(path, f"must be a list, got {_type_name(value)}")
        if len(value) < min_len:
            self.fail(path, f"has {len(value)} items, expected at least {min_len}")
        if max_len is not None and len(value) > max_len:
            self.fail(path, f"has {len(value)} items, expected at most {max_len}")
        return value

    def string(self, value, path, nonempty=True):
        if not isinstance(value, str):
            self.fail(path, f"must be a string, got {_type_name(value)}")
        if nonempty and not value.strip():
            self.fail(path, "must not be empty")
        return value

    def integer(self, value, path, minimum=None):
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be an integer, got {_json_repr(value)}")
        if minimum is not None and value < minimum:
            self.fail(path, f"is {value}, expected >= {minimum}")
        return value

    def number(self, value, path, low=None, high=None):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"must be a number, got {_json_repr(value)}")
        if not math.isfinite(value):
            self.fail(path, f"is {value}, expected a finite number")
        if low is not None and value < low or high is not None and value > high:
            bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
            self.fail(path, f"is {value}, expected {'in ' if high is not None else ''}{bounds}")
        return value

    def choice(self, value, path, choices):
        if value not in choices:
            self.fail(path, f"is {_json_repr(value)}, expected one of {', '.join(map(repr, choices))}")
        return value

    def unique_ids(self, items, path):
        seen = set()
        for i, item in enumerate(items):
            ident = self.string(self.field(item, "id", f"{path}[{i}]"), f"{path}[{i}].id")
            if ident in seen:
                self.fail(f"{path}[{i}].id", f"repeats id {ident!r}")
            seen.add(ident)
        return [item["id"] for item in items]

    def nested_map(self, value, path, height, width, low=None, high=None, nullable=False):
        rows = self.lst(value, path)
        if len(rows) != height:
            self.fail(path, f"has {len(rows)} rows, expected {height}")
        for r, row in enumerate(rows):
            self.lst(row, f"{path}[{r}]")
            if len(row) != width:
                self.fail(f"{path}[{r}]", f"has {len(row)} values, expected {width}")
            for c, v in enumerate(row):
                if v is not None or not nullable:
                    self.number(v, f"{path}[{r}][{c}]", low, high)

    # -- files ----------------------------------------------------------------------

    def image_file(self, file_name, path):
        self.string(file_name, path)
        if Path(file_name).name != file_name or file_name in (".", ".."):
            self.fail(path, f"is {file_name!r}, expected a plain file name in the figure folder")
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

    def sprite_table(self, value, path, allow_empty=False):
        self.obj(value, path)
        if not value and not allow_empty:
            self.fail(path, "is empty, expected at least one sprite")
        for sid, sprite in value.items():
            p = f"{path}.{sid}"
            self.obj(sprite, p)
            tile = self.integer(self.field(sprite, "tile", p), f"{p}.tile", 1)
            columns = self.integer(self.field(sprite, "columns", p), f"{p}.columns", 1)
            count = self.integer(self.field(sprite, "count", p), f"{p}.count", 1)
            size = self.image_file(self.field(sprite, "file", p), f"{p}.file")
            expected = (columns * tile, math.ceil(count / columns) * tile)
            if size != expected:
                self.fail(f"{p}.file", f"{sprite['file']!r} is {size[0]}x{size[1]} px, expected "
                          f"{expected[0]}x{expected[1]} ({count} tiles of {tile} px in {columns} columns)")
            self.sprites[sid] = count

    def image_ref(self, value, path, nullable=False):
        if value is None and nullable:
            return
        self.obj(value, path)
        sid = self.field(value, "sprite", path)
        if sid not in self.sprites:
            self.fail(f"{path}.sprite", f"is {_json_repr(sid)}, which is not a key of sprites")
        count = self.sprites[sid]
        index = self.integer(self.field(value, "index", path), f"{path}.index")
        if not 0 <= index < count:
            self.fail(f"{path}.index", f"is {index}, out of range for sprite {sid!r} with {count} tiles")

    # -- contract shapes --------------------------------------------------------------

    def target(self, value, path):
        self.obj(value, path)
        self.string(self.field(value, "layer", path), f"{path}.layer")
        self.integer(self.field(value, "channel", path), f"{path}.channel", 0)
        position = self.field(value, "position", path)
        if position is not None:
            self.lst(position, f"{path}.position")
            if len(position) != 2:
                self.fail(f"{path}.position", f"has {len(position)} values, expected [y, x] or null")
            for i, v in enumerate(position):
                self.integer(v, f"{path}.position[{i}]", 0)
        self.string(self.field(value, "label", path), f"{path}.label")

    def window(self, value, path):
        self.obj(value, path)
        h = self.integer(self.field(value, "height", path), f"{path}.height", 1)
        w = self.integer(self.field(value, "width", path), f"{path}.width", 1)
        return h, w

    def top_channels(self, value, path):
        self.lst(value, path, 0, MAX_TOP_CHANNELS)
        for i, ch in enumerate(value):
            p = f"{path}[{i}]"
            self.integer(self.field(ch, "channel", p), f"{p}.channel", 0)
            self.number(self.field(ch, "weight", p), f"{p}.weight")
            self.image_ref(self.field(ch, "image", p), f"{p}.image", nullable=True)

    def cells(self, value, path, h, w, full=False, weight_is_relative=False):
        """A row-major list of h*w cells; full=True adds offset and top_channels (CELL)."""
        self.lst(value, path)
        if len(value) != h * w:
            self.fail(path, f"has {len(value)} cells, expected {h * w} (window {h}x{w})")
        norms = []
        for i, cell in enumerate(value):
            p = f"{path}[{i}]"
            self.obj(cell, p)
            row = self.integer(self.field(cell, "row", p), f"{p}.row")
            col = self.integer(self.field(cell, "col", p), f"{p}.col")
            if (row, col) != divmod(i, w):
                self.fail(p, f"is at row {row}, col {col}, expected row {i // w}, col {i % w} (row-major order)")
            norms.append(self.number(self.field(cell, "norm", p), f"{p}.norm", 0))
            self.number(self.field(cell, "weight", p), f"{p}.weight", 0, 1)
            self.image_ref(self.field(cell, "image", p), f"{p}.image")
            if full:
                offset = self.lst(self.field(cell, "offset", p), f"{p}.offset")
                if len(offset) != 2:
                    self.fail(f"{p}.offset", f"has {len(offset)} values, expected [dy, dx]")
                for k, v in enumerate(offset):
                    self.integer(v, f"{p}.offset[{k}]")
                self.top_channels(self.field(cell, "top_channels", p), f"{p}.top_channels")
        if weight_is_relative:
            top = max(norms, default=0)
            for i, cell in enumerate(value):
                expected = cell["norm"] / top if top > 0 else 0.0
                if abs(cell["weight"] - expected) > WEIGHT_TOLERANCE:
                    self.fail(f"{path}[{i}].weight", f"is {cell['weight']}, expected norm / max norm = {expected:.4f}")

    # -- kinds ----------------------------------------------------------------------------

    def decomposition_grid(self, fig):
        self.target(self.field(fig, "target", ""), "target")
        self.string(self.field(fig, "prev_layer", ""), "prev_layer")
        self.choice(self.field(fig, "mode", ""), "mode", MODES)
        h, w = self.window(self.field(fig, "window", ""), "window")
        self.image_ref(self.field(fig, "unit_image", ""), "unit_image")
        views = self.obj(self.field(fig, "views", ""), "views")
        if not views:
            self.fail("views", f"is empty, expected some of {', '.join(VIEW_NAMES)}")
        for view_name, view in views.items():
            self.choice(view_name, f"views.{view_name}", VIEW_NAMES)
            for part in ("positive", "negative"):
                p = f"views.{view_name}.{part}"
                part_obj = self.obj(self.field(view, part, f"views.{view_name}"), p)
                self.cells(self.field(part_obj, "cells", p), f"{p}.cells", h, w, full=True, weight_is_relative=True)
        if "examples" in fig:
            self.examples(fig["examples"], "examples")
        if "occlusion" in fig:
            self.occlusion(fig["occlusion"], "occlusion", h, w)

    def attribution_explorer(self, fig):
        photo = self.obj(self.field(fig, "photo", ""), "photo")
        width = self.integer(self.field(photo, "width", "photo"), "photo.width", 1)
        height = self.integer(self.field(photo, "height", "photo"), "photo.height", 1)
        size = self.image_file(self.field(photo, "file", "photo"), "photo.file")
        if size != (width, height):
            self.fail("photo.file", f"{photo['file']!r} is {size[0]}x{size[1]} px, expected {width}x{height}")
        self.string(self.field(fig, "layer", ""), "layer")
        gh, gw = self.window(self.field(fig, "grid", ""), "grid")
        targets = self.lst(self.field(fig, "targets", ""), "targets", 1)
        methods = self.lst(self.field(fig, "methods", ""), "methods", 1)
        target_ids = self.unique_ids(targets, "targets")
        method_ids = self.unique_ids(methods, "methods")
        for i, t in enumerate(targets):
            self.string(self.field(t, "label", f"targets[{i}]"), f"targets[{i}].label")
        for i, m in enumerate(methods):
            self.string(self.field(m, "label", f"methods[{i}]"), f"methods[{i}].label")
        results = self.obj(self.field(fig, "results", ""), "results")
        for extra in sorted(set(results) - set(target_ids)):
            self.fail(f"results.{extra}", "is not the id of a target")
        for tid in target_ids:
            per_method = self.obj(self.field(results, tid, "results"), f"results.{tid}")
            for extra in sorted(set(per_method) - set(method_ids)):
                self.fail(f"results.{tid}.{extra}", "is not the id of a method")
            for mid in method_ids:
                p = f"results.{tid}.{mid}"
                result = self.obj(self.field(per_method, mid, f"results.{tid}"), p)
                self.nested_map(self.field(result, "saliency", p), f"{p}.saliency", gh, gw)
                self.cells(self.field(result, "cells", p), f"{p}.cells", gh, gw)
                comp = self.obj(self.field(result, "completeness", p), f"{p}.completeness")
                for key in ("target_delta", "attribution_sum", "gap", "ratio"):
                    self.number(self.field(comp, key, f"{p}.completeness"), f"{p}.completeness.{key}")

    def factor_view(self, fig):
        self.target(self.field(fig, "target", ""), "target")
        self.string(self.field(fig, "prev_layer", ""), "prev_layer")
        h, w = self.window(self.field(fig, "window", ""), "window")
        self.image_ref(self.field(fig, "unit_image", ""), "unit_image")
        factors = self.lst(self.field(fig, "factors", ""), "factors", 1)
        for i, factor in enumerate(factors):
            p = f"factors[{i}]"
            color = self.string(self.field(factor, "color", p), f"{p}.color")
            if not _COLOR.fullmatch(color):
                self.fail(f"{p}.color", f"is {color!r}, expected #rrggbb")
            self.nested_map(self.field(factor, "map", p), f"{p}.map", h, w, 0, 1)
            self.image_ref(self.field(factor, "image", p), f"{p}.image")
            self.top_channels(self.field(factor, "top_channels", p), f"{p}.top_channels")

    def objective_comparison(self, fig):
        self.target(self.field(fig, "target", ""), "target")
        panels = self.lst(self.field(fig, "panels", ""), "panels", 2)
        self.unique_ids(panels, "panels")
        for i, panel in enumerate(panels):
            p = f"panels[{i}]"
            self.string(self.field(panel, "label", p), f"{p}.label")
            self.choice(self.field(panel, "objective", p), f"{p}.objective", ("neuron", "channel"))
            self.choice(self.field(panel, "direction", p), f"{p}.direction", ("dot", "cossim"))
            self.number(self.field(panel, "value", p), f"{p}.value")
            self.image_ref(self.field(panel, "unit_image", p), f"{p}.unit_image")
            window = self.field(panel, "window", p)
            cells = self.lst(self.field(panel, "cells", p), f"{p}.cells")
            if window is None:
                if cells:
                    self.fail(f"{p}.cells", f"has {len(cells)} cells, expected none (window is null)")
            else:
                h, w = self.window(window, f"{p}.window")
                if cells:
                    self.cells(cells, f"{p}.cells", h, w, full=True, weight_is_relative=True)

    def gallery(self, fig):
        items = self.lst(self.field(fig, "items", ""), "items", 1)
        self.unique_ids(items, "items")
        for i, item in enumerate(items):
            p = f"items[{i}]"
            for key in ("model", "model_label", "layer", "label"):
                self.string(self.field(item, key, p), f"{p}.{key}")
            self.integer(self.field(item, "channel", p), f"{p}.channel", 0)
            self.image_ref(self.field(item, "unit_image", p), f"{p}.unit_image")
            h, w = self.window(self.field(item, "window", p), f"{p}.window")
            self.cells(self.field(item, "cells", p), f"{p}.cells", h, w)

    def atlas(self, fig):
        layers = self.lst(self.field(fig, "layers", ""), "layers", 1)
        seen = set()
        for i, entry in enumerate(layers):
            p = f"layers[{i}]"
            layer = self.string(self.field(entry, "layer", p), f"{p}.layer")
            if layer in seen:
                self.fail(f"{p}.layer", f"repeats layer {layer!r}")
            seen.add(layer)
            self.string(self.field(entry, "prev_layer", p), f"{p}.prev_layer")
            self.choice(self.field(entry, "path", p), f"{p}.path", VIEW_NAMES)
            count = self.integer(self.field(entry, "units", p), f"{p}.units", 1)
            self.atlas_layer(entry, self.layer_file(self.field(entry, "file", p), f"{p}.file"), count)

    def layer_file(self, file_name, path):
        self.string(file_name, path)
        if Path(file_name).name != file_name or not file_name.endswith(".json") or file_name == "figure.json":
            self.fail(path, f"is {file_name!r}, expected a plain .json file name in the figure folder, not figure.json")
        try:
            return file_name, json.loads((self.dir / file_name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.fail(path, f"names {file_name!r}, which does not exist in {self.dir}")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            self.fail(path, f"names {file_name!r}, which is not readable JSON ({e})")

    def atlas_layer(self, entry, named_data, count):
        """A layer file; its field paths read `FILE:field`, e.g. `block9.json:units[3].cells`."""
        file_name, data = named_data
        self.obj(data, file_name)
        _check_finite(self, data, file_name + ":")
        p = f"{file_name}:"
        for key in ("layer", "prev_layer", "path"):
            if self.field(data, key, p) != entry[key]:
                self.fail(p + key, f"is {_json_repr(data[key])}, expected {_json_repr(entry[key])} as in figure.json")
        position = self.lst(self.field(data, "position", p), p + "position")
        if len(position) != 2:
            self.fail(p + "position", f"has {len(position)} values, expected [y, x]")
        for k, v in enumerate(position):
            self.integer(v, f"{p}position[{k}]", 0)
        h, w = self.window(self.field(data, "window", p), p + "window")
        units = self.lst(self.field(data, "units", p), p + "units")
        if len(units) != count:
            self.fail(p + "units", f"has {len(units)} units, expected {count} as in figure.json")
        last = -1
        for i, unit in enumerate(units):
            u = f"{p}units[{i}]"
            channel = self.integer(self.field(unit, "channel", u), f"{u}.channel", 0)
            if channel <= last:
                self.fail(f"{u}.channel", f"is {channel}, expected channels unique and increasing (previous {last})")
            last = channel
            self.string(self.field(unit, "label", u), f"{u}.label")
            self.number(self.field(unit, "value", u), f"{u}.value")
            self.image_ref(self.field(unit, "unit_image", u), f"{u}.unit_image")
            self.cells(self.field(unit, "cells", u), f"{u}.cells", h, w, full=True, weight_is_relative=True)

    # -- kinds across models (unit_ranking, decomposition_comparison) --------------------------------

    def legend(self, value, path, min_len):
        items = self.lst(value, path, min_len)
        ids = self.unique_ids(items, path)
        for i, item in enumerate(items):
            for key in ("label", "description"):
                self.string(self.field(item, key, f"{path}[{i}]"), f"{path}[{i}].{key}")
        return ids

    def values_for(self, value, path, ids):
        self.obj(value, path)
        for extra in sorted(set(value) - set(ids)):
            self.fail(f"{path}.{extra}", "is not the id of a measure")
        return [self.number(self.field(value, i, path), f"{path}.{i}") for i in ids]

    def class_id(self, value, path):
        self.integer(value, path, 0)
        if value > 999:
            self.fail(path, f"is {value}, expected a class id in 0..999")

    def unit_ranking(self, fig):
        ids = self.legend(self.field(fig, "measures", ""), "measures", 1)
        for i, cls in enumerate(self.lst(self.field(fig, "classes", ""), "classes")):
            self.class_id(self.field(cls, "class", f"classes[{i}]"), f"classes[{i}].class")
            self.string(self.field(cls, "label", f"classes[{i}]"), f"classes[{i}].label")
        for m, block in enumerate(self.lst(self.field(fig, "models", ""), "models", 1)):
            p = f"models[{m}]"
            for key in ("model", "model_label", "layer", "stage"):
                self.string(self.field(block, key, p), f"{p}.{key}")
            previous = None
            for u, unit in enumerate(self.lst(self.field(block, "units", p), f"{p}.units", 1)):
                q = f"{p}.units[{u}]"
                rank = self.integer(self.field(unit, "rank", q), f"{q}.rank")
                if rank != u + 1:
                    self.fail(f"{q}.rank", f"is {rank}, expected {u + 1} (ranks count 1, 2, 3, ... in order)")
                self.integer(self.field(unit, "channel", q), f"{q}.channel", 0)
                self.string(self.field(unit, "label", q), f"{q}.label")
                self.image_ref(self.field(unit, "image", q), f"{q}.image")
                score = self.values_for(self.field(unit, "values", q), f"{q}.values", ids)[0]
                if previous is not None and score > previous:
                    self.fail(f"{q}.values.{ids[0]}", f"is {score}, above the unit ranked before it ({previous})")
                previous = score
                for k, cls in enumerate(self.lst(self.field(unit, "top_classes", q), f"{q}.top_classes")):
                    r = f"{q}.top_classes[{k}]"
                    self.class_id(self.field(cls, "class", r), f"{r}.class")
                    self.string(self.field(cls, "label", r), f"{r}.label")
                    self.number(self.field(cls, "weight", r), f"{r}.weight")

    def decomposition_comparison(self, fig):
        ids = self.legend(self.field(fig, "measures", ""), "measures", 1)
        cell_ids = self.legend(self.field(fig, "cell_measures", ""), "cell_measures", 0)
        panels = self.lst(self.field(fig, "panels", ""), "panels", 1)
        self.unique_ids(panels, "panels")
        for i, panel in enumerate(panels):
            p = f"panels[{i}]"
            for key in ("model", "model_label", "prev_layer"):
                self.string(self.field(panel, key, p), f"{p}.{key}")
            self.target(self.field(panel, "target", p), f"{p}.target")
            self.choice(self.field(panel, "path", p), f"{p}.path", VIEW_NAMES)
            self.image_ref(self.field(panel, "unit_image", p), f"{p}.unit_image")
            h, w = self.window(self.field(panel, "window", p), f"{p}.window")
            self.cells(self.field(panel, "cells", p), f"{p}.cells", h, w, full=True, weight_is_relative=True)
            self.values_for(self.field(panel, "values", p), f"{p}.values", ids)
            cell_values = self.obj(self.field(panel, "cell_values", p), f"{p}.cell_values")
            for extra in sorted(set(cell_values) - set(cell_ids)):
                self.fail(f"{p}.cell_values.{extra}", "is not the id of a cell measure")
            for cid in cell_ids:
                self.nested_map(self.field(cell_values, cid, f"{p}.cell_values"), f"{p}.cell_values.{cid}", h, w)

    def quantile_set(self, value, path):
        self.obj(value, path)
        values = [self.number(self.field(value, q, path), f"{path}.{q}") for q in QUANTILE_KEYS]
        for q, low, high in zip(QUANTILE_KEYS[1:], values, values[1:]):
            if high < low:
                self.fail(f"{path}.{q}", f"is {high}, below the quantile before it ({low})")

    def trends(self, fig):
        ids = self.legend(self.field(fig, "measures", ""), "measures", 1)
        self.integer(self.field(fig, "strong_cells", ""), "strong_cells", 1)
        self.number(self.field(fig, "pooling_quantile", ""), "pooling_quantile", 0, 1)
        layers = self.lst(self.field(fig, "layers", ""), "layers", 1)
        self.unique_ids(layers, "layers")
        for i, layer in enumerate(layers):
            p = f"layers[{i}]"
            for k in ("model", "model_label", "layer", "prev_layer", "atlas", "label"):
                self.string(self.field(layer, k, p), f"{p}.{k}")
            self.choice(self.field(layer, "path", p), f"{p}.path", VIEW_NAMES)
            n = self.integer(self.field(layer, "n", p), f"{p}.n", 1)
            summary = self.obj(self.field(layer, "summary", p), f"{p}.summary")
            for m in ids:
                s = f"{p}.summary.{m}"
                entry = self.obj(self.field(summary, m, f"{p}.summary"), s)
                self.quantile_set(self.field(entry, "quantiles", s), f"{s}.quantiles")
                if "trivial" in entry:
                    self.string(self.field(entry["trivial"], "kind", f"{s}.trivial"), f"{s}.trivial.kind")
                    self.number(self.field(entry["trivial"], "value", f"{s}.trivial"), f"{s}.trivial.value")
                if "null" in entry:
                    self.string(self.field(entry["null"], "kind", f"{s}.null"), f"{s}.null.kind")
                    self.integer(self.field(entry["null"], "n", f"{s}.null"), f"{s}.null.n", 1)
                    self.quantile_set(self.field(entry["null"], "quantiles", f"{s}.null"), f"{s}.null.quantiles")
                    for k in ("threshold", "share_assembling", "null_share_assembling"):
                        self.number(self.field(entry, k, s), f"{s}.{k}", 0, 1)
            units = self.lst(self.field(layer, "units", p), f"{p}.units")
            if len(units) != n:
                self.fail(f"{p}.units", f"has {len(units)} units, expected n = {n}")
            for u, unit in enumerate(units):
                q = f"{p}.units[{u}]"
                self.integer(self.field(unit, "channel", q), f"{q}.channel", 0)
                self.string(self.field(unit, "label", q), f"{q}.label")
                self.integer(self.field(unit, "dominant", q), f"{q}.dominant")
                if not isinstance(self.field(unit, "assembles", q), bool):
                    self.fail(f"{q}.assembles", f"must be true or false, got {_json_repr(unit['assembles'])}")
                for m in ids:
                    self.number(self.field(unit, m, q), f"{q}.{m}")
        for i, unit in enumerate(self.lst(self.field(fig, "named", ""), "named")):
            p = f"named[{i}]"
            for k in ("id", "model", "layer", "label"):
                self.string(self.field(unit, k, p), f"{p}.{k}")
            self.integer(self.field(unit, "channel", p), f"{p}.channel", 0)
            values = self.obj(self.field(unit, "values", p), f"{p}.values")
            percentiles = self.obj(self.field(unit, "percentiles", p), f"{p}.percentiles")
            for m in ids:
                self.number(self.field(values, m, f"{p}.values"), f"{p}.values.{m}")
                self.number(self.field(percentiles, m, f"{p}.percentiles"), f"{p}.percentiles.{m}", 0, 100)

    # -- evidence (every kind): baselines ------------------------------------------------------------

    def baselines(self, value, path):
        items = self.lst(value, path)
        self.unique_ids(items, path)
        for i, item in enumerate(items):
            p = f"{path}[{i}]"
            if not BASELINE_ID.fullmatch(item["id"]):
                self.fail(f"{p}.id", f"is {item['id']!r}, expected lower-case letters, digits and _ ([a-z0-9_]+)")
            for extra in sorted(set(item) - set(BASELINE_KEYS)):
                self.fail(f"{p}.{extra}", f"is not a baseline field (valid: {', '.join(BASELINE_KEYS)})")
            self.string(self.field(item, "label", p), f"{p}.label")
            self.string(self.field(item, "statistic", p), f"{p}.statistic")
            self.number(self.field(item, "value", p), f"{p}.value")
            if not any(part in item for part in BASELINE_PARTS):
                self.fail(p, f"has none of {', '.join(BASELINE_PARTS)}, expected at least one")
            if "layer" in item:
                self.layer_rank(item["layer"], f"{p}.layer")
            if "null" in item:
                self.null_sample(item["null"], f"{p}.null")
            if "trivial" in item:
                t = self.obj(item["trivial"], f"{p}.trivial")
                self.string(self.field(t, "kind", f"{p}.trivial"), f"{p}.trivial.kind")
                self.number(self.field(t, "value", f"{p}.trivial"), f"{p}.trivial.value")

    def layer_rank(self, value, path):
        self.obj(value, path)
        self.integer(self.field(value, "n", path), f"{path}.n", 1)
        self.number(self.field(value, "percentile", path), f"{path}.percentile", 0, 100)
        self.quantile_set(self.field(value, "quantiles", path), f"{path}.quantiles")
        if "label" in value:
            self.string(value["label"], f"{path}.label")

    def null_sample(self, value, path):
        self.obj(value, path)
        self.string(self.field(value, "kind", path), f"{path}.kind")
        self.integer(self.field(value, "n", path), f"{path}.n", 0)
        seed = self.field(value, "seed", path)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            self.fail(f"{path}.seed", f"must be an integer or null, got {_json_repr(seed)}")
        self.quantile_set(self.field(value, "quantiles", path), f"{path}.quantiles")
        self.number(self.field(value, "exceeded_by", path), f"{path}.exceeded_by", 0, 1)

    # -- evidence of a decomposition grid: dataset examples, occlusion check ---------------------------

    def plain_name(self, value, path):
        """A file's name, shown as text only: no folder, no URL."""
        self.string(value, path)
        if "/" in value or "\\" in value or value in (".", ".."):
            self.fail(path, f"is {_json_repr(value)}, expected a plain file name (no folders, no URL)")

    def position(self, value, path):
        self.lst(value, path)
        if len(value) != 2:
            self.fail(path, f"has {len(value)} values, expected [y, x]")
        for k, v in enumerate(value):
            self.integer(v, f"{path}[{k}]", 0)

    def examples(self, value, path):
        self.obj(value, path)
        self.string(self.field(value, "source", path), f"{path}.source")
        self.integer(self.field(value, "images", path), f"{path}.images", 1)
        self.integer(self.field(value, "skipped", path), f"{path}.skipped", 0)
        self.integer(self.field(value, "input_size", path), f"{path}.input_size", 1)
        self.quantile_set(self.field(value, "activation_quantiles", path), f"{path}.activation_quantiles")
        for i, example in enumerate(self.lst(self.field(value, "top", path), f"{path}.top", 1)):
            p = f"{path}.top[{i}]"
            self.plain_name(self.field(example, "file", p), f"{p}.file")
            self.number(self.field(example, "activation", p), f"{p}.activation")
            self.position(self.field(example, "position", p), f"{p}.position")
            self.image_ref(self.field(example, "image", p), f"{p}.image")

    def occlusion(self, value, path, h, w):
        self.obj(value, path)
        self.plain_name(self.field(value, "file", path), f"{path}.file")
        self.image_ref(self.field(value, "photo", path), f"{path}.photo")
        self.target(self.field(value, "target", path), f"{path}.target")
        self.string(self.field(value, "earlier", path), f"{path}.earlier")
        window = self.lst(self.field(value, "window", path), f"{path}.window")
        if len(window) != 4:
            self.fail(f"{path}.window", f"has {len(window)} values, expected [top, left, height, width]")
        for k, v in enumerate(window):
            self.integer(v, f"{path}.window[{k}]", 1 if k >= 2 else None)
        if tuple(window[2:]) != (h, w):
            self.fail(f"{path}.window", f"is {window[2]}x{window[3]}, expected the figure's window {h}x{w}")
        self.number(self.field(value, "unit_value", path), f"{path}.unit_value")
        predicted = self.field(value, "predicted", path)
        measured = self.field(value, "measured", path)
        for key, grid in (("predicted", predicted), ("measured", measured)):
            self.nested_map(grid, f"{path}.{key}", h, w, nullable=True)
        for r in range(h):
            for c in range(w):
                if (predicted[r][c] is None) != (measured[r][c] is None):
                    self.fail(f"{path}.measured[{r}][{c}]", f"is {_json_repr(measured[r][c])}, expected null where "
                              f"predicted is null and a number where it is not (predicted is {_json_repr(predicted[r][c])})")
        for key in ("pearson", "spearman"):
            if self.field(value, key, path) is not None:
                self.number(value[key], f"{path}.{key}")
        self.integer(self.field(value, "n", path), f"{path}.n", 0)
        if self.field(value, "null", path) is not None:
            self.null_sample(value["null"], f"{path}.null")

    # -- kind claim_test ------------------------------------------------------------------------------

    def class_list(self, value, path, min_len=0):
        for i, cls in enumerate(self.lst(value, path, min_len)):
            self.class_id(self.field(cls, "class", f"{path}[{i}]"), f"{path}[{i}].class")
            self.string(self.field(cls, "label", f"{path}[{i}]"), f"{path}[{i}].label")

    def claim_test(self, fig):
        ids = self.legend(self.field(fig, "measures", ""), "measures", 1)
        directions = self.lst(self.field(fig, "directions", ""), "directions", 1)
        self.unique_ids(directions, "directions")
        for i, direction in enumerate(directions):
            p = f"directions[{i}]"
            self.string(self.field(direction, "label", p), f"{p}.label")
            self.class_list(self.field(direction, "classes", p), f"{p}.classes")
        checks = self.lst(self.field(fig, "checks", ""), "checks")
        self.legend(checks, "checks", 0)
        for i, check in enumerate(checks):
            self.number(self.field(check, "value", f"checks[{i}]"), f"checks[{i}].value")
        for i, render in enumerate(self.lst(self.field(fig, "renders", ""), "renders")):
            p = f"renders[{i}]"
            self.class_id(self.field(render, "class", p), f"{p}.class")
            self.string(self.field(render, "label", p), f"{p}.label")
            self.choice(self.field(render, "group", p), f"{p}.group", CLAIM_GROUPS)
            self.image_ref(self.field(render, "image", p), f"{p}.image")
        layers = self.lst(self.field(fig, "layers", ""), "layers", 1)
        self.unique_ids(layers, "layers")
        for i, layer in enumerate(layers):
            p = f"layers[{i}]"
            for key in ("layer", "prev_layer", "label"):
                self.string(self.field(layer, key, p), f"{p}.{key}")
            self.choice(self.field(layer, "path", p), f"{p}.path", VIEW_NAMES)
            self.integer(self.field(layer, "map_size", p), f"{p}.map_size", 1)
            n = self.integer(self.field(layer, "n", p), f"{p}.n", 1)
            scores = self.lst(self.field(layer, "scores", p), f"{p}.scores")
            if len(scores) != n:
                self.fail(f"{p}.scores", f"has {len(scores)} scores, expected n = {n} (one per channel)")
            for k, score in enumerate(scores):
                self.number(score, f"{p}.scores[{k}]")
            self.quantile_set(self.field(layer, "quantiles", p), f"{p}.quantiles")
            control = self.obj(self.field(layer, "control", p), f"{p}.control")
            self.string(self.field(control, "label", f"{p}.control"), f"{p}.control.label")
            self.number(self.field(control, "value", f"{p}.control"), f"{p}.control.value")
            self.number(self.field(control, "percentile", f"{p}.control"), f"{p}.control.percentile", 0, 100)
            # A synthetic window has no response to renders: its values are the window measures.
            self.values_for(self.field(control, "values", f"{p}.control"), f"{p}.control.values",
                            [i for i in ids if i != "response"])
            for u, unit in enumerate(self.lst(self.field(layer, "units", p), f"{p}.units")):
                q = f"{p}.units[{u}]"
                channel = self.integer(self.field(unit, "channel", q), f"{q}.channel", 0)
                if channel >= n:
                    self.fail(f"{q}.channel", f"is {channel}, expected a channel of the layer's {n} units (0..{n - 1})")
                self.string(self.field(unit, "label", q), f"{q}.label")
                self.image_ref(self.field(unit, "image", q), f"{q}.image")
                self.number(self.field(unit, "percentile", q), f"{q}.percentile", 0, 100)
                self.integer(self.field(unit, "response_rank", q), f"{q}.response_rank", 1)
                self.values_for(self.field(unit, "values", q), f"{q}.values", ids)

    def check(self, fig):
        self.obj(fig, "figure.json")
        _check_finite(self, fig, "")
        version = self.field(fig, "contract", "")
        if version != CONTRACT_VERSION:
            self.fail("contract", f"is {_json_repr(version)}, expected {CONTRACT_VERSION}")
        kind = self.choice(self.field(fig, "kind", ""), "kind", KINDS)
        figure = self.string(self.field(fig, "figure", ""), "figure")
        if figure != self.name:
            self.fail("figure", f"is {figure!r}, expected the folder name {self.name!r}")
        for key in ("model", "model_label", "engine_version", "input_hash", "summary"):
            self.string(self.field(fig, key, ""), key)
        self.obj(self.field(fig, "params", ""), "params")
        self.sprite_table(self.field(fig, "sprites", ""), "sprites", allow_empty=fig.get("kind") == "trends")
        if "facts" in fig:
            self.facts(fig["facts"], "facts")
        getattr(self, kind)(fig)
        if "baselines" in fig:
            self.baselines(fig["baselines"], "baselines")

    def facts(self, value, path):
        for name, item in self.obj(value, path).items():
            p = _join(path, name)
            if not FACT_NAME.match(name):
                self.fail(p, "is not a fact name: lower-case letters, digits and _, starting with a letter")
            kind = self.choice(self.field(item, "kind", p), f"{p}.kind", FACT_KINDS)
            fact = self.field(item, "value", p)
            if kind == "text":
                self.string(fact, f"{p}.value")
            elif kind in ("count", "index"):
                self.integer(fact, f"{p}.value", minimum=0 if kind == "count" else None)
            else:
                self.number(fact, f"{p}.value", *((0, 1) if kind == "share" else ()))
            if "digits" in item:
                digits = self.integer(item["digits"], f"{p}.digits", minimum=0)
                if digits > 6:
                    self.fail(f"{p}.digits", f"is {digits}, expected at most 6")
            for key in ("unit", "what"):
                if key in item:
                    self.string(item[key], f"{p}.{key}", nonempty=False)


def _check_finite(checker, value, path):
    """Walks the whole document first, so a NaN is reported wherever it hides."""
    if isinstance(value, float) and not math.isfinite(value):
        checker.fail(path or "figure.json", f"is {value}, expected a finite number")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_finite(checker, v, _join(path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(checker, v, f"{path}[{i}]")


def _join(path, key):
    return f"{path}.{key}" if path and not path.endswith(":") else f"{path}{key}"


def _type_name(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _json_repr(value):
    try:
        return json.dumps(value)[:60]
    except (TypeError, ValueError):
        return repr(value)[:60]


def validate_figure(name: str, figure_dir: Path) -> dict:
    """Parses figure_dir/figure.json, checks it against the contract and returns it.

    Raises ContractError (a BadInput) whose message names the figure and the field.
    """
    figure_dir = Path(figure_dir)
    checker = _Checker(name, figure_dir)
    path = figure_dir / "figure.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        checker.fail("", f"has no figure.json in {figure_dir}")
    except (OSError, UnicodeDecodeError) as e:
        checker.fail("", f"cannot read {path}: {e}")
    try:
        fig = json.loads(text)
    except json.JSONDecodeError as e:
        checker.fail("", f"figure.json is not valid JSON: {e}")
    checker.check(fig)
    return fig
