"""The research note's car claim, tested so that it can succeed (figure kind claim_test).

The claim: a car unit's window wants a window-like direction in its top rows and a wheel
direction in its bottom rows. For each tested layer (decomposed over an earlier layer, expanded
weights at the model's native size, full path, centre neuron):

- every unit's **claim score** (`mechanisms.claim_scores`: wheel bottom − top plus window top −
  bottom) gives the layer's distribution, the null against which a unit's score is a percentile;
- a **positive control**, a synthetic window holding the window direction in its top rows and
  the wheel direction in its bottom rows, shows what a unit with the mechanism would score;
- the **units tested** are chosen by what they respond to: each channel's maximum activation on
  class visualizations of the car classes against those of control classes (a z score), not by
  their weights to the car logits;
- the **directions** are checked: their correlation with each other, and the wheel direction
  against the integrated-gradient attribution of the car-wheel logit on a photo with wheels.

    claim_test.claim_test(out_dir, FIGURE, quick)   # from a figure script of kind claim_test
"""

from dataclasses import replace

import numpy as np
from msgspec import UNSET

from mechanics import baselines, contract, decompose, facts, mechanisms, search
from mechanics.assets import FigureWriter
from mechanics.decompose import Target
from mechanics.inputs import resolve_image
from mechanics.recipes import input_hash, render_vectors, settings_of
from mechanics.render import unit_vectors
from mechanics.zoo import load_model

MEASURES = [
    contract.Legend(id="claim", label="claim score",
                    description="wheel: bottom − top plus window: top − bottom (correlations over channels of the "
                                "summed positive components of the rows below and above the centre row with each "
                                "direction)"),
    contract.Legend(id="wheel_bottom_minus_top", label="wheel: bottom − top",
                    description="how much more the bottom rows want the wheel direction than the top rows do"),
    contract.Legend(id="window_top_minus_bottom", label="window: top − bottom",
                    description="how much more the top rows want the window direction than the bottom rows do"),
    contract.Legend(id="response", label="car response",
                    description="the channel's mean maximum activation on the car classes' visualizations minus that "
                                "on the control classes', over their pooled standard deviation"),
]


def claim_values(positive, wheel, window):
    """{measure: value} of one window's positive components (h, w, C) (no response)."""
    scores = mechanisms.claim_scores(positive, wheel, window)
    return {"claim": scores.wheel_bottom_minus_top + scores.window_top_minus_bottom,
            "wheel_bottom_minus_top": scores.wheel_bottom_minus_top,
            "window_top_minus_bottom": scores.window_top_minus_bottom}


