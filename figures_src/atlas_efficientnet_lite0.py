"""Atlas of EfficientNet-Lite0 blocks 8, 9 and 10: every channel's centre neuron, decomposed over the block before.

336 neurons, rendered at 48 px for 64 steps (the cells are shown as 48 px tiles): about 35 minutes
on an idle 2-core machine, resumable (mechanics/atlas.py).
"""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="atlas_efficientnet_lite0",
    kind="atlas",
    title="Atlas of EfficientNet-Lite0, blocks 8 to 10",
    caption="Every channel of three layers, each neuron beside its decomposition over the block before (positive part).",
    model="efficientnet_lite0",
    params=dict(
        layers=[["block8", "block7", "full"], ["block9", "block8", "branch"], ["block10", "block9", "branch"]],
        input_size=128, size=48, steps=64, objective="dot", seed=0, quick_channels=2),
)


def make(out_dir, quick, workers=None, ray_address=None):
    from mechanics import atlas
    atlas.build(out_dir, FIGURE, quick, workers=workers, ray_address=ray_address)
