"""Timings of build.py, printed as `name: value` lines (targets from issues 3, 9 and 18 in comments).

Runs on a copy of the repository's article in a temporary project, so the real _site/ and
assets are untouched:
- noop_build_s: `python build.py` with every figure fresh, after a first build, median of 5
  (target <= 0.25 s, issue 18);
- noop_over_pandoc: that no-op build over pandoc turning the same index.md into a standalone
  HTML page with citeproc and MathML, each the median of 5 runs taken in turn (target <= 2);
  printed as skipped when pandoc is not installed;
- paragraph_rebuild_s: the preview's warm rebuild after editing one paragraph, in-process as
  `serve` does it (Jinja environment, references, validation and asset copies cached), median
  of 5 (target <= 0.1 s, issue 9); paragraph_rebuild_cli_s is the same via the CLI; each edit
  is checked to change the page;
- serve_reload_latency_s: from saving index.md to the "reload" event arriving at an HTTP
  client of `build.py serve`, median of 5 (target <= 1 s).
"""

import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mechanics.site import builder, figure_cache  # noqa: E402
from mechanics.site.project import Project  # noqa: E402
from mechanics.site.server import preview_dir  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
RUNS = 5


def copy_project(target):
    for part in ("article", "figures_src", "assets"):
        shutil.copytree(REPO / part, target / part)
    return target


def pandoc_command(root):
    """pandoc on the same text: the article with its bibliography, citations and MathML; None
    without pandoc."""
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        return None
    article = root / "article"
    return [pandoc, str(article / "index.md"), "--standalone", "--citeproc", "--mathml",
            "--bibliography", str(article / "references.bib"), "--output", str(root / "pandoc.html")]


def cli_build(root):
    subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root)], check=True,
                   stdout=subprocess.DEVNULL, env=ENV)


def timed(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def edit_paragraph(root, i):
    """Edit the article's first paragraph; returns the text the rebuilt page must contain."""
    index = root / "article" / "index.md"
    text = index.read_text()
    marker = f"(edit {i})"
    edited, count = re.subn(r"what does this unit respond to\?(?: \(edit \d+\))?",
                            f"what does this unit respond to? {marker}", text, count=1)
    if count != 1:
        sys.exit("bench_build: the paragraph to edit is gone from article/index.md; update edit_paragraph()")
    index.write_text(edited)
    return marker


def assert_changed(site, marker):
    if marker not in (site / "index.html").read_text():
        sys.exit(f"bench_build: the page did not change after the edit {marker}")


def serve_latency(root):
    server = subprocess.Popen([sys.executable, "-u", str(REPO / "build.py"), "--root", str(root), "serve", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    try:
        port = None
        for line in server.stdout:
            match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
                break
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/__reload")
        stream = connection.getresponse()
        latencies = []
        for i in range(RUNS):
            saved = time.perf_counter()
            edit_paragraph(root, 100 + i)
            while stream.readline().decode().strip() != "event: reload":
                pass
            latencies.append(time.perf_counter() - saved)
            time.sleep(0.3)
        return statistics.median(latencies)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(preview_dir(root.resolve()).parent, ignore_errors=True)  # serve's preview, in the cache


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "project")
        project = Project.at(root)
        # The no-op build is timed with every figure fresh; regenerating one here would
        # run TensorFlow for minutes, so refuse instead.
        stale = [name for name, figure in figure_cache.discover(project).items()
                 if figure_cache.status(figure, root) not in (figure_cache.FigureStatus.FRESH, figure_cache.FigureStatus.UNAVAILABLE)]
        if stale:
            sys.exit(f"bench_build: figures not fresh: {', '.join(stale)}; run python build.py figures first")
        cli_build(root)
        pandoc = pandoc_command(root)
        noop, converted = [], []
        for _ in range(RUNS):
            noop.append(timed(lambda: cli_build(root)))
            if pandoc:
                converted.append(timed(lambda: subprocess.run(pandoc, check=True, capture_output=True)))
        print(f"noop_build_s: {statistics.median(noop):.3f}")
        if pandoc:
            print(f"noop_over_pandoc: {statistics.median(noop) / statistics.median(converted):.2f}")
        else:
            print("noop_over_pandoc: skipped (pandoc is not installed)")

        builder.build(project, regenerate=False, live_reload=True)  # warm imports and caches, as in serve
        rebuilds = []
        for i in range(RUNS):
            marker = edit_paragraph(root, i)
            rebuilds.append(timed(lambda: builder.build(project, regenerate=False, live_reload=True)))
            assert_changed(project.out, marker)
        print(f"paragraph_rebuild_s: {statistics.median(rebuilds):.3f}")
        cli = []
        for i in range(RUNS):
            marker = edit_paragraph(root, 50 + i)
            cli.append(timed(lambda: cli_build(root)))
            assert_changed(project.out, marker)
        print(f"paragraph_rebuild_cli_s: {statistics.median(cli):.3f}")
        print(f"serve_reload_latency_s: {serve_latency(root):.3f}")


if __name__ == "__main__":
    main()
