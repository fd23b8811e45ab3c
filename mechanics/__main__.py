"""python -m mechanics: explore decompositions without writing a figure script.

Every subcommand has --help. Bad input prints one line naming the bad value and the
valid ones, and exits 2. Arguments that are cheap to check (names, sizes, positions,
image and output paths) are checked before TensorFlow and the model load.
"""

import argparse
import os
import re
import sys
from pathlib import Path

import numpy as np

from mechanics.errors import BadInput
from mechanics.inputs import MODEL_FILE_KINDS, MODEL_NAMES, check_model, resolve_image
from mechanics.site import cli
from mechanics.site.folders import usable_cache_dir
from mechanics.site.tensorflow_log import quiet_tensorflow

SIZE_RANGE = (8, 2048)       # input sizes in px
RENDER_SIZE_RANGE = (16, 1024)
STEPS_RANGE = (1, 100_000)


def _position(text):
    try:
        y, x = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"position {text!r} is not Y,X (two integers)")
    if y < 0 or x < 0:
        raise argparse.ArgumentTypeError(f"position {text!r} is negative: Y and X count from 0")
    return (y, x)


def _model_name(text):
    try:
        check_model(text)
    except BadInput as exc:
        raise argparse.ArgumentTypeError(str(exc))
    return text


def _layer_name(text):
    if not re.fullmatch(r"[\w./-]+", text):
        raise argparse.ArgumentTypeError(f"layer {text!r} is not a layer name (letters, digits, _ . / -)")
    return text


def _unit(text):
    if not re.fullmatch(r"[\w./-]+:\d+", text):
        raise argparse.ArgumentTypeError(f"unit {text!r} is not LAYER:CHANNEL (e.g. block10:101)")
    return text


def _target(text):
    if not re.fullmatch(r"(logit|[\w./-]+):\d+", text):
        raise argparse.ArgumentTypeError(f"target {text!r} is not logit:N or LAYER:CHANNEL")
    return text


def _image(text):
    from PIL import Image, UnidentifiedImageError
    try:
        path = resolve_image(text)
        with Image.open(path) as image:
            image.verify()
    except BadInput as exc:
        raise argparse.ArgumentTypeError(str(exc))
    except (OSError, UnidentifiedImageError) as exc:
        raise argparse.ArgumentTypeError(f"cannot read image {text}: {exc}")
    return str(path)


def _out_file(text):
    folder = Path(text).parent
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"output {text} is a folder; give a file name")
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"output {text}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"output {text}: folder {folder} is not writable")
    return text


def _model(name):
    from mechanics.zoo import load_model
    return load_model(name)


def cmd_models(args):
    from mechanics.inception_sources import graph_id
    from mechanics.zoo import load_model
    print("model\tlabel\tnative_size\tparameters\tsource")
    for name in MODEL_NAMES:
        if name == "inception_v1" and graph_id() == "unavailable":
            # Not fetched here: listing must not wait on downloads.
            print(f"{name}\tInceptionV1\t224\t-\tnot on this machine: online download, "
                  f"or MECHANICS_INCEPTION_V1=/path/to/graph")
            continue
        model = load_model(name)
        print(f"{name}\t{model.label}\t{model.default_size}\t{model.parameter_count}\t{model.source}")


def cmd_layers(args):
    model = _model(args.model)
    print("layer\tchannels\tsize\twindow_on_prev\tprev\tresidual")
    size = args.size or model.default_size
    for name in model.layer_names:
        info = model.layer(name)
        window = model.window(name, info.prev, model.centre(name, size), size)
        extent = f"{window.height}x{window.width}"
        size_here = model.spatial_size(name, size)
        print(f"{info.name}\t{info.channels}\t{size_here}x{size_here}\t{extent}\t{info.prev}\t{info.skip_from or '-'}")


def cmd_classify(args):
    from mechanics.classify import classify
    for class_id, label, probability in classify(_model(args.model), args.image):
        print(f"{class_id}\t{label}\t{probability:.4f}")


def _save(out_path, **arrays):
    np.savez(out_path, **{k: np.asarray(v) for k, v in arrays.items()})
    print(f"wrote {out_path}")


def cmd_decompose(args):
    if args.mode == "gradient" and args.image is None:
        raise BadInput("mode 'gradient' needs an image (--image); mode 'expanded' does not")
    from mechanics import decompose
    model = _model(args.model)
    target = decompose.Target.parse(args.unit, args.at)
    d = decompose.spatial(model, target, args.prev, args.mode, args.image, args.path, input_size=args.size)
    _save(args.out, vectors=d.vectors, positive=d.positive, negative=d.negative, norms=d.norms,
          offsets=d.offsets, model=args.model, unit=args.unit, prev=args.prev, mode=args.mode,
          path=args.path, size=args.size or model.default_size,
          at=list(target.position) if target.position is not None else [])


