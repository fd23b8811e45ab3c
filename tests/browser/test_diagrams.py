"""The five diagrams in Chromium: what a reader does with them, and what they must show."""

import re

import pytest
from playwright.sync_api import expect

from conftest import SETTLE
from figure_fixtures import PAGE_FIGURES

# The first figure of each kind on the page (reversed, so an earlier one overwrites a later one).
FIGURE_OF_KIND = {kind: name for name, kind in reversed(PAGE_FIGURES.items())}


def figure(page, kind):
    return page.locator(f"#fig-{FIGURE_OF_KIND[kind]} .nm-diagram")


def tile(locator):
    """Which sprite tile an element shows, as 'sprite:index'."""
    return locator.get_attribute("data-tile")


def pixels(locator):
    return locator.screenshot(animations="disabled")


@pytest.mark.parametrize("kind", list(FIGURE_OF_KIND))
def test_every_diagram_renders_and_is_screenshotted(page, artifacts, kind):
    diagram = figure(page, kind)
    diagram.scroll_into_view_if_needed()
    assert diagram.locator(".nm-fallback").count() == 0, "the component replaces its static fallback"
    # Every visible tile shows a sprite, unless it is a deliberate placeholder (a channel without
    # an image) or a gallery tile still waiting to scroll into view. A wrong sprite URL fails the
    # page fixture's request check.
    blank = diagram.locator(".nm-tile").evaluate_all("""tiles => tiles.filter(t => t.offsetParent
        && getComputedStyle(t).backgroundImage === 'none'
        && !t.classList.contains('nm-empty') && !t.hasAttribute('data-src')).length""")
    assert blank == 0
    page.evaluate(SETTLE)
    diagram.screenshot(path=str(artifacts / f"{kind}.png"), animations="disabled")


def figure_data(page, kind):
    return page.evaluate(
        "el => JSON.parse(el.querySelector('script[type=\"application/json\"]').textContent)",
        figure(page, kind).element_handle())


def move_away(page):
    page.mouse.move(2, 2)


# -- decomposition grid -------------------------------------------------------------------------

def test_hovering_a_grid_cell_shows_it_larger_with_its_top_channels(page):
    grid = figure(page, "decomposition_grid")
    detail = grid.locator(".nm-detail")
    large = detail.locator(".nm-large")
    assert tile(large) == "branch_positive:12", "the centre cell (offset 0, 0) is shown first"
    centre_pixels = pixels(large)

    grid.locator(".nm-cell").nth(0).hover()
    assert tile(large) == "branch_positive:0"
    assert pixels(large) != centre_pixels
    assert "excites at offset (\u22122, \u22122)" in detail.locator(".nm-label").first.text_content()
    channels = detail.locator(".nm-channels li")
    assert channels.count() == 4
    assert [channels.nth(k).locator(".nm-value").first.text_content() for k in range(4)] == \
        ["ch 0", "ch 3", "ch 6", "ch 9"]
    assert tile(channels.nth(1).locator(".nm-tile")) == "channels:1"
    assert "0.500" in channels.nth(1).text_content()

    move_away(page)
    assert tile(large) == "branch_positive:12", "leaving the grid returns to the selected cell"


def test_cell_emphasis_follows_the_norm(page):
    grid = figure(page, "decomposition_grid")
    cells = figure_data(page, "decomposition_grid")["views"]["branch"]["positive"]["cells"]
    opacities = grid.locator(".nm-cell").evaluate_all("cells => cells.map(c => +getComputedStyle(c).opacity)")
    for i, cell in enumerate(cells):
        if i != 12:  # the selected cell is drawn at full opacity
            assert opacities[i] == pytest.approx(0.45 + 0.55 * cell["weight"], abs=0.01)
    assert opacities[7] > opacities[0], "a cell next to the centre outweighs a corner"


def test_toggles_switch_between_excites_inhibits_and_between_paths(page):
    grid = figure(page, "decomposition_grid")
    first = grid.locator(".nm-cell .nm-tile").first
    large = grid.locator(".nm-detail .nm-large")

    grid.get_by_role("button", name="inhibits").click()
    assert grid.get_by_role("button", name="inhibits").get_attribute("aria-pressed") == "true"
    assert grid.get_by_role("button", name="excites").get_attribute("aria-pressed") == "false"
    assert tile(first) == "branch_negative:0"
    assert tile(large) == "branch_negative:12"
    assert "inhibits at offset" in grid.locator(".nm-detail .nm-label").first.text_content()

    before = pixels(grid.locator(".nm-grid"))
    grid.get_by_role("button", name="skip path").click()
    assert tile(first) == "skip_negative:0"
    assert pixels(grid.locator(".nm-grid")) != before
    weights = grid.locator(".nm-cell").evaluate_all("cs => cs.map(c => +c.style.getPropertyValue('--nm-weight'))")
    expected = [c["weight"] for c in figure_data(page, "decomposition_grid")["views"]["skip"]["negative"]["cells"]]
    assert weights == pytest.approx(expected)

    grid.get_by_role("button", name="full").click()
    grid.get_by_role("button", name="excites").click()
    assert tile(first) == "full_positive:0"


def test_keyboard_tabs_into_the_grid_and_arrows_move_the_detail(page):
    grid = figure(page, "decomposition_grid")
    large = grid.locator(".nm-detail .nm-large")
    grid.get_by_role("button", name="inhibits").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "block10:101", "the target's link to its atlas entry"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("offset 0, 0"), "the grid is one tab stop, entered at the selected cell"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid", "focus is visible"

    page.keyboard.press("ArrowRight")
    assert tile(large) == "branch_positive:13"
    page.keyboard.press("ArrowUp")
    assert tile(large) == "branch_positive:8"
    page.keyboard.press("Home")
    assert tile(large) == "branch_positive:5"
    page.keyboard.press("ArrowLeft")  # at the window's edge: stays
    assert tile(large) == "branch_positive:5"
    assert grid.locator('.nm-cell[tabindex="0"]').count() == 1, "one tab stop: the selected cell"

    page.keyboard.press("Tab")
    assert tile(large) == "branch_positive:5", "leaving the grid keeps the last cell"


