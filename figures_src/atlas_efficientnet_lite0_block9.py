"""Atlas of EfficientNet-Lite0 block9: every one of its 112 channels' centre neuron, decomposed over block8.

block9 has a residual connection, so it is decomposed by its branch over block8. One figure per layer, so that each layer's atlas
is committed as soon as it is computed (about 12 minutes on an idle 2-core machine, resumable:
mechanics/atlas.py). Rendered at 48 px for 64 steps, the size the cells are shown at.
"""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="atlas_efficientnet_lite0_block9",
    kind="atlas",
    title="Atlas of EfficientNet-Lite0, block9",
    caption="Every channel of Lite0's block9, each neuron beside its decomposition over block8 (positive part).",
    model="efficientnet_lite0",
    params=dict(layers=[["block9", "block8", "branch"]],
                input_size=128, size=48, steps=64, objective="dot", seed=0, quick_channels=2),
)
