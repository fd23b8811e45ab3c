"""Batched rendering: one graph, N directions, deterministic, and it optimizes."""

import numpy as np
import pytest

from mechanics.errors import BadInput
from mechanics.render import Renderer, RenderSettings, unit_vectors

from tiny_models import conv_chain

SETTINGS = RenderSettings(size=32, steps=60, learning_rate=0.2, seed=3)


@pytest.fixture(scope="module")
def model():
    return conv_chain()[0]


def test_a_render_raises_each_objective_well_above_the_random_start(model):
    renderer = Renderer(model, "l2", batch=3, settings=SETTINGS, progress=False)
    rendering = renderer.render(unit_vectors(6, [0, 2, 4]))
    assert rendering.images.shape == (3, 32, 32, 3)
    # Each element climbs by several units from its random start (about 4 to 6 here).
    assert (rendering.values > rendering.start_values + 3.0).all()


def test_the_same_seed_gives_identical_images_and_another_seed_does_not(model):
    vectors = np.random.RandomState(0).rand(2, 5).astype(np.float32)
    first = Renderer(model, "l1", 2, SETTINGS, progress=False).render(vectors)
    again = Renderer(model, "l1", 2, SETTINGS, progress=False).render(vectors)
    other = Renderer(model, "l1", 2, RenderSettings(size=32, steps=60, learning_rate=0.2, seed=4),
                     progress=False).render(vectors)
    np.testing.assert_array_equal(first.images, again.images)
    assert not np.allclose(first.images, other.images)


def test_one_graph_serves_many_renders(model):
    renderer = Renderer(model, "l1", 2, SETTINGS, progress=False)
    nodes = len(renderer.graph.as_graph_def().node)
    a = renderer.render(unit_vectors(5, [0, 1]))
    b = renderer.render(unit_vectors(5, [3, 4]))
    assert len(renderer.graph.as_graph_def().node) == nodes  # finalized: nothing was added
    assert not np.allclose(a.images, b.images)


def test_cossim_objective_is_offered_and_bad_ones_are_named(model):
    cossim = Renderer(model, "l2", 1, RenderSettings(size=32, steps=60, learning_rate=0.2, objective="cossim"),
                      progress=False)
    rendering = cossim.render(unit_vectors(6, [2]))
    assert rendering.values[0] > max(rendering.start_values[0] + 0.3, 2 * rendering.start_values[0])
    with pytest.raises(BadInput, match="valid: dot, cossim"):
        Renderer(model, "l1", 1, RenderSettings(objective="sum"))
    with pytest.raises(BadInput, match="at most 1 vectors of 6 channels"):
        cossim.render(np.ones((2, 5)))
