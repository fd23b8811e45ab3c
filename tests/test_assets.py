"""The asset writer against the committed figures: each figure.json and atlas layer file, read into
its contract model and written back as the engine writes it (assets.encode), is the same bytes. The
models hold every field the engine writes, so a recipe that builds them writes what it wrote before."""

from pathlib import Path

import msgspec
import pytest

from mechanics import contract
from mechanics.assets import encode

FIGURES = Path(__file__).resolve().parents[1] / "assets" / "figures"


def committed_files():
    """(path, contract model, compact) of every committed figure.json and atlas layer file."""
    out = []
    for path in sorted(FIGURES.glob("*/figure.json")):
        out.append((path, contract.AnyFigure, False))
        figure = msgspec.json.decode(path.read_bytes())
        if figure["kind"] == "atlas":
            out += [(path.parent / entry["file"], contract.AtlasLayer, True) for entry in figure["layers"]]
    return out


@pytest.mark.parametrize("path, model, compact", [pytest.param(*case, id=f"{case[0].parent.name}/{case[0].name}")
                                                  for case in committed_files()])
def test_committed_file_round_trips_through_its_model(path, model, compact):
    committed = path.read_bytes()
    assert encode(msgspec.json.decode(committed, type=model), compact) == committed


def test_every_committed_figure_is_checked():
    files = committed_files()
    assert len([f for f in files if f[0].name == "figure.json"]) == len(list(FIGURES.glob("*/figure.json"))) > 0
    assert any(compact for _, _, compact in files)
