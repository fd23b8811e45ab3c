"""The research note's car neuron: InceptionV1 mixed4c:447 over mixed4b (needs InceptionV1's graph)."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="car_neuron",
    kind="decomposition_grid",
    title="The research note's car detector",
    caption=("InceptionV1 mixed4c channel 447, the research note's car detector, decomposed over the "
             "5x5 window it reads on mixed4b."),
    model="inception_v1",
    params=dict(target="mixed4c:447", at=[7, 7], earlier="mixed4b", mode="expanded", paths=["full"],
                size=224, steps=256, objective="dot", seed=0),
)
