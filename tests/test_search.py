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


# -- class scores ---------------------------------------------------------------------------------

from types import SimpleNamespace

from mechanics.errors import BadInput
from mechanics.search import class_scores, class_weights, rank_by_classes, resolve_layer, stages
from tiny_models import conv_chain


def test_class_weights_of_the_last_conv_are_its_classifier_weights():
    # l2 is linear and its mean over positions feeds the dense layer, so a uniform shift of
    # channel c by 1 moves logit k by exactly dense[c, k].
    dense = np.random.RandomState(3).randn(6, 3).astype(np.float32)
    model, _ = conv_chain(seed=3, dense=dense)
    np.testing.assert_allclose(class_weights(model, "l2", input_size=12), dense, rtol=1e-4, atol=1e-5)


def test_ranking_finds_the_channel_planted_to_push_the_chosen_class():
    dense = np.random.RandomState(0).randn(6, 3).astype(np.float32) * 0.1
    dense[4] = [3.0, -1.0, -1.0]      # channel 4 pushes class 0 above the others
    dense[1] = [2.0, 2.0, 2.0]        # channel 1 pushes every class alike: softmax ignores it
    model, _ = conv_chain(seed=1, dense=dense)
    rows = rank_by_classes(class_weights(model, "l2", input_size=12), [0], top_classes=2)
    assert rows[0][0] == 4 and rows[0][3][0][0] == 0
    assert abs(class_scores(dense, [0])[1]) < 1e-3


def _stub_model(skips):
    """Layer names and skips only: what stages() reads."""
    names = list(skips) + ["head"]
    return SimpleNamespace(model_name="stub", layer_names=names,
                           layer=lambda n: SimpleNamespace(skip_from=skips.get(n)))


def test_stages_start_at_each_block_without_a_skip_and_stageN_names_the_last_block():
    model = _stub_model({"block0": None, "block1": None, "block2": "block1", "block3": None,
                         "block4": "block3", "block5": "block4"})
    assert stages(model) == [["block0"], ["block1", "block2"], ["block3", "block4", "block5"]]
    assert resolve_layer(model, "stage3") == "block5"
    with pytest.raises(BadInput, match="stages 1..3"):
        resolve_layer(model, "stage4")
