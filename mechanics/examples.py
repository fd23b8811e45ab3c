"""Dataset examples: the images of a folder that most activate a unit, with the crop of each under
the unit's receptive field at its strongest position.

    ex = examples.top_examples(model, "block12", 74, "path/to/photos", top=9)
    ex.to_json()                          # counts and, per example, path, activation, position, window
    writer.sprite("examples", ex.crops, 64)   # the crops, (K, h, w, 3) in [0, 1]
    examples.layer_examples(model, "block12", "path/to/photos", top=9)   # {channel: Examples}, one pass

The folder is read recursively (JPEG and PNG of any size, resized to the input size like every
engine input), in batches with a progress bar. A layer's activations are reduced per image to each
channel's maximum, its position and its spatial mean, and cached by (model weights id, layer, input
size, file sha256) under the engine's cache folder, so another unit of the same layer runs no forward
pass. An unreadable image is skipped and counted, never cached. `skimage:` names the folder of
scikit-image's bundled photos.
"""

import functools
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mechanics.errors import BadInput
from mechanics.model_files import package_dir, sha256_file
from mechanics.storage import cache_dir, write_atomic

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
SKIMAGE_FOLDER = "skimage:"
OUTSIDE = 0.5  # crop pixels where the receptive window leaves the image (the padding)
READERS = 4    # threads hashing and decoding files while TensorFlow runs on the previous batch


def image_folder(ref):
    """A folder of images: a path, or 'skimage:' for scikit-image's bundled photos."""
    if ref == SKIMAGE_FOLDER:
        return package_dir("skimage") / "data"
    folder = Path(ref)
    if not folder.is_dir():
        raise BadInput(f"image folder {ref!r} is not a folder; give a folder of JPEG/PNG images or {SKIMAGE_FOLDER}")
    return folder


def image_files(ref):
    """Every JPEG and PNG under a folder (recursively), sorted; BadInput when there are none."""
    folder = image_folder(ref)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise BadInput(f"image folder {ref} has no images: expected .jpg, .jpeg or .png files (searched recursively)")
    return files


@functools.lru_cache(maxsize=8)
def model_id(model):
    """The model's graph (architecture and weights) and input range, hashed: the cache's model key."""
    digest = hashlib.sha256(model._graph_def.SerializeToString(deterministic=True))
    digest.update(repr((model.input_name, model.image_value_range)).encode())
    return digest.hexdigest()[:16]


class ActivationCache:
    """Per image, a layer's (3, C) reduction: each channel's max, its flat position, its mean."""

    def __init__(self, model, layer, input_size):
        self.folder = cache_dir() / "activations" / f"{model_id(model)}-{layer.replace('/', '~')}-{input_size}"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, sha):
        return self.folder / sha[:2] / f"{sha}.npy"

    def get(self, sha):
        path = self._path(sha)
        try:
            return np.load(path) if path.is_file() else None
        except (OSError, ValueError):  # a damaged entry is recomputed
            return None

    def put(self, sha, reduced):
        path = self._path(sha)
        path.parent.mkdir(exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, reduced.astype(np.float32))
        write_atomic(path, buffer.getvalue())


@dataclass
class Scan:
    """A folder's activations at one layer, reduced per image (see ActivationCache)."""

    files: list                 # readable images, in folder order
    shas: list
    reduced: np.ndarray         # (N, 3, len(channels))
    channels: list
    map_size: int
    skipped: list = field(default_factory=list)  # (path, reason)
    computed: int = 0           # images run through the model
    cached: int = 0             # images read from the cache


def _read(path, size):
    """(pixels or None, reason) for one file."""
    from PIL import Image
    from mechanics.decompose import load_image
    try:
        return load_image(path, size), None
    except BadInput as exc:
        return None, str(exc)
    except (Image.DecompressionBombError, ValueError) as exc:
        return None, f"cannot read image {path}: {exc}"


