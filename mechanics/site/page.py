"""The article's page, index.html: its Markdown with the figures' facts bound, its figures (each
diagram partial with its figure.json) and the base template, with the Jinja environment they share."""

import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from pygments.formatters import HtmlFormatter

from mechanics.errors import BadInput
from mechanics.site import atlas_pages, bindings, figure_cache, frontmatter, metadata, stamps
from mechanics.site.citations import Bibliography
from mechanics.site.errors import FigureError, SourceError, read_source
from mechanics.site.figure_cache import FigureStatus
from mechanics.site.folders import usable_cache_dir
from mechanics.site.markdown_pipeline import figure_slot, render_body
from mechanics.site.report import FigureState

LIVE_RELOAD_PATH = "/__reload"
HIGHLIGHT_CSS = "pygments.css"  # in static/, next to article.css
HIGHLIGHT_STYLE = "default"


@dataclass(frozen=True)
class Article:
    """index.html, and what the rest of the site is made from with it."""
    html: str
    embedded: list      # the figures it shows (figure_cache.Figure), in order
    states: list        # FigureState of each
    atlases: list       # atlas_pages.Atlas of each atlas figure
    card: Path | None   # the image the social card is made from
    bibliography: Path  # the BibTeX file it cites from


def render_article(project, figures, regenerate=True, live_reload=False, pdf=None):
    """The Article made from `figures` (figure_cache.discover); raises BadInput on any bad input.
    Atlases are never computed here (see atlas_pages). pdf: the path in the site of the
    article's PDF, when the build makes one (build.py pdf)."""
    path = project.index_md
    text = read_source(path, "the article")
    meta, body, body_line = frontmatter.split(text, path)
    bibliography = Bibliography(project.article_dir / meta.bibliography)
    atlases = atlas_pages.collect(project, figures)

    def page_of(names):
        """Jinja with the figures' facts as they are now, then Markdown."""
        markdown_text = bindings.render(body, path, body_line, names)
        return render_body(markdown_text, path, body_line, bibliography,
                           {n: f.spec for n, f in figures.items()}, {n: f.script for n, f in figures.items()})

    # The whole body is checked before any figure is computed, so a typo fails in a second (the
    # facts of a figure about to be regenerated are checked once it is).
    first = bindings.scope(project, figures, atlases, lenient=regenerate)
    page = page_of(first)
    embedded = [figures[name] for name in page.figures]
    for figure in embedded:
        if figure.is_atlas:
            raise FigureError(figure.name, "is an atlas, which has pages of its own (atlas/index.html), not a "
                              "diagram in the article; remove its @figure line and link to its pages instead")
    if regenerate:
        before = _made(embedded)
        unavailable = figure_cache.refresh(embedded, project)
        if _made(embedded) != before or first.deferred:  # new data, new facts: bind the numbers again
            page = page_of(bindings.scope(project, figures, atlases))
    else:
        unavailable = {}

    env = environment(project.templates_dir)
    states, body_html, figure_html = [], page.body_html, {}
    for number, figure in enumerate(embedded, start=1):
        state = _state(figure, number, project, unavailable)
        states.append(state)
        figure_html[figure.name] = _figure_html(env, project, figure, state, page, atlases)
        body_html = body_html.replace(figure_slot(figure.name), figure_html[figure.name])
    card = metadata.choose_card(meta, path, embedded, figure_html)
    html = render(env, "base.html", {
        "meta": meta,
        "date": f"{meta.date:%B} {meta.date.day}, {meta.date.year}",
        "affiliations": list(dict.fromkeys(a for author in meta.authors for a in author.affiliations)),
        "body": Markup(body_html),
        "toc": Markup(page.toc_html),
        "footnotes": Markup(page.footnotes_html),
        "references": [(ref, Markup(ref.html)) for ref in page.references],
        "outdated": [s for s in states if s.status != FigureStatus.FRESH],
        "static_url": project.url("static/"),
        "highlight_css": HIGHLIGHT_CSS,
        "live_reload_url": LIVE_RELOAD_PATH if live_reload else None,
        "atlas_url": project.url(atlas_pages.INDEX) if atlases else None,
        "head_tags": metadata.head_tags(
            meta, [bibliography.entries[ref.key] for ref in page.references], card,
            metadata.absolute(meta, metadata.CARD, project.url(metadata.CARD)),
            pdf and metadata.absolute(meta, pdf, project.url(pdf))),
        "cite": metadata.cite_as(meta, meta.url),
        "pdf_url": pdf and project.url(pdf),
    })
    return Article(html, embedded, states, atlases, card, project.article_dir / meta.bibliography)


