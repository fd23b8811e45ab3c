"""Atlas of EfficientNet-Lite1 block12 (112 channels): the layer in the same place as Lite0's block9.

Lite1's fifth stage (kernel 5, stride 1) is blocks 11-14, as Lite0's is blocks 8-10; block12 is its
second block, as block9 is Lite0's, so its residual branch reads block11 through a 5x5 window.
At the Lite0 atlas's settings (decomposed at 128 px, rendered at 48 px for 64 steps), so the three are comparable.
"""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="atlas_efficientnet_lite1",
    kind="atlas",
    title="Atlas of EfficientNet-Lite1, block12",
    caption="Every channel of Lite1's block12, each neuron beside its decomposition over block11 (positive part).",
    model="efficientnet_lite1",
    params=dict(layers=[["block12", "block11", "branch"]],
                input_size=128, size=48, steps=64, objective="dot", seed=0, quick_channels=2),
)
