"""The atlas pages in Chromium: the layer grid, its filter, a unit's entry and its links, lazy
loading, and the article's diagrams linking to the atlas; from a host, a base path and from disk."""

import json
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from conftest import ATLAS, REPO, SETTLE, PageProblems, _open
from figure_fixtures import ATLAS_LAYERS, atlas_top_channels

BLOCK9, BLOCK10 = "atlas/efficientnet_lite0/block9.html", "atlas/efficientnet_lite0/block10.html"
FIRST_LOAD_LIMIT = 8_000_000  # bytes a layer page may transfer before the reader does anything
READY = "document.querySelector('nm-atlas-layer[data-ready]') !== null"


def site_root(site_urls, opened):
    return site_urls[opened].rpartition("/")[0] + "/" if opened == "file" else site_urls[opened]


@pytest.fixture
def open_page(browser, site_urls):
    """open_page(path, opened="http", **context options) -> (page, problems); every page opened
    is checked for console errors and failed or outside requests when the test ends."""
    opened_pages = []

    def open_page(path, opened="http", **options):
        root = site_root(site_urls, opened)
        problems = PageProblems(root + "index.html")  # everything must come from the site's folder
        context, page = _open(browser, problems, **options)
        opened_pages.append((context, problems))
        page.goto(root + path, wait_until="domcontentloaded")
        if "atlas/efficientnet_lite0/" in path:
            page.wait_for_function(READY)
        return page, problems

    yield open_page
    for context, problems in opened_pages:
        context.close()
        problems.assert_clean()


def units(page):
    return page.locator(".atlas-units li:not([hidden])").evaluate_all("ls => ls.map(l => +l.dataset.channel)")


def dialog(page):
    return page.locator("dialog.atlas-detail")


def layer_sprites(site_dir, layer):
    """File names of the sprites of one layer of the fixture atlas."""
    fig = json.loads((site_dir / "assets" / "figures" / ATLAS / "figure.json").read_text())
    return {s["file"] for sid, s in fig["sprites"].items() if sid.startswith(f"{layer}_")}


def requested_files(problems):
    return {url.rsplit("/", 1)[-1] for url in problems.requested}


@pytest.mark.parametrize("opened", ["http", "http-base-path", "file"])
def test_a_layer_page_filters_opens_a_unit_and_follows_its_top_channel_to_the_earlier_layer(open_page, opened, artifacts):
    page, _ = open_page(BLOCK10, opened)
    channels = [ch for layer, _, _, chs in ATLAS_LAYERS if layer == "block10" for ch in chs]
    assert units(page) == channels
    page.wait_for_function("document.querySelector('.atlas-units li:last-child').hasAttribute('data-loaded')")
    page.screenshot(path=str(artifacts / f"atlas_layer_{opened}.png"))

    search = page.get_by_label("filter by channel number")
    search.fill("3-5, 101")
    assert units(page) == [3, 4, 5, 101]
    assert page.get_by_role("status").first.text_content() == "4 of 25 units"
    search.fill("1o1")
    assert units(page) == [] and "give channel numbers" in page.get_by_role("status").first.text_content()
    search.fill("")
    assert len(units(page)) == 25

    page.locator("#unit-17").click()
    assert page.evaluate("location.hash") == "#unit-17"
    detail = dialog(page)
    assert detail.evaluate("d => d.open")
    assert detail.locator("h2").text_content() == "block10:17"
    grid = detail.locator("nm-decomposition-grid[data-ready]")
    assert grid.locator(".nm-unit").get_attribute("data-tile") == "block10_units:17"
    # Unit 17 is the second unit of the second group of 16: its 25 cells are tiles 25-49 of cells sprite 1.
    assert grid.locator(".nm-cell .nm-tile").first.get_attribute("data-tile") == "block10_cells_1:25"
    assert grid.get_by_role("group", name="show").count() == 0, "the atlas holds the positive part only"
    page.evaluate(SETTLE)
    detail.screenshot(path=str(artifacts / f"atlas_unit_{opened}.png"))

    centre = atlas_top_channels(17, 12)  # the centre cell is selected first
    links = grid.locator(".nm-channels li")
    assert [links.nth(k).locator(".nm-value").first.text_content() for k in range(3)] == [f"ch {c}" for c in centre]
    for k, channel in enumerate(centre):
        link = links.nth(k).locator("a.nm-atlas-link")
        if channel < 40:  # block9 of the fixture atlas holds channels 0-39
            assert link.get_attribute("href").endswith(f"block9.html#unit-{channel}")
            assert links.nth(k).locator(".nm-tile").get_attribute("data-tile") == f"block9_units:{channel}"
        else:
            assert link.count() == 0, f"block9:{channel} has no entry, so no link"
    target = next(c for c in centre if c < 40)
    page.evaluate(SETTLE)
    links.locator(f"a[href$='#unit-{target}']").click()
    page.wait_for_function(READY)
    assert page.evaluate("location.pathname").endswith("/block9.html")
    assert dialog(page).locator("h2").text_content() == f"block9:{target}"
    assert dialog(page).locator(".nm-atlas-link").count() == 0, "block8 is not in the atlas"


