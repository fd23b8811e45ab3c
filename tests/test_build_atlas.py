"""Atlas figures in the build: made only when named, with --workers/--ray passed to their make(),
listed with their progress, and given pages in the site whose links all resolve."""

import json
import os
import shutil
import socket
import subprocess

import pytest

from mechanics import atlas
from mechanics.site import figure_cache
from test_build_support import BODY, PYTHON, REPO, edit, make_project, run_build, snapshot

# A TensorFlow-free atlas as mechanics.atlas writes one: block9 (channels 0-2, over block8) and
# block10 (channels 0, 1 and 101, over block9; the tiny gallery figure shows block10:101), 1x1
# windows whose top channel is a block9 channel. make() records what it was called with.
ATLAS_SCRIPT = '''\
import json
import os

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(name="atlas_tiny", kind="atlas", title="Tiny atlas", caption="Two layers.",
                    model="efficientnet_lite0", params={{"layers": [["block9", "block8", "full"], ["block10", "block9", "branch"]]}})
LAYERS = (("block9", "block8", "full", [0, 1, 2]), ("block10", "block9", "branch", [0, 1, 101]))


def make(out_dir, quick, workers=None, ray_address=None):
    from PIL import Image
    with open({calls!r}, "a") as calls:
        calls.write(json.dumps({{"workers": workers, "ray_address": ray_address,
                                "RAY_ADDRESS": os.environ.get("RAY_ADDRESS")}}) + "\\n")
    sprites, layers = {{}}, []
    for layer, prev, path, channels in LAYERS:
        for what, tile in (("units", 64), ("cells_0", 48)):
            Image.new("RGB", (tile * len(channels), tile), "teal").save(out_dir / f"{{layer}}_{{what}}.jpg")
            sprites[f"{{layer}}_{{what}}"] = {{"file": f"{{layer}}_{{what}}.jpg", "tile": tile, "columns": len(channels),
                                              "count": len(channels)}}
        units = [{{"channel": ch, "label": f"{{layer}}:{{ch}}", "value": 1.5, "unit_image": {{"sprite": f"{{layer}}_units", "index": i}},
                  "cells": [{{"row": 0, "col": 0, "offset": [0, 0], "norm": 1.0, "weight": 1.0,
                             "image": {{"sprite": f"{{layer}}_cells_0", "index": i}},
                             "top_channels": [{{"channel": 2 - i, "weight": 0.5, "image": None}}]}}]}}
                 for i, ch in enumerate(channels)]
        (out_dir / f"{{layer}}.json").write_text(json.dumps({{"layer": layer, "prev_layer": prev, "path": path,
            "position": [4, 4], "window": {{"height": 1, "width": 1}}, "units": units}}))
        layers.append({{"layer": layer, "prev_layer": prev, "path": path, "file": f"{{layer}}.json", "units": len(units)}})
    fig = {{"contract": 1, "kind": "atlas", "figure": "atlas_tiny", "model": "efficientnet_lite0",
           "model_label": "EfficientNet-Lite0", "engine_version": "test", "input_hash": "test", "params": {{}},
           "sprites": sprites, "summary": "EfficientNet-Lite0, an atlas of 6 neurons.", "layers": layers}}
    (out_dir / "figure.json").write_text(json.dumps(fig))
'''
PAGES = ("atlas/index.html", "atlas/efficientnet_lite0/block9.html", "atlas/efficientnet_lite0/block10.html")


@pytest.fixture
def atlas_project(tmp_path, monkeypatch):
    """The tiny project (figures alpha, beta: galleries showing block10:101) with the real
    templates and static files, plus the atlas_tiny script; its own cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    root = make_project(tmp_path / "project")
    for folder in ("templates", "static"):
        shutil.copytree(REPO / "article" / folder, root / "article" / folder, dirs_exist_ok=True)
    (root / "figures_src" / "atlas_tiny.py").write_text(ATLAS_SCRIPT.format(calls=str(tmp_path / "calls.jsonl")))
    return root


def calls(root):
    path = root.parent / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_build_and_figures_without_names_list_an_atlas_but_never_make_it(atlas_project):
    note = ("Atlas atlas_tiny is missing (no items planned yet): run python build.py figures atlas_tiny "
            "[--workers N | --ray ADDRESS]")
    build = run_build(atlas_project, check=True)
    assert note in build.stdout
    figures = run_build(atlas_project, "figures", check=True)
    assert note in figures.stdout
    assert calls(atlas_project) == [] and not (atlas_project / "assets" / "figures" / "atlas_tiny").exists()
    index = (atlas_project / "_site" / "atlas" / "index.html").read_text()
    assert "python build.py figures atlas_tiny" in index, "the index says how to make it"

    run_build(atlas_project, "figures", "atlas_tiny", check=True)
    assert calls(atlas_project) == [{"workers": None, "ray_address": None, "RAY_ADDRESS": None}]
    build = run_build(atlas_project, check=True)
    assert "Atlas" not in build.stdout
    for page in PAGES:
        assert (atlas_project / "_site" / page).is_file(), page
    assert (atlas_project / "_site" / "assets" / "figures" / "atlas_tiny" / "block10_cells_0.jpg").is_file()


@pytest.fixture
def listening():
    """HOST:PORT of a loopback socket that accepts connections, as a Ray head's would."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture
