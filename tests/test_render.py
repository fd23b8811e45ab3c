"""Batched rendering: one graph, N directions, deterministic, and it optimizes."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mechanics import render as render_module, transforms
from mechanics.errors import BadInput
from mechanics.lucid_tf2 import param, tf
from mechanics.render import Renderer, RenderSettings, rgb_image, unit_vectors
from mechanics.zoo import ZooModel

from tiny_models import conv_chain

# Channel objectives: the tiny nets' units see 5 px, which the standard transforms' 8 px jitter
# turns into a different patch on every step, so a single neuron's climb depends on the seed.
SETTINGS = RenderSettings(size=32, steps=60, learning_rate=0.2, seed=3, spatial="channel")


@pytest.fixture(scope="module")
def model():
    return conv_chain()[0]


def test_a_render_raises_each_objective_well_above_the_random_start(model):
    renderer = Renderer(model, "l2", batch=3, settings=SETTINGS, progress=False)
    rendering = renderer.render(unit_vectors(6, [0, 2, 4]))
    assert rendering.images.shape == (3, 32, 32, 3)
    # Each element climbs from its random start: by 1.5 to 2.8 here, within 0.1 over seeds 0-5.
    assert (rendering.values > rendering.start_values + 1.4).all()


def test_the_same_seed_gives_identical_images_and_another_seed_does_not(model):
    vectors = np.random.RandomState(0).rand(2, 5).astype(np.float32)
    first = Renderer(model, "l1", 2, SETTINGS, progress=False).render(vectors)
    again = Renderer(model, "l1", 2, SETTINGS, progress=False).render(vectors)
    other = Renderer(model, "l1", 2, replace(SETTINGS, seed=4), progress=False).render(vectors)
    np.testing.assert_array_equal(first.images, again.images)
    assert not np.allclose(first.images, other.images)


def test_one_graph_serves_many_renders(model):
    renderer = Renderer(model, "l1", 2, SETTINGS, progress=False)
    nodes = len(renderer.graph.as_graph_def().node)
    a = renderer.render(unit_vectors(5, [0, 1]))
    b = renderer.render(unit_vectors(5, [3, 4]))
    assert len(renderer.graph.as_graph_def().node) == nodes  # nothing was added
    assert not np.allclose(a.images, b.images)


def test_cossim_objective_is_offered_and_bad_ones_are_named(model):
    cossim = Renderer(model, "l2", 1, replace(SETTINGS, objective="cossim"), progress=False)
    rendering = cossim.render(unit_vectors(6, [2]))
    assert rendering.values[0] > max(rendering.start_values[0] + 0.3, 2 * rendering.start_values[0])
    with pytest.raises(BadInput, match="valid: dot, cossim"):
        Renderer(model, "l1", 1, RenderSettings(objective="sum"))
    with pytest.raises(BadInput, match="at most 1 vectors of 6 channels"):
        cossim.render(np.ones((2, 5)))


def test_rgb_image_is_lucids_fft_decorrelated_image_value_for_value():
    def build(param_f):
        with tf.Graph().as_default(), tf.Session() as sess:
            np.random.seed(7)
            image = param_f()
            weights = tf.constant(np.random.RandomState(1).randn(3, 16, 16, 3).astype(np.float32))
            gradient = tf.gradients(tf.reduce_sum(image * weights), tf.trainable_variables())[0]
            sess.run(tf.global_variables_initializer())
            return sess.run([image, gradient])
    ours = build(lambda: rgb_image(16, 3))
    lucids = build(lambda: param.image(16, batch=3, fft=True, decorrelate=True))
    assert ours[0].shape == (3, 16, 16, 3) and ours[1].shape == lucids[1].shape
    np.testing.assert_allclose(ours[0], lucids[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours[1], lucids[1], rtol=1e-5, atol=1e-6)


def silent_unit_model():
    """input -> "silent": a ReLU whose bias is so negative that no image in [0, 1] moves it."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 3], name="input")
        kernel = np.full((3, 3, 3, 2), 0.1, np.float32)
        tf.nn.relu(tf.nn.conv2d(x, kernel, [1, 1, 1, 1], "SAME") - 4.0, name="silent")
    return ZooModel("silent", "Silent", graph.as_graph_def(), ["silent"],
                    image_value_range=(-6, 6), default_size=12, class_labels=["a"])


def test_a_unit_silent_at_the_random_start_still_climbs_as_with_lucids_render_vis():
    """Lucid's render_vis redirects ReLU gradients for its first 17 steps; so does the renderer.
    With plain gradients this unit's objective would stay at exactly 0."""
    renderer = Renderer(silent_unit_model(), "silent", 1, SETTINGS, progress=False)
    nodes = len(renderer.graph.as_graph_def().node)
    rendering = renderer.render(unit_vectors(2, [0]))
    assert rendering.start_values[0] == 0.0
    assert rendering.values[0] > 1.0
    # The redirected step is built for the first render that needs it, once.
    grown = len(renderer.graph.as_graph_def().node)
    again = renderer.render(unit_vectors(2, [0]))
    assert grown > nodes and len(renderer.graph.as_graph_def().node) == grown
    assert again.images.tobytes() == rendering.images.tobytes()


