"""Feature visualization of many directions at one layer, as ONE batched Lucid optimization.

    renderer = Renderer(model, "block9", batch=25, settings=RenderSettings())
    rendering = renderer.render(vectors)          # (25, C) -> 25 images

Element i of the image batch maximizes `directions(...)` for vector i. The graph
(parameterization, transforms, model, optimizer) is built once per renderer and reused:
each render feeds new vectors and re-initializes the images, so that its pixels depend
only on its inputs (vectors and settings), never on what was rendered before. A unit's own
visualization is a direction too: a one-hot vector at its position (a neuron) or
averaged over positions (a channel).
"""

import functools
from dataclasses import dataclass, replace

import numpy as np
from tqdm import tqdm

from mechanics import transforms
from mechanics.decompose import new_session
from mechanics.errors import BadInput
from mechanics.lucid_tf2 import (gradient_override_map, objectives, param, redirected_relu6_grad,
                                  redirected_relu_grad, render, tf, transform)

DIRECTION_OBJECTIVES = ("dot", "cossim")
SPATIAL = ("neuron", "channel")
TRANSFORMS = ("fused", "lucid")
# Lucid's cossim objectives weight the dot product by cossim**pow; 2 strongly prefers
# the vector's own direction without ignoring its magnitude.
COSSIM_POW = 2.0
CHAINS = 2  # fixed, so that the same inputs give the same pixels anywhere; 2 cores made the figures


@dataclass(frozen=True)
class RenderSettings:
    size: int = 128
    steps: int = 256
    learning_rate: float = 0.05
    seed: int = 0
    objective: str = "dot"      # "dot" or "cossim"
    spatial: str = "neuron"     # "neuron": the layer's central position; "channel": every position
    transforms: str = "fused"   # "fused": transforms.standard_warp; "lucid": Lucid's standard_transforms
    # Lucid's render_vis (the notebooks' default) redirects ReLU gradients while global_step <= 16,
    # so that a unit which starts silent still gets a gradient: 17 steps. Lucid's redirection acts
    # only on an element whose ReLU gradient is zero everywhere, and a redirected step costs twice
    # a plain one, so the renderer takes them only when an element starts silent (objective 0).
    # On every figure, all elements start live (bench/bench_redirect.py).
    redirected_steps: int = 17

    def quick(self):
        """Few steps at a small size, for tests and drafts."""
        return replace(self, size=64, steps=24)

    def to_json(self):
        return {"size": self.size, "steps": self.steps, "learning_rate": self.learning_rate,
                "seed": self.seed, "objective": self.objective, "spatial": self.spatial,
                "cossim_pow": COSSIM_POW if self.objective == "cossim" else 0.0,
                "parameterization": "fft+decorrelate",
                "transforms": {"fused": "Lucid's standard_transforms as one warp per image",
                               "lucid": "Lucid's standard_transforms"}[self.transforms],
                "relu_gradient": f"redirected for the first {self.redirected_steps} steps if an element starts silent"}


@objectives.wrap_objective()
def directions(layer, t_vectors, values, spatial="neuron", cossim_pow=0.0):
    """Element i of the batch: dot(acts_i, v_i) * max(0.1, cossim)**cossim_pow, at the layer's
    centre (`spatial="neuron"`, the position Lucid's direction_neuron takes by default) or
    averaged over all positions ("channel"), as Lucid's direction_neuron / direction.

    `t_vectors` is a (batch, C) tensor fed at run time, so one graph serves any vectors;
    the per-element values are stored in `values["t"]`.
    """
    def inner(T):
        acts = T(layer)
        if spatial == "neuron":
            shape = tf.shape(acts)
            y, x = shape[1] // 2, shape[2] // 2
            acts = acts[:, y:y + 1, x:x + 1]
        v = t_vectors[:, None, None, :]
        dot = tf.reduce_sum(acts * v, -1)
        if cossim_pow:
            cossim = dot / (1e-4 + tf.norm(acts, axis=-1)) / (1e-4 + tf.norm(v, axis=-1))
            dot = dot * tf.maximum(0.1, cossim) ** cossim_pow
        values["t"] = tf.reduce_mean(dot, axis=[1, 2])
        return tf.reduce_sum(values["t"])
    return inner


