"""The model sources: one registry says which source owns a model name, and the engine's
modules import one another without a cycle, not even through an import inside a function."""

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

from mechanics.errors import BadInput
from mechanics.inputs import MODEL_SOURCES, check_model, model_source, weights_files, weights_id
from mechanics.model_files import MODEL_NAMES

PACKAGE = Path(__file__).parent.parent / "mechanics"


def engine_imports():
    """Each engine module's imports of other engine modules, at any depth of its code."""
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
        graph[name] = {m for m in imported if m in modules and m not in (name, "mechanics")}
    return graph


def test_engine_modules_import_each_other_without_a_cycle():
    try:
        tuple(graphlib.TopologicalSorter(engine_imports()).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_each_zoo_name_and_each_path_has_exactly_one_source(tmp_path):
    (tmp_path / "net.keras").write_bytes(b"")
    for name in [*MODEL_NAMES, str(tmp_path / "net.keras")]:
        assert [s for s in MODEL_SOURCES if s.identify(name)] == [model_source(name)]


def test_an_unknown_name_gets_one_line_naming_every_valid_model():
    with pytest.raises(BadInput) as caught:
        check_model("resnet50")
    assert str(caught.value) == ("unknown model 'resnet50'; valid models: efficientnet_lite0, efficientnet_lite1, "
                                 "efficientnet_lite2, inception_v1, or a path to a .pb (frozen GraphDef with "
                                 "metadata), .keras, or a TF SavedModel folder")


def test_the_registry_answers_without_tensorflow():
    code = ("import sys\nfrom mechanics.inputs import weights_id\nweights_id('efficientnet_lite0')\n"
            "print(sorted(m for m in ('tensorflow', 'mechanics.zoo_model', 'mechanics.own_models') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent).stdout
    assert out.strip() == "[]"


def test_each_source_names_the_files_its_weights_id_reads(tmp_path, monkeypatch):
    """The site stamps these files to keep a figure's status: a change to them must change the id."""
    own, inception = tmp_path / "net.pb", tmp_path / "inception.pb"
    own.write_bytes(b"a frozen graph")
    inception.write_bytes(b"another frozen graph")
    monkeypatch.setenv("MECHANICS_INCEPTION_V1", str(inception))
    for model in (str(own), "inception_v1"):
        before = weights_id(model)
        with weights_files(model)[0].open("ab") as file:
            file.write(b" edited")
        assert weights_id(model) != before, model
    lite = weights_files("efficientnet_lite0")
    assert len(lite) == 1 and lite[0].is_file() and weights_id("efficientnet_lite0").startswith(lite[0].stem)
