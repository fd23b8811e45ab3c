"""The atlas in the built site: atlas/index.html, and atlas/<model>/<layer>.html for each layer.

An atlas figure (kind "atlas", mechanics/atlas.py) is not embedded in the article. Its assets
are copied to assets/figures/<name>/ like any figure's, and each of its layers gets a page
(templates atlas/layer.html, drawn by static/components/atlas.js): the layer's JSON file rides
in the page, so it opens from file:// too, and its sprites load as they are needed.

The builder also tells the article's diagrams which atlas entries exist (atlas_links), so a
gallery item or a decomposition's unit links to its entry, `<page>#unit-<channel>`, only when
there is one. A build never computes an atlas: one that is missing, stale or corrupt is
listed (BuildReport.outdated_atlases) with the command that makes it, and a corrupt one is left out.

A layer page carries about 1 MB of JSON, so the pages are made again only when their inputs
change (an atlas's files, its status, the atlas templates or the base URL): a build links
unchanged pages from the previous site, and `serve` keeps the parsed layer files between rebuilds.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from mechanics.errors import BadInput
from mechanics.site import figure_cache
from mechanics.site.errors import FigureError
from mechanics.site.figure_cache import FigureStatus
from mechanics.site.folders import usable_cache_dir
from mechanics.storage import write_atomic

INDEX = "atlas/index.html"


@dataclass(frozen=True)
class AtlasLayer:
    figure: str
    model: str
    layer: str
    prev_layer: str
    path: str
    file: str       # the layer's JSON file in the figure folder
    page: str       # the page's path in the site
    channels: tuple


@dataclass(frozen=True)
class Atlas:
    figure: figure_cache.Figure
    status: FigureStatus  # corrupt ones have no pages
    progress: str   # figure_cache.atlas_progress() when not fresh, else ""
    message: str    # why a corrupt atlas is left out
    fig: dict       # the validated figure.json, or None when there is nothing to show
    layers: tuple

    @property
    def name(self):
        return self.figure.name


def model_folder(model):
    """The folder of a model's pages: its zoo name, or a model file's name without suffix."""
    name = model if re.fullmatch(r"[A-Za-z0-9_.-]+", model) else Path(model).stem
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "model"


def collect(project, figures):
    """The project's atlases, in name order, with their layers as read from their assets."""
    atlases, pages = [], {}
    for figure in figures.values():
        if not figure.is_atlas:
            continue
        state = figure_cache.status(figure, project.root)
        progress = figure_cache.atlas_progress(figure) if state != FigureStatus.FRESH else ""
        if state == FigureStatus.CORRUPT:
            atlases.append(Atlas(figure, state, progress, figure_cache.corrupt_message(figure), None, ()))
            continue
        if not (figure.assets / "figure.json").is_file():
            atlases.append(Atlas(figure, state, progress, "", None, ()))
            continue
        fig = figure_cache.validate(figure.name, figure.assets)
        layers = []
        for entry in fig["layers"]:
            page = f"atlas/{model_folder(fig['model'])}/{Path(entry['file']).stem}.html"
            if page in pages:
                raise FigureError(figure.name, f"layer {entry['layer']} of {fig['model']} is in atlas "
                                  f"{pages[page]!r} too; keep each layer in one atlas")
            pages[page] = figure.name
            layers.append(AtlasLayer(figure.name, fig["model"], entry["layer"], entry["prev_layer"], entry["path"],
                                     entry["file"], page, _channels(figure, entry["file"])))
        atlases.append(Atlas(figure, state, progress, "", fig, tuple(layers)))
    return atlases


def _layers(atlases):
    return [layer for atlas in atlases for layer in atlas.layers]


def atlas_links(project, atlases, wanted, depth=0):
    """{model: {layer: {"page": URL, "channels": [...]}}} of the atlas layers among `wanted`
    ((model, layer) pairs), as a page `depth` folders down links them; None if there are none.
    A diagram links unit `channel` to `page#unit-<channel>` when the channel is listed."""
    links = {}
    for layer in _layers(atlases):
        if (layer.model, layer.layer) in wanted:
            links.setdefault(layer.model, {})[layer.layer] = {"page": project.url(layer.page, depth),
                                                              "channels": list(layer.channels)}
    return links or None


