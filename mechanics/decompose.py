"""Decompositions of a target unit into components of an earlier layer (TECHNIQUE.md section 1).

- `spatial`: per-position vectors G[y, x, :] = du/dA[y, x, :] over the unit's receptive window,
  as `expanded` weights (ReLU and ReLU6 gradients taken as identity, max-pool as average-pool,
  at a neutral input) or as the local `gradient` at an image; for residual blocks, the
  `branch`, the `skip` path or the `full` sum.
- `optimize_hidden`: the earlier layer's activations optimized (non-negative, L2-regularized)
  to maximize the unit, then cut into the same window.
- `attribute`: attribution vectors of a photo at a hidden layer, by activation x gradient or
  integrated gradients, with the completeness gap.
- `factorize`: NMF of a positions x channels matrix into k directions with spatial maps.
"""

import re
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, UnidentifiedImageError

from mechanics.errors import BadInput
from mechanics.lucid_tf2 import ChannelReducer, gradient_override_map, tf
from mechanics.zoo import Window

MODES = ("expanded", "gradient")
PATHS = ("full", "branch", "skip")
METHODS = ("gradxact", "ig")


@dataclass(frozen=True)
class Target:
    """A unit: a channel of a layer, at one position (a neuron) or averaged over all (a channel).

    A class logit is `Target("logits", class_id)`.
    """

    layer: str
    channel: int
    position: tuple = None

    @classmethod
    def parse(cls, text, position=None):
        """'LAYER:CHANNEL' or 'logit:N'."""
        match = re.fullmatch(r"(logit|[\w/]+):(\d+)", text)
        if not match:
            raise BadInput(f"target {text!r} is not LAYER:CHANNEL or logit:N")
        layer = "logits" if match.group(1) == "logit" else match.group(1)
        return cls(layer, int(match.group(2)), tuple(position) if position is not None else None)

    @property
    def label(self):
        if self.layer == "logits":
            return f"logit {self.channel}"
        where = f" at ({self.position[0]}, {self.position[1]})" if self.position is not None else ""
        return f"{self.layer}:{self.channel}{where}"

    def value(self, acts):
        """The unit's value per batch element, from the layer's activations."""
        if self.layer == "logits":
            return acts[:, self.channel]
        if self.position is None:
            return tf.reduce_mean(acts[..., self.channel], axis=[1, 2])
        y, x = self.position
        return acts[:, y, x, self.channel]

    def validate(self, model, input_size):
        if self.layer == "logits":
            if not 0 <= self.channel < 1000:
                raise BadInput(f"class {self.channel} is out of range: valid classes are 0..999")
            return
        model.check_channel(self.layer, self.channel)
        if self.position is not None:
            model.window(self.layer, model.layer(self.layer).prev, self.position, input_size)


@dataclass
class SpatialDecomposition:
    """Vectors (h, w, C) over a window on `earlier`; cells outside the map are zero."""

    target: Target
    earlier: str
    mode: str
    path: str
    window: Window
    vectors: np.ndarray
    input_size: int
    objective_values: list = field(default_factory=list)

    @property
    def positive(self):
        return np.maximum(self.vectors, 0)

    @property
    def negative(self):
        return np.maximum(-self.vectors, 0)

    @property
    def norms(self):
        return np.linalg.norm(self.vectors, axis=-1)

    @property
    def offsets(self):
        return np.array(self.window.offsets()).reshape(self.window.height, self.window.width, 2)

    def top_channels(self, part, k=6):
        """Per cell, the k channels with the largest weight in `part` ('positive'/'negative')."""
        values = getattr(self, part)
        order = np.argsort(-values, axis=-1)[..., :k]
        return order, np.take_along_axis(values, order, axis=-1)


def load_image(path, size):
    """An RGB image in [0, 1], resized to size x size."""
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((size, size), Image.BILINEAR)
    except (OSError, UnidentifiedImageError) as exc:
        raise BadInput(f"cannot read image {path}: {exc}") from exc
    return np.asarray(rgb, np.float32) / 255.0


def _identity_grad(op, grad):
    return grad


def _avg_pool_grad(op, grad):
    return tf.raw_ops.AvgPoolGrad(
        orig_input_shape=tf.shape(op.inputs[0]), grad=grad, ksize=op.get_attr("ksize"),
        strides=op.get_attr("strides"), padding=op.get_attr("padding"),
        data_format=op.get_attr("data_format"))


EXPANDED_GRADIENTS = {"Relu": _identity_grad, "Relu6": _identity_grad, "MaxPool": _avg_pool_grad}


