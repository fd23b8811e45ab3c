"""Feature visualization of many directions at one layer, as ONE batched Lucid optimization.

    renderer = Renderer(model, "block9", batch=25, settings=RenderSettings())
    rendering = renderer.render(vectors)          # (25, C) -> 25 images

Element i of the image batch maximizes `directions(...)` for vector i. The graph
(parameterization, transforms, model, optimizer) is built once per renderer and reused:
each render feeds new vectors and re-initializes the images. A unit's own
visualization is a direction too: a one-hot vector at its position (a neuron) or
averaged over positions (a channel).
"""

from dataclasses import dataclass, replace

import numpy as np
from tqdm import tqdm

from mechanics.errors import BadInput
from mechanics.lucid_tf2 import objectives, param, render, tf, transform

DIRECTION_OBJECTIVES = ("dot", "cossim")
# Lucid's cossim objectives weight the dot product by cossim**pow; 2 strongly prefers
# the vector's own direction without ignoring its magnitude.
COSSIM_POW = 2.0


@dataclass(frozen=True)
class RenderSettings:
    size: int = 128
    steps: int = 256
    learning_rate: float = 0.05
    seed: int = 0
    objective: str = "dot"      # "dot" or "cossim"
    spatial: str = "neuron"     # "neuron": the layer's central position; "channel": every position

    def quick(self):
        """Few steps at a small size, for tests and drafts."""
        return replace(self, size=64, steps=24)

    def to_json(self):
        return {"size": self.size, "steps": self.steps, "learning_rate": self.learning_rate,
                "seed": self.seed, "objective": self.objective, "spatial": self.spatial,
                "cossim_pow": COSSIM_POW if self.objective == "cossim" else 0.0,
                "parameterization": "fft+decorrelate", "transforms": "lucid standard_transforms"}


@objectives.wrap_objective()
def directions(layer, t_vectors, values, position=None, cossim_pow=0.0):
    """Element i of the batch: dot(acts_i, v_i) * max(0.1, cossim)**cossim_pow, at `position`
    (y, x) or averaged over all positions, as Lucid's direction_neuron / direction.

    `t_vectors` is a (batch, C) tensor fed at run time, so one graph serves any vectors;
    the per-element values are stored in `values["t"]`.
    """
    def inner(T):
        acts = T(layer)
        if position is not None:
            y, x = position
            acts = acts[:, y:y + 1, x:x + 1]
        v = t_vectors[:, None, None, :]
        dot = tf.reduce_sum(acts * v, -1)
        if cossim_pow:
            cossim = dot / (1e-4 + tf.norm(acts, axis=-1)) / (1e-4 + tf.norm(v, axis=-1))
            dot = dot * tf.maximum(0.1, cossim) ** cossim_pow
        values["t"] = tf.reduce_mean(dot, axis=[1, 2])
        return tf.reduce_sum(values["t"])
    return inner


@dataclass
class Rendering:
    images: np.ndarray          # (N, size, size, 3) in [0, 1]
    values: np.ndarray          # (N,) final objective values
    start_values: np.ndarray    # (N,) objective values of the random start


class Renderer:
    """A reusable batched render graph for directions at one layer of one model."""

    def __init__(self, model, layer, batch, settings=RenderSettings(), progress=True):
        if settings.objective not in DIRECTION_OBJECTIVES:
            raise BadInput(f"unknown objective {settings.objective!r}; valid: {', '.join(DIRECTION_OBJECTIVES)}")
        self.model, self.layer, self.batch, self.settings = model, layer, batch, settings
        self.channels = model.layer(layer).channels
        self.progress = progress
        self.graph = tf.Graph()
        self.session = tf.Session(graph=self.graph, config=tf.ConfigProto(
            intra_op_parallelism_threads=2, inter_op_parallelism_threads=1))
        position = model.centre(layer, settings.size) if settings.spatial == "neuron" else None
        self._values = {}
        # Lucid's param.image draws its initial value from numpy's global generator.
        numpy_state = np.random.get_state()
        np.random.seed(settings.seed)
        with self.graph.as_default(), self.session.as_default():
            tf.set_random_seed(settings.seed)
            self.t_vectors = tf.placeholder(tf.float32, [batch, self.channels], name="directions")
            objective = directions(layer, self.t_vectors, self._values, position,
                                   COSSIM_POW if settings.objective == "cossim" else 0.0)
            self.T = render.make_vis_T(
                model, objective,
                param_f=lambda: param.image(settings.size, batch=batch, fft=True, decorrelate=True),
                optimizer=tf.train.AdamOptimizer(settings.learning_rate),
                transforms=transform.standard_transforms)
            self.init = tf.global_variables_initializer()
        np.random.set_state(numpy_state)
        self.graph.finalize()

    def render(self, vectors, description="render"):
        """Images for up to `batch` vectors (N, C); unused batch slots render a zero direction."""
        vectors = np.asarray(vectors, np.float32)
        n = len(vectors)
        if n > self.batch or vectors.shape[1:] != (self.channels,):
            raise BadInput(f"expected at most {self.batch} vectors of {self.channels} channels "
                           f"for {self.layer}, got {vectors.shape}")
        feed = {self.t_vectors: np.concatenate([vectors, np.zeros((self.batch - n, self.channels), np.float32)])}
        run = self.session.run
        run(self.init)
        start = run(self._values["t"], feed)
        vis_op = self.T("vis_op")
        for _ in tqdm(range(self.settings.steps), desc=description, leave=False, disable=not self.progress):
            run(vis_op, feed)
        images, values = run([self.T("input"), self._values["t"]], feed)
        return Rendering(images[:n], values[:n], start[:n])

    def close(self):
        self.session.close()


def unit_vectors(channels, channel_ids):
    """One-hot directions: a neuron or channel objective expressed as directions."""
    vectors = np.zeros((len(channel_ids), channels), np.float32)
    vectors[np.arange(len(channel_ids)), channel_ids] = 1.0
    return vectors