def unreachable():
    """HOST:PORT of a loopback port where nothing listens."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    return f"127.0.0.1:{port}"


def test_workers_and_ray_reach_the_atlas_make_and_ray_address_reaches_its_process(atlas_project, listening):
    run_build(atlas_project, "figures", "atlas_tiny", "--workers", "3", check=True)
    run_build(atlas_project, "figures", "atlas_tiny", "--force", "--ray", listening, check=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_ADDRESS": listening}
    subprocess.run([PYTHON, str(REPO / "build.py"), "--root", str(atlas_project), "figures", "atlas_tiny", "--force"],
                   env=env, check=True, capture_output=True)
    assert calls(atlas_project) == [{"workers": 3, "ray_address": None, "RAY_ADDRESS": None},
                                    {"workers": None, "ray_address": listening, "RAY_ADDRESS": None},
                                    {"workers": None, "ray_address": None, "RAY_ADDRESS": listening}]


@pytest.mark.parametrize("given", ["--ray", "RAY_ADDRESS"])
def test_an_unreachable_ray_address_is_one_line_before_any_work(atlas_project, unreachable, monkeypatch, given):
    before = snapshot(atlas_project / "assets")
    if given == "RAY_ADDRESS":
        monkeypatch.setenv("RAY_ADDRESS", unreachable)
    result = run_build(atlas_project, "figures", "atlas_tiny", *(["--ray", unreachable] if given == "--ray" else []))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: cannot reach a Ray cluster at {unreachable} ({given}): "), result.stderr
    assert "ray start --head" in result.stderr
    assert calls(atlas_project) == [] and snapshot(atlas_project / "assets") == before


@pytest.mark.parametrize("args, message", [
    (("figures", "alpha", "--workers", "2"),
     "error: --workers is for figures of a kind that runs on Ray (atlas); figure 'alpha' (alpha.py) is a gallery"),
    (("figures", "atlas_tiny", "beta", "--ray", "head:6379"), "figure 'beta' (beta.py) is a gallery: leave it out or drop --ray"),
    (("figures", "--workers", "2"), "error: --workers runs an atlas on Ray: name the atlas, e.g. python build.py figures atlas_tiny --workers"),
    (("figures", "atlas_tiny", "--workers", "0"), "argument --workers: 0 is out of range"),
    (("figures", "atlas_tiny", "--workers", "two"), "argument --workers: 'two' is not an integer"),
    (("figures", "atlas_tiny", "--ray", " "), "argument --ray: is empty"),
    (("figures", "atlas_tiny", "--workers", "2", "--ray", "head:6379"), "not allowed with argument"),
])
def test_ray_options_are_refused_with_one_line_where_they_do_not_apply(atlas_project, args, message):
    before = snapshot(atlas_project / "assets")
    result = run_build(atlas_project, *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert calls(atlas_project) == [] and snapshot(atlas_project / "assets") == before


def test_list_shows_an_atlas_as_done_over_total_items(atlas_project):
    listing = run_build(atlas_project, "figures", "--list", check=True).stdout.splitlines()
    assert [line for line in listing if line.startswith("atlas_tiny")][0].split()[:2] == ["atlas_tiny", "missing"]
    # A run planned 5 items and finished 2 of them (mechanics.atlas keeps both in the cache).
    spec = figure_cache.load_script(atlas_project / "figures_src" / "atlas_tiny.py").FIGURE
    keys = [f"item{i}" for i in range(5)]
    plan = atlas._plans_dir() / f"{atlas._plan_key(spec, False, atlas.model_id(spec.model))}.json"
    plan.write_text(json.dumps({"figure": "atlas_tiny", "items": keys}))
    for key in keys[:2]:
        (atlas._items_dir() / f"{key}.npz").write_bytes(b"")
    listing = run_build(atlas_project, "figures", "--list", check=True).stdout
    assert "atlas; efficientnet_lite0; 2/5 items done;" in listing
    assert "Atlas atlas_tiny is missing (2/5 items done)" in run_build(atlas_project, check=True).stdout


def test_an_atlas_cannot_be_embedded_in_the_article(atlas_project):
    edit(atlas_project / "article" / "index.md", "@figure(beta)", "@figure(beta)\n\n@figure(atlas_tiny)")
    result = run_build(atlas_project)
    assert result.returncode == 2
    assert result.stderr.startswith("error: figure 'atlas_tiny': is an atlas, which has pages of its own")


@pytest.mark.parametrize("base_url", ["", "/drafts/nm/"])
def test_check_resolves_every_atlas_link_and_finds_a_missing_entry(atlas_project, base_url):
    run_build(atlas_project, "figures", "atlas_tiny", check=True)
    options = ["--base-url", base_url] if base_url else []
    run_build(atlas_project, *options, check=True)
    site = atlas_project / "_site"
    article = (site / "index.html").read_text()
    assert "data-atlas=" in article and "block10.html" in article, "the galleries link block10:101 to its entry"
    assert "data-atlas=" in (site / PAGES[2]).read_text(), "block10's top channels link to block9's entries"
    assert run_build(atlas_project, "check", *options, check=True).stdout.strip() == "check: ok"

    # A page that lost an entry: every link to it is reported, from the article's diagrams too.
    block10 = site / PAGES[2]
    block10.write_text(block10.read_text().replace('id="unit-101"', 'id="unit-missing"'))
    problems = run_build(atlas_project, "check", *options).stdout
    assert "index.html:" in problems and "data-atlas=" in problems and "block10.html#unit-101" in problems
    assert "points to a missing anchor #unit-101" in problems
    (site / PAGES[1]).unlink()
    assert "block9.html#unit-2'> points to a missing file" in run_build(atlas_project, "check", *options).stdout


def test_a_corrupt_atlas_is_left_out_of_the_site_and_listed(atlas_project):
    run_build(atlas_project, "figures", "atlas_tiny", check=True)
    (atlas_project / "assets" / "figures" / "atlas_tiny" / "block9.json").write_text("{}")
    build = run_build(atlas_project, check=True)
    assert "Atlas atlas_tiny is corrupt" in build.stdout
    site = atlas_project / "_site"
    assert not (site / PAGES[1]).exists() and not (site / "assets" / "figures" / "atlas_tiny").exists()
    assert "its files differ from the hashes" in (site / "atlas" / "index.html").read_text()
    assert "data-atlas" not in (site / "index.html").read_text()
    assert run_build(atlas_project, "check", check=True).stdout.strip() == "check: ok"


def test_the_atlas_index_has_one_section_per_model_holding_the_layers_and_notes_of_all_its_atlases(atlas_project):
    for name, model in (("atlas_tiny_more", "efficientnet_lite0"), ("atlas_other", "efficientnet_lite1")):
        (atlas_project / "figures_src" / f"{name}.py").write_text(
            "from mechanics.figure_spec import FigureSpec\n"
            f"FIGURE = FigureSpec(name={name!r}, kind='atlas', title='Atlas {name}', caption='One layer.',\n"
            f"                    model={model!r}, params={{'layers': [['block12', 'block11', 'branch']]}})\n"
            "def make(out_dir, quick, workers=None, ray_address=None):\n    raise SystemExit('never made here')\n")
    run_build(atlas_project, "figures", "atlas_tiny", check=True)
    run_build(atlas_project, check=True)
    index = (atlas_project / "_site" / "atlas" / "index.html").read_text()
    sections = index.split('<section class="atlas-entry"')[1:]
    assert [s.split('"')[1] for s in sections] == ["efficientnet_lite0", "efficientnet_lite1"]
    lite0, lite1 = sections
    assert "<h2>EfficientNet-Lite0</h2>" in lite0 and "6 units in 2 layers" in lite0
    assert lite0.count("<tr><td><a href=") == 2
    assert "Atlas atlas_tiny_more is missing" in lite0 and "python build.py figures atlas_tiny_more" in lite0
    assert "<h2>efficientnet_lite1</h2>" in lite1, "a model no atlas has made yet goes by its name"
    assert "Atlas atlas_other is missing" in lite1 and "<table" not in lite1


def build_three_atlases(atlas_project, tmp_path):
    """atlas_tiny (Lite0 block9, block10), atlas_tiny_more (Lite0 block11 over block10) and
    atlas_lite1 (Lite1 block9, block10), made and built; returns the site."""
    calls_file = str(tmp_path / "calls.jsonl")
    lite0_more = ATLAS_SCRIPT.format(calls=calls_file).replace("atlas_tiny", "atlas_tiny_more").replace(
        'LAYERS = (("block9", "block8", "full", [0, 1, 2]), ("block10", "block9", "branch", [0, 1, 101]))',
        'LAYERS = (("block11", "block10", "branch", [0, 1]),)')
    lite1 = ATLAS_SCRIPT.format(calls=calls_file).replace("atlas_tiny", "atlas_lite1").replace(
        "efficientnet_lite0", "efficientnet_lite1").replace("EfficientNet-Lite0", "EfficientNet-Lite1")
    for name, script in (("atlas_tiny_more", lite0_more), ("atlas_lite1", lite1)):
        (atlas_project / "figures_src" / f"{name}.py").write_text(script)
    run_build(atlas_project, "figures", "atlas_tiny", "atlas_tiny_more", "atlas_lite1", check=True)
    run_build(atlas_project, check=True)
    return atlas_project / "_site"


def page_data(page):
    text = page.read_text()
    start = text.index('<script type="application/json">') + len('<script type="application/json">')
    return json.loads(text[start:text.index("</script>", start)])


def test_a_layer_page_links_every_layer_of_its_model_across_atlases_and_the_other_models_layers(atlas_project, tmp_path):
    site = build_three_atlases(atlas_project, tmp_path)

    block9 = (site / "atlas" / "efficientnet_lite0" / "block9.html").read_text()
    own, _, others = block9.partition('class="atlas-layer-nav atlas-other-models"')
    own = own[own.index('class="atlas-layer-nav"'):]
    assert '<b aria-current="page">block9</b>' in own
    assert '<a href="../../atlas/efficientnet_lite0/block10.html">block10</a>' in own
    assert '<a href="../../atlas/efficientnet_lite0/block11.html">block11</a>' in own, "a layer another atlas of the model holds"
    others = others[:others.index("</nav>")]
    assert "EfficientNet-Lite1" in others and '<a href="../../atlas/efficientnet_lite1/block9.html">block9</a>' in others
    assert "efficientnet_lite0" not in others
    lite1_page = (site / "atlas" / "efficientnet_lite1" / "block10.html").read_text()
    assert '<a href="../../atlas/efficientnet_lite0/block11.html">block11</a>' in lite1_page
    assert run_build(atlas_project, "check").stdout.strip() == "check: ok"


def test_a_layer_page_shows_the_earlier_layers_tiles_from_another_atlas_of_its_model(atlas_project, tmp_path):
    site = build_three_atlases(atlas_project, tmp_path)
    block11 = page_data(site / "atlas" / "efficientnet_lite0" / "block11.html")
    assert block11["prev_units"]["101"] == {"sprite": "../atlas_tiny/block10_units", "index": 2}
    sprite = block11["sprites"]["../atlas_tiny/block10_units"]
    assert sprite["file"] == "../atlas_tiny/block10_units.jpg"
    assert (site / "assets" / "figures" / "atlas_tiny_more" / sprite["file"]).is_file()
    # Within one atlas the sprite keeps its own name; another model's layers are never used.
    assert page_data(site / "atlas" / "efficientnet_lite0" / "block10.html")["prev_units"]["2"]["sprite"] == "block9_units"
    assert page_data(site / "atlas" / "efficientnet_lite1" / "block9.html")["prev_units"] == {}


def test_atlas_pages_are_made_again_only_when_their_inputs_change(atlas_project):
    run_build(atlas_project, "figures", "atlas_tiny", check=True)
    run_build(atlas_project, check=True)
    site = atlas_project / "_site"

    def inodes():
        return {page: (site / page).stat().st_ino for page in PAGES}

    made = inodes()
    run_build(atlas_project, check=True)
    assert inodes() == made, "unchanged atlas pages are linked from the previous site, not written again"

    (site / PAGES[1]).write_text("edited in the built site")  # by hand: made again, not linked
    run_build(atlas_project, check=True)
    assert "edited in the built site" not in (site / PAGES[1]).read_text()
    made = inodes()

    layer = atlas_project / "article" / "templates" / "atlas" / "layer.html"
    layer.write_text(layer.read_text().replace("units of {{ layer.layer }}", "units (edited) of {{ layer.layer }}"))
    run_build(atlas_project, check=True)
    assert "units (edited) of block9" in (site / PAGES[1]).read_text()
    assert all(inodes()[page] != made[page] for page in PAGES)