def import_graph(model, size, batch=1, expanded=False, input_map=None):
    """A fresh graph with the model imported on an input placeholder in [0, 1]."""
    graph = tf.Graph()
    with graph.as_default():
        t_input = tf.placeholder(tf.float32, [batch, size, size, 3], name="image")
        overrides = EXPANDED_GRADIENTS if expanded else {}
        with gradient_override_map(overrides):
            T = model.import_graph(t_input, scope="import", forget_xy_shape=False, input_map=input_map)
    return graph, t_input, T


def new_session(graph):
    """Every engine session. TensorFlow sizes its thread pools once per process, from the
    first session's config, so all share one: one thread per op and two ops at a time,
    which suits the renderer's two chains (a 25-image step: 134 ms, against 146 ms with
    two threads per op). A single chain of ops runs on about one core."""
    return tf.Session(graph=graph, config=tf.ConfigProto(
        intra_op_parallelism_threads=1, inter_op_parallelism_threads=2))


def _window_vectors(full, window):
    """Cut an (H, W, C) map into the window, with zeros where the window leaves the map."""
    h, w, c = full.shape
    out = np.zeros((window.height, window.width, c), np.float32)
    for r in range(window.height):
        for col in range(window.width):
            y, x = window.top + r, window.left + col
            if 0 <= y < h and 0 <= x < w:
                out[r, col] = full[y, x]
    return out


def _full_window(model, earlier, input_size):
    size = model.spatial_size(earlier, input_size)
    return Window(0, 0, size, size)


def _target_window(model, target, earlier, input_size):
    if target.position is None:
        return _full_window(model, earlier, input_size)
    return model.window(target.layer, earlier, target.position, input_size)


def _check_pair(model, target, earlier, input_size):
    target.validate(model, input_size)
    if target.layer == "logits":
        model.layer(earlier)
        return
    model.path_between(target.layer, earlier)


