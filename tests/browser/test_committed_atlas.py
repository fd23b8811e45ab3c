"""The project's own committed atlas, built as a reader gets it (`build.py --no-figures`): every
layer page opens over HTTP and from disk without a console error or a failed request, loads its
units' sprite but no unit's cells until a unit is opened, and stays within the first-load budget."""

import json
import subprocess
import sys

import pytest

from conftest import REPO, PageProblems, _open, _serving

FIRST_LOAD_LIMIT = 8_000_000  # bytes a layer page may transfer before the reader does anything
READY = "document.querySelector('nm-atlas-layer[data-ready]') !== null"


def committed_layers():
    """(page path, layer, unit count, the earlier layer's units sprite when the atlas has that
    layer, else None) of every layer of the committed atlases."""
    layers, units_sprites = [], {}
    for manifest in sorted((REPO / "assets" / "figures").glob("atlas_*/figure.json")):
        figure = json.loads(manifest.read_text())
        if figure["kind"] != "atlas":  # atlas_trends reads the atlases; it is not one
            continue
        for layer in figure["layers"]:
            units = json.loads((manifest.parent / layer["file"]).read_text())["units"]
            sprite = figure["sprites"][units[0]["unit_image"]["sprite"]]["file"]
            units_sprites[(figure["model"], layer["layer"])] = f"{manifest.parent.name}/{sprite}"
            layers.append((figure["model"], layer["layer"], layer["prev_layer"], len(units)))
    return [(f"atlas/{model}/{layer}.html", layer, count, units_sprites.get((model, prev)))
            for model, layer, prev, count in layers]


LAYERS = committed_layers()


@pytest.fixture(scope="module")
def committed_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("committed") / "_site"
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--no-figures", "--out", str(out)],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def committed_urls(committed_site):
    with _serving(committed_site) as url:
        yield {"http": url, "file": committed_site.as_uri() + "/"}


def test_every_committed_atlas_has_its_layers_and_a_page_each(committed_site):
    assert len(LAYERS) >= 5, "Lite0 blocks 8-10 and one layer each of Lite1 and Lite2"
    assert sum(units for _, _, units, _ in LAYERS) >= 336 + 2 * 112
    index = (committed_site / "atlas" / "index.html").read_text()
    for path, _, _, _ in LAYERS:
        assert (committed_site / path).is_file()
        assert path.removeprefix("atlas/") in index


@pytest.mark.parametrize("opened", ["http", "file"])
@pytest.mark.parametrize("path, layer, unit_count, prev_units_sprite", LAYERS, ids=[path for path, *_ in LAYERS])
def test_a_committed_layer_page_loads_lazily_within_budget_and_opens_a_unit(
        browser, committed_site, committed_urls, opened, path, layer, unit_count, prev_units_sprite):
    root = committed_urls[opened]
    problems = PageProblems(root + "index.html")
    context, page = _open(browser, problems, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15000)
    page.goto(root + path, wait_until="domcontentloaded")
    page.wait_for_function(READY)
    page.wait_for_load_state("networkidle")
    assert page.locator(".atlas-units li").count() == unit_count

    first = [url.split("#")[0] for url in set(problems.requested)]
    transferred = sum((committed_site / url[len(problems.site):]).stat().st_size for url in first)
    assert transferred <= FIRST_LOAD_LIMIT
    assert [url for url in first if url.endswith(f"/{layer}_units.jpg")], "the units' sprite shows the grid"
    assert not [url for url in first if f"/{layer}_cells_" in url], "no unit's cells before it is opened"

    page.locator(".atlas-units li").first.click()
    page.wait_for_function("document.querySelector('dialog nm-decomposition-grid[data-ready]') !== null")
    page.wait_for_load_state("networkidle")
    cells = {url for url in problems.requested if f"/{layer}_cells_" in url}
    assert len(cells) == 1, "an entry loads one sprite of cells"
    tiles = page.locator("dialog .nm-channels .nm-tile:not(.nm-empty)")
    if prev_units_sprite:  # the top channels show the earlier layer's units, from whichever atlas holds it
        assert tiles.count() > 0
        assert [url for url in problems.requested if url.endswith("/assets/figures/" + prev_units_sprite)]
    else:
        assert tiles.count() == 0
    context.close()
    problems.assert_clean()
