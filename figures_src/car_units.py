"""The best car unit of each EfficientNet-Lite model, decomposed over the block before, with the research note's claim as a measure."""

from mechanics.figure_spec import FigureSpec

CARS = [479, 817, 511, 468, 751, 581, 656, 609, 627, 436, 717, 661]

FIGURE = FigureSpec(
    name="car_units",
    kind="decomposition_comparison",
    title="Do the car units want windows above and wheels below?",
    caption=("For each EfficientNet-Lite model, the top channel of the car-detector search (the last block of "
             "stage 6), its centre neuron decomposed over the block before on the residual branch (expanded weights, "
             "positive part). Each cell is scored against two directions at that earlier layer: the wheel direction "
             "(what logit 479, car wheel, wants there) and the window direction (what logits 904 and 905, window screen "
             "and window shade, the only ImageNet classes that are windows, want there), both centred over the 1000 "
             "classes. The note's claim holds if the bottom rows want the wheel more than the top rows do, and the top "
             "rows the window more than the bottom rows do."),
    model="efficientnet_lite0",
    params=dict(models=["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"], stage="stage6",
                select={"by": "classes", "classes": CARS}, claim={"wheel": [479], "window": [904, 905]},
                size=128, steps=256, objective="dot", seed=0),
)


def make(out_dir, quick):
    from mechanics import cross_model
    cross_model.decomposition_comparison(out_dir, FIGURE, quick)
