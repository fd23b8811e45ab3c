"""Lucid's standard transforms as ONE projective warp per image, drawn from stateless random ops.

Lucid's `transform.standard_transforms` is a chain of five ops, each resampling or copying the
whole batch, with one random draw per batch from stateful random ops:

    pad 12 (0.5) -> jitter 8 -> scale s (one of 11, 0.9..1.1) -> rotate a (-10..10 degrees,
    0 six times as often; nearest neighbour, zeros outside) -> jitter 4

`standard_warp` composes the same chain into one affine map per image and resamples once,
bilinearly, straight to a fixed output size (the chain's output at scale 1): about 4 times
less op time per step, and 3 times less again on `projective_warp`'s kernel. Each image draws its own parameters from the same distributions (what
one render per image would give it), from `tf.random.stateless_uniform` seeded by (seed, step),
so a render's pixels depend only on its inputs.

The one difference is the canvas: where Lucid's output is larger (s > 1) the warp shows its
central part; where it is smaller (s < 1) the warp shows a little more of the same plane, with
Lucid's fills (0.5 where the pad is, 0 where rotation leaves the scaled image).
"""

import numpy as np

from mechanics.lucid_tf2 import tf
from mechanics.projective_warp import projective_warp

PAD = 12
PAD_VALUE = 0.5
FIRST_JITTER = 8
SCALES = tuple(1 + (i - 5) / 50.0 for i in range(11))
ANGLES_DEGREES = tuple(range(-10, 11)) + 5 * (0,)
LAST_JITTER = 4
# Lucid converts degrees with 3.14, not pi; kept, so that the angles are Lucid's.
LUCID_PI = 3.14
PARAMETERS = ("jitter_y", "jitter_x", "scale", "angle", "jitter2_y", "jitter2_x")


def output_size(size):
    """The warp's output side for a size x size image: Lucid's chain output at scale 1."""
    return size + 2 * PAD - FIRST_JITTER - LAST_JITTER


def draw_parameters(batch, seed):
    """One row per image: (jitter_y, jitter_x, scale, angle in radians, jitter2_y, jitter2_x),
    each uniform over Lucid's choices. `seed` is an int32 tensor of shape [2], e.g. (seed, step)."""
    u = tf.random.stateless_uniform([batch, len(PARAMETERS)], seed=seed)

    def choice(column, n):
        return tf.minimum(tf.cast(tf.floor(u[:, column] * n), tf.int32), n - 1)

    jitter = [tf.cast(choice(c, n + 1), tf.float32) for c, n in ((0, FIRST_JITTER), (1, FIRST_JITTER))]
    scale = tf.gather(tf.constant(SCALES, tf.float32), choice(2, len(SCALES)))
    degrees = tf.gather(tf.constant(ANGLES_DEGREES, tf.float32), choice(3, len(ANGLES_DEGREES)))
    jitter2 = [tf.cast(choice(c, n + 1), tf.float32) for c, n in ((4, LAST_JITTER), (5, LAST_JITTER))]
    return tf.stack(jitter + [scale, LUCID_PI * degrees / 180.0] + jitter2, axis=1)


def chain_maps(parameters, size):
    """For each image, the affine map from a pixel (x, y) of the warp's output to the point of the
    input image that Lucid's chain would show there, and the map to the scaled image's frame
    (where rotation decides between image and zero fill). Both as [batch, 6] rows (a0 a1 a2 b0 b1 b2):
    x' = a0 x + a1 y + a2, y' = b0 x + b1 y + b2."""
    jy, jx, scale, angle, j2y, j2x = tf.unstack(parameters, axis=1)
    cropped = float(size + 2 * PAD - FIRST_JITTER)
    # random_scale: resize_bilinear to int(s * side) with legacy sampling (in = out * in/out).
    scaled = tf.floor(scale * cropped)
    ratio = cropped / scaled
    # The output is centred on Lucid's (scaled - LAST_JITTER) output; rotation about the scaled
    # image's centre, with tf.contrib.image.rotate's offsets.
    shift = (scaled - LAST_JITTER - output_size(size)) / 2.0
    cos, sin = tf.cos(angle), tf.sin(angle)
    centre_offset_x = ((scaled - 1) - (cos * (scaled - 1) - sin * (scaled - 1))) / 2.0
    centre_offset_y = ((scaled - 1) - (sin * (scaled - 1) + cos * (scaled - 1))) / 2.0
    ux, uy = shift + j2x, shift + j2y
    rotated = tf.stack([cos, -sin, cos * ux - sin * uy + centre_offset_x,
                        sin, cos, sin * ux + cos * uy + centre_offset_y], axis=1)
    to_image = rotated * ratio[:, None] + tf.stack(
        [tf.zeros_like(jx), tf.zeros_like(jx), jx - PAD, tf.zeros_like(jx), tf.zeros_like(jx), jy - PAD], axis=1)
    return to_image, rotated, scaled


def standard_warp(images, parameters):
    """Lucid's standard transforms of NHWC `images` (square, values in [0, 1]) with per-image
    `parameters` (from `draw_parameters`), as one bilinear resampling."""
    size = int(images.shape[1])
    out = output_size(size)
    to_image, to_scaled, scaled = chain_maps(parameters, size)
    zeros = tf.zeros_like(to_image[:, :2])
    warped = projective_warp(images, tf.concat([to_image, zeros], 1), out, PAD_VALUE)
    # Rotation fills with zeros where its nearest source pixel is outside the scaled image.
    grid_y, grid_x = np.mgrid[0:out, 0:out].astype(np.float32)
    a0, a1, a2, b0, b1, b2 = tf.unstack(tf.reshape(to_scaled, [-1, 6, 1, 1]), axis=1)
    sx = a0 * grid_x + a1 * grid_y + a2
    sy = b0 * grid_x + b1 * grid_y + b2
    edge = tf.reshape(scaled, [-1, 1, 1]) - 0.5
    inside = (sx >= -0.5) & (sx < edge) & (sy >= -0.5) & (sy < edge)
    # One mask per colour: a product of equal shapes runs about 1.3 times faster, each way,
    # than one that broadcasts the mask over the colours.
    return warped * tf.tile(tf.cast(inside, tf.float32)[..., None], [1, 1, 1, int(images.shape[3])])
