"""Neuron Mechanics: decomposed feature visualization on TensorFlow 2 + Lucid.

Importing this package is cheap: TensorFlow and Lucid load only when an engine
module (models, decompose, render, assets) is imported.
"""

__version__ = "0.1.0"

# The modules whose source decides what a figure computes. Their hash is part of
# every figure's cache key, so editing them makes figures stale; editing the
# site builder or the contract validator does not.
ENGINE_MODULES = (
    "lucid_tf2.py",
    "torch_pickle.py",
    "efficientnet.py",
    "layer_graph.py",
    "own_models.py",
    "zoo.py",
    "storage.py",
    "decompose.py",
    "transforms.py",
    "render.py",
    "assets.py",
    "recipes.py",
)
