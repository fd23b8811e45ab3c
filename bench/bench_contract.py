"""Validation of every committed figure against the contract, printed as `name: value` lines.

- validate_all_s: mechanics.contract.validate_figure over every folder of assets/figures with a
  figure.json (typed msgspec models, then the semantic checks), the best of 3 runs;
- schema_msgspec_s: the schema part alone: each figure.json and atlas layer file parsed into its
  model, best of 3;
- schema_jsonschema_s: the same files checked by jsonschema against the same schema
  (contract.json_schema(), Draft 2020-12), one run: the alternative the contract was chosen
  against (issue 18);
- jsonschema_over_msgspec: their ratio, measured in this run.
"""

import json
import sys
import time
from pathlib import Path

import jsonschema
import msgspec

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mechanics import contract  # noqa: E402

FIGURES = REPO / "assets" / "figures"


def figure_dirs():
    return [d for d in sorted(FIGURES.iterdir()) if (d / "figure.json").is_file()]


def documents():
    """(model, file bytes) of every figure.json and atlas layer file."""
    for folder in figure_dirs():
        text = (folder / "figure.json").read_bytes()
        yield contract.AnyFigure, text
        fig = json.loads(text)
        for layer in fig["layers"] if fig["kind"] == "atlas" else ():
            yield contract.AtlasLayer, (folder / layer["file"]).read_bytes()


def seconds(run, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    docs = list(documents())
    schema = contract.json_schema()
    validators = {contract.AnyFigure: jsonschema.Draft202012Validator(schema),
                  contract.AtlasLayer: jsonschema.Draft202012Validator({"$ref": "#/$defs/AtlasLayer",
                                                                        "$defs": schema["$defs"]})}
    validate_all = seconds(lambda: [contract.validate_figure(d.name, d) for d in figure_dirs()], 3)
    with_msgspec = seconds(lambda: [msgspec.json.decode(text, type=model) for model, text in docs], 3)
    with_jsonschema = seconds(lambda: [validators[model].validate(json.loads(text)) for model, text in docs], 1)
    print(f"figures: {len(figure_dirs())}")
    print(f"validate_all_s: {validate_all:.3f}")
    print(f"schema_msgspec_s: {with_msgspec:.3f}")
    print(f"schema_jsonschema_s: {with_jsonschema:.3f}")
    print(f"jsonschema_over_msgspec: {with_jsonschema / with_msgspec:.0f}")


if __name__ == "__main__":
    main()
