"""Ranking a layer's channels for decompositions worth looking at."""

import numpy as np

from mechanics import decompose


def _cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def halves_score(decomposition):
    """How differently the window's halves pull: (top/bottom, left/right).

    Each is 1 - cos(sum of one half's positive components, sum of the other's), times the
    ratio of the smaller half's norm to the larger's, so a half that wants almost nothing
    cannot score. The middle row (column) belongs to neither half.
    """
    positive = decomposition.positive
    h, w, c = positive.shape

    def split(first, second):
        a, b = first.reshape(-1, c).sum(0), second.reshape(-1, c).sum(0)
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        balance = min(na, nb) / max(na, nb) if max(na, nb) > 0 else 0.0
        return (1 - _cosine(a, b)) * balance

    return split(positive[: h // 2], positive[(h + 1) // 2:]), split(positive[:, : w // 2], positive[:, (w + 1) // 2:])


SCORES = {
    "structure": ("structure", "off_centre", decompose.structure_scores),
    "halves": ("top_bottom", "left_right", halves_score),
}


def rank_channels(model, layer, earlier, path, size, score="structure"):
    """[(channel, first score, second score)] for every channel of `layer`'s centre neuron, best first."""
    position = model.centre(layer, size)
    scorer = SCORES[score][2]
    rows = []
    for channel in range(model.layer(layer).channels):
        d = decompose.spatial(model, decompose.Target(layer, channel, position), earlier, path=path, input_size=size)
        rows.append((channel, *scorer(d)))
    return sorted(rows, key=lambda row: -max(row[1:]) if score == "halves" else -row[1])
