"""Build, preview and check the Neuron Mechanics article; regenerate its figures.

  python build.py [--no-figures]         build _site/ (regenerating stale figures first)
  python build.py serve [--port N]       build, serve on 127.0.0.1 and live-reload on edits
  python build.py figures [NAME ...]     regenerate stale figures [--force] [--quick] [--list] [--verbose]
                                         [--workers N | --ray ADDRESS] (an atlas's, on Ray)
  python build.py check                  validate the sources and the built site
  python build.py pdf [--out FILE]       build the site, print the article to PDF with chromium
                      [--paper a4|letter] (default: index.pdf in the site)

Every command takes --root DIR (the project, default: this repository), --out DIR (default:
ROOT/_site) and --base-url URL (default: relative URLs, which work under any base path).
Bad input prints one line naming the file and line (or the figure) and exits with status 2.

An atlas figure (kind "atlas") takes tens of minutes: neither a build nor `figures` without
names starts one; they list it, with its progress and the command that makes it.
"""

import argparse
import os
import signal
import socket
import sys
import time
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.site import cli
from mechanics.site.errors import Interrupted
from mechanics.site.folders import check_root
from mechanics.site.project import Project

REPO = Path(__file__).resolve().parent
RAY_CONNECT_TIMEOUT_S = 10  # a head that takes longer to accept a connection is not one to run on

port_number = cli.integer(0, 65535, valid="give 1024-65535, or 0 for a free port")
worker_count = cli.integer(1, valid="give how many Ray tasks run at once, 1 or more")


