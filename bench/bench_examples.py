"""Benchmark: dataset examples' images per second, from cold and with the activation cache.

Writes N generated photos (JPEG, assorted sizes around 500x400, like a folder of camera images)
to a temporary folder, with the cache in a temporary XDG_CACHE_HOME (the model's graph is read
from the real cache first, so its one-off build is not timed), then times in one run:
- cold: one unit of the layer (hash, decode, forward pass, cache write per image);
- cached: another unit of the same layer (hash, cache read; no forward pass);
- the forward pass alone on already-decoded images, for the share of cold time that is the model.

    .venv/bin/python bench/bench_examples.py [--images 96] [--model efficientnet_lite0] [--layer block9]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from mechanics import examples  # noqa: E402
from mechanics.zoo import load_model  # noqa: E402


def write_photos(folder, count, seed=0):
    """Smooth random colour fields with noise, so JPEG decoding costs what a photo's does."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        h, w = rng.integers(360, 480), rng.integers(440, 640)
        coarse = rng.uniform(0, 255, (h // 40 + 2, w // 40 + 2, 3)).astype(np.uint8)
        field = np.asarray(Image.fromarray(coarse).resize((w, h), Image.BICUBIC), np.float32)
        pixels = np.clip(field + rng.normal(0, 12, field.shape), 0, 255).astype(np.uint8)
        sub = folder / f"set{i % 4}"
        sub.mkdir(exist_ok=True)
        Image.fromarray(pixels).save(sub / f"photo{i:05d}.jpg", quality=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--layer", default="block9")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    model = load_model(args.model)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "photos"
        folder.mkdir()
        write_photos(folder, args.images)
        os.environ["XDG_CACHE_HOME"] = str(Path(scratch) / "cache")

        start = time.perf_counter()
        cold = examples.top_examples(model, args.layer, 0, str(folder), top=9, batch=args.batch, progress=False)
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        warm = examples.top_examples(model, args.layer, 1, str(folder), top=9, batch=args.batch, progress=False)
        warm_s = time.perf_counter() - start
        assert cold.computed == args.images and warm.computed == 0 and warm.cached == args.images

        files = examples.image_files(str(folder))[: args.batch]
        pixels = np.stack([examples._read(f, model.default_size)[0] for f in files])
        forward = examples._Forward(model, args.layer, model.default_size, args.batch)
        forward(pixels)  # the first run allocates
        start = time.perf_counter()
        forward(pixels)
        forward_s = time.perf_counter() - start
        forward.close()

    print(f"images: {args.images} ({args.model} {args.layer} at {model.default_size} px, batch {args.batch})")
    print(f"cold_images_per_s: {args.images / cold_s:.1f}")
    print(f"cached_images_per_s: {args.images / warm_s:.1f}")
    print(f"cached_over_cold: {cold_s / warm_s:.1f}")
    print(f"forward_only_images_per_s: {args.batch / forward_s:.1f}")
    print(f"forward_share_of_cold: {(args.images / args.batch * forward_s) / cold_s:.2f}")


if __name__ == "__main__":
    main()
