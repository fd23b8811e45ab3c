"""Occlusion checks of decompositions (mechanics.occlusion): exact on a linear path, chance when shuffled."""

import numpy as np
import pytest
from PIL import Image

from mechanics import occlusion
from mechanics.__main__ import main
from mechanics.decompose import Target
from tiny_models import conv_chain


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "noise.png"
    pixels = np.random.default_rng(1).uniform(0, 1, (12, 12, 3))
    Image.fromarray((pixels * 255).astype(np.uint8)).save(path)
    return str(path)


def test_a_linear_path_is_predicted_exactly(image):
    model, _ = conv_chain(seed=3, relu=False)   # l0 -> l2 is linear: expanded weights are exact
    result = occlusion.check(model, Target("l2", 1, (6, 6)), "l0", image, shuffles=500)
    np.testing.assert_allclose(result.predicted, result.measured, rtol=1e-3, atol=1e-4)
    assert result.correlation["n"] == 25 and result.correlation["pearson"] > 0.9999
    assert result.correlation["spearman"] > 0.999
    null = result.correlation["null"]
    assert null["n"] == 500 and null["exceeded_by"] == 0 and null["quantiles"]["q99"] < 0.8


def test_shuffled_predictions_score_like_the_null():
    rng = np.random.default_rng(0)
    measured = rng.standard_normal(25)
    exact = occlusion.compare(measured, measured, shuffles=1000, seed=0)
    shuffled = occlusion.compare(rng.permutation(measured), measured, shuffles=1000, seed=0)
    assert exact["pearson"] == pytest.approx(1) and exact["null"]["exceeded_by"] == 0
    q = shuffled["null"]["quantiles"]
    assert q["q01"] < shuffled["pearson"] < q["q99"] and abs(q["q50"]) < 0.05
    assert occlusion.compare(np.ones(5), measured[:5])["pearson"] is None   # no spread: no correlation


def test_a_window_leaving_the_map_counts_only_positions_inside(image):
    model, _ = conv_chain(seed=3, relu=True)
    result = occlusion.check(model, Target("l2", 0, (0, 0)), "l0", image, mode="gradient", shuffles=50)
    assert np.isnan(result.predicted[:2]).all() and np.isnan(result.measured[:, :2]).all()
    assert result.correlation["n"] == 9 and -1 <= result.correlation["pearson"] <= 1
    data = result.to_json()
    assert data["predicted"][0][0] is None and data["window"] == [-2, -2, 5, 5]


def test_cli_occlusion_on_lite0(capsys, tmp_path):
    out = tmp_path / "o.json"
    code = main(["occlusion", "efficientnet_lite0", "block10:101", "--prev", "block9", "--at", "4,4", "--size", "128",
                 "--image", "skimage:chelsea.png", "--shuffles", "200", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and "pearson:" in text and "null (shuffled positions, 200)" in text and out.is_file()