@pytest.mark.parametrize("opened", ["http", "file"])
def test_an_entry_has_a_stable_url_and_closing_it_clears_the_address(open_page, opened):
    page, _ = open_page(f"{BLOCK10}#unit-101", opened)
    detail = dialog(page)
    expect(detail).to_be_visible()
    expect(detail.locator("h2")).to_have_text("block10:101")
    detail.get_by_role("link", name="\u2190 previous").click()
    expect(page).to_have_url(re.compile(r"#unit-23$"))
    expect(detail.locator("h2")).to_have_text("block10:23")
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    expect(page).to_have_url(re.compile(r"block10\.html$"))
    expect(page.locator("#unit-23")).to_be_focused()  # focus returns to the unit
    page.go_back()  # the entry before: unit 101, which opens again
    expect(detail).to_be_visible()
    expect(detail.locator("h2")).to_have_text("block10:101")


def test_the_heading_changes_no_later_than_the_address(open_page):
    page, _ = open_page(f"{BLOCK10}#unit-101")
    expect(dialog(page).locator("h2")).to_have_text("block10:101")
    # Read in the same task as the click: the address has changed, the hashchange event has not run yet.
    hash_and_heading = page.evaluate("""() => {
        [...document.querySelectorAll('dialog.atlas-detail .atlas-step')].find((a) => a.textContent.includes('previous')).click();
        return [location.hash, document.querySelector('dialog.atlas-detail h2').textContent];
    }""")
    assert hash_and_heading == ["#unit-23", "block10:23"]


def test_a_layer_page_loads_its_sprites_lazily(open_page, site_dir):
    page, problems = open_page(BLOCK9, viewport={"width": 480, "height": 400})
    page.wait_for_load_state("networkidle")
    first = requested_files(problems)
    assert first & layer_sprites(site_dir, "block9") == {"block9_units.jpg"}, "no unit's cells before it is opened"
    assert not first & layer_sprites(site_dir, "block10")
    last = page.locator(".atlas-units li").last
    assert last.get_attribute("data-loaded") is None, "tiles below the fold are not painted yet"
    last.scroll_into_view_if_needed()
    page.wait_for_function("el => el.hasAttribute('data-loaded')", arg=last.element_handle())

    with page.expect_request(lambda request: request.url.endswith("/block9_cells_2.jpg")):
        page.locator("#unit-33").click()  # the third group of 16
    page.wait_for_function("document.querySelector('dialog nm-decomposition-grid[data-ready]') !== null")
    page.evaluate(SETTLE)
    cells = requested_files(problems) & layer_sprites(site_dir, "block9")
    assert cells == {"block9_units.jpg", "block9_cells_2.jpg"}, "an entry loads one sprite of cells"

    page2, problems2 = open_page(BLOCK10, viewport={"width": 1000, "height": 1400})
    page2.wait_for_load_state("networkidle")
    # What the first load transferred: the site's files it requested (served as they are).
    root = problems2.site
    transferred = sum((site_dir / url[len(root):].split("#")[0]).stat().st_size for url in set(problems2.requested))
    assert transferred <= FIRST_LOAD_LIMIT
    assert len(requested_files(problems2) & layer_sprites(site_dir, "block10")) < len(layer_sprites(site_dir, "block10"))


