import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import msgspec
import numpy as np
import pytest
from PIL import Image

from mechanics import contract
from mechanics.contract import ContractError, validate_figure
from mechanics.errors import BadInput

from browser.figure_fixtures import FIGURES, build_fixture_project, write_figure

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def figures_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    for name, kind in FIGURES.items():
        write_figure(root, name, kind)
    return root


@pytest.fixture
def grid_dir(tmp_path):
    """A fresh, valid decomposition grid that a test may break."""
    write_figure(tmp_path, "eye_detector", "decomposition_grid")
    return tmp_path / "eye_detector"


def edit(figure_dir, change):
    path = figure_dir / "figure.json"
    fig = json.loads(path.read_text())
    change(fig)
    path.write_text(json.dumps(fig))


def rejects(figure_dir, *fragments):
    with pytest.raises(ContractError) as info:
        validate_figure(figure_dir.name, figure_dir)
    message = str(info.value)
    assert message.startswith(f"figure {figure_dir.name!r}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize("name", FIGURES)
def test_valid_fixture_of_every_kind_passes_and_is_returned(figures_root, name):
    fig = validate_figure(name, figures_root / name)
    assert fig["kind"] == FIGURES[name]
    assert fig["figure"] == name


def test_contract_error_is_bad_input_so_the_cli_prints_it_cleanly():
    assert issubclass(ContractError, BadInput)


def test_validation_does_not_import_tensorflow(figures_root):
    # A fresh interpreter: other tests in this session may have imported TF already.
    code = ("import sys; from pathlib import Path; from mechanics.contract import validate_figure; "
            f"validate_figure('eye_detector', Path({str(figures_root / 'eye_detector')!r})); "
            "print(sorted(m for m in ('tensorflow', 'lucid') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO)
    assert out.stdout.strip() == "[]"


def run_contract_cli(*args):
    return subprocess.run([sys.executable, "-m", "mechanics", "contract", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=60)


def test_the_cli_prints_a_json_schema_that_takes_every_kind_and_refuses_a_broken_figure(figures_root, tmp_path):
    result = run_contract_cli("--schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in FIGURES:
        fig = json.loads((figures_root / name / "figure.json").read_text())
        validator.validate(fig)
    fig["kind"] = "heatmap"
    assert not validator.is_valid(fig)
    fig = json.loads((figures_root / "eye_detector" / "figure.json").read_text())
    fig["views"]["branch"]["positive"]["cells"][0]["weight"] = 1.5
    assert not validator.is_valid(fig)
    write_atlas(tmp_path / "atlas_tiny")
    layer = jsonschema.Draft202012Validator({"$ref": "#/$defs/AtlasLayer", "$defs": schema["$defs"]})
    layer.validate(json.loads((tmp_path / "atlas_tiny" / "l1.json").read_text()))


def test_the_cli_checks_figure_folders_with_one_line_for_a_broken_one(grid_dir):
    result = run_contract_cli(str(grid_dir))
    assert result.returncode == 0 and "a valid decomposition_grid figure" in result.stdout, result.stderr
    edit(grid_dir, lambda f: f["views"]["full"]["positive"]["cells"][0].update(weight=1.5))
    result = run_contract_cli(str(grid_dir))
    assert result.returncode == 2
    assert result.stderr == ("error: figure 'eye_detector': views.full.positive.cells[0].weight is 1.5, "
                             "expected in [0, 1]\n")
    result = run_contract_cli()
    assert result.returncode == 2 and "--schema or a figure FOLDER" in result.stderr


def test_missing_sprite_file_names_the_sprite_field(grid_dir):
    (grid_dir / "branch_positive.jpg").unlink()
    rejects(grid_dir, "sprites.branch_positive.file", "'branch_positive.jpg'", "does not exist")


def test_sprite_of_the_wrong_pixel_size_is_rejected(grid_dir):
    Image.new("RGB", (64 * 5, 64 * 4)).save(grid_dir / "skip_negative.jpg", "JPEG")
    rejects(grid_dir, "sprites.skip_negative.file", "320x256 px, expected 320x320")


def test_sprite_whose_content_does_not_match_its_extension_is_rejected(grid_dir):
    Image.new("RGB", (128, 128)).save(grid_dir / "unit.jpg", "PNG")
    rejects(grid_dir, "sprites.unit.file", "PNG data, not JPEG")


def test_sprite_file_outside_the_figure_folder_is_rejected(grid_dir):
    edit(grid_dir, lambda f: f["sprites"]["unit"].update(file="../unit.jpg"))
    rejects(grid_dir, "sprites.unit.file", "plain file name")


def test_grid_with_a_cell_missing_names_the_part_and_the_window(grid_dir):
    edit(grid_dir, lambda f: f["views"]["branch"]["positive"]["cells"].pop())
    message = rejects(grid_dir)
    assert message == ("figure 'eye_detector': views.branch.positive.cells has 24 cells, "
                       "expected 25 (window 5x5)")


def test_cells_out_of_row_major_order_are_rejected(grid_dir):
    def swap(fig):
        cells = fig["views"]["full"]["negative"]["cells"]
        cells[0], cells[1] = cells[1], cells[0]
    edit(grid_dir, swap)
    rejects(grid_dir, "views.full.negative.cells[0]", "row-major")


def test_nan_anywhere_is_rejected_with_its_path(grid_dir):
    edit(grid_dir, lambda f: f["views"]["skip"]["negative"]["cells"][7].update(norm=float("nan")))
    rejects(grid_dir, "views.skip.negative.cells[7].norm", "finite")


def test_infinity_in_free_form_params_is_rejected(grid_dir):
    edit(grid_dir, lambda f: f["params"].update(lr=float("inf")))
    rejects(grid_dir, "params.lr", "finite")
    # A number too large for a double is Infinity too (json reads 1e999 as inf).
    path = grid_dir / "figure.json"
    path.write_text(path.read_text().replace("Infinity", "1e999"))
    rejects(grid_dir, "params.lr is inf", "finite")


def test_image_index_past_the_sprite_end_is_rejected(grid_dir):
    edit(grid_dir, lambda f: f["views"]["branch"]["positive"]["cells"][3]["image"].update(index=25))
    rejects(grid_dir, "views.branch.positive.cells[3].image.index", "is 25", "25 tiles")


def test_image_reference_to_an_unknown_sprite_is_rejected(grid_dir):
    edit(grid_dir, lambda f: f.update(unit_image={"sprite": "nope", "index": 0}))
    rejects(grid_dir, "unit_image.sprite", "not a key of sprites")


def test_weight_outside_unit_interval_is_rejected(grid_dir):
    edit(grid_dir, lambda f: f["views"]["full"]["positive"]["cells"][0].update(weight=1.5))
    rejects(grid_dir, "views.full.positive.cells[0].weight", "expected in [0, 1]")


def test_weight_that_is_not_norm_over_max_norm_is_rejected(grid_dir):
    edit(grid_dir, lambda f: f["views"]["full"]["positive"]["cells"][0].update(weight=0.0))
    rejects(grid_dir, "views.full.positive.cells[0].weight", "norm / max norm")


def test_unknown_view_and_unknown_kind_name_the_valid_ones(grid_dir):
    edit(grid_dir, lambda f: f["views"].update(residual=f["views"]["full"]))
    rejects(grid_dir, "views.residual", "'branch', 'skip', 'full'")
    edit(grid_dir, lambda f: f.update(kind="heatmap"))
    rejects(grid_dir, "kind", "'decomposition_grid'")


def test_too_many_top_channels_are_rejected(grid_dir):
    def grow(fig):
        cell = fig["views"]["branch"]["negative"]["cells"][0]
        cell["top_channels"] = cell["top_channels"] * 3
    edit(grid_dir, grow)
    rejects(grid_dir, "views.branch.negative.cells[0].top_channels", "at most 8")


def test_figure_name_must_match_its_folder(grid_dir):
    edit(grid_dir, lambda f: f.update(figure="other"))
    rejects(grid_dir, "figure is 'other'", "folder name 'eye_detector'")


def test_missing_or_broken_figure_json_is_named(grid_dir):
    (grid_dir / "figure.json").write_text("{")
    rejects(grid_dir, "not valid JSON")
    (grid_dir / "figure.json").unlink()
    rejects(grid_dir, "no figure.json")


def test_attribution_needs_a_result_for_every_target_and_method(tmp_path):
    write_figure(tmp_path, "cat_attribution", "attribution_explorer")
    figure_dir = tmp_path / "cat_attribution"
    edit(figure_dir, lambda f: f["results"]["logit:285"].pop("ig"))
    rejects(figure_dir, "results.logit:285.ig", "missing")


def test_attribution_saliency_must_match_the_grid(tmp_path):
    write_figure(tmp_path, "cat_attribution", "attribution_explorer")
    figure_dir = tmp_path / "cat_attribution"
    edit(figure_dir, lambda f: f["results"]["block10:101"]["gradxact"]["saliency"][2].pop())
    rejects(figure_dir, "results.block10:101.gradxact.saliency[2]", "6 values, expected 7")


def test_attribution_photo_must_have_its_declared_size(tmp_path):
    write_figure(tmp_path, "cat_attribution", "attribution_explorer")
    figure_dir = tmp_path / "cat_attribution"
    edit(figure_dir, lambda f: f["photo"].update(width=200))
    rejects(figure_dir, "photo.file", "224x224 px, expected 200x224")


def test_factor_map_values_and_colour_are_checked(tmp_path):
    write_figure(tmp_path, "eye_factors", "factor_view")
    figure_dir = tmp_path / "eye_factors"
    edit(figure_dir, lambda f: f["factors"][1]["map"][0].__setitem__(0, 1.2))
    rejects(figure_dir, "factors[1].map[0][0]", "expected in [0, 1]")
    edit(figure_dir, lambda f: f["factors"][1]["map"][0].__setitem__(0, 0.5) or f["factors"][2].update(color="red"))
    rejects(figure_dir, "factors[2].color", "#rrggbb")


def test_objective_panel_without_window_must_have_no_cells(tmp_path):
    write_figure(tmp_path, "eye_objectives", "objective_comparison")
    figure_dir = tmp_path / "eye_objectives"
    edit(figure_dir, lambda f: f["panels"][2].update(cells=f["panels"][0]["cells"]))
    rejects(figure_dir, "panels[2].cells", "expected none (window is null)")


def test_objective_scores_name_every_objective_and_measure(tmp_path):
    write_figure(tmp_path, "eye_objectives", "objective_comparison")
    figure_dir = tmp_path / "eye_objectives"
    scores = {"centre": 2.0, "mean": 0.5, "cosine": 0.3}
    unit = {"channel": 3, **{k: dict(scores) for k in ("neuron_dot", "neuron_cossim", "channel_dot", "channel_cossim")}}
    edit(figure_dir, lambda f: f.update(objective_scores={"layer": "block10", "measures": {"centre": "c"}, "units": [unit]}))
    validate_figure("eye_objectives", figure_dir)
    edit(figure_dir, lambda f: f["objective_scores"]["units"][0].pop("channel_cossim"))
    rejects(figure_dir, "objective_scores.units[0]", "channel_cossim")
    edit(figure_dir, lambda f: f["objective_scores"]["units"][0].update(channel_cossim={**scores, "centre": "high"}))
    rejects(figure_dir, "objective_scores.units[0].channel_cossim.centre", "high")


def test_gallery_item_ids_must_be_unique(tmp_path):
    write_figure(tmp_path, "unit_gallery", "gallery")
    figure_dir = tmp_path / "unit_gallery"
    edit(figure_dir, lambda f: f["items"][5].update(id=f["items"][4]["id"]))
    rejects(figure_dir, "items[5].id", "repeats id")


def test_channel_must_be_an_integer_not_a_float_or_bool(tmp_path):
    write_figure(tmp_path, "unit_gallery", "gallery")
    figure_dir = tmp_path / "unit_gallery"
    edit(figure_dir, lambda f: f["items"][0].update(channel=1.0))
    rejects(figure_dir, "items[0].channel", "must be an integer")
    edit(figure_dir, lambda f: f["items"][0].update(channel=True))
    rejects(figure_dir, "items[0].channel", "must be an integer")


def test_build_rejects_a_broken_figure_by_name_and_field_and_writes_no_page(tmp_path):
    build_fixture_project(tmp_path, REPO, figures={"eye_detector": "decomposition_grid"},
                          after_make={"eye_detector": "(out_dir / 'skip_negative.jpg').unlink()"})
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(tmp_path)],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "figure 'eye_detector': sprites.skip_negative.file names 'skip_negative.jpg', which does not exist" \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "_site").exists(), "no half-rendered page"


# -- kind "atlas": figure.json plus one JSON file per layer ------------------------------


def write_atlas(figure_dir):
    """A valid atlas: layers l1 (3 units) and l2 (2 units), 3x3 windows, JPEG sprites."""
    from browser.figure_fixtures import SpriteSheet, _cells, _figure, _ref, _window
    rng = np.random.default_rng(3)
    figure_dir.mkdir()
    sheet = SpriteSheet(figure_dir)
    layers = []
    for layer, prev, channels in (("l1", "l0", [0, 2, 5]), ("l2", "l1", [1, 4])):
        sheet.add(f"{layer}_units", len(channels), 64, len(channels))
        sheet.add(f"{layer}_cells_0", 9 * len(channels), 48, 3)
        units = []
        for k, ch in enumerate(channels):
            cells = _cells(rng, f"{layer}_cells_0", 3, 3, top_sprite="unused")
            for i, cell in enumerate(cells):
                cell.image.index = 9 * k + i
                for top in cell.top_channels:
                    top.image = None
            units.append(contract.AtlasUnit(channel=ch, label=f"{layer}:{ch}", value=1.5,
                                            unit_image=_ref(f"{layer}_units", k), cells=cells))
        (figure_dir / f"{layer}.json").write_bytes(msgspec.json.encode(contract.AtlasLayer(
            layer=layer, prev_layer=prev, path="full", position=[6, 6], window=_window(3, 3), units=units)))
        layers.append(contract.AtlasLayerEntry(layer=layer, prev_layer=prev, path="full", file=f"{layer}.json",
                                               units=len(channels)))
    fig = _figure(contract.Atlas, figure_dir.name, sheet, "Tiny, an atlas of 5 neurons of l1, l2.", layers=layers)
    (figure_dir / "figure.json").write_bytes(msgspec.json.encode(fig))


@pytest.fixture
def atlas_dir(tmp_path):
    write_atlas(tmp_path / "atlas_tiny")
    return tmp_path / "atlas_tiny"


def edit_layer(figure_dir, file_name, change):
    path = figure_dir / file_name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_valid_atlas_passes(atlas_dir):
    fig = validate_figure("atlas_tiny", atlas_dir)
    assert fig["kind"] == "atlas" and [layer["units"] for layer in fig["layers"]] == [3, 2]


def test_atlas_layer_file_must_exist_and_not_be_figure_json(atlas_dir):
    (atlas_dir / "l2.json").unlink()
    rejects(atlas_dir, "layers[1].file names 'l2.json', which does not exist")
    edit(atlas_dir, lambda f: f["layers"][1].update(file="figure.json"))
    rejects(atlas_dir, "layers[1].file is 'figure.json'", "not figure.json")


def test_atlas_layer_file_must_hold_as_many_units_as_figure_json_says(atlas_dir):
    edit_layer(atlas_dir, "l1.json", lambda d: d["units"].pop())
    message = rejects(atlas_dir)
    assert message == "figure 'atlas_tiny': l1.json:units has 2 units, expected 3 as in figure.json"


def test_atlas_unit_cells_cover_the_layer_window(atlas_dir):
    edit_layer(atlas_dir, "l2.json", lambda d: d["units"][1]["cells"].pop())
    rejects(atlas_dir, "l2.json:units[1].cells has 8 cells, expected 9 (window 3x3)")


def test_atlas_units_are_in_increasing_channel_order(atlas_dir):
    edit_layer(atlas_dir, "l1.json", lambda d: d["units"][2].update(channel=2))
    rejects(atlas_dir, "l1.json:units[2].channel is 2", "unique and increasing")


def test_atlas_layer_file_must_agree_with_figure_json(atlas_dir):
    edit_layer(atlas_dir, "l2.json", lambda d: d.update(prev_layer="l0"))
    rejects(atlas_dir, "l2.json:prev_layer is \"l0\", expected \"l1\"")


def test_atlas_image_refs_name_sprites_of_figure_json(atlas_dir):
    edit_layer(atlas_dir, "l1.json", lambda d: d["units"][0].update(unit_image={"sprite": "l9_units", "index": 0}))
    rejects(atlas_dir, "l1.json:units[0].unit_image.sprite", "not a key of sprites")
    edit_layer(atlas_dir, "l1.json", lambda d: d["units"][0].update(unit_image={"sprite": "l1_units", "index": 3}))
    rejects(atlas_dir, "l1.json:units[0].unit_image.index is 3", "3 tiles")


def test_atlas_nan_in_a_layer_file_is_rejected_with_its_path(atlas_dir):
    edit_layer(atlas_dir, "l2.json", lambda d: d["units"][0]["cells"][4].update(norm=float("nan")))
    rejects(atlas_dir, "l2.json:units[0].cells[4].norm", "finite")


def test_atlas_cell_weights_are_norm_over_max_norm(atlas_dir):
    edit_layer(atlas_dir, "l1.json", lambda d: d["units"][1]["cells"][0].update(weight=0.0))
    rejects(atlas_dir, "l1.json:units[1].cells[0].weight", "norm / max norm")


# -- unit_ranking and decomposition_comparison ------------------------------------------------------

@pytest.fixture
def ranking_dir(tmp_path):
    write_figure(tmp_path, "car_ranking", "unit_ranking")
    return tmp_path / "car_ranking"


@pytest.fixture
def comparison_dir(tmp_path):
    write_figure(tmp_path, "car_comparison", "decomposition_comparison")
    return tmp_path / "car_comparison"


def test_ranking_with_ranks_out_of_order_is_rejected(ranking_dir):
    edit(ranking_dir, lambda f: f["models"][1]["units"][2].update(rank=5))
    rejects(ranking_dir, "models[1].units[2].rank", "is 5, expected 3")


def test_ranking_whose_score_rises_down_the_list_is_rejected(ranking_dir):
    edit(ranking_dir, lambda f: f["models"][0]["units"][1]["values"].update(class_z=9.0))
    rejects(ranking_dir, "models[0].units[1].values.class_z", "above the unit ranked before it")


def test_ranking_unit_missing_a_measure_or_with_an_unknown_one_is_rejected(ranking_dir, tmp_path):
    edit(ranking_dir, lambda f: f["models"][0]["units"][0]["values"].pop("class_mean"))
    rejects(ranking_dir, "models[0].units[0].values.class_mean", "is missing")
    write_figure(tmp_path / "again", "car_ranking", "unit_ranking")
    again = tmp_path / "again" / "car_ranking"
    edit(again, lambda f: f["models"][0]["units"][0]["values"].update(surprise=1.0))
    rejects(again, "models[0].units[0].values.surprise", "not the id of a measure")


def test_ranking_class_out_of_range_is_rejected(ranking_dir):
    edit(ranking_dir, lambda f: f["models"][0]["units"][0]["top_classes"][0].update({"class": 1000}))
    rejects(ranking_dir, "models[0].units[0].top_classes[0].class", "expected a class id in 0..999")


def test_comparison_cell_values_must_cover_the_window(comparison_dir):
    edit(comparison_dir, lambda f: f["panels"][1]["cell_values"]["wheel"].pop())
    rejects(comparison_dir, "panels[1].cell_values.wheel", "has 4 rows, expected 5")


def test_comparison_panel_needs_a_value_for_every_measure_and_a_known_path(comparison_dir, tmp_path):
    edit(comparison_dir, lambda f: f["panels"][0]["values"].pop("wheel_bottom_minus_top"))
    rejects(comparison_dir, "panels[0].values.wheel_bottom_minus_top", "is missing")
    write_figure(tmp_path / "again", "car_comparison", "decomposition_comparison")
    again = tmp_path / "again" / "car_comparison"
    edit(again, lambda f: f["panels"][0].update(path="sideways"))
    rejects(again, "panels[0].path", "expected one of 'branch', 'skip', 'full'")


def test_comparison_without_a_legend_is_rejected(comparison_dir):
    edit(comparison_dir, lambda f: f.update(measures=[]))
    rejects(comparison_dir, "measures", "expected at least 1")


def test_facts_are_checked_by_kind_and_name(grid_dir):
    validate_figure("eye_detector", grid_dir)      # the fixture's facts pass
    edit(grid_dir, lambda f: f["facts"].update(centre_share={"value": 1.5, "kind": "share"}))
    rejects(grid_dir, "facts.centre_share.value", "in [0, 1]")
    edit(grid_dir, lambda f: f["facts"].update(centre_share={"value": 0.5, "kind": "fraction"}))
    rejects(grid_dir, "facts.centre_share.kind", "'share'")
    edit(grid_dir, lambda f: f["facts"].update(centre_share={"value": 0.5, "kind": "share"}, **{"Centre-norm": {"value": 1, "kind": "number"}}))
    rejects(grid_dir, "facts.Centre-norm", "not a fact name")


def test_a_count_fact_must_be_an_integer(grid_dir):
    edit(grid_dir, lambda f: f["facts"].update(neurons={"value": 64.0, "kind": "count"}))
    rejects(grid_dir, "facts.neurons.value", "integer")


@pytest.fixture
def trends_dir(tmp_path):
    """A fresh, valid trends figure (no sprites) that a test may break."""
    write_figure(tmp_path, "atlas_trends", "trends")
    return tmp_path / "atlas_trends"


def test_trends_may_have_no_sprites_but_other_kinds_need_one(trends_dir, grid_dir):
    assert validate_figure("atlas_trends", trends_dir)["sprites"] == {}
    edit(grid_dir, lambda fig: fig.update(sprites={}))
    rejects(grid_dir, "sprites is empty")


@pytest.mark.parametrize("change, fragments", [
    (lambda f: f["layers"][0]["summary"]["off_centre_share"]["quantiles"].update(q75=0.1),
     ("layers[0].summary.off_centre_share.quantiles.q75", "below the quantile before it")),
    (lambda f: f["layers"][1]["units"][2].update(assembles=1), ("layers[1].units[2].assembles", "true or false")),
    (lambda f: f["layers"][0]["units"].pop(), ("layers[0].units", "expected n = 25")),
    (lambda f: f["layers"][0]["summary"]["assembly_share"].update(share_assembling=1.5),
     ("layers[0].summary.assembly_share.share_assembling", "expected in [0, 1]")),
    (lambda f: f["named"][0]["percentiles"].update(concentration=140), ("named[0].percentiles.concentration",)),
    (lambda f: f["layers"][1].update(id=f["layers"][0]["id"]), ("layers[1].id", "repeats id")),
    (lambda f: f["named"][0].pop("assembles"), ("named[0].assembles", "is missing")),
    (lambda f: f["layers"][0]["summary"]["assembly_share"].pop("threshold"),
     ("layers[0].summary.assembly_share.threshold", "is missing")),
])
def test_a_broken_trends_figure_names_the_field(trends_dir, change, fragments):
    edit(trends_dir, change)
    rejects(trends_dir, *fragments)


# -- evidence (issue 21): baselines on any kind, a grid's dataset examples and occlusion check ------

def test_the_grid_fixture_carries_baselines_examples_and_an_occlusion_check(grid_dir):
    fig = validate_figure("eye_detector", grid_dir)
    assert [b["id"] for b in fig["baselines"]] == ["off_centre_share", "occlusion_r"]
    assert len(fig["examples"]["top"]) == 6 and fig["occlusion"]["predicted"][0][0] is None


def test_figures_made_before_evidence_still_pass(grid_dir):
    edit(grid_dir, lambda f: [f.pop(k) for k in ("baselines", "examples", "occlusion")])
    validate_figure("eye_detector", grid_dir)


def test_baselines_are_checked_on_any_kind(ranking_dir):
    def add(fig):
        fig["baselines"] = [{"id": "class_z", "label": "class score of block14:0", "statistic": "class_z", "value": 1.3,
                             "trivial": {"kind": "zero weights", "value": 0.0}}]
    edit(ranking_dir, add)
    validate_figure("car_ranking", ranking_dir)
    edit(ranking_dir, lambda f: f["baselines"][0].update(trivial={"kind": "zero weights"}))
    rejects(ranking_dir, "baselines[0].trivial.value", "is missing")


def _drop_layer_and_null(baseline):
    baseline.pop("layer", None), baseline.pop("trivial", None), baseline.pop("null", None)


@pytest.mark.parametrize("change, fragments", [
    (lambda f: f["baselines"][0]["layer"]["quantiles"].update(q50=0.1),
     ("baselines[0].layer.quantiles.q50", "below the quantile before it")),
    (lambda f: f["baselines"][1]["null"]["quantiles"].update(q99=-5.0),
     ("baselines[1].null.quantiles.q99", "below the quantile before it")),
    (lambda f: f["baselines"][0].update(percentile=84.0),
     ("baselines[0].percentile", "is not a baseline field", "layer, null, trivial")),
    (lambda f: _drop_layer_and_null(f["baselines"][0]),
     ("baselines[0]", "has none of layer, null, trivial", "at least one")),
    (lambda f: f["baselines"][0]["layer"].update(percentile=101.0), ("baselines[0].layer.percentile", "[0, 100]")),
    (lambda f: f["baselines"][0]["layer"].update(n=0), ("baselines[0].layer.n", ">= 1")),
    (lambda f: f["baselines"][1]["null"].update(exceeded_by=1.5), ("baselines[1].null.exceeded_by", "[0, 1]")),
    (lambda f: f["baselines"][1]["null"].update(seed="zero"), ("baselines[1].null.seed", "integer or null")),
    (lambda f: f["baselines"][1].update(id="occlusion-r"), ("baselines[1].id", "[a-z0-9_]+")),
    (lambda f: f["baselines"][1].update(id="off_centre_share"), ("baselines[1].id", "repeats id")),
    (lambda f: f["baselines"][0].update(value=None), ("baselines[0].value", "must be a number")),
    (lambda f: f.update(baselines={}), ("baselines", "must be a list")),
])
def test_a_malformed_baseline_is_rejected_with_its_field(grid_dir, change, fragments):
    edit(grid_dir, change)
    rejects(grid_dir, *fragments)


@pytest.mark.parametrize("change, fragments", [
    (lambda f: f["examples"]["activation_quantiles"].update(q05=99.0),
     ("examples.activation_quantiles.q25", "below the quantile before it")),
    (lambda f: f["examples"].update(images=0), ("examples.images", ">= 1")),
    (lambda f: f["examples"].update(top=[]), ("examples.top", "at least 1")),
    (lambda f: f["examples"]["top"][2].update(file="https://example.org/x.png"),
     ("examples.top[2].file", "a plain file name")),
    (lambda f: f["examples"]["top"][2].update(position=[3]), ("examples.top[2].position", "[y, x]")),
    (lambda f: f["examples"]["top"][4]["image"].update(index=6), ("examples.top[4].image.index", "6 tiles")),
    (lambda f: f["occlusion"]["measured"].pop(), ("occlusion.measured", "has 4 rows, expected 5")),
    (lambda f: f["occlusion"]["predicted"][1].pop(), ("occlusion.predicted[1]", "has 4 values, expected 5")),
    (lambda f: f["occlusion"]["measured"][2].__setitem__(0, 0.5),
     ("occlusion.measured[2][0]", "is 0.5, expected null where predicted is null")),
    (lambda f: f["occlusion"]["predicted"][2].__setitem__(3, None),
     ("occlusion.measured[2][3]", "expected null where predicted is null")),
    (lambda f: f["occlusion"].update(window=[0, -1, 3, 5]), ("occlusion.window", "3x5", "window 5x5")),
    (lambda f: f["occlusion"].update(pearson="high"), ("occlusion.pearson", "must be a number")),
    (lambda f: f["occlusion"]["null"].pop("exceeded_by"), ("occlusion.null.exceeded_by", "is missing")),
    (lambda f: f["occlusion"]["target"].pop("channel"), ("occlusion.target.channel", "is missing")),
    (lambda f: f["occlusion"]["gradient"]["predicted"].pop(), ("occlusion.gradient.predicted", "has 4 rows, expected 5")),
    (lambda f: f["occlusion"]["off_centre"].update(pearson="high"),
     ("occlusion.off_centre.pearson", "must be a number or null")),
    (lambda f: f["occlusion"]["gradient"]["off_centre"]["null"]["quantiles"].update(q01=9.0),
     ("occlusion.gradient.off_centre.null.quantiles.q05", "below the quantile before it")),
])
def test_malformed_examples_or_occlusion_are_rejected_with_their_field(grid_dir, change, fragments):
    edit(grid_dir, change)
    rejects(grid_dir, *fragments)


def test_an_occlusion_check_without_a_correlation_passes(grid_dir):
    edit(grid_dir, lambda f: f["occlusion"].update(pearson=None, spearman=None, null=None))
    validate_figure("eye_detector", grid_dir)


# -- kind claim_test ---------------------------------------------------------------------------------

@pytest.fixture
def claim_dir(tmp_path):
    write_figure(tmp_path, "car_claim", "claim_test")
    return tmp_path / "car_claim"


def test_the_claim_test_fixture_passes_with_two_layers_and_a_control_each(claim_dir):
    fig = validate_figure("car_claim", claim_dir)
    assert [len(layer["scores"]) for layer in fig["layers"]] == [112, 192]
    assert all(layer["control"]["value"] > max(layer["scores"]) for layer in fig["layers"])


@pytest.mark.parametrize("change, fragments", [
    (lambda f: f["layers"][0]["units"][1].update(channel=112), ("layers[0].units[1].channel", "is 112", "0..111")),
    (lambda f: f["layers"][1]["units"][0].update(percentile=100.5), ("layers[1].units[0].percentile", "[0, 100]")),
    (lambda f: f["layers"][0]["control"].update(percentile=-1), ("layers[0].control.percentile", "[0, 100]")),
    (lambda f: f["layers"][0]["scores"].pop(), ("layers[0].scores", "has 111 scores, expected n = 112")),
    (lambda f: f["layers"][1]["quantiles"].update(q95=-9.0), ("layers[1].quantiles.q95", "below the quantile before it")),
    (lambda f: f["layers"][0]["units"][2]["values"].pop("wheel_below"), ("layers[0].units[2].values.wheel_below", "missing")),
    (lambda f: f["layers"][0]["control"]["values"].update(surprise=1.0),
     ("layers[0].control.values.surprise", "not the id of a measure")),
    (lambda f: f["layers"][0]["units"][0].update(response_rank=0), ("layers[0].units[0].response_rank", ">= 1")),
    (lambda f: f["layers"][0].update(path="sideways"), ("layers[0].path", "'full'")),
    (lambda f: f["layers"][1].update(id=f["layers"][0]["id"]), ("layers[1].id", "repeats id")),
    (lambda f: f["layers"][0].update(map_size=0), ("layers[0].map_size", ">= 1")),
    (lambda f: f.update(layers=[]), ("layers", "at least 1")),
    (lambda f: f["renders"][4].update(group="other"), ("renders[4].group", "'car', 'control'")),
    (lambda f: f["renders"][0].update({"class": 1000}), ("renders[0].class", "0..999")),
    (lambda f: f["directions"][0]["classes"][0].update({"class": -1}), ("directions[0].classes[0].class",)),
    (lambda f: f.update(directions=[]), ("directions", "at least 1")),
    (lambda f: f["checks"][0].pop("value"), ("checks[0].value", "is missing")),
    (lambda f: f.update(measures=[]), ("measures", "at least 1")),
])
def test_a_malformed_claim_test_is_rejected_with_its_field(claim_dir, change, fragments):
    edit(claim_dir, change)
    rejects(claim_dir, *fragments)


def test_a_claim_test_may_have_no_checks_and_no_renders(claim_dir):
    edit(claim_dir, lambda f: f.update(checks=[], renders=[]))
    validate_figure("car_claim", claim_dir)
