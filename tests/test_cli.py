"""python -m mechanics: the research CLI, with one clear line for bad input."""

import re

import numpy as np
import pytest

from mechanics.__main__ import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_and_layers_list_what_exists(capsys):
    code, out, _ = run(capsys, "models")
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    assert code == 0 and [row[:3] for row in rows[:3]] == [
        ["efficientnet_lite0", "EfficientNet-Lite0", "224"], ["efficientnet_lite1", "EfficientNet-Lite1", "240"],
        ["efficientnet_lite2", "EfficientNet-Lite2", "260"]]
    assert int(rows[0][3]) > 4_000_000 and rows[3][0] == "inception_v1"
    code, out, _ = run(capsys, "layers", "efficientnet_lite0", "--size", "128")
    rows = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()[1:]}
    assert rows["block10"][1:4] == ["112", "8x8", "1x1"] and rows["block10"][5] == "block9"
    assert rows["block10/depthwise"][3] == "5x5"


def test_classify_prints_top5_tab_separated_best_first(capsys):
    code, out, _ = run(capsys, "classify", "efficientnet_lite0", "skimage:chelsea.png")
    lines = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and len(lines) == 5 and lines[0][0] == "285"
    probabilities = [float(p) for _, _, p in lines]
    assert probabilities == sorted(probabilities, reverse=True)


def test_decompose_writes_the_documented_arrays(capsys, tmp_path):
    out_file = tmp_path / "d.npz"
    code, _, _ = run(capsys, "decompose", "efficientnet_lite0", "block10:101", "--prev", "block9",
                     "--at", "4,4", "--size", "128", "--path", "branch", "--out", str(out_file))
    data = np.load(out_file)
    assert code == 0 and data["vectors"].shape == (5, 5, 112)
    np.testing.assert_allclose(data["positive"] - data["negative"], data["vectors"])
    assert data["norms"].shape == (5, 5) and data["offsets"].shape == (5, 5, 2)
    assert str(data["path"]) == "branch"


def test_attribute_reports_completeness(capsys, tmp_path):
    code, out, _ = run(capsys, "attribute", "efficientnet_lite0", "skimage:coffee.png", "--layer", "block12",
                       "--target", "logit:967", "--method", "ig", "--steps", "16", "--size", "128",
                       "--out", str(tmp_path / "a.npz"))
    assert code == 0 and "completeness:" in out
    data = np.load(tmp_path / "a.npz")
    assert data["vectors"].shape == (4, 4, 192)


@pytest.mark.parametrize("argv, message", [
    (["layers", "efficientnet_lite0x"], None),  # argparse lists the valid choices itself
    (["decompose", "efficientnet_lite0", "block99:1", "--prev", "block9", "--out", "x.npz"], "valid layers: stem"),
    (["decompose", "efficientnet_lite0", "block10:500", "--prev", "block9", "--out", "x.npz"], r"0\.\.111"),
    (["decompose", "efficientnet_lite0", "block10:1", "--prev", "block9", "--at", "9,9", "--size", "128",
      "--out", "x.npz"], "valid positions are 0..7"),
    (["decompose", "efficientnet_lite0", "block9:1", "--prev", "block10", "--out", "x.npz"], "not upstream"),
    (["classify", "efficientnet_lite0", "/nonexistent/cat.png"], "cat.png"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if message is None:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert "efficientnet_lite0" in capsys.readouterr().err
        return
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message, err)


def test_unreadable_image_is_named(capsys, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    code, _, err = run(capsys, "classify", "efficientnet_lite0", str(bad))
    assert code == 2 and "broken.png" in err


def test_corrupt_cached_graph_is_detected_and_rebuilt(tmp_path, monkeypatch, capsys):
    from mechanics.zoo import cached_graph_def
    from mechanics.lucid_tf2 import tf
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def build():
        graph = tf.Graph()
        with graph.as_default():
            tf.constant(1.0, name="one")
        return graph.as_graph_def()

    first = cached_graph_def("toy", build)
    path = tmp_path / "neuron-mechanics" / "toy.pb"
    path.write_bytes(path.read_bytes()[:-3] + b"xyz")
    again = cached_graph_def("toy", build)
    assert "corrupt" in capsys.readouterr().err
    assert again == first and cached_graph_def("toy", lambda: pytest.fail("rebuilt a sound cache")) == first
