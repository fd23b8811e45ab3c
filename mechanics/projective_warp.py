"""TensorFlow's `ImageProjectiveTransformV3` (bilinear, constant fill) and its registered
gradient, on a numba kernel: the same floats, in about a third of the time.

    warped = projective_warp(images, transforms, output_size=140, fill_value=0.5)

TensorFlow's kernel evaluates its whole sampling (projection, floors, four bounds checks) once
per output value, so three times per RGB pixel, through Eigen's scalar generator. The kernel
here does it once per pixel, with TensorFlow's arithmetic in TensorFlow's order and no fused
multiply-adds, so every output is bit-identical (tests/test_projective_warp.py). The gradient
is TensorFlow's too: the incoming gradient resampled by the inverse transforms, filled with 0
(what `tf.contrib.image.transform`, and so Lucid, always had), not the exact adjoint.
"""

import numba
import numpy as np

from mechanics.lucid_tf2 import tf

_ONE = np.float32(1.0)


@numba.njit(nogil=True, cache=True, inline="always")
def _read(images, b, y, x, channel, fill_value):
    height, width = images.shape[1], images.shape[2]
    # Not `0 <= y < height`: numba compiles the chained form into a kernel 3 times slower.
    return images[b, y, x, channel] if (0 <= y and y < height and 0 <= x and x < width) else fill_value


@numba.njit(nogil=True, cache=True)
def warp_kernel(images, transforms, output_height, output_width, fill_value):
    """For each output pixel (x, y) of image b, with t = transforms[b] (TensorFlow's 8-number
    rows): the bilinear sample of images[b] at ((t0 x + t1 y + t2) / p, (t3 x + t4 y + t5) / p),
    p = t6 x + t7 y + 1, reading `fill_value` for each neighbour outside the image."""
    batch, height, width, channels = images.shape
    out = np.empty((batch, output_height, output_width, channels), np.float32)
    for b in range(batch):
        # Scalars, not a row of the array: the stores to `out` would make numba reload it.
        t0, t1, t2, t3, t4, t5, t6, t7 = transforms[b]
        # With t6 = t7 = 0, p is exactly 1 and dividing by it changes no bit.
        affine = t6 == 0 and t7 == 0
        for oy in range(output_height):
            fy = np.float32(oy)
            for ox in range(output_width):
                fx = np.float32(ox)
                if affine:
                    x = t0 * fx + t1 * fy + t2
                    y = t3 * fx + t4 * fy + t5
                else:
                    projection = t6 * fx + t7 * fy + _ONE
                    if projection == 0:
                        for c in range(channels):
                            out[b, oy, ox, c] = fill_value
                        continue
                    x = (t0 * fx + t1 * fy + t2) / projection
                    y = (t3 * fx + t4 * fy + t5) / projection
                y_floor, x_floor = np.float32(np.floor(y)), np.float32(np.floor(x))
                y_ceil, x_ceil = y_floor + _ONE, x_floor + _ONE
                top, left = np.int64(y_floor), np.int64(x_floor)
                if 0 <= top and top + 1 < height and 0 <= left and left + 1 < width:
                    for c in range(channels):
                        value_yfloor = (x_ceil - x) * images[b, top, left, c] + (x - x_floor) * images[b, top, left + 1, c]
                        value_yceil = (x_ceil - x) * images[b, top + 1, left, c] + (x - x_floor) * images[b, top + 1, left + 1, c]
                        out[b, oy, ox, c] = (y_ceil - y) * value_yfloor + (y - y_floor) * value_yceil
                else:
                    bottom, right = np.int64(y_ceil), np.int64(x_ceil)
                    for c in range(channels):
                        value_yfloor = ((x_ceil - x) * _read(images, b, top, left, c, fill_value)
                                        + (x - x_floor) * _read(images, b, top, right, c, fill_value))
                        value_yceil = ((x_ceil - x) * _read(images, b, bottom, left, c, fill_value)
                                       + (x - x_floor) * _read(images, b, bottom, right, c, fill_value))
                        out[b, oy, ox, c] = (y_ceil - y) * value_yfloor + (y - y_floor) * value_yceil
    return out


def _warp_op(images, transforms, height, width, fill_value):
    batch, channels = images.shape[0], images.shape[3]
    warped = tf.numpy_function(warp_kernel, [images, transforms, height, width, np.float32(fill_value)],
                               tf.float32, stateful=False)
    warped.set_shape([batch, height, width, channels])
    return warped


def inverse_transforms(transforms):
    """The inverse of each 8-number transform, with the ops of TensorFlow's registered gradient
    (image_ops' flat_transforms_to_matrices, matrix_inverse, matrices_to_flat_transforms)."""
    matrices = tf.reshape(tf.concat([transforms, tf.ones([tf.shape(transforms)[0], 1])], 1), [-1, 3, 3])
    inverse = tf.reshape(tf.linalg.inv(matrices), [-1, 9])
    return (inverse / inverse[:, 8:9])[:, :8]


def projective_warp(images, transforms, output_size, fill_value):
    """NHWC float32 `images` (static shape) resampled to output_size x output_size, bilinearly,
    by one [batch, 8] row of `transforms` per image; as `ImageProjectiveTransformV3` with
    `fill_mode="CONSTANT"`, to the bit, and with its registered gradient."""
    height, width = int(images.shape[1]), int(images.shape[2])

    @tf.custom_gradient
    def warp(images):
        def gradient(upstream):
            return _warp_op(upstream, inverse_transforms(transforms), height, width, 0.0)
        return _warp_op(images, transforms, output_size, output_size, fill_value), gradient
    return warp(images)
