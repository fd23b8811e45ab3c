"""Every class of bad input is one line and exit status 2, never a traceback, and the previous
site and figure assets stay as they were."""

import json
import os
import subprocess

import pytest

from test_build_support import PYTHON, REPO, built_template, edit, project, snapshot  # noqa: F401


def run(root, *args, env=None, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([PYTHON, str(REPO / "build.py"), *(["--root", str(root)] if root else []), *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=cwd)


def one_line_error(result, *words):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def unchanged(project):
    """Asserts, after the test, that the site and the assets are byte-identical to before."""
    site, assets = snapshot(project / "_site"), snapshot(project / "assets")
    yield project
    assert snapshot(project / "_site") == site
    assert snapshot(project / "assets") == assets


def replace_bytes(path, old, new):
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


NOT_UTF8 = {
    "markdown": ("article/index.md", b"## Intro", b"## Intro caf\xe9", "index.md:10: the article is not UTF-8 text (byte 0xe9"),
    "markdown, front matter": ("article/index.md", b"Ada Author", b"Ada \xff", "index.md:5: the article is not UTF-8"),
    "bibtex": ("article/references.bib", b"Feature Visualization", b"Feature \xe9", "references.bib:3: the bibliography is not UTF-8"),
    "base template": ("article/templates/base.html", b"<title>", b"<title>\x80", "base.html:6: the template is not UTF-8"),
    "diagram template": ("article/templates/diagrams/gallery.html", b"<img", b"\xfe<img", "gallery.html:1: the template is not UTF-8"),
    "figure script, comment": ("figures_src/alpha.py", b"import json", b"# caf\xe9\nimport json", "alpha.py:1: the figure script is not UTF-8"),
    "figure script, string": ("figures_src/beta.py", b"Caption of beta", b"Caption \xe9", "beta.py:7: the figure script is not UTF-8"),
}


@pytest.mark.parametrize("case", NOT_UTF8)
def test_bytes_that_are_not_utf8_name_file_and_line(unchanged, case):
    path, old, new, message = NOT_UTF8[case]
    replace_bytes(unchanged / path, old, new)
    one_line_error(run(unchanged, "--no-figures"), message, "save it as UTF-8")


FRONT_MATTER = {
    "day 30 in February": ("date: 2025-01-15", "date: 2025-02-30", "index.md:7: front matter value '2025-02-30' is impossible"),
    "month 13": ("date: 2025-01-15", "date: 2025-13-01", "index.md:7: front matter value '2025-13-01' is impossible"),
    "year 0": ("date: 2025-01-15", "date: 0000-01-01", "index.md:7: front matter value '0000-01-01' is impossible"),
    "python object": ("title: Test Article", "title: !!python/object/apply:os.system [touch pwned]",
                      "index.md:2: front matter value not allowed"),
    "python name": ("date: 2025-01-15", "date: !!python/name:os.system", "index.md:7: front matter value not allowed"),
    "javascript url": ("    affiliations: [Test Lab]", "    affiliations: [Test Lab]\n    url: javascript:alert(1)",
                       "index.md:5: author 'Ada Author' has url 'javascript:alert(1)': it must be http(s)://, mailto:, "
                       "doi: or a relative URL"),
    "script url in disguise": ("    affiliations: [Test Lab]", "    affiliations: [Test Lab]\n    url: \" JaVa\\tScRiPt:alert(1)\"",
                               "index.md:5: author 'Ada Author' has url ' JaVa\\tScRiPt:alert(1)'"),
    "data url": ("    affiliations: [Test Lab]", "    affiliations: [Test Lab]\n    url: data:text/html,hi",
                 "index.md:5: author 'Ada Author' has url 'data:text/html,hi'"),
}


@pytest.mark.parametrize("case", FRONT_MATTER)
def test_impossible_or_unsafe_front_matter_names_the_line(unchanged, case):
    old, new, message = FRONT_MATTER[case]
    edit(unchanged / "article" / "index.md", old, new)
    one_line_error(run(unchanged, "--no-figures", cwd=unchanged / "article"), message)
    assert not (unchanged / "article" / "pwned").exists()


def test_author_urls_that_are_web_or_mail_are_kept(project):
    edit(project / "article" / "index.md", "    affiliations: [Test Lab]",
         "    affiliations: [Test Lab]\n    url: mailto:ada@example.org")
    assert run(project, "--no-figures").returncode == 0
    assert 'href="mailto:ada@example.org"' in (project / "_site" / "index.html").read_text()


UNDEFINED = {
    "base template": ("article/templates/base.html", "<title>{{ meta.title }}", "<title>{{ meta.title }}{{ subtitle }}",
                      "base.html:6: template error: UndefinedError: 'subtitle' is undefined"),
    "diagram partial": ("article/templates/diagrams/gallery.html", 'alt="{{ name }}"', 'alt="{{ name }}{{ fig.nosuch }}"',
                        "gallery.html:1: template error: UndefinedError"),
}


@pytest.mark.parametrize("case", UNDEFINED)
def test_undefined_template_variables_are_errors(unchanged, case):
    path, old, new, message = UNDEFINED[case]
    edit(unchanged / path, old, new)
    one_line_error(run(unchanged, "--no-figures"), message)


CLI = {
    "unknown option": (["--bogus"], "unrecognized arguments: --bogus"),
    "unknown command": (["publish"], "invalid choice: 'publish'"),
    "base url without slash": (["--base-url", "drafts/nm"], "--base-url 'drafts/nm' is not a URL path"),
    "base url of another host": (["--base-url", "//evil.example/"], "--base-url '//evil.example/' is not a URL path"),
    "base url with dot segments": (["--base-url", "/a/../b/"], "is not a URL path"),
    "base url full url": (["--base-url", "https://x.org/nm/"], "is not a URL path"),
    "figures: unknown option": (["figures", "--quik"], "unrecognized arguments: --quik"),
    "figures: unknown name": (["figures", "gamma"], "unknown figure 'gamma'"),
    "figures: path as name": (["figures", "figures_src/alpha.py"], "unknown figure 'figures_src/alpha.py'"),
    "check: extra argument": (["check", "alpha"], "unrecognized arguments: alpha"),
    "check: bad base url": (["check", "--base-url", "nm"], "--base-url 'nm' is not a URL path"),
    "serve: port too big": (["serve", "--port", "65536"], "argument --port: 65536 is out of range"),
    "serve: port not a number": (["serve", "--port", "8k"], "argument --port: '8k' is not an integer"),
}


@pytest.mark.parametrize("case", CLI)
def test_malformed_command_line_values_are_one_line(unchanged, case):
    args, message = CLI[case]
    one_line_error(run(unchanged, *args, env={"XDG_CACHE_HOME": str(unchanged.parent / "cache")}), message)


def test_base_url_without_trailing_slash_is_normalized(project):
    assert run(project, "--no-figures", "--base-url", "/drafts/nm").returncode == 0
    assert 'href="/drafts/nm/static/article.css"' in (project / "_site" / "index.html").read_text()


BAD_MANIFESTS = {
    "not JSON": b"{",
    "a list": b"[]",
    "key of the wrong type": b'{"key": 5}',
    "fields of the wrong type": json.dumps({"key": "k", "quick": "no", "duration_s": 1, "asset_bytes": 1, "inputs": {}}).encode(),
    "files of the wrong type": json.dumps({"key": "k", "quick": False, "duration_s": 1, "asset_bytes": 1,
                                           "inputs": {}, "files": {"units.png": 7}}).encode(),
    "not UTF-8": b'{"key": "\xff"}',
}


@pytest.mark.parametrize("case", BAD_MANIFESTS)
def test_a_corrupt_manifest_is_listed_as_corrupt_and_fails_a_build_without_figures(project, case):
    site = snapshot(project / "_site")
    (project / "assets" / "figures" / "alpha" / "manifest.json").write_bytes(BAD_MANIFESTS[case])
    listing = run(project, "figures", "--list")
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    assert [line.split()[1] for line in listing.stdout.splitlines()[:2]] == ["corrupt", "fresh"]
    one_line_error(run(project, "--no-figures"), "figure 'alpha'", "manifest.json is unreadable",
                   "python build.py figures alpha")
    assert snapshot(project / "_site") == site


BAD_FIGURE_JSON = {
    "not JSON": b"{",
    "a list": b"[]",
    "kind of the wrong type": b'{"contract": 1, "kind": 5}',
    "not UTF-8": b'{"kind": "\xff"}',
}


@pytest.mark.parametrize("case", BAD_FIGURE_JSON)
def test_a_wrong_figure_json_is_one_line(project, case):
    site = snapshot(project / "_site")
    folder = project / "assets" / "figures" / "alpha"
    record = json.loads((folder / "manifest.json").read_text())
    del record["files"]  # unverified, as made before hashes: only the contract can catch it
    (folder / "manifest.json").write_text(json.dumps(record))
    (folder / "figure.json").write_bytes(BAD_FIGURE_JSON[case])
    one_line_error(run(project, "--no-figures"), "figure 'alpha'")
    assert snapshot(project / "_site") == site


@pytest.mark.parametrize("command", [[], ["serve"], ["figures"], ["check"]])
def test_a_missing_or_file_root_is_one_line_for_every_command(tmp_path, command):
    one_line_error(run(tmp_path / "nowhere", *command), "--root", "nowhere: no such folder")
    (tmp_path / "file").write_text("x")
    one_line_error(run(tmp_path / "file", *command), "--root", "file is a file")


@pytest.mark.parametrize("command", [[], ["check"]])
def test_an_output_that_is_a_file_is_one_line(project, tmp_path, command):
    (tmp_path / "out").write_text("mine")
    one_line_error(run(project, "--out", str(tmp_path / "out"), *command), "out is a file")
    assert (tmp_path / "out").read_text() == "mine"


def test_check_without_a_built_site_is_one_line(project, tmp_path):
    one_line_error(run(project, "--out", str(tmp_path / "never-built"), "check"), "no built site", "run python build.py first")


@pytest.mark.parametrize("command", [["serve"], ["figures", "alpha", "--force"]])
def test_an_unusable_cache_is_one_line(unchanged, tmp_path, command):
    (tmp_path / "cache-file").write_text("not a folder")
    one_line_error(run(unchanged, *command, env={"XDG_CACHE_HOME": str(tmp_path / "cache-file")}), "cache")
    (tmp_path / "parent-file").write_text("not a folder")
    one_line_error(run(unchanged, *command, env={"XDG_CACHE_HOME": str(tmp_path / "parent-file" / "cache")}), "cache")


def test_build_and_check_need_no_cache(project, tmp_path):
    (tmp_path / "cache-file").write_text("not a folder")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache-file")}
    assert run(project, env=env).returncode == 0
    assert run(project, "check", env=env).returncode == 0


@pytest.mark.parametrize("command", [[], ["figures"], ["figures", "alpha", "--force"], ["figures", "--list"], ["check"]])
def test_a_typo_in_a_figures_params_names_figure_line_key_and_the_valid_keys(unchanged, command):
    edit(unchanged / "figures_src" / "alpha.py", '"steps": 1', '"stpes": 64, "size": "big"')
    result = run(unchanged, *command)
    one_line_error(result, "alpha.py:8: figure 'alpha': unknown key 'stpes' (did you mean 'steps'? valid keys: size, steps,",
                   "'size' is 'big', expected a whole number 16..1024")
    assert "figure alpha" not in result.stderr  # no figure was started


def test_a_bibliography_link_that_is_a_script_names_the_entry_and_html_in_a_title_stays_text(unchanged):
    bib = unchanged / "article" / "references.bib"
    bib.write_text(bib.read_text().replace("  title = {Feature Visualization},",
                                           "  title = {Feature <script>alert(1)</script><b>Visualization</b>},\n"
                                           "  url = { JaVaScript:alert(1)},"))
    one_line_error(run(unchanged, "--no-figures"), "references.bib:1: broken entry 'olah2017feature': its URL "
                   "'JaVaScript:alert(1)' may not be a link: give http(s)://, mailto:, doi: or a relative URL")


def test_bibliography_links_that_are_web_or_doi_are_kept_and_html_in_a_title_is_text(project):
    bib = project / "article" / "references.bib"
    bib.write_text(bib.read_text().replace("  title = {Feature Visualization},",
                                           "  title = {Feature <script>alert(1)</script><b>Visualization</b>},\n"
                                           "  url = {doi:10.23915/distill.00007},"))
    assert run(project, "--no-figures").returncode == 0
    page = (project / "_site" / "index.html").read_text()
    assert 'href="https://doi.org/10.23915/distill.00007"' in page
    assert "<script>alert" not in page and "<b>visualization" not in page.lower()
    assert "Feature &lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;visualization&lt;/b&gt;" in page  # unsrt: sentence case


def buffered_env():
    """Python's default: stdout to a pipe is buffered, so what fails is the flush at the end."""
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PYTHONPATH": str(REPO)}


@pytest.mark.parametrize("args", [["figures", "--list"], ["--help"]])
def test_a_reader_that_stops_early_ends_the_command_quietly(unchanged, args):
    read, write = os.pipe()
    os.close(read)  # as after `| head -1` has read its line
    try:
        child = subprocess.run([PYTHON, str(REPO / "build.py"), "--root", str(unchanged), *args], stdout=write,
                               stderr=subprocess.PIPE, text=True, env=buffered_env())
    finally:
        os.close(write)
    assert (child.returncode, child.stderr) == (141, "")
