"""The parameters of each kind of figure, declared once: type, default and a short doc per key.

In the style of mkdocs' config options: each kind is a class whose attributes are typed options,
and check() reports every problem of a figure's `params` at once (an unknown key, with the
closest valid one, or a value of the wrong type), when figures are discovered, before any
TensorFlow. The recipes (mechanics/recipes.py, cross_model.py, atlas.py) read the same keys
with the same defaults; checks that need the model (a layer's name, a channel's range) stay
with them.
"""

import difflib
import re

REQUIRED = object()  # the default of a key the recipe cannot do without
_UNIT = re.compile(r"[\w./-]+:\d+")


class Option:
    """One key: what it holds (`expected`), its default and what it does."""

    expected = "any value"

    def __init__(self, default=REQUIRED, doc="", expected=None):
        self.default, self.doc = default, doc
        self.expected = expected or self.expected

    def problem(self, value):
        """None if `value` is valid, else what is wrong with it."""
        return None if self.accepts(value) else f"is {value!r}, expected {self.expected}"

    def accepts(self, value):
        return True


class Int(Option):
    types, noun = int, "a whole number"

    def __init__(self, low, high, default=REQUIRED, doc=""):
        super().__init__(default, doc, f"{self.noun} {low}..{high}")
        self.low, self.high = low, high

    def accepts(self, value):
        return isinstance(value, self.types) and not isinstance(value, bool) and self.low <= value <= self.high


class Float(Int):
    types, noun = (int, float), "a number"


class Choice(Option):
    def __init__(self, choices, default=REQUIRED, doc=""):
        super().__init__(default, doc, f"one of {', '.join(map(repr, choices))}")
        self.choices = choices

    def accepts(self, value):
        return value in self.choices


class Text(Option):
    """A string; with `pattern`, one that matches it whole (`expected` says what it looks like)."""

    expected = "text"

    def __init__(self, default=REQUIRED, doc="", pattern=None, expected=None):
        super().__init__(default, doc, expected)
        self.pattern = pattern

    def accepts(self, value):
        return isinstance(value, str) and (self.pattern is None or bool(self.pattern.fullmatch(value)))


class ListOf(Option):
    """A non-empty list whose every item `item` accepts."""

    def __init__(self, item, default=REQUIRED, doc=""):
        super().__init__(default, doc, f"a non-empty list of {item.expected}")
        self.item = item

    def accepts(self, value):
        return isinstance(value, list) and bool(value) and all(self.item.accepts(v) for v in value)


class Row(Option):
    """A list whose entries the recipe checks against the model (`expected` says their shape)."""

    def accepts(self, value):
        return isinstance(value, list)


class Table(Option):
    """A mapping; its keys are the recipe's to check (they depend on one another)."""

    expected = "a mapping {key: value}"

    def accepts(self, value):
        return isinstance(value, dict)


def _unit(doc, default=REQUIRED):
    return Text(default, doc, _UNIT, "LAYER:CHANNEL, e.g. 'block10:101'")


def _layer(doc):
    return Text(doc=doc, pattern=re.compile(r"[\w./-]+"), expected="a layer name, e.g. 'block9'")


class Position(Option):
    expected = "[y, x], two whole numbers from 0"

    def accepts(self, value):
        return isinstance(value, list) and len(value) == 2 and all(Int(0, 4096).accepts(v) for v in value)


_IMAGE = Text(doc="the photo: a path, or skimage:NAME.png", expected="a path or skimage:NAME.png")
_INPUT_SIZE = Int(8, 2048, None, "input size in px of the decomposition (default: the model's native size)")
_PATH = Choice(("full", "branch", "skip"), "full", "the residual path: full, branch (the block) or skip (its shortcut)")
_MODELS = ListOf(Text(expected="a model name"), doc="the models compared, e.g. ['efficientnet_lite0', ...]")
_STAGE = Text(doc="'stageN': the last block of stage N in each model", pattern=re.compile(r"stage\d+"),
              expected="'stageN', e.g. 'stage6'")
_CLASSES = ListOf(Int(0, 999), None, "ImageNet class ids (default: the 12 car classes)")


