"""Trends across the atlas (mechanics.trends): the measures on synthetic atlas data, the figure, its cache key."""

import json

import numpy as np
import pytest

from mechanics import trends
from mechanics.contract import validate_figure
from mechanics.errors import BadInput
from mechanics.figure_spec import FigureSpec
from mechanics.site import figure_cache

WINDOW = {"height": 5, "width": 5}


def unit(channel, norms, tops):
    """An atlas unit as mechanics.atlas writes one: 25 cells with norms and a top channel each."""
    norms = np.asarray(norms, float).ravel()
    cells = []
    for i, (norm, top) in enumerate(zip(norms, tops)):
        cells.append({"row": i // 5, "col": i % 5, "offset": [i // 5 - 2, i % 5 - 2], "norm": float(norm),
                      "weight": float(norm / norms.max()), "image": {"sprite": "s", "index": i},
                      "top_channels": [{"channel": int(top), "weight": float(norm) / 2, "image": None},
                                       {"channel": int(top + 1) % 40, "weight": float(norm) / 4, "image": None}]})
    return {"channel": channel, "label": f"block9:{channel}", "value": 1.0, "unit_image": {"sprite": "u", "index": 0},
            "cells": cells}


def random_layer(n=30, seed=0):
    """n units with random norms and top channels drawn from 40 channels (each one leading a few cells)."""
    rng = np.random.default_rng(seed)
    return [unit(c, rng.uniform(0.1, 1, 25), rng.integers(0, 40, 25)) for c in range(n)]


def planted_layer():
    """A random layer with a planted pooling unit (one channel leads every cell) and a planted
    assembling unit (every cell led by its own channel), both spread over the window."""
    rng = np.random.default_rng(1)
    units = random_layer()
    units[3] = unit(3, rng.uniform(0.5, 1, 25), [7] * 25)
    spread = rng.uniform(0.5, 1, 25)
    spread[12] = 2      # the centre leads, so its channel is the dominant one (every channel leads one cell)
    units[5] = unit(5, spread, list(range(25)))
    return units


def test_the_structure_measures_of_a_flat_window_and_a_single_cell():
    flat = np.ones((5, 5))
    measured = trends.unit_measures(unit(0, flat, range(25)), WINDOW)
    assert measured["off_centre_share"] == pytest.approx(0.96)
    assert measured["concentration"] == pytest.approx(0, abs=1e-12)
    point = np.zeros((5, 5))
    point[2, 2] = 1
    measured = trends.unit_measures(unit(0, point, range(25)), WINDOW)
    assert measured["off_centre_share"] == 0 and measured["concentration"] == pytest.approx(1)
    corner = np.full((5, 5), 0.01)
    corner[0, 0] = 1
    assert trends.unit_measures(unit(0, corner, range(25)), WINDOW)["off_centre_share"] > 0.96


def test_the_dominant_channel_leads_the_most_cells_ties_to_the_larger_weight():
    assert trends.dominant_channel(np.array([4, 4, 9, 9, 2]), np.array([1, 1, 3, 0.1, 5])) == 9
    assert trends.dominant_channel(np.array([4, 4, 9, 2]), np.array([1, 1, 3, 5])) == 4
    assert trends.dominant_channel(np.array([-1, -1]), np.zeros(2)) == -1


def test_the_strong_cells_are_the_largest_off_centre_ones():
    norms = np.arange(25, dtype=float).reshape(5, 5)
    norms[2, 2] = 100   # the centre never counts
    assert sorted(trends.strong_cells(norms)) == list(range(17, 25))


def test_a_planted_pooling_unit_pools_and_a_planted_assembling_unit_assembles():
    rows, summary, values = trends.layer_trends(planted_layer(), WINDOW, seed=0)
    assert rows[3].assembly_share == 0 and rows[3].dominant == 7 and not rows[3].assembles
    assert rows[5].assembly_share == 1 and rows[5].assembles
    a = summary["assembly_share"]
    # Random top channels out of 40 rarely repeat, so the null sits near 1 and random units assemble.
    assert a.null.quantiles.q50 >= 0.75 and 0 < a.threshold <= 1
    assert a.null_share_assembling >= 0.95
    assert sum(row.assembles for row in rows) >= 25
    assert summary["off_centre_share"].trivial.value == pytest.approx(0.96)