def test_the_article_gallery_and_decomposition_grid_link_to_atlas_entries(open_page, site_urls):
    page, _ = open_page("index.html")
    page.wait_for_function("document.querySelectorAll('.nm-diagram[data-ready]').length > 0")
    gallery = page.locator("nm-gallery")
    linked = gallery.locator(".nm-atlas-link").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    # Gallery items are channels 1, 8, 15, ...; the atlas has block9:0-39 and block10:0-23 and 101.
    lite0 = {"block9": [1, 8, 15, 22, 29, 36], "block10": [1, 8, 15, 22]}
    assert linked == [f"atlas/efficientnet_lite0/{layer}.html#unit-{ch}" for layer, chs in lite0.items() for ch in chs]
    assert gallery.locator("li[data-id='inception_v1/block9/1'] .nm-atlas-link").count() == 0

    grid = page.locator("#fig-eye_detector nm-decomposition-grid")
    target = grid.locator(".nm-panel .nm-note a.nm-atlas-link")
    assert target.get_attribute("href") == f"{BLOCK10}#unit-101"
    page.wait_for_load_state("load")
    page.evaluate(SETTLE)  # leaving mid-load would abort the article's sprite requests
    target.click()
    page.wait_for_function(READY)
    assert dialog(page).locator("h2").text_content() == "block10:101"
    page.go_back()

    card = page.locator("nm-gallery li[data-id='efficientnet_lite0/block10/8']")
    card.scroll_into_view_if_needed()
    page.wait_for_function("el => el.hasAttribute('data-loaded')", arg=card.element_handle())
    page.evaluate(SETTLE)
    card.locator(".nm-atlas-link").click()
    page.wait_for_function(READY)
    assert dialog(page).locator("h2").text_content() == "block10:8"


def test_the_comparison_figures_link_the_units_the_atlas_holds(open_page):
    page, _ = open_page("index.html")
    page.wait_for_function("document.querySelectorAll('.nm-diagram[data-ready]').length > 0")
    panels = page.locator("nm-decomposition-comparison .nm-compare-panel")
    lite0, lite1 = panels.nth(0), panels.nth(1)
    assert lite0.locator(".nm-note a.nm-atlas-link").get_attribute("href") == f"{BLOCK10}#unit-101"
    assert lite1.locator(".nm-atlas-link").count() == 0, "Lite1's block14 has no atlas"
    assert lite1.locator(".nm-note").text_content() == "block14:4 at (3, 3) over block13 (branch)"

    link = page.locator("nm-objective-comparison > .nm-note a.nm-atlas-link")
    assert link.text_content() == "block10:101"
    # Followed in a page of its own: leaving this one would abort the gallery's lazy sprites.
    entry, _ = open_page(link.get_attribute("href"))
    assert dialog(entry).locator("h2").text_content() == "block10:101"


def test_the_atlas_index_links_every_layer(open_page, artifacts):
    page, _ = open_page("atlas/index.html")
    rows = page.locator(".atlas-layers tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => [...r.cells].map(c => c.textContent))") == \
        [["block9", "40", "block8", "branch"], ["block10", "25", "block9", "branch"]]
    page.screenshot(path=str(artifacts / "atlas_index.png"))
    page.get_by_role("link", name="block10").click()
    page.wait_for_function(READY)
    assert len(units(page)) == 25


def test_check_finds_every_atlas_link_of_the_built_site_resolved(site_dir):
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(site_dir.parent), "check"],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    # Every link resolved: no problem (warnings about the fixture's unbound numbers are not links).
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("check: ok"), \
        result.stdout + result.stderr
