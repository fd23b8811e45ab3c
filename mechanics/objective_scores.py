"""Neuron against channel objective, dot against cossim, scored over many units of a layer.

Each unit is rendered with all four objectives from the same start; each final image, without
transforms, is then scored at the unit's layer by what each objective asks for:

- ``centre``: the unit's activation at the layer's centre (what the neuron objective maximizes);
- ``mean``: its activation averaged over every position (what the channel objective maximizes);
- ``cosine``: the cosine between the centre's activation vector and the unit's own axis, i.e. its
  share of the activation there (what cossim rewards beside the dot product).

The start images, scored the same way, are the trivial baseline. Returns ``(fields, facts)`` for
`FigureWriter.write` (the fields as contract models), like mechanics.evidence:

    fields, named = objective_scores.score(model, "block10", channels, settings)
"""

from dataclasses import replace

import numpy as np

from mechanics import baselines, contract, evidence, facts, mechanisms
from mechanics.render import Renderer, unit_vectors

OBJECTIVES = (("neuron", "dot"), ("neuron", "cossim"), ("channel", "dot"), ("channel", "cossim"))
MEASURES = {"centre": "activation at the centre", "mean": "mean activation over the map",
            "cosine": "cosine with the unit's axis at the centre"}


def evenly_spaced(channels, n):
    """`n` channel ids spread evenly over a layer of `channels` (all of them if n >= channels)."""
    return sorted({int(round(c)) for c in np.linspace(0, channels - 1, min(n, channels))})


def measures(acts, channels, centre):
    """{measure: (N,)} of images' activations `acts` (N, H, W, C), image i scored for unit channels[i]."""
    rows = np.arange(len(channels))
    at_centre = acts[:, centre[0], centre[1], :]
    unit_centre = at_centre[rows, channels]
    return {"centre": unit_centre, "mean": acts.mean(axis=(1, 2))[rows, channels],
            "cosine": unit_centre / np.maximum(np.linalg.norm(at_centre, axis=1), 1e-12)}


def _render(model, layer, channels, settings):
    renderer = Renderer(model, layer, len(channels), settings, progress=True)
    try:
        return renderer.render(unit_vectors(model.layer(layer).channels, channels),
                               f"{layer} {settings.spatial} {settings.objective}").images
    finally:
        renderer.close()


def score(model, layer, channels, settings):
    """Every unit of `channels` rendered with each objective and scored by each measure."""
    centre = model.centre(layer, settings.size)
    start = _render(model, layer, channels, replace(settings, steps=0))
    trivial = measures(mechanisms.activations(model, layer, start), channels, centre)
    scored = {}
    for spatial, objective in OBJECTIVES:
        images = _render(model, layer, channels, replace(settings, spatial=spatial, objective=objective))
        scored[(spatial, objective)] = measures(mechanisms.activations(model, layer, images), channels, centre)
    return _fields(layer, channels, scored, trivial)


def _fields(layer, channels, scored, trivial):
    items, named = [], {}
    for (spatial, objective), values in scored.items():
        for measure, label in MEASURES.items():
            id_ = f"{spatial}_{objective}_{measure}"
            item = evidence.entry(id_, f"median {label}, {spatial} objective ({objective}), over {len(channels)} "
                                       f"{layer} units",
                                  baselines.baseline(measure, np.median(values[measure]),
                                                     trivial={"kind": "the random start image",
                                                              "value": float(np.median(trivial[measure]))}))
            items.append(item)
            digits = 2 if measure == "cosine" else 1
            named[id_] = facts.fact(item.value, "number", digits, item.label)
            named[f"{id_}_start"] = facts.fact(item.trivial.value, "number", digits,
                                               "the same for the random start image")
    named.update(_paired_facts(scored))
    named["scored_units"] = facts.fact(len(channels), "count", what=f"{layer} units scored with every objective")
    rows = [contract.ScoredUnit(channel=c, **{f"{s}_{o}": contract.RenderScores(**{m: float(v[m][i]) for m in MEASURES})
                                              for (s, o), v in scored.items()})
            for i, c in enumerate(channels)]
    return {"baselines": items,
            "objective_scores": contract.ObjectiveScores(layer=layer, measures=MEASURES, units=rows)}, named


def _paired_facts(scored):
    """Per unit, one objective against another on the measure that tells them apart; medians over units."""
    def ratio(a, b, measure):
        return np.median(scored[a][measure] / np.maximum(np.abs(scored[b][measure]), 1e-12))

    neuron, channel = ("neuron", "dot"), ("channel", "dot")
    dot, cossim = ("neuron", "dot"), ("neuron", "cossim")
    cosine_gain = scored[cossim]["cosine"] - scored[dot]["cosine"]
    return {
        "channel_over_neuron_centre": facts.fact(ratio(channel, neuron, "centre"), "number", 2,
                                                 "median ratio, channel render's centre activation to the neuron render's"),
        "neuron_over_channel_mean": facts.fact(ratio(neuron, channel, "mean"), "number", 2,
                                               "median ratio, neuron render's mean activation to the channel render's"),
        "cossim_over_dot_centre": facts.fact(ratio(cossim, dot, "centre"), "number", 2,
                                             "median ratio, cossim render's centre activation to the dot render's"),
        "cossim_minus_dot_cosine": facts.fact(np.median(cosine_gain), "number", 2,
                                              "median gain in cosine at the centre, cossim render over dot render"),
        "cossim_cosine_higher": facts.fact(np.mean(cosine_gain > 0), "share", 0,
                                           "share of units whose cossim render has the higher cosine"),
    }