def cmd_attribute(args):
    from mechanics import decompose
    model = _model(args.model)
    a = decompose.attribute(model, args.image, args.layer, decompose.Target.parse(args.target),
                            args.method, args.steps, args.size)
    print(f"target_delta: {a.target_delta:.4f}\nattribution_sum: {a.attribution_sum:.4f}\n"
          f"completeness: {a.ratio:.3f}")
    _save(args.out, vectors=a.vectors, saliency=a.saliency, target_delta=a.target_delta,
          attribution_sum=a.attribution_sum, gap=a.gap, model=args.model, layer=args.layer,
          target=args.target, method=args.method)


def cmd_render(args):
    from mechanics import decompose
    from mechanics.assets import to_uint8
    from mechanics.recipes import render_vectors
    from mechanics.render import RenderSettings
    from PIL import Image
    model = _model(args.model)
    settings = RenderSettings(objective=args.objective, steps=args.steps, size=args.size, seed=args.seed)
    if args.quick:
        settings = settings.quick()
    target = decompose.Target.parse(args.unit, args.at)
    d = decompose.spatial(model, target, args.prev, "expanded", None, args.path, input_size=settings.size)
    part = getattr(d, args.part)
    images, _ = render_vectors(model, args.prev, part.reshape(-1, part.shape[-1]), settings, args.unit)
    h, w, s = d.window.height, d.window.width, settings.size
    sheet = to_uint8(images).reshape(h, w, s, s, 3).transpose(0, 2, 1, 3, 4).reshape(h * s, w * s, 3)
    Image.fromarray(sheet).save(args.out)
    print(f"wrote {args.out}")


def _class_list(text):
    try:
        classes = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"classes {text!r} is not a comma-separated list of class ids (0..999)")
    bad = [c for c in classes if not 0 <= c < 1000]
    if bad:
        raise argparse.ArgumentTypeError(f"class {bad[0]} is out of range: valid classes are 0..999")
    return classes


def cmd_search(args):
    """Rank a layer's channels by the spatial structure of their decomposition, or by their
    expanded weights to a set of classes (the car classes by default)."""
    from mechanics import search
    model = _model(args.model)
    layer = search.resolve_layer(model, args.layer)
    if args.score == "classes":
        classes = args.classes or list(search.CAR_CLASSES)
        rows = search.rank_by_classes(search.class_weights(model, layer, args.size), classes)
        print(f"# {model.label} {layer}: channels by class score for classes {','.join(map(str, classes))}")
        print("channel\tclass_score\tmean_weight\ttop_classes")
        for channel, score, mean, top in rows[: args.top]:
            names = "; ".join(f"{k} {model.class_labels[k] if model.class_labels else ''} ({w:+.2f})" for k, w in top)
            print(f"{channel}\t{score:.3f}\t{mean:.3f}\t{names}")
        return
    if args.prev is None:
        raise BadInput(f"score {args.score!r} decomposes each channel over an earlier layer: give --prev")
    rows = search.rank_channels(model, layer, args.prev, args.path, args.size or model.default_size, args.score)
    first, second, _ = search.SCORES[args.score]
    print(f"channel\t{first}\t{second}")
    for channel, a, b in rows[: args.top]:
        print(f"{channel}\t{a:.3f}\t{b:.3f}")


def _examples_out(text):
    if Path(text).suffix.lower() not in (".png", ".json"):
        raise argparse.ArgumentTypeError(f"output {text}: give a .png (contact sheet) or .json (the examples' data)")
    return _out_file(text)


def cmd_examples(args):
    """The images of a folder that most activate a unit, with the crop under its receptive field."""
    import json
    from mechanics import examples
    from mechanics.assets import to_uint8
    from mechanics.storage import write_atomic
    from PIL import Image
    layer, channel = args.unit.rsplit(":", 1)
    files = examples.image_files(args.images)  # an empty folder fails before TensorFlow loads
    model = _model(args.model)
    model.check_channel(layer, int(channel))
    ex = examples.top_examples(model, layer, int(channel), files, args.top, args.size, args.batch)
    for path, reason in ex.skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    print(f"# {model.label} {args.unit}: top {len(ex.examples)} of {ex.images} images "
          f"({len(ex.skipped)} unreadable skipped; {ex.computed} run, {ex.cached} from the cache)")
    print("rank\tactivation\tposition\twindow\tpath")
    for rank, e in enumerate(ex.examples, 1):
        print(f"{rank}\t{e.activation:.4f}\t{e.position[0]},{e.position[1]}\t"
              f"{e.window[2]}x{e.window[3]}@{e.window[0]},{e.window[1]}\t{e.path}")
    for out in args.out or ():
        if out.lower().endswith(".png"):
            Image.fromarray(ex.sheet()).save(out)
        else:
            write_atomic(out, json.dumps(ex.to_json(), indent=1).encode())
        print(f"wrote {out}")


