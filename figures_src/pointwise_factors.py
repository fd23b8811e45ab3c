"""Factor decomposition of a pointwise (1x1) unit: block12/expand channel 10 on chelsea."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="pointwise_factors",
    kind="factor_view",
    title="Factors of a pointwise unit",
    caption=("EfficientNet-Lite0's block12/expand is a 1x1 convolution over block11, so its window is a single position. "
             "Instead, its positive integrated-gradient attribution vectors over the chelsea photo are "
             "factored by NMF; each factor is a block11 direction with a map of where it acts, laid "
             "out as the 7x7 grid over the photo in the attribution figure. Under the figure, the share of the attribution "
             "vectors the factors explain, against the same factorization with each cell's channels shuffled."),
    model="efficientnet_lite0",
    images=["skimage:chelsea.png"],
    params=dict(image="skimage:chelsea.png", target="block12/expand:10", earlier="block11", k=4,
                input_size=224, size=96, steps=192, objective="dot", seed=0),
)
