"""Baselines for per-unit statistics (mechanics.baselines)."""

import json

import numpy as np
import pytest

from mechanics import baselines, decompose
from mechanics.errors import BadInput
from tiny_models import conv_chain


def test_a_flat_5x5_window_is_96_percent_off_centre():
    flat = baselines.trivial(baselines.off_centre_share, (5, 5))
    assert flat == {"kind": "flat 5x5 window", "value": pytest.approx(0.96)}
    assert baselines.trivial(baselines.centre_share, (3, 3))["value"] == pytest.approx(1 / 9)
    window = np.zeros((5, 5, 4))
    window[2, 2] = (3, 0, 4, -9)     # the negative part is not counted
    window[0, 4] = (0, 10, 0, 0)
    assert baselines.centre_share(window) == pytest.approx(1 / 3)
    assert baselines.off_centre_share(window) == pytest.approx(2 / 3)
    assert baselines.centre_share(np.zeros((3, 3, 2))) == 0


def test_layer_rank_gives_the_units_percentile():
    values = [0.2, 0.9, 0.5, 0.7]
    rank = baselines.layer_rank(values, 2)
    assert rank["n"] == 4 and rank["percentile"] == 50 and rank["quantiles"]["q50"] == pytest.approx(0.6)
    assert baselines.layer_rank(values, 1)["percentile"] == 100
    with pytest.raises(BadInput, match=r"unit 4 is out of range .* valid units are 0\.\.3"):
        baselines.layer_rank(values, 4)


def test_a_baseline_is_plain_json():
    entry = baselines.baseline("off_centre_share", 0.87, layer=baselines.layer_rank([0.8, 0.87, 0.9], 1),
                               null=baselines.null(0.87, [0.1, 0.9, 0.95, 0.5], "random directions", seed=0),
                               trivial=baselines.trivial(baselines.off_centre_share, (5, 5)))
    assert json.loads(json.dumps(entry)) == entry
    assert entry["null"]["exceeded_by"] == 0.5 and entry["layer"]["percentile"] == pytest.approx(200 / 3)


def test_random_directions_are_seeded():
    a, b = baselines.random_directions(6, 4, seed=1), baselines.random_directions(6, 4, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, baselines.random_directions(6, 4, seed=2))
    like = np.array([0, 0, 1, 2, 3, 0.5])
    permuted = baselines.random_directions(6, 10, seed=0, like=like)
    assert (np.sort(permuted, axis=1) == np.sort(like)).all()
    samples = baselines.direction_null(lambda d: d @ like / np.linalg.norm(d), 6, n=200, seed=0)
    assert samples.shape == (200,) and abs(np.median(samples)) < 1


def test_counterpart_nulls():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3, 3, 5))
    b = np.concatenate([a[..., ::-1], rng.standard_normal((4, 3, 3, 2))], axis=-1)   # b holds a's channels
    np.testing.assert_allclose(baselines.best_match_correlations(a, b), 1)
    other = rng.standard_normal((4, 3, 3, 6))
    pairs = baselines.pair_correlations(a, other, n=300, seed=0)
    assert pairs.shape == (300,) and abs(np.median(pairs)) < 0.15
    np.testing.assert_array_equal(pairs, baselines.pair_correlations(a, other, n=300, seed=0))
    entry = baselines.counterpart_baseline(a, other, 2, n=300)
    assert entry["statistic"] == "counterpart_r" and entry["layer"]["n"] == 5
    assert entry["value"] == pytest.approx(baselines.best_match_correlations(a, other)[2])
    assert entry["null"]["kind"] == "random channel pairs" and entry["null"]["exceeded_by"] < 0.5
    with pytest.raises(BadInput, match="feed both models the same images"):
        baselines.pair_correlations(a, b[:2])


def test_centre_decompositions_match_one_decomposition_per_channel():
    model, _ = conv_chain(seed=5)
    batched = baselines.centre_decompositions(model, "l2", "l0", chunk=4)
    assert batched.shape == (6, 5, 5, 4)
    for channel in (0, 3, 5):
        one = decompose.spatial(model, decompose.Target("l2", channel, model.centre("l2", 12)), "l0")
        np.testing.assert_allclose(batched[channel], one.vectors, rtol=1e-5, atol=1e-6)


def test_window_baseline_in_one_call():
    model, _ = conv_chain(seed=5)
    entry = baselines.window_baseline(model, "l2", "l0", 3)
    windows = baselines.centre_decompositions(model, "l2", "l0")
    assert entry["value"] == pytest.approx(baselines.off_centre_share(windows[3]))
    assert entry["layer"]["n"] == 6 and entry["trivial"] == {"kind": "flat 5x5 window", "value": pytest.approx(0.96)}
