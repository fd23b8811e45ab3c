"""EfficientNet-Lite0 block10:9 over block9: the channel of block10 whose top and bottom rows of
its window want the most different things (ranked by the dissimilarity of the two halves'
summed positive components, weighted by their balance)."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="eyes_above_fur_below",
    kind="decomposition_grid",
    title="Different parts at different offsets",
    caption=("EfficientNet-Lite0's neuron at the centre of block10, channel 9, decomposed into the 25 positions of its "
             "5x5 window on block9. Compare the top two rows of the window with the bottom two. Below the grid: the photos of scikit-image's small bundled set that excite the unit most (a tiny set, not a dataset), each cropped to the unit's receptive field, and an occlusion check of the decomposition on the first of them; under the figure, the window's off-centre share against every unit of its layer."),
    model="efficientnet_lite0",
    params=dict(target="block10:9", at=[4, 4], earlier="block9", mode="expanded",
                paths=["branch", "skip"], size=128, steps=256, objective="dot", seed=0,
                examples={"images": "skimage:", "top": 6}),
)
