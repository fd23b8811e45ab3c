"""The claim measure and the counterpart measure, on planted structure and a tiny model."""

import numpy as np
import pytest

from mechanics.errors import BadInput
from mechanics.mechanisms import activations, claim_scores, counterparts
from tiny_models import conv_chain

CHANNELS = 8
WHEEL = np.eye(CHANNELS)[0] * 2 - 0.1
WINDOW = np.eye(CHANNELS)[1] * 2 - 0.1


def planted(top, bottom, seed=0):
    """A 5x5 window of positive components: top rows want `top`, bottom rows `bottom`, plus noise."""
    rng = np.random.default_rng(seed)
    positive = rng.uniform(0, 0.2, (5, 5, CHANNELS))
    positive[:2] += np.maximum(top, 0)
    positive[3:] += np.maximum(bottom, 0)
    return positive


def test_windows_above_and_wheels_below_score_positive_and_the_flip_negative():
    holds = claim_scores(planted(WINDOW, WHEEL), WHEEL, WINDOW)
    assert holds.wheel_bottom_minus_top > 0.5 and holds.window_top_minus_bottom > 0.5 and holds.holds
    assert holds.cells["wheel"][4, 2] > 0.5 > holds.cells["wheel"][0, 2]
    flipped = claim_scores(planted(WHEEL, WINDOW), WHEEL, WINDOW)
    assert flipped.wheel_bottom_minus_top < -0.5 and flipped.window_top_minus_bottom < -0.5 and not flipped.holds


def test_a_window_that_wants_the_same_everywhere_scores_near_zero():
    same = claim_scores(planted(WHEEL, WHEEL), WHEEL, WINDOW)
    assert abs(same.wheel_bottom_minus_top) < 0.1 and abs(same.window_top_minus_bottom) < 0.1


def test_a_direction_of_the_wrong_length_is_refused():
    with pytest.raises(BadInput, match=r"wheel direction has shape \(3,\), expected \(8,\)"):
        claim_scores(planted(WHEEL, WINDOW), WHEEL[:3], WINDOW)


def test_counterparts_correlate_every_channel_with_the_reference():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(4, 3, 3))
    candidates = rng.normal(size=(4, 3, 3, 3))
    candidates[..., 1] = 2 * reference + 5       # same pattern, other scale and offset
    candidates[..., 2] = -reference
    r = counterparts(reference, candidates)
    assert r[1] == pytest.approx(1.0) and r[2] == pytest.approx(-1.0) and abs(r[0]) < 0.6


def test_a_units_counterpart_in_its_own_model_is_itself():
    model, _ = conv_chain(seed=2)
    pixels = np.random.default_rng(0).uniform(0, 1, (3, 12, 12, 3)).astype(np.float32)
    acts = activations(model, "l2", pixels)
    r = counterparts(acts[..., 3], acts)
    assert int(np.argmax(r)) == 3 and r[3] == pytest.approx(1.0)
