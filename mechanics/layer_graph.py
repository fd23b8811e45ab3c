"""Layer facts read from a frozen GraphDef, for any architecture: which named layer feeds which,
each layer's shape at an input size, and the receptive window of a position on an earlier layer.

Windows are walked backwards from the target through every path to the earlier layer, op by
op, using each op's kernel, stride, padding and dilation (conv, depthwise conv, pooling, pad),
mapping pointwise ops (activations, add, concat, bias, batch norm) position to position, and
taking a whole map for anything else (a spatial mean, a reshape): a window is never too small.
Shapes come from TensorFlow's shape inference on the graph imported at that input size.
"""

import functools
from dataclasses import dataclass

from mechanics.errors import BadInput

WINDOWED = {"Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool"}
PADS = {"Pad", "PadV2", "MirrorPad"}
POINTWISE = {
    "Identity", "Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Softsign",
    "BiasAdd", "Add", "AddV2", "AddN", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "Neg", "Square",
    "Sqrt", "Rsqrt", "Exp", "Cast", "LRN", "FusedBatchNorm", "FusedBatchNormV3", "ConcatV2", "Concat",
    "Softmax",  # over channels, as in a 1x1 classifier head
}


@dataclass(frozen=True)
class LayerInfo:
    """A named layer: its channels, the named layer it reads (`prev`), and for a residual add,
    the layer its skip connection brings back (`skip_from`)."""

    name: str
    channels: int
    prev: str
    skip_from: str = None


def _node_name(ref):
    return ref.lstrip("^").split(":")[0]


def _span(lo, hi, op, in_size, out_size):
    """The input rows [lo', hi'] that output rows [lo, hi] of a windowed op read, per axis
    (index 0 = height, 1 = width); may reach into the padding."""
    def attr(name, default=None):
        try:
            return op.get_attr(name)
        except ValueError:
            return default

    if attr("data_format", b"NHWC") not in (b"NHWC", "NHWC"):
        return None
    if op.type in ("MaxPool", "AvgPool"):
        ksize = attr("ksize")
    else:
        ksize = [1, *op.inputs[1].shape.as_list()[:2], 1]
    strides, dilations = attr("strides"), attr("dilations") or [1, 1, 1, 1]
    padding = attr("padding")
    padding = padding.decode() if isinstance(padding, bytes) else padding
    spans = []
    for axis in (1, 2):
        extent = (ksize[axis] - 1) * dilations[axis] + 1
        stride, n_in, n_out = strides[axis], in_size[axis - 1], out_size[axis - 1]
        if padding == "SAME":
            before = max((n_out - 1) * stride + extent - n_in, 0) // 2
        elif padding == "EXPLICIT":
            before = attr("explicit_paddings")[2 * axis]
        else:
            before = 0
        spans.append((lo[axis - 1] * stride - before, hi[axis - 1] * stride - before + extent - 1))
    return spans


