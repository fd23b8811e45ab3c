"""Baselines for per-unit statistics: whether a number a figure quotes is large.

Three kinds, each a plain dict ready for `figure.json`:

- `layer_rank(values, unit)`: the statistic over every unit of the layer, and the unit's percentile
  (`rank(values, value)` for any other value, such as a selection's median);
- `null(value, samples, kind, seed)`: the statistic under a null (random directions from
  `random_directions`, random unit pairs from `pair_correlations`), with its quantiles and the share
  of null samples at or above the value;
- `trivial(statistic, window_shape)`: the statistic of a flat window (every cell the same vector).

`baseline(name, value, layer=..., null=..., trivial=...)` puts them beside the value. For a layer's
decompositions, `centre_decompositions` gives every channel's centre-neuron expanded weights in a few
batched backward passes, so a per-channel decomposition statistic costs one graph, not one per channel.
A recipe's one-liners:

    baselines.window_baseline(model, "block12", "block11", 74)          # off-centre share, its layer, flat window
    baselines.counterpart_baseline(acts_a, acts_b, 74)                  # best r, its layer, random pairs
    baselines.baseline("class_score", s[74], layer=baselines.layer_rank(s, 74))   # any per-unit statistic
"""

import numpy as np
from scipy import stats

from mechanics.errors import BadInput

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def quantiles(samples):
    """{"q01": ..., "q50": ..., "q99": ...} of a sample (linear interpolation)."""
    samples = np.asarray(samples, np.float64).ravel()
    if samples.size == 0:
        raise BadInput("a baseline needs at least one sample")
    values = np.quantile(samples, QUANTILES)
    return {f"q{round(q * 100):02d}": float(v) for q, v in zip(QUANTILES, values)}


def rank(values, value):
    """A value against the statistic's distribution over every unit of a layer (`values`, one per
    unit): the share of units at or below it, times 100, and the distribution's quantiles."""
    values = np.asarray(values, np.float64).ravel()
    return {"n": int(len(values)), "percentile": float(stats.percentileofscore(values, value, kind="weak")),
            "quantiles": quantiles(values)}


def layer_rank(values, unit):
    """`rank` of unit `unit`'s own value among its layer's."""
    values = np.asarray(values, np.float64).ravel()
    if not 0 <= unit < len(values):
        raise BadInput(f"unit {unit} is out of range for a layer of {len(values)} units: valid units are "
                       f"0..{len(values) - 1}")
    return rank(values, values[unit])


def null(value, samples, kind, seed=None):
    """`value` against a null distribution `samples`: their quantiles, and `exceeded_by`, the share of
    null samples at or above the value (a one-sided p-value without the +1 correction)."""
    samples = np.asarray(samples, np.float64).ravel()
    return {"kind": kind, "n": int(samples.size), "seed": seed, "quantiles": quantiles(samples),
            "exceeded_by": float(np.mean(samples >= value))}


def trivial(statistic, window_shape, channels=8):
    """{"kind": "flat window", "value": ...}: `statistic` of an (h, w, channels) window whose cells
    are all the same non-negative vector."""
    h, w = window_shape
    flat = np.ones((h, w, channels), np.float32)
    return {"kind": f"flat {h}x{w} window", "value": float(statistic(flat))}


def baseline(name, value, layer=None, null=None, trivial=None):
    """One statistic with whichever baselines apply, as figure.json stores it."""
    entry = {"statistic": name, "value": float(value)}
    for key, part in (("layer", layer), ("null", null), ("trivial", trivial)):
        if part is not None:
            entry[key] = part
    return entry


# -- nulls ----------------------------------------------------------------------------------------

def random_directions(dim, n, seed=0, like=None):
    """(n, dim) random directions, the same for the same seed: isotropic Gaussian vectors, or with
    `like` (dim,) random permutations of its entries (which keep its distribution of values, e.g.
    non-negative and sparse, and lose only which channel holds which)."""
    rng = np.random.default_rng(seed)
    if like is None:
        return rng.standard_normal((n, dim))
    like = np.asarray(like, np.float64)
    if like.shape != (dim,):
        raise BadInput(f"direction to permute has shape {like.shape}, expected ({dim},)")
    return np.stack([rng.permutation(like) for _ in range(n)])


def direction_null(statistic, dim, n=1000, seed=0, like=None):
    """`statistic(direction)` over `random_directions(dim, n, seed, like)`; (n,)."""
    return np.array([statistic(d) for d in random_directions(dim, n, seed, like)], np.float64)


