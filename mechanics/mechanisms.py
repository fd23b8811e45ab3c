"""Measures of a decomposition's mechanism, comparable across units and models.

- `claim_scores`: the research note's car-detector claim as numbers: does the top of a unit's
  window want a window-like direction and the bottom a wheel direction?
- `shared_inputs`, `activations` and `counterparts`: a unit's closest counterpart in another model, by how
  well each candidate channel's activations correlate with the unit's on shared images.
"""

from dataclasses import dataclass

import numpy as np

from mechanics import decompose
from mechanics.errors import BadInput


def _correlation(a, b):
    """Cosine of the mean-removed vectors (Pearson correlation over channels): the positive parts are
    non-negative, so their raw cosines with any direction share an offset that every cell has."""
    a, b = a - a.mean(), b - b.mean()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0


@dataclass
class ClaimScores:
    """Correlations over channels of a window's positive components with two reference directions.

    `cells[name]` is (h, w): each cell's component against direction `name`. `halves[name]` is
    (top, bottom): the summed components of the rows above (below) the centre row against it.
    """

    cells: dict
    halves: dict

    @property
    def wheel_bottom_minus_top(self):
        top, bottom = self.halves["wheel"]
        return bottom - top

    @property
    def window_top_minus_bottom(self):
        top, bottom = self.halves["window"]
        return top - bottom

    @property
    def holds(self):
        """The note's claim: wheels below and windows above, both by a positive margin."""
        return self.wheel_bottom_minus_top > 0 and self.window_top_minus_bottom > 0


def claim_scores(positive, wheel, window):
    """Score (h, w, C) positive components against the wheel and window directions (C,) at that layer.

    A half is the sum of its rows' components (the centre row belongs to neither), so cells
    that want little weigh little.
    """
    positive = np.asarray(positive, np.float64)
    h, w, c = positive.shape
    if h < 2:
        raise BadInput(f"a window of {h} row(s) has no top and bottom half")
    cells, halves = {}, {}
    for name, direction in (("wheel", wheel), ("window", window)):
        direction = np.asarray(direction, np.float64)
        if direction.shape != (c,):
            raise BadInput(f"{name} direction has shape {direction.shape}, expected ({c},) like the components")
        cells[name] = np.array([[_correlation(positive[r, col], direction) for col in range(w)] for r in range(h)])
        top = positive[: h // 2].reshape(-1, c).sum(0)
        bottom = positive[(h + 1) // 2:].reshape(-1, c).sum(0)
        halves[name] = (_correlation(top, direction), _correlation(bottom, direction))
    return ClaimScores(cells, halves)


def shared_inputs(images, input_size, extra=()):
    """(N, s, s, 3) images in [0, 1] that every model is fed: image paths resized to input_size, `extra`
    pixel arrays (e.g. a unit's own render) resized likewise, and the mirror image of each (so the set
    does not favour one left-right layout)."""
    from PIL import Image
    pixels = [decompose.load_image(path, input_size) for path in images]
    for array in extra:
        image = Image.fromarray((np.clip(array, 0, 1) * 255 + 0.5).astype(np.uint8))
        pixels.append(np.asarray(image.resize((input_size, input_size), Image.BILINEAR), np.float32) / 255.0)
    pixels = np.stack(pixels)
    return np.concatenate([pixels, pixels[:, :, ::-1]])


def activations(model, layer, pixels):
    """(N, H, W, C) activations of `layer` for a batch of images in [0, 1]."""
    model.layer(layer)
    graph, t_input, T = decompose.import_graph(model, pixels.shape[1], batch=len(pixels))
    with graph.as_default():
        acts = T(layer)
    with decompose.new_session(graph) as sess:
        return sess.run(acts, {t_input: pixels})


def counterparts(reference, candidates):
    """Pearson correlation of a reference unit's activations (N, H, W) with each candidate channel's
    (N, H, W, C), over every image and position; (C,)."""
    ref = np.asarray(reference, np.float64).ravel()
    cand = np.asarray(candidates, np.float64).reshape(-1, candidates.shape[-1])
    if len(ref) != len(cand):
        raise BadInput(f"reference has {len(ref)} activations, candidates {len(cand)}: "
                       "feed both models the same images at the same input size")
    ref = ref - ref.mean()
    cand = cand - cand.mean(axis=0)
    denom = np.linalg.norm(ref) * np.linalg.norm(cand, axis=0)
    return np.where(denom > 0, cand.T @ ref / np.maximum(denom, 1e-300), 0.0)