def rgb_image(size, batch):
    """Lucid's `param.image(size, batch=batch, fft=True, decorrelate=True)`, value for value
    (same variable, same draws from numpy), without its two identity slices: their gradients
    copy the whole batch, about 10 ms of a 165 ms step at 25 x 128 px; nor its division of the
    image by 4, folded into the spectrum's scale."""
    freqs = param.spatial.rfft2d_freqs(size, size)
    spectrum = tf.Variable(np.random.normal(size=(2, batch, 3) + freqs.shape, scale=0.01).astype(np.float32))
    with tf.name_scope("inverse_fft"):
        real, imag = tf.unstack(spectrum)
        # Lucid divides the image by 4; dividing the spectrum's scale instead gives the same bits
        # (a power of two commutes with every rounding of the FFT) and saves a pass over the batch
        # each way.
        scale = size / np.maximum(freqs, 1.0 / size) / 4.0
        image = tf.spectral.irfft2d(scale * tf.complex(real, imag), fft_length=[size, size])
    with tf.name_scope("colour"):
        return param.to_valid_rgb(tf.transpose(image, (0, 2, 3, 1)), decorrelate=True, sigmoid=True)


@dataclass
class Rendering:
    images: np.ndarray          # (N, size, size, 3) in [0, 1]
    values: np.ndarray          # (N,) final objective values
    start_values: np.ndarray    # (N,) objective values of the random start