def test_grid_with_a_single_view_has_no_path_toggle_and_instances_are_independent(page):
    grid = figure(page, "decomposition_grid")
    page.evaluate("""fig => {
        const only = {...fig, views: {full: fig.views.full}};
        const el = document.createElement('nm-decomposition-grid');
        el.className = 'nm-diagram';
        el.id = 'second-grid';
        el.dataset.assetUrl = document.querySelector('nm-decomposition-grid').dataset.assetUrl;
        const data = document.createElement('script');
        data.type = 'application/json';
        data.textContent = JSON.stringify(only);
        el.append(data);
        document.querySelector('main').append(el);
    }""", figure_data(page, "decomposition_grid"))
    second = page.locator("#second-grid")
    assert second.get_attribute("data-ready") == ""
    assert second.get_by_role("button", name="skip path").count() == 0
    assert second.get_by_role("group", name="show").count() == 1
    assert tile(second.locator(".nm-cell .nm-tile").first) == "full_positive:0"

    second.get_by_role("button", name="inhibits").click()
    assert tile(second.locator(".nm-cell .nm-tile").first) == "full_negative:0"
    assert tile(grid.locator(".nm-cell .nm-tile").first) == "branch_positive:0", "the first grid is untouched"


def test_tapping_cells_and_toggles_works_on_a_phone(touch_page, artifacts):
    grid = figure(touch_page, "decomposition_grid")
    large = grid.locator(".nm-detail .nm-large")
    grid.locator(".nm-cell").nth(3).tap()
    assert tile(large) == "branch_positive:3"
    grid.get_by_role("button", name="inhibits").tap()
    assert tile(large) == "branch_negative:3"
    width = touch_page.evaluate("document.documentElement.clientWidth")
    assert grid.bounding_box()["width"] <= width, "the diagram fits a phone's width"
    grid.screenshot(path=str(artifacts / "decomposition_grid_phone.png"))

    explorer = figure(touch_page, "attribution_explorer")
    explorer.locator(".nm-overlay button").nth(8).tap()
    assert tile(explorer.locator(".nm-detail .nm-large")) == "logit_285_gradxact:8"
    assert explorer.bounding_box()["width"] <= width
    explorer.screenshot(path=str(artifacts / "attribution_explorer_phone.png"))


# -- attribution explorer -----------------------------------------------------------------------

def test_hovering_and_clicking_photo_cells_shows_their_attribution_visualization(page):
    explorer = figure(page, "attribution_explorer")
    large = explorer.locator(".nm-detail .nm-large")
    cells = explorer.locator(".nm-overlay button")
    assert cells.count() == 49
    assert tile(large) == "logit_285_gradxact:24"
    before = pixels(large)

    cells.nth(0).hover()
    assert tile(large) == "logit_285_gradxact:0"
    assert pixels(large) != before
    assert "row 1, col 1" in explorer.locator(".nm-detail .nm-label").text_content()

    cells.nth(10).click()
    move_away(page)
    assert tile(large) == "logit_285_gradxact:10", "a click pins the cell"
    marker = explorer.locator(".nm-marker")
    left, top = marker.evaluate("m => [parseFloat(m.style.left), parseFloat(m.style.top)]")
    assert (left, top) == (pytest.approx(100 * 3 / 7, abs=0.01), pytest.approx(100 / 7, abs=0.01))


