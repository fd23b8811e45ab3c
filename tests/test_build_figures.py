"""The figure cache: keys, staleness, regeneration into a scratch folder, failures keep old assets."""

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import time

import pytest

from mechanics.site import figure_cache
from mechanics.site.project import Project
from test_build_support import (PYTHON, REPO, built_template, edit, make_project, manifest, project, run_build,  # noqa: F401
                                scratch_dirs, snapshot)


def statuses(root):
    p = Project.at(root)
    return {name: figure_cache.status(f, p.root) for name, f in figure_cache.discover(p).items()}


def test_manifest_records_key_quick_flag_duration_and_size(project):
    record = manifest(project, "alpha")
    assert len(record["key"]) == 64 and record["quick"] is False
    assert record["duration_s"] >= 0 and record["asset_bytes"] > 0
    assert set(record["inputs"]) == {"script", "engine_version", "params", "model", "weights", "images"}
    assert list(record["inputs"]["images"]) == ["skimage:chelsea.png"]


def test_a_figure_depends_on_the_engine_modules_its_make_imported_and_no_others(project):
    recorded = manifest(project, "alpha")["engine_modules"]
    assert "figure_spec.py" in recorded  # the script imports it
    assert "render.py" not in recorded and "recipes.py" not in recorded  # it never imports these
    path = project / "assets" / "figures" / "alpha" / "manifest.json"
    record = json.loads(path.read_text())
    record["engine_modules"]["figure_spec.py"] = "0" * 16  # as if figure_spec.py had been edited since
    path.write_text(json.dumps(record))
    assert statuses(project) == {"alpha": "stale", "beta": "fresh"}


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


def default_sigint():
    """Ctrl-C's default action in the child, even when this test process ignores SIGINT (a
    notebook kernel run earlier in the session leaves it ignored, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_interrupted_figure_keeps_its_old_assets(project):
    before = snapshot(project / "assets")
    started = project / "started"
    edit(project / "figures_src" / "alpha.py", "    pass\n",
         f"    open({str(started)!r}, 'w').close()\n    import time; time.sleep(60)\n")
    build = subprocess.Popen([PYTHON, str(REPO / "build.py"), "--root", str(project), "figures", "alpha"],
                             env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True, preexec_fn=default_sigint,
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


def start_figures(project, *args, env=None):
    return subprocess.Popen([PYTHON, str(REPO / "build.py"), "--root", str(project), "figures", *args],
                            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, start_new_session=True, preexec_fn=default_sigint,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_alpha_hang(project):
    """alpha's make() writes its pid to a file, then sleeps: a figure caught mid-render."""
    pid_file = project / "child.pid"
    edit(project / "figures_src" / "alpha.py", "    pass\n",
         f"    import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)\n")
    return pid_file


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_ctrl_c_and_sigterm_print_one_line_saying_what_was_kept(project):
    before = snapshot(project / "assets")
    pid_file = make_alpha_hang(project)
    for send, name, status in [(lambda p: os.killpg(p.pid, signal.SIGINT), "Ctrl-C", 130),
                               (lambda p: p.send_signal(signal.SIGTERM), "SIGTERM", 143)]:
        pid_file.unlink(missing_ok=True)
        build = start_figures(project, "--force")
        wait_for(pid_file.exists)
        wait_for(lambda: pid_file.read_text() != "")
        child = int(pid_file.read_text())
        send(build)
        _, stderr = build.communicate(timeout=30)
        assert build.returncode == status, stderr
        last = stderr.strip().splitlines()[-1]
        assert last == (f"error: interrupted ({name}): figure 'alpha' was not changed (its previous assets are kept); "
                        "the site is as it was"), stderr
        assert "Traceback" not in stderr
        wait_for(lambda: not alive(child))
        assert snapshot(project / "assets") == before
        assert not scratch_dirs(project)


def test_kill_9_takes_the_figure_process_along_and_the_next_run_cleans_up(project, tmp_path):
    before = snapshot(project / "assets")
    pid_file = make_alpha_hang(project)
    temp = tmp_path / "tmp"
    temp.mkdir()
    build = start_figures(project, "alpha", env={"TMPDIR": str(temp)})
    wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
    child = int(pid_file.read_text())
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=10)
    wait_for(lambda: not alive(child), timeout=10)  # the parent-death signal took it along
    assert scratch_dirs(project), "expected the killed run's scratch folder"
    assert snapshot(project / "assets") == before  # nothing half-written is visible
    edit(project / "figures_src" / "alpha.py", "time.sleep(120)", "pass")
    run_build(project, "figures", "beta", check=True)  # a run for another figure sweeps it too
    assert not scratch_dirs(project)
    assert list(temp.iterdir()) == []


