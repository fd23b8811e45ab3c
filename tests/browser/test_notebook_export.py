"""The example notebook, run headless in quick mode (tests/conftest.py), exported to HTML by nbconvert
with the offline template and opened from file://: every diagram becomes interactive, with no console
error and no request but the page itself."""

import re

from playwright.sync_api import expect

from conftest import PageProblems, _open
from notebook_support import export_html

GRIDS = 2  # the decomposition and the atlas entry
DIAGRAMS = GRIDS + 2  # and the attribution and the factors


def tile(locator):
    return locator.get_attribute("data-tile")


def test_the_exported_notebook_is_interactive_from_file(executed_example, browser, tmp_path, artifacts):
    html_file = tmp_path / "decomposing_a_neuron.html"
    html_file.write_text(export_html(executed_example), encoding="utf-8")
    url = html_file.as_uri()
    problems = PageProblems(url)
    context, page = _open(browser, problems)
    page.goto(url)
    expect(page.locator(".nm-diagram")).to_have_count(DIAGRAMS)
    expect(page.locator(".nm-diagram[data-ready]")).to_have_count(DIAGRAMS)
    # Each diagram answers the reader: a hovered cell becomes the detail view.
    grids = page.locator("nm-decomposition-grid")
    expect(grids).to_have_count(GRIDS)
    for i in range(GRIDS):
        large = grids.nth(i).locator(".nm-detail .nm-large")
        centre = tile(large)
        grids.nth(i).locator(".nm-cell").nth(0).hover()
        expect(large).not_to_have_attribute("data-tile", centre)
    first = grids.first
    first.locator(".nm-toggle button", has_text="skip path").click()
    expect(first.locator(".nm-detail .nm-large")).to_have_attribute("data-tile", re.compile(r"^skip_positive:\d+$"))
    explorer = page.locator("nm-attribution-explorer")
    large = explorer.locator(".nm-detail .nm-large")
    explorer.locator(".nm-overlay button").nth(0).hover()
    expect(large).to_have_attribute("data-tile", "logit_285_gradxact:0")
    view = page.locator("nm-factor-view")
    view.locator(".nm-factor").nth(1).hover()
    expect(view.locator(".nm-panel > .nm-window")).to_have_attribute("data-factor", "1")
    # Every picture is inline: the only request is the page.
    backgrounds = page.locator(".nm-diagram .nm-tile").evaluate_all(
        "tiles => tiles.map(t => getComputedStyle(t).backgroundImage).filter(b => b !== 'none')")
    assert backgrounds and all(b.startswith('url("data:image/jpeg;base64,') for b in backgrounds)
    grids.first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "notebook_export.png"), full_page=True)
    context.close()
    problems.assert_clean()
    assert problems.requested == [url]
