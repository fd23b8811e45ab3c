"""Do Lucid's redirected ReLU gradients help? Each figure's renders with and without them.

render_vis redirects ReLU gradients for the first 17 steps, so that a unit silent at the random
start still gets a gradient; the engine does so only when an element starts silent (objective
exactly 0), since the redirection acts on no other element. This renders, for every figure
script in figures_src/, one batch of what it renders (up to 25 of its components, at the
figure's own render settings) twice: with `redirected_steps=17` and with `0`, from the same
start. It prints `name: value` lines per figure: how many elements start silent, the mean final
objective of each run, their ratio and how many elements ended lower without it.

    .venv/bin/python bench/bench_redirect.py [FIGURE ...]
"""

import argparse
import importlib.util
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from mechanics import decompose, recipes  # noqa: E402
from mechanics.inputs import resolve_image  # noqa: E402
from mechanics.render import Renderer  # noqa: E402
from mechanics.zoo import load_model  # noqa: E402

BATCH = 25


def figure_spec(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FIGURE


def rendered_vectors(model, figure):
    """(layer, up to 25 vectors) that the figure renders: its first decomposition's positive
    part, or its first target's attribution vectors with the largest norms."""
    p = figure.params
    if "units" in p:
        layer, earlier, path, channels = p["units"][0]
        target = decompose.Target(layer, channels[0], model.centre(layer, p["input_size"]))
        d = decompose.spatial(model, target, earlier, "expanded", None, path, input_size=p["input_size"])
        return earlier, d.positive.reshape(-1, d.positive.shape[-1])
    if "targets" in p or "k" in p:
        layer = p.get("layer") or p["earlier"]
        target = decompose.Target.parse(p["targets"][0] if "targets" in p else p["target"])
        a = decompose.attribute(model, resolve_image(p["image"]), layer, target, "gradxact",
                                input_size=p.get("input_size", model.default_size))
        vectors = a.vectors.reshape(-1, a.vectors.shape[-1])
        return layer, vectors[np.argsort(-np.linalg.norm(vectors, axis=1))[:BATCH]]
    target = decompose.Target.parse(p["target"], p.get("at"))
    path = (p.get("paths") or [p.get("path", "full")])[0]
    d = decompose.spatial(model, target, p["earlier"], "expanded", None, path,
                          input_size=p.get("input_size", p.get("size", 128)))
    return p["earlier"], d.positive.reshape(-1, d.positive.shape[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures", nargs="*", help="figure names (default: every figure whose model is available)")
    args = parser.parse_args()
    paths = sorted((ROOT / "figures_src").glob("*.py"))
    for path in paths:
        if args.figures and path.stem not in args.figures:
            continue
        figure = figure_spec(path)
        if figure.kind == "atlas" or figure.model != "efficientnet_lite0":
            continue
        model = load_model(figure.model)
        layer, vectors = rendered_vectors(model, figure)
        vectors = vectors[np.linalg.norm(vectors, axis=1) > 1e-6][:BATCH]
        settings = recipes.settings_of(figure.params, quick=False)
        values = {}
        for steps in (settings.redirected_steps, 0):
            renderer = Renderer(model, layer, len(vectors), replace(settings, redirected_steps=steps), progress=False)
            rendering = renderer.render(vectors)
            values[steps], starts = rendering.values, rendering.start_values
            renderer.close()
        with_, without = values[settings.redirected_steps], values[0]
        print(f"{figure.name}_silent_at_start: {int((starts == 0).sum())}/{len(vectors)}")
        print(f"{figure.name}_objective_redirected: {with_.mean():.3f}")
        print(f"{figure.name}_objective_plain: {without.mean():.3f}")
        print(f"{figure.name}_plain_over_redirected: {without.mean() / with_.mean():.3f}")
        print(f"{figure.name}_elements_lower_plain: {int((without < with_ - 0.05 * np.abs(with_)).sum())}/{len(vectors)}",
              flush=True)


if __name__ == "__main__":
    main()
