"""The atlas: work items and their keys, resuming after kill -9, and Ray (a two-node cluster
from Ray's own test fixture) giving the same files as the in-process run, even when a worker
is killed mid-run."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mechanics import atlas, decompose
from mechanics.contract import validate_figure
from mechanics.errors import BadInput
from mechanics.figure_spec import FigureSpec

from tiny_models import conv_chain

REPO = Path(__file__).resolve().parents[1]
# l2 reads a 3x3 window of l1; four units give four "cells" items and one "units" item.
FIGURE = FigureSpec("atlas_tiny", "atlas", "Tiny atlas", "A test atlas.", "tiny",
                    dict(layers=[["l2", "l1", "full", [0, 1, 2, 3]]], input_size=12, size=32, steps=30,
                         learning_rate=0.2, seed=0))
ITEMS = 5


@pytest.fixture(scope="module")
def model():
    return conv_chain()[0]


def short_dir(prefix):
    """Ray's socket paths must stay under 107 characters: pytest's tmp_path is too deep."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture
def cache(monkeypatch):
    path = short_dir("nm-cache-")
    monkeypatch.setenv("XDG_CACHE_HOME", str(path))
    yield path / "neuron-mechanics"
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def reference(model, tmp_path_factory):
    """The tiny atlas computed in-process, in a cache of its own."""
    out = tmp_path_factory.mktemp("reference") / FIGURE.name
    out.mkdir()
    cache_root = short_dir("nm-ref-")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache_root))
        atlas.build(out, FIGURE, False, model=model, progress=False)
    shutil.rmtree(cache_root, ignore_errors=True)
    return out


def same_files(a, b):
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    return [name for name in names if (a / name).read_bytes() != (b / name).read_bytes()]


def test_work_items_cover_every_unit_and_their_keys_follow_their_inputs(model, cache):
    items = atlas.plan(FIGURE, False, model, atlas.model_id(model))
    assert [(i.kind, i.channels) for i in items] == [("cells", (0,)), ("cells", (1,)), ("cells", (2,)),
                                                      ("cells", (3,)), ("units", (0, 1, 2, 3))]
    keys = [i.key for i in items]
    assert len(set(keys)) == len(keys)
    reworded = replace(FIGURE, caption="Other words.")
    assert [i.key for i in atlas.plan(reworded, False, model, atlas.model_id(model))] == keys

    def changed(figure=FIGURE, quick=False, other_model=model):
        return {i.key for i in atlas.plan(figure, quick, other_model, atlas.model_id(other_model))} & set(keys)
    assert not changed(replace(FIGURE, params={**FIGURE.params, "steps": 31}))
    assert not changed(replace(FIGURE, params={**FIGURE.params, "seed": 1}))
    assert not changed(quick=True)
    assert not changed(other_model=conv_chain(seed=1)[0])
    # Adding a channel adds its items and keeps the others.
    more = replace(FIGURE, params={**FIGURE.params, "layers": [["l2", "l1", "full", [0, 1, 2, 3, 4]]]})
    assert len(changed(more)) == ITEMS - 1


