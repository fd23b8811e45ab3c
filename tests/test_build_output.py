"""The output folder belongs to the build only if the build made it; site-root files come from article/root/."""

import os
from pathlib import Path

import pytest

from mechanics.errors import BadInput
from mechanics.site.folders import check_output
from test_build_support import built_template, project, run_build, snapshot  # noqa: F401


def refused(result, *words):
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def tree(folder):
    """Every path below a folder with its bytes (None for folders), to prove nothing changed."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def test_a_folder_of_the_users_own_files_is_refused_and_untouched(project, tmp_path):
    mine = tmp_path / "mine"
    (mine / "notes").mkdir(parents=True)
    (mine / "thesis.tex").write_bytes(b"\\documentclass{article}\n")
    (mine / "notes" / "todo.txt").write_bytes(b"finish chapter 2\n")
    before = tree(mine)
    refused(run_build(project, "--out", str(mine), "--no-figures"), "mine", "not made by build.py")
    assert tree(mine) == before


def test_a_folder_with_only_hidden_files_is_not_empty(project, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / ".env").write_bytes(b"SECRET=1\n")
    refused(run_build(project, "--out", str(mine), "--no-figures"), "not made by build.py")
    assert (mine / ".env").read_bytes() == b"SECRET=1\n"


@pytest.mark.parametrize("out, words", [
    (".", ["holds the project itself"]),
    ("..", ["holds the project itself"]),
    ("article", ["inside the source folder", "article"]),
    ("article/static", ["inside the source folder", "article"]),
    ("figures_src", ["inside the source folder", "figures_src"]),
    ("assets", ["inside the source folder", "assets"]),
    ("assets/figures/alpha", ["inside the source folder", "assets"]),
    (".git", ["inside the source folder", ".git"]),
])
def test_the_project_and_its_sources_are_always_refused(project, out, words):
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = tree(project)
    refused(run_build(project, "--out", str(project / out), "--no-figures"), *words)
    assert tree(project) == before


def test_sources_are_refused_even_when_empty_or_marked(project):
    (project / "figures_src" / ".neuron-mechanics-site").write_text("forged\n")
    refused(run_build(project, "--out", str(project / "figures_src"), "--no-figures"), "inside the source folder")
    (project / "article" / "root").mkdir()
    refused(run_build(project, "--out", str(project / "article" / "root"), "--no-figures"), "inside the source folder")
    assert (project / "figures_src" / "alpha.py").is_file()


def test_a_file_is_refused_and_stays_a_file(project, tmp_path):
    for name, data in [("report.pdf", b"%PDF-1.4 mine\n"), ("empty", b"")]:
        target = tmp_path / name
        target.write_bytes(data)
        refused(run_build(project, "--out", str(target), "--no-figures"), name, "is a file")
        assert target.is_file() and target.read_bytes() == data


def test_missing_empty_and_previous_build_folders_are_replaced(project, tmp_path):
    new = tmp_path / "deep" / "new" / "site"
    run_build(project, "--out", str(new), "--no-figures", check=True)
    assert (new / "index.html").is_file() and (new / ".neuron-mechanics-site").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    run_build(project, "--out", str(empty), "--no-figures", check=True)
    assert (empty / "index.html").is_file()
    (new / "left-over.txt").write_text("from an older build")
    run_build(project, "--out", str(new), "--no-figures", check=True)  # marked: ours to replace
    assert not (new / "left-over.txt").exists()


def test_a_parent_that_is_a_file_is_refused(project, tmp_path):
    (tmp_path / "plain").write_text("x")
    for out in ("plain/site", "plain/a/b"):
        refused(run_build(project, "--out", str(tmp_path / out), "--no-figures"), "plain is a file")
    assert (tmp_path / "plain").read_text() == "x"


def test_a_read_only_parent_is_refused(project, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: make the permission check see what a user would
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    locked.chmod(0o555)
    try:
        for out in (locked / "site", locked / "a" / "b"):
            with pytest.raises(BadInput, match="locked is not writable"):
                check_output(out, project)
    finally:
        locked.chmod(0o755)


def test_site_root_files_come_from_article_root_on_every_build(project):
    root_files = project / "article" / "root"
    (root_files / ".well-known").mkdir(parents=True)
    (root_files / "CNAME").write_text("nm.example.org\n")
    (root_files / ".nojekyll").write_text("")
    (root_files / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.org\n")
    for _ in range(2):
        run_build(project, "--no-figures", check=True)
        site = snapshot(project / "_site")
        assert site["CNAME"] == b"nm.example.org\n" and site[".nojekyll"] == b""
        assert site[".well-known/security.txt"] == b"Contact: mailto:a@example.org\n"


@pytest.mark.parametrize("name", ["index.html", "static/extra.css", "assets/x.png", ".neuron-mechanics-site"])
def test_site_root_files_may_not_shadow_the_builds_own(project, name):
    before = snapshot(project / "_site")
    path = project / "article" / "root" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("mine")
    refused(run_build(project, "--no-figures"), "made by the build")
    assert snapshot(project / "_site") == before
