"""Ranking a layer's channels for decompositions worth looking at.

Two families of scores:

- spatial scores of each channel's centre-neuron decomposition over an earlier layer
  (`structure`, `halves`);
- class scores (`classes`, with the car classes by default): how strongly each channel's
  expanded weights (ReLU gradients as identity, summed over positions) push a set of logits
  above the channel's other logits.
"""

import numpy as np

from mechanics import decompose
from mechanics.errors import BadInput
from mechanics.lucid_tf2 import gradient_override_map, tf

# The ImageNet classes of cars and their parts (issue 13): car wheel, sports car, convertible, cab,
# racer, grille, minivan, jeep, limousine, beach wagon, pickup, Model T.
CAR_CLASSES = (479, 817, 511, 468, 751, 581, 656, 609, 627, 436, 717, 661)
CLASS_CHUNK = 125  # logits whose gradients one batched backward pass computes


def _cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def halves_score(decomposition):
    """How differently the window's halves pull: (top/bottom, left/right).

    Each is 1 - cos(sum of one half's positive components, sum of the other's), times the
    ratio of the smaller half's norm to the larger's, so a half that wants almost nothing
    cannot score. The middle row (column) belongs to neither half.
    """
    positive = decomposition.positive
    h, w, c = positive.shape

    def split(first, second):
        a, b = first.reshape(-1, c).sum(0), second.reshape(-1, c).sum(0)
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        balance = min(na, nb) / max(na, nb) if max(na, nb) > 0 else 0.0
        return (1 - _cosine(a, b)) * balance

    return split(positive[: h // 2], positive[(h + 1) // 2:]), split(positive[:, : w // 2], positive[:, (w + 1) // 2:])


SCORES = {
    "structure": ("structure", "off_centre", decompose.structure_scores),
    "halves": ("top_bottom", "left_right", halves_score),
}


def rank_channels(model, layer, earlier, path, size, score="structure"):
    """[(channel, first score, second score)] for every channel of `layer`'s centre neuron, best first."""
    position = model.centre(layer, size)
    scorer = SCORES[score][2]
    rows = []
    for channel in range(model.layer(layer).channels):
        d = decompose.spatial(model, decompose.Target(layer, channel, position), earlier, path=path, input_size=size)
        rows.append((channel, *scorer(d)))
    return sorted(rows, key=lambda row: -max(row[1:]) if score == "halves" else -row[1])


# -- stages -------------------------------------------------------------------------------------

def stages(model):
    """The model's stages, each a list of block names: a block without a residual skip starts one.

    EfficientNet's stages (stem excluded) in order; block numbers differ across Lite0/1/2, stages do not.
    """
    groups = []
    for name in model.layer_names:
        if "/" in name or not name.startswith("block"):
            continue
        if model.layer(name).skip_from is None or not groups:
            groups.append([])
        groups[-1].append(name)
    return groups


def resolve_layer(model, text):
    """A layer name, or 'stageN' for the last block of stage N (counted from 1)."""
    if text.startswith("stage") and text[5:].isdigit():
        groups = stages(model)
        number = int(text[5:])
        if not 1 <= number <= len(groups):
            raise BadInput(f"{text}: {model.model_name} has stages 1..{len(groups)} "
                           f"({', '.join(f'stage{i + 1}={g[0]}..{g[-1]}' for i, g in enumerate(groups))})")
        return groups[number - 1][-1]
    model.layer(text)
    return text


# -- class scores -------------------------------------------------------------------------------

def class_weights(model, layer, input_size=None):
    """(C, classes): the expanded weight of each channel of `layer` to each logit, summed over positions.

    With ReLU gradients taken as identity the backward pass is linear and independent of the input,
    so this is the gradient of each logit with respect to a uniform shift of one channel. Computed
    with `layer` fed by a placeholder, so only the network above it runs, CLASS_CHUNK logits at a time.
    """
    input_size = input_size or model.default_size
    size = model.spatial_size(layer, input_size)
    channels = model.layer(layer).channels
    classes = len(model.class_labels) if model.class_labels else 1000
    graph = tf.Graph()
    with graph.as_default():
        shift = tf.placeholder(tf.float32, [CLASS_CHUNK, channels])
        picks = tf.placeholder(tf.float32, [CLASS_CHUNK, classes])
        acts = tf.zeros([CLASS_CHUNK, size, size, channels]) + shift[:, None, None, :]
        with gradient_override_map(decompose.EXPANDED_GRADIENTS):
            T = model.import_graph(tf.zeros([CLASS_CHUNK, input_size, input_size, 3]), scope="import",
                                   forget_xy_shape=False, input_map={f"{layer}:0": acts})
        grad = tf.gradients(tf.reduce_sum(T("logits") * picks), shift)[0]
    weights = np.zeros((channels, classes), np.float32)
    zeros = np.zeros((CLASS_CHUNK, channels), np.float32)
    with decompose.new_session(graph) as sess:
        for start in range(0, classes, CLASS_CHUNK):
            ids = np.arange(start, min(start + CLASS_CHUNK, classes))
            onehot = np.zeros((CLASS_CHUNK, classes), np.float32)
            onehot[np.arange(len(ids)), ids] = 1.0
            weights[:, ids] = sess.run(grad, {shift: zeros, picks: onehot})[: len(ids)].T
    return weights


def centred(weights):
    """Class weights minus each channel's mean over all classes: softmax ignores what every logit gets."""
    return weights - weights.mean(axis=1, keepdims=True)


def class_scores(weights, classes):
    """(C,) per channel: the mean of its centred weights to `classes`, in units of their spread
    (standard deviation) over all classes, so a channel that pushes every class a little cannot win."""
    c = centred(weights)
    return c[:, list(classes)].mean(axis=1) / np.maximum(c.std(axis=1), 1e-12)


def rank_by_classes(weights, classes, top_classes=5):
    """[(channel, score, mean centred weight to the classes, [(class id, centred weight)] of its
    top classes)], best first."""
    scores = class_scores(weights, classes)
    c = centred(weights)
    mean_weight = c[:, list(classes)].mean(axis=1)
    best = np.argsort(-c, axis=1)[:, :top_classes]
    rows = [(int(ch), float(scores[ch]), float(mean_weight[ch]), [(int(k), float(c[ch, k])) for k in best[ch]])
            for ch in range(len(weights))]
    return sorted(rows, key=lambda row: -row[1])