def cmd_occlusion(args):
    """A unit's decomposition on an image against occlusion of each window position."""
    import json
    from mechanics import decompose, occlusion
    from mechanics.storage import write_atomic
    model = _model(args.model)
    result = occlusion.check(model, decompose.Target.parse(args.unit, args.at), args.prev, args.image,
                             args.mode, args.size, args.shuffles, args.seed)
    data = result.to_json()
    print(f"# {model.label} {result.target.label} over {args.prev} ({args.mode}): unit {result.unit_value:.4f}")
    for name in ("predicted", "measured"):
        print(f"{name}:")
        for row in data[name]:
            print("\t".join("-" if v is None else f"{v:.4f}" for v in row))

    def fmt(value):
        return "n/a (no spread)" if value is None else f"{value:.3f}"

    print(f"pearson: {fmt(data['pearson'])}\nspearman: {fmt(data['spearman'])}\npositions: {data['n']}")
    if data["null"]:
        q = data["null"]["quantiles"]
        print(f"null (shuffled positions, {data['null']['n']}): q05 {q['q05']:.3f} q50 {q['q50']:.3f} "
              f"q95 {q['q95']:.3f}; exceeded by {data['null']['exceeded_by']:.3f}")
    if args.out:
        write_atomic(args.out, json.dumps(data, indent=1).encode())
        print(f"wrote {args.out}")


def cmd_contract(args):
    import json

    from mechanics import contract
    if not (args.schema or args.folders):
        raise BadInput("contract needs --schema or a figure FOLDER (see python -m mechanics contract --help)")
    if args.schema:
        print(json.dumps(contract.json_schema(), indent=1))
    for folder in args.folders:
        figure = contract.validate_figure(folder.name, folder)
        print(f"{folder}: a valid {figure['kind']} figure (contract {contract.CONTRACT_VERSION})")


def _figure_folder(text):
    folder = Path(text)
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"figure folder {text!r} is not a folder")
    return folder


