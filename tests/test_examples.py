"""Dataset examples (mechanics.examples and `python -m mechanics examples`) on a generated folder
where a planted pattern makes the answer known."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from mechanics import examples
from mechanics.__main__ import main
from mechanics.errors import BadInput
from mechanics.lucid_tf2 import tf
from mechanics.zoo import load_model

SIZE = 16
PLANTED = {"a/red_bright.png": 1.0, "b/c/red_mid.jpg": 0.8, "red_dim.png": 0.6}  # red strength of each


def _red_detector_graph():
    """input -> c1 (3x3, relu): ch0 = red minus green and blue, ch1 = brightness -> c2 (3x3, stride 2):
    ch0 sums c1 ch0 over its window, ch1 copies c1 ch1, ch2 = -c1 ch0. c2's window on the input is 5x5."""
    k1 = np.zeros((3, 3, 3, 2), np.float32)
    k1[1, 1, :, 0] = (1, -1, -1)
    k1[1, 1, :, 1] = 1 / 3
    k2 = np.zeros((3, 3, 2, 3), np.float32)
    k2[:, :, 0, 0] = 1
    k2[1, 1, 1, 1] = 1
    k2[1, 1, 0, 2] = -1
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 3], name="input")
        c1 = tf.nn.relu(tf.nn.conv2d(x, k1, [1, 1, 1, 1], "SAME") - 0.1, name="c1")
        c2 = tf.identity(tf.nn.conv2d(c1, k2, [1, 2, 2, 1], "SAME"), name="c2")
        logits = tf.identity(tf.reduce_mean(c2, axis=[1, 2]), name="logits")
        tf.nn.softmax(logits, name="probs")
    return graph.as_graph_def()


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    (folder / "red.pb").write_bytes(_red_detector_graph().SerializeToString())
    (folder / "red.json").write_text(json.dumps({"input_name": "input", "image_shape": [SIZE, SIZE, 3],
                                                 "image_value_range": [0, 1], "layers": ["c1", "c2"]}))
    return str(folder / "red.pb")


