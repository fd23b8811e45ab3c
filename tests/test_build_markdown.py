"""The Markdown pipeline: footnotes, math, citations, figure numbering and cross-references."""

from pathlib import Path

import pytest

from mechanics.figure_spec import FigureSpec
from mechanics.site.citations import Bibliography
from mechanics.site.errors import SourceError
from mechanics.site.markdown_pipeline import figure_slot, render_body
from test_build_support import BIB


@pytest.fixture
def bib(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text(BIB)
    return Bibliography(path)


def spec(name):
    return FigureSpec(name=name, kind="gallery", title=name, caption=f"Caption of *{name}* [@lee1999learning].",
                      model="efficientnet_lite0", params={})


def render(body, bib, figures=("alpha", "beta"), tmp=None):
    paths = {}
    for name in figures:
        path = Path(bib.path).parent / f"{name}.py"
        path.write_text("caption = ...\n")
        paths[name] = path
    return render_body(body, "article/index.md", 10, bib, {n: spec(n) for n in figures}, paths)


def test_footnotes_are_linked_both_ways_and_kept_out_of_the_body(bib):
    page = render("Text with a note.[^why]\n\n[^why]: Because.\n", bib)
    assert 'href="#fn:why"' in page.body_html
    assert 'id="fn:why"' in page.footnotes_html and "Because." in page.footnotes_html
    assert "Because." not in page.body_html


def test_inline_and_display_math_become_mathml(bib):
    page = render("Inline $a^2$ here.\n\n$$\\frac{1}{2}$$\n", bib)
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow><msup><mi>a</mi><mn>2</mn>' in page.body_html
    assert 'display="block"' in page.body_html and "<mfrac>" in page.body_html
    assert "$" not in page.body_html


def test_dollars_in_code_and_escaped_dollars_stay_text(bib):
    page = render("Costs \\$5 and `$x$` and 3\\$ or \\$4.\n\n```\n$y$ [@nope] @figure(zz)\n```\n", bib)
    assert "<math" not in page.body_html
    assert "&#36;5" in page.body_html and "<code>$x$</code>" in page.body_html
    assert "[@nope]" in page.body_html


def test_code_of_every_kind_is_never_maths_or_our_syntax(bib):
    body = ("Text.\n\n    return shell_exec(\"echo $input | $markdown_script\");\n    [@nope] @figure(zz)\n\n"
            "Inline `$a | $b` and\n\n```\n$c | $d\n```\n\nthen $x^2$.\n")
    page = render(body, bib, figures=())
    assert '<code>return shell_exec("echo $input | $markdown_script");\n[@nope] @figure(zz)\n</code></pre>' in page.body_html
    assert "<code>$a | $b</code>" in page.body_html and "$c | $d" in page.body_html
    assert page.body_html.count("<math") == 1  # only $x^2$


def test_citations_are_numbered_by_first_use_and_listed_in_that_order(bib):
    page = render("First [@szegedy2015going]. Both [@olah2017feature; @szegedy2015going].\n", bib, figures=())
    assert '<a href="#ref-szegedy2015going" data-cite="szegedy2015going">1</a>]' in page.body_html
    assert ">2</a>, <a href=\"#ref-szegedy2015going\" data-cite=\"szegedy2015going\">1</a>]" in page.body_html
    assert [(r.key, r.number) for r in page.references] == [("szegedy2015going", 1), ("olah2017feature", 2)]
    assert "Going deeper with convolutions" in page.references[0].html


def test_figures_are_numbered_in_order_and_cross_references_read_figure_n(bib):
    page = render("See @fig:beta first.\n\n@figure(alpha)\n\n@figure(beta)\n\nAgain @fig:alpha.\n", bib)
    assert page.figures == ["alpha", "beta"]
    assert '<a class="figure-ref" href="#fig-beta">Figure 2</a>' in page.body_html
    assert '<a class="figure-ref" href="#fig-alpha">Figure 1</a>' in page.body_html
    assert figure_slot("alpha") in page.body_html and "<p>" + figure_slot("alpha") not in page.body_html
    # Captions are Markdown, and their citations join the article's numbering.
    assert page.captions["alpha"].startswith("Caption of <em>alpha</em>")
    assert [r.key for r in page.references] == ["lee1999learning"]


def test_headings_get_anchors_and_a_table_of_contents(bib):
    page = render("## First part\n\n### Detail\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", bib, figures=())
    assert '<h2 id="first-part">' in page.body_html and 'class="heading-anchor"' in page.body_html
    assert 'href="#first-part"' in page.toc_html and 'href="#detail"' in page.toc_html
    assert "<table>" in page.body_html


@pytest.mark.parametrize("body, line, message", [
    ("Fine.\n\nBad $\\frac{a$ math.\n", 12, "bad TeX"),
    ("Fine.\n\n$$\\left( x$$\n", 12, "bad TeX"),
    ("Fine.\n\nUnknown $\\nosuchcommand x$.\n", 12, "unknown TeX command \\nosuchcommand"),
    ("Fine.\n\nSee [@nope].\n", 12, "unknown citation key 'nope'"),
    ("Fine.\n\n\n@figure(gamma)\n", 13, "unknown figure 'gamma'"),
    ("See @fig:beta.\n", 10, "not embedded"),
    ("@figure(alpha)\n\n@figure(alpha)\n", 12, "embedded twice"),
])
def test_bad_input_names_the_article_line(bib, body, line, message):
    with pytest.raises(SourceError) as error:
        render(body, bib)
    assert f"article/index.md:{line}: " in str(error.value)
    assert message in str(error.value)


def test_broken_bib_entry_names_the_bib_line(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text(BIB + "\n@article{broken,\n  title = {No closing brace},\n")
    with pytest.raises(SourceError, match=r"references.bib:\d+: broken BibTeX"):
        Bibliography(path)


def test_entry_missing_a_required_field_names_its_line(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text(BIB + "\n@article{anonymous,\n  title = {No author},\n  year = {2000},\n}\n")
    bib = Bibliography(path)
    bib.cite("anonymous", "article/index.md", 1)
    with pytest.raises(SourceError, match=r"references.bib:22: broken entry 'anonymous'"):
        bib.references()


def test_fenced_code_with_a_language_is_highlighted_by_pygments(bib):
    page = render("Run:\n\n```python\nx = 1  # one\n```\n\n~~~bash\necho $HOME [@nope]\n~~~\n", bib, figures=())
    assert '<div class="highlight"><pre><span></span><code><span class="n">x</span>' in page.body_html
    assert '<span class="c1"># one</span>' in page.body_html
    assert "<p>" not in page.body_html.split("Run:")[1] and "python" not in page.body_html
    assert '<span class="nv">$HOME</span>' in page.body_html and "@nope" in page.body_html  # not our syntax here
    assert "<math" not in page.body_html and "citation" not in page.body_html


def test_fenced_code_without_a_language_keeps_its_lines(bib):
    page = render("```\npython build.py figures --list\npython build.py check\n```\n", bib, figures=())
    assert "<pre><span></span><code>python build.py figures --list\npython build.py check\n</code></pre>" in page.body_html


@pytest.mark.parametrize("body, line, message", [
    ("Fine.\n\nA note[^gone] here.\n", 12, "footnote [^gone] has no definition"),
    ("Two[^a] notes[^b].\n\n[^a]: Only one.\n", 10, "footnote [^b] has no definition"),
    ("Fine.\n\nCosts $5 today.\n", 12, "unbalanced '$'"),
    ("Fine.\n\nFrom 3$ to 4$.\n", 12, "unbalanced '$'"),
    ("$$\\frac{1}{2}\n\nnever closed\n", 10, "unbalanced '$'"),
    ("Text.\n\n```pyhton\nx = 1\n```\n", 12, "unknown code language 'pyhton'"),
    ("~~~nosuchlang\nx\n~~~\n", 10, "unknown code language 'nosuchlang'"),
    ("Text.\n\n@figure alpha\n", 12, "malformed directive '@figure alpha': write @figure(NAME) alone on its line"),
    ("Text.\n\n  @figure(alpha) and more\n", 12, "malformed directive '@figure(alpha) and more'"),
    ("Text.\n\n@figure[alpha]\n", 12, "malformed directive '@figure[alpha]'"),
])
def test_markdown_mistakes_name_the_article_line(bib, body, line, message):
    with pytest.raises(SourceError) as error:
        render(body, bib, figures=())
    assert f"article/index.md:{line}: " in str(error.value)
    assert message in str(error.value)
