"""Scores that rank channels for decompositions worth a look."""

import numpy as np
import pytest

from mechanics.decompose import SpatialDecomposition, Target, structure_scores
from mechanics.search import halves_score
from mechanics.zoo import Window


def decomposition(vectors):
    h, w, _ = vectors.shape
    return SpatialDecomposition(Target("l", 0, (2, 2)), "p", "expanded", "full", Window(0, 0, h, w), vectors, 5)


def test_halves_that_want_different_channels_score_high_and_uniform_windows_zero():
    vectors = np.zeros((5, 5, 3), np.float32)
    vectors[:2, :, 0] = 1.0   # top rows want channel 0
    vectors[3:, :, 1] = 1.0   # bottom rows want channel 1
    top_bottom, left_right = halves_score(decomposition(vectors))
    assert top_bottom == pytest.approx(1.0) and left_right == pytest.approx(0.0, abs=1e-6)
    uniform = np.ones((5, 5, 3), np.float32)
    assert halves_score(decomposition(uniform)) == pytest.approx((0.0, 0.0), abs=1e-6)
    assert structure_scores(decomposition(uniform))[0] == pytest.approx(0.0, abs=1e-6)


def test_a_half_that_wants_almost_nothing_cannot_score():
    vectors = np.zeros((5, 5, 2), np.float32)
    vectors[:2, :, 0] = 1.0
    vectors[3:, :, 1] = 0.01
    assert halves_score(decomposition(vectors))[0] < 0.02
