"""projective_warp is TensorFlow's ImageProjectiveTransformV3 (bilinear, constant fill) and its
registered gradient, to the bit."""

import numpy as np
import pytest

from mechanics import transforms
from mechanics.lucid_tf2 import tf
from mechanics.projective_warp import projective_warp


def fused_warp_transforms(batch, size):
    """The fused warp's maps for `batch` draws: jitters, scales and rotations."""
    to_image, _, _ = transforms.chain_maps(transforms.draw_parameters(batch, tf.constant([5, 9])), size)
    return tf.concat([to_image, tf.zeros_like(to_image[:, :2])], 1)


# Rows of TensorFlow's 8 numbers: a projective one, whose denominator is exactly 0 at x = 4
# (TensorFlow fills there), a zoom that reads far outside the image, and the identity.
SPECIAL = np.array([[0.9, 0.1, 1.5, -0.2, 1.1, 0.5, -0.25, 0.0],
                    [3.0, 0.0, -20.0, 0.0, 3.0, -20.0, 0.0, 0.0],
                    [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]], np.float32)


@pytest.mark.parametrize("size, output_size, channels, fill_value", [(24, 28, 3, 0.5), (17, 11, 1, -2.0)])
def test_the_warp_and_its_gradient_are_tensorflows_to_the_bit(size, output_size, channels, fill_value):
    batch = 6 + len(SPECIAL)
    rng = np.random.RandomState(0)
    images = rng.rand(batch, size, size, channels).astype(np.float32)
    upstream = rng.randn(batch, output_size, output_size, channels).astype(np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        maps = tf.concat([fused_warp_transforms(6, size), tf.constant(SPECIAL)], 0)
        t_images = tf.constant(images)
        ours = projective_warp(t_images, maps, output_size, fill_value)
        theirs = tf.raw_ops.ImageProjectiveTransformV3(
            images=t_images, transforms=maps, output_shape=[output_size, output_size],
            fill_value=fill_value, interpolation="BILINEAR", fill_mode="CONSTANT")
        gradients = [tf.gradients(warped, t_images, grad_ys=upstream)[0] for warped in (ours, theirs)]
        ours, theirs, our_gradient, their_gradient = sess.run([ours, theirs, *gradients])
    assert ours.shape == (batch, output_size, output_size, channels)
    assert (ours == fill_value).any() and (ours != fill_value).any()
    assert ours.tobytes() == theirs.tobytes()
    assert our_gradient.shape == images.shape and np.abs(our_gradient).max() > 0
    assert our_gradient.tobytes() == their_gradient.tobytes()