def test_the_null_is_seeded():
    units = random_layer()
    np.testing.assert_array_equal(trends.null_assembly(units, WINDOW, seed=3), trends.null_assembly(units, WINDOW, seed=3))
    assert not np.array_equal(trends.null_assembly(units, WINDOW, seed=3), trends.null_assembly(units, WINDOW, seed=4))


def write_atlas(root, name, model, layer, units):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{layer}.json").write_text(json.dumps({"layer": layer, "prev_layer": "block8", "path": "branch",
                                                      "position": [4, 4], "window": WINDOW, "units": units}))
    (folder / "figure.json").write_text(json.dumps({
        "kind": "atlas", "figure": name, "model": model, "model_label": model.replace("efficientnet_l", "L"),
        "layers": [{"layer": layer, "prev_layer": "block8", "path": "branch", "file": f"{layer}.json",
                    "units": len(units)}]}))
    (folder / "manifest.json").write_text(json.dumps({"key": "k", "files": {f"{layer}.json": "a", "figure.json": "b"}}))
    return folder


def spec(atlases, units=()):
    return FigureSpec(name="trends", kind="trends", title="Trends", caption="c", model="efficientnet_lite0",
                      params={"atlases": atlases, "units": [list(u) for u in units], "seed": 0})


def test_the_figure_measures_every_unit_of_every_atlas_and_names_the_asked_units(tmp_path):
    root = tmp_path / "figures"
    write_atlas(root, "atlas_a", "efficientnet_lite0", "block9", planted_layer())
    write_atlas(root, "atlas_b", "efficientnet_lite1", "block12", random_layer(20, seed=5))
    out = tmp_path / "trends"
    out.mkdir()
    trends.build(out, spec(["atlas_a", "atlas_b"], [("efficientnet_lite0", "block9", 3)]), False, root)
    fig = validate_figure("trends", out)
    assert [layer["n"] for layer in fig["layers"]] == [30, 20]
    facts = fig["facts"]
    assert facts["units"]["value"] == 50 and facts["lite0_block9_units"]["value"] == 30
    assert facts["lite0_block9_3_assembles"]["value"] == "pools"
    assert facts["lite0_block9_3_assembly_share_percentile"]["value"] < 10
    assert 0 < facts["lite0_block9_share_assembling"]["value"] < 1
    assert facts["lite1_units"]["value"] == 20
    assert fig["named"][0]["label"] == "block9:3"


def test_bad_atlases_or_units_give_one_line(tmp_path):
    root = tmp_path / "figures"
    write_atlas(root, "atlas_a", "efficientnet_lite0", "block9", random_layer())
    with pytest.raises(BadInput, match=r"params.atlases names 'atlas_x', which has no readable .*: make it first \(python build.py figures atlas_x\)"):
        trends.build(tmp_path, spec(["atlas_x"]), False, root)
    with pytest.raises(BadInput, match=r"params.atlases is \[\], expected a non-empty list"):
        trends.build(tmp_path, spec([]), False, root)
    with pytest.raises(BadInput, match=r"params.units names efficientnet_lite0 block9:99, which no atlas"):
        trends.build(tmp_path, spec(["atlas_a"], [("efficientnet_lite0", "block9", 99)]), False, root)
    assert not (tmp_path / "figure.json").exists()


def test_the_figure_goes_stale_when_an_atlas_it_reads_changes(tmp_path):
    root = tmp_path / "figures"
    atlas = write_atlas(root, "atlas_a", "efficientnet_lite0", "block9", random_layer())
    script = tmp_path / "trends.py"
    script.write_text("# figure script")
    figure = figure_cache.Figure(spec(["atlas_a"]), script, root / "trends")
    before = figure_cache.cache_key(figure_cache.inputs(figure, tmp_path), False)
    assert figure_cache.cache_key(figure_cache.inputs(figure, tmp_path), False) == before
    manifest = json.loads((atlas / "manifest.json").read_text())
    manifest["files"]["block9.json"] = "changed"
    (atlas / "manifest.json").write_text(json.dumps(manifest))
    assert figure_cache.cache_key(figure_cache.inputs(figure, tmp_path), False) != before