class _Forward:
    """One graph giving a batch's per-channel max, argmax and mean at `layer`."""

    def __init__(self, model, layer, input_size, batch):
        from mechanics import decompose
        from mechanics.lucid_tf2 import tf
        self.batch, self.input_size = batch, input_size
        self.graph, self.t_input, T = decompose.import_graph(model, input_size, batch=batch)
        with self.graph.as_default():
            acts = T(layer)
            flat = tf.reshape(acts, [batch, -1, acts.shape[-1]])
            self.t_reduced = tf.stack([tf.reduce_max(flat, axis=1),
                                       tf.cast(tf.argmax(flat, axis=1), tf.float32),
                                       tf.reduce_mean(flat, axis=1)], axis=1)
        self.session = decompose.new_session(self.graph)

    def __call__(self, pixels):
        padded = np.zeros((self.batch, self.input_size, self.input_size, 3), np.float32)
        padded[: len(pixels)] = pixels
        return self.session.run(self.t_reduced, {self.t_input: padded})[: len(pixels)]

    def close(self):
        self.session.close()


def scan(model, layer, images, input_size=None, batch=16, progress=True, channels=None):
    """Reduce every image of a folder (or a list of files) at `layer`, from the cache where it can,
    keeping `channels` (default: all; the cache always holds all, so another channel is free later)."""
    from tqdm import tqdm
    input_size = input_size or model.default_size
    model.layer(layer)
    map_size = model.spatial_size(layer, input_size)
    files = image_files(images) if isinstance(images, (str, Path)) else [Path(p) for p in images]
    cache = ActivationCache(model, layer, input_size)
    channels = list(range(model.layer(layer).channels)) if channels is None else list(channels)
    result = Scan([], [], None, channels, map_size)
    rows, forward = [], None
    with ThreadPoolExecutor(READERS) as pool, tqdm(total=len(files), unit="img", desc=f"{layer} @{input_size}px",
                                                   disable=not progress) as bar:
        for start in range(0, len(files), batch):
            chunk = files[start:start + batch]
            shas = list(pool.map(sha256_file, chunk))
            hits = [cache.get(sha) for sha in shas]
            missing = [i for i, hit in enumerate(hits) if hit is None]
            read = list(pool.map(lambda i: _read(chunk[i], input_size), missing))
            good = [(i, pixels) for i, (pixels, _) in zip(missing, read) if pixels is not None]
            for i, (pixels, reason) in zip(missing, read):
                if pixels is None:
                    result.skipped.append((str(chunk[i]), reason))
            if good:
                forward = forward or _Forward(model, layer, input_size, batch)
                for (i, _), reduced in zip(good, forward(np.stack([p for _, p in good]))):
                    cache.put(shas[i], reduced)
                    hits[i] = reduced
                result.computed += len(good)
            result.cached += len(chunk) - len(missing)
            for path, sha, hit in zip(chunk, shas, hits):
                if hit is not None:
                    result.files.append(path)
                    result.shas.append(sha)
                    rows.append(hit[:, channels])
            bar.update(len(chunk))
    if forward:
        forward.close()
    if not rows:
        raise BadInput(f"no readable image among the {len(files)} files of {images}: "
                       f"{len(result.skipped)} unreadable (first: {result.skipped[0][1]})")
    result.reduced = np.stack(rows)
    return result


@dataclass
class Example:
    path: str
    sha256: str
    activation: float     # the channel's maximum over the map
    mean: float           # the channel's spatial mean
    position: tuple       # (y, x) of the maximum on the layer's map
    window: tuple         # (top, left, height, width) on the input, in pixels; may leave the image
    crop: np.ndarray      # (height, width, 3) in [0, 1], OUTSIDE where the window leaves the image

    def to_json(self):
        return {"path": self.path, "sha256": self.sha256, "activation": self.activation, "mean": self.mean,
                "position": list(self.position), "window": list(self.window)}


