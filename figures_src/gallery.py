"""Appendix gallery: 64 EfficientNet-Lite0 neurons of blocks 8, 9 and 10, each decomposed over the block before.

The channels are, per layer, the 8 + 8 top-ranked by `python -m mechanics search` (structure)
and evenly spaced channels, so the gallery shows both the striking and the ordinary.
"""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="gallery",
    kind="gallery",
    title="Gallery of decomposed neurons",
    caption=("EfficientNet-Lite0, sixty-four neurons of block8, block9 and block10, each beside its 5x5 decomposition "
             "over the block before (positive part). Under the figure, each layer's picked neurons against every "
             "unit of that layer."),
    model="efficientnet_lite0",
    params=dict(
        units=[
            ["block8", "block7", "full", [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98, 105,
                                          3, 10, 17, 24, 31]],
            ["block9", "block8", "branch", [51, 27, 109, 58, 89, 20, 11, 24, 5, 40, 65, 80, 95, 100, 2,
                                            33, 45, 70, 104, 110, 16]],
            ["block10", "block9", "branch", [101, 59, 80, 0, 11, 89, 27, 9, 111, 20, 35, 50, 65, 75, 95,
                                             105, 1, 13, 44, 60, 85, 99]],
        ],
        input_size=128, size=64, steps=96, objective="dot", seed=0),
)