def parser():
    p = cli.Parser(prog="python -m mechanics", description=__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's and absl's log lines")
    sub = p.add_subparsers(dest="command", required=True, parser_class=cli.Parser)
    model_arg = dict(type=_model_name, help=f"{', '.join(MODEL_NAMES)}, or a path to a {MODEL_FILE_KINDS}")
    size = cli.integer(*SIZE_RANGE, what="size")

    s = sub.add_parser("models", help="list the models")
    s.set_defaults(run=cmd_models)

    s = sub.add_parser("layers", help="list a model's layers with channels, sizes and windows")
    s.add_argument("model", **model_arg)
    s.add_argument("--size", type=size, help="input size in px (default: the model's)")
    s.set_defaults(run=cmd_layers)

    s = sub.add_parser("classify", help="top 5 classes: class_id<TAB>label<TAB>probability")
    s.add_argument("model", **model_arg)
    s.add_argument("image", type=_image, help="image path, or skimage:NAME.png")
    s.set_defaults(run=cmd_classify)

    s = sub.add_parser("decompose", help="spatial decomposition of a unit into an earlier layer (.npz)")
    s.add_argument("model", **model_arg)
    s.add_argument("unit", type=_unit, help="LAYER:CHANNEL, e.g. block10:101")
    s.add_argument("--prev", type=_layer_name, required=True, help="the earlier layer, e.g. block9")
    s.add_argument("--at", type=_position, help="neuron position Y,X (default: the channel)")
    s.add_argument("--mode", choices=("expanded", "gradient"), default="expanded")
    s.add_argument("--image", type=_image, help="image for --mode gradient")
    s.add_argument("--path", choices=("full", "branch", "skip"), default="full")
    s.add_argument("--size", type=size, help="input size in px (default: the model's)")
    s.add_argument("--out", type=_out_file, required=True, help="output .npz")
    s.set_defaults(run=cmd_decompose)

    s = sub.add_parser("attribute", help="hidden-layer attribution vectors of an image (.npz)")
    s.add_argument("model", **model_arg)
    s.add_argument("image", type=_image, help="image path, or skimage:NAME.png")
    s.add_argument("--layer", type=_layer_name, required=True)
    s.add_argument("--target", type=_target, required=True, help="logit:N or LAYER:CHANNEL")
    s.add_argument("--method", choices=("ig", "gradxact"), default="ig")
    s.add_argument("--steps", type=cli.integer(*STEPS_RANGE, what="step count"), default=64,
                   help="integrated-gradient steps")
    s.add_argument("--size", type=size, help="input size in px (default: the model's)")
    s.add_argument("--out", type=_out_file, required=True)
    s.set_defaults(run=cmd_attribute)

    s = sub.add_parser("render", help="render a unit's decomposition as a contact sheet (.png)")
    s.add_argument("model", **model_arg)
    s.add_argument("unit", type=_unit, help="LAYER:CHANNEL")
    s.add_argument("--prev", type=_layer_name, required=True)
    s.add_argument("--at", type=_position)
    s.add_argument("--path", choices=("full", "branch", "skip"), default="full")
    s.add_argument("--part", choices=("positive", "negative"), default="positive")
    s.add_argument("--objective", choices=("dot", "cossim"), default="dot")
    s.add_argument("--steps", type=cli.integer(*STEPS_RANGE, what="step count"), default=256)
    s.add_argument("--size", type=cli.integer(*RENDER_SIZE_RANGE, what="render size"), default=128)
    s.add_argument("--seed", type=cli.integer(0, 2**31 - 1, what="seed"), default=0)
    s.add_argument("--quick", action="store_true", help="64 px, 24 steps")
    s.add_argument("--out", type=_out_file, required=True)
    s.set_defaults(run=cmd_render)

    s = sub.add_parser("search", help="rank a layer's channels: spatial structure of their decomposition, "
                                      "or their expanded weights to classes")
    s.add_argument("model", **model_arg)
    s.add_argument("layer", type=_layer_name, help="a layer, or stageN for the last block of stage N")
    s.add_argument("--prev", type=_layer_name, help="the earlier layer (scores structure and halves)")
    s.add_argument("--path", choices=("full", "branch", "skip"), default="branch")
    s.add_argument("--size", type=size, help="input size in px (default: the model's)")
    s.add_argument("--score", choices=("structure", "halves", "classes"), default="structure",
                   help="structure: components differ from each other; halves: the window's halves differ; "
                        "classes: mean expanded weight to --classes, centred and scaled over all classes")
    s.add_argument("--classes", type=_class_list,
                   help="class ids for --score classes, e.g. 479,817 (default: the 12 car classes)")
    s.add_argument("--top", type=cli.integer(1, 100_000, what="count"), default=10)
    s.set_defaults(run=cmd_search)

    s = sub.add_parser("examples", help="the images of a folder that most activate a unit, with the crop "
                                        "under its receptive field (activations cached per layer)")
    s.add_argument("model", **model_arg)
    s.add_argument("unit", type=_unit, help="LAYER:CHANNEL, e.g. block12:74")
    s.add_argument("--images", required=True, help="a folder of JPEG/PNG images (searched recursively), "
                                                  "or skimage: for scikit-image's photos")
    s.add_argument("--top", type=cli.integer(1, 10_000, what="count"), default=9)
    s.add_argument("--size", type=size, help="input size in px (default: the model's)")
    s.add_argument("--batch", type=cli.integer(1, 1024, what="batch size"), default=16)
    s.add_argument("--out", type=_examples_out, action="append",
                   help="a .png contact sheet or a .json file; may be given twice")
    s.set_defaults(run=cmd_examples)

    s = sub.add_parser("occlusion", help="check a unit's decomposition on an image: predicted against "
                                         "measured (occluded) contribution of each window position")
    s.add_argument("model", **model_arg)
    s.add_argument("unit", type=_unit, help="LAYER:CHANNEL")
    s.add_argument("--prev", type=_layer_name, required=True, help="the earlier layer, e.g. block9")
    s.add_argument("--image", type=_image, required=True, help="image path, or skimage:NAME.png")
    s.add_argument("--at", type=_position, help="neuron position Y,X (default: the centre)")
    s.add_argument("--mode", choices=("expanded", "gradient"), default="expanded")
    s.add_argument("--size", type=size, help="input size in px (default: the model's)")
    s.add_argument("--shuffles", type=cli.integer(1, 1_000_000, what="shuffle count"), default=1000)
    s.add_argument("--seed", type=cli.integer(0, 2**31 - 1, what="seed"), default=0)
    s.add_argument("--out", type=_out_file, help="output .json")
    s.set_defaults(run=cmd_occlusion)

    s = sub.add_parser("contract", help="the figure contract (mechanics/contract.py): --schema prints its JSON "
                                        "Schema, for writing your own components; FOLDER checks a figure")
    s.add_argument("--schema", action="store_true", help="print the JSON Schema of figure.json (an atlas's "
                                                           "layer file is $defs/AtlasLayer)")
    s.add_argument("folders", nargs="*", type=_figure_folder, metavar="FOLDER",
                   help="a figure folder (figure.json and its images) to check against the contract")
    s.set_defaults(run=cmd_contract, loads_model=False)
    return p


def main(argv=None):
    return cli.run(lambda: _run(parser().parse_args(argv)))


def _run(args):
    if not args.verbose:
        quiet_tensorflow()
    if getattr(args, "loads_model", True):
        usable_cache_dir("for model graphs")  # the command loads a model, whose graph is cached there
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
