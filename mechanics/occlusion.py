"""A decomposition checked against a real input, by occlusion.

For a unit and an image, the decomposition's vectors G (h, w, C) over its window on an earlier
layer predict what each window position contributes: G[y, x] . (A[y, x] - mean(A)), the linear
estimate of how much the unit drops when that position's activation A[y, x] is replaced by the
map's spatial mean. `check` measures that drop by re-running the unit with each position so
occluded, and reports the Pearson and Spearman correlations between prediction and measurement,
with a null: the Pearson correlation with the predictions shuffled over the window's positions.

    result = occlusion.check(model, Target("block10", 101, (7, 7)), "block9", "skimage:chelsea.png")
    result.to_json()   # pearson, spearman, null quantiles, predicted and measured maps
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from mechanics import baselines, decompose
from mechanics.lucid_tf2 import tf


def _pearson(a, b):
    if np.std(a) == 0 or np.std(b) == 0:
        return None  # no spread, no correlation (JSON has no NaN)
    return float(np.corrcoef(a, b)[0, 1])


def compare(predicted, measured, shuffles=1000, seed=0):
    """{"pearson", "spearman", "null"}: prediction against measurement over the same positions (1-D),
    and the null of Pearson correlations with the predictions shuffled (seeded)."""
    predicted, measured = np.asarray(predicted, np.float64), np.asarray(measured, np.float64)
    pearson = _pearson(predicted, measured)
    spearman = None if pearson is None else float(stats.spearmanr(predicted, measured)[0])
    rng = np.random.default_rng(seed)
    samples = [_pearson(rng.permutation(predicted), measured) for _ in range(shuffles)] if pearson is not None else []
    null = baselines.null(pearson, samples, "predictions shuffled over window positions", seed) if samples else None
    return {"pearson": pearson, "spearman": spearman, "n": int(len(predicted)), "null": null}


@dataclass
class OcclusionCheck:
    target: decompose.Target
    earlier: str
    mode: str
    window: tuple         # (top, left, height, width) on `earlier`
    predicted: np.ndarray  # (h, w); NaN where the window leaves the map
    measured: np.ndarray   # (h, w): u(image) - u(image with that position occluded); NaN outside
    unit_value: float
    correlation: dict      # compare(...) over the positions inside the map

    def to_json(self):
        def grid(values):
            return [[None if np.isnan(v) else float(v) for v in row] for row in values]
        return {"target": self.target.label, "earlier": self.earlier, "mode": self.mode, "window": list(self.window),
                "unit_value": self.unit_value, "predicted": grid(self.predicted), "measured": grid(self.measured),
                **self.correlation}


def check(model, target, earlier, image, mode="expanded", input_size=None, shuffles=1000, seed=0):
    """Occlusion check of `target`'s decomposition over `earlier` on `image` (see module docstring).
    A target without a position is its channel's centre neuron."""
    input_size = input_size or model.default_size
    if target.position is None and target.layer != "logits":
        target = decompose.Target(target.layer, target.channel, model.centre(target.layer, input_size))
    d = decompose.spatial(model, target, earlier, mode, image if mode == "gradient" else None, "full", input_size)
    size, channels = model.spatial_size(earlier, input_size), model.layer(earlier).channels
    pixels = decompose.load_image(image, input_size)
    window = d.window
    cells = [(r, c) for r in range(window.height) for c in range(window.width)
             if 0 <= window.top + r < size and 0 <= window.left + c < size]

    graph = tf.Graph()
    with graph.as_default():
        t_input = tf.placeholder(tf.float32, [1, input_size, input_size, 3])
        T_image = model.import_graph(t_input, scope="image", forget_xy_shape=False)
        t_acts = tf.placeholder(tf.float32, [len(cells) + 1, size, size, channels])
        # The path graph sees the image too, so any input reaching the unit around `earlier` is the image's.
        T_path = model.import_graph(tf.tile(t_input, [len(cells) + 1, 1, 1, 1]), scope="path",
                                    forget_xy_shape=False, input_map={f"{earlier}:0": t_acts})
        unit = target.value(T_path(target.layer))
    with decompose.new_session(graph) as sess:
        acts = sess.run(T_image(earlier), {t_input: pixels[None]})[0]
        mean = acts.mean(axis=(0, 1))
        batch = np.repeat(acts[None], len(cells) + 1, axis=0)
        for i, (r, c) in enumerate(cells, 1):
            batch[i, window.top + r, window.left + c] = mean
        values = sess.run(unit, {t_acts: batch, t_input: pixels[None]})
    predicted = np.full((window.height, window.width), np.nan)
    measured = np.full_like(predicted, np.nan)
    for i, (r, c) in enumerate(cells, 1):
        y, x = window.top + r, window.left + c
        predicted[r, c] = float(d.vectors[r, c] @ (acts[y, x] - mean))
        measured[r, c] = float(values[0] - values[i])
    inside = ~np.isnan(predicted)
    return OcclusionCheck(target, earlier, mode, (window.top, window.left, window.height, window.width),
                          predicted, measured, float(values[0]),
                          compare(predicted[inside], measured[inside], shuffles, seed))
