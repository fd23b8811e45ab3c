"""EfficientNet-Lite0 block12:70 over block11: the most spatially structured unit of block12 by
`python -m mechanics search efficientnet_lite0 block12 --prev block11 --size 224`."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="part_assembler",
    kind="decomposition_grid",
    title="A unit assembled from parts at distinct positions",
    caption=("The neuron at the centre of block12, channel 70 (the top-ranked channel of block12 for "
             "spatial structure), decomposed into the 5x5 window it reads on block11."),
    model="efficientnet_lite0",
    params=dict(target="block12:70", at=[3, 3], earlier="block11", mode="expanded", input_size=224,
                paths=["branch", "skip"], size=128, steps=192, objective="dot", seed=0),
)


def make(out_dir, quick):
    from mechanics import recipes
    recipes.decomposition_grid(out_dir, FIGURE, quick)