@dataclass
class Examples:
    model: str
    layer: str
    channel: int
    input_size: int
    images: int           # readable images ranked
    skipped: list         # (path, reason) of unreadable files
    computed: int
    cached: int
    examples: list        # Example, highest activation first
    maxima: np.ndarray    # (images,): every ranked image's maximum of the channel, the baseline of the top ones

    @property
    def crops(self):
        """(K, h, w, 3) in [0, 1]: every example's crop (one window size per layer and input size)."""
        return np.stack([e.crop for e in self.examples])

    def to_json(self):
        return {"model": self.model, "layer": self.layer, "channel": self.channel, "input_size": self.input_size,
                "images": self.images, "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
                "computed": self.computed, "cached": self.cached,
                "examples": [e.to_json() for e in self.examples]}

    def sheet(self, tile=128, columns=None):
        """A contact sheet (uint8 RGB): each crop scaled to tile x tile, with its rank and activation."""
        from PIL import Image, ImageDraw
        columns = columns or min(len(self.examples), 5)
        rows = -(-len(self.examples) // columns)
        label = 14
        sheet = Image.new("RGB", (columns * tile, rows * (tile + label)), (255, 255, 255))
        draw = ImageDraw.Draw(sheet)
        for i, example in enumerate(self.examples):
            x, y = (i % columns) * tile, (i // columns) * (tile + label)
            crop = Image.fromarray((np.clip(example.crop, 0, 1) * 255 + 0.5).astype(np.uint8))
            sheet.paste(crop.resize((tile, tile), Image.NEAREST if crop.width < tile else Image.LANCZOS), (x, y))
            draw.text((x + 2, y + tile + 1), f"{i + 1}: {example.activation:.3g}", fill=(0, 0, 0))
        return np.asarray(sheet)


def crop_window(pixels, window):
    """The (height, width, 3) part of an image under a window, OUTSIDE where it leaves the image."""
    top, left, h, w = window
    out = np.full((h, w, pixels.shape[-1]), OUTSIDE, np.float32)
    size_y, size_x = pixels.shape[:2]
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, size_y), min(left + w, size_x)
    if y1 > y0 and x1 > x0:
        out[y0 - top:y1 - top, x0 - left:x1 - left] = pixels[y0:y1, x0:x1]
    return out


def _ranked(model, layer, found, column, top, input_size):
    """Examples of the channel in `found.reduced`'s column `column`, highest maximum first."""
    from mechanics.decompose import load_image
    values = found.reduced[:, 0, column]
    chosen = []
    for i in np.argsort(-values, kind="stable")[:top]:
        position = divmod(int(found.reduced[i, 1, column]), found.map_size)
        window = model.window(layer, model.input_name, position, input_size)
        box = (window.top, window.left, window.height, window.width)
        crop = crop_window(load_image(found.files[i], input_size), box)
        chosen.append(Example(str(found.files[i]), found.shas[i], float(values[i]),
                              float(found.reduced[i, 2, column]), position, box, crop))
    return Examples(model.model_name, layer, found.channels[column], input_size, len(found.files), found.skipped,
                    found.computed, found.cached, chosen, values.copy())


def _check_top(top):
    if top < 1:
        raise BadInput(f"top {top} is out of range: ask for at least 1 example")


def top_examples(model, layer, channel, images, top=9, input_size=None, batch=16, progress=True):
    """The `top` images of a folder (or list of files) with the highest maximum of channel `channel`
    of `layer`, each with the crop of its input under the unit's receptive field there."""
    input_size = input_size or model.default_size
    model.check_channel(layer, channel)
    _check_top(top)
    found = scan(model, layer, images, input_size, batch, progress, channels=[channel])
    return _ranked(model, layer, found, 0, top, input_size)


def layer_examples(model, layer, images, top=9, channels=None, input_size=None, batch=16, progress=True):
    """{channel: Examples} for `channels` of `layer` (default: all) from one pass over the folder,
    e.g. for an atlas of the layer."""
    input_size = input_size or model.default_size
    for channel in channels or ():
        model.check_channel(layer, channel)
    _check_top(top)
    found = scan(model, layer, images, input_size, batch, progress, channels)
    return {channel: _ranked(model, layer, found, column, top, input_size)
            for column, channel in enumerate(found.channels)}
