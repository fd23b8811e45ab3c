"""Lite0's eye detector block10:101 and its closest counterparts in Lite1 and Lite2, decomposed side by side."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="eye_detector_across_models",
    kind="decomposition_comparison",
    title="One eye detector, three models",
    caption=("EfficientNet-Lite0's eye detector block10:101 (the last block of stage 5) beside the channel of the "
             "last block of stage 5 in Lite1 and Lite2 whose activations correlate best with it, over "
             "every photo bundled with scikit-image (a small set, not a dataset), each with its mirror image, all fed "
             "at 224 px. Under the figure, each counterpart's r against random channel pairs and against the best r "
             "of every Lite0 block10 channel. Each centre neuron is decomposed over the block before on the residual branch."),
    model="efficientnet_lite0",
    params=dict(models=["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"], stage="stage5",
                select={"by": "counterpart", "reference": ["efficientnet_lite0", "block10", 101], "images": "skimage:",
                        "input_size": 224},
                size=128, steps=256, objective="dot", seed=0),
)
