"""A researcher's own model by path: Keras files and SavedModels frozen once, frozen graphs with
Lucid's metadata. Their layer facts, decompositions and outputs hold as for the zoo's."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gradient_support import assert_window_is_gradient_support
from mechanics import decompose
from mechanics.decompose import Target
from mechanics.errors import BadInput
from mechanics.lucid_tf2 import tf
from mechanics.zoo import load_model

SIZE = 16


@pytest.fixture(scope="module")
def nets(tmp_path_factory):
    """The tiny nets of keras_nets.py, saved, with the engine's cache in a fresh folder."""
    out = tmp_path_factory.mktemp("nets")
    subprocess.run([sys.executable, str(Path(__file__).parent / "keras_nets.py"), str(out)], check=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield out


@pytest.fixture(scope="module")
def keras_model(nets):
    return load_model(str(nets / "net.keras"))


def logits_of(model, inputs):
    graph = tf.Graph()
    with graph.as_default():
        t_input = tf.placeholder(tf.float32, [None, SIZE, SIZE, 3])
        logits = model.import_graph(t_input, scope="m", forget_xy_shape=False)("logits")
    with tf.Session(graph=graph) as sess:
        return sess.run(logits, {t_input: inputs})


def test_keras_layers_are_listed_under_their_keras_names(keras_model):
    assert keras_model.layer_names == ("c1", "dw", "r", "sc", "add", "c2", "pool", "avg")
    assert keras_model.default_size == SIZE and keras_model.layer("c1").channels == 6
    assert keras_model.layer("add").prev == "r" and keras_model.layer("c2").prev == "add"
    assert keras_model.spatial_size("add", SIZE) == 8 and keras_model.spatial_size("c2", SIZE) == 6


@pytest.mark.parametrize("kind", ["net.keras", "net_saved"])
def test_frozen_graph_gives_the_keras_models_outputs(nets, kind):
    reference = np.load(nets / "reference.npz")
    model = load_model(str(nets / kind))
    np.testing.assert_allclose(logits_of(model, reference["inputs"]), reference["logits"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("target, earlier, position", [
    ("add", "c1", (3, 3)), ("add", "c1", (0, 0)), ("c2", "c1", (2, 4)), ("pool", "add", (5, 5)),
    ("avg", "c1", (0, 5)), ("avg", "dw", (2, 2))])
def test_windows_are_the_gradient_supports(keras_model, target, earlier, position):
    assert_window_is_gradient_support(keras_model, target, earlier, position, SIZE)


def test_gradient_mode_matches_finite_differences(keras_model, tmp_path):
    photo = tmp_path / "photo.png"
    Image.fromarray((np.random.RandomState(2).rand(SIZE, SIZE, 3) * 255).astype(np.uint8)).save(photo)
    target = Target("c2", 3, (2, 3))
    d = decompose.spatial(keras_model, target, "add", mode="gradient", image=photo, input_size=SIZE)
    pixels = decompose.load_image(photo, SIZE)[None]
    graph = tf.Graph()
    with graph.as_default():
        t_input = tf.placeholder(tf.float32, [1, SIZE, SIZE, 3])
        acts_of_image = keras_model.import_graph(t_input, scope="a", forget_xy_shape=False)("add")
        t_acts = tf.placeholder(tf.float32, [1, 8, 8, 6])
        unit = target.value(keras_model.import_graph(t_input, scope="b", forget_xy_shape=False,
                                                     input_map={"add:0": t_acts})("c2"))
    with tf.Session(graph=graph) as sess:
        acts = sess.run(acts_of_image, {t_input: pixels}).astype(np.float64)
        eps = 1e-2
        for (r, c, ch) in [(0, 0, 0), (1, 2, 3), (2, 1, 5)]:
            y, x = d.window.top + r, d.window.left + c
            plus, minus = acts.copy(), acts.copy()
            plus[0, y, x, ch] += eps
            minus[0, y, x, ch] -= eps
            numeric = (sess.run(unit, {t_acts: plus}) - sess.run(unit, {t_acts: minus}))[0] / (2 * eps)
            assert d.vectors[r, c, ch] == pytest.approx(numeric, rel=1e-2, abs=1e-4)


def test_frozen_graph_with_lucid_metadata_beside_it(keras_model, nets, tmp_path):
    graph_path = tmp_path / "mine.pb"
    graph_path.write_bytes(keras_model.graph_def.SerializeToString())
    with pytest.raises(BadInput, match=r"needs input_name, image_shape, image_value_range in .*mine\.json"):
        load_model.__wrapped__(str(graph_path))
    (tmp_path / "mine.json").write_text(json.dumps({
        "input_name": keras_model.input_name, "image_shape": [SIZE, SIZE, 3], "image_value_range": [0, 1],
        "labels": ["a", "b", "c", "d"], "layers": ["c1", "add", "c2"]}))
    model = load_model.__wrapped__(str(graph_path))
    assert model.layer_names == ("c1", "add", "c2") and model.class_labels == ["a", "b", "c", "d"]
    reference = np.load(nets / "reference.npz")
    np.testing.assert_allclose(logits_of(model, reference["inputs"]), reference["logits"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, content, message", [
    ("garbage.pb", b"\xff\x00 not a graph", "not a TensorFlow GraphDef"),
    ("garbage.keras", b"PK not a zip", "not a loadable Keras model"),
    ("model.onnx", b"", "unknown kind of file; expected a .pb"),
])
def test_a_bad_model_file_is_one_clear_error(tmp_path, monkeypatch, name, content, message):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / name
    path.write_bytes(content)
    if name.endswith(".pb"):
        (tmp_path / "garbage.json").write_text('{"input_name": "x", "image_shape": [8, 8, 3], "image_value_range": [0, 1]}')
    with pytest.raises(BadInput, match=message) as error:
        load_model.__wrapped__(str(path))
    assert name in str(error.value)


def test_a_folder_that_is_not_a_saved_model_is_named(tmp_path):
    with pytest.raises(BadInput, match="not a TF SavedModel"):
        load_model.__wrapped__(str(tmp_path))