class FigureParams:
    """The keys of one kind of figure (a subclass per kind, its options as class attributes), and
    what makes it: `recipe`, "module:function" called as function(out_dir, figure, quick), unless
    the figure script defines its own make(out_dir, quick). A kind with `ray` gets workers= and
    ray_address= as well, in either."""

    kind = None
    recipe = None
    ray = False

    @classmethod
    def options(cls):
        """{key: Option}, every key the kind takes (its own and inherited ones)."""
        found = {}
        for klass in reversed(cls.__mro__):
            found.update({k: v for k, v in vars(klass).items() if isinstance(v, Option)})
        return found

    @classmethod
    def problems(cls, params):
        """Every problem of a params mapping, as (key, message), in the order of its keys."""
        options = cls.options()
        found = []
        for key, value in params.items():
            option = options.get(key)
            if option is None:
                close = difflib.get_close_matches(str(key), options, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                found.append((key, f"unknown key {key!r} ({hint}valid keys: {', '.join(options)})"))
            elif (problem := option.problem(value)) is not None:
                found.append((key, f"{key!r} {problem}"))
        return found


class RenderParams(FigureParams):
    """Lucid's rendering of each direction (mechanics.render.RenderSettings)."""

    size = Int(16, 1024, 128, "render size in px")
    steps = Int(1, 100_000, 256, "optimization steps")
    learning_rate = Float(1e-6, 10.0, 0.05, "Adam's learning rate")
    seed = Int(0, 2**31 - 1, 0, "random seed of the parameterization and transforms")
    objective = Choice(("dot", "cossim"), "dot", "direction objective: dot product or cosine similarity")
    transforms = Choice(("fused", "lucid"), "fused", "Lucid's standard transforms as one warp, or Lucid's chain")
    redirected_steps = Int(0, 100_000, 17, "steps with redirected ReLU gradients, for a unit that starts silent")


class SpatialRenderParams(RenderParams):
    spatial = Choice(("neuron", "channel"), "neuron", "the layer's central position, or every position")


class DecompositionGrid(SpatialRenderParams):
    kind = "decomposition_grid"
    recipe = "mechanics.recipes:decomposition_grid"
    target = _unit("the unit decomposed")
    at = Position(None, "neuron position [y, x] (default: the whole channel)")
    earlier = _layer("the earlier layer it is decomposed over")
    mode = Choice(("expanded", "gradient"), "expanded", "expanded weights, or the local gradient on `image`")
    paths = ListOf(Choice(("full", "branch", "skip")), ["full"], "the residual paths shown, e.g. ['branch', 'skip']")
    image = Text(None, "the photo for mode 'gradient' (a path or skimage:NAME.png)", expected="a path or skimage:NAME.png")
    input_size = Int(8, 2048, None, "input size in px of the decomposition (default: the render size)")
    examples = Table(None, "{'images': a folder or 'skimage:', 'top': K}: the unit's dataset examples, and the "
                           "occlusion check of its decomposition on the top one")


class AttributionExplorer(SpatialRenderParams):
    kind = "attribution_explorer"
    recipe = "mechanics.recipes:attribution_explorer"
    image = _IMAGE
    layer = _layer("the hidden layer attributed to")
    targets = ListOf(Text(pattern=re.compile(r"logit:\d+|[\w./-]+:\d+"), expected="'logit:N' or 'LAYER:CHANNEL'"),
                     doc="what is attributed, e.g. ['logit:285', 'block14:186']")
    methods = ListOf(Choice(("gradxact", "ig")), doc="activation x gradient and/or integrated gradients")
    ig_steps = Int(1, 100_000, 64, "integrated-gradient steps")
    input_size = _INPUT_SIZE
    min_weight = Float(0.0, 1.0, 0.0, "cells whose weight is below it are not rendered")
    completeness_layers = ListOf(_layer("another layer"), default=[],
                                 doc="other layers whose completeness the figure states as facts only")
    photo_units = ListOf(_unit("a unit"), default=[],
                         doc="units whose strongest activation on the photo is stated against scikit-image's photos")


class FactorView(SpatialRenderParams):
    kind = "factor_view"
    recipe = "mechanics.recipes:factor_view"
    image = _IMAGE
    target = _unit("a pointwise unit, as a channel")
    earlier = _layer("the layer whose attribution vectors are factored")
    k = Int(1, 64, doc="how many NMF factors")
    input_size = _INPUT_SIZE


class ObjectiveComparison(SpatialRenderParams):
    kind = "objective_comparison"
    recipe = "mechanics.recipes:objective_comparison"
    target = _unit("the unit compared")
    at = Position(doc="neuron position [y, x] of the neuron objective")
    earlier = _layer("the earlier layer its decomposition is over")
    path = _PATH
    scored_units = Int(0, 10_000, 0, "units of the layer, evenly spaced, rendered with every objective and scored")


class Gallery(SpatialRenderParams):
    kind = "gallery"
    recipe = "mechanics.recipes:gallery"
    units = ListOf(Row(expected="[layer, earlier, path, [channels]]"), doc="the units shown, grouped by layer")
    input_size = _INPUT_SIZE


class UnitRanking(SpatialRenderParams):
    kind = "unit_ranking"
    recipe = "mechanics.cross_model:unit_ranking"
    models = _MODELS
    stage = _STAGE
    classes = _CLASSES
    top = Int(1, 1000, 6, "how many units per model")


class DecompositionComparison(SpatialRenderParams):
    kind = "decomposition_comparison"
    recipe = "mechanics.cross_model:decomposition_comparison"
    models = _MODELS
    stage = _STAGE
    select = Table(doc="{'by': 'classes', 'classes': [...]} or {'by': 'counterpart', 'reference': [model, layer, "
                       "channel], 'images': [...], 'input_size': N}")
    claim = Table(None, "{'wheel': [class ids], 'window': [class ids]}: the car claim's measures")


class Atlas(RenderParams):
    kind = "atlas"
    recipe = "mechanics.atlas:build"
    ray = True
    layers = ListOf(Row(expected="[layer, earlier, path] or [layer, earlier, path, [channels]]"),
                    doc="the layers, each decomposed over its earlier layer (every channel, or those listed)")
    input_size = _INPUT_SIZE
    quick_channels = Int(1, 100_000, 2, "channels per layer in a --quick draft")


class Trends(FigureParams):
    kind = "trends"
    atlases = ListOf(Text(expected="an atlas figure's name"),
                     doc="the atlas figures whose every unit is measured (their files are the figure's inputs)")
    units = ListOf(Row(expected="[model, layer, channel]"), [], "units whose percentiles in their layer become facts")
    seed = Int(0, 2**31 - 1, 0, "seed of the assembly share's null")


class ClaimTest(RenderParams):
    kind = "claim_test"
    recipe = "mechanics.claim_test:claim_test"
    layers = ListOf(Row(expected="[layer, earlier]"), doc="the layers tested, each decomposed over its earlier layer")
    car_classes = ListOf(Int(0, 999), doc="ImageNet ids of the classes the tested units should respond to")
    control_classes = ListOf(Int(0, 999), doc="ImageNet ids of the classes they are compared with")
    wheel = ListOf(Int(0, 999), doc="ImageNet ids whose mean centred weights give the wheel direction")
    window = ListOf(Int(0, 999), doc="ImageNet ids whose mean centred weights give the window direction")
    photo = _IMAGE
    top = Int(1, 100, 3, "units tested per layer, by response")


KINDS = {declaration.kind: declaration for declaration in (
    DecompositionGrid, AttributionExplorer, FactorView, ObjectiveComparison, Gallery, UnitRanking,
    DecompositionComparison, Atlas, Trends, ClaimTest)}


def problems(kind, params):
    """Every problem of a figure's kind and params, as (key or None, message)."""
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return [(None, f"unknown kind {kind!r} ({hint}valid kinds: {', '.join(KINDS)})")]
    if not isinstance(params, dict):
        return [(None, f"params is {type(params).__name__}, expected a mapping {{key: value}}")]
    return KINDS[kind].problems(params)
