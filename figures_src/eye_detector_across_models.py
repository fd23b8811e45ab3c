"""Lite0's eye detector block10:101 and its closest counterparts in Lite1 and Lite2, decomposed side by side."""

from mechanics.figure_spec import FigureSpec

PHOTOS = ["skimage:chelsea.png", "skimage:astronaut.png", "skimage:coffee.png", "skimage:motorcycle_left.png",
          "skimage:rocket.jpg", "skimage:horse.png"]

FIGURE = FigureSpec(
    name="eye_detector_across_models",
    kind="decomposition_comparison",
    title="One eye detector, three models",
    caption=("EfficientNet-Lite0's eye detector block10:101 (the last block of stage 5) beside the channel of the "
             "last block of stage 5 in Lite1 and Lite2 whose activations correlate best with it, over six "
             "scikit-image photos and Lite0's own visualization of the unit, each with its mirror image, all fed at "
             "224 px. Each centre neuron is decomposed over the block before on the residual branch."),
    model="efficientnet_lite0",
    images=PHOTOS,
    params=dict(models=["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"], stage="stage5",
                select={"by": "counterpart", "reference": ["efficientnet_lite0", "block10", 101], "images": PHOTOS,
                        "input_size": 224},
                size=128, steps=256, objective="dot", seed=0),
)


def make(out_dir, quick):
    from mechanics import cross_model
    cross_model.decomposition_comparison(out_dir, FIGURE, quick)
