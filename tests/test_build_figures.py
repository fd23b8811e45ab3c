"""The figure cache: keys, staleness, regeneration into a scratch folder, failures keep old assets."""

import os
import signal
import subprocess
import time

from mechanics.site import figure_cache
from mechanics.site.project import Project
from test_build_support import (PYTHON, REPO, built_template, edit, manifest, project, run_build,  # noqa: F401
                                scratch_dirs, snapshot)


def statuses(root):
    p = Project.at(root)
    return {name: figure_cache.status(f, p.root) for name, f in figure_cache.discover(p).items()}


def test_manifest_records_key_quick_flag_duration_and_size(project):
    record = manifest(project, "alpha")
    assert len(record["key"]) == 64 and record["quick"] is False
    assert record["duration_s"] >= 0 and record["asset_bytes"] > 0
    assert set(record["inputs"]) == {"script", "engine", "params", "model", "weights", "images"}
    assert list(record["inputs"]["images"]) == ["skimage:chelsea.png"]


def test_editing_a_figure_script_makes_only_that_figure_stale(project):
    assert statuses(project) == {"alpha": "fresh", "beta": "fresh"}
    edit(project / "figures_src" / "alpha.py", "'red'", "'green'")
    assert statuses(project) == {"alpha": "stale", "beta": "fresh"}


def test_editing_the_article_leaves_every_figure_fresh(project):
    edit(project / "article" / "index.md", "## Intro", "## Introduction")
    assert statuses(project) == {"alpha": "fresh", "beta": "fresh"}
    before = snapshot(project / "assets")
    result = run_build(project, check=True)
    assert "figure alpha" not in result.stderr  # nothing was regenerated
    assert snapshot(project / "assets") == before


def test_build_regenerates_only_the_stale_figure(project):
    beta_before = snapshot(project / "assets" / "figures" / "beta")
    edit(project / "figures_src" / "alpha.py", "'red'", "'green'")
    result = run_build(project, check=True)
    assert "figure alpha" in result.stderr and "figure beta" not in result.stderr
    assert snapshot(project / "assets" / "figures" / "beta") == beta_before
    assert statuses(project) == {"alpha": "fresh", "beta": "fresh"}


def test_quick_assets_are_never_fresh_for_a_full_build(project):
    run_build(project, "figures", "alpha", "--quick", "--force", check=True)
    assert manifest(project, "alpha")["quick"] is True
    assert statuses(project)["alpha"] == "quick"
    listing = run_build(project, "figures", "--list", check=True).stdout
    assert "alpha" in listing and "quick" in listing and "skimage:chelsea.png" in listing
    assert "regenerating these 2 figures from scratch:" in listing.splitlines()[-1]
    run_build(project, check=True)
    assert manifest(project, "alpha")["quick"] is False


def test_a_raising_figure_script_keeps_its_old_assets(project):
    before = snapshot(project / "assets")
    site_before = snapshot(project / "_site")
    edit(project / "figures_src" / "alpha.py", "    pass\n", "    raise ValueError('bad layer name')\n")
    result = run_build(project)
    assert result.returncode == 2
    assert "figure 'alpha'" in result.stderr and "ValueError: bad layer name" in result.stderr
    assert "alpha.py:" in result.stderr and "old assets kept" in result.stderr
    assert snapshot(project / "assets") == before
    assert snapshot(project / "_site") == site_before
    assert not scratch_dirs(project)


def test_an_interrupted_figure_keeps_its_old_assets(project):
    before = snapshot(project / "assets")
    started = project / "started"
    edit(project / "figures_src" / "alpha.py", "    pass\n",
         f"    open({str(started)!r}, 'w').close()\n    import time; time.sleep(60)\n")
    build = subprocess.Popen([PYTHON, str(REPO / "build.py"), "--root", str(project), "figures", "alpha"],
                             env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not started.exists() and build.poll() is None:
        time.sleep(0.05)
    os.killpg(build.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    _, stderr = build.communicate(timeout=30)
    assert build.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert snapshot(project / "assets") == before
    assert not scratch_dirs(project)


def test_figures_command_rejects_unknown_names(project):
    result = run_build(project, "figures", "nosuch")
    assert result.returncode == 2 and "unknown figure 'nosuch'" in result.stderr


def test_fresh_figures_are_skipped_without_running_them(project):
    result = run_build(project, "figures", check=True)
    assert "figure alpha" not in result.stderr and "figure beta" not in result.stderr