def units_shown(fig):
    """The (model, layer) pairs whose units a figure shows: its target's and earlier layer's,
    its panels' (each of its own model), its items', or its layers' (a trends figure's, which
    name their model)."""
    pairs = set()
    for shown in [fig, *fig.get("panels", [])]:
        model = shown.get("model", fig.get("model"))
        if isinstance(shown.get("target"), dict):
            pairs.add((model, shown["target"]["layer"]))
        if "prev_layer" in shown:
            pairs.add((model, shown["prev_layer"]))
    pairs |= {(item["model"], item["layer"]) for item in fig.get("items", [])}
    pairs |= {(layer["model"], layer["layer"]) for layer in fig.get("layers", []) if "model" in layer}
    return pairs


def site_figures(atlases):
    """The atlas figures whose assets the site carries."""
    return [atlas.figure for atlas in atlases if atlas.fig is not None]


_parsed = {}  # (path, size, mtime_ns) -> a parsed layer file; read it, never change it
_rendered = {}  # project root -> (digest of the inputs, {path in the site: page text})


def _channels(figure, file):
    """The channels of an atlas layer file's units. A layer file is about 1 MB of JSON, so they
    are kept in the user's cache folder by the file's hash, and a build reads no layer file
    whose channels it knows."""
    digest = figure_cache.asset_files(figure.assets).get(file)
    known = _known_channels()
    if digest not in known:
        channels = [unit["channel"] for unit in _layer_file(figure.assets / file)["units"]]
        if digest is None:
            return tuple(channels)
        known[digest] = channels
        try:
            write_atomic(_channels_file(), json.dumps(known).encode())
        except (BadInput, OSError):
            pass  # no usable cache folder: read the layer file again next time
    return tuple(known[digest])


def _channels_file():
    return usable_cache_dir("for the atlas layers' channels") / "atlas-channels.json"


@cache
def _known_channels():
    """{layer file sha256: its units' channels}, as the cache folder holds them (read once)."""
    try:
        known = json.loads(_channels_file().read_text(encoding="utf-8"))
    except (BadInput, OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _layer_file(path):
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _parsed:
        if len(_parsed) > 64:
            _parsed.clear()
        _parsed[key] = json.loads(path.read_text(encoding="utf-8"))
    return _parsed[key]


def _inputs_digest(project, atlases):
    """A digest of everything the atlas pages are made from: the atlases' files and states, the
    base URL, the atlas templates (by their stat) and this module's source."""
    templates = sorted((project.templates_dir / "atlas").glob("*.html"))
    inputs = (project.base_url, jinja2.__version__, hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
              tuple((a.name, a.status, a.progress, a.message, a.figure.spec.title, a.figure.spec.caption,
                     tuple(figure_cache.asset_files(a.figure.assets).items()) if a.fig else ()) for a in atlases),
              tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in templates))
    return hashlib.sha256(repr(inputs).encode()).hexdigest()


def write_pages(project, atlases, render, staging, record):
    """atlas/index.html and one page per layer into `staging`; `render(template, context)`. A page
    made from the same inputs in the previous site is linked from it (site_record.SiteRecord):
    the pages, about 1 MB each, are rendered and written only when their inputs change."""
    if not atlases:
        return
    digest = _inputs_digest(project, atlases)
    missing = []
    for path in [INDEX, *(layer.page for layer in _layers(atlases))]:
        (staging / path).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        if not record.link(path, digest, staging / path):
            missing.append(path)
    if not missing:
        return
    if _rendered.get(project.root, (None,))[0] != digest:
        _rendered[project.root] = (digest, _render_pages(project, atlases, render))
    for path in missing:
        (staging / path).write_text(_rendered[project.root][1][path], encoding="utf-8")
        record.made(path, digest, staging / path)


