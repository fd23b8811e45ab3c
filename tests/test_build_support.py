"""Helpers for the build tests: a small temporary project and a way to run build.py on it.

Its figure scripts are tiny and TensorFlow-free: make() writes a contract-valid gallery
figure.json and one PIL-made sprite.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

BIB = """\
@article{olah2017feature,
  author = {Olah, Chris and Mordvintsev, Alexander and Schubert, Ludwig},
  title = {Feature Visualization},
  journal = {Distill},
  year = {2017},
}

@inproceedings{szegedy2015going,
  author = {Szegedy, Christian and Liu, Wei},
  title = {Going Deeper with Convolutions},
  booktitle = {CVPR},
  year = {2015},
}

@article{lee1999learning,
  author = {Lee, Daniel D. and Seung, H. Sebastian},
  title = {Learning the Parts of Objects by Non-negative Matrix Factorization},
  journal = {Nature},
  year = {1999},
}
"""

FRONT_MATTER = """\
---
title: Test Article
description: A small article for the build tests.
authors:
  - name: Ada Author
    affiliations: [Test Lab]
date: 2025-01-15
bibliography: references.bib
---
"""

BODY = """\
## Intro

See @fig:beta and [@olah2017feature]. A note[^n] and math $a^2$.

@figure(alpha)

Then [@szegedy2015going; @olah2017feature].

@figure(beta)

[^n]: The note.
"""

# A stand-in diagram partial, so these tests do not depend on the real diagram templates.
PARTIAL = ('<div class="test-diagram" data-kind="{{ fig.kind }}" data-stale="{{ stale }}">'
           '<img src="{{ asset_url }}units.png" alt="{{ name }}"></div>\n')

FIGURE_SCRIPT = '''\
import json

import pytest
from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(name={name!r}, kind="gallery", title="Title of {name}",
                    caption="Caption of {name} with $x^2$.", model="efficientnet_lite0",
                    params={{"steps": 1}}, images=["skimage:chelsea.png"])


def make(out_dir, quick):
    from PIL import Image
    {body}
    Image.new("RGB", (8, 8), {color!r}).save(out_dir / "units.png")
    image = {{"sprite": "u", "index": 0}}
    fig = {{
        "contract": 1, "kind": "gallery", "figure": {name!r}, "model": "efficientnet_lite0",
        "model_label": "EfficientNet-Lite0", "engine_version": "test", "input_hash": "test",
        "params": {{"steps": 1, "quick": quick}},
        "sprites": {{"u": {{"file": "units.png", "tile": 8, "columns": 1, "count": 1}}}},
        "summary": "Summary of {name}: EfficientNet-Lite0 block10 unit 101, channel objective, 1 step.",
        "items": [{{"id": "a", "model": "efficientnet_lite0", "model_label": "EfficientNet-Lite0",
                   "layer": "block10", "channel": 101, "label": "block10:101", "unit_image": image,
                   "window": {{"height": 1, "width": 1}},
                   "cells": [{{"row": 0, "col": 0, "norm": 1.0, "weight": 1.0, "image": image}}]}}],
        "facts": {{"median_share": {{"value": 0.163385, "kind": "share", "digits": 1}},
                   "norm": {{"value": 0.1247, "kind": "number", "digits": 2}}}},
    }}
    (out_dir / "figure.json").write_text(json.dumps(fig))
'''


def figure_script(name, color="red", body="pass"):
    """Source of a figure script; `body` runs at the start of make() (e.g. to raise)."""
    return FIGURE_SCRIPT.format(name=name, color=color, body=body)


def make_project(root, body=BODY, figures=("alpha", "beta")):
    root = Path(root)
    article = root / "article"
    (article / "templates" / "diagrams").mkdir(parents=True)
    (article / "static").mkdir()
    (root / "figures_src").mkdir()
    (root / "assets" / "figures").mkdir(parents=True)
    (article / "index.md").write_text(FRONT_MATTER + body)
    (article / "references.bib").write_text(BIB)
    for template in ("base.html", "placeholder.html"):
        shutil.copy(REPO / "article" / "templates" / template, article / "templates" / template)
    (article / "templates" / "diagrams" / "gallery.html").write_text(PARTIAL)
    for static in ("article.css", "article.js"):
        shutil.copy(REPO / "article" / "static" / static, article / "static" / static)
    for name in figures:
        (root / "figures_src" / f"{name}.py").write_text(figure_script(name))
    return root


def run_build(root, *args, check=False):
    """Run build.py on a project; returns the CompletedProcess (text output)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([PYTHON, str(REPO / "build.py"), "--root", str(root), *args],
                            capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def snapshot(directory):
    """{relative path: bytes} of every file below a directory."""
    directory = Path(directory)
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def manifest(root, name):
    return json.loads((Path(root) / "assets" / "figures" / name / "manifest.json").read_text())


def edit(path, old, new):
    path = Path(path)
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def scratch_dirs(root):
    return [p for p in Path(root).rglob(".site-*")]


@pytest.fixture(scope="session")
def built_template(tmp_path_factory):
    """A project built once (figures made); tests copy it instead of rebuilding it."""
    root = make_project(tmp_path_factory.mktemp("template") / "project")
    run_build(root, check=True)
    return root


@pytest.fixture
def project(built_template, tmp_path):
    """A fresh copy of the built project, with fresh figures and a built _site/."""
    return Path(shutil.copytree(built_template, tmp_path / "project", symlinks=True))
