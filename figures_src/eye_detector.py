"""EfficientNet-Lite0 block10:101, decomposed per position over block9: eye- and face-like parts."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="eye_detector",
    kind="decomposition_grid",
    title="An eye detector, position by position",
    caption=("The neuron at the centre of block10, channel 101, decomposed into the 25 positions of its "
             "5x5 window on block9. Hover a cell to see what the neuron wants there, and which block9 "
             "channels carry it; toggle between the residual branch and the skip path."),
    model="efficientnet_lite0",
    params=dict(target="block10:101", at=[4, 4], earlier="block9", mode="expanded",
                paths=["branch", "skip"], size=128, steps=256, objective="dot", seed=0),
)


def make(out_dir, quick):
    from mechanics import recipes
    recipes.decomposition_grid(out_dir, FIGURE, quick)
