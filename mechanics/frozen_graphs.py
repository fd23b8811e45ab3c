"""Edits of a frozen GraphDef, on its protocol buffer alone (no TensorFlow session or graph mode):
Lucid's embedded metadata node, layer names given to tensors, and `logits`/`probs` nodes."""

import json

from tensorflow.core.framework import graph_pb2, types_pb2

from mechanics.errors import BadInput

LUCID_METADATA_NODE = "__lucid_metadata_json"
SPATIAL_OPS = {"Conv2D", "DepthwiseConv2dNative", "BiasAdd", "Relu", "Relu6", "Elu", "Selu", "LeakyRelu",
               "Sigmoid", "Tanh", "Softplus", "Add", "AddV2", "ConcatV2", "Concat", "MaxPool", "AvgPool",
               "FusedBatchNormV3", "Mul", "LRN"}


def embedded_metadata(graph_def):
    for node in graph_def.node:
        if node.name == LUCID_METADATA_NODE:
            return json.loads(node.attr["value"].tensor.string_val[0])
    return None


def with_metadata(graph_def, metadata):
    graph_def = without_metadata(graph_def)
    node = graph_def.node.add()
    node.name, node.op = LUCID_METADATA_NODE, "Const"
    node.attr["dtype"].type = types_pb2.DT_STRING
    node.attr["value"].tensor.dtype = types_pb2.DT_STRING
    node.attr["value"].tensor.string_val.append(json.dumps(metadata).encode())
    return graph_def


def without_metadata(graph_def):
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(node for node in graph_def.node if node.name != LUCID_METADATA_NODE)
    return out


def _consumers(graph_def):
    consumers = {}
    for node in graph_def.node:
        for ref in node.input:
            consumers.setdefault(ref.lstrip("^").split(":")[0], []).append(node)
    return consumers


def _alias(graph_def, node_name, alias):
    """Give node_name's output the name `alias`: an Identity that every consumer now reads,
    so that feeding `alias:0` (an input_map) replaces the tensor downstream."""
    names = {node.name for node in graph_def.node}
    if alias == node_name:
        return
    if alias in names:
        raise BadInput(f"cannot name layer {alias!r}: the graph already has a node of that name")
    for node in graph_def.node:
        for i, ref in enumerate(node.input):
            if ref in (node_name, f"{node_name}:0"):
                node.input[i] = alias
    identity = graph_def.node.add()
    identity.name, identity.op = alias, "Identity"
    identity.input.append(node_name)
    identity.attr["T"].type = types_pb2.DT_FLOAT


def with_named_outputs(graph_def, layers, origin, output=None):
    """A copy with `logits` and `probs` nodes, and the layers to list (the given ones, or the
    last spatial op of each name scope)."""
    graph_def = without_metadata(graph_def)
    names = {node.name: node for node in graph_def.node}
    consumers = _consumers(graph_def)
    if "logits" in names and "probs" in names:
        return graph_def, layers or _scope_layers(graph_def)
    if output is None:
        outputs = [n for n in graph_def.node if n.name not in consumers and n.op not in ("Const", "NoOp", "Placeholder")]
        if len(outputs) != 1:
            raise BadInput(f"model {origin}: expected one output node, found {len(outputs)} "
                           f"({', '.join(n.name for n in outputs[:5])})")
        output = outputs[0].name
    node = names[output]
    while node.op == "Identity" and node.input and node.input[0].split(":")[0] in names:
        node = names[node.input[0].split(":")[0]]
    if "logits" not in names:
        if node.op == "Softmax":
            _alias(graph_def, node.input[0].split(":")[0], "logits")
            if "probs" not in names:
                _alias(graph_def, node.name, "probs")
        else:
            _alias(graph_def, node.name, "logits")
    if "probs" not in {n.name for n in graph_def.node}:
        softmax = graph_def.node.add()
        softmax.name, softmax.op = "probs", "Softmax"
        softmax.input.append("logits")
        softmax.attr["T"].type = types_pb2.DT_FLOAT
    return graph_def, layers or _scope_layers(graph_def)


def _scope_layers(graph_def):
    """The last spatial op of each name scope, named by its scope (or its own name)."""
    last = {}
    for node in graph_def.node:
        if node.op in SPATIAL_OPS:
            last[node.name.rsplit("/", 1)[0] if "/" in node.name else node.name] = node.name
    return list(last.values())
