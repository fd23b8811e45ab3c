"""`build.py check`: the sources resolve, and the built site is whole and self-contained.

Sources: rendering the article (in memory) fails on an unknown figure, fact or citation key.
Figures: every figure.json a build trusts is checked against the contract (mechanics/contract.py) in full.
Numbers: a number of the prose that a figure's fact holds, typed instead of bound, is a problem;
any other decimal of the prose, unless article/numbers.yml allows it, a warning (numbers.py).
Site: every internal link and anchor of every HTML page resolves, and no script, style,
image or font is loaded from outside _site/ (in HTML attributes and in CSS url(...)). The atlas
entries a diagram may link to (its data-atlas, see atlas_pages.py) count as links: each
`page#unit-<channel>` must resolve too. The page's metadata tags (metadata.check_head) match the
front matter and name files that exist.
"""

import html.parser
import json
import re
import urllib.parse
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.site import atlas_pages, bindings, figure_cache, frontmatter, metadata, numbers
from mechanics.site.figure_cache import FigureStatus
from mechanics.site.errors import display_path, read_source
from mechanics.site.page import render_article

# Attributes whose URL the browser loads as part of the page (as opposed to navigation links).
_LOADED = {("script", "src"), ("link", "href"), ("img", "src"), ("img", "srcset"), ("source", "src"),
           ("source", "srcset"), ("video", "src"), ("video", "poster"), ("audio", "src"), ("image", "href"),
           ("use", "href"), ("iframe", "src"), ("embed", "src"), ("object", "data"), ("input", "src")}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []  # (tag, attribute, url, line)
        self.styles = []  # (css text, line)
        self.problems = []  # (line, message)

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        if tag == "link" and dict(attrs).get("rel") == "canonical":
            return  # the page's public address, not loaded: metadata.check_head verifies it
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and tag != "meta":
                self.ids.add(value)
            elif name == "style":
                self.styles.append((value, line))
            elif name == "data-atlas":
                self.links.extend((tag, name, url, line) for url in self._atlas_entries(value, line))
            elif (tag, name) in _LOADED or name in ("href", "xlink:href"):
                urls = [u.split()[0] for u in value.split(",") if u.strip()] if name == "srcset" else [value]
                self.links.extend((tag, name, url, line) for url in urls)

    def _atlas_entries(self, value, line):
        try:
            links = json.loads(value)
            return [f"{entry['page']}#unit-{channel}" for layers in links.values()
                    for entry in layers.values() for channel in entry["channels"]]
        except (ValueError, TypeError, KeyError, AttributeError):
            self.problems.append((line, "data-atlas is not {model: {layer: {page, channels}}} JSON"))
            return []

    def handle_data(self, data):
        if self.lasttag == "style":
            self.styles.append((data, self.getpos()[0]))


def check_site(project):
    """Problems of the built site, as 'file:line: message' strings."""
    site = project.out
    if site.exists() and not site.is_dir():
        raise BadInput(f"output folder {display_path(site)} is a file, not a built site; give the site folder with --out")
    if not (site / "index.html").is_file():
        raise BadInput(f"no built site in {display_path(site)} (no index.html); run python build.py first")
    problems = []
    pages = {}
    texts = {}
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        try:
            texts[path] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            problems.append(f"{path.relative_to(site)}: not UTF-8 text ({error.reason} at byte {error.start})")
    for path in sorted(p for p in texts if p.suffix == ".html"):
        page = _Page()
        page.feed(texts[path])
        pages[path] = page
    for path, page in pages.items():
        where = path.relative_to(site)
        for tag, attribute, url, line in page.links:
            problem = _check_url(url, path, site, project.base_url, pages, loaded=(tag, attribute) in _LOADED)
            if problem:
                problems.append(f"{where}:{line}: <{tag} {attribute}={url!r}> {problem}")
        problems += [f"{where}:{line}: {message}" for line, message in page.problems]
        for css, line in page.styles:
            problems += [f"{where}:{line}: {p}" for p in _check_css(css, path, site, project.base_url)]
    for css_path in sorted(p for p in texts if p.suffix == ".css"):
        problems += [f"{css_path.relative_to(site)}: {p}" for p in
                     _check_css(texts[css_path], css_path, site, project.base_url)]
    return problems


def _check_css(css, path, site, base_url):
    problems = []
    for match in _CSS_URL.finditer(css):
        url = match.group(1) or match.group(2)
        if not url.startswith("data:"):
            problem = _check_url(url, path, site, base_url, {}, loaded=True)
            if problem:
                problems.append(f"url({url}) {problem}")
    return problems


def _check_url(url, page_path, site, base_url, pages, loaded):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("mailto", "data", "javascript"):
        return None
    if parts.scheme or parts.netloc:
        return "is loaded from outside _site/" if loaded else None  # external links are fine
    if not parts.path:
        target = page_path
    elif parts.path.startswith("/"):
        if not base_url.startswith("/") or not parts.path.startswith(base_url):
            return f"is an absolute path outside the base URL {base_url or '(relative)'}"
        target = site / urllib.parse.unquote(parts.path[len(base_url):])
    else:
        target = page_path.parent / urllib.parse.unquote(parts.path)
    target = Path(target).resolve()
    if not target.is_relative_to(site.resolve()):
        return "points outside _site/"
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return "points to a missing file"
    if parts.fragment and target in pages and urllib.parse.unquote(parts.fragment) not in pages[target].ids:
        return f"points to a missing anchor #{parts.fragment}"
    return None


def run(project):
    """(problems, warnings): source errors raise BadInput; site problems and numbers copied from
    a figure's facts into the prose are problems; other unbound decimals of the prose are warnings.
    Every figure a build trusts (its files match its manifest's hashes: figure_cache.validate) is
    checked against the contract in full; a corrupt one is the build's to refuse or leave out."""
    figures = figure_cache.discover(project)
    for figure in figures.values():
        if (figure.assets / "figure.json").is_file() and figure_cache.status(figure, project.root) != FigureStatus.CORRUPT:
            figure_cache.validate(figure.name, figure.assets, trust=False)
    render_article(project, figures, regenerate=False)
    copied, unexplained = unbound_numbers(project)
    return (check_site(project) + check_metadata(project) + numbers.report(project, copied),
            numbers.report(project, unexplained))


def unbound_numbers(project):
    """(copied, unexplained) numbers of the article's prose (mechanics/site/numbers.py)."""
    text = read_source(project.index_md, "the article")
    _, body, body_line = frontmatter.split(text, project.index_md)
    figures = figure_cache.discover(project)
    scope = bindings.scope(project, figures, atlas_pages.collect(project, figures))
    return numbers.scan(project, body, body_line, scope)


def check_metadata(project):
    """The built page's Scholar, canonical, Open Graph and Twitter tags match the front matter, and
    the card image and PDF they name are files of the site."""
    meta, _, _ = frontmatter.split(read_source(project.index_md, "the article"), project.index_md)
    return metadata.check_head(meta, project.out, project.base_url)
