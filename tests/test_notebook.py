"""Notebooks: the engine's rich display (mechanics.notebook) and Lucid's inside a real IPython kernel,
the example notebook run headless, and BadInput as one line."""

import json
import subprocess
import sys

import nbformat
import pytest

from notebook_support import EXAMPLE, REPO, code_notebook, fresh_cache, outputs, run


def test_the_example_notebook_is_committed_without_outputs():
    nb = nbformat.read(EXAMPLE, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_example_notebook_shows_each_result_as_the_articles_component(executed_example):
    html = {}
    for cell in executed_example.cells:
        for output in outputs(cell, "execute_result"):
            if "text/html" in output["data"]:
                html[cell.source.splitlines()[-1].split("(")[0]] = output["data"]["text/html"]
    assert set(html) == {"show", "attribution", "figure", "atlas_entry"}
    for call, tag in (("show", "nm-decomposition-grid"), ("attribution", "nm-attribution-explorer"),
                      ("figure", "nm-factor-view"), ("atlas_entry", "nm-decomposition-grid")):
        page = html[call]
        assert f"<{tag} " in page and "customElements.define" in page
        # Images ride inline; nothing names a server or another file.
        assert "data:image/jpeg;base64," in page and "http://" not in page and "https://" not in page
        assert 'src="' not in page.replace('src="data:', "")
    printed = "".join(output["text"] for cell in executed_example.cells for output in outputs(cell, "stream"))
    assert "Egyptian Mau" in printed and "WARNING:tensorflow" not in printed
    # Renders show tqdm's notebook widget, not text bars.
    show_cell = next(cell for cell in executed_example.cells if cell.source.startswith("show("))
    assert any("application/vnd.jupyter.widget-view+json" in output["data"] for output in outputs(show_cell, "display_data"))


def test_bad_input_in_a_notebook_is_its_one_line(executed_example):
    errors = [error for cell in executed_example.cells for error in outputs(cell, "error")]
    assert len(errors) == 1
    assert errors[0]["ename"] == "BadInput"
    assert errors[0]["traceback"] == [f"error: {errors[0]['evalue']}"]
    assert "out of range" in errors[0]["evalue"] and "999" in errors[0]["evalue"]


def test_bad_input_is_one_line_in_any_kernel_that_imported_the_module(tmp_path):
    nb = code_notebook("import mechanics.notebook\nfrom mechanics.errors import BadInput",
                       "raise BadInput('unit x is bad; valid units: y')", "raise ValueError('not ours')")
    for cell in nb.cells[1:]:
        cell.metadata["tags"] = ["raises-exception"]
    run(nb, tmp_path, cwd=REPO)
    [bad], [other] = outputs(nb.cells[1], "error"), outputs(nb.cells[2], "error")
    assert bad["traceback"] == ["error: unit x is bad; valid units: y"]
    assert len(other["traceback"]) > 1, "other exceptions keep their traceback"


def test_lucid_displays_inline_inside_a_real_kernel(tmp_path):
    nb = run(code_notebook(
        "import IPython, numpy as np\nimport mechanics.lucid_tf2\nfrom lucid.misc.io import showing",
        "print(showing.IPython is IPython, IPython.__file__ is not None)",
        "showing.image(np.zeros((4, 4, 3), np.float32))"), tmp_path, cwd=REPO)
    assert outputs(nb.cells[1], "stream")[0]["text"].split() == ["True", "True"]
    shown = outputs(nb.cells[2], "display_data")
    assert shown and "<img src=\"data:image/png;base64," in shown[0]["data"]["text/html"].lower()


def lucid_outside_a_kernel(prelude=""):
    script = (f"{prelude}\nimport sys, mechanics.lucid_tf2\nfrom lucid.misc.io import showing\n"
              "print(getattr(sys.modules['IPython'], '__file__', None), sys.modules['IPython'].get_ipython())\n"
              "try:\n    showing.image([[[0, 0, 0]]])\nexcept RuntimeError as e:\n    print(e)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_outside_a_kernel_lucid_imports_and_sees_no_shell():
    # TensorFlow's Keras imports the installed IPython, whose get_ipython() is None here (what Ray asks).
    ipython_file, shell = lucid_outside_a_kernel()[0].split()
    assert ipython_file.endswith("IPython/__init__.py") and shell == "None"


def test_without_ipython_installed_lucid_gets_the_stand_in():
    prelude = ("import sys\nclass NoIPython:\n    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] == 'IPython':\n            raise ModuleNotFoundError(name)\n"
               "sys.meta_path.insert(0, NoIPython())")
    assert lucid_outside_a_kernel(prelude) == ["None None", "inline display is not available outside IPython"]


def test_a_diagram_carries_its_figure_and_images_inline(tmp_path):
    from PIL import Image

    from mechanics.notebook import Diagram
    Image.new("RGB", (2, 1), (255, 0, 0)).save(tmp_path / "s.jpg")
    fig = {"kind": "decomposition_grid", "summary": "a <b>summary</b>", "unit_image": {"sprite": "s", "index": 0},
           "views": {"full": {"positive": {"cells": [{"image": {"sprite": "s", "index": 1}}]}}},
           "sprites": {"s": {"file": "s.jpg", "tile": 1, "columns": 2, "count": 2}}, "label": "</script><script>x"}
    page = Diagram(fig, tmp_path)._repr_html_()
    data = page.split('<script type="application/json">')[1].split("</script>")[0]
    assert "<" not in data and json.loads(data)["label"] == "</script><script>x"
    assert json.loads(data)["sprites"]["s"]["file"].startswith("data:image/jpeg;base64,")
    assert "a &lt;b&gt;summary&lt;/b&gt;" in page
    assert fig["sprites"]["s"]["file"] == "s.jpg"  # the figure itself is left as it was
    assert '<dl class="nm-baselines"' not in page


def test_a_diagram_lists_its_baselines_as_the_article_does(tmp_path):
    from PIL import Image

    from mechanics.notebook import Diagram
    Image.new("RGB", (1, 1)).save(tmp_path / "s.jpg")
    fig = {"kind": "gallery", "summary": "s", "sprites": {"s": {"file": "s.jpg", "tile": 1, "columns": 1, "count": 1}},
           "baselines": [{"id": "share", "label": "off-centre <share>", "statistic": "off_centre_share", "value": 0.684,
                          "layer": {"n": 112, "percentile": 9.0, "quantiles": {"q50": 0.8}},
                          "trivial": {"kind": "flat 5x5 window", "value": 0.96}}]}
    page = Diagram(fig, tmp_path)._repr_html_()
    listed = page.split('<dl class="nm-baselines"')[1].split("</dl>")[0]
    assert "off-centre &lt;share&gt;" in listed and "0.684" in listed
    assert "9th percentile of 112 units (median 0.800)" in listed and "flat 5x5 window: 0.960" in listed


def test_atlas_entry_of_a_committed_atlas_holds_only_the_tiles_it_shows(tmp_path, monkeypatch):
    from mechanics import notebook
    if notebook._committed_layer("efficientnet_lite0", "block10") is None:
        pytest.skip("no committed atlas of efficientnet_lite0 block10")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    entry = notebook.atlas_entry("efficientnet_lite0", "block10:101")
    fig = entry.fig
    assert fig["target"]["label"] == "block10:101" and fig["prev_layer"] == "block9"
    assert set(fig["sprites"]) == {"cells", "unit", "channels"}
    assert fig["sprites"]["cells"]["count"] == fig["window"]["height"] * fig["window"]["width"]
    tops = {ch["channel"] for cell in next(iter(fig["views"].values()))["positive"]["cells"] for ch in cell["top_channels"]}
    assert fig["sprites"]["channels"]["count"] == len(tops)  # block9's atlas holds every channel
    assert len(entry._repr_html_()) < 400_000


def test_a_figure_is_written_once_then_read_from_the_cache(tmp_path, monkeypatch):
    from mechanics import notebook
    from mechanics.errors import BadInput
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    written = []

    def write(out_dir):
        written.append(out_dir)
        (out_dir / "figure.json").write_text(json.dumps({"kind": "gallery", "n": len(written)}))

    first = notebook._cached("figure", "key", write, contract=False)
    again = notebook._cached("figure", "key", write, contract=False)
    assert len(written) == 1 and again.folder == first.folder and again.fig == {"kind": "gallery", "n": 1}

    def fails(out_dir):
        (out_dir / "figure.json").write_text("{}")
        raise BadInput("channel 999 is out of range")

    with pytest.raises(BadInput):
        notebook._cached("figure", "other", fails, contract=False)
    assert [p.name for p in (tmp_path / "neuron-mechanics" / "notebook").iterdir()] == ["figure_key"]


def test_the_cache_key_follows_the_figures_input_hashes(tmp_path):
    from PIL import Image

    from mechanics.notebook import _cache_key, _spec
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(photo)

    def key(target="logit:285", quick=False, model="efficientnet_lite0"):
        params = {"image": str(photo), "layer": "block12", "targets": [target]}
        return _cache_key(_spec("attribution_explorer", model, params, [str(photo)]), quick)

    first = key()
    assert key() == first
    assert len({first, key(target="logit:281"), key(quick=True), key(model="efficientnet_lite1")}) == 4
    Image.new("RGB", (8, 8), (10, 20, 31)).save(photo)  # the same path, another picture
    assert key() != first


def test_an_atlas_entry_of_a_layer_no_atlas_holds_is_computed_as_a_one_unit_atlas(tmp_path, monkeypatch):
    from mechanics import notebook
    if notebook._committed_layer("efficientnet_lite0", "block10") is None:
        pytest.skip("no committed atlas of efficientnet_lite0 block10")
    assert notebook._committed_layer("efficientnet_lite0", "block11") is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(fresh_cache(tmp_path)))
    # block11 starts a stage (no residual branch), so the earlier layer is named.
    entry = notebook.atlas_entry("efficientnet_lite0", "block11:7", prev="block10", quick=True)
    fig = entry.fig
    assert fig["target"]["label"] == "block11:7" and fig["prev_layer"] == "block10" and "full" in fig["views"]
    cells = next(iter(fig["views"].values()))["positive"]["cells"]
    assert len(cells) == fig["window"]["height"] * fig["window"]["width"]
    # Its top channels show block10's unit tiles from the committed block10 atlas.
    assert all(ch["image"] is not None for cell in cells for ch in cell["top_channels"])
    cached = tmp_path / "cache" / "neuron-mechanics" / "notebook"
    assert sorted(p.name.rsplit("_", 1)[0] for p in cached.iterdir()) == ["atlas", "atlas_entry"]
