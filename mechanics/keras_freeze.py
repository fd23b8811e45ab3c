"""Freeze a Keras model (.keras) or a TF SavedModel folder into a GraphDef with Lucid's metadata:

    python -m mechanics.keras_freeze MODEL OUT.pb

Run as a child process by `own_models`: loading Keras needs TensorFlow 2's eager mode, which
the engine's process has switched off for Lucid (`lucid_tf2`), so this module imports
TensorFlow directly. Bad input: one line on stderr, exit 2.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from mechanics.errors import BadInput  # noqa: E402
from mechanics.frozen_graphs import with_metadata, with_named_outputs  # noqa: E402
from mechanics.storage import write_atomic  # noqa: E402


def _first_line(exc):
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def freeze_keras(path):
    import keras
    import tensorflow as tf
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many kinds for a bad file
        raise BadInput(f"model {path}: not a loadable Keras model ({_first_line(exc)})") from exc
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise BadInput(f"model {path}: expected one image input and one output, "
                       f"found {len(model.inputs)} and {len(model.outputs)}")
    layers = [layer.name for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer) and len(layer.output.shape) == 4]
    multi = keras.Model(model.inputs, [model.get_layer(n).output for n in layers] + list(model.outputs))
    spec = tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32)
    function = tf.function(lambda x: multi(x, training=False)).get_concrete_function(spec)
    return _frozen(function, path, layers)


def freeze_saved_model(path):
    import tensorflow as tf
    try:
        loaded = tf.saved_model.load(path)  # held: the signature's variables live in it
        function = loaded.signatures["serving_default"]
    except Exception as exc:
        raise BadInput(f"model {path}: not a loadable SavedModel with a serving_default signature "
                       f"({_first_line(exc)})") from exc
    if len(function.outputs) != 1:
        raise BadInput(f"model {path}: expected one output, found {len(function.outputs)}")
    graph_def = _frozen(function, path, [])
    del loaded
    return graph_def


def _frozen(function, origin, layers):
    """The function's GraphDef with variables as constants. Its outputs are Identity nodes: the
    first len(layers) take the layers' names (their consumers read them instead of the tensor,
    so feeding a layer replaces it downstream); the last is the model's output."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    frozen = convert_variables_to_constants_v2(function)
    graph_def = frozen.graph.as_graph_def()
    outputs = [t.name.split(":")[0] for t in frozen.outputs]
    nodes = {node.name: node for node in graph_def.node}
    clashes = [name for name in layers if name in nodes]
    if clashes:
        raise BadInput(f"model {origin}: layer names {', '.join(clashes)} clash with node names of its graph")
    for identity, layer in zip(outputs, layers):
        node = nodes[identity]
        source = node.input[0]
        node.name = layer
        for other in graph_def.node:
            if other is not node:
                other.input[:] = [layer if ref in (source, source + ":0") else ref for ref in other.input]
    graph_def, layers = with_named_outputs(graph_def, layers or None, origin, outputs[-1])
    image = frozen.inputs[0]
    metadata = {"input_name": image.name.split(":")[0], "image_shape": image.shape.as_list()[1:], "layers": layers}
    return with_metadata(graph_def, metadata)


def main(argv):
    path, out = argv
    try:
        graph_def = freeze_saved_model(path) if os.path.isdir(path) else freeze_keras(path)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_atomic(out, graph_def.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
