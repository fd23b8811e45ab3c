"""Hidden-layer attribution on chelsea: EfficientNet-Lite0 block12, for two cat classes."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="cat_attribution",
    kind="attribution_explorer",
    title="What the network sees where, on a photo",
    caption=("Attribution of two EfficientNet-Lite0 class logits to block12 (7x7) on scikit-image's chelsea photo, by "
             "activation × gradient and by integrated gradients against a zero baseline at block12. "
             "Each cell shows the feature visualization of that position's attribution vector; cells "
             "under 10% of the largest norm are left blank."),
    model="efficientnet_lite0",
    images=["skimage:chelsea.png"],
    params=dict(image="skimage:chelsea.png", layer="block12", targets=["logit:285", "logit:281"],
                methods=["gradxact", "ig"], ig_steps=64, input_size=224, min_weight=0.1,
                completeness_layers=["block10"],
                size=96, steps=128, objective="dot", seed=0),
)
