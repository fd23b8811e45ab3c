"""Atlas of EfficientNet-Lite0 block10: every one of its 112 channels' centre neuron, decomposed over block9.

block10 has a residual connection, so it is decomposed by its branch over block9. One figure per layer, so that each layer's atlas
is committed as soon as it is computed (about 12 minutes on an idle 2-core machine, resumable:
mechanics/atlas.py). Rendered at 48 px for 64 steps, the size the cells are shown at.
"""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="atlas_efficientnet_lite0_block10",
    kind="atlas",
    title="Atlas of EfficientNet-Lite0, block10",
    caption="Every channel of Lite0's block10, each neuron beside its decomposition over block9 (positive part).",
    model="efficientnet_lite0",
    params=dict(layers=[["block10", "block9", "branch"]],
                input_size=128, size=48, steps=64, objective="dot", seed=0, quick_channels=2),
)
