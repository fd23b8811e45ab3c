"""EfficientNet-Lite0 block10:101, decomposed per position over block9: eye- and face-like parts."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="eye_detector",
    kind="decomposition_grid",
    title="An eye detector, position by position",
    caption=("EfficientNet-Lite0's neuron block10:101 (its own visualization at the left) split into the 25 "
             "positions of the 5x5 window it reads on block9: each cell is a picture of what the neuron wants at that "
             "offset, faded by how much it weighs; below, the photos that excite it most and an occlusion check on the "
             "first."),
    model="efficientnet_lite0",
    params=dict(target="block10:101", at=[4, 4], earlier="block9", mode="expanded",
                paths=["branch", "skip"], size=128, steps=256, objective="dot", seed=0,
                examples={"images": "skimage:", "top": 6}),
)
