"""The declared parameters of each kind of figure (mechanics/site/figure_params.py)."""

import dataclasses
import inspect
from pathlib import Path

import pytest

from mechanics.figure_spec import SETTING_KEYS
from mechanics.site import figure_cache, figure_params
from mechanics.site.errors import SourceError
from mechanics.site.project import Project

REPO = Path(__file__).resolve().parent.parent


def test_every_committed_figure_passes():
    figures = figure_cache.discover(Project.at(REPO))  # raises on the first figure with a problem
    assert {f.spec.kind for f in figures.values()} <= set(figure_params.KINDS)
    assert all(figure_params.problems(f.spec.kind, f.spec.params) == [] for f in figures.values())


def test_an_unknown_key_names_the_closest_valid_one_and_every_problem_is_reported():
    found = figure_params.problems("atlas", {"layers": [["block10", "block9", "branch"]], "stpes": 64,
                                             "size": "48", "seed": True, "at": [1, 2]})
    assert [key for key, _ in found] == ["stpes", "size", "seed", "at"]
    assert found[0][1].startswith("unknown key 'stpes' (did you mean 'steps'? valid keys: ")
    assert "quick_channels" in found[0][1] and "spatial" not in found[0][1]  # an atlas renders neurons only
    assert found[1][1] == "'size' is '48', expected a whole number 16..1024"
    assert found[2][1] == "'seed' is True, expected a whole number 0..2147483647"
    assert found[3][1].startswith("unknown key 'at' (valid keys: ")


def test_an_unknown_kind_names_the_valid_kinds():
    [(key, message)] = figure_params.problems("galery", {})
    assert key is None and message.startswith("unknown kind 'galery' (did you mean 'gallery'? valid kinds: ")


def test_render_defaults_are_the_renderers():
    from mechanics.render import RenderSettings

    declared = figure_params.SpatialRenderParams.options()
    assert set(declared) == {f.name for f in dataclasses.fields(RenderSettings)} == set(SETTING_KEYS)
    assert {k: o.default for k, o in declared.items()} == dataclasses.asdict(RenderSettings())


def test_a_claim_test_declares_its_layers_classes_and_render_settings():
    params = {"layers": [["block10", "block9"], ["block14", "block13"]], "car_classes": [817, 511],
              "control_classes": [285, 948], "wheel": [479], "window": [904, 905], "photo": "skimage:motorcycle_right.png",
              "top": 3, "steps": 64, "size": 96}
    assert figure_params.problems("claim_test", params) == []
    options = figure_params.KINDS["claim_test"].options()
    assert options["top"].default == 3 and "learning_rate" in options
    found = figure_params.problems("claim_test", {**params, "layers": [], "wheel": [1000], "top": 0, "windows": [1]})
    assert [key for key, _ in found] == ["layers", "wheel", "top", "windows"]
    assert "did you mean 'window'?" in found[3][1]


def test_every_recipe_in_the_registry_is_a_function_of_out_dir_figure_and_quick():
    from mechanics.site.run_figure import recipe

    for kind, declaration in figure_params.KINDS.items():
        if declaration.recipe is not None:
            parameters = list(inspect.signature(recipe(kind)).parameters)
            assert parameters[:3] == ["out_dir", "figure", "quick"], kind
            assert ("workers" in parameters) == declaration.ray, kind


@pytest.mark.parametrize("make", ["", "make = None\n"], ids=["absent", "not a function"])
def test_a_script_of_a_kind_without_a_recipe_must_define_make(tmp_path, make):
    (tmp_path / "figures_src").mkdir()
    (tmp_path / "figures_src" / "trend.py").write_text(
        "from mechanics.figure_spec import FigureSpec\n"
        "FIGURE = FigureSpec(name='trend', kind='trends', title='T', caption='C', model='efficientnet_lite0',\n"
        "                    params={'atlases': ['atlas_a']})\n" + make)
    with pytest.raises(SourceError, match="kind 'trends' has no recipe, so the script must define make"):
        figure_cache.discover(Project.at(tmp_path))