class Renderer:
    """A reusable batched render graph for directions at one layer of one model.

    The batch is split into CHAINS independent chains (image, transforms, model) that run side
    by side: on this 2-core CPU TensorFlow's ops gain only about 1.6x from a second thread, and
    some ops (a resampling's gradient) use one, so two half batches keep both cores busy.

    A render's pixels depend only on its vectors and the settings: each render restarts from
    the same initial images and optimizer state, and the fused transforms draw their parameters
    from stateless random ops seeded by (seed, step). Lucid's own chain draws from stateful ops,
    whose state lives in the session, so with `transforms="lucid"` each render opens a fresh one.
    """

    def __init__(self, model, layer, batch, settings=RenderSettings(), progress=True):
        if settings.objective not in DIRECTION_OBJECTIVES:
            raise BadInput(f"unknown objective {settings.objective!r}; valid: {', '.join(DIRECTION_OBJECTIVES)}")
        if settings.spatial not in SPATIAL:
            raise BadInput(f"unknown spatial {settings.spatial!r}; valid: {', '.join(SPATIAL)}")
        if settings.transforms not in TRANSFORMS:
            raise BadInput(f"unknown transforms {settings.transforms!r}; valid: {', '.join(TRANSFORMS)}")
        self.model, self.layer, self.batch, self.settings = model, layer, batch, settings
        self.channels = model.layer(layer).channels
        self.progress = progress
        chain_slices = [(int(part[0]), len(part)) for part in np.array_split(np.arange(batch), CHAINS) if len(part)]
        self.graph = tf.Graph()
        cossim_pow = COSSIM_POW if settings.objective == "cossim" else 0.0
        # Lucid's param.image draws its initial value from numpy's global generator.
        numpy_state = np.random.get_state()
        np.random.seed(settings.seed)
        with self.graph.as_default():
            tf.set_random_seed(settings.seed)
            self.t_vectors = tf.placeholder(tf.float32, [batch, self.channels], name="directions")
            self.t_step = tf.placeholder(tf.int32, [], name="step")
            if settings.transforms == "fused":
                warp_parameters = transforms.draw_parameters(batch, tf.stack([settings.seed, self.t_step]))
            chains = []
            for first, size in chain_slices:
                values = {}
                objective = directions(layer, self.t_vectors[first:first + size], values, settings.spatial, cossim_pow)
                if settings.transforms == "fused":
                    chain_parameters = warp_parameters[first:first + size]
                    transform_f = functools.partial(transforms.standard_warp, parameters=chain_parameters)
                else:
                    transform_f = transform.compose(transform.standard_transforms)
                chains.append((rgb_image(settings.size, size), transform_f, objective, values))
            self._optimizer = tf.train.AdamOptimizer(settings.learning_rate)
            self._chains = chains
            self.plain_op = self._optimization("import")
            self.images = tf.concat([image for image, _, _, _ in chains], 0)
            self.values = tf.concat([values["t"] for _, _, _, values in chains], 0)
            # Lucid's redirected ReLU gradient reads the global step; made here, so that `init`
            # covers it. It stays 0: the renderer itself switches to plain steps.
            tf.train.get_or_create_global_step()
            self.init = tf.global_variables_initializer()
        np.random.set_state(numpy_state)
        self._redirected_op = None
        self.session = new_session(self.graph)

    def _optimization(self, scope):
        """What Lucid's make_vis_T builds, once per chain: transforms, model, objective; then one
        Adam step for all chains."""
        losses = []
        for i, (image, transform_f, objective, _) in enumerate(self._chains):
            # Named scopes, so that a step's trace tells the renderer's parts apart
            # (bench/profile_render.py).
            with tf.name_scope("warp"):
                warped = transform_f(image)
            T = render.import_model(self.model, warped, image, scope=f"{scope}{i}")
            with tf.name_scope("objective"):
                losses.append(objective(T))
        return self._optimizer.minimize(-tf.add_n(losses))

    def redirected_op(self):
        """The optimization step with Lucid's redirected ReLU gradients, on the same images and
        optimizer state as `plain_op` (it makes no variable). Lucid's render_vis computes both
        kinds on every step, and its redirection keeps the model's ReLUs from being fused into
        their convolutions; here it is built only for a render that needs it (an element starts
        silent), which saves a second copy of the model and its gradient in every other graph."""
        if self._redirected_op is None:
            with self.graph.as_default(), gradient_override_map(
                    {"Relu": redirected_relu_grad, "Relu6": redirected_relu6_grad}):
                self._redirected_op = self._optimization("redirected")
        return self._redirected_op

    def render(self, vectors, description="render"):
        """Images for up to `batch` vectors (N, C); unused batch slots render a zero direction."""
        vectors = np.asarray(vectors, np.float32)
        n = len(vectors)
        if n > self.batch or vectors.shape[1:] != (self.channels,):
            raise BadInput(f"expected at most {self.batch} vectors of {self.channels} channels "
                           f"for {self.layer}, got {vectors.shape}")
        if self.settings.transforms == "lucid":
            self.session.close()
            self.session = new_session(self.graph)
        feed = {self.t_vectors: np.concatenate([vectors, np.zeros((self.batch - n, self.channels), np.float32)])}
        run = self.session.run
        run(self.init)
        # The same fetches as the final values: TensorFlow prepares one executor for both.
        _, start = run([self.images, self.values], {**feed, self.t_step: 0})
        redirected_steps = self.settings.redirected_steps if (start[:n] == 0).any() else 0
        redirected_op = self.redirected_op() if redirected_steps else None
        for step in tqdm(range(self.settings.steps), desc=description, leave=False, disable=not self.progress):
            op = redirected_op if step < redirected_steps else self.plain_op
            run(op, {**feed, self.t_step: step})
        images, values = run([self.images, self.values], {**feed, self.t_step: self.settings.steps})
        return Rendering(images[:n], values[:n], start[:n])

    def close(self):
        self.session.close()


def unit_vectors(channels, channel_ids):
    """One-hot directions: a neuron or channel objective expressed as directions."""
    vectors = np.zeros((len(channel_ids), channels), np.float32)
    vectors[np.arange(len(channel_ids)), channel_ids] = 1.0
    return vectors
