"""EfficientNet-Lite0 block12:70 over block11: the most spatially structured unit of block12 by
`python -m mechanics search efficientnet_lite0 block12 --prev block11 --size 224`."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="part_assembler",
    kind="decomposition_grid",
    title="The most spatially structured unit of block12",
    caption=("EfficientNet-Lite0's neuron at the centre of block12, channel 70 (the top-ranked channel of block12 for "
             "spatial structure), decomposed into the 5x5 window it reads on block11. Below the grid: the photos of scikit-image's small bundled set that excite the unit most (a tiny set, not a dataset), each cropped to the unit's receptive field, and an occlusion check of the decomposition on the first of them; under the figure, the window's off-centre share against every unit of its layer."),
    model="efficientnet_lite0",
    params=dict(target="block12:70", at=[3, 3], earlier="block11", mode="expanded", input_size=224,
                paths=["branch", "skip"], size=128, steps=192, objective="dot", seed=0,
                examples={"images": "skimage:", "top": 6}),
)
