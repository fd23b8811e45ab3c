"""The fused warp is Lucid's standard_transforms: same geometry, same parameter distributions."""

import numpy as np
import pytest
from scipy import stats

from mechanics import transforms
from mechanics.lucid_tf2 import rotate, tf, transform

SIZE = 64


def smooth_image(size):
    """Slow waves that fade to the pad value 0.5 at the border, so that the image is smooth
    across its edge too: what is left between two resamplings is interpolation error."""
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    fade = np.sin(np.pi * x) * np.sin(np.pi * y)
    channels = [np.cos(2 * np.pi * (1.3 * x + 0.4 * y) + phase) for phase in (0.0, 1.0, 2.0)]
    return (0.5 + 0.4 * fade[..., None] * np.stack(channels, -1))[None].astype(np.float32)


def lucid_chain(image, jitter, scale, degrees, jitter2):
    """Lucid's standard_transforms with its random draws fixed: the same ops in the same order."""
    cropped = SIZE + 2 * transforms.PAD - transforms.FIRST_JITTER
    padded = tf.pad(image, [(0, 0), (12, 12), (12, 12), (0, 0)], constant_values=0.5)
    t = padded[:, jitter[0]:jitter[0] + cropped, jitter[1]:jitter[1] + cropped]
    scaled = int(np.float32(scale) * np.float32(cropped))
    t = tf.image.resize_bilinear(t, [scaled, scaled])
    t = rotate(t, transforms.LUCID_PI * degrees / 180.0)
    out = scaled - transforms.LAST_JITTER
    return t[:, jitter2[0]:jitter2[0] + out, jitter2[1]:jitter2[1] + out], scaled


@pytest.mark.parametrize("jitter, scale, degrees, jitter2, bound", [
    ((3, 5), 1.0, 0, (2, 1), 1e-5),      # a pure shift: exact
    ((0, 8), 0.96, 0, (4, 0), 0.005),    # a shift and a scale: both bilinear
    ((8, 2), 1.1, 7, (1, 3), 0.04),      # and rotation, which Lucid samples by nearest neighbour
    ((4, 4), 0.9, -10, (0, 4), 0.04),
])
def test_with_fixed_parameters_the_warp_is_lucids_chain_within_interpolation_error(jitter, scale, degrees,
                                                                                   jitter2, bound):
    image = smooth_image(SIZE)
    with tf.Graph().as_default(), tf.Session() as sess:
        chain, scaled = lucid_chain(tf.constant(image), jitter, scale, degrees, jitter2)
        parameters = tf.constant([[*jitter, scale, transforms.LUCID_PI * degrees / 180.0, *jitter2]], tf.float32)
        warp = transforms.standard_warp(tf.constant(image), parameters)
        ones, _ = lucid_chain(tf.ones_like(image), jitter, scale, degrees, jitter2)
        chain, warp, ones = sess.run([chain, warp, ones])
    out = transforms.output_size(SIZE)
    assert warp.shape == (1, out, out, 3)
    # The warp is centred on the chain's output (whose side is scaled - 4); compare where both are.
    shift = (scaled - transforms.LAST_JITTER - out) // 2
    assert (scaled - transforms.LAST_JITTER - out) % 2 == 0
    lo, hi = max(shift, 0), min(shift + out, chain.shape[1])
    chain_part = chain[0, lo:hi, lo:hi]
    warp_part = warp[0, lo - shift:hi - shift, lo - shift:hi - shift]
    # Away from the edge of rotation's zero fill (where one nearest pixel decides), they agree.
    inside = ones[0, lo:hi, lo:hi, 0] > 0
    interior = np.array(inside)
    for axis in (0, 1):
        for step in (-2, -1, 1, 2):
            interior &= np.roll(inside, step, axis)
    assert np.abs(chain_part - warp_part)[interior].max() < bound
    # And both fill the same places with rotation's zeros.
    assert np.mean((warp_part[..., 0] == 0) != ~inside) < 0.005


def lucid_choices():
    """The parameter lists inside Lucid's own standard_transforms closures."""
    def closure(fn):
        return {name: cell.cell_contents for name, cell in zip(fn.__code__.co_freevars, fn.__closure__)}
    pad, jitter, scale, rotation, jitter2 = (closure(fn) for fn in transform.standard_transforms)
    return pad, jitter, scale, rotation, jitter2


def test_the_parameter_choices_are_lucids():
    pad, jitter, scale, rotation, jitter2 = lucid_choices()
    assert (pad["w"], pad["constant_value"], pad["mode"]) == (transforms.PAD, transforms.PAD_VALUE, "constant")
    assert (jitter["d"], jitter2["d"]) == (transforms.FIRST_JITTER, transforms.LAST_JITTER)
    assert list(scale["scales"]) == list(transforms.SCALES)
    assert list(rotation["angles"]) == list(transforms.ANGLES_DEGREES) and rotation["units"] == "degrees"


def test_over_many_draws_each_parameter_is_uniform_over_lucids_choices():
    _, jitter, scale, rotation, jitter2 = lucid_choices()
    with tf.Graph().as_default(), tf.Session() as sess:
        step = tf.placeholder(tf.int32, [])
        drawn = transforms.draw_parameters(25, tf.stack([0, step]))
        draws = np.concatenate([sess.run(drawn, {step: s}) for s in range(240)])
    degrees = np.round(draws[:, 3] * 180.0 / transforms.LUCID_PI).astype(int)
    expected = {
        0: list(range(jitter["d"] + 1)), 1: list(range(jitter["d"] + 1)),
        2: [np.float32(s) for s in scale["scales"]], 3: list(rotation["angles"]),
        4: list(range(jitter2["d"] + 1)), 5: list(range(jitter2["d"] + 1)),
    }
    for column, choices in expected.items():
        values = degrees if column == 3 else draws[:, column]
        # Each of Lucid's list entries is equally likely (so 0 degrees is six times as likely).
        observed = np.array([np.sum(values == c) for c in sorted(set(choices))])
        weights = np.array([choices.count(c) for c in sorted(set(choices))], float)
        assert observed.sum() == len(values), f"column {column} drew a value outside Lucid's choices"
        p = stats.chisquare(observed, weights / weights.sum() * len(values)).pvalue
        assert p > 1e-3, f"column {column}: p = {p}"


def test_draws_are_a_function_of_seed_and_step_only():
    with tf.Graph().as_default(), tf.Session() as sess:
        seed = tf.placeholder(tf.int32, [2])
        drawn = transforms.draw_parameters(5, seed)
        first = sess.run(drawn, {seed: [0, 3]})
        sess.run(drawn, {seed: [0, 4]})
        again = sess.run(drawn, {seed: [0, 3]})
        other = sess.run(drawn, {seed: [1, 3]})
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