def ray_address(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give the Ray head's address, e.g. 10.0.0.5:6379")
    return text


def check_ray_reachable(address, where):
    """Fail at once, naming the address, when nothing listens there: ray.init would wait minutes.
    ("auto" and "local" are Ray's own words for a cluster found on this machine, or a new one.)"""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise BadInput(f"{where} {address!r} is not HOST:PORT, e.g. 10.0.0.5:6379 (the head's address)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=RAY_CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise BadInput(f"cannot reach a Ray cluster at {address} ({where}): {error.strerror or error}; start one "
                       "with `ray start --head --port 6379` on the head (README: On a cluster) and give its "
                       "HOST:6379, or use --workers N for a local Ray instance") from None


def _terminate(signum, frame):
    raise Interrupted("SIGTERM")  # in the main thread, so cleanup runs as for Ctrl-C


def parse_args(argv):
    # Common options are accepted before or after the subcommand; SUPPRESS keeps a subcommand's
    # parser from overwriting a value given before it.
    located = cli.Parser(add_help=False)  # pdf has its own --out (the PDF file)
    located.add_argument("--root", type=Path, default=argparse.SUPPRESS, help="project directory (default: this repository)")
    located.add_argument("--base-url", default=argparse.SUPPRESS,
                         help="URL path the site is served under, e.g. /drafts/nm/ (default: relative URLs)")
    common = cli.Parser(add_help=False, parents=[located])
    common.add_argument("--out", type=Path, default=argparse.SUPPRESS, help="output directory (default: ROOT/_site)")
    parser = cli.Parser(description=__doc__.split("\n\n")[0], parents=[common],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--no-figures", action="store_true",
                        help="do not regenerate figures; mark stale ones on the page")
    commands = parser.add_subparsers(dest="command", metavar="{serve,figures,check,pdf}", parser_class=cli.Parser)
    serve = commands.add_parser("serve", parents=[common],
                                help="build a preview (in the cache, never --out), serve it on 127.0.0.1, live-reload on edits")
    serve.add_argument("--port", type=port_number, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    figures = commands.add_parser("figures", parents=[common], help="regenerate the named figures, or the stale ones")
    figures.add_argument("names", nargs="*", metavar="NAME", help="figures to regenerate (default: every stale one)")
    figures.add_argument("--force", action="store_true", help="regenerate even if fresh")
    figures.add_argument("--quick", action="store_true", help="few steps, small size: draft assets, stale for a full build")
    figures.add_argument("--list", action="store_true", help="list every figure with its status, inputs, duration and size")
    figures.add_argument("--verbose", action="store_true", help="show TensorFlow's and absl's log lines")
    ray = figures.add_mutually_exclusive_group()
    ray.add_argument("--workers", type=worker_count, metavar="N",
                     help="run a named atlas's work items on a local Ray instance, N tasks at a time")
    ray.add_argument("--ray", metavar="ADDRESS", type=ray_address,
                     help="run a named atlas's work items on an existing Ray cluster (default: Ray's RAY_ADDRESS, if set)")
    commands.add_parser("check", parents=[common], help="validate figures, citations, links and self-containment")
    pdf = commands.add_parser("pdf", parents=[located], help="build the site, then print the article to PDF with chromium")
    pdf.add_argument("--out", dest="pdf_out", type=Path, metavar="FILE",
                     help="the PDF to write (default: index.pdf in the site, which the page then links to); "
                          "the site goes to ROOT/_site, or the --out given before 'pdf'")
    pdf.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    pdf.add_argument("--no-figures", action="store_true", default=argparse.SUPPRESS,
                     help="do not regenerate figures; mark stale ones on the page")
    args = parser.parse_args(argv)
    if args.command == "serve" and hasattr(args, "out"):
        raise BadInput("serve builds its preview in its own folder and never into --out; "
                       "leave --out out (it is for the build and check commands)")
    root = getattr(args, "root", REPO)
    check_root(root)
    project = Project.at(root, getattr(args, "out", None), getattr(args, "base_url", ""))
    return args, project


def run_build(project, regenerate):
    from mechanics.site import builder

    started = time.monotonic()
    report = builder.build(project, regenerate=regenerate)
    print(f"built {project.out / 'index.html'} in {time.monotonic() - started:.2f}s")
    for figure in report.outdated:
        print(f"  Figure {figure.number} ({figure.name}) is {figure.status}: run python build.py figures {figure.name}")
    for atlas in report.outdated_atlases:
        print(f"  {_atlas_note(atlas.name, atlas.status, atlas.progress)}")


def _atlas_note(name, status, progress):
    return f"Atlas {name} is {status} ({progress}): run python build.py figures {name} [--workers N | --ray ADDRESS]"


def run_figures(project, args):
    from mechanics.site import figure_cache

    figures = figure_cache.discover(project)
    unknown = [name for name in args.names if name not in figures]
    if unknown:
        raise BadInput(f"unknown figure {unknown[0]!r}; figures in {project.figures_src}: {', '.join(figures) or 'none'}")
    chosen = [figures[name] for name in args.names] if args.names else list(figures.values())
    if args.list:
        for figure in chosen:
            print(_describe(figure, project, figure_cache, args.quick))
        durations = [m["duration_s"] for m in (f.manifest() or {} for f in chosen) if "duration_s" in m]
        unmeasured = len(chosen) - len(durations)
        print(f"regenerating these {len(chosen)} figures from scratch: {sum(durations) / 60:.1f} min "
              f"(sum of their last runs on this machine)" + (f"; {unmeasured} never made here" if unmeasured else ""))
        return
    if args.workers is not None or args.ray is not None:
        option = "--workers" if args.workers is not None else "--ray"
        if not args.names:
            raise BadInput(f"{option} runs an atlas on Ray: name the atlas, e.g. python build.py figures "
                           f"{next((f.name for f in chosen if f.is_atlas), 'ATLAS_NAME')} {option} ...")
        refusing = next((f for f in chosen if not f.runs_on_ray), None)
        if refusing is not None:
            raise BadInput(f"{option} is for figures of a kind that runs on Ray (atlas); figure {refusing.name!r} "
                           f"({refusing.script.name}) is a {refusing.spec.kind}: leave it out or drop {option}")
    if not args.names:  # an atlas takes tens of minutes: only when named
        for figure in (f for f in chosen if f.is_atlas):
            state = figure_cache.status(figure, project.root, args.quick)
            if state != figure_cache.FigureStatus.FRESH:
                print(_atlas_note(figure.name, state, figure_cache.atlas_progress(figure, args.quick)))
        chosen = [f for f in chosen if not f.is_atlas]
    address = args.ray or (os.environ.get("RAY_ADDRESS") if args.workers is None else None)
    if address and any(f.is_atlas for f in chosen):  # only an atlas goes to Ray
        check_ray_reachable(address, "--ray" if args.ray else "RAY_ADDRESS")
    unavailable = figure_cache.refresh(chosen, project, quick=args.quick, force=args.force,
                                       workers=args.workers, ray_address=args.ray, verbose=args.verbose)
    if unavailable:
        print(f"not generated (weights unavailable): {', '.join(unavailable)}")


def _describe(figure, project, figure_cache, quick):
    status = figure_cache.status(figure, project.root)
    manifest = figure.manifest() or {}
    spec = figure.spec
    made = (f"{manifest['duration_s']:.1f}s, {manifest['asset_bytes'] / 1e6:.2f} MB"
            if "duration_s" in manifest else "never made")
    images = figure_cache.atlas_progress(figure, quick) if figure.is_atlas else ", ".join(spec.images) or "no images"
    params = ", ".join(f"{k}={v}" for k, v in sorted(spec.params.items()))
    unverified = "; files unverified (no hashes in its manifest)" if status == figure_cache.FigureStatus.FRESH and "files" not in manifest else ""
    return f"{figure.name:24} {status:8} {made:24} {spec.kind}; {spec.model}; {images}; {params}{unverified}"


def main(argv=None):
    signal.signal(signal.SIGTERM, _terminate)
    return cli.run(lambda: _run(argv))


def _run(argv):
    try:
        args, project = parse_args(argv)
        if args.command is None:
            run_build(project, regenerate=not args.no_figures)
        elif args.command == "serve":
            from mechanics.site import server

            server.serve(project, args.port)
        elif args.command == "figures":
            run_figures(project, args)
        elif args.command == "check":
            from mechanics.site import check

            problems, warnings = check.run(project)
            for problem in problems:
                print(problem)
            for warning in warnings:
                print(f"warning: {warning}")
            print((f"check: {len(problems)} problem(s)" if problems else "check: ok")
                  + (f", {len(warnings)} warning(s)" if warnings else ""))
            return 1 if problems else 0
        elif args.command == "pdf":
            from mechanics.site import pdf

            printed = pdf.run(project, args.pdf_out, args.paper, regenerate=not args.no_figures)
            print(f"printed {printed.path}: {printed.pages} pages, {printed.bytes / 1e6:.1f} MB "
                  f"(build {printed.build_s:.1f}s, print {printed.print_s:.1f}s)")
    except KeyboardInterrupt:
        return _interrupted(Interrupted("Ctrl-C"))
    except Interrupted as stop:
        return _interrupted(stop)
    return 0


def _interrupted(stop):
    return cli.error_line(stop, stop.exit_status)


if __name__ == "__main__":
    sys.exit(main())
