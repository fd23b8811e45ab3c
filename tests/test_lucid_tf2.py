"""Lucid 0.3.10 runs on TensorFlow 2 through mechanics.lucid_tf2."""

import numpy as np
import pytest

from mechanics.lucid_tf2 import param, tf, transform


def run(tensor_fn):
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.set_random_seed(0)
        out = tensor_fn()
        sess.run(tf.global_variables_initializer())
        return sess.run(out)


@pytest.mark.parametrize("shape", [(1, 8, 8, 3), (2, 6, 6, 3)])
def test_random_rotate_by_a_right_angle_matches_rot90(shape):
    images = np.random.RandomState(0).rand(*shape).astype(np.float32)
    rotated = run(lambda: transform.random_rotate([90], units="degrees")(tf.constant(images)))
    expected = np.stack([np.rot90(im) for im in images])
    np.testing.assert_array_equal(rotated, expected)
    bilinear = run(lambda: tf.contrib.image.rotate(tf.constant(images), np.pi / 2, interpolation="BILINEAR"))
    np.testing.assert_allclose(bilinear, expected, atol=1e-2)


def test_rotation_samples_the_nearest_pixel_by_default_as_tf_contrib_did():
    images = np.random.RandomState(0).rand(2, 9, 9, 3).astype(np.float32)
    rotated = run(lambda: transform.random_rotate([7], units="degrees")(tf.constant(images)))
    assert not np.allclose(rotated, images)
    # Every output pixel is an input pixel, or the zero fill outside the rotated image.
    assert set(np.unique(rotated)) <= set(np.unique(images)) | {0.0}


def test_standard_transforms_run_on_a_batched_fft_decorrelated_image():
    def build():
        image = param.image(32, batch=4, fft=True, decorrelate=True)
        return image, transform.compose(transform.standard_transforms)(image)
    image, transformed = run(build)
    assert image.shape == (4, 32, 32, 3)
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert transformed.shape[0] == 4 and transformed.shape[-1] == 3
    # Padding and jitter change the size; rotation and scale change the content.
    assert transformed.shape[1] != 32 or not np.allclose(transformed, image)
    assert image.std(axis=(1, 2, 3)).min() > 0