def _write(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((pixels * 255).astype(np.uint8)).save(path, quality=95)


@pytest.fixture
def photos(tmp_path, monkeypatch):
    """20 grey noise images of assorted sizes in nested folders, three with a red square of known
    strength, a text file (not an image) and a broken JPEG; the cache in tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    for i in range(17):
        h, w = rng.integers(20, 60, size=2)
        _write(folder / f"n{i % 3}" / f"noise{i}.{'png' if i % 2 else 'jpg'}",
               0.5 + 0.05 * rng.standard_normal((h, w, 3)).clip(-2, 2))
    for name, strength in PLANTED.items():
        pixels = 0.5 + 0.05 * rng.standard_normal((40, 48, 3)).clip(-2, 2)
        pixels[10:20, 24:36] = (strength, 0.0, 0.0)  # rows 4-8, columns 8-12 at 16 px
        _write(folder / name, pixels)
    (folder / "notes.txt").write_text("not an image")
    (folder / "n1" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return folder


def test_the_planted_pattern_ranks_first_with_its_crop(model_path, photos):
    ex = examples.top_examples(load_model(model_path), "c2", 0, str(photos), top=3, progress=False)
    assert [e.path.replace(str(photos) + "/", "") for e in ex.examples] == list(PLANTED)
    assert ex.images == 20 and ex.computed == 20 and ex.cached == 0
    assert len(ex.skipped) == 1 and "broken.jpg" in ex.skipped[0][0] and "broken.jpg" in ex.skipped[0][1]
    for e in ex.examples:
        y, x = e.position
        assert 2 <= y <= 4 and 4 <= x <= 6                  # c2 (stride 2) over the square's rows 4-8, cols 8-12
        assert e.window == (2 * y - 1, 2 * x - 1, 5, 5)     # 3x3 stride 2 (SAME: no padding before) over 3x3
        red, green = e.crop[..., 0].mean(), e.crop[..., 1].mean()
        assert e.crop.shape == (5, 5, 3) and red > green + 0.2
    assert ex.crops.shape == (3, 5, 5, 3)
    data = ex.to_json()
    assert json.loads(json.dumps(data)) == data and data["skipped"][0]["path"].endswith("broken.jpg")


def test_a_second_unit_of_the_layer_runs_no_forward_pass(model_path, photos, monkeypatch):
    model = load_model(model_path)
    examples.top_examples(model, "c2", 0, str(photos), top=3, progress=False)

    def no_forward(*args):
        raise AssertionError("a forward pass ran for a cached layer")

    monkeypatch.setattr(examples, "_Forward", no_forward)
    ex = examples.top_examples(model, "c2", 2, str(photos), top=20, progress=False)
    assert ex.computed == 0 and ex.cached == 20
    # ch2 = -(the red detector's centre) peaks at 0 wherever red is absent: another channel was read.
    assert max(e.activation for e in ex.examples) == pytest.approx(0, abs=1e-6)


def test_a_whole_layer_in_one_pass_matches_unit_by_unit(model_path, photos):
    model = load_model(model_path)
    layer = examples.layer_examples(model, "c2", str(photos), top=4, progress=False)
    assert sorted(layer) == [0, 1, 2] and layer[0].computed == 20
    for channel in (0, 1):
        one = examples.top_examples(model, "c2", channel, str(photos), top=4, progress=False)
        assert [e.to_json() for e in one.examples] == [e.to_json() for e in layer[channel].examples]
        assert one.channel == layer[channel].channel == channel
    with pytest.raises(BadInput, match="top 0 is out of range"):
        examples.layer_examples(model, "c2", str(photos), top=0)


def test_the_cache_is_keyed_by_input_size(model_path, photos):
    model = load_model(model_path)
    examples.top_examples(model, "c2", 0, str(photos), top=1, progress=False)
    ex = examples.top_examples(model, "c2", 0, str(photos), top=1, input_size=32, progress=False)
    assert ex.computed == 20 and ex.cached == 0 and ex.examples[0].path.endswith("red_bright.png")


def test_bad_folders_and_units_are_one_clear_error(model_path, tmp_path):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "readme.txt").write_text("no images here")
    with pytest.raises(BadInput, match=r"empty has no images: expected \.jpg, \.jpeg or \.png"):
        examples.image_files(str(empty))
    with pytest.raises(BadInput, match="is not a folder"):
        examples.image_files(str(tmp_path / "missing"))
    model = load_model(model_path)
    with pytest.raises(BadInput, match=r"channel 3 is out of range .* valid channels are 0\.\.2"):
        examples.top_examples(model, "c2", 3, str(empty), progress=False)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.png").write_bytes(b"not a png")
    with pytest.raises(BadInput, match=r"no readable image among the 1 files .* 1 unreadable"):
        examples.top_examples(model, "c2", 0, str(broken), progress=False)


def _run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit:
        code = exit.code
    return (code, *capsys.readouterr())


def test_cli_prints_the_ranking_and_writes_a_sheet_and_json(model_path, photos, tmp_path, capsys):
    sheet, data = tmp_path / "sheet.png", tmp_path / "top.json"
    code, out, err = _run(capsys, "examples", model_path, "c2:0", "--images", str(photos), "--top", "3",
                          "--out", str(sheet), "--out", str(data))
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines() if line[:1].isdigit()]
    assert [row[4].replace(str(photos) + "/", "") for row in rows] == list(PLANTED)
    assert "1 unreadable skipped" in out and "skipped: cannot read image" in err and "broken.jpg" in err
    assert json.loads(data.read_text())["examples"][0]["path"].endswith("red_bright.png")
    with Image.open(sheet) as image:
        assert image.size[0] == 3 * 128


@pytest.mark.parametrize("argv, message", [
    (["c2:7"], r"channel 7 is out of range for .* valid channels are 0\.\.2"),
    (["c9:0"], r"has no layer 'c9'"),
    (["c2:0", "--images", "EMPTY"], r"has no images: expected \.jpg"),
    (["c2:0", "--out", "OUT/x.gif"], r"give a \.png \(contact sheet\) or \.json"),
])
def test_cli_bad_input_is_one_line_and_exit_2(model_path, photos, tmp_path, capsys, argv, message):
    (tmp_path / "EMPTY").mkdir()
    argv = [a.replace("EMPTY", str(tmp_path / "EMPTY")).replace("OUT", str(tmp_path)) for a in argv]
    if "--images" not in argv:
        argv += ["--images", str(photos)]
    code, out, err = _run(capsys, "examples", model_path, *argv)
    assert code == 2 and re.search(message, err) and len(err.strip().splitlines()) == 1, err


def test_scikit_image_photos(capsys):
    ex = examples.top_examples(load_model("efficientnet_lite0"), "block9", 3, "skimage:", top=4, progress=False)
    assert ex.images >= 20 and len(ex.examples) == 4
    assert [e.activation for e in ex.examples] == sorted((e.activation for e in ex.examples), reverse=True)
    assert all(e.crop.shape == (e.window[2], e.window[3], 3) for e in ex.examples)
