"""Hidden-layer attribution on motorcycle_right: EfficientNet-Lite0's wheel unit block14:186 and the car-wheel logit, at block13.

block14:186 is the block14 channel with the strongest expanded weights to logit 479, car wheel
(`python -m mechanics search efficientnet_lite0 stage6 --score classes --classes 479`); its other
top classes are sundial and gong, round things. The top car unit of the car search, block14:74,
is stated beside it (photo_units): how strongly each responds to this photo, against every
scikit-image photo.
"""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="wheel_attribution",
    kind="attribution_explorer",
    title="Where the wheels are",
    caption=("Attribution of EfficientNet-Lite0's wheel unit block14:186 (the block14 channel with the strongest "
             "expanded weights to car wheel, as a whole channel) and of logit 479, car wheel, to block13 (7x7), "
             "on scikit-image's motorcycle_right photo: activation × gradient and integrated gradients against a zero "
             "baseline at block13. Cells under 10% of the largest norm are left blank; each method's completeness gap "
             "is stated under its map. Below the figure, each unit's strongest activation on the photo is set against "
             "its strongest on every scikit-image photo."),
    model="efficientnet_lite0",
    images=["skimage:motorcycle_right.png"],
    params=dict(image="skimage:motorcycle_right.png", layer="block13", targets=["block14:186", "logit:479"],
                methods=["gradxact", "ig"], ig_steps=64, input_size=224, min_weight=0.1,
                photo_units=["block14:186", "block14:74"],
                size=96, steps=128, objective="dot", seed=0),
)
