"""Benchmark: decompose one EfficientNet-Lite0 neuron into its 25 window positions and render them.

Compares the engine (one batched optimization in a reused graph) with the naive way the
Lucid notebooks do it (one `render_vis` call per position, with render_vis's defaults), in the
same run, and prints `name: value` lines. Targets: speedup_vs_naive_lucid >= 4 where the
ceiling allows it (>= 4.6), step_over_forward_backward <= 1.2, ratio_to_ceiling >= 0.8,
peak_rss_gib <= 4. `onednn` is the state TensorFlow itself reports (TF_ENABLE_ONEDNN_OPTS
forces it); `--both-onednn` runs the whole bench once with oneDNN on and once off, each in a
child process.

Both sides run the same algorithm: render_vis redirects ReLU gradients for its first 17 steps,
and so does the engine; the engine draws the same transforms per image and applies them as one
warp (mechanics/transforms.py). For comparison, the naive way is also timed with the redirection
switched off for all steps (`speedup_vs_naive_lucid_plain_relu`), and the engine with Lucid's
exact transform chain (`engine_lucid_chain_s`), with `--all`.

    .venv/bin/python bench/bench_decompose.py [--steps 256] [--size 128] [--all] [--both-onednn]
"""

import argparse
import os
from dataclasses import replace
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from mechanics import decompose, transforms  # noqa: E402
from mechanics.lucid_tf2 import objectives, param, render, tf, transform  # noqa: E402
from mechanics.render import CHAINS, Renderer, RenderSettings  # noqa: E402
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
    rendering = renderer.render(vectors)
    end = time.perf_counter()
    renderer.close()
    return end - start, (end - render_start) / settings.steps, vectors, rendering


def naive(model, vectors, settings, relu_gradient_override=True):
    """One render_vis per position, as in Lucid's notebooks (which keep its default
    relu_gradient_override=True)."""
    start = time.perf_counter()
    for vector in vectors:
        render.render_vis(model, objectives.direction_neuron(EARLIER, vector),
                          param_f=lambda: param.image(settings.size, fft=True, decorrelate=True),
                          optimizer=tf.train.AdamOptimizer(settings.learning_rate),
                          transforms=transform.standard_transforms, thresholds=(settings.steps,),
                          verbose=False, relu_gradient_override=relu_gradient_override)
    return time.perf_counter() - start


def forward_backward(model, vectors, size, parts, repeats=5):
    """Seconds for one pure forward+backward of the same batch, split into `parts` run side by
    side: the objective's gradient with respect to the model's input, at the size the model
    sees (the fused warp's output)."""
    side = transforms.output_size(size)
    graph = tf.Graph()
    with graph.as_default():
        feed, gradients = {}, []
        for i, part in enumerate(np.array_split(vectors, parts)):
            t_input = tf.placeholder(tf.float32, [len(part), side, side, 3])
            acts = render.import_model(model, t_input, scope=f"import{i}")(EARLIER)
            y, x = model.centre(EARLIER, side)
            gradients.append(tf.gradients(tf.reduce_sum(acts[:, y, x, :] * part), t_input)[0])
            feed[t_input] = np.random.RandomState(i).rand(len(part), side, side, 3).astype(np.float32)
    with decompose.new_session(graph) as sess:
        sess.run(gradients, feed)
        start = time.perf_counter()
        for _ in range(repeats):
            sess.run(gradients, feed)
    return (time.perf_counter() - start) / repeats


def fastest_forward_backward(model, vectors, size):
    """The faster of the two ways to run it: one batch, or CHAINS parts side by side as the
    renderer runs its batch."""
    return min(forward_backward(model, vectors, size, parts) for parts in (1, CHAINS))


def onednn_state():
    """oneDNN on or off, as TensorFlow reports it for this process."""
    from tensorflow.python.util import _pywrap_util_port
    return "on" if _pywrap_util_port.IsMklEnabled() else "off"


def both_onednn_states(arguments):
    """This bench in two child processes, oneDNN on then off; their lines, each prefixed."""
    for state, flag in (("on", "1"), ("off", "0")):
        child = subprocess.run([sys.executable, __file__, *arguments], env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": flag},
                               capture_output=True, text=True, check=True)
        for line in child.stdout.splitlines():
            print(f"onednn_{state}.{line}", flush=True)


def graph_build_times():
    from mechanics import zoo
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
    parser.add_argument("--all", action="store_true",
                        help="also time the engine with Lucid's chain and render_vis without its ReLU redirection")
    parser.add_argument("--both-onednn", action="store_true",
                        help="run the bench with oneDNN on, then off, each in a child process")
    args = parser.parse_args()
    if args.both_onednn:
        both_onednn_states([a for a in sys.argv[1:] if a != "--both-onednn"])
        return
    print(f"onednn: {onednn_state()}")
    print(f"load_average_1min: {os.getloadavg()[0]:.1f}")
    settings = RenderSettings(size=args.size, steps=args.steps)

    cold, cached = graph_build_times()
    print(f"graph_build_cold_s: {cold:.2f}")
    print(f"graph_build_cached_s: {cached:.2f}")
    model = load_model("efficientnet_lite0")
    engine_s, step_s, vectors, fused = engine(model, settings)
    engine_peak = peak_rss_gib()
    pure_s = fastest_forward_backward(model, vectors, settings.size)
    naive_s = naive(model, vectors, settings)
    print(f"positions: {len(vectors)}")
    print(f"steps: {settings.steps}")
    print(f"engine_s: {engine_s:.1f}")
    print(f"images_per_second: {len(vectors) / engine_s:.3f}")
    print(f"objective_mean_fused: {fused.values.mean():.2f}")
    print(f"naive_lucid_s: {naive_s:.1f}")
    print(f"speedup_vs_naive_lucid: {naive_s / engine_s:.2f}")
    # No renderer of this batch can beat a pure forward+backward per step: the best speedup
    # this machine allows against the naive way, whatever the transforms cost.
    ceiling = naive_s / (pure_s * settings.steps)
    print(f"speedup_ceiling_vs_naive_lucid: {ceiling:.2f}")
    print(f"ratio_to_ceiling: {naive_s / engine_s / ceiling:.2f}")
    if args.all:
        lucid_chain_s, _, _, chained = engine(model, replace(settings, transforms="lucid"))
        print(f"engine_lucid_chain_s: {lucid_chain_s:.1f}")
        print(f"objective_mean_lucid_chain: {chained.values.mean():.2f}")
        naive_plain_s = naive(model, vectors, settings, relu_gradient_override=False)
        print(f"naive_lucid_plain_relu_s: {naive_plain_s:.1f}")
        print(f"speedup_vs_naive_lucid_plain_relu: {naive_plain_s / engine_s:.2f}")
    print(f"ms_per_image_step: {1000 * step_s / len(vectors):.2f}")
    print(f"step_over_forward_backward: {step_s / pure_s:.2f}")
    print(f"peak_rss_gib_engine: {engine_peak:.2f}")
    print(f"peak_rss_gib: {peak_rss_gib():.2f}")


if __name__ == "__main__":
    main()
