"""Profile: where one render step's time goes, per operation, from TensorFlow's step trace.

Builds the bench's renderer (EfficientNet-Lite0 block9, 25 directions, 128 px), runs a few
plain steps with a full trace, and prints `name: value` lines: milliseconds per step of op
time, summed over both chains, for the model (forward and backward) and each of the
renderer's own parts, and the oneDNN state TensorFlow reports.

    .venv/bin/python bench/profile_render.py [--steps 5] [--size 128]
"""

import argparse
import collections
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from mechanics.lucid_tf2 import tf  # noqa: E402
from mechanics.render import Renderer, RenderSettings  # noqa: E402
from mechanics.zoo import load_model  # noqa: E402

LAYER = "block9"
BATCH = 25


def onednn_state():
    """What TensorFlow itself reports: oneDNN on or off in this process."""
    from tensorflow.python.util import _pywrap_util_port
    return "on" if _pywrap_util_port.IsMklEnabled() else "off"


def part(node_name, op_type):
    """The renderer part a traced op belongs to: the model, or one of the renderer's own.
    Op names are per-step totals over both chains, with tracing's overhead: compare them
    with each other, not with a step's wall time."""
    name = node_name.split(":")[0]
    if "/import" in name or name.startswith("import"):
        return "model"
    if "Adam" in name or op_type.startswith("ApplyAdam") or op_type.startswith("ResourceApplyAdam"):
        return "adam"
    lowered = name.lower()
    for scope in ("inverse_fft", "colour", "warp", "objective"):  # the renderer's name scopes
        if f"{scope}/" in lowered or lowered.startswith(f"{scope}_") or f"/{scope}_" in lowered:
            return scope
    # Unscoped (an older renderer): by name and op type.
    if "fft" in lowered or "complex" in lowered or "spectrum" in lowered or "unstack" in lowered \
            or "irfft" in op_type.lower() or "dft" in lowered:
        return "inverse_fft"
    if "imageprojectivetransform" in lowered or "warp" in lowered or op_type.startswith("ImageProjective") \
            or "stateless" in lowered or "inside" in lowered:
        return "warp"
    if "to_valid_rgb" in lowered or "sigmoid" in lowered or "decorrel" in lowered or "transpose" in lowered \
            or "truediv" in lowered or "matmul" in lowered or "reshape" in lowered:
        return "colour"
    if "directions" in lowered or "strided_slice" in lowered or "mul" in lowered or "sum" in lowered \
            or "mean" in lowered or "addn" in lowered or "add_n" in lowered:
        return "objective"
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--ops", type=int, default=0, help="also print the N costliest non-model ops")
    args = parser.parse_args()
    print(f"onednn: {onednn_state()}")
    model = load_model("efficientnet_lite0")
    renderer = Renderer(model, LAYER, BATCH, RenderSettings(size=args.size), progress=False)
    channels = renderer.channels
    feed = {renderer.t_vectors: np.random.RandomState(0).rand(BATCH, channels).astype(np.float32)}
    run = renderer.session.run
    run(renderer.init)
    for step in range(2):  # warm-up
        run(renderer.plain_op, {**feed, renderer.t_step: step})
    by_part, by_op = collections.Counter(), collections.Counter()
    for step in range(args.steps):
        metadata = tf.RunMetadata()
        run(renderer.plain_op, {**feed, renderer.t_step: step},
            options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=metadata)
        for device in metadata.step_stats.dev_stats:
            for node in device.node_stats:
                if node.node_name in ("_SOURCE", "_SINK"):
                    continue
                op_type = node.timeline_label.split("(")[0].split("=")[-1].strip()
                milliseconds = (node.all_end_rel_micros or node.op_end_rel_micros) / 1000.0
                name = node.node_name
                group = part(name, op_type)
                by_part[group] += milliseconds / args.steps
                if group != "model":
                    by_op[f"{group} {name} [{op_type}]"] += milliseconds / args.steps
    renderer.close()
    total = sum(by_part.values())
    for group, milliseconds in sorted(by_part.items(), key=lambda kv: -kv[1]):
        print(f"{group}_op_ms_per_step: {milliseconds:.1f}")
    print(f"renderer_own_over_model: {(total - by_part['model']) / by_part['model']:.3f}")
    for name, milliseconds in by_op.most_common(args.ops):
        print(f"  {milliseconds:7.2f} ms  {name}")


if __name__ == "__main__":
    main()
