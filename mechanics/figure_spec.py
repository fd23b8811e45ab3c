"""What a figure script declares at import time: cheap metadata, no engine import.

A figure script `figures_src/<name>.py` defines `FIGURE = FigureSpec(...)` at top level and
`def make(out_dir: pathlib.Path, quick: bool) -> None`, which imports the engine and writes
`figure.json` plus its sprites into `out_dir`.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FigureSpec:
    name: str
    kind: str
    title: str
    caption: str  # Markdown; the build appends figure.json's "summary" sentence
    model: str  # a zoo name (efficientnet_lite0/1/2, inception_v1) or a model path (see README)
    params: dict
    images: list[str] = field(default_factory=list)  # "skimage:chelsea.png" or paths
