"""Publishing fields of the front matter, the tags they put in the page's <head>, the "Cite as"
appendix, the social card, what `check` verifies of them, and build.py pdf's refusals (the PDF
itself is printed by Chromium: tests/browser/test_publish.py)."""

import html.parser
import sys

import pytest
from PIL import Image
from pybtex.database import parse_string

from test_build_support import REPO, built_template, edit, project, run_build, snapshot  # noqa: F401

PUBLISHED = """date: 2025-01-15
url: https://example.org/nm/
doi: 10.1234/nm.2025
license: CC BY 4.0
updated: 2025-02-01
card_figure: beta"""

# The stand-in diagram partial, with a fallback image as the real partials have.
PARTIAL_WITH_FALLBACK = ('<div class="nm-fallback"><img class="nm-fallback-grid" src="{{ asset_url }}units.png" '
                         'alt="Units of {{ name }}."></div>\n')


class _Head(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []  # (name, content) in order

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            self.tags.append((attrs.get("name") or attrs["property"], attrs["content"]))
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.tags.append(("canonical", attrs["href"]))

    def values(self, name):
        return [content for key, content in self.tags if key == name]


def head(root):
    page = _Head()
    page.feed((root / "_site" / "index.html").read_text())
    return page


@pytest.fixture
def published(project):
    """The test project with every publishing field set and a partial that has a fallback image."""
    edit(project / "article" / "index.md", "date: 2025-01-15", PUBLISHED)
    (project / "article" / "templates" / "diagrams" / "gallery.html").write_text(PARTIAL_WITH_FALLBACK)
    run_build(project, "--no-figures", check=True)
    return project


def test_head_has_scholar_canonical_open_graph_and_twitter_tags(published):
    page = head(published)
    assert page.values("citation_title") == ["Test Article"]
    assert page.values("citation_author") == ["Ada Author"]
    assert page.values("citation_publication_date") == ["2025/01/15"]
    assert page.values("citation_online_date") == ["2025/02/01"]
    assert page.values("citation_doi") == ["10.1234/nm.2025"]
    assert page.values("citation_pdf_url") == [], "no PDF was built"
    # One citation_reference per entry of the reference list, in its order.
    references = page.values("citation_reference")
    assert len(references) == 2
    assert references[0].startswith("citation_title=Feature Visualization;citation_author=Chris Olah;")
    assert "citation_conference_title=CVPR" in references[1]
    assert page.values("canonical") == ["https://example.org/nm/"]
    assert page.values("og:url") == ["https://example.org/nm/"]
    assert page.values("og:image") == page.values("twitter:image") == ["https://example.org/nm/assets/social-card.jpg"]
    assert page.values("og:image:alt") == ["Units of beta."], "card_figure chose beta"
    assert page.values("twitter:card") == ["summary_large_image"]
    assert page.values("article:modified_time") == ["2025-02-01"]
    with Image.open(published / "_site" / "assets" / "social-card.jpg") as card:
        assert card.size == (1200, 630) and card.format == "JPEG"
        assert card.getpixel((5, 5)) >= (250, 250, 250), "a white backdrop"
        assert card.getpixel((600, 315))[0] > 200 and card.getpixel((600, 315))[1] < 40, "beta's red sprite in the middle"


def test_without_url_the_tags_are_relative_and_the_card_is_the_first_figure(project):
    (project / "article" / "templates" / "diagrams" / "gallery.html").write_text(PARTIAL_WITH_FALLBACK)
    run_build(project, "--no-figures", check=True)
    page = head(project)
    assert page.values("canonical") == [] and page.values("og:url") == []
    assert page.values("og:image") == ["assets/social-card.jpg"]
    assert page.values("og:image:alt") == ["Units of alpha."]


def test_cite_as_gives_a_sentence_and_a_bibtex_entry_from_the_front_matter(published):
    html = (published / "_site" / "index.html").read_text()
    assert "Ada Author, \u201cTest Article\u201d, 2025. https://doi.org/10.1234/nm.2025" in html
    assert "License: CC BY 4.0" in html
    bibtex = html.split('<pre class="cite-bibtex"><code>')[1].split("</code>")[0]
    entry = parse_string(bibtex.replace("&#34;", '"'), "bibtex").entries["author2025test"]
    assert entry.fields["title"] == "{Test Article}"
    assert entry.fields["doi"] == "10.1234/nm.2025" and entry.fields["url"] == "https://example.org/nm/"
    assert [str(p) for p in entry.persons["author"]] == ["Author, Ada"]


@pytest.mark.parametrize("field, value, message", [
    ("url", "javascript:alert(1)", "index.md:9: front matter field 'url' is 'javascript:alert(1)': give the article's absolute address"),
    ("url", "example.org/nm", "index.md:9: front matter field 'url'"),
    ("url", "https:///nm", "index.md:9: front matter field 'url'"),
    ("doi", "https://doi.org/10.1234/x", "index.md:9: front matter field 'doi' is 'https://doi.org/10.1234/x': give a DOI like"),
    ("updated", "2024-12-31", "index.md:9: front matter field 'updated' must be a date like 2025-02-28, on or after 'date' (2025-01-15)"),
    ("updated", "2025-02-30", "index.md:9: front matter value '2025-02-30' is impossible"),
    ("card_figure", "gamma", "index.md: front matter field 'card_figure' names 'gamma', which the article does not embed"),
])
def test_bad_publishing_fields_are_one_line_naming_the_line(project, field, value, message):
    before = snapshot(project / "_site")
    edit(project / "article" / "index.md", "bibliography: references.bib", f"bibliography: references.bib\n{field}: {value}")
    result = run_build(project, "--no-figures")
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert snapshot(project / "_site") == before


def test_empty_doi_and_url_mean_none(project):
    edit(project / "article" / "index.md", "bibliography: references.bib", 'bibliography: references.bib\ndoi: ""\nurl: ""')
    run_build(project, "--no-figures", check=True)
    page = head(project)
    assert page.values("citation_doi") == [] and page.values("canonical") == []


def test_check_verifies_the_tags_and_the_card_image(published):
    assert run_build(published, "check").returncode == 0
    (published / "_site" / "assets" / "social-card.jpg").unlink()
    index = published / "_site" / "index.html"
    index.write_text(index.read_text().replace('<meta name="citation_author" content="Ada Author">', ""))
    result = run_build(published, "check")
    assert result.returncode == 1
    assert "index.html: <head> has no citation_author" in result.stdout
    assert "index.html: og:image 'https://example.org/nm/assets/social-card.jpg' is not a file of the site" in result.stdout


# -- build.py pdf's refusals: one line, exit status 2, nothing written --------------------------------

def test_pdf_to_a_folder_is_refused(project, tmp_path):
    result = run_build(project, "pdf", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "is a folder; give a file name" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_pdf_over_a_file_that_is_not_a_pdf_is_refused(project):
    notes = project / "notes.pdf"
    notes.write_text("my notes")
    result = run_build(project, "pdf", "--out", str(notes))
    assert result.returncode == 2 and "exists and is not a PDF" in result.stderr
    assert notes.read_text() == "my notes"


def test_pdf_of_a_site_that_fails_to_build_is_refused(project, tmp_path):
    edit(project / "article" / "index.md", "[@olah2017feature]", "[@nosuchkey]")
    result = run_build(project, "--no-figures", "pdf", "--out", str(tmp_path / "a.pdf"))
    assert result.returncode == 2
    assert "unknown citation key 'nosuchkey'" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "a.pdf").exists()


def test_pdf_without_chromium_is_refused(project, tmp_path, monkeypatch, capsys):
    sys.path.insert(0, str(REPO))
    import build
    from mechanics.site import pdf

    monkeypatch.setattr(pdf, "CHROMIUM", tmp_path / "no-chromium")
    assert build.main(["--root", str(project), "--no-figures", "pdf", "--out", str(tmp_path / "a.pdf")]) == 2
    error = capsys.readouterr().err
    assert "prints with Debian's chromium, which is not at" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "a.pdf").exists()
