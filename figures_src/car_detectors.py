"""The car-detector search in EfficientNet-Lite0, Lite1 and Lite2: the top six channels of each by their class score for the car classes."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="car_detectors",
    kind="unit_ranking",
    title="Searching three models for car detectors",
    caption=("The channels of the last block of stage 6 (192 or 208 channels, 5x5 depthwise kernels) of each "
             "EfficientNet-Lite model, ranked by their class score for twelve ImageNet car classes (car wheel, "
             "sports car, convertible, cab, racer, grille, minivan, jeep, limousine, beach wagon, pickup, Model T): "
             "the mean of their expanded weights to those logits, centred and scaled by their weights to all 1000. "
             "Each row's thumbnail is the unit's own visualization (centre neuron), the check that it looks like a car part. "
             "Rerun with `python -m mechanics search MODEL stage6 --score classes`."),
    model="efficientnet_lite0",
    params=dict(models=["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"], stage="stage6",
                classes=[479, 817, 511, 468, 751, 581, 656, 609, 627, 436, 717, 661], top=6,
                size=128, steps=256, objective="dot", seed=0),
)
