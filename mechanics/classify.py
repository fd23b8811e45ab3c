"""Top-k ImageNet classes of a photo."""

import numpy as np

from mechanics.decompose import import_graph, load_image, new_session


def probabilities(model, image_path, size=None):
    """The model's class probabilities for a photo at `size` (default: the model's own)."""
    size = size or model.default_size
    graph, t_input, T = import_graph(model, size)
    with new_session(graph) as sess:
        return sess.run(T("probs"), {t_input: load_image(image_path, size)[None]})[0]


def classify(model, image_path, k=5):
    """[(class_id, label, probability)], best first."""
    probs = probabilities(model, image_path)
    labels = model.class_labels or [f"class {i}" for i in range(len(probs))]
    return [(int(i), labels[i], float(probs[i])) for i in np.argsort(-probs)[:k]]
