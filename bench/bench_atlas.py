"""Benchmark: the EfficientNet-Lite0 atlas's work items, in-process and on a 2-worker local Ray.

Runs a few neurons of the committed atlas (figures_src/atlas_efficientnet_lite0_block10.py, its full
render settings) in a scratch cache, and prints `name: value` lines:
- seconds per "cells" item (one neuron's 25 components) and per "units" item (25 neurons' own
  renders), in-process, and from them neurons per minute (a neuron is one cells item and 1/25 of
  a units item) and per minute per core;
- the same neurons on a local Ray instance with 2 workers, start-up included;
- Ray's start-up cost (ray.init of a local instance, then one trivial task);
- an interrupted run (kill -9 after some items, quick settings): items resumed and recomputed.

    .venv/bin/python bench/bench_atlas.py [--neurons 4]
"""

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ray  # noqa: E402  (before mechanics, as Ray expects; see lucid_tf2's IPython stand-in)

from mechanics import atlas  # noqa: E402
from mechanics.storage import cache_dir  # noqa: E402


def atlas_spec():
    import importlib.util
    spec = importlib.util.spec_from_file_location("atlas_spec", ROOT / "figures_src" / "atlas_efficientnet_lite0_block10.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FIGURE


def scratch_cache(graphs_from):
    """A fresh cache folder holding only the model graphs already built (not worth timing)."""
    root = Path(tempfile.mkdtemp(prefix="nm-bench-", dir="/tmp"))
    (root / "neuron-mechanics").mkdir()
    for path in graphs_from.glob("*.pb*"):
        shutil.copy(path, root / "neuron-mechanics" / path.name)
    os.environ["XDG_CACHE_HOME"] = str(root)
    return root


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measured(function):
    """(wall seconds, CPU seconds of this process): on a shared machine CPU time is the steadier."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = timed(function)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def ray_startup_s():
    @ray.remote(num_cpus=1)
    def nothing():
        return 0
    start = time.perf_counter()
    ray.init(address="local", num_cpus=2, _temp_dir=str(atlas.ray_temp_dir()), include_dashboard=False,
             logging_level="WARNING")
    ray.get(nothing.remote())
    elapsed = time.perf_counter() - start
    ray.shutdown()
    return elapsed


def interrupted_run(figure, model_name, after):
    """Kill -9 a quick in-process run once `after` items are done; rerun; (resumed, recomputed)."""
    code = ("import sys; sys.path.insert(0, {root!r}); from mechanics import atlas; "
            "from mechanics.figure_spec import FigureSpec; "
            "atlas.build({out!r}, FigureSpec(**{spec!r}), True, progress=False)")
    out = Path(tempfile.mkdtemp(prefix="nm-bench-out-", dir="/tmp"))
    spec = dict(name=figure.name, kind=figure.kind, title=figure.title, caption=figure.caption,
                model=figure.model, params=figure.params)
    run = subprocess.Popen([sys.executable, "-c", code.format(root=str(ROOT), out=str(out), spec=spec)], cwd=ROOT)
    items_dir = cache_dir() / "atlas-items"
    while run.poll() is None and len(list(items_dir.glob("*.npz"))) < after:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    from mechanics.zoo import load_model
    items = atlas.plan(figure, True, load_model(model_name), atlas.model_id(model_name))
    resumed = atlas.status(figure, True)[0]
    recomputed = atlas.run_items(items, model_name, progress=False)
    shutil.rmtree(out, ignore_errors=True)
    return resumed, recomputed, len(items)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=4, help="neurons of block9 to compute (default 4)")
    args = parser.parse_args()
    base = atlas_spec()
    figure = replace(base, name="atlas_bench", params={**base.params, "layers": [
        ["block9", "block8", "branch", list(range(args.neurons))]]})
    graphs = cache_dir()
    from mechanics.zoo import load_model
    load_model(base.model)  # builds and caches the graph once, outside the timings
    print(f"cores: {os.cpu_count()}")
    print(f"load_average_1min: {os.getloadavg()[0]:.1f}")

    scratch = scratch_cache(graphs)
    model = load_model(base.model)
    items = atlas.plan(figure, False, model, atlas.model_id(base.model))
    cells = [item for item in items if item.kind == "cells"]
    units = [item for item in items if item.kind == "units"]
    # The first item of each kind builds its renderer graph; time the rest apart.
    first_wall, _ = measured(lambda: atlas.run_items(cells[:1], base.model, progress=False))
    cells_wall, cells_cpu = (t / max(len(cells) - 1, 1) for t in
                             measured(lambda: atlas.run_items(cells[1:], base.model, progress=False)))
    units_wall, units_cpu = measured(lambda: atlas.run_items(units, base.model, progress=False))
    print(f"renderer_graph_build_s: {first_wall - cells_wall:.1f}")
    print(f"cells_item_s: {cells_wall:.1f}")
    print(f"cells_item_cpu_s: {cells_cpu:.1f}")
    print(f"units_item_s: {units_wall:.1f}")
    print(f"units_item_cpu_s: {units_cpu:.1f}")
    print(f"in_process_neurons_per_minute: {60 / (cells_wall + units_wall / atlas.BATCH):.2f}")
    print(f"neurons_per_minute_per_core: {60 / (cells_cpu + units_cpu / atlas.BATCH):.2f}  (from CPU time)")
    shutil.rmtree(scratch, ignore_errors=True)

    scratch = scratch_cache(graphs)
    print(f"ray_startup_s: {ray_startup_s():.1f}")
    items = atlas.plan(figure, False, model, atlas.model_id(base.model))
    wall = timed(lambda: atlas.run_items(items, base.model, workers=2, progress=False))
    print(f"ray_2_workers_neurons_per_minute: {args.neurons * 60 / wall:.2f}  (start-up and graph builds included)")
    shutil.rmtree(scratch, ignore_errors=True)

    scratch = scratch_cache(graphs)
    resumed, recomputed, total = interrupted_run(figure, base.model, after=max(2, args.neurons // 2))
    print(f"interrupted_items_resumed: {resumed}")
    print(f"interrupted_items_recomputed: {recomputed}")
    print(f"interrupted_items_total: {total}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
