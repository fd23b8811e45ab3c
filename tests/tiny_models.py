"""Tiny conv nets built by the tests, wrapped as zoo models."""

import numpy as np

from mechanics.lucid_tf2 import tf
from mechanics.zoo import ZooModel


def conv_chain(seed=0, relu=True, dense=None):
    """input -> l0 (1x1, 3->4) -> l1 (3x3, 4->5) -> l2 (3x3, 5->6) -> logits (mean, dense 6->3).

    Returns the model and its kernels, so a test can compute what the engine should. `dense` (6, 3)
    replaces the random classifier weights.
    """
    rng = np.random.RandomState(seed)
    kernels = {"l0": rng.randn(1, 1, 3, 4).astype(np.float32),
               "l1": rng.randn(3, 3, 4, 5).astype(np.float32) * 0.5,
               "l2": rng.randn(3, 3, 5, 6).astype(np.float32) * 0.5}
    biases = {name: rng.randn(k.shape[-1]).astype(np.float32) * 0.1 for name, k in kernels.items()}
    dense = rng.randn(6, 3).astype(np.float32) if dense is None else np.asarray(dense, np.float32)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 3], name="input")
        for name in ("l0", "l1", "l2"):
            x = tf.nn.bias_add(tf.nn.conv2d(x, kernels[name], [1, 1, 1, 1], "SAME"), biases[name])
            x = tf.nn.relu(x, name=name) if relu and name != "l2" else tf.identity(x, name=name)
        logits = tf.matmul(tf.reduce_mean(x, axis=[1, 2]), dense, name="logits")
        tf.nn.softmax(logits, name="probs")
    model = ZooModel("tiny", "Tiny", graph.as_graph_def(), ["l0", "l1", "l2"], image_value_range=(0, 1),
                     default_size=12, class_labels=["a", "b", "c"])
    return model, kernels
