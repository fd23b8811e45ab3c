"""Recipes write contract-valid figures from a FigureSpec (EfficientNet-Lite0, quick mode)."""

import json

from mechanics import recipes
from mechanics.contract import validate_figure
from mechanics.figure_spec import FigureSpec


def test_decomposition_grid_names_the_model_layer_and_unit(tmp_path):
    spec = FigureSpec("grid", "decomposition_grid", "t", "c", "efficientnet_lite0",
                      dict(target="block10:101", at=[4, 4], earlier="block9", paths=["branch", "skip"],
                           size=128, steps=256))
    recipes.decomposition_grid(tmp_path, spec, quick=True)
    data = validate_figure("grid", tmp_path)
    assert "EfficientNet-Lite0" in data["summary"] and "block10:101" in data["summary"]
    assert "24 steps at 64 px" in data["summary"]   # quick mode says so
    skip = [c["norm"] for c in data["views"]["skip"]["positive"]["cells"]]
    assert skip[12] > 0 and sum(skip) == skip[12]    # the skip path is the centre cell alone
    assert data["params"]["render"]["steps"] == 24


def test_attribution_explorer_reports_completeness_per_target_and_method(tmp_path):
    spec = FigureSpec("attr", "attribution_explorer", "t", "c", "efficientnet_lite0",
                      dict(image="skimage:coffee.png", layer="block12", targets=["logit:967"],
                           methods=["gradxact", "ig"], ig_steps=32, min_weight=0.3),
                      images=["skimage:coffee.png"])
    recipes.attribution_explorer(tmp_path, spec, quick=True)
    data = validate_figure("attr", tmp_path)
    ig = data["results"]["logit:967"]["ig"]["completeness"]
    assert abs(ig["ratio"] - 1) < 0.05
    assert data["targets"][0]["label"] == "espresso (logit 967)"
    assert json.loads((tmp_path / "figure.json").read_text())["photo"]["width"] == 128


def test_gallery_summary_names_its_layers_in_the_order_declared(tmp_path):
    spec = FigureSpec("gal", "gallery", "t", "c", "efficientnet_lite0",
                      dict(units=[["block8", "block7", "full", [3]], ["block10", "block9", "branch", [101]]],
                           input_size=128, size=64, steps=96))
    recipes.gallery(tmp_path, spec, quick=True)
    data = validate_figure("gal", tmp_path)
    assert [item["label"] for item in data["items"]] == ["block8:3", "block10:101"]
    assert "2 neurons of block8, block10," in data["summary"]
