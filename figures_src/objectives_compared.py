"""Neuron against channel objective, dot against cossim, for EfficientNet-Lite0 block10:101."""

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="objectives_compared",
    kind="objective_comparison",
    title="Which objective to visualize with",
    caption=("The same unit, block10 channel 101, visualized with a neuron objective (its centre "
             "position) and a channel objective (every position), each by dot product and by cosine "
             "similarity; the neuron panels also show its branch decomposition over block9."),
    model="efficientnet_lite0",
    params=dict(target="block10:101", at=[3, 3], earlier="block9", path="branch",
                size=96, steps=192, seed=0),
)


def make(out_dir, quick):
    from mechanics import recipes
    recipes.objective_comparison(out_dir, FIGURE, quick)
