"""EfficientNet-Lite0, Lite1 and Lite2, built offline from the packaged weights: their graphs
follow their checkpoints, they classify real photos, and their layer facts hold."""

import numpy as np
import pytest

from mechanics import efficientnet
from mechanics.errors import BadInput
from mechanics.inputs import resolve_image
from mechanics.model_files import EFFICIENTNET_LITE, efficientnet_lite0_weights_path, lite_weights_path
from mechanics.torch_pickle import load_state_dict
from mechanics.zoo import load_model

LITE = tuple(EFFICIENTNET_LITE)
# Top-1 class and its probability at the native size, measured once on this machine.
TOP1 = {("efficientnet_lite0", "chelsea.png"): (285, 0.79), ("efficientnet_lite0", "coffee.png"): (967, 0.91),
        ("efficientnet_lite1", "chelsea.png"): (285, 0.79), ("efficientnet_lite1", "coffee.png"): (967, 0.69),
        ("efficientnet_lite2", "chelsea.png"): (285, 0.75), ("efficientnet_lite2", "coffee.png"): (967, 0.87)}


@pytest.fixture(scope="module", params=LITE)
def lite(request):
    return load_model(request.param)


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


def test_architecture_is_read_off_the_checkpoint():
    depths = {}
    for name in LITE:
        blocks = efficientnet.blocks(load_state_dict(lite_weights_path(name)))
        stages = [b.out_channels for b in blocks if b.stride == 2 or b.index == 0 or
                  blocks[b.index - 1].out_channels != b.out_channels]
        depths[name] = (len(blocks), stages, [b.kernel for b in blocks if b.index in (0, 1, 4)])
    assert depths["efficientnet_lite0"] == (16, [16, 24, 40, 80, 112, 192, 320], [3, 3, 5])
    assert depths["efficientnet_lite1"] == (21, [16, 24, 40, 80, 112, 192, 320], [3, 3, 5])
    assert depths["efficientnet_lite2"] == (21, [16, 24, 48, 88, 120, 208, 352], [3, 3, 5])


def test_graph_follows_its_checkpoint(lite):
    blocks = efficientnet.blocks(load_state_dict(lite_weights_path(lite.model_name)))
    names = lite.layer_names
    assert sum(1 for n in names if n.startswith("block") and "/" not in n) == len(blocks)
    for b in blocks:
        assert lite.layer(f"block{b.index}").channels == b.out_channels
        assert lite.layer(f"block{b.index}/depthwise").channels == b.hidden_channels
        assert (f"block{b.index}/expand" in names) == b.expands
        assert lite.layer(f"block{b.index}").skip_from == (f"block{b.index - 1}" if b.residual else None)
    assert lite.layer("head").channels == 1280 and lite.layer("stem").prev == "input"


@pytest.mark.parametrize("photo", ["chelsea.png", "coffee.png"])
def test_classifies_bundled_photos_at_the_native_size(lite, photo):
    from mechanics.classify import classify
    class_id, probability = TOP1[(lite.model_name, photo)]
    top = classify(lite, resolve_image(f"skimage:{photo}"))
    assert top[0][0] == class_id and top[0][2] == pytest.approx(probability, abs=0.02)


def test_native_sizes():
    assert [load_model(n).default_size for n in LITE] == [224, 240, 260]


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


def test_block10_reads_a_kernel_3_window_in_lite1_and_lite2():
    for name in ("efficientnet_lite1", "efficientnet_lite2"):
        window = load_model(name).window("block10", "block9", (4, 4), 128)
        assert (window.top, window.left, window.height, window.width) == (3, 3, 3, 3)


def test_bad_layer_and_channel_name_the_valid_ones():
    model = load_model("efficientnet_lite0")
    with pytest.raises(BadInput, match="valid layers: stem"):
        model.layer("block99")
    with pytest.raises(BadInput, match=r"0\.\.111"):
        model.check_channel("block10", 112)
    with pytest.raises(BadInput, match="not upstream"):
        model.path_between("block9", "block10")


def test_residual_block_splits_into_branch_and_skip(lite):
    from mechanics.decompose import Target, spatial
    target = Target("block10", 7, (4, 4))
    full, branch, skip = (spatial(lite, target, "block9", path=p, input_size=128) for p in ("full", "branch", "skip"))
    np.testing.assert_allclose(full.vectors, branch.vectors + skip.vectors, atol=1e-5)
    identity = np.zeros_like(skip.vectors)
    identity[full.window.height // 2, full.window.width // 2, 7] = 1.0
    np.testing.assert_allclose(skip.vectors, identity, atol=1e-5)
    assert (full.norms > 0).all()


@pytest.mark.parametrize("target, earlier, position", [
    ("block10", "block9", (4, 4)), ("block10", "block9", (0, 7)), ("block11", "block7", (2, 1)),
    ("block4/depthwise", "stem", (0, 0))])
def test_the_receptive_window_is_the_whole_support_of_the_gradient(lite, target, earlier, position):
    from gradient_support import assert_window_is_gradient_support
    assert_window_is_gradient_support(lite, target, earlier, position, 128)
