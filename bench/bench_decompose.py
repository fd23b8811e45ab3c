"""Benchmark: decompose one EfficientNet-Lite0 neuron into its 25 window positions and render them.

Compares the engine (one batched optimization in a reused graph) with the naive way the
Lucid notebooks do it (one `render_vis` call per position), in the same run, and prints
`name: value` lines. Targets: speedup_vs_naive_lucid >= 4, step_over_forward_backward <= 1.3,
peak_rss_gib <= 4.

    .venv/bin/python bench/bench_decompose.py [--steps 256] [--size 128]
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from mechanics import decompose  # noqa: E402
from mechanics.lucid_tf2 import objectives, param, render, tf, transform  # noqa: E402
from mechanics.render import Renderer, RenderSettings  # noqa: E402
from mechanics.zoo import load_model  # noqa: E402

TARGET = decompose.Target("block10", 101, (4, 4))
EARLIER = "block9"


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def engine(model, settings):
    """End to end: decomposition, graph build, one batched render of all positions."""
    start = time.perf_counter()
    d = decompose.spatial(model, TARGET, EARLIER, input_size=settings.size)
    vectors = d.positive.reshape(-1, d.positive.shape[-1])
    renderer = Renderer(model, EARLIER, len(vectors), settings, progress=False)
    render_start = time.perf_counter()
    renderer.render(vectors)
    end = time.perf_counter()
    return end - start, (end - render_start) / settings.steps, vectors


def naive(model, vectors, settings):
    """One render_vis per position, as in Lucid's notebooks."""
    start = time.perf_counter()
    for vector in vectors:
        render.render_vis(model, objectives.direction_neuron(EARLIER, vector),
                          param_f=lambda: param.image(settings.size, fft=True, decorrelate=True),
                          optimizer=tf.train.AdamOptimizer(settings.learning_rate),
                          transforms=transform.standard_transforms, thresholds=(settings.steps,),
                          verbose=False, relu_gradient_override=False)
    return time.perf_counter() - start


def forward_backward(model, vectors, size, repeats=10):
    """Seconds for one pure forward+backward of the same batch, at the transformed size."""
    padded = size + 2 * 12  # standard_transforms pad by 12 px on each side
    graph, t_input, T = decompose.import_graph(model, padded, batch=len(vectors))
    with graph.as_default():
        y, x = model.centre(EARLIER, padded)
        objective = tf.reduce_sum(T(EARLIER)[:, y, x, :] * vectors)
        gradient = tf.gradients(objective, t_input)[0]
    with decompose.new_session(graph) as sess:
        feed = {t_input: np.random.RandomState(0).rand(len(vectors), padded, padded, 3).astype(np.float32)}
        sess.run(gradient, feed)
        start = time.perf_counter()
        for _ in range(repeats):
            sess.run(gradient, feed)
    return (time.perf_counter() - start) / repeats


def graph_build_times():
    from mechanics import efficientnet, zoo
    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        zoo.load_model.cache_clear()
        start = time.perf_counter()
        zoo.load_model("efficientnet_lite0")
        cold = time.perf_counter() - start
        zoo.load_model.cache_clear()
        start = time.perf_counter()
        zoo.load_model("efficientnet_lite0")
        cached = time.perf_counter() - start
    del os.environ["XDG_CACHE_HOME"]
    zoo.load_model.cache_clear()
    return cold, cached


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    settings = RenderSettings(size=args.size, steps=args.steps)

    cold, cached = graph_build_times()
    print(f"graph_build_cold_s: {cold:.2f}")
    print(f"graph_build_cached_s: {cached:.2f}")
    model = load_model("efficientnet_lite0")
    engine_s, step_s, vectors = engine(model, settings)
    engine_peak = peak_rss_gib()
    pure_s = forward_backward(model, vectors, settings.size)
    naive_s = naive(model, vectors, settings)
    print(f"positions: {len(vectors)}")
    print(f"steps: {settings.steps}")
    print(f"engine_s: {engine_s:.1f}")
    print(f"naive_lucid_s: {naive_s:.1f}")
    print(f"speedup_vs_naive_lucid: {naive_s / engine_s:.2f}")
    print(f"ms_per_image_step: {1000 * step_s / len(vectors):.2f}")
    print(f"step_over_forward_backward: {step_s / pure_s:.2f}")
    print(f"peak_rss_gib_engine: {engine_peak:.2f}")
    print(f"peak_rss_gib: {peak_rss_gib():.2f}")


if __name__ == "__main__":
    main()