def _made(figures):
    """When each figure's manifest was last written: it changes whenever a figure is made."""
    stamps = []
    for figure in figures:
        try:
            stamps.append((figure.assets / figure_cache.MANIFEST).stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return stamps


@cache
def highlight_css():
    """Pygments' stylesheet for the code blocks (class "highlight"), written into static/."""
    return HtmlFormatter(style=HIGHLIGHT_STYLE).get_style_defs(".highlight") + "\n"


def _state(figure, number, project, unavailable):
    if figure.name in unavailable and not (figure.assets / "figure.json").is_file():
        return FigureState(figure.name, number, FigureStatus.UNAVAILABLE, unavailable[figure.name])
    state = figure_cache.status(figure, project.root)
    if state == FigureStatus.CORRUPT:  # never publish files that are not what the figure made
        raise FigureError(figure.name, figure_cache.corrupt_message(figure))
    if state == FigureStatus.UNAVAILABLE:
        return FigureState(figure.name, number, state, figure_cache.unavailable_message(figure))
    return FigureState(figure.name, number, state)


_figures_html = stamps.Memo()  # a figure's <figure>, while nothing it is made from changed


def _figure_html(env, project, figure, state, page, atlases):
    """<figure id="fig-NAME"> around the diagram partial (or a placeholder) and the caption. Made
    again only when its inputs changed: its state and caption, its files, the atlas layers it may
    link to, its title, the project's URLs and the templates (each file by its stat)."""
    caption = page.captions[figure.name]
    layers = [(layer.model, layer.layer, layer.page, layer.channels) for atlas in atlases for layer in atlas.layers]

    def stamp():
        return (state, caption, figure_cache.asset_files(figure.assets), layers, figure.spec.title, project.base_url,
                stamps.of_tree(project.templates_dir))

    return _figures_html.get((figure.name, str(project.root)), stamp,
                             lambda: _make_figure_html(env, project, figure, state, caption, atlases))


def _make_figure_html(env, project, figure, state, caption, atlases):
    caption = Markup(caption)
    context = {"name": figure.name, "number": state.number, "stale": state.status != FigureStatus.FRESH,
               "static_url": project.url("static/"), "status": state.status, "message": state.message,
               "asset_url": project.url(f"assets/figures/{figure.name}/")}
    if state.status in (FigureStatus.MISSING, FigureStatus.UNAVAILABLE):
        body = render(env, "placeholder.html", {**context, "title": figure.spec.title})
    else:
        fig = figure_cache.validate(figure.name, figure.assets)
        caption += Markup(" ") + escape(fig["summary"])
        template = f"diagrams/{fig['kind']}.html"
        if not (project.templates_dir / template).is_file():
            raise SourceError(project.templates_dir / template, None,
                              f"no diagram template for kind {fig['kind']!r} (needed by figure {figure.name!r})")
        links = atlas_pages.atlas_links(project, atlases, atlas_pages.units_shown(fig))
        body = render(env, template, {**context, "fig": fig, "caption_html": caption, "atlas_links": links})
    banner = ""
    if state.status in (FigureStatus.STALE, FigureStatus.QUICK):
        why = "was made with --quick (draft quality)" if state.status == FigureStatus.QUICK else "is stale: its inputs changed since its assets were made"
        banner = Markup('<p class="figure-stale" role="status">This figure {}. Regenerate it with '
                        "<code>python build.py figures {}</code>.</p>").format(why, figure.name)
    return str(Markup('\n<figure id="fig-{name}" class="article-figure">{banner}{body}'
                      "<figcaption><b>Figure {number}:</b> {caption}</figcaption></figure>\n").format(
        name=figure.name, banner=banner, body=Markup(body), number=state.number, caption=caption))


class _TemplateLoader(jinja2.FileSystemLoader):
    """Templates read as UTF-8, with an error naming the file and line otherwise."""

    def get_source(self, environment, template):
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError:
            path = Path(self.searchpath[0], *jinja2.loaders.split_template_path(template))
            read_source(path, "the template")  # raises, naming the line
            raise


@cache
def environment(templates_dir):
    """One Jinja environment per templates folder, kept across rebuilds: it recompiles a
    template only when its file changed. An undefined variable is an error, not blank text."""
    return jinja2.Environment(
        loader=_TemplateLoader(templates_dir),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
    )


def _bytecode_cache():
    """Compiled templates kept in the user's cache folder (by their source's checksum), so a new
    process does not compile them again; none when that folder cannot be used."""
    try:
        folder = usable_cache_dir("for compiled templates") / "templates"
        folder.mkdir(exist_ok=True)
    except (BadInput, OSError):
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render(env, name, context):
    """Render a template; any template error becomes one line naming the template file and line."""
    templates_dir = Path(env.loader.searchpath[0])
    try:
        return env.get_template(name).render(context)
    except SourceError:
        raise
    except jinja2.TemplateNotFound as error:
        raise SourceError(templates_dir / error.name, None, "template not found") from None
    except jinja2.TemplateSyntaxError as error:
        raise SourceError(error.filename or templates_dir / name, error.lineno, f"broken template: {error.message}") from None
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).is_relative_to(templates_dir)]
        where = (frames[-1].filename, frames[-1].lineno) if frames else (templates_dir / name, None)
        raise SourceError(*where, f"template error: {type(error).__name__}: {error}") from None
