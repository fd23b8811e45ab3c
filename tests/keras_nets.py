"""Tiny Keras nets for the tests, built and saved in a child process (Keras needs TensorFlow 2's
eager mode, which the engine's process switches off for Lucid):

    python tests/keras_nets.py OUT_DIR

writes OUT_DIR/net.keras (conv+ReLU, depthwise, ReLU, strided 1x1 shortcut, add, max-pool,
average-pool, global pooling, dense), the same net as a SavedModel folder OUT_DIR/net_saved,
and OUT_DIR/reference.npz: an input batch and the Keras model's outputs on it.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

SIZE = 16


def build():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")(inputs)
    branch = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", name="dw")(x)
    branch = keras.layers.ReLU(name="r")(branch)
    shortcut = keras.layers.Conv2D(6, 1, strides=2, name="sc")(x)
    x = keras.layers.Add(name="add")([branch, shortcut])
    x = keras.layers.Conv2D(5, 3, padding="valid", dilation_rate=1, activation="relu", name="c2")(x)
    x = keras.layers.MaxPooling2D(2, strides=1, padding="same", name="pool")(x)
    x = keras.layers.AveragePooling2D(3, strides=1, padding="same", name="avg")(x)
    logits = keras.layers.Dense(4, name="dense")(keras.layers.GlobalAveragePooling2D(name="gap")(x))
    return keras.Model(inputs, logits)


def main(out_dir):
    model = build()
    model.save(os.path.join(out_dir, "net.keras"))
    model.export(os.path.join(out_dir, "net_saved"), verbose=False)
    batch = np.random.RandomState(1).rand(2, SIZE, SIZE, 3).astype(np.float32)
    np.savez(os.path.join(out_dir, "reference.npz"), inputs=batch, logits=model.predict(batch, verbose=0))


if __name__ == "__main__":
    main(sys.argv[1])
