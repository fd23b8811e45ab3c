"""The one asset writer for every figure: image sprites plus figure.json (and an atlas's per-layer JSON), each written atomically.

A recipe builds the figure from the contract's typed models (`mechanics.contract`: a `Cell`, a
`Baseline`, ...) and hands the writer its kind's model class with the kind's fields; the writer adds
the fields every kind has and writes the model. Sprites are JPEG at quality 85, the contract's
choice for photographic pictures such as feature visualizations.

    refs = writer.sprite("unit", images, 128)                  # [contract.ImageRef]
    writer.write(contract.FactorView, summary, target=contract.Target(...), ...)
"""

import io
import json
import math

import msgspec
import numpy as np
from msgspec import UNSET
from PIL import Image

from mechanics import __version__
from mechanics.contract import CONTRACT_VERSION, Fact, ImageRef, Photo, Sprite
from mechanics.storage import write_atomic

JPEG_QUALITY = 85


def _plain(value):
    """msgspec's hook for what it cannot write: numpy's float64, a float, written as json writes one."""
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON data")


def encode(model, compact=False):
    """A contract model's bytes as the engine writes them: keys sorted, no NaN; figure.json indented by
    one space, an atlas's layer file (`compact`) without spaces."""
    layout = {"separators": (",", ":")} if compact else {"indent": 1}
    return json.dumps(msgspec.to_builtins(model, enc_hook=_plain), sort_keys=True, allow_nan=False, **layout).encode()


def to_uint8(images):
    return (np.clip(np.asarray(images, np.float32), 0, 1) * 255 + 0.5).astype(np.uint8)


class FigureWriter:
    """Collects a figure's sprites, then writes figure.json with the fields every kind has."""

    def __init__(self, out_dir, figure, model, input_hash, params):
        self.out_dir = out_dir
        self.figure = figure
        self.model = model
        self.input_hash = input_hash
        self.params = params
        self.sprites = {}

    def sprite(self, sprite_id, images, tile, columns=None):
        """Write images (N, s, s, 3) in [0, 1] as one sprite of tile x tile tiles; return their refs."""
        images = to_uint8(images)
        count = len(images)
        columns = columns or min(count, 8)
        rows = math.ceil(count / columns)
        sheet = Image.new("RGB", (columns * tile, rows * tile), (255, 255, 255))
        for i, image in enumerate(images):
            tile_image = Image.fromarray(image).resize((tile, tile), Image.LANCZOS)
            sheet.paste(tile_image, ((i % columns) * tile, (i // columns) * tile))
        buffer = io.BytesIO()
        sheet.save(buffer, "JPEG", quality=JPEG_QUALITY)
        file_name = f"{sprite_id}.jpg"
        write_atomic(self.out_dir / file_name, buffer.getvalue())
        self.sprites[sprite_id] = Sprite(file=file_name, tile=tile, columns=columns, count=count)
        return [ImageRef(sprite=sprite_id, index=i) for i in range(count)]

    def photo(self, file_name, pixels):
        """The input photo, (H, W, 3) in [0, 1], as a JPEG; returns its contract entry."""
        buffer = io.BytesIO()
        Image.fromarray(to_uint8(pixels)).save(buffer, "JPEG", quality=JPEG_QUALITY)
        write_atomic(self.out_dir / file_name, buffer.getvalue())
        return Photo(file=file_name, width=int(pixels.shape[1]), height=int(pixels.shape[0]))

    def layer_file(self, file_name, layer):
        """An atlas's layer (a contract.AtlasLayer) as a compact JSON file beside figure.json."""
        write_atomic(self.out_dir / file_name, encode(layer, compact=True))

    def write(self, kind, summary, facts=UNSET, **fields):
        """figure.json: `kind` is the kind's contract model (e.g. contract.Gallery), `fields` its own;
        `facts` are mechanics.facts' plain facts by name (what the article binds), typed here."""
        if facts is not UNSET:
            facts = msgspec.convert(facts, dict[str, Fact])
        figure = kind(contract=CONTRACT_VERSION, figure=self.figure, model=self.model.model_name,
                      model_label=self.model.label, engine_version=__version__, input_hash=self.input_hash,
                      params=self.params, sprites=self.sprites, summary=summary, facts=facts, **fields)
        write_atomic(self.out_dir / "figure.json", encode(figure))
        return figure
