"""Decompositions are the quantities TECHNIQUE.md defines, checked on tiny nets built here."""

import numpy as np
import pytest
from PIL import Image

from mechanics import decompose
from mechanics.decompose import Target
from mechanics.errors import BadInput
from mechanics.lucid_tf2 import tf

from tiny_models import conv_chain


@pytest.fixture(scope="module")
def tiny():
    return conv_chain()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray((np.random.RandomState(1).rand(12, 12, 3) * 255).astype(np.uint8)).save(path)
    return path


def test_expanded_mode_equals_the_product_of_the_two_kernels(tiny):
    model, k = tiny
    d = decompose.spatial(model, Target("l2", 2, (6, 6)), "l0", mode="expanded", input_size=12)
    assert d.vectors.shape == (5, 5, 4)
    expected = np.zeros((5, 5, 4), np.float32)
    for i in range(3):          # tap of l2 on l1
        for j in range(3):
            for a in range(3):  # tap of l1 on l0
                for b in range(3):
                    expected[i + a, j + b] += k["l1"][a, b] @ k["l2"][i, j, :, 2]
    np.testing.assert_allclose(d.vectors, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(d.positive - d.negative, d.vectors)
    assert d.offsets[0, 0].tolist() == [-2, -2] and d.offsets[2, 2].tolist() == [0, 0]


def test_gradient_mode_matches_finite_differences(tiny, photo):
    model, _ = tiny
    target = Target("l2", 1, (5, 6))
    d = decompose.spatial(model, target, "l1", mode="gradient", image=photo, input_size=12)
    pixels = decompose.load_image(photo, 12)[None]
    graph = tf.Graph()
    with graph.as_default():
        t_input = tf.placeholder(tf.float32, [1, 12, 12, 3])
        acts_of_image = model.import_graph(t_input, scope="a", forget_xy_shape=False)("l1")
        t_acts = tf.placeholder(tf.float32, [1, 12, 12, 5])
        unit = target.value(model.import_graph(t_input, scope="b", forget_xy_shape=False,
                                               input_map={"l1:0": t_acts})("l2"))
    with tf.Session(graph=graph) as sess:
        acts = sess.run(acts_of_image, {t_input: pixels}).astype(np.float64)
        eps = 1e-2
        for (r, c, ch) in [(1, 1, 0), (0, 2, 3), (2, 0, 4)]:
            y, x = d.window.top + r, d.window.left + c
            plus, minus = acts.copy(), acts.copy()
            plus[0, y, x, ch] += eps
            minus[0, y, x, ch] -= eps
            numeric = (sess.run(unit, {t_input: pixels, t_acts: plus})
                       - sess.run(unit, {t_input: pixels, t_acts: minus}))[0] / (2 * eps)
            assert d.vectors[r, c, ch] == pytest.approx(numeric, rel=1e-2, abs=1e-3)


def test_gradient_at_an_image_differs_from_expanded_weights_through_relus(tiny, photo):
    model, _ = tiny
    target = Target("l2", 0, (6, 6))
    expanded = decompose.spatial(model, target, "l0", mode="expanded", input_size=12)
    local = decompose.spatial(model, target, "l0", mode="gradient", image=photo, input_size=12)
    assert not np.allclose(expanded.vectors, local.vectors)


def test_integrated_gradients_are_complete_and_gradxact_reports_its_gap(tiny, photo):
    model, _ = tiny
    ig = decompose.attribute(model, photo, "l0", Target.parse("logit:1"), "ig", steps=64, input_size=12)
    assert ig.vectors.shape == (12, 12, 4)
    assert abs(ig.target_delta) > 0.1
    assert ig.attribution_sum == pytest.approx(ig.target_delta, rel=0.05)
    gx = decompose.attribute(model, photo, "l0", Target.parse("logit:1"), "gradxact", input_size=12)
    assert gx.gap == pytest.approx(gx.target_delta - gx.vectors.sum())
    np.testing.assert_allclose(gx.saliency, gx.vectors.sum(-1))


def test_hidden_layer_optimum_is_non_negative_and_raises_the_unit(tiny):
    model, _ = tiny
    d = decompose.optimize_hidden(model, Target("l2", 3, (6, 6)), "l1", steps=60, input_size=12)
    assert d.mode == "optimized" and (d.vectors >= 0).all()
    assert d.objective_values[0] > 1.0


def test_nmf_factors_reconstruct_a_non_negative_window():
    rng = np.random.RandomState(0)
    maps, directions = rng.rand(5, 5, 2), rng.rand(2, 8)
    factors = decompose.factorize(maps @ directions, 2)
    assert factors.directions.shape == (2, 8) and factors.maps.shape == (5, 5, 2)
    np.testing.assert_allclose(factors.maps @ factors.directions, maps @ directions, rtol=0.05, atol=0.02)
    with pytest.raises(BadInput, match="valid k is 1..8"):
        decompose.factorize(maps @ directions, 9)


@pytest.mark.parametrize("target, earlier, message", [
    (Target("l2", 6, (6, 6)), "l1", r"valid channels are 0\.\.5"),
    (Target("l2", 0, (12, 0)), "l1", r"outside l2's 12x12 map"),
    (Target("l1", 0, (6, 6)), "l2", "not upstream"),
    (Target("l9", 0, (6, 6)), "l1", "valid layers: l0, l1, l2"),
])
def test_bad_targets_name_the_valid_values(tiny, target, earlier, message):
    model, _ = tiny
    with pytest.raises(BadInput, match=message):
        decompose.spatial(model, target, earlier, input_size=12)


def test_residual_paths_need_a_residual_layer(tiny):
    model, _ = tiny
    with pytest.raises(BadInput, match="no residual connection; valid paths: full"):
        decompose.spatial(model, Target("l2", 0, (6, 6)), "l1", path="branch", input_size=12)


def test_unreadable_image_is_named(tiny, tmp_path):
    model, _ = tiny
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    with pytest.raises(BadInput, match="not-an-image.png"):
        decompose.spatial(model, Target("l2", 0, (6, 6)), "l1", mode="gradient", image=bad, input_size=12)