def _columns(acts):
    acts = np.asarray(acts, np.float64)
    flat = acts.reshape(-1, acts.shape[-1])
    flat = flat - flat.mean(axis=0)
    norms = np.linalg.norm(flat, axis=0)
    return flat / np.where(norms > 0, norms, 1.0)


def pair_correlations(acts_a, acts_b, n=1000, seed=0):
    """Pearson correlations of n random (channel of a, channel of b) pairs over every image and
    position; acts_a (N, H, W, Ca) and acts_b (N, H, W, Cb) on the same images. The chance level of
    a counterpart's correlation."""
    a, b = _columns(acts_a), _columns(acts_b)
    if len(a) != len(b):
        raise BadInput(f"activations hold {len(a)} and {len(b)} values per channel: feed both models the same "
                       "images at sizes giving the same map")
    rng = np.random.default_rng(seed)
    i, j = rng.integers(a.shape[1], size=n), rng.integers(b.shape[1], size=n)
    return np.einsum("ni,ni->i", a[:, i], b[:, j])


def best_match_correlations(acts_a, acts_b):
    """(Ca,) for every channel of a, its best correlation with any channel of b: the layer
    distribution of the counterpart statistic (a counterpart is the best of Cb candidates, so its r
    should be compared with these, not only with random pairs)."""
    a, b = _columns(acts_a), _columns(acts_b)
    return (a.T @ b).max(axis=1)


# -- window statistics and a layer's decompositions -----------------------------------------------

def _norms(vectors):
    return np.linalg.norm(np.maximum(np.asarray(vectors, np.float64), 0), axis=-1)


def centre_share(vectors):
    """Share of a window's positive norm in its centre cell (h//2, w//2, as decompose.structure_scores);
    vectors (h, w, C)."""
    norms = _norms(vectors)
    total = norms.sum()
    h, w = norms.shape
    return float(norms[h // 2, w // 2] / total) if total > 0 else 0.0


def off_centre_share(vectors):
    """1 - centre_share: a flat 5x5 window gives 0.96."""
    return 1.0 - centre_share(vectors)


def centre_decompositions(model, layer, earlier, input_size=None, chunk=16):
    """(C, h, w, C_earlier): every channel's centre-neuron expanded weights over `earlier`, the same
    as `decompose.spatial(model, Target(layer, c, centre), earlier)` for each c (full path), in
    ceil(C / chunk) batched backward passes of one graph: with ReLU gradients as identity the
    backward pass does not depend on the input, so each batch element carries one channel."""
    from mechanics import decompose
    from mechanics.lucid_tf2 import tf
    input_size = input_size or model.default_size
    channels = model.layer(layer).channels
    position = model.centre(layer, input_size)
    window = model.window(layer, earlier, position, input_size)
    graph, t_input, T = decompose.import_graph(model, input_size, batch=chunk, expanded=True)
    with graph.as_default():
        pick = tf.placeholder(tf.float32, [chunk, channels])
        unit = tf.reduce_sum(T(layer)[:, position[0], position[1], :] * pick)
        grads = tf.gradients(unit, T(earlier))[0]
    out = []
    zeros = np.zeros((chunk, input_size, input_size, 3), np.float32)
    with decompose.new_session(graph) as sess:
        for start in range(0, channels, chunk):
            ids = np.arange(start, min(start + chunk, channels))
            onehot = np.zeros((chunk, channels), np.float32)
            onehot[np.arange(len(ids)), ids] = 1.0
            g = sess.run(grads, {t_input: zeros, pick: onehot})[: len(ids)]
            out.extend(decompose._window_vectors(each, window) for each in g)
    return np.stack(out)


def window_baseline(model, layer, earlier, channel, statistic=off_centre_share, input_size=None):
    """A window statistic of one channel's centre-neuron decomposition (expanded weights, full path)
    with its layer rank and its flat-window value."""
    windows = centre_decompositions(model, layer, earlier, input_size)
    values = [statistic(w) for w in windows]
    return baseline(statistic.__name__, values[channel], layer=layer_rank(values, channel),
                    trivial=trivial(statistic, windows.shape[1:3], windows.shape[-1]))


def counterpart_baseline(acts_a, acts_b, channel, n=1000, seed=0):
    """Channel `channel` of a's best correlation with any channel of b (its counterpart), ranked
    among every channel of a's best, and against n random (a, b) channel pairs."""
    best = best_match_correlations(acts_a, acts_b)
    return baseline("counterpart_r", best[channel], layer=layer_rank(best, channel),
                    null=null(best[channel], pair_correlations(acts_a, acts_b, n, seed), "random channel pairs", seed))