def test_status_counts_done_items_without_tensorflow(model, cache, tmp_path):
    assert atlas.status(FIGURE, False, model) == (0, None)
    items = atlas.plan(FIGURE, False, model, atlas.model_id(model))
    assert atlas.status(FIGURE, False, model) == (0, ITEMS)
    atlas.run_items(items[:2], model, progress=False)
    assert atlas.status(FIGURE, False, model) == (2, ITEMS)
    # A zoo model's status in a fresh interpreter: no TensorFlow, no Ray.
    code = ("import sys; from mechanics import atlas; from mechanics.figure_spec import FigureSpec; "
            "f = FigureSpec('a', 'atlas', 't', 'c', 'efficientnet_lite0', {'layers': [['block9', 'block8', 'branch']]}); "
            "print(atlas.status(f), sorted(m for m in ('tensorflow', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "(0, None) []"


@pytest.mark.parametrize("layers, message", [
    ([["l9", "l1", "full"]], "params.layers[0] model tiny has no layer 'l9'"),
    ([["l1", "l2", "full"]], "params.layers[0] layer 'l2' is not upstream of 'l1'"),
    ([["l2", "l1", "branch"]], "path 'branch' is not valid for l2: valid paths: full"),
    ([["l2", "l1", "full", [6]]], "channel 6 is out of range for l2: valid channels are 0..5"),
    ([["l2", "l1"]], "params.layers[0] is ['l2', 'l1'], expected [layer, earlier, path]"),
    ([["l2", "l1", "full"], ["l2", "l0", "full"]], "params.layers names a layer twice"),
])
def test_bad_layers_are_named(model, cache, layers, message):
    figure = replace(FIGURE, params={**FIGURE.params, "layers": layers})
    with pytest.raises(BadInput) as info:
        atlas.plan(figure, False, model, atlas.model_id(model))
    assert str(info.value).startswith("figure 'atlas_tiny': ") and message in str(info.value)


def test_the_atlas_holds_each_units_decomposition_and_passes_the_contract(model, reference):
    figure = validate_figure(FIGURE.name, reference)
    assert figure["kind"] == "atlas" and figure["layers"][0]["units"] == 4
    layer = json.loads((reference / "l2.json").read_text())
    assert layer["window"] == {"height": 3, "width": 3} and layer["position"] == [6, 6]
    for unit in layer["units"]:
        d = decompose.spatial(model, decompose.Target("l2", unit["channel"], (6, 6)), "l1", input_size=12)
        np.testing.assert_allclose([c["norm"] for c in unit["cells"]], np.linalg.norm(d.positive, axis=-1).ravel(),
                                   rtol=1e-5)
        top = [c["top_channels"][0]["channel"] for c in unit["cells"] if c["top_channels"]]
        assert top == [int(np.argmax(v)) for v in d.positive.reshape(-1, 5) if v.max() > 0]


def test_an_atlas_run_killed_by_sigkill_resumes_on_local_ray_losing_only_the_items_in_flight(model, cache, reference, tmp_path):
    script = ("import sys; sys.path.insert(0, 'tests'); from tiny_models import conv_chain; "
              "from test_atlas import FIGURE; from mechanics import atlas; "
              f"atlas.build({str(tmp_path / 'killed')!r}, FIGURE, False, model=conv_chain()[0], progress=False)")
    (tmp_path / "killed").mkdir()
    run = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=os.environ.copy())
    items_dir = cache / "atlas-items"
    try:
        while run.poll() is None and len(list(items_dir.glob("*.npz"))) < 2:
            time.sleep(0.05)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    survived = {p.name: p.stat().st_mtime_ns for p in items_dir.glob("*.npz")}
    assert 2 <= len(survived) < ITEMS, "killed mid-run"
    out = tmp_path / FIGURE.name
    out.mkdir()
    # The rest on a local Ray instance (`workers`), whose session folder goes under the cache.
    items = atlas.plan(FIGURE, False, model, atlas.model_id(model))
    assert atlas.run_items(items, model, workers=1, progress=False) == ITEMS - len(survived)
    assert {p.name: p.stat().st_mtime_ns for p in items_dir.glob("*.npz") if p.name in survived} == survived
    assert list((cache / "ray").glob("session_*"))
    atlas.build(out, FIGURE, False, model=model, progress=False)
    assert same_files(out, reference) == []


# -- Ray ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """Ray's own multi-node fixture: a head and one added node, 2 CPUs each (one task each)."""
    import ray.cluster_utils
    temp = short_dir("nm-ray-")
    (temp / "ray").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_TMPDIR", str(temp))  # the cluster's sessions and address file, not /tmp/ray
        cluster = ray.cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
        cluster.add_node(num_cpus=2)
        yield cluster
        cluster.shutdown()  # only the processes of this cluster
    shutil.rmtree(temp, ignore_errors=True)


def descendants(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit():
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def running_item_workers():
    """This test's Ray workers that are running an item (Ray titles them ray::<task>)."""
    pids = []
    for pid in descendants(os.getpid()):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::compute_item"):
                pids.append(pid)
        except OSError:
            pass
    return pids


def test_a_two_node_ray_cluster_writes_the_same_files_as_the_in_process_run(model, cache, cluster, reference, tmp_path):
    out = tmp_path / FIGURE.name
    out.mkdir()
    atlas.build(out, FIGURE, False, model=model, ray_address=cluster.address, progress=False)
    assert same_files(out, reference) == []
    assert atlas.status(FIGURE, False, model) == (ITEMS, ITEMS)


def test_a_worker_killed_mid_run_is_retried_by_ray_and_nothing_is_lost(model, cache, cluster, reference, tmp_path):
    killed = []

    def kill_one_worker():
        deadline = time.time() + 120
        while not killed and time.time() < deadline:
            for pid in running_item_workers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.02)
    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    out = tmp_path / FIGURE.name
    out.mkdir()
    try:
        atlas.build(out, FIGURE, False, model=model, ray_address=cluster.address, progress=False)
    finally:
        killer.join()
    assert killed, "a worker was running an item and was killed"
    assert same_files(out, reference) == []
    assert atlas.status(FIGURE, False, model) == (ITEMS, ITEMS)


def test_importing_ray_after_the_engine_works():
    code = "import mechanics.lucid_tf2, ray; print(ray.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == "2.60.0"
