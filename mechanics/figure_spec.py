"""What a figure script declares at import time: cheap metadata, no engine import.

A figure script `figures_src/<name>.py` is a declaration: `FIGURE = FigureSpec(...)` at top level.
Its kind's recipe (mechanics.site.figure_params) makes it: it imports the engine and writes
`figure.json` plus its sprites into the output folder. A custom figure also defines
`def make(out_dir: pathlib.Path, quick: bool) -> None`, which is called instead.
"""

from dataclasses import dataclass, field

# The params keys that are render settings (mechanics.render.RenderSettings' fields), read by every recipe.
SETTING_KEYS = ("size", "steps", "learning_rate", "seed", "objective", "spatial", "transforms", "redirected_steps")


@dataclass(frozen=True)
class FigureSpec:
    name: str
    kind: str
    title: str
    caption: str  # Markdown; the build appends figure.json's "summary" sentence
    model: str  # a zoo name (efficientnet_lite0/1/2, inception_v1) or a model path (see README)
    params: dict
    images: list[str] = field(default_factory=list)  # "skimage:chelsea.png" or paths