def positive_control(shape, wheel, window):
    """(h, w, C): the window a unit with the note's mechanism would have: the window direction's
    positive part in every row above the centre, the wheel direction's below, nothing in between."""
    h, w, c = shape
    control = np.zeros(shape, np.float64)
    control[: h // 2] = np.maximum(window, 0)
    control[(h + 1) // 2:] = np.maximum(wheel, 0)
    return control


def response_scores(acts, is_car):
    """(C,): per channel, (mean over car renders − mean over control renders) / pooled std of its
    maximum activation; acts (N, H, W, C), is_car (N,) bool."""
    peaks = acts.reshape(len(acts), -1, acts.shape[-1]).max(axis=1)
    car, other = peaks[is_car], peaks[~is_car]
    pooled = np.sqrt((car.var(axis=0, ddof=1) + other.var(axis=0, ddof=1)) / 2)
    return (car.mean(axis=0) - other.mean(axis=0)) / np.maximum(pooled, 1e-12)


def _class_renders(model, classes, settings):
    """Visualizations of ImageNet classes: each class's weights at `head`, the layer the logits
    average and read linearly, as a channel objective (so the logit itself, minus its bias)."""
    weights = search.class_weights(model, "head")
    return render_vectors(model, "head", weights[:, classes].T, replace(settings, spatial="channel"), "classes")[0]


def _resized(images, size):
    from PIL import Image
    return np.stack([np.asarray(Image.fromarray((np.clip(im, 0, 1) * 255 + 0.5).astype(np.uint8))
                                .resize((size, size), Image.BILINEAR), np.float32) / 255.0 for im in images])


def _direction_checks(model, earlier, wheel, window, photo, label):
    """The directions' correlation with each other, and the wheel direction against the summed IG
    attribution vectors of the car-wheel logit on a photo with wheels, with its null (the direction's
    entries permuted)."""
    a = decompose.attribute(model, photo, earlier, Target("logits", label), "ig", 32)
    summed = a.vectors.reshape(-1, a.vectors.shape[-1]).sum(axis=0)
    r = float(np.corrcoef(summed, wheel)[0, 1])
    null = baselines.direction_null(lambda d: np.corrcoef(summed, d)[0, 1], len(wheel), 1000, 0, like=wheel)
    return [contract.Check(id=f"{earlier}_wheel_window", label=f"wheel · window directions at {earlier}",
                           description="correlation over channels of the two reference directions (near 1 would "
                                       "blind the test)",
                           value=float(np.corrcoef(wheel, window)[0, 1])),
            contract.Check(id=f"{earlier}_wheel_ig", label=f"wheel direction · IG of logit {label} at {earlier}",
                           description=f"correlation of the wheel direction with the summed integrated-gradient "
                                       f"vectors of logit {label} on {str(photo).rsplit('/', 1)[-1]} (the same "
                                       f"direction permuted: 95% below {np.quantile(null, 0.95):.2f})",
                           value=r, null_q95=float(np.quantile(null, 0.95)))]


def _layer_result(model, layer, earlier, wheel, window, response, top, settings, writer):
    """The layer scored whole (a contract.ClaimLayer), and per unit whether both margins are positive."""
    windows = baselines.centre_decompositions(model, layer, earlier)
    positive = np.maximum(windows, 0)
    values = [claim_values(w, wheel, window) for w in positive]
    scores = np.array([v["claim"] for v in values])
    control = claim_values(positive_control(positive.shape[1:], wheel, window), wheel, window)
    order = np.argsort(-response, kind="stable")[:top]
    images, _ = render_vectors(model, layer, unit_vectors(len(scores), order), replace(settings, spatial="neuron"),
                               f"{layer} units")
    refs = writer.sprite(f"units_{layer}", images, 96, columns=len(order))
    units = [contract.ClaimUnit(channel=int(c), label=f"{layer}:{c}", image=ref, response_rank=i + 1,
                                percentile=baselines.layer_rank(scores, c)["percentile"],
                                values={**values[c], "response": float(response[c])})
             for i, (c, ref) in enumerate(zip(order, refs))]
    result = contract.ClaimLayer(
        id=layer, layer=layer, prev_layer=earlier, path="full", map_size=model.spatial_size(layer, model.default_size),
        label=f"{model.label} {layer} over {earlier}", n=len(scores), scores=scores.tolist(),
        quantiles=contract.Quantiles(**baselines.quantiles(scores)),
        control=contract.Control(label="positive control: window direction above, wheel direction below",
                                 value=control["claim"], values=control,
                                 percentile=baselines.rank(scores, control["claim"])["percentile"]),
        units=units)
    return result, [bool(v["wheel_bottom_minus_top"] > 0 and v["window_top_minus_bottom"] > 0) for v in values]


def _facts(layers, holds, checks, renders_n):
    """`holds`: per layer, per unit whether both margins are positive."""
    out = {"layers": facts.fact(len(layers), "count", what="layers tested"),
           "renders": facts.fact(renders_n, "count", what="class visualizations the units were chosen on")}
    for check in checks:
        out[facts.key(check.id)] = facts.fact(check.value, "signed", 2, check.label)
        if check.null_q95 is not UNSET:
            out[f"{facts.key(check.id)}_null_q95"] = facts.fact(check.null_q95, "number", 2, "its null's 95th percentile")
    for layer, layer_holds in zip(layers, holds):
        p = facts.key(layer.layer)
        out[f"{p}_units"] = facts.fact(layer.n, "count", what=f"units of {layer.layer}")
        out[f"{p}_map_size"] = facts.fact(layer.map_size, "count", what="its map's side at the native size")
        out[f"{p}_holds_share"] = facts.fact(np.mean(layer_holds), "share", 0,
                                             "share of its units for which both margins are positive")
        for q in ("q50", "q95", "q99"):
            out[f"{p}_{q}"] = facts.fact(getattr(layer.quantiles, q), "signed", 2,
                                         f"{q} of the claim score over the layer")
        out[f"{p}_max"] = facts.fact(max(layer.scores), "signed", 2, "the layer's highest claim score")
        out[f"{p}_control"] = facts.fact(layer.control.value, "signed", 2, "the positive control's claim score")
        out[f"{p}_control_percentile"] = facts.fact(layer.control.percentile, "number", 0,
                                                    "the control's percentile in the layer")
        for unit in layer.units:
            u = f"{p}_rank{unit.response_rank}"
            out[f"{u}_channel"] = facts.fact(unit.channel, "index", what="channel at this response rank")
            out[f"{u}_percentile"] = facts.fact(unit.percentile, "number", 0, "its claim score's percentile")
            for measure, value in unit.values.items():
                out[f"{u}_{measure}"] = facts.fact(value, "signed", 2, measure)
    return out


def claim_test(out_dir, figure, quick):
    """params: layers [[layer, earlier], ...], car_classes, control_classes, wheel, window (ImageNet
    ids), photo (a photo with wheels, for the direction check), top, plus render settings."""
    p = figure.params
    model = load_model(figure.model)
    settings = settings_of(p, quick)
    writer = FigureWriter(out_dir, figure.name, model, input_hash(figure), {**p, "render": settings.to_json()})
    classes = list(p["car_classes"]) + list(p["control_classes"])
    is_car = np.array([k in p["car_classes"] for k in classes])
    rendered = _class_renders(model, classes, settings)
    render_refs = writer.sprite("renders", rendered, 96, columns=len(p["car_classes"]))
    pixels = _resized(rendered, model.default_size)
    labels = model.class_labels or [f"class {k}" for k in range(1000)]
    layers, holds, checks = [], [], []
    for layer, earlier in p["layers"]:
        weights = search.centred(search.class_weights(model, earlier))
        wheel, window = weights[:, p["wheel"]].mean(axis=1), weights[:, p["window"]].mean(axis=1)
        response = response_scores(mechanisms.activations(model, layer, pixels), is_car)
        result, layer_holds = _layer_result(model, layer, earlier, wheel, window, response, p.get("top", 3), settings,
                                            writer)
        layers.append(result)
        holds.append(layer_holds)
        checks += _direction_checks(model, earlier, wheel, window, resolve_image(p["photo"]), p["wheel"][0])
    named = _facts(layers, holds, checks, len(classes))
    directions = [contract.Direction(id=name, label=label,
                                     classes=[contract.ClassLabel(class_=k, label=labels[k]) for k in p[name]])
                  for name, label in (("wheel", "wheel direction"), ("window", "window direction"))]
    renders = [contract.Render(class_=k, label=labels[k], group="car" if car else "control", image=ref)
               for k, car, ref in zip(classes, is_car, render_refs)]
    summary = (f"{model.label}: the car claim (windows above, wheels below) scored for every unit of "
               f"{', '.join(layer.label for layer in layers)}, with a positive control; units chosen by their "
               f"response to visualizations of {len(p['car_classes'])} car classes against {len(p['control_classes'])} "
               f"control classes ({settings.steps} steps at {settings.size} px).")
    writer.write(contract.ClaimTest, summary, measures=MEASURES, directions=directions, checks=checks, renders=renders,
                 layers=layers, facts=named)