def test_manifest_records_the_hash_of_every_asset_file(project):
    folder = project / "assets" / "figures" / "alpha"
    assert manifest(project, "alpha")["files"] == {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in ("figure.json", "units.png")}


def overwrite_keeping_size_and_mtime(path):
    """Other bytes of the same length, with the file's mtime set back: only its ctime tells."""
    stat, data = path.stat(), path.read_bytes()
    path.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


CORRUPTIONS = {
    "sprite overwritten": lambda folder: (folder / "units.png").write_bytes(b"garbage"),
    "sprite overwritten, size and mtime kept": lambda folder: overwrite_keeping_size_and_mtime(folder / "units.png"),
    "sprite deleted": lambda folder: (folder / "units.png").unlink(),
    "file added": lambda folder: (folder / "extra.png").write_bytes(b"x"),
    "figure.json edited": lambda folder: (folder / "figure.json").write_text(
        (folder / "figure.json").read_text().replace("Summary of", "Tampered")),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_corrupt_assets_are_listed_and_repaired_without_force(project, case):
    folder = project / "assets" / "figures" / "alpha"
    good = snapshot(folder)
    assert statuses(project) == {"alpha": "fresh", "beta": "fresh"}  # its files' hashes are known (file_hashes)
    CORRUPTIONS[case](folder)
    assert statuses(project) == {"alpha": "corrupt", "beta": "fresh"}
    listing = run_build(project, "figures", "--list", check=True).stdout.splitlines()
    assert listing[0].split()[:2] == ["alpha", "corrupt"]
    result = run_build(project, "--no-figures")
    assert result.returncode == 2 and "figure 'alpha': its files differ" in result.stderr
    assert "python build.py figures alpha" in result.stderr
    run_build(project, "figures", "alpha", check=True)
    assert statuses(project)["alpha"] == "fresh"
    repaired = snapshot(folder)
    assert {k: v for k, v in repaired.items() if k != "manifest.json"} == {k: v for k, v in good.items() if k != "manifest.json"}


def test_old_manifests_without_hashes_count_as_fresh_but_unverified(project):
    record = manifest(project, "alpha")
    del record["files"]
    (project / "assets" / "figures" / "alpha" / "manifest.json").write_text(json.dumps(record))
    assert statuses(project) == {"alpha": "fresh", "beta": "fresh"}
    listing = run_build(project, "figures", "--list", check=True).stdout.splitlines()
    assert "files unverified" in listing[0] and "files unverified" not in listing[1]


UNAVAILABLE_WHEN_ASKED = ("    import os\n    from mechanics.errors import WeightsUnavailable\n"
                          "    if os.environ.get('NO_WEIGHTS'):\n        raise WeightsUnavailable(os.environ['NO_WEIGHTS'])\n")


def test_force_on_a_figure_whose_model_is_unavailable_keeps_the_committed_manifest(tmp_path):
    root = make_project(tmp_path / "p", figures=("alpha", "beta"))
    edit(root / "figures_src" / "alpha.py", "    pass\n", UNAVAILABLE_WHEN_ASKED)
    edit(root / "figures_src" / "beta.py", "    pass\n", UNAVAILABLE_WHEN_ASKED)
    run_build(root, "figures", "alpha", check=True)  # alpha made where its weights were available
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_WEIGHTS": "no weights here"}
    build = [PYTHON, str(REPO / "build.py"), "--root", str(root), "figures"]
    subprocess.run(build + ["beta"], env=env, check=True, capture_output=True)  # beta never could be
    before = snapshot(root / "assets")
    for message in ("no weights here", "still no weights, another reason"):
        result = subprocess.run(build + ["alpha", "beta", "--force"], env={**env, "NO_WEIGHTS": message},
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "not generated (weights unavailable): alpha, beta" in result.stdout
        assert snapshot(root / "assets") == before


def test_figures_are_listed_with_numbers_in_names_in_numeric_order(tmp_path):
    root = make_project(tmp_path / "p", figures=("layer10", "layer8", "layer9"))
    assert list(figure_cache.discover(Project.at(root))) == ["layer8", "layer9", "layer10"]


def test_tensorflow_start_up_lines_are_hidden_unless_verbose(project):
    edit(project / "figures_src" / "alpha.py", "    pass\n", "    import tensorflow\n")
    env = {"TF_ENABLE_ONEDNN_OPTS": "1"}  # oneDNN on, as on CPUs with AVX-512: start-up lines on fd 2
    for flags, shown in [((), False), (("--verbose",), True)]:
        build = start_figures(project, "alpha", "--force", *flags, env=env)
        _, stderr = build.communicate(timeout=120)
        assert build.returncode == 0, stderr
        assert ("oneDNN custom operations are on" in stderr) == shown, stderr
        assert ("absl::InitializeLog" in stderr) == shown, stderr


@pytest.mark.parametrize("command", [["figures", "--list"], ["--no-figures"], ["check"], ["figures", "beta"]])
def test_every_command_reading_the_assets_sweeps_what_a_dead_run_left_and_nothing_else(project, command):
    figures = project / "assets" / "figures"
    dead = figures / ".site-alpha-dead"  # as kill -9 leaves it: its lock died with its process
    (dead / "assets").mkdir(parents=True)
    (dead / "assets" / "figure.json").write_text("{}")
    live = figures / ".site-beta-live"  # a run still going holds its lock
    live.mkdir()
    (figures / ".site-keep.txt").write_text("a file, not a scratch folder")
    (figures / ".mine").mkdir()
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = run_build(project, *command)
        assert result.returncode == 0, result.stderr
        assert not dead.exists() and live.is_dir()
        assert (figures / ".site-keep.txt").is_file() and (figures / ".mine").is_dir()
    finally:
        os.close(fd)


@pytest.fixture
def contract_checks(monkeypatch):
    """The figure folders checked against the contract in this process, in order."""
    from mechanics import contract

    checked, validate_figure = [], contract.validate_figure

    def counting(name, figure_dir):
        checked.append(name)
        return validate_figure(name, figure_dir)

    monkeypatch.setattr(contract, "validate_figure", counting)
    return checked


def test_an_unchanged_figure_is_trusted_from_its_manifest_and_an_edited_one_checked_again(project, contract_checks):
    from mechanics.site import builder

    builder.build(Project.at(project), regenerate=False)
    assert contract_checks == [], "figures whose files match their manifest's hashes were checked again"
    folder = project / "assets" / "figures" / "alpha"
    edit(folder / "figure.json", "Summary of", "Edited summary of")
    assert figure_cache.validate("alpha", folder)["summary"].startswith("Edited summary of")
    assert contract_checks == ["alpha"]
    (folder / "figure.json").write_text('{"contract": 1, "kind": 5}')
    with pytest.raises(Exception, match="figure 'alpha'") as broken:
        figure_cache.validate("alpha", folder)
    assert "\n" not in str(broken.value)
    result = run_build(project, "--no-figures")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: figure 'alpha'") and "Traceback" not in result.stderr


def test_a_figure_whose_manifest_has_no_hashes_is_checked_once_and_its_manifest_kept(project, contract_checks):
    folder = project / "assets" / "figures" / "alpha"
    record = manifest(project, "alpha")
    del record["files"]
    (folder / "manifest.json").write_text(json.dumps(record))
    before = (folder / "manifest.json").read_bytes()
    for _ in range(2):
        figure_cache.validate("alpha", folder)
    assert contract_checks == ["alpha"]
    assert (folder / "manifest.json").read_bytes() == before


def test_check_validates_every_figure_in_full_even_one_its_manifest_vouches_for(project):
    folder = project / "assets" / "figures" / "alpha"
    edit(folder / "figure.json", '"contract": 1', '"contract": 7')
    record = manifest(project, "alpha")
    record["files"] = figure_cache.asset_files(folder)  # as if written so: the build trusts it
    (folder / "manifest.json").write_text(json.dumps(record))
    run_build(project, "--no-figures", check=True)
    result = run_build(project, "check")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "figure 'alpha'" in result.stderr and "contract" in result.stderr
