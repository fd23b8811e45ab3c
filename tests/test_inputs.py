import pytest

from mechanics.errors import BadInput
from mechanics.inputs import image_id, resolve_image, weights_id


def test_bundled_photo_resolves_and_has_a_stable_id():
    assert resolve_image("skimage:chelsea.png").is_file()
    assert image_id("skimage:chelsea.png") == image_id("skimage:chelsea.png")
    assert image_id("skimage:chelsea.png") != image_id("skimage:coffee.png")


def test_unknown_model_names_the_valid_ones():
    with pytest.raises(BadInput, match="efficientnet_lite0"):
        weights_id("resnet")


def test_missing_image_is_named():
    with pytest.raises(BadInput, match="nope.png"):
        resolve_image("skimage:nope.png")