def _render_pages(project, atlases, render):
    pages = {}
    common = {"static_url": project.url("static/", 2), "index_url": project.url(INDEX, 2),
              "article_url": project.url("index.html", 2)}
    models = _models(project, atlases, depth=2)
    for atlas in atlases:
        for layer in atlas.layers:
            context = _layer_context(project, atlases, atlas, layer, models)
            pages[layer.page] = render("atlas/layer.html", {**common, **context})
    index = render("atlas/index.html", {
        "static_url": project.url("static/", 1), "article_url": project.url("index.html", 1),
        "models": _models(project, atlases, depth=1)})
    pages[INDEX] = index
    return pages


def _models(project, atlases, depth):
    """One entry per model (by name, lite0 before lite1), with the layers of all its atlases, linked
    from a page `depth` folders down: the index's sections, and a layer page's navigation."""
    models = {}
    for a in atlases:
        model = models.setdefault(a.figure.spec.model, {"name": a.figure.spec.model, "label": None,
                                                        "atlases": [], "layers": []})
        if a.fig and not model["label"]:
            model["label"] = a.fig["model_label"]
        model["atlases"].append({"name": a.name, "title": a.figure.spec.title, "status": a.status,
                                 "progress": a.progress, "message": a.message,
                                 "summary": a.fig["summary"] if a.fig else ""})
        model["layers"] += [{"layer": l.layer, "prev_layer": l.prev_layer, "path": l.path,
                             "units": len(l.channels), "url": project.url(l.page, depth), "page": l.page}
                            for l in a.layers]
    return [{**model, "label": model["label"] or model["name"]}
            for model in sorted(models.values(), key=lambda model: figure_cache.natural_key(model["name"]))]


def _layer_context(project, atlases, atlas, layer, models):
    fig = atlas.fig
    data = _layer_file(atlas.figure.assets / layer.file)
    sprites = {ref["sprite"] for unit in data["units"] for ref in _images(unit)}
    page_sprites = {sid: fig["sprites"][sid] for sid in sorted(sprites)}
    # The earlier layer's units, when any atlas of this model has them: their tiles illustrate the
    # top channels. Another atlas's sprites are named by its folder, next to this one's.
    prev_atlas, prev = next(((a, l) for a in atlases if a.fig and a.fig["model"] == fig["model"]
                             for l in a.layers if l.layer == layer.prev_layer), (None, None))
    prev_units = {}
    if prev is not None:
        prefix = "" if prev_atlas is atlas else f"../{prev_atlas.name}/"
        for unit in _layer_file(prev_atlas.figure.assets / prev.file)["units"]:
            sid = prefix + unit["unit_image"]["sprite"]
            prev_units[str(unit["channel"])] = {**unit["unit_image"], "sprite": sid}
            sprite = prev_atlas.fig["sprites"][unit["unit_image"]["sprite"]]
            page_sprites[sid] = {**sprite, "file": prefix + sprite["file"]}
    page_data = {**data, "model": fig["model"], "model_label": fig["model_label"],
                 "sprites": page_sprites, "prev_units": prev_units}
    return {
        "title": f"{fig['model_label']} {layer.layer}",
        "atlas_title": atlas.figure.spec.title,
        "name": atlas.name, "status": atlas.status,
        "layer": layer, "units": data["units"], "window": data["window"], "position": data["position"],
        "data": page_data,
        "asset_url": project.url(f"assets/figures/{atlas.name}/", 2),
        "units_sprite": fig["sprites"][data["units"][0]["unit_image"]["sprite"]]["file"],
        "atlas_links": atlas_links(project, atlases, {(fig["model"], layer.prev_layer)}, 2),
        # Every layer of this model, whichever atlas holds it, then the other models' layers.
        "layers": [{**l, "current": l["page"] == layer.page} for m in models if m["name"] == fig["model"] for l in m["layers"]],
        "other_models": [m for m in models if m["name"] != fig["model"] and m["layers"]],
    }


def _images(unit):
    yield unit["unit_image"]
    for cell in unit["cells"]:
        yield cell["image"]