def test_hovering_the_saliency_map_follows_the_same_cell(page):
    explorer = figure(page, "attribution_explorer")
    explorer.locator("canvas").scroll_into_view_if_needed()
    box = explorer.locator("canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * (5.5 / 7), box["y"] + box["height"] * (2.5 / 7))
    assert tile(explorer.locator(".nm-detail .nm-large")) == f"logit_285_gradxact:{2 * 7 + 5}"


def test_switching_method_and_target_changes_map_picture_and_completeness(page):
    explorer = figure(page, "attribution_explorer")
    large = explorer.locator(".nm-detail .nm-large")
    canvas = explorer.locator("canvas")
    completeness = explorer.locator(".nm-completeness")
    explorer.locator(".nm-overlay button").nth(10).click()
    map_before = canvas.evaluate("c => c.toDataURL()")
    assert "sum of attributions \u22120.05" in completeness.text_content()
    assert "gap 10.25" in completeness.text_content()

    explorer.get_by_role("button", name="integrated gradients (64 steps)").click()
    assert tile(large) == "logit_285_ig:10"
    assert canvas.evaluate("c => c.toDataURL()") != map_before
    assert "sum of attributions 9.75" in completeness.text_content()
    assert "gap 0.45" in completeness.text_content()
    assert "95.6% of the change" in completeness.text_content()

    explorer.get_by_role("button", name="block10:101 (neuron)").click()
    assert tile(large) == "block10_101_ig:10"
    assert "block10:101 (neuron); integrated gradients" in explorer.locator(".nm-detail").text_content()


def test_saliency_colours_follow_the_sign_of_the_map(page):
    explorer = figure(page, "attribution_explorer")
    saliency = figure_data(page, "attribution_explorer")["results"]["logit:285"]["gradxact"]["saliency"]
    rgba = explorer.locator("canvas").evaluate("c => [...c.getContext('2d').getImageData(0, 0, 7, 7).data]")
    for i, value in enumerate(v for row in saliency for v in row):
        red, blue = rgba[4 * i], rgba[4 * i + 2]
        if abs(value) > 0.2:
            assert (red > blue) == (value > 0), f"cell {i} ({value}) has the wrong colour"


def test_keyboard_reaches_the_photo_grid(page):
    explorer = figure(page, "attribution_explorer")
    explorer.get_by_role("button", name="integrated gradients (64 steps)").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    assert tile(explorer.locator(".nm-detail .nm-large")) == "logit_285_gradxact:31"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


# -- factor view --------------------------------------------------------------------------------

def window_colours(view):
    """(r, g, b, alpha) of each square of the factor view's big window map."""
    # The inline colour is the target of a short CSS transition; the computed one may be mid-way.
    css = view.locator(".nm-panel > .nm-window i").evaluate_all("s => s.map(x => x.style.backgroundColor)")
    return [tuple(float(v) for v in re.findall(r"[\d.]+", c)) + ((1.0,) if c.startswith("rgb(") else ()) for c in css]


def test_hovering_a_factor_shows_where_it_acts(page):
    view = figure(page, "factor_view")
    factors = figure_data(page, "factor_view")["factors"]
    window = view.locator(".nm-panel > .nm-window")
    assert window.get_attribute("data-factor") == "all"
    everything = window_colours(view)
    assert len({c[:3] for c in everything}) == 3, "each factor colours the positions where it is strongest"

    view.locator(".nm-factor").nth(1).hover()
    assert window.get_attribute("data-factor") == "1"
    assert "where factor 2 acts" in view.locator(".nm-panel .nm-label").nth(1).text_content()
    shown = window_colours(view)
    assert {c[:3] for c in shown} == {(27, 158, 119)}, "only factor 2's colour"
    assert [c[3] for c in shown] == pytest.approx([v for row in factors[1]["map"] for v in row], abs=0.01)

    move_away(page)
    assert window.get_attribute("data-factor") == "all"
    view.locator(".nm-factor").nth(2).click()
    move_away(page)
    assert window.get_attribute("data-factor") == "2", "a click pins the factor"
    assert view.locator(".nm-factor").nth(2).get_attribute("aria-pressed") == "true"


def test_factors_are_reachable_by_keyboard(page):
    view = figure(page, "factor_view")
    window = view.locator(".nm-panel > .nm-window")
    view.locator(".nm-factor").nth(0).focus()
    page.keyboard.press("Tab")
    assert window.get_attribute("data-factor") == "1"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert view.locator(".nm-factor").nth(1).get_attribute("aria-pressed") == "true"


# -- objective comparison -----------------------------------------------------------------------

def test_objectives_are_laid_out_side_by_side_by_objective_and_direction(page):
    comparison = figure(page, "objective_comparison")
    headers = comparison.locator(".nm-matrix > .nm-label").all_text_contents()
    assert headers == ["dot product", "cosine similarity", "neuron objective", "channel objective"]
    panels = comparison.locator(".nm-objective")
    assert panels.evaluate_all("ps => ps.map(p => p.dataset.panel)") == \
        ["neuron-dot", "neuron-cossim", "channel-dot", "channel-cossim"]
    boxes = [panels.nth(i).bounding_box() for i in range(4)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"], "dot and cossim side by side"
    assert boxes[0]["x"] == boxes[2]["x"] and boxes[0]["y"] < boxes[2]["y"], "neuron above channel"
    assert [tile(panels.nth(i).locator(".nm-large")) for i in range(4)] == [f"units:{i}" for i in range(4)]
    assert "12.50" in panels.nth(0).text_content() and "6.20" in panels.nth(3).text_content()
    assert panels.nth(2).locator(".nm-cell").count() == 0
    assert "no window" in panels.nth(2).text_content()


def test_hovering_or_focusing_a_panel_cell_swaps_its_picture(page):
    panel = figure(page, "objective_comparison").locator(".nm-objective").nth(1)
    large = panel.locator(".nm-large")
    before = pixels(large)
    panel.locator(".nm-cell").nth(2).hover()
    assert tile(large) == "cells_1:2"
    assert pixels(large) != before
    assert "offset (\u22121, +1)" in panel.locator(".nm-detail-caption").text_content()
    move_away(page)
    assert tile(large) == "units:1"

    panel.locator(".nm-cell").nth(4).focus()
    assert tile(large) == "cells_1:4"
    page.keyboard.press("ArrowRight")
    assert tile(large) == "cells_1:5"
    assert tile(figure(page, "objective_comparison").locator(".nm-objective").nth(0).locator(".nm-large")) == "units:0"


def test_each_panel_grid_is_one_tab_stop_and_arrows_move_within_it(page):
    comparison = figure(page, "objective_comparison")
    panels = comparison.locator(".nm-objective")
    first, second = panels.nth(0), panels.nth(1)
    assert comparison.locator('.nm-cell[tabindex="0"]').count() == 2, "one tab stop per panel with a window"
    assert first.locator('.nm-cell[tabindex="0"]').get_attribute("aria-label") == "offset 0, 0"

    first.locator(".nm-cell").nth(4).focus()
    assert tile(first.locator(".nm-large")) == "cells_0:4"
    page.keyboard.press("ArrowRight")
    assert tile(first.locator(".nm-large")) == "cells_0:5"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid", "focus is visible"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # at the window's edge: stays
    assert tile(first.locator(".nm-large")) == "cells_0:8"
    page.keyboard.press("Home")
    assert tile(first.locator(".nm-large")) == "cells_0:6"
    assert first.locator('.nm-cell[tabindex="0"]').count() == 1

    page.keyboard.press("Tab")  # out of the first grid, into the second at its centre
    assert tile(first.locator(".nm-large")) == "units:0"
    assert tile(second.locator(".nm-large")) == "cells_1:4"
    page.keyboard.press("Tab")  # the other panels have no window: out of the diagram
    assert not comparison.evaluate("el => el.contains(document.activeElement)")
    assert tile(second.locator(".nm-large")) == "units:1"

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # back into the first grid, at the cell left last
    assert tile(first.locator(".nm-large")) == "cells_0:6"


# -- gallery ------------------------------------------------------------------------------------

def gallery_sprites_requested(problems, fig):
    files = {s["file"] for s in fig["sprites"].values()}
    return {url.rsplit("/", 1)[-1] for url in problems.requested} & files


def test_gallery_has_many_units_from_several_layers_and_filters_them(page):
    gallery = figure(page, "gallery")
    gallery.scroll_into_view_if_needed()
    cards = gallery.locator(".nm-gallery-items li")
    assert cards.count() >= 64
    assert len(set(cards.evaluate_all("cs => cs.map(c => c.dataset.layer)"))) >= 3
    count = gallery.get_by_role("status")
    assert count.text_content() == "96 of 96 units"

    gallery.get_by_label("filter by layer").select_option("block10")
    assert count.text_content() == "32 of 96 units"
    visible = gallery.locator(".nm-gallery-items li:not([hidden])")
    assert set(visible.evaluate_all("cs => cs.map(c => c.dataset.layer)")) == {"block10"}
    assert visible.first.is_visible() and not gallery.locator("li[data-layer=block8]").first.is_visible()

    gallery.get_by_label("filter by model").select_option("inception_v1")
    assert count.text_content() == "16 of 96 units"
    assert set(visible.evaluate_all("cs => cs.map(c => c.dataset.model + '/' + c.dataset.layer)")) == \
        {"inception_v1/block10"}
    # The newly shown units load their sprites as they come into view.
    page.wait_for_function("el => el.querySelector('li:not([hidden])').hasAttribute('data-loaded')",
                           arg=gallery.element_handle())


def test_gallery_tiles_stay_inside_their_card_when_a_caption_in_the_row_wraps(page):
    gallery = figure(page, "gallery")
    gallery.get_by_label("filter by layer").select_option("block10")
    cards = gallery.locator(".nm-gallery-items li:not([hidden])")
    captions = cards.evaluate_all("cs => cs.map(c => c.querySelector('.nm-caption').offsetHeight)")
    assert max(captions) > min(captions), "some caption takes two lines, so its row is taller"
    overflowing = cards.evaluate_all("""cs => cs.filter(c => [...c.querySelectorAll('.nm-tile')]
        .some(t => t.getBoundingClientRect().right > c.getBoundingClientRect().right + 0.5)).map(c => c.dataset.id)""")
    assert overflowing == []


def test_gallery_cards_take_keyboard_focus_and_load_when_focused(page):
    gallery = figure(page, "gallery")
    cards = gallery.locator(".nm-gallery-items li")
    fig = figure_data(page, "gallery")
    assert cards.evaluate_all("cs => cs.every(c => c.tabIndex === 0)")

    gallery.locator(".nm-gallery-scroll").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.id") == fig["items"][0]["id"]
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid", "focus is visible"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.id") == fig["items"][1]["id"]

    last = cards.last
    assert last.get_attribute("data-loaded") is None
    last.focus()
    assert page.evaluate("document.activeElement.dataset.id") == fig["items"][-1]["id"]
    # Focus scrolls the card into the scroller's view, which loads its sprites, as scrolling does.
    page.wait_for_function("el => el.hasAttribute('data-loaded')", arg=last.element_handle())
    assert last.is_visible()


def test_gallery_sprites_load_only_as_they_scroll_into_view(page, problems):
    gallery = figure(page, "gallery")
    fig = figure_data(page, "gallery")
    page.wait_for_load_state("load")
    assert gallery_sprites_requested(problems, fig) == set(), "nothing loads while the gallery is off screen"

    with page.expect_request(lambda r: "/unit_gallery/" in r.url):
        gallery.scroll_into_view_if_needed()
    page.wait_for_function("el => el.querySelector('li').hasAttribute('data-loaded')", arg=gallery.element_handle())
    last_sprite = fig["sprites"][fig["items"][-1]["unit_image"]["sprite"]]["file"]
    first_screen = gallery_sprites_requested(problems, fig)
    assert last_sprite not in first_screen
    assert len(first_screen) <= 4, "grouped sprites: the first screen needs a few files, not one per unit"

    with page.expect_request(lambda r: r.url.endswith(f"/{last_sprite}")):
        gallery.locator(".nm-gallery-scroll").evaluate("s => s.scrollTop = s.scrollHeight")
    assert gallery.locator(".nm-gallery-items li").last.get_attribute("data-loaded") == ""
    middle = gallery.locator(".nm-gallery-items li").nth(40)
    assert middle.get_attribute("data-loaded") is None, "units scrolled past unseen stay unloaded"


# -- every grid of cells: one keyboard navigation (sprites.js keyboardGrid) ----------------------

# (kind, the grid, its cells): every grid of focusable cells on the page.
KEYBOARD_GRIDS = [
    ("decomposition_grid", ".nm-grid", ".nm-cell"),
    ("decomposition_grid", '.nm-heat[data-map="predicted contribution"]', ".nm-heat-cell"),
    ("attribution_explorer", ".nm-overlay", "button"),
    ("objective_comparison", ".nm-objective .nm-grid", ".nm-cell"),
    ("decomposition_comparison", ".nm-compare-panel .nm-grid", ".nm-cell"),
]
KEYS = ["ArrowRight", "ArrowDown", "End", "ArrowRight", "Home", "ArrowLeft", "ArrowUp", "ArrowUp",
        "ArrowUp", "ArrowUp", "End", "ArrowDown"]


def grid_move(key, index, height, width):
    """Where `key` moves the focus in a row-major grid: one cell, or the row's end; an edge keeps it."""
    r, c = divmod(index, width)
    r, c = {"ArrowLeft": (r, c - 1), "ArrowRight": (r, c + 1), "ArrowUp": (r - 1, c), "ArrowDown": (r + 1, c),
            "Home": (r, 0), "End": (r, width - 1)}[key]
    return r * width + c if 0 <= r < height and 0 <= c < width else index


@pytest.mark.parametrize("kind, grid_selector, cell_selector", KEYBOARD_GRIDS,
                         ids=[f"{kind}:{grid}" for kind, grid, _ in KEYBOARD_GRIDS])
def test_every_grid_is_one_tab_stop_that_the_same_keys_move_within(page, kind, grid_selector, cell_selector):
    grid = figure(page, kind).locator(grid_selector).first
    cells = grid.locator(cell_selector)
    width = grid.evaluate("g => getComputedStyle(g).gridTemplateColumns.split(' ').length")
    height = cells.count() // width
    stop = grid.locator(f'{cell_selector}[tabindex="0"]')
    expect(stop).to_have_count(1)
    index = cells.evaluate_all("cs => cs.findIndex(c => c.tabIndex === 0)")
    cells.nth(index).focus()
    for key in KEYS:
        page.keyboard.press(key)
        index = grid_move(key, index, height, width)
        expect(cells.nth(index), f"{key} in a {height}x{width} grid").to_be_focused()
        expect(stop).to_have_count(1)
        expect(cells.nth(index)).to_have_attribute("tabindex", "0")


# -- without JavaScript -------------------------------------------------------------------------

def test_without_javascript_every_figure_shows_its_static_sprite(nojs_page, artifacts):
    for name, kind in PAGE_FIGURES.items():
        if kind == "trends":  # numbers only: its fallback is a table
            expect(nojs_page.locator(f"#fig-{name} .nm-fallback table tr")).to_have_count(3)
            continue
        images = nojs_page.locator(f"#fig-{name} img")
        assert images.count() >= 1, name
        for i in range(images.count()):
            images.nth(i).scroll_into_view_if_needed()
        nojs_page.wait_for_function(
            "sel => [...document.querySelectorAll(sel)].every(i => i.complete && i.naturalWidth > 0)",
            arg=f"#fig-{name} img")
    assert nojs_page.locator(".nm-diagram[data-ready]").count() == 0
    nojs_page.screenshot(path=str(artifacts / "no_javascript.png"), full_page=True)


# -- wherever the page is opened ----------------------------------------------------------------

def test_every_diagram_is_interactive_from_a_host_a_base_path_and_from_disk(opened_page, request, artifacts):
    """The page works from file:// (where Chromium refuses module scripts), at a host's root and
    under a base path; opened_page fails the test on any console error or failed request."""
    page = opened_page
    assert page.evaluate("performance.getEntriesByName('nm-diagram-ready').length") == len(PAGE_FIGURES)

    grid = figure(page, "decomposition_grid")
    large = grid.locator(".nm-detail .nm-large")
    centre = pixels(large)
    grid.locator('.nm-cell[tabindex="0"]').focus()
    page.keyboard.press("ArrowRight")
    assert tile(large) == "branch_positive:13"
    grid.locator(".nm-cell").nth(0).hover()
    assert tile(large) == "branch_positive:0"
    assert pixels(large) != centre, "the sprite is drawn, not only named"

    explorer = figure(page, "attribution_explorer")
    explorer.locator(".nm-overlay button").nth(0).hover()
    assert tile(explorer.locator(".nm-detail .nm-large")) == "logit_285_gradxact:0"

    view = figure(page, "factor_view")
    view.locator(".nm-factor").nth(1).hover()
    assert view.locator(".nm-panel > .nm-window").get_attribute("data-factor") == "1"

    panel = figure(page, "objective_comparison").locator(".nm-objective").nth(0)
    panel.locator('.nm-cell[tabindex="0"]').focus()
    page.keyboard.press("ArrowDown")
    assert tile(panel.locator(".nm-large")) == "cells_0:7"

    gallery = figure(page, "gallery")
    gallery.get_by_label("filter by layer").select_option("block10")
    assert gallery.get_by_role("status").text_content() == "32 of 96 units"
    gallery.scroll_into_view_if_needed()
    page.wait_for_function("el => el.querySelector('li:not([hidden])').hasAttribute('data-loaded')",
                           arg=gallery.element_handle())

    again = page.locator("#fig-eye_detector_again .nm-diagram")  # a kind's second diagram works too
    again.locator(".nm-cell").nth(1).hover()
    assert tile(again.locator(".nm-detail .nm-large")) == "branch_positive:1"

    trends = figure(page, "trends")
    trends.locator('.nm-trends-row[data-layer="lite0_block10"] circle[data-channel="101"]').first.hover()
    expect(trends.locator(".nm-trends-detail a")).to_have_attribute("href", re.compile(r"block10\.html#unit-101$"))

    page.evaluate(SETTLE)
    opened = request.node.callspec.id
    for kind in ("decomposition_grid", "gallery", "trends"):
        figure(page, kind).screenshot(path=str(artifacts / f"{kind}_{opened}.png"), animations="disabled")


# -- unit ranking ---------------------------------------------------------------------------------

def test_ranking_lists_each_models_units_and_shows_the_hovered_or_focused_one_large(page):
    ranking = figure(page, "unit_ranking")
    blocks = ranking.locator(".nm-ranking-block")
    assert blocks.count() == 2
    second = blocks.nth(1)
    rows = second.locator("tbody tr")
    assert rows.count() == 3
    assert "block19:17" in rows.nth(1).text_content() and "1.300" in rows.nth(1).text_content()
    large = second.locator(".nm-large")
    assert tile(large) == "units_1:0", "the top unit is shown first"
    rows.nth(2).hover()
    assert tile(large) == "units_1:2"
    rows.nth(1).focus()
    assert tile(large) == "units_1:1" and "#2 block19:17" in second.locator(".nm-detail-caption").text_content()
    assert ranking.locator(".nm-measure-legend dt").all_text_contents() == ["class z", "class mean"]


# -- decomposition comparison ------------------------------------------------------------------------

def test_comparison_shows_each_panels_measures_and_a_cells_top_channels_and_cell_measures(page):
    comparison = figure(page, "decomposition_comparison")
    panels = comparison.locator(".nm-compare-panel")
    assert panels.count() == 2
    second = panels.nth(1)
    assert "EfficientNet-Lite1" in second.text_content()
    assert second.locator(".nm-measures td").all_text_contents() == ["1.100", "\u22120.050"]
    large = second.locator(".nm-detail .nm-large")
    assert tile(large) == "cells_1:12", "the centre cell is shown first"
    second.locator(".nm-cell").nth(21).hover()
    assert tile(large) == "cells_1:21"
    caption = second.locator(".nm-detail-caption").text_content()
    assert "offset (+2, \u22121)" in caption and "wheel 0.200" in caption
    assert second.locator(".nm-channels li").count() == 4
    move_away(page)
    assert tile(large) == "cells_1:12"


def test_comparison_cells_are_one_tab_stop_moved_by_arrow_keys(page):
    panel = figure(page, "decomposition_comparison").locator(".nm-compare-panel").first
    cells = panel.locator(".nm-cell")
    cells.nth(12).focus()
    page.keyboard.press("ArrowUp")
    assert cells.nth(7).evaluate("b => b === document.activeElement")
    assert tile(panel.locator(".nm-detail .nm-large")) == "cells_0:7"
    assert cells.evaluate_all("bs => bs.filter(b => b.tabIndex === 0).length") == 1


# -- trends ------------------------------------------------------------------------------------------

def test_trends_draw_every_unit_per_layer_with_its_baselines_and_name_the_hovered_one(page):
    trends = figure(page, "trends")
    structure, assembly = trends.locator(".nm-trends-panel").nth(0), trends.locator(".nm-trends-panel").nth(1)
    expect(structure).to_have_attribute("data-measure", "off_centre_share")
    expect(structure.locator(".nm-trends-row")).to_have_count(2)
    expect(structure.locator(".nm-trends-dot")).to_have_count(55)
    expect(assembly.locator(".nm-trends-dot")).to_have_count(55)
    expect(structure.locator(".nm-trends-flat")).to_have_count(2)       # the flat window, per layer
    expect(assembly.locator(".nm-trends-null")).to_have_count(2)        # the null's band, per layer
    expect(assembly.locator(".nm-trends-threshold")).to_have_count(2)
    expect(assembly.locator(".nm-trends-share").first).to_have_text(re.compile(r"^\d+% \(99%\)$"))
    expect(structure.locator(".nm-trends-dot.is-named")).to_have_count(1)

    structure.locator('[data-layer="lite0_block10"] circle[data-channel="101"]').hover()
    detail = trends.locator(".nm-trends-detail")
    expect(detail).to_have_attribute("data-unit", "lite0_block10:101")
    expect(detail.locator("a")).to_have_text("block10:101")
    expect(detail.locator("a")).to_have_attribute("href", re.compile(r"atlas/efficientnet_lite0/block10\.html#unit-101$"))

    # Lite1's block12 is in no atlas of the site: its units are named without a link.
    row = assembly.locator('[data-layer="lite1_block12"]')
    row.focus()
    page.keyboard.press("Home")
    expect(detail).to_have_attribute("data-unit", re.compile(r"^lite1_block12:\d+$"))
    expect(detail.locator("a")).to_have_count(0)
    expect(detail).to_contain_text(re.compile("assembles|pools"))
    first = detail.get_attribute("data-unit")
    page.keyboard.press("ArrowRight")
    expect(detail).not_to_have_attribute("data-unit", first)
    expect(row.locator(".nm-trends-dot.is-active")).to_have_count(1)


def test_trends_switch_the_structure_measure(page):
    trends = figure(page, "trends")
    trends.get_by_role("button", name="concentration").click()
    expect(trends.get_by_role("button", name="concentration")).to_have_attribute("aria-pressed", "true")
    expect(trends.locator(".nm-trends-panel").nth(0)).to_have_attribute("data-measure", "concentration")
    expect(trends.locator(".nm-trends-panel").nth(1)).to_have_attribute("data-measure", "assembly_share")
    expect(trends.locator(".nm-trends-panel").nth(0).locator(".nm-trends-dot")).to_have_count(55)


def test_trends_answer_a_tap_on_a_phone(touch_page, artifacts):
    trends = figure(touch_page, "trends")
    trends.scroll_into_view_if_needed()
    trends.locator('.nm-trends-panel[data-measure="off_centre_share"] circle[data-channel="101"]').tap()
    expect(trends.locator(".nm-trends-detail")).to_have_attribute("data-unit", "lite0_block10:101")
    trends.screenshot(path=str(artifacts / "trends_phone.png"), animations="disabled")


# -- evidence: baselines under every figure, a grid's dataset examples and occlusion check ------------

def precision3(x):
    """JavaScript's x.toPrecision(3) for the fixtures' magnitudes, with a true minus sign."""
    return f"{x:#.3g}".rstrip(".").replace("-", "\u2212")


def ordinal(p):
    n = round(p)
    return f"{n}{'th' if n % 100 in (11, 12, 13) else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def test_a_grid_shows_its_dataset_examples_with_their_files_and_the_sets_size(page):
    grid = figure(page, "decomposition_grid")
    examples = figure_data(page, "decomposition_grid")["examples"]
    strip = grid.locator(".nm-examples")
    expect(strip.locator(".nm-examples-size")).to_contain_text(
        f"top 6 of 20 images \u2014 a tiny set: {examples['source']}, 1 unreadable skipped")
    items = strip.locator(".nm-example-list li")
    expect(items).to_have_count(6)
    for k in (0, 5):
        top = examples["top"][k]
        expect(items.nth(k).locator(".nm-tile")).to_have_attribute("data-tile", f"examples:{k}")
        expect(items.nth(k).locator(".nm-value")).to_have_text(precision3(top["activation"]))
        expect(items.nth(k).locator(".nm-example-file")).to_have_text(top["file"])
    expect(items.first.locator(".nm-tile")).to_have_attribute("aria-label", re.compile(r"photo_0\.png: the crop"))


def test_the_occlusion_check_draws_prediction_and_measurement_on_one_scale_and_follows_the_keyboard(page):
    grid = figure(page, "decomposition_grid")
    check = figure_data(page, "decomposition_grid")["occlusion"]
    panel = grid.locator(".nm-occlusion")
    expect(panel.locator(".nm-occlusion-r")).to_have_text(
        f"Pearson r = {precision3(check['pearson'])} (shuffled null: 95% of r below {precision3(check['null']['quantiles']['q95'])})")
    # Its baselines: the off-centre positions alone, and the local gradient's predictions on the photo.
    off, gradient = check["off_centre"], check["gradient"]
    expect(panel.locator(".nm-occlusion-baseline")).to_have_text([
        f"off-centre positions only: r = {precision3(off['pearson'])} (null: 95% below {precision3(off['null']['quantiles']['q95'])})",
        f"local gradient on this photo: r = {precision3(gradient['pearson'])} (null: 95% below "
        f"{precision3(gradient['null']['quantiles']['q95'])}), off-centre r = {precision3(gradient['off_centre']['pearson'])} "
        f"(null: 95% below {precision3(gradient['off_centre']['null']['quantiles']['q95'])})"])
    predicted, measured = panel.locator('.nm-heat[data-map="predicted contribution"]'), panel.locator('.nm-heat[data-map="measured drop"]')
    for heat in (predicted, measured):
        expect(heat.locator(".nm-heat-cell")).to_have_count(25)
        expect(heat.locator(".nm-heat-empty")).to_have_count(5)   # the column outside the map
    # One scale for both maps: the largest magnitude of either has the full colour, and only it.
    values = [(abs(v), name, i) for name, grid_values in (("predicted", check["predicted"]), ("measured", check["measured"]))
              for i, v in enumerate(sum(grid_values, [])) if v is not None]
    _, name, index = max(values)
    strongest = (predicted if name == "predicted" else measured).locator(".nm-heat-cell").nth(index)
    assert strongest.evaluate("c => getComputedStyle(c).backgroundColor") in ("rgb(217, 89, 11)", "rgb(33, 102, 172)")

    readout = panel.locator(".nm-occlusion-readout")
    expect(readout).to_have_text(f"offset (0, 0): predicted {precision3(check['predicted'][2][2])}, "
                                 f"measured {precision3(check['measured'][2][2])}")
    predicted.locator('.nm-heat-cell[tabindex="0"]').focus()
    page.keyboard.press("ArrowLeft")
    expect(readout).to_have_text(re.compile(r"^offset \(0, \u22121\): predicted "))
    page.keyboard.press("Home")
    expect(readout).to_have_text("offset (0, \u22122): outside the map")
    expect(measured.locator(".nm-heat-cell").nth(10)).to_have_class(re.compile("is-active"))
    expect(predicted.locator('.nm-heat-cell[tabindex="0"]')).to_have_count(1)
    measured.locator(".nm-heat-cell").nth(24).hover()
    expect(readout).to_have_text(re.compile(r"^offset \(\+2, \+2\): predicted "))


def test_a_grid_made_before_evidence_shows_none(page):
    again = page.locator("#fig-eye_detector_again")
    expect(again.locator(".nm-diagram[data-ready]")).to_have_count(1)
    expect(again.locator(".nm-examples, .nm-occlusion, .nm-baselines")).to_have_count(0)


def baseline_texts(fig):
    """What each baseline's row must say, from the figure's data."""
    rows = []
    for b in fig["baselines"]:
        parts = [precision3(b["value"])]
        if "layer" in b:
            layer = b["layer"]
            of = f" of {layer['label']}" if "label" in layer else ""
            parts.append(f"{ordinal(layer['percentile'])} percentile of {layer['n']} units{of} "
                         f"(median {precision3(layer['quantiles']['q50'])})")
        if "null" in b:
            null = b["null"]
            parts.append(f"null ({null['kind']}, n={null['n']}): 95% below {precision3(null['quantiles']['q95'])}; "
                         f"exceeded by {round(100 * null['exceeded_by'])}%")
        if "trivial" in b:
            parts.append(f"{b['trivial']['kind']}: {precision3(b['trivial']['value'])}")
        rows.append((b["label"], " \u00b7 ".join(parts)))
    return rows


@pytest.mark.parametrize("kind", ["decomposition_grid", "claim_test"])
def test_baselines_are_listed_under_the_figure(page, kind):
    rows = page.locator(f"#fig-{FIGURE_OF_KIND[kind]} .nm-baselines .nm-baseline")
    expected = baseline_texts(figure_data(page, kind))
    expect(rows).to_have_count(len(expected))
    for k, (label, text) in enumerate(expected):
        expect(rows.nth(k).locator("dt")).to_have_text(label)
        assert rows.nth(k).locator("dd").evaluate("dd => dd.innerText.replace(/\\s+/g, ' ').trim()") == \
            text, "value, then each baseline, separated by middle dots"


def test_baselines_need_no_javascript_and_print(nojs_page):
    expect(nojs_page.locator("#fig-eye_detector .nm-baselines .nm-baseline")).to_have_count(2)
    expect(nojs_page.locator("#fig-eye_detector .nm-fallback")).to_contain_text("Dataset examples: top 6 of 20 images (a tiny set)")
    expect(nojs_page.locator("#fig-eye_detector .nm-fallback")).to_contain_text(re.compile(r"Occlusion check on chelsea\.png: Pearson r = "))
    nojs_page.emulate_media(media="print")
    expect(nojs_page.locator("#fig-car_claim .nm-baselines")).to_be_visible()


# -- claim test ----------------------------------------------------------------------------------------

def test_claim_test_draws_every_units_score_per_layer_with_the_control_and_the_picked_units(page):
    claim = figure(page, "claim_test")
    fig = figure_data(page, "claim_test")
    layers = claim.locator(".nm-claim-layer")
    expect(layers).to_have_count(2)
    for k, layer in enumerate(fig["layers"]):
        section = layers.nth(k)
        expect(section).to_have_attribute("data-layer", layer["id"])
        plot = section.locator("svg.nm-claim-histogram")
        counts = plot.locator(".nm-claim-bar").evaluate_all("bars => bars.map(b => +b.dataset.count)")
        assert sum(counts) == layer["n"], "every unit's score is in the histogram"
        expect(plot.locator(".nm-claim-axis-label")).to_have_text("claim score")
        expect(plot.locator(".nm-claim-marker.is-control text")).to_have_text("control")
        expect(plot.locator(".nm-claim-marker.is-unit text")).to_have_text([f":{u['channel']}" for u in layer["units"]])
        expect(plot).to_have_attribute("aria-label", re.compile(
            rf"claim score of {layer['n']} units of {layer['label']}.*control .* at the {ordinal(layer['control']['percentile'])} percentile"))
        # The fixture's control scores above every unit: its marker is right of every bar.
        control_x = float(plot.locator(".nm-claim-marker.is-control line").get_attribute("x1"))
        assert control_x > max(plot.locator(".nm-claim-bar").evaluate_all("bars => bars.map(b => +b.getAttribute('x'))"))
        units = section.locator("li.nm-claim-unit")
        expect(units).to_have_count(len(layer["units"]))
        first = layer["units"][0]
        expect(units.first.locator(".nm-tile")).to_have_attribute("data-tile", f"{first['image']['sprite']}:{first['image']['index']}")
        expect(units.first.locator(".nm-claim-rank")).to_have_text(f"{ordinal(first['percentile'])} percentile \u00b7 #1 by response")
        expect(section.locator(".nm-claim-control-note")).to_contain_text(f"{ordinal(layer['control']['percentile'])} percentile of the layer")

    expect(claim.locator('.nm-claim-group[data-group="car"] li')).to_have_count(4)
    expect(claim.locator('.nm-claim-group[data-group="control"] li')).to_have_count(2)
    expect(claim.locator('.nm-claim-group[data-group="control"] li').first).to_contain_text("Egyptian cat")
    expect(claim.locator(".nm-claim-directions li")).to_have_count(2)
    expect(claim.locator('.nm-claim-checks tr[data-check="wheel_ig"] td')).to_have_text("0.620")


def test_claim_test_marks_the_hovered_or_focused_unit_on_its_histogram(page):
    claim = figure(page, "claim_test")
    second = claim.locator(".nm-claim-layer").nth(1)
    channel = figure_data(page, "claim_test")["layers"][1]["units"][1]["channel"]
    marker = second.locator(".nm-claim-marker.is-unit").nth(1)
    expect(marker).not_to_have_class(re.compile("is-active"))
    second.locator("li.nm-claim-unit").nth(1).hover()
    expect(marker).to_have_class(re.compile("is-active"))
    expect(marker.locator("text")).to_have_text(f":{channel}")
    move_away(page)
    expect(marker).not_to_have_class(re.compile("is-active"))
    second.locator("li.nm-claim-unit").nth(0).focus()
    page.keyboard.press("Tab")
    expect(marker).to_have_class(re.compile("is-active"))
    expect(second.locator(".nm-claim-marker.is-active")).to_have_count(1)


def test_claim_test_and_evidence_fit_a_phone_and_answer_a_tap(touch_page, artifacts):
    for kind in ("claim_test", "decomposition_grid"):
        diagram = figure(touch_page, kind)
        diagram.scroll_into_view_if_needed()
        assert diagram.evaluate("d => d.scrollWidth <= d.clientWidth + 1"), f"{kind} fits the phone's width"
    claim = figure(touch_page, "claim_test")
    unit = claim.locator(".nm-claim-layer").first.locator("li.nm-claim-unit").first
    unit.tap()
    expect(claim.locator(".nm-claim-layer").first.locator(".nm-claim-marker.is-active")).to_have_count(1)
    grid = figure(touch_page, "decomposition_grid")
    grid.locator('.nm-heat[data-map="measured drop"] .nm-heat-cell').nth(4).tap()
    expect(grid.locator(".nm-occlusion-readout")).to_have_text(re.compile(r"^offset \(\u22122, \+2\)"))
    for kind in ("claim_test", "decomposition_grid"):
        figure(touch_page, kind).screenshot(path=str(artifacts / f"{kind}_phone.png"), animations="disabled")