class LayerGraph:
    """The named layers of a GraphDef and the facts about them (see the module docstring)."""

    def __init__(self, graph_def, input_name, layer_names, model_name, default_size):
        self.graph_def = graph_def
        self.default_size = default_size
        self.input_name = input_name
        self.model_name = model_name
        self.layer_names = tuple(layer_names)
        self._named = set(self.layer_names)
        self._inputs = {node.name: [_node_name(i) for i in node.input if not i.startswith("^")]
                        for node in graph_def.node}
        missing = [name for name in self.layer_names if name not in self._inputs]
        if missing:
            raise BadInput(f"model {model_name}: layers {', '.join(missing)} are not in its graph")
        if input_name not in self._inputs:
            raise BadInput(f"model {model_name}: input {input_name!r} is not in its graph")
        self.input_channels = self._input_channels()

    def _input_channels(self):
        node = next(n for n in self.graph_def.node if n.name == self.input_name)
        dims = [d.size for d in node.attr["shape"].shape.dim] if "shape" in node.attr else []
        return dims[-1] if len(dims) == 4 and dims[-1] > 0 else 3

    # -- Upstream relations, from the node inputs alone.

    @functools.lru_cache(maxsize=None)
    def ancestors(self, name):
        """Every node upstream of `name`."""
        seen, stack = set(), list(self._inputs.get(name, ()))
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(self._inputs.get(node, ()))
        return frozenset(seen)

    def is_upstream(self, earlier, target):
        return earlier in self.ancestors(target)

    def nearest_layers(self, name):
        """The named layers (or the input) reached first walking up from `name`, in input order."""
        found, seen, stack = [], set(), list(reversed(self._inputs.get(name, ())))
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in self._named or node == self.input_name:
                found.append(node)
            else:
                stack.extend(reversed(self._inputs.get(node, ())))
        return found

    def upstream_layers(self, target):
        """Named layers upstream of `target`, nearest first."""
        ancestors = self.ancestors(target)
        return [name for name in reversed(self.layer_names) if name in ancestors]

    @functools.lru_cache(maxsize=None)
    def layer(self, name):
        if name not in self._named:
            raise BadInput(f"model {self.model_name} has no layer {name!r}; valid layers: "
                           + ", ".join(self.layer_names))
        nearest = self.nearest_layers(name) or [self.input_name]
        # A residual add: one input layer is upstream of another; it is the skip, the other the branch.
        skips = [a for a in nearest if any(a != b and self.is_upstream(a, b) for b in nearest)]
        branches = [a for a in nearest if a not in skips]
        skip_from = skips[0] if len(nearest) == 2 and len(skips) == 1 else None
        prev = branches[0] if skip_from else nearest[0]
        return LayerInfo(name, self.shape(name)[-1], prev, skip_from)

    # -- Shapes and windows, at one input size.

    @functools.lru_cache(maxsize=8)
    def _graph(self, size):
        from mechanics.lucid_tf2 import tf
        graph = tf.Graph()
        with graph.as_default():
            image = tf.placeholder(tf.float32, [1, size, size, self.input_channels])
            try:
                tf.import_graph_def(self.graph_def, {f"{self.input_name}:0": image}, name="")
            except ValueError as exc:
                raise BadInput(f"model {self.model_name} does not take a {size}x{size} input: "
                               f"{str(exc).splitlines()[0]}") from exc
        return graph

    def spatial_nodes(self, names):
        """Those of `names` whose output is a spatial (batch, height, width, channels) map."""
        return [name for name in names if self._op(name, self.default_size).outputs[0].shape.rank == 4]

    def _op(self, name, size):
        return self._graph(size).get_operation_by_name(name)

    def shape(self, name, size=None):
        """(height, width, channels) of a node's output at a square input size (default: the model's)."""
        dims = self._op(name, size or self.default_size).outputs[0].shape
        if dims.rank != 4:
            raise BadInput(f"model {self.model_name}: {name} is not a spatial layer (shape {dims})")
        return tuple(dims.as_list()[1:])

    def window(self, target, earlier, position, size):
        """(top, left, height, width) on `earlier` that `position` (y, x) of `target` reads."""
        between = {n for n in self.ancestors(target) if n == earlier or self.is_upstream(earlier, n)} | {target}
        (y, x) = position
        region = {target: ((y, x), (y, x))}
        for name in self._reverse_topological(target, between):
            if name == earlier or name not in region:
                continue
            lo, hi = region[name]
            op = self._op(name, size)
            out_size = op.outputs[0].shape.as_list()[1:3]
            for index, tensor in enumerate(op.inputs):
                # The image placeholder stands for the model's input, which import_graph_def mapped away.
                producer = self.input_name if tensor.op.type == "Placeholder" else tensor.op.name
                if producer not in between or tensor.shape.rank != 4:
                    continue
                in_size = tensor.shape.as_list()[1:3]
                span = self._input_span(op, index, lo, hi, in_size, out_size)
                new_lo, new_hi = (span[0][0], span[1][0]), (span[0][1], span[1][1])
                if producer in region:
                    old_lo, old_hi = region[producer]
                    new_lo = (min(old_lo[0], new_lo[0]), min(old_lo[1], new_lo[1]))
                    new_hi = (max(old_hi[0], new_hi[0]), max(old_hi[1], new_hi[1]))
                region[producer] = (new_lo, new_hi)
        (top, left), (bottom, right) = region[earlier]
        return top, left, bottom - top + 1, right - left + 1

    def _input_span(self, op, index, lo, hi, in_size, out_size):
        """Per axis, the rows of input `index` that output rows lo..hi read."""
        whole = [(0, in_size[0] - 1), (0, in_size[1] - 1)]
        if op.type in WINDOWED and index == 0:
            return _span(lo, hi, op, in_size, out_size) or whole
        if op.type in PADS and index == 0:
            from mechanics.lucid_tf2 import tf
            pads = tf.get_static_value(op.inputs[1])
            if pads is None:
                return whole
            return [(lo[a] - int(pads[a + 1][0]), hi[a] - int(pads[a + 1][0])) for a in (0, 1)]
        if op.type in POINTWISE:
            # A map broadcast over the output (1x1) is read at its one position.
            return [(0, 0) if in_size[a] == 1 and out_size[a] != 1 else (lo[a], hi[a]) for a in (0, 1)]
        return whole

    def _reverse_topological(self, target, nodes):
        """`nodes` ordered so that each comes before every node it reads."""
        order, done = [], set()

        def visit(start):
            stack = [(start, False)]
            while stack:
                node, expanded = stack.pop()
                if node in done:
                    continue
                if expanded:
                    done.add(node)
                    order.append(node)
                    continue
                stack.append((node, True))
                stack.extend((i, False) for i in self._inputs.get(node, ()) if i in nodes and i not in done)

        visit(target)
        return order[::-1]
