"""Numbers bound to figures' facts: {{ figure.fact }} in the article, its errors, and check's copied numbers."""

import pytest

from mechanics.site import bindings
from test_build_server import Server, read_event
from test_build_support import built_template, edit, project, run_build, snapshot  # noqa: F401


def fact(value, kind="number", digits=2):
    return bindings.Fact("fig", "x", value, kind, 0 if kind == "count" else digits)


@pytest.mark.parametrize("value, expression, shown", [
    (fact(0.1247), "{{ f }}", "0.12"),
    (fact(-6.325, "signed"), "{{ f }}", "−6.33"),             # a true minus sign, as the article types
    (fact(0.024, "signed", 3), "{{ f }}", "+0.024"),
    (fact(0.163385, "share", 1), "{{ f }}", "16.3%"),
    (fact(-0.538, "percent", 1), "{{ f | pct(0) }}", "−54%"),
    (fact(0.79117, "share", 2), "{{ f | fixed(2) }}", "0.79"),
    (fact(-0.6001), "{{ f | signed(2) }}", "−0.60"),
    (fact(0.34), "{{ f | signed(2) }}", "+0.34"),
    (fact(1808, "count"), "{{ f }}", "1,808"),
    (fact(1808.4), "{{ f | sep(0) }}", "1,808"),
    (fact(13, "count"), "{{ f | words }}", "thirteen"),
    (fact(-0.0001), "{{ f }}", "0.00"),                       # no "−0.00"
])
def test_a_fact_prints_by_its_kind_and_the_filters(value, expression, shown):
    scope = bindings.Scope(g=bindings.Facts("g", {"f": value}))
    assert bindings.render(expression.replace("f", "g.f", 1), "article/index.md", 1, scope) == shown


def test_code_spans_and_blocks_keep_their_braces_and_lines():
    scope = bindings.Scope(g=bindings.Facts("g", {"f": fact(0.5)}))
    body = "a {{ g.f }}\n\n```\n{{ g.f }}\n```\n`{{ g.f }}` and ``{{ g.nope }}``\n\n~~~\n{% raw %}\n~~~\nend\n"
    assert bindings.render(body, "article/index.md", 1, scope) == body.replace("a {{ g.f }}", "a 0.50", 1)


def test_an_unknown_fact_fails_the_build_naming_line_name_and_closest_and_keeps_the_site(project):
    before = snapshot(project / "_site")
    index = project / "article" / "index.md"
    edit(index, "Then [@szegedy2015going", "The share is {{ alpha.median_shar }}.\n\nThen [@szegedy2015going")
    line = index.read_text().splitlines().index("The share is {{ alpha.median_shar }}.") + 1
    result = run_build(project, "--no-figures")
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith("error: ") and f"article/index.md:{line}: figure 'alpha' has no fact 'median_shar'" in message
    assert "closest: median_share" in message and "norm" in message and len(message.splitlines()) == 1
    assert snapshot(project / "_site") == before


def test_an_unknown_figure_names_the_closest_figure(project):
    edit(project / "article" / "index.md", "## Intro", "## Intro\n\nIt is {{ alpah.norm }}.")
    result = run_build(project, "--no-figures")
    assert result.returncode == 2 and "article/index.md:" in result.stderr
    assert "unknown figure 'alpah' (closest: alpha;" in result.stderr


def test_a_fact_changed_in_the_figures_data_changes_the_built_page(project):
    edit(project / "article" / "index.md", "## Intro", "## Intro\n\nA median {{ alpha.median_share }} in {{ figures.count }} figures.")
    run_build(project, "--no-figures", check=True)
    assert "A median 16.3% in 2 figures." in (project / "_site" / "index.html").read_text()
    edit(project / "figures_src" / "alpha.py", "0.163385", "0.171")   # the figure's script computes another value
    run_build(project, check=True)                                    # which the build regenerates
    page = (project / "_site" / "index.html").read_text()
    assert "A median 17.1% in 2 figures." in page and "16.3%" not in page


