"""One build of the site: article + templates + figure assets -> _site/, swapped in atomically."""

import shutil
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from pygments.formatters import HtmlFormatter

from mechanics.errors import BadInput
from mechanics.site import atlas_pages, bindings, figure_cache, frontmatter, metadata
from mechanics.site.citations import Bibliography
from mechanics.site.errors import FigureError, SourceError, display_path, read_source
from mechanics.site.figure_cache import FigureStatus
from mechanics.site.folders import MARKER, MARKER_TEXT, check_output, usable_cache_dir
from mechanics.site.fsutil import new_dir, scratch, swap_in, sweep
from mechanics.site.markdown_pipeline import figure_slot, render_body
from mechanics.site.site_record import SiteRecord, file_stat

LIVE_RELOAD_PATH = "/__reload"
HIGHLIGHT_CSS = "pygments.css"  # in static/, next to article.css
HIGHLIGHT_STYLE = "default"


@dataclass(frozen=True)
class FigureState:
    name: str
    number: int
    status: FigureStatus  # never CORRUPT: a corrupt figure fails the build
    message: str = ""


@dataclass(frozen=True)
class BuildReport:
    figures: list  # FigureState of each embedded figure, in order
    atlases: list  # atlas_pages.Atlas of each atlas figure

    @property
    def outdated(self):
        return [f for f in self.figures if f.status != FigureStatus.FRESH]

    @property
    def outdated_atlases(self):
        return [a for a in self.atlases if a.status != FigureStatus.FRESH]


def render_article(project, regenerate=True, live_reload=False, pdf=None):
    """(index.html text, the embedded figures, their states, the atlases, the social card or None);
    raises BadInput on any bad input. Atlases are never computed here (see atlas_pages).
    pdf: the path in the site of the article's PDF, when the build makes one (build.py pdf)."""
    path = project.index_md
    text = read_source(path, "the article")
    meta, body, body_line = frontmatter.split(text, path)
    bibliography = Bibliography(project.article_dir / meta.bibliography)
    figures = figure_cache.discover(project)
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

    env = _environment(project.templates_dir)
    states, body_html, figure_html = [], page.body_html, {}
    for number, figure in enumerate(embedded, start=1):
        state = _state(figure, number, project, unavailable)
        states.append(state)
        figure_html[figure.name] = _figure_html(env, project, figure, state, page, atlases)
        body_html = body_html.replace(figure_slot(figure.name), figure_html[figure.name])
    card = metadata.choose_card(meta, path, embedded, figure_html)
    html = _render(env, "base.html", {
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
    return html, embedded, states, atlases, card


def _made(figures):
    """When each figure's manifest was last written: it changes whenever a figure is made."""
    stamps = []
    for figure in figures:
        try:
            stamps.append((figure.assets / figure_cache.MANIFEST).stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return stamps


def build(project, regenerate=True, live_reload=False, pdf=None):
    """Build the site into a scratch directory, then swap it in as project.out. pdf: see render_article."""
    check_output(project.out, project.root)
    sweep(project.out.parent, made_for=project.out.name)
    html, embedded, states, atlases, card = render_article(project, regenerate, live_reload, pdf)
    files = _site_files(project, embedded + atlas_pages.site_figures(atlases))
    env = _environment(project.templates_dir)
    record = SiteRecord(project.out)
    # A preview (live reload) removes the old site in the background: it is no longer served.
    with scratch(project.out, remove_in_background=live_reload) as work:
        # A static host serves the site as another user: folders 0755, files with the default
        # umask (copyfile, not the 0600 of the engine's temporary files).
        staging = new_dir(work / "site")
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        (staging / "index.html").write_text(html, encoding="utf-8")
        (staging / "static").mkdir(mode=0o755)
        (staging / "static" / HIGHLIGHT_CSS).write_text(highlight_css(), encoding="utf-8")
        if card:
            (staging / metadata.CARD).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            (staging / metadata.CARD).write_bytes(metadata.card_bytes(card))
        atlas_pages.write_pages(project, atlases, lambda name, context: _render(env, name, context), staging, record)
        for rel, source in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy(source, target, rel, record)
        swap_in(staging, project.out)
    record.save()
    return BuildReport(figures=states, atlases=atlases)


def _site_files(project, embedded):
    """{path in the site: source file} of everything copied as it is."""
    files = {}
    if project.static_dir.is_dir():
        for path in sorted(project.static_dir.rglob("*")):
            rel = path.relative_to(project.static_dir)
            if path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                files[Path("static", rel)] = path
    for figure in embedded:
        if (figure.assets / "figure.json").is_file():
            for name in figure_cache.asset_files(figure.assets):
                files[Path("assets", "figures", figure.name, name)] = figure.assets / name
    for path in _site_root_files(project):
        files[path.relative_to(project.site_root_dir)] = path
    return files


def _copy(source, target, rel, record):
    """Copy `source` to `target`, or link the previous site's copy when neither changed since
    (what keeps a rebuild fast)."""
    source_stat = file_stat(source)
    if not record.link(rel, source_stat, target):
        shutil.copyfile(source, target)
        record.made(rel, source_stat, target)


def _site_root_files(project):
    """The files of article/root/, copied to the top of the site; none may shadow the build's own."""
    folder = project.site_root_dir
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        top = path.relative_to(folder).parts[0]
        if top in (MARKER, "index.html", "static", "assets"):
            raise SourceError(path, None, f"{top} at the site root is made by the build; "
                              f"{display_path(folder)} may hold only other files (CNAME, .nojekyll, robots.txt, ...)")
    return files


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


def _figure_html(env, project, figure, state, page, atlases):
    """<figure id="fig-NAME"> around the diagram partial (or a placeholder) and the caption."""
    caption = Markup(page.captions[figure.name])
    context = {"name": figure.name, "number": state.number, "stale": state.status != FigureStatus.FRESH,
               "static_url": project.url("static/"), "status": state.status, "message": state.message,
               "asset_url": project.url(f"assets/figures/{figure.name}/")}
    if state.status in (FigureStatus.MISSING, FigureStatus.UNAVAILABLE):
        body = _render(env, "placeholder.html", {**context, "title": figure.spec.title})
    else:
        fig = figure_cache.validate(figure.name, figure.assets)
        caption += Markup(" ") + escape(fig["summary"])
        template = f"diagrams/{fig['kind']}.html"
        if not (project.templates_dir / template).is_file():
            raise SourceError(project.templates_dir / template, None,
                              f"no diagram template for kind {fig['kind']!r} (needed by figure {figure.name!r})")
        links = atlas_pages.atlas_links(project, atlases, atlas_pages.units_shown(fig))
        body = _render(env, template, {**context, "fig": fig, "caption_html": caption, "atlas_links": links})
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
def _environment(templates_dir):
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


def _render(env, name, context):
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
