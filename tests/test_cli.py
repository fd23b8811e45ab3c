"""python -m mechanics: the research CLI, with one clear line for bad input."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mechanics.__main__ import main
from mechanics.site.tensorflow_log import kept_lines

ROOT = Path(__file__).parent.parent


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse's checks
        code = exit.code
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
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message or "efficientnet_lite0", err)


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


# Cheap arguments are checked before TensorFlow and the model load: each case runs in a fresh
# process and must exit 2 with one line, without TensorFlow ever imported.
CHECK_WITHOUT_TENSORFLOW = """
import sys
from mechanics.__main__ import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("tensorflow" in sys.modules, code)
"""


@pytest.mark.parametrize("argv, message", [
    (["layers", "resnet50"], "unknown model 'resnet50'; valid models: efficientnet_lite0, efficientnet_lite1"),
    (["layers", "efficientnet_lite1", "--size", "0"], r"size 0 is out of range: valid sizes are 8\.\.2048"),
    (["layers", "efficientnet_lite1", "--size", "1e9"], "size '1e9' is not an integer"),
    (["layers", "/nowhere/net.keras"], "no such file or folder"),
    (["layers", "notes.txt"], "unknown kind of file"),
    (["classify", "efficientnet_lite2", "/nowhere/cat.png"], "cat.png"),
    (["classify", "efficientnet_lite2", "broken.png"], "cannot read image broken.png"),
    (["decompose", "efficientnet_lite0", "block10", "--prev", "block9", "--out", "x.npz"], "not LAYER:CHANNEL"),
    (["decompose", "efficientnet_lite0", "block10:1", "--prev", "block9", "--at=-1,2", "--out", "x.npz"],
     "negative"),
    (["decompose", "efficientnet_lite0", "block10:1", "--prev", "block9", "--at", "4", "--out", "x.npz"],
     "not Y,X"),
    (["decompose", "efficientnet_lite0", "block10:1", "--prev", "block 9", "--out", "x.npz"], "not a layer name"),
    (["decompose", "efficientnet_lite0", "block10:1", "--prev", "block9", "--out", "/nowhere/x.npz"],
     "does not exist"),
    (["decompose", "efficientnet_lite0", "block10:1", "--prev", "block9", "--mode", "gradient", "--out", "x.npz"],
     "needs an image"),
    (["attribute", "efficientnet_lite0", "skimage:coffee.png", "--layer", "block12", "--target", "logits",
      "--out", "a.npz"], "not logit:N or LAYER:CHANNEL"),
    (["attribute", "efficientnet_lite0", "skimage:coffee.png", "--layer", "block12", "--target", "logit:1",
      "--steps", "0", "--out", "a.npz"], r"step count 0 is out of range"),
    (["render", "efficientnet_lite0", "block10:1", "--prev", "block9", "--size", "9", "--out", "s.png"],
     r"render size 9 is out of range: valid render sizes are 16\.\.1024"),
    (["render", "efficientnet_lite0", "block10:1", "--prev", "block9", "--seed", "-3", "--out", "s.png"],
     "seed -3 is out of range"),
    (["search", "efficientnet_lite0", "block10", "--prev", "block9", "--top", "0"], "count 0 is out of range"),
    (["search", "efficientnet_lite0", "block10", "--prev", "block9", "--size", "99999"], "size 99999"),
])
def test_bad_arguments_fail_before_tensorflow_loads(argv, message, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("hello")
    child = subprocess.run([sys.executable, "-c", CHECK_WITHOUT_TENSORFLOW, *argv], capture_output=True, text=True,
                           cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdout.split() == ["False", "2"], child.stderr
    assert child.stderr.startswith("error: ") and len(child.stderr.strip().splitlines()) == 1
    assert re.search(message, child.stderr), child.stderr


@pytest.mark.parametrize("cache", ["a file", "inside a file", "unwritable"])
@pytest.mark.parametrize("command", [["layers", "efficientnet_lite0"], ["models"]])
def test_an_unusable_cache_folder_is_one_line_before_tensorflow(tmp_path, cache, command):
    (tmp_path / "file").write_text("not a folder")
    folder = {"a file": tmp_path / "file", "inside a file": tmp_path / "file" / "cache",
              "unwritable": Path("/proc")}[cache]  # /proc: no one, not even root, makes folders there
    child = subprocess.run([sys.executable, "-c", CHECK_WITHOUT_TENSORFLOW, *command], capture_output=True, text=True,
                           cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(folder)})
    assert child.stdout.split() == ["False", "2"], child.stderr
    assert len(child.stderr.strip().splitlines()) == 1, child.stderr
    assert re.fullmatch(r"error: cannot use the cache folder \S*neuron-mechanics for model graphs "
                        r"\(.+\); set XDG_CACHE_HOME to a writable folder\n", child.stderr), child.stderr


def test_tensorflow_start_up_lines_are_hidden_unless_verbose(tmp_path):
    def run_cli(*flags):
        # With oneDNN on (as on CPUs with AVX-512), TensorFlow's C++ side writes its start-up lines to fd 2.
        env = {**{k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}, "TF_ENABLE_ONEDNN_OPTS": "1"}
        return subprocess.run([sys.executable, "-m", "mechanics", *flags, "classify", "efficientnet_lite0",
                               "skimage:coffee.png"], capture_output=True, text=True, cwd=ROOT, env=env)
    quiet, verbose = run_cli(), run_cli("--verbose")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout.startswith("967\t")
    assert "oneDNN custom operations are on" in verbose.stderr and verbose.stdout == quiet.stdout


def test_only_tensorflow_start_up_lines_are_dropped():
    captured = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
                "I0000 00:00:1796009036.285250   10618 port.cc:153] oneDNN custom operations are on.\n"
                "E0000 00:00:1796009036.285250   10618 cuda.cc:9] a real error\n"
                "Traceback (most recent call last):\n")
    assert kept_lines(captured) == ("E0000 00:00:1796009036.285250   10618 cuda.cc:9] a real error\n"
                                    "Traceback (most recent call last):\n")


@pytest.mark.parametrize("corruption", ["garbage", "another graph"])
def test_a_corrupt_cached_graph_with_a_matching_checksum_is_rebuilt(tmp_path, monkeypatch, capsys, corruption):
    from mechanics.lucid_tf2 import tf
    from mechanics.zoo import load_model
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_model.__wrapped__("efficientnet_lite0")
    (cached,) = (tmp_path / "neuron-mechanics").glob("efficientnet_lite0-*.pb")
    if corruption == "garbage":
        data = b"\x0a\xff\xff" + b"x" * 100
    else:  # parses as a GraphDef, but not this model's: one block's projection has the wrong shape
        graph_def = tf.GraphDef()
        graph_def.ParseFromString(cached.read_bytes())
        nodes = {n.name: n for n in graph_def.node}
        kernel = nodes[nodes[nodes["block3/project"].input[0]].input[1]]
        kernel.attr["value"].tensor.tensor_shape.dim[3].size = 7
        data = graph_def.SerializeToString()
    cached.write_bytes(data)
    cached.with_suffix(".pb.sha256").write_text(hashlib.sha256(data).hexdigest())
    model = load_model.__wrapped__("efficientnet_lite0")
    assert "is corrupt" in capsys.readouterr().err
    assert model.layer("block10").channels == 112 and cached.read_bytes() != data


def buffered_env():
    """Python's default: stdout to a pipe is buffered, so what fails is the flush at the end (with
    PYTHONUNBUFFERED, argparse's --help swallows the failed write itself)."""
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PYTHONPATH": str(ROOT)}


def closed_pipe():
    """The write end of a pipe whose reader is gone, as after `| head -1` has read its line."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("argv", [["--help"], ["layers", "--help"]])
def test_a_reader_that_stops_early_ends_the_command_quietly(argv):
    write = closed_pipe()
    try:
        child = subprocess.run([sys.executable, "-m", "mechanics", *argv], stdout=write, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT, env=buffered_env())
    finally:
        os.close(write)
    assert (child.returncode, child.stderr) == (141, "")
