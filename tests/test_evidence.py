"""Evidence beside a figure's statistics (mechanics.evidence) and the car-claim test's measures
(mechanics.claim_test), on arrays whose answer is known: no model needed."""

import numpy as np

from mechanics import claim_test, evidence, objective_scores


def test_factors_of_shared_directions_explain_more_than_the_shuffled_null():
    rng = np.random.default_rng(0)
    directions = np.abs(rng.normal(size=(2, 32)))
    maps = np.abs(rng.normal(size=(7, 7, 2)))
    matrix = maps @ directions           # every cell a mixture of the same two directions
    items, named, curve = evidence.factor_reconstruction(matrix, 2, ks=3, shuffles=10)
    assert curve[1] > 0.999 and curve[0] < curve[1]
    null = items[0].null
    assert null.quantiles.q99 < curve[1] and null.exceeded_by == 0.0
    assert named["explained_share"]["value"] == curve[1] and named["explained_share_k1"]["value"] == curve[0]
    assert named["explained_share_null_q95"]["value"] == null.quantiles.q95


def test_a_baseline_entry_becomes_facts_for_the_article():
    base = {"statistic": "off_centre_share", "value": 0.7,
            "layer": {"n": 4, "percentile": 25.0, "quantiles": {f"q{q:02d}": 0.8 for q in (1, 5, 25, 50, 75, 95, 99)}},
            "trivial": {"kind": "flat 5x5 window", "value": 0.96}}
    item = evidence.entry("off_centre_share", "off-centre share of block10:101", base, "Lite0 block10")
    named = evidence.baseline_facts("off_centre_share", item)
    assert item.layer.label == "Lite0 block10" and item.trivial.value == 0.96
    assert {k: v["value"] for k, v in named.items()} == {
        "off_centre_share": 0.7, "off_centre_share_percentile": 25.0, "off_centre_share_layer_median": 0.8,
        "off_centre_share_layer_units": 4, "off_centre_share_flat": 0.96}


def _directions(channels=40, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=channels), rng.normal(size=channels)


def test_the_positive_control_has_the_mechanism_and_random_windows_do_not():
    wheel, window = _directions()
    control = claim_test.positive_control((5, 5, 40), wheel, window)
    scores = claim_test.claim_values(control, wheel, window)
    assert scores["wheel_bottom_minus_top"] > 0.5 and scores["window_top_minus_bottom"] > 0.5
    rng = np.random.default_rng(2)
    random = [claim_test.claim_values(np.abs(rng.normal(size=(5, 5, 40))), wheel, window)["claim"] for _ in range(200)]
    assert scores["claim"] > max(random)
    # Upside down, the same window scores the opposite way.
    assert claim_test.claim_values(control[::-1], wheel, window)["claim"] == -scores["claim"]


def test_the_response_score_ranks_the_channel_that_fires_on_car_renders_first():
    rng = np.random.default_rng(3)
    acts = rng.normal(size=(24, 4, 4, 6))
    is_car = np.arange(24) < 12
    acts[is_car, 1, 2, 4] += 5.0          # channel 4 peaks on every car render
    scores = claim_test.response_scores(acts, is_car)
    assert int(np.argmax(scores)) == 4 and scores[4] > 3 * np.delete(scores, 4).max()


def test_each_objective_is_scored_by_what_it_asks_for():
    acts = np.zeros((2, 3, 3, 4))
    acts[0, 1, 1] = [3.0, 4.0, 0.0, 0.0]       # image 0, scored for unit 1: 4 at the centre, cosine 4/5
    acts[1, :, :, 2] = 1.0                      # image 1, scored for unit 2: 1 everywhere, alone
    scored = objective_scores.measures(acts, [1, 2], (1, 1))
    assert np.allclose(scored["centre"], [4.0, 1.0])
    assert np.allclose(scored["mean"], [4.0 / 9, 1.0])
    assert np.allclose(scored["cosine"], [0.8, 1.0])
    assert objective_scores.evenly_spaced(40, 3) == [0, 20, 39] and objective_scores.evenly_spaced(2, 5) == [0, 1]
