"""Whole builds through the CLI: output, determinism, base URL, atomicity, bad input, check."""

import json
import os
import subprocess

import pytest

from test_build_support import (PYTHON, REPO, built_template, edit, make_project, manifest, project, run_build,  # noqa: F401
                                scratch_dirs, snapshot)


def test_build_embeds_numbered_figures_with_captions_and_copies_assets(project):
    html = (project / "_site" / "index.html").read_text()
    assert '<figure id="fig-alpha"' in html and '<figure id="fig-beta"' in html
    assert "<b>Figure 1:</b> Caption of alpha with <math" in html
    # The caption ends with figure.json's summary, which names model, layer and unit.
    assert "Summary of beta: EfficientNet-Lite0 block10 unit 101" in html
    assert '<a class="figure-ref" href="#fig-beta">Figure 2</a>' in html
    assert '<img src="assets/figures/alpha/units.png"' in html
    files = snapshot(project / "_site")
    assert {"assets/figures/alpha/units.png", "assets/figures/alpha/figure.json",
            "static/article.css", "static/article.js", "static/pygments.css"} <= set(files)
    # Code highlighting is styled offline by Pygments' own stylesheet, linked from the page.
    assert '<link rel="stylesheet" href="static/pygments.css">' in html
    assert b".highlight .k {" in files["static/pygments.css"]
    assert not any(name.endswith("manifest.json") for name in files)
    assert not scratch_dirs(project)


def test_two_builds_are_byte_identical(project):
    first = snapshot(project / "_site")
    run_build(project, check=True)
    assert snapshot(project / "_site") == first


def test_base_url_prefixes_every_site_url(project):
    run_build(project, "--base-url", "/drafts/nm", check=True)
    html = (project / "_site" / "index.html").read_text()
    assert 'href="/drafts/nm/static/article.css"' in html
    assert 'src="/drafts/nm/assets/figures/alpha/units.png"' in html
    assert 'href="static/' not in html


def test_failed_build_leaves_the_previous_site_untouched(project):
    before = snapshot(project / "_site")
    edit(project / "article" / "index.md", "A note", "A [@missing] note")
    result = run_build(project)
    assert result.returncode == 2
    assert snapshot(project / "_site") == before
    assert not scratch_dirs(project)


