"""Hidden-layer attribution on coffee: EfficientNet-Lite0 block12, espresso against tea cup."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="coffee_attribution",
    kind="attribution_explorer",
    title="Espresso or tea cup",
    caption=("Attribution of EfficientNet-Lite0's espresso and tea-cup logits to block12 (7x7) on scikit-image's coffee "
             "photo, by activation × gradient and by integrated gradients against a zero baseline at "
             "block12; cells under 10% of the largest norm are left blank."),
    model="efficientnet_lite0",
    images=["skimage:coffee.png"],
    params=dict(image="skimage:coffee.png", layer="block12", targets=["logit:967", "logit:968"],
                methods=["gradxact", "ig"], ig_steps=64, input_size=224, min_weight=0.1,
                size=96, steps=128, objective="dot", seed=0),
)
