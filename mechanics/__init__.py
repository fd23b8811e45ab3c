"""Neuron Mechanics: decomposed feature visualization on TensorFlow 2 + Lucid.

Importing this package is cheap: TensorFlow and Lucid load only when an engine
module (models, decompose, render, assets) is imported.
"""

__version__ = "0.1.0"