def test_concurrent_builds_leave_one_whole_site(project):
    expected = snapshot(project / "_site")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    builds = [subprocess.Popen([PYTHON, str(REPO / "build.py"), "--root", str(project), "--no-figures"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env) for _ in range(4)]
    for build in builds:
        assert build.wait(timeout=60) == 0, build.stderr.read()
    assert snapshot(project / "_site") == expected
    assert not scratch_dirs(project)


BAD_INPUTS = {
    "malformed front matter": ("article/index.md", "title: Test Article", "title: [unclosed", "index.md:2: malformed front matter"),
    "missing field": ("article/index.md", "date: 2025-01-15\n", "", "index.md:8: front matter is missing the required field 'date'"),
    "unknown figure": ("article/index.md", "@figure(beta)", "@figure(gamma)", "index.md:18: unknown figure 'gamma'"),
    "unknown citation": ("article/index.md", "[@olah2017feature]", "[@olah2099]", "index.md:12: unknown citation key 'olah2099'"),
    "broken bib": ("article/references.bib", "year = {2015},\n}", "year = {2015},\n", "references.bib:"),
    "bad TeX": ("article/index.md", "$a^2$", "$a^$", "index.md:12: bad TeX"),
    "broken template": ("article/templates/base.html", "{%- if outdated %}", "{%- if outdated %}{% endfor %}", "base.html:13: broken template"),
    "name mismatch": ("figures_src/beta.py", "name='beta'", "name='gamma'", "beta.py: FIGURE.name is 'gamma'"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_one_line_naming_the_place_and_keeps_the_site(project, case):
    path, old, new, message = BAD_INPUTS[case]
    before = snapshot(project / "_site")
    edit(project / path, old, new)
    result = run_build(project)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert snapshot(project / "_site") == before


def test_missing_templates_are_named(project):
    partial = project / "article" / "templates" / "diagrams" / "gallery.html"
    partial_text = partial.read_text()
    partial.unlink()
    result = run_build(project)
    assert result.returncode == 2 and "diagrams/gallery.html" in result.stderr
    partial.write_text(partial_text)
    (project / "article" / "templates" / "base.html").unlink()
    result = run_build(project)
    assert result.returncode == 2 and "base.html: template not found" in result.stderr


def test_contract_error_fails_the_build(project):
    # A manifest from before asset hashes were recorded: its files are not verified, but validated.
    record = manifest(project, "alpha")
    del record["files"]
    (project / "assets" / "figures" / "alpha" / "manifest.json").write_text(json.dumps(record))
    edit(project / "assets" / "figures" / "alpha" / "figure.json", '"contract": 1', '"contract": 7')
    result = run_build(project, "--no-figures")
    assert result.returncode == 2
    assert "figure 'alpha'" in result.stderr and "contract" in result.stderr


def test_no_figures_marks_stale_and_missing_figures_on_the_page(project):
    edit(project / "figures_src" / "alpha.py", "'red'", "'blue'")
    (project / "figures_src" / "gamma.py").write_text((project / "figures_src" / "beta.py").read_text().replace("beta", "gamma"))
    edit(project / "article" / "index.md", "@figure(beta)", "@figure(beta)\n\n@figure(gamma)")
    run_build(project, "--no-figures", check=True)
    html = (project / "_site" / "index.html").read_text()
    assert 'class="stale-banner"' in html
    assert "This figure is stale" in html.split('id="fig-alpha"')[1].split("</figure>")[0]
    assert "This figure is stale" not in html.split('id="fig-beta"')[1].split("</figure>")[0]
    gamma = html.split('id="fig-gamma"')[1].split("</figure>")[0]
    assert "has not been generated yet" in gamma and "python build.py figures gamma" in gamma


def test_unavailable_weights_render_a_placeholder_and_the_build_goes_on(tmp_path):
    root = make_project(tmp_path / "p", figures=("alpha", "beta"))
    edit(root / "figures_src" / "beta.py", "    pass\n", "    from mechanics.errors import WeightsUnavailable\n"
         "    raise WeightsUnavailable('InceptionV1 weights cannot be fetched offline')\n")
    result = run_build(root, check=True)
    html = (root / "_site" / "index.html").read_text()
    beta = html.split('id="fig-beta"')[1].split("</figure>")[0]
    assert "InceptionV1 weights cannot be fetched offline" in beta and "python build.py figures beta" in beta
    assert "units.png" not in beta  # never another figure's picture
    assert "skipped" in result.stderr


def test_unavailable_weights_are_remembered_until_the_inputs_change(tmp_path):
    root = make_project(tmp_path / "p", figures=("alpha", "beta"))
    edit(root / "figures_src" / "beta.py", "    pass\n", "    from mechanics.errors import WeightsUnavailable\n"
         "    raise WeightsUnavailable('no InceptionV1 graph here')\n")
    assert "skipped" in run_build(root, check=True).stderr
    again = run_build(root, check=True)
    assert "figure beta" not in again.stderr  # not run again: the build stays offline and fast
    for result in (again, run_build(root, "--no-figures", check=True)):
        beta = (root / "_site" / "index.html").read_text().split('id="fig-beta"')[1].split("</figure>")[0]
        assert "no InceptionV1 graph here" in beta
    assert "unavailable" in run_build(root, "figures", "--list", check=True).stdout
    edit(root / "figures_src" / "beta.py", "no InceptionV1", "still no InceptionV1")
    assert "figure beta" in run_build(root, check=True).stderr  # new inputs: tried again


def test_check_passes_on_a_good_site(project):
    result = run_build(project, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check: ok" in result.stdout


def test_check_reports_external_resources_and_broken_anchors(project):
    edit(project / "article" / "templates" / "base.html", "</head>",
         '<script src="https://cdn.example.com/x.js"></script>\n</head>')
    edit(project / "article" / "index.md", "## Intro", "## Intro\n\nA [dead link](#nowhere).")
    run_build(project, check=True)
    result = run_build(project, "check")
    assert result.returncode == 1
    assert "https://cdn.example.com/x.js" in result.stdout and "outside _site" in result.stdout
    assert "missing anchor #nowhere" in result.stdout


def test_check_reports_unknown_citations_in_the_sources(project):
    edit(project / "article" / "index.md", "[@olah2017feature]", "[@olah2099]")
    result = run_build(project, "check")
    assert result.returncode == 2 and "unknown citation key 'olah2099'" in result.stderr


def test_the_repository_article_builds_and_checks(tmp_path):
    out = tmp_path / "site"
    result = subprocess.run([PYTHON, str(REPO / "build.py"), "--out", str(out), "--no-figures"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([PYTHON, str(REPO / "build.py"), "--out", str(out), "check"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_site_is_readable_by_a_static_host(project):
    for path in [project / "_site", *(project / "_site").rglob("*")]:
        assert path.stat().st_mode & 0o004, f"{path} is not world-readable"


def test_a_build_with_nothing_to_do_keeps_the_site_and_reports_what_the_last_one_did(project):
    site = project / "_site"
    edit(project / "figures_src" / "beta.py", "def make(", "# edited: the figure is stale\ndef make(")
    first = run_build(project, "--no-figures", check=True)
    assert "(beta) is stale" in first.stdout

    def written():
        return {str(p.relative_to(site)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in site.rglob("*") if p.is_file()}

    made = written()
    again = run_build(project, "--no-figures", check=True)
    assert written() == made, "no file of the site is written again"
    assert again.stdout.splitlines()[1:] == first.stdout.splitlines()[1:], "the same report"

    # The site edited or added to by hand, an input changed, other options: built again.
    (site / "index.html").write_text("edited in the built site")
    (site / "stray.txt").write_text("added to the built site")
    run_build(project, "--no-figures", check=True)
    assert "Figure 2" in (site / "index.html").read_text() and not (site / "stray.txt").exists()
    edit(project / "article" / "index.md", "## Intro", "## Introduction")
    run_build(project, "--no-figures", check=True)
    assert '<h2 id="introduction">' in (site / "index.html").read_text()
    run_build(project, "--no-figures", "--base-url", "/drafts/", check=True)
    assert 'href="/drafts/static/article.css"' in (site / "index.html").read_text()
    run_build(project, check=True)  # regenerating the stale figure: the site shows it fresh
    assert "is stale" not in (site / "index.html").read_text()


def test_a_build_links_unchanged_files_from_the_previous_site_and_copies_changed_ones(project):
    site = project / "_site"
    run_build(project, "--no-figures", check=True)  # the copied project's site: its record names other inodes
    files = ("assets/figures/alpha/units.png", "assets/figures/beta/units.png", "static/article.css", "static/article.js")
    before = {name: (site / name).stat().st_ino for name in files}
    (site / "static" / "article.css").write_text("edited in the built site")  # by hand: copied again
    script = project / "article" / "static" / "article.js"
    script.write_text("// edited\n" + script.read_text())
    run_build(project, "--no-figures", check=True)
    after = {name: (site / name).stat().st_ino for name in files}
    assert [after[name] == before[name] for name in files] == [True, True, False, False]
    assert (site / "static" / "article.css").read_bytes() == (project / "article" / "static" / "article.css").read_bytes()
    assert (site / "static" / "article.js").read_text().startswith("// edited")