def test_a_render_depends_only_on_its_inputs_never_on_what_ran_before(model, tmp_path):
    """A, then B, then A again in one renderer; in a fresh renderer; in a fresh process."""
    a, b = unit_vectors(5, [0, 3]), unit_vectors(5, [1, 4])
    renderer = Renderer(model, "l1", 2, SETTINGS, progress=False)
    first = renderer.render(a).images
    renderer.render(b)
    again = renderer.render(a).images
    fresh = Renderer(model, "l1", 2, SETTINGS, progress=False).render(a).images
    script = (
        "import sys, numpy as np\n"
        f"sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(Path(__file__).parent.parent)!r}]\n"
        "from tiny_models import conv_chain\n"
        "from mechanics.render import Renderer, RenderSettings, unit_vectors\n"
        f"settings = RenderSettings(**{SETTINGS.__dict__!r})\n"
        "images = Renderer(conv_chain()[0], 'l1', 2, settings, progress=False).render(unit_vectors(5, [0, 3])).images\n"
        "np.save(sys.argv[1], images)\n")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "a.npy")], check=True)
    other_process = np.load(tmp_path / "a.npy")
    assert first.tobytes() == again.tobytes() == fresh.tobytes() == other_process.tobytes()


def test_lucids_own_transform_chain_is_kept_and_is_as_repeatable(model):
    settings = replace(SETTINGS, transforms="lucid")
    renderer = Renderer(model, "l2", 2, settings, progress=False)
    first = renderer.render(unit_vectors(6, [0, 2]))
    renderer.render(unit_vectors(6, [1, 5]))
    again = renderer.render(unit_vectors(6, [0, 2]))
    assert first.images.tobytes() == again.images.tobytes()
    assert (first.values > first.start_values + 1.0).all()
    with pytest.raises(BadInput, match="valid: fused, lucid"):
        Renderer(model, "l1", 1, replace(SETTINGS, transforms="none"))


def test_the_fused_warp_climbs_about_as_high_as_lucids_chain(model):
    vectors = unit_vectors(6, [0, 1, 2, 3, 4, 5])
    climbs = {}
    for chain in ("fused", "lucid"):
        rendering = Renderer(model, "l2", 6, replace(SETTINGS, transforms=chain), progress=False).render(vectors)
        climbs[chain] = rendering.values - rendering.start_values
    # Single climbs vary with the draws (0.65 to 1.09 times the chain's here); their total does not
    # (0.98 times).
    assert climbs["fused"].sum() > 0.9 * climbs["lucid"].sum()
    assert (climbs["fused"] > 0.5 * climbs["lucid"]).all()


def previous_warp(images, parameters):
    """The fused warp as first written: on TensorFlow's ImageProjectiveTransformV3 (and its
    registered gradient), its mask broadcast over the colours."""
    size = int(images.shape[1])
    out = transforms.output_size(size)
    to_image, to_scaled, scaled = transforms.chain_maps(parameters, size)
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=tf.concat([to_image, tf.zeros_like(to_image[:, :2])], 1),
        output_shape=[out, out], fill_value=transforms.PAD_VALUE, interpolation="BILINEAR", fill_mode="CONSTANT")
    grid_y, grid_x = np.mgrid[0:out, 0:out].astype(np.float32)
    a0, a1, a2, b0, b1, b2 = tf.unstack(tf.reshape(to_scaled, [-1, 6, 1, 1]), axis=1)
    sx, sy = a0 * grid_x + a1 * grid_y + a2, b0 * grid_x + b1 * grid_y + b2
    edge = tf.reshape(scaled, [-1, 1, 1]) - 0.5
    inside = (sx >= -0.5) & (sx < edge) & (sy >= -0.5) & (sy < edge)
    return warped * tf.cast(inside, tf.float32)[..., None]


def test_a_render_is_the_previous_implementations_to_the_bit(model, monkeypatch):
    """The renderer's own ops were made cheaper without changing one rounding: the same render
    with Lucid's param.image (its division by 4 after the FFT) and the warp as first written,
    on TensorFlow's resampling op instead of projective_warp's kernel."""
    vectors = unit_vectors(6, [0, 2, 5])
    ours = Renderer(model, "l2", 3, SETTINGS, progress=False).render(vectors)
    monkeypatch.setattr(render_module, "rgb_image",
                        lambda size, batch: param.image(size, batch=batch, fft=True, decorrelate=True))
    monkeypatch.setattr(transforms, "standard_warp", previous_warp)
    previous = Renderer(model, "l2", 3, SETTINGS, progress=False).render(vectors)
    assert np.abs(ours.images - previous.images).max() == 0.0
    assert ours.images.tobytes() == previous.images.tobytes()
    assert ours.values.tobytes() == previous.values.tobytes()
