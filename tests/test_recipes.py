"""Recipes write contract-valid figures from a FigureSpec (EfficientNet-Lite0, quick mode)."""

import json

from mechanics import recipes
from mechanics.contract import validate_figure
from mechanics.figure_spec import FigureSpec


def _photos(folder):
    """Three small random photos, one in a subfolder (a folder is read recursively)."""
    from PIL import Image
    import numpy as np
    (folder / "nested").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, name in enumerate(("a.png", "nested/b.jpg", "c.png")):
        Image.fromarray(rng.integers(0, 255, (90 + 30 * i, 120, 3), dtype=np.uint8)).save(folder / name)
    return folder


def test_decomposition_grid_names_the_model_layer_and_unit_and_carries_its_evidence(tmp_path):
    spec = FigureSpec("grid", "decomposition_grid", "t", "c", "efficientnet_lite0",
                      dict(target="block10:101", at=[4, 4], earlier="block9", paths=["branch", "skip"],
                           size=128, steps=256, examples={"images": str(_photos(tmp_path / "photos")), "top": 2}))
    (tmp_path / "fig").mkdir()
    recipes.decomposition_grid(tmp_path / "fig", spec, quick=True)
    data = validate_figure("grid", tmp_path / "fig")
    assert "EfficientNet-Lite0" in data["summary"] and "block10:101" in data["summary"]
    assert "24 steps at 64 px" in data["summary"]   # quick mode says so
    skip = [c["norm"] for c in data["views"]["skip"]["positive"]["cells"]]
    assert skip[12] > 0 and sum(skip) == skip[12]    # the skip path is the centre cell alone
    assert data["params"]["render"]["steps"] == 24
    facts = data["facts"]     # named for the article: the whole window's norms (branch + skip) among them
    assert facts["full_norm_3_3"]["value"] > facts["branch_norm_3_3"]["value"] > 0
    assert facts["skip_pos_norm_3_3"]["value"] == skip[12]
    assert 0 < facts["branch_halves_top_bottom"]["value"] < 2 and "skip_halves_top_bottom" not in facts
    # Its evidence: the window statistic against its layer, the examples, the occlusion check.
    baseline = data["baselines"][0]
    assert baseline["id"] == "off_centre_share" and baseline["layer"]["n"] == 112
    assert baseline["trivial"]["value"] == 0.96 and 0 <= baseline["layer"]["percentile"] <= 100
    examples = data["examples"]
    assert examples["images"] == 3 and len(examples["top"]) == 2
    assert {e["file"] for e in examples["top"]} <= {"a.png", "b.jpg", "c.png"}   # names, never paths
    check = data["occlusion"]
    assert check["file"] == examples["top"][0]["file"] and check["n"] == 25     # a window inside the map
    assert set(check["gradient"]) >= {"predicted", "pearson", "off_centre"} and check["off_centre"]["n"] == 24
    facts = data["facts"]
    assert facts["occlusion_positions"]["value"] == 25 and facts["examples_images"]["value"] == 3
    assert facts["off_centre_share_percentile"]["value"] == baseline["layer"]["percentile"]


def test_attribution_explorer_reports_completeness_per_target_and_method(tmp_path):
    spec = FigureSpec("attr", "attribution_explorer", "t", "c", "efficientnet_lite0",
                      dict(image="skimage:coffee.png", layer="block12", targets=["logit:967"],
                           methods=["gradxact", "ig"], ig_steps=32, min_weight=0.3, photo_units=["block12:3"]),
                      images=["skimage:coffee.png"])
    recipes.attribution_explorer(tmp_path, spec, quick=True)
    data = validate_figure("attr", tmp_path)
    ig = data["results"]["logit:967"]["ig"]["completeness"]
    assert abs(ig["ratio"] - 1) < 0.05
    facts = data["facts"]
    assert facts["logit967_ig_ratio"] == {"value": ig["ratio"], "kind": "percent", "digits": 1, "what": "sum / change"}
    assert 0 < facts["logit967_prob"]["value"] <= 1 and facts["logit967_prob"]["kind"] == "share"
    saliency = data["results"]["logit:967"]["ig"]["saliency"]
    assert abs(facts["logit967_ig_row_2"]["value"] - sum(saliency[1])) < 1e-4
    assert data["targets"][0]["label"] == "espresso (logit 967)"
    assert json.loads((tmp_path / "figure.json").read_text())["photo"]["width"] == 128
    # How strongly a unit responds to this photo, against every scikit-image photo (coffee among them).
    [activity] = data["baselines"]
    assert activity["id"] == "block12_3_photo_max" and activity["statistic"] == "max_activation"
    null = activity["null"]
    assert null["n"] >= 20 and 0 < null["exceeded_by"] <= 1
    assert null["quantiles"]["q01"] <= activity["value"] <= null["quantiles"]["q99"] + 1e-6
    assert facts["block12_3_photo_max"]["value"] == activity["value"]
    assert facts["block12_3_photo_max_exceeded_by"]["value"] == null["exceeded_by"]


def test_objective_comparison_scores_every_objective_over_units_of_the_layer(tmp_path):
    spec = FigureSpec("obj", "objective_comparison", "t", "c", "efficientnet_lite0",
                      dict(target="block4:5", at=[4, 4], earlier="block3", path="branch", scored_units=8))
    recipes.objective_comparison(tmp_path, spec, quick=True)
    data = validate_figure("obj", tmp_path)
    scores = data["objective_scores"]
    assert [u["channel"] for u in scores["units"]] == [0, 20, 39]    # quick: 3, evenly spaced over 40 channels
    assert len(data["baselines"]) == 12 and "over 3 units of block4" in data["summary"]
    facts = data["facts"]
    # Each objective raises what it asks for above the random start's.
    for measure, objective in (("centre", "neuron_dot"), ("mean", "channel_dot")):
        assert facts[f"{objective}_{measure}"]["value"] > facts[f"{objective}_{measure}_start"]["value"]
    assert facts["scored_units"]["value"] == 3 and 0 <= facts["cossim_cosine_higher"]["value"] <= 1


def test_gallery_summary_names_its_layers_in_the_order_declared(tmp_path):
    spec = FigureSpec("gal", "gallery", "t", "c", "efficientnet_lite0",
                      dict(units=[["block8", "block7", "full", [3]], ["block10", "block9", "branch", [101]]],
                           input_size=128, size=64, steps=96))
    recipes.gallery(tmp_path, spec, quick=True)
    data = validate_figure("gal", tmp_path)
    assert [item["label"] for item in data["items"]] == ["block8:3", "block10:101"]
    assert "2 neurons of block8, block10," in data["summary"]
    assert data["facts"]["neurons"]["value"] == 2 and data["facts"]["block10_neurons"]["value"] == 1
