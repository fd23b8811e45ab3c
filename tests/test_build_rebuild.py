"""The preview's rebuilds, in one process as `build.py serve` makes them: whatever input is edited
between two builds (the article, a figure's files or script, a template, a component's file, the
bibliography) shows in the rebuilt site, though the process keeps results between builds
(figure statuses, asset hashes, each figure's HTML: mechanics/site/stamps.py)."""

import hashlib
import json

import pytest

from mechanics.errors import BadInput
from mechanics.site import builder
from mechanics.site.figure_cache import FigureStatus
from mechanics.site.project import Project
from test_build_support import built_template, edit, project  # noqa: F401


@pytest.fixture
def preview(project, tmp_path, monkeypatch):
    """The project, built twice in this process as serve builds it (what serve keeps is kept from
    a result's second use, stamps.Memo); rebuild() builds it again."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    site = Project.at(project)

    def rebuild():
        return builder.build(site, regenerate=False, live_reload=True)

    rebuild()
    (project / "article" / "index.md").write_text((project / "article" / "index.md").read_text() + "\nA second build.\n")
    rebuild()
    return project, rebuild


def page(root):
    return (root / "_site" / "index.html").read_text()


def rewrite_figure_json(root, name, change):
    """Change a figure's figure.json and record its new hash in the manifest, as a regeneration
    would: the figure stays fresh, with other data."""
    folder = root / "assets" / "figures" / name
    fig = json.loads((folder / "figure.json").read_text())
    change(fig)
    (folder / "figure.json").write_text(json.dumps(fig))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["figure.json"] = hashlib.sha256((folder / "figure.json").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_an_edited_paragraph_shows(preview):
    root, rebuild = preview
    edit(root / "article" / "index.md", "Then [@", "Then, edited, [@")
    rebuild()
    assert "Then, edited, " in page(root)


def test_a_figure_with_new_data_shows_it(preview):
    root, rebuild = preview
    rewrite_figure_json(root, "alpha", lambda fig: fig.update(summary="A new summary of alpha."))
    rebuild()
    assert "A new summary of alpha." in page(root)


def test_a_figure_file_changed_by_hand_fails_the_rebuild_as_corrupt(preview):
    root, rebuild = preview
    (root / "assets" / "figures" / "alpha" / "units.png").write_bytes(b"not the png its manifest records")
    with pytest.raises(BadInput, match="alpha.*differ from the hashes.*units.png"):
        rebuild()


def test_an_edited_figure_script_marks_its_figure_stale_and_shows_its_caption(preview):
    root, rebuild = preview
    edit(root / "figures_src" / "beta.py", "Caption of beta", "New caption of beta")
    report = rebuild()
    assert [(state.name, state.status) for state in report.outdated] == [("beta", FigureStatus.STALE)]
    assert "New caption of beta" in page(root) and "python build.py figures beta" in page(root)


def test_an_edited_diagram_template_shows(preview):
    root, rebuild = preview
    edit(root / "article" / "templates" / "diagrams" / "gallery.html", 'class="test-diagram"', 'class="test-diagram edited"')
    rebuild()
    assert page(root).count('class="test-diagram edited"') == 2


def test_an_edited_base_template_shows(preview):
    root, rebuild = preview
    edit(root / "article" / "templates" / "base.html", "<header ", "<header data-edited ")
    rebuild()
    assert "<header data-edited " in page(root)


def test_an_edited_component_file_is_copied(preview):
    root, rebuild = preview
    script = root / "article" / "static" / "article.js"
    script.write_text("// edited\n" + script.read_text())
    rebuild()
    assert (root / "_site" / "static" / "article.js").read_text().startswith("// edited")


def test_an_edited_bibliography_shows(preview):
    root, rebuild = preview
    edit(root / "article" / "references.bib", "title = {Feature Visualization}", "title = {Feature Visualization, Edited}")
    rebuild()
    assert "Feature Visualization, Edited" in page(root)


@pytest.mark.parametrize("model", ["efficientnet_lite2", "inception_v1", "own .pb"])
def test_a_figure_of_every_model_source_keeps_its_status_between_rebuilds(preview, model, monkeypatch):
    """A figure's status is kept with the stats of its model's files: each model source names them."""
    root, rebuild = preview
    if model == "own .pb":
        (root / "net.pb").write_bytes(b"a frozen graph")
        model = str(root / "net.pb")
    monkeypatch.setenv("MECHANICS_INCEPTION_V1", str(root / "no-such-inception.pb"))  # never the network
    edit(root / "figures_src" / "beta.py", 'model="efficientnet_lite0"', f"model={model!r}")
    for _ in range(2):  # the second rebuild checks the kept status against its stamp
        report = rebuild()
    assert [state.name for state in report.outdated] == ["beta"]
