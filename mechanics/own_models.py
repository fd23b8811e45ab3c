"""A researcher's own model, named by path: a frozen GraphDef (.pb), a Keras file (.keras) or a
TF SavedModel folder, as a zoo model.

Metadata follows Lucid's conventions: `Model.save` embeds a `__lucid_metadata_json` node in the
graph; otherwise a JSON file beside the model with the same stem (`net.pb` -> `net.json`) holds
Lucid's manifest keys:

    {"input_name": "input", "image_shape": [224, 224, 3], "image_value_range": [-1, 1],
     "labels": ["cat", ...] or "labels_path": "labels.txt", "layers": ["conv1", ...]}

A .pb needs `input_name`, `image_shape` and `image_value_range`; Keras models and SavedModels
need none (their input is known; the range defaults to [0, 1]). Without `layers`, a frozen graph
lists the last spatial op of each name scope; a .keras file lists every Keras layer with a spatial
output under its Keras name. Keras models are frozen into a GraphDef once, cached by the files' hash.

Every model gets `logits` and `probs` nodes: the input and output of a final softmax, or the
model's output and a softmax appended to it.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.frozen_graphs import embedded_metadata, with_named_outputs, without_metadata
from mechanics.layer_graph import LayerGraph
from mechanics.lucid_tf2 import tf
from mechanics.model_files import files_id, metadata_path, model_files
from mechanics.zoo_model import ZooModel, cached_graph_def

PB_KEYS = ("input_name", "image_shape", "image_value_range")


def load(path):
    """The model at `path` (a string, used as its name)."""
    files = model_files(path)
    kind = "savedmodel" if Path(path).is_dir() else Path(path).suffix
    sidecar = _read_sidecar(path)
    if kind == ".pb":
        graph_def = _parse(Path(path).read_bytes(), path)
        metadata = {**(embedded_metadata(graph_def) or {}), **sidecar}
        missing = [k for k in PB_KEYS if k not in metadata]
        if missing:
            raise BadInput(f"model {path}: a frozen graph needs {', '.join(missing)} in {metadata_path(path)} "
                           f"(Lucid's manifest keys, e.g. {{\"input_name\": \"input\", \"image_shape\": "
                           f"[224, 224, 3], \"image_value_range\": [-1, 1]}}) or Lucid's embedded metadata")
        graph_def, layers = with_named_outputs(graph_def, metadata.get("layers"), path)
    else:
        from mechanics import frozen_graphs, keras_freeze
        builder = hashlib.sha256(b"".join(Path(m.__file__).read_bytes()
                                          for m in (frozen_graphs, keras_freeze))).hexdigest()[:12]
        key = f"own-{files_id(files)}-{builder}"
        graph_def = cached_graph_def(key, lambda: _freeze(path), lambda g: _check_frozen(g, path))
        frozen = embedded_metadata(graph_def)
        metadata = {**frozen, **sidecar, "input_name": frozen["input_name"]}
        layers = metadata.get("layers") or frozen["layers"]
    return _zoo_model(path, graph_def, layers, metadata, listed="layers" in sidecar)


def _zoo_model(path, graph_def, layers, metadata, listed):
    # Lucid's metadata node is kept out of the model's graph: its name is not importable at top level.
    graph_def = without_metadata(graph_def)
    shape = metadata.get("image_shape") or [None, None, 3]
    value_range = metadata.get("image_value_range", [0, 1])
    if not (isinstance(value_range, (list, tuple)) and len(value_range) == 2
            and all(isinstance(v, (int, float)) for v in value_range) and value_range[0] < value_range[1]):
        raise BadInput(f"model {path}: image_value_range {value_range!r} is not [low, high] with low < high")
    if not (isinstance(shape, (list, tuple)) and len(shape) == 3):
        raise BadInput(f"model {path}: image_shape {shape!r} is not [height, width, channels]")
    layer_names = [entry["name"] if isinstance(entry, dict) else entry for entry in layers or []]
    if not listed:  # found by name scope or Keras layer: keep the spatial ones
        layer_names = LayerGraph(graph_def, metadata["input_name"], [], path, shape[0] or 224).spatial_nodes(layer_names)
    if not layer_names:
        raise BadInput(f"model {path}: no spatial layers found; list them under \"layers\" in {metadata_path(path)}")
    return ZooModel(str(path), Path(path).name, graph_def, layer_names, value_range,
                    default_size=shape[0] or 224, class_labels=_labels(path, metadata),
                    input_name=metadata["input_name"], source=f"file {path}")


def _read_sidecar(path):
    meta = metadata_path(path)
    if not meta.is_file():
        return {}
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{meta}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BadInput(f"{meta}: expected a JSON object with Lucid's manifest keys ({', '.join(PB_KEYS)})")
    return data


def _labels(path, metadata):
    if "labels" in metadata:
        return list(metadata["labels"])
    if "labels_path" in metadata:
        labels_file = metadata_path(path).parent / metadata["labels_path"]
        if not labels_file.is_file():
            raise BadInput(f"{metadata_path(path)}: labels_path {labels_file} not found")
        return labels_file.read_text(encoding="utf-8").splitlines()
    return None


def _parse(data, origin):
    graph_def = tf.GraphDef()
    try:
        graph_def.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError
        raise BadInput(f"model {origin}: not a TensorFlow GraphDef ({exc})") from exc
    if not any(node.op == "Placeholder" for node in graph_def.node):
        raise BadInput(f"model {origin}: not a frozen TensorFlow graph with an input (no Placeholder node)")
    return graph_def


def _freeze(path):
    """The frozen GraphDef of a Keras model or SavedModel, made by a child process (see keras_freeze)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "frozen.pb"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
            str(Path(__file__).parent.parent), os.environ.get("PYTHONPATH")]))}
        child = subprocess.run([sys.executable, "-m", "mechanics.keras_freeze", str(path), str(out)],
                               capture_output=True, text=True, env=env)
        if child.returncode != 0:
            lines = [line for line in child.stderr.splitlines() if line.startswith("error: ")]
            raise BadInput(lines[-1][len("error: "):] if lines else
                           f"model {path}: freezing failed: {(child.stderr.strip().splitlines() or ['?'])[-1]}")
        return _parse(out.read_bytes(), path)


def _check_frozen(graph_def, origin):
    metadata = embedded_metadata(graph_def)
    if not metadata or not {"input_name", "layers"} <= set(metadata):
        raise BadInput(f"frozen graph of {origin} has no layer metadata")
    names = {node.name for node in graph_def.node}
    missing = [n for n in [metadata["input_name"], "logits", "probs", *metadata["layers"]] if n not in names]
    if missing:
        raise BadInput(f"frozen graph of {origin} lacks {', '.join(missing[:5])}")
