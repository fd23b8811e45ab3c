"""The research note's car claim (windows above, wheels below) tested over every unit of three
EfficientNet-Lite0 layers, with a positive control and units chosen by their response to cars."""

from mechanics.figure_spec import FigureSpec

CARS = [479, 817, 511, 468, 751, 581, 656, 609, 627, 436, 717, 661]
# Twelve classes drawn from the other 988 with numpy's default_rng(0) (bulbul ... shipwreck):
# sorted(rng.choice([k for k in range(1000) if k not in CARS], 12, replace=False)).
CONTROLS = [16, 40, 73, 172, 264, 301, 503, 629, 647, 812, 843, 913]

FIGURE = FigureSpec(
    name="car_claim_test",
    kind="claim_test",
    title="The car claim, tested against every unit of a layer",
    caption=("EfficientNet-Lite0, the research note's claim (a car unit wants windows in the top of its window and "
             "wheels in the bottom) scored for every unit of block10 (mid-network, a 14x14 map at 224 px, like "
             "InceptionV1's mixed4c), block14 (the end of stage 6, where the weight search found its car units) and "
             "block15 (the last stage), each centre neuron decomposed over the block before (expanded weights, full "
             "path). The claim score adds how much more the bottom rows want the wheel direction (logit 479, car "
             "wheel) than the top rows do, and how much more the top rows want the window direction (logits 904 and "
             "905, window screen and window shade) than the bottom rows do. The histogram is the layer; the positive "
             "control is a synthetic window with the window direction above and the wheel direction below; the units "
             "marked are the three that respond most to visualizations of the twelve car classes against twelve "
             "random other classes (shown below)."),
    model="efficientnet_lite0",
    images=["skimage:motorcycle_right.png"],
    params=dict(layers=[["block10", "block9"], ["block14", "block13"], ["block15", "block14"]],
                car_classes=CARS, control_classes=CONTROLS, wheel=[479], window=[904, 905],
                photo="skimage:motorcycle_right.png", top=3, size=128, steps=256, objective="dot", seed=0),
)
