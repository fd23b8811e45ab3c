"""Neuron against channel objective, dot against cossim, for EfficientNet-Lite0 block10:101, and scored over
24 units of block10 (scored_units; mechanics.objective_scores)."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="objectives_compared",
    kind="objective_comparison",
    title="Which objective to visualize with",
    caption=("The same EfficientNet-Lite0 unit, block10 channel 101, visualized with a neuron objective (its centre "
             "position) and a channel objective (every position), each by dot product and by cosine "
             "similarity; the neuron panels also show its branch decomposition over block9. Below the figure, units "
             "evenly spaced over block10, each rendered with all four objectives: the medians of "
             "what each objective asks for (activation at the centre, mean activation, cosine with the unit's "
             "axis), beside the same for the random start image."),
    model="efficientnet_lite0",
    params=dict(target="block10:101", at=[3, 3], earlier="block9", path="branch",
                scored_units=24, size=96, steps=192, seed=0),
)