def spatial(model, target, earlier, mode="expanded", image=None, path="full", input_size=None):
    """Decompose `target` into per-position vectors of `earlier` (see module docstring)."""
    input_size = input_size or model.default_size
    if mode not in MODES:
        raise BadInput(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
    if path not in PATHS:
        raise BadInput(f"unknown path {path!r}; valid paths: {', '.join(PATHS)}")
    if mode == "gradient" and image is None:
        raise BadInput("mode 'gradient' needs an image (--image); mode 'expanded' does not")
    _check_pair(model, target, earlier, input_size)
    info = model.layer(target.layer)
    if path != "full" and info.skip_from is None:
        raise BadInput(f"{model.model_name} {target.layer} has no residual connection; valid paths: full")
    pixels = load_image(image, input_size) if mode == "gradient" else np.zeros((input_size,) * 2 + (3,), np.float32)

    graph, t_input, T = import_graph(model, input_size, expanded=(mode == "expanded"))
    with graph.as_default():
        acts = T(earlier)
        full = tf.gradients(target.value(T(target.layer)), acts)[0]
        branch = tf.gradients(target.value(T(info.prev)), acts)[0] if path != "full" else full
    with new_session(graph) as sess:
        g_full, g_branch = sess.run([full, branch], {t_input: pixels[None]})
    grads = {"full": g_full, "branch": g_branch, "skip": g_full - g_branch}[path][0]
    window = _target_window(model, target, earlier, input_size)
    return SpatialDecomposition(target, earlier, mode, path, window, _window_vectors(grads, window), input_size)


def optimize_hidden(model, target, earlier, steps=256, l2=1e-2, input_size=None, seed=0, learning_rate=0.05):
    """Optimize `earlier`'s activations (non-negative via softplus, L2 penalty) to maximize `target`."""
    input_size = input_size or model.default_size
    _check_pair(model, target, earlier, input_size)
    size = model.spatial_size(earlier, input_size)
    channels = model.layer(earlier).channels
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        raw = tf.Variable(tf.random.normal([1, size, size, channels], stddev=0.01, seed=seed) - 2.0)
        hidden = tf.nn.softplus(raw)
        t_input = tf.zeros([1, input_size, input_size, 3])
        T = model.import_graph(t_input, scope="import", forget_xy_shape=False,
                               input_map={f"{earlier}:0": hidden})
        unit = tf.reduce_sum(target.value(T(target.layer)))
        loss = -unit + l2 * tf.reduce_sum(hidden ** 2)
        train = tf.train.AdamOptimizer(learning_rate).minimize(loss, var_list=[raw])
        init = tf.global_variables_initializer()
    with new_session(graph) as sess:
        sess.run(init)
        for _ in range(steps):
            sess.run(train)
        optimum, value = sess.run([hidden, unit])
    window = _target_window(model, target, earlier, input_size)
    vectors = _window_vectors(optimum[0], window)
    return SpatialDecomposition(target, earlier, "optimized", "full", window, vectors, input_size,
                                objective_values=[float(value)])


@dataclass
class Attribution:
    """Attribution vectors (H, W, C) of a photo at a hidden layer, and how complete they are."""

    target: Target
    layer: str
    method: str
    vectors: np.ndarray
    target_delta: float  # u(A(X)) - u(baseline)
    steps: int

    @property
    def saliency(self):
        return self.vectors.sum(axis=-1)

    @property
    def attribution_sum(self):
        return float(self.vectors.sum())

    @property
    def gap(self):
        return self.target_delta - self.attribution_sum

    @property
    def ratio(self):
        return self.attribution_sum / self.target_delta if self.target_delta else float("nan")


def attribute(model, image, layer, target, method="ig", steps=64, input_size=None):
    """Attribute `target` to `layer`'s activations on `image`, against a zero baseline at `layer`."""
    input_size = input_size or model.default_size
    if method not in METHODS:
        raise BadInput(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    _check_pair(model, target, layer, input_size)
    pixels = load_image(image, input_size)
    size = model.spatial_size(layer, input_size)
    channels = model.layer(layer).channels
    alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps if method == "ig" else np.ones(1, np.float32)

    # Two imports of one graph: `T_image` gives A(X); `T_path` evaluates u on any A fed at `layer`.
    graph = tf.Graph()
    with graph.as_default():
        t_input = tf.placeholder(tf.float32, [1, input_size, input_size, 3])
        T_image = model.import_graph(t_input, scope="image", forget_xy_shape=False)
        t_acts = tf.placeholder(tf.float32, [None, size, size, channels])
        t_dummy = tf.zeros([1, input_size, input_size, 3])
        T_path = model.import_graph(t_dummy, scope="path", forget_xy_shape=False,
                                    input_map={f"{layer}:0": t_acts})
        unit = target.value(T_path(target.layer))
        grad = tf.gradients(tf.reduce_sum(unit), t_acts)[0]
    with new_session(graph) as sess:
        acts = sess.run(T_image(layer), {t_input: pixels[None]})[0]
        path_points = alphas[:, None, None, None] * acts[None]
        grads = sess.run(grad, {t_acts: path_points})
        u_image, u_base = sess.run(unit, {t_acts: np.stack([acts, np.zeros_like(acts)])})
    vectors = acts * grads.mean(axis=0)
    return Attribution(target, layer, method, vectors.astype(np.float32),
                       float(u_image - u_base), int(len(alphas)))


@dataclass
class Factors:
    """k channel directions (k, C) and their spatial maps (h, w, k)."""

    directions: np.ndarray
    maps: np.ndarray


def factorize(matrix, k, seed=0):
    """NMF of a non-negative (h, w, C) matrix into k factors, by Lucid's ChannelReducer."""
    channels = matrix.shape[-1]
    if not 1 <= k <= channels:
        raise BadInput(f"k={k} factors is out of range for {channels} channels: valid k is 1..{channels}")
    if (matrix < 0).any():
        raise BadInput("NMF needs a non-negative matrix: factor the positive or negative part")
    reducer = ChannelReducer(k, "NMF", random_state=seed, init="nndsvda", max_iter=1000)
    maps = reducer.fit_transform(matrix.astype(np.float64))
    return Factors(reducer.components.astype(np.float32), maps.astype(np.float32))


def structure_scores(decomposition):
    """How much a decomposition tells: (structure, off_centre).

    structure: 1 - mean cosine similarity between the window's components, weighted by norm
    (0 when every position wants the same thing); off_centre: the share of the norm away
    from the centre cell.
    """
    vectors = decomposition.positive.reshape(-1, decomposition.vectors.shape[-1])
    norms = np.linalg.norm(vectors, axis=1)
    if norms.sum() == 0:
        return 0.0, 0.0
    unit = vectors / np.maximum(norms[:, None], 1e-12)
    weights = norms / norms.sum()
    cosines = unit @ unit.T
    structure = 1.0 - float(weights @ cosines @ weights)
    centre = (decomposition.window.height // 2) * decomposition.window.width + decomposition.window.width // 2
    off_centre = 1.0 - float(norms[centre] / norms.sum())
    return structure, off_centre
