"""Publishing the article: on a phone (touch), in print, in dark mode, and as a PDF (build.py pdf,
read back with pypdf). Phone, print and dark run over HTTP and from file://."""

import html.parser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from figure_fixtures import PAGE_FIGURES

REPO = Path(__file__).resolve().parents[2]

WAYS = ["http", "file"]
URL = "https://example.org/fixtures/"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def luminance(css_colour):
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


# -- phone --------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", WAYS)
def test_a_phone_never_scrolls_sideways_and_a_tap_reaches_what_hover_shows(open_article, how, artifacts):
    page = open_article(how, **PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
    # The wide maths and table are wider than the screen: they scroll in their own box.
    for wide in (page.locator(".math-display math").first, page.locator(".article table").first):
        assert wide.evaluate("e => e.scrollWidth > e.clientWidth + 50 && e.getBoundingClientRect().right <= innerWidth")
    page.screenshot(path=str(artifacts / f"phone-{how}.png"))

    note = page.locator(".footnote-ref").first
    note.tap()
    box = page.locator(".hover-box")
    expect(box).to_contain_text("The footnote a tap opens.")
    assert "#fn" not in page.url, "the tap opened the note in place instead of jumping to the appendix"
    page.locator(".citation").first.tap()
    expect(box).to_contain_text("Feature visualization")
    page.locator("h1").tap()
    expect(box).to_have_count(0)

    grid = page.locator(f"#fig-{next(iter(PAGE_FIGURES))} .nm-diagram")
    large = grid.locator(".nm-detail .nm-large")
    expect(large).to_have_attribute("data-tile", "branch_positive:12")
    grid.locator(".nm-cell").nth(0).tap()
    expect(large).to_have_attribute("data-tile", "branch_positive:0")


# -- print --------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", WAYS)
def test_print_shows_each_figures_static_state_without_controls(open_article, how):
    page = open_article(how)
    assert page.locator("button:visible").count() > 0
    page.emulate_media(media="print")
    assert page.locator("button:visible, select:visible, input:visible").count() == 0
    assert page.locator(".nm-print-fallback:visible").count() == len(PAGE_FIGURES)
    assert page.locator(".nm-diagram .nm-tile:visible").count() == 0
    # Its images, the gallery's lazy ones too, load for the printer (the page's beforeprint).
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_function("[...document.querySelectorAll('.nm-print-fallback img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    assert page.locator("#fig-unit_gallery .nm-print-fallback img").count() > 0
    link = page.locator('.article a[href^="https://"]').first
    assert "https://example.org/fixtures" in link.evaluate("a => getComputedStyle(a, '::after').content")
    assert page.locator("figure").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    expect(page.locator(".footnotes")).to_be_visible()
    expect(page.locator(".references")).to_be_visible()
    expect(page.locator(".contents")).to_be_hidden()


# -- dark mode ----------------------------------------------------------------------------------

@pytest.mark.parametrize("how", WAYS)
def test_dark_mode_darkens_the_page_and_keeps_figures_on_a_light_backdrop(open_article, how, artifacts):
    page = open_article(how, color_scheme="dark")
    body = page.evaluate("[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]")
    assert luminance(body[0]) < 0.15 and luminance(body[1]) > 0.7
    tile = page.locator(f"#fig-{next(iter(PAGE_FIGURES))} .nm-tile").first
    assert luminance(tile.evaluate("t => getComputedStyle(t).backgroundColor")) > 0.9
    assert "rgb(244, 244, 244)" in tile.evaluate("t => getComputedStyle(t).boxShadow"), "a light mat around the sprite"
    page.screenshot(path=str(artifacts / f"dark-{how}.png"))
    # Print stays light whatever the screen's scheme.
    page.emulate_media(media="print")
    assert luminance(page.evaluate("getComputedStyle(document.body).backgroundColor")) > 0.9


@pytest.mark.parametrize("how", WAYS)
def test_atlas_pages_follow_the_dark_scheme(browser, site_urls, how):
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(site_urls[how].rpartition("/")[0] + "/atlas/index.html", wait_until="load")
        expect(page.locator("h1")).to_have_text("Atlas")
        assert luminance(page.evaluate("getComputedStyle(document.body).backgroundColor")) < 0.15
    finally:
        context.close()


# -- the PDF --------------------------------------------------------------------------------------

class _Head(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            self.tags.append((attrs.get("name") or attrs["property"], attrs["content"]))
        if tag == "link" and attrs.get("rel") == "canonical":
            self.tags.append(("canonical", attrs["href"]))


@pytest.fixture(scope="module")
def printed(site_dir, tmp_path_factory):
    """A copy of the fixture project, published at URL, printed by build.py pdf into its site (index.pdf)."""
    root = shutil.copytree(site_dir.parent, tmp_path_factory.mktemp("print") / "project", symlinks=True)
    index = root / "article" / "index.md"
    index.write_text(index.read_text().replace("bibliography:", f"url: {URL}\nbibliography:", 1))
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--no-figures", "pdf"],
                            capture_output=True, text=True, cwd=REPO, timeout=180)
    assert result.returncode == 0, result.stderr
    assert re.match(r"printed .*index\.pdf: \d+ pages", result.stdout), result.stdout
    return root


def test_the_pdf_has_the_articles_text_figures_and_metadata(printed):
    from pypdf import PdfReader

    reader = PdfReader(printed / "_site" / "index.pdf")
    assert reader.metadata.title == "Diagram fixtures"
    assert reader.metadata.author == "Test Author"
    pages = len(reader.pages)
    assert pages >= 2
    texts = [page.extract_text() for page in reader.pages]
    text = " ".join(" ".join(texts).split())
    assert "Diagram fixtures" in texts[0]
    assert "Figure 1:" in text and "The decomposition_grid fixture." in text
    assert "https://example.org/fixtures" in "".join(text.split()), "an external link's target is printed"
    assert "The footnote a tap opens." in text and "Feature visualization" in text, "notes and references kept"
    assert "Cite as" in text
    assert all(f"{n} / {pages}" in texts[n - 1] for n in range(1, pages + 1)), "numbered pages"
    assert not re.search(r"\bskip path\b|\binhibits\b", text), "no diagram controls"
    images = sum(len(page.images) for page in reader.pages)
    assert images >= len(PAGE_FIGURES), "each figure's static images are embedded"
    # Printed at its published address: links to the site's other pages are that address's.
    links = {annotation.get_object()["/A"].get("/URI") for page in reader.pages
             for annotation in page.get("/Annots") or [] if "/A" in annotation.get_object()}
    assert f"{URL}atlas/index.html" in links
    assert not [link for link in links if link and not link.startswith("https://")]


def test_the_page_of_a_printed_build_names_its_pdf_and_check_passes(printed):
    page = _Head()
    page.feed((printed / "_site" / "index.html").read_text())
    tags = dict(page.tags)
    assert tags["citation_pdf_url"] == f"{URL}index.pdf"
    assert tags["citation_title"] == "Diagram fixtures"
    assert tags["canonical"] == URL
    assert tags["og:image"] == f"{URL}assets/social-card.jpg" and (printed / "_site" / "assets" / "social-card.jpg").is_file()
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(printed), "check"],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
