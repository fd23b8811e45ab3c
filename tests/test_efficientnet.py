"""EfficientNet-Lite0, built offline from the packaged weights, classifies real photos."""

import numpy as np
import pytest

from mechanics.errors import BadInput
from mechanics.inputs import efficientnet_lite0_weights_path, resolve_image
from mechanics.torch_pickle import load_state_dict
from mechanics.zoo import load_model


def test_torch_pickle_reader_reads_every_tensor():
    state = load_state_dict(efficientnet_lite0_weights_path())
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert sum(v.size for v in state.values()) == 4_694_073


def test_truncated_weights_file_is_a_clear_error(tmp_path):
    data = efficientnet_lite0_weights_path().read_bytes()
    broken = tmp_path / "broken.pth"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match="broken.pth"):
        load_state_dict(broken)


@pytest.mark.parametrize("photo, expected", [("chelsea.png", [285, 282, 281]), ("coffee.png", [967])])
def test_classifies_bundled_photos(photo, expected):
    from mechanics.classify import classify
    top = classify(load_model("efficientnet_lite0"), resolve_image(f"skimage:{photo}"))
    assert [class_id for class_id, _, _ in top[: len(expected)]] == expected
    if photo == "chelsea.png":
        assert top[0][2] == pytest.approx(0.79, abs=0.03)


def test_layers_carry_channels_sizes_and_windows():
    model = load_model("efficientnet_lite0")
    assert model.layer("block10").channels == 112
    assert model.spatial_size("block10", 224) == 14 and model.spatial_size("block11", 224) == 7
    assert model.spatial_size("block10", 128) == 8
    window = model.window("block10", "block9", (4, 4), 128)
    assert (window.top, window.left, window.height, window.width) == (2, 2, 5, 5)
    assert model.layer("block10").skip_from == "block9" and model.layer("block11").skip_from is None
    names = [layer.name for layer in model.layers]
    assert {"block10/expand", "block10/depthwise", "block10/project", "block10"} <= set(names)


def test_bad_layer_and_channel_name_the_valid_ones():
    model = load_model("efficientnet_lite0")
    with pytest.raises(BadInput, match="valid layers: stem"):
        model.layer("block99")
    with pytest.raises(BadInput, match=r"0\.\.111"):
        model.check_channel("block10", 112)
    with pytest.raises(BadInput, match="not upstream"):
        model.path_between("block9", "block10")


def test_residual_block_splits_into_branch_and_skip():
    from mechanics.decompose import Target, spatial
    model = load_model("efficientnet_lite0")
    target = Target("block10", 101, (4, 4))
    full, branch, skip = (spatial(model, target, "block9", path=p, input_size=128) for p in ("full", "branch", "skip"))
    np.testing.assert_allclose(full.vectors, branch.vectors + skip.vectors, atol=1e-5)
    identity = np.zeros_like(skip.vectors)
    identity[2, 2, 101] = 1.0
    np.testing.assert_allclose(skip.vectors, identity, atol=1e-5)
    assert (full.norms > 0).all()


def test_the_receptive_window_is_the_whole_support_of_the_gradient():
    from mechanics.decompose import Target, import_graph, new_session
    from mechanics.lucid_tf2 import tf
    model = load_model("efficientnet_lite0")
    graph, t_input, T = import_graph(model, 128, expanded=True)
    with graph.as_default():
        gradient = tf.gradients(Target("block10", 101, (4, 4)).value(T("block10")), T("block9"))[0]
    with new_session(graph) as sess:
        norms = np.linalg.norm(sess.run(gradient, {t_input: np.zeros((1, 128, 128, 3), np.float32)})[0], axis=-1)
    window = model.window("block10", "block9", (4, 4), 128)
    inside = np.zeros_like(norms, bool)
    inside[window.top:window.top + window.height, window.left:window.left + window.width] = True
    assert (norms[inside] > 0).all() and (norms[~inside] == 0).all()
