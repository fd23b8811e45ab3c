"""The check that a computed receptive window is exactly where a neuron's gradient lives."""

import numpy as np

from mechanics.decompose import Target, import_graph, new_session
from mechanics.lucid_tf2 import tf


def assert_window_is_gradient_support(model, target, earlier, position, size, channel=0):
    """The expanded-weights gradient of target[position, channel] on `earlier` is non-zero
    everywhere inside the computed window (within the map) and zero everywhere outside it."""
    graph, t_input, T = import_graph(model, size, expanded=True)
    with graph.as_default():
        gradient = tf.gradients(Target(target, channel, position).value(T(target)), T(earlier))[0]
    rng = np.random.RandomState(0)
    with new_session(graph) as sess:
        value = sess.run(gradient, {t_input: rng.rand(1, size, size, 3).astype(np.float32) * 0.01})[0]
    norms = np.linalg.norm(value, axis=-1)
    window = model.window(target, earlier, position, size)
    inside = np.zeros_like(norms, bool)
    inside[max(window.top, 0):window.top + window.height, max(window.left, 0):window.left + window.width] = True
    assert (norms[~inside] == 0).all(), f"{target} {position}: gradient outside the window {window}"
    assert (norms[inside] > 0).all(), f"{target} {position}: window {window} larger than the gradient"
