"""Hidden-layer attribution on motorcycle_left: EfficientNet-Lite0 block12, moped against motor scooter."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="moped_attribution",
    kind="attribution_explorer",
    title="Moped or motor scooter",
    caption=("Attribution of EfficientNet-Lite0's moped and motor-scooter logits to block12 (7x7) on scikit-image's "
             "motorcycle_left photo, by activation × gradient and by integrated gradients against a zero "
             "baseline at block12; cells under 10% of the largest norm are left blank."),
    model="efficientnet_lite0",
    images=["skimage:motorcycle_left.png"],
    params=dict(image="skimage:motorcycle_left.png", layer="block12", targets=["logit:665", "logit:670"],
                methods=["gradxact", "ig"], ig_steps=64, input_size=224, min_weight=0.1,
                size=96, steps=128, objective="dot", seed=0),
)