def test_check_reports_a_copied_number_with_its_line_and_binding_and_warns_of_other_decimals(project):
    index = project / "article" / "index.md"
    edit(index, "Then [@szegedy2015going", "A median 16.3% and a norm of 0.12, at 2.5 px.\n\nThen [@szegedy2015going")
    line = index.read_text().splitlines().index("A median 16.3% and a norm of 0.12, at 2.5 px.") + 1
    run_build(project, "--no-figures", check=True)
    result = run_build(project, "check")
    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert f"article/index.md:{line}: 16.3% is typed but is a figure's fact: bind it as {{{{ alpha.median_share }}}}" in out
    assert f"article/index.md:{line}: 0.12 is typed but is a figure's fact: bind it as {{{{ alpha.norm }}}}" in out
    assert f"warning: " in out and f"article/index.md:{line}: 2.5 is typed and no fact" in out
    # Bound, and the setting listed with its reason: nothing left.
    edit(index, "A median 16.3% and a norm of 0.12", "A median {{ alpha.median_share }} and a norm of {{ alpha.norm }}")
    (project / "article" / "numbers.yml").write_text('"2.5": a render setting, not a result\n')
    run_build(project, "--no-figures", check=True)
    result = run_build(project, "check")
    assert result.returncode == 0 and result.stdout.strip().endswith("check: ok"), result.stdout


def test_braces_in_a_code_block_stay_literal_on_the_page(project):
    edit(project / "article" / "index.md", "## Intro", "## Intro\n\nBound: {{ alpha.norm }}.\n\n```\n{{ alpha.norm }}\n```\n")
    run_build(project, "--no-figures", check=True)
    page = (project / "_site" / "index.html").read_text()
    assert "Bound: 0.12." in page and "<code>{{ alpha.norm }}\n</code>" in page


def test_regenerating_a_figure_while_serve_runs_updates_the_number(project):
    edit(project / "article" / "index.md", "## Intro", "## Intro\n\nThe median is {{ alpha.median_share }}.")
    server = Server(project)
    try:
        assert b"The median is 16.3%." in server.get("/")[1]
        stream = server.events()
        edit(project / "figures_src" / "alpha.py", "0.163385", "0.2")
        assert read_event(stream)[0] == "build-ok"          # the script edit marks it stale
        run_build(project, "figures", "alpha", check=True)
        while read_event(stream)[0] != "reload" or b"The median is 20.0%." not in server.get("/")[1]:
            pass
    finally:
        server.stop()


def test_a_figure_without_data_prints_a_gap_and_a_whole_figure_is_not_a_number():
    scope = bindings.Scope(new=bindings.Facts("new", {}, pending="figure new has no data yet"),
                           g=bindings.Facts("g", {"f": fact(0.5)}))
    assert bindings.render("$p = {{ new.prob | fixed(2) }}$ and {{ new.x }}", "a.md", 1, scope) == "$p = ?$ and ?"
    with pytest.raises(bindings.SourceError, match=r"a.md:2: \{\{ g \}\} is a figure, not a number: write \{\{ g.FACT \}\} .*valid: f"):
        bindings.render("\n{{ g }}", "a.md", 1, scope)
    with pytest.raises(bindings.SourceError, match="a.md:1: the fixed filter formats a figure's fact, got 3"):
        bindings.render("{{ 3 | fixed }}", "a.md", 1, scope)


def test_statements_may_span_paragraphs_and_errors_keep_their_line():
    scope = bindings.Scope(g=bindings.Facts("g", {"f": fact(0.5)}))
    body = "{% if g.f.value > 0.4 %}\n\nbig {{ g.f }}\n\n{% endif %}\nend\n"
    assert bindings.render(body, "a.md", 1, scope) == "\n\nbig 0.50\n\n\nend\n"
    with pytest.raises(bindings.SourceError, match=r"a.md:7: figure 'g' has no fact 'h'"):
        bindings.render("a\n\nb\n\n{{ g.f }}\n\n{{ g.h }}\n", "a.md", 1, scope)


def test_a_quick_figure_prints_a_gap_for_a_fact_its_draft_lacks(project):
    edit(project / "article" / "index.md", "## Intro", "## Intro\n\nA norm {{ alpha.norm }} and a cell {{ alpha.norm_7_7 }}.")
    assert run_build(project, "--no-figures").returncode == 2           # the full figure has no such cell
    run_build(project, "figures", "alpha", "--quick", "--force", check=True)
    run_build(project, "--no-figures", check=True)
    assert "A norm 0.12 and a cell ?." in (project / "_site" / "index.html").read_text()
