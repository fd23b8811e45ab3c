"""What the article tells indexes, citation managers and link previews, all from its front matter.

- head_tags(): Google Scholar's citation_* tags (as distill.pub writes them), <link rel=canonical>,
  Open Graph and Twitter card tags;
- the social card: a 1200x630 image the build writes (CARD) from a figure's static fallback image
  (front matter `card_figure`, default: the first embedded figure that has one);
- cite_as(): the "Cite as" appendix, a sentence and a BibTeX entry;
- check_head(): what `build.py check` verifies of the built page's head.
"""

import html.parser
import io
import re
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup
from PIL import Image
from pybtex.backends.plaintext import Backend as PlainText
from pybtex.richtext import Text

from mechanics.site.errors import SourceError

CARD = "assets/social-card.jpg"  # in the site
CARD_SIZE = (1200, 630)  # what Open Graph and Twitter's summary_large_image show uncropped
PDF = "index.pdf"  # where `build.py pdf` puts the article's PDF in the site by default


@dataclass(frozen=True)
class Card:
    source: Path  # the figure's fallback image, in assets/figures/NAME/
    alt: str
    figure: str


class _FallbackImages(html.parser.HTMLParser):
    """The (src, alt) of a rendered figure's static fallback images, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and "nm-fallback-grid" in (attrs.get("class") or "").split():
            self.images.append((attrs.get("src") or "", attrs.get("alt") or ""))


def choose_card(meta, index_md, embedded, figure_html):
    """The card of the figure the front matter names, or of the first embedded figure with a
    fallback image; None when no figure has one. figure_html: {name: its rendered <figure>}."""
    if meta.card_figure is not None and meta.card_figure not in figure_html:
        shown = ", ".join(figure_html) or "none"
        raise SourceError(index_md, None, f"front matter field 'card_figure' names {meta.card_figure!r}, which the "
                          f"article does not embed with @figure (embedded: {shown})")
    figures = {f.name: f for f in embedded}
    names = [meta.card_figure] if meta.card_figure else list(figure_html)
    for name in names:
        for src, alt in _fallback_images(figure_html[name]):
            source = figures[name].assets / urllib.parse.unquote(src.rpartition("/")[2])
            if source.is_file():
                return Card(source=source, alt=alt, figure=name)
    if meta.card_figure:
        raise SourceError(index_md, None, f"front matter field 'card_figure': figure {meta.card_figure!r} has no "
                          "image to put on the card yet (make it with python build.py figures)")
    return None


def _fallback_images(figure_html):
    parser = _FallbackImages()
    parser.feed(figure_html)
    return parser.images


def card_bytes(card):
    """The card as JPEG bytes: the figure's image, whole, centred on white (sprites keep their
    light backdrop, as on the page)."""
    stat = card.source.stat()
    return _card_bytes(card.source, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _card_bytes(source, size, mtime_ns):  # size and mtime: a changed file is read again
    with Image.open(source) as image:
        image = image.convert("RGB")
        width, height = CARD_SIZE
        margin = 40
        scale = min((width - 2 * margin) / image.width, (height - 2 * margin) / image.height)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
        canvas = Image.new("RGB", CARD_SIZE, "white")
        canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=88)
    return out.getvalue()


def absolute(meta, path, relative):
    """The URL of a file of the site: absolute under the front matter's url if there is one,
    else `relative` (as the page references it)."""
    if not meta.url:
        return relative
    # https://host/nm is the folder nm/; https://host/nm/index.html is a page in it.
    last = urllib.parse.urlsplit(meta.url).path.rpartition("/")[2]
    return urllib.parse.urljoin(meta.url if "." in last else meta.url.rstrip("/") + "/", path)


def head_tags(meta, references, card, card_url, pdf_url):
    """The <head> tags (Markup): Scholar, canonical, Open Graph, Twitter. references: the pybtex
    entries of the bibliography the article cites, in citation order."""
    tags = [("citation_title", meta.title)]
    tags += [("citation_author", author.name) for author in meta.authors]
    tags += [("citation_author_institution", ", ".join(author.affiliations)) for author in meta.authors[:1]]
    tags += [("citation_publication_date", f"{meta.date:%Y/%m/%d}")]
    if meta.updated:
        tags += [("citation_online_date", f"{meta.updated:%Y/%m/%d}")]
    if meta.doi:
        tags += [("citation_doi", meta.doi)]
    if meta.url:
        tags += [("citation_fulltext_html_url", meta.url)]
    if pdf_url:
        tags += [("citation_pdf_url", pdf_url)]
    tags += [("citation_reference", _reference(entry)) for entry in references]
    lines = [Markup('<meta name="{}" content="{}">').format(name, value) for name, value in tags]
    if meta.url:
        lines.append(Markup('<link rel="canonical" href="{}">').format(meta.url))
    properties = [("og:type", "article"), ("og:title", meta.title), ("og:description", meta.description)]
    if meta.url:
        properties.append(("og:url", meta.url))
    properties.append(("article:published_time", meta.date.isoformat()))
    if meta.updated:
        properties.append(("article:modified_time", meta.updated.isoformat()))
    properties += [("article:author", author.name) for author in meta.authors]
    if card:
        properties += [("og:image", card_url), ("og:image:type", "image/jpeg"), ("og:image:width", str(CARD_SIZE[0])),
                       ("og:image:height", str(CARD_SIZE[1])), ("og:image:alt", card.alt)]
    lines += [Markup('<meta property="{}" content="{}">').format(name, value) for name, value in properties]
    twitter = [("twitter:card", "summary_large_image" if card else "summary"), ("twitter:title", meta.title),
               ("twitter:description", meta.description)]
    if card:
        twitter += [("twitter:image", card_url), ("twitter:image:alt", card.alt)]
    lines += [Markup('<meta name="{}" content="{}">').format(name, value) for name, value in twitter]
    return Markup("\n") + Markup("\n").join(lines)  # after the description's line


_PLAIN_TEXT = PlainText()


@lru_cache(maxsize=1024)
def _plain(latex):
    """BibTeX field text without braces and TeX escapes."""
    # render(), not render_as("text"): that looks the backend up among every installed package's
    # entry points on each call, most of a build's time in a large environment.
    return Text.from_latex(latex).render(_PLAIN_TEXT).strip()


def _person(person):
    return " ".join(_plain(name) for name in [*person.first_names, *person.middle_names,
                                              *person.prelast_names, *person.last_names, *person.lineage_names])


_CONTAINER = {"journal": "citation_journal_title", "booktitle": "citation_conference_title",
              "publisher": "citation_publisher", "howpublished": "citation_publisher"}


def _reference(entry):
    """One bibliography entry as Scholar's citation_reference: key=value pairs joined by ';'."""
    pairs = [("citation_title", _plain(entry.fields.get("title", "")))]
    pairs += [("citation_author", _person(p)) for p in entry.persons.get("author", [])]
    if "year" in entry.fields:
        pairs.append(("citation_publication_date", _plain(entry.fields["year"])))
    pairs += [(tag, _plain(entry.fields[field])) for field, tag in _CONTAINER.items() if field in entry.fields]
    for field in ("volume", "doi", "arxiv"):
        if field in entry.fields:
            pairs.append((f"citation_{field}" if field != "arxiv" else "citation_arxiv_id", _plain(entry.fields[field])))
    if "url" in entry.fields:
        pairs.append(("citation_fulltext_html_url", entry.fields["url"].strip()))
    return ";".join(f"{key}={value.replace(';', ',')}" for key, value in pairs if value)


# -- Cite as --------------------------------------------------------------------------------------

_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")


def _bibtex_text(text):
    return _BIBTEX_SPECIAL.sub(r"\\\1", text)


def _bibtex_name(name):
    # A name with a lowercase word ("Neuron Mechanics contributors") is kept whole in braces, or
    # BibTeX would split it into first/von/last parts.
    escaped = _bibtex_text(name)
    return f"{{{escaped}}}" if any(word[:1].islower() for word in name.split()) else escaped


def cite_as(meta, page_url):
    """{'sentence', 'bibtex'} of the "Cite as" appendix. page_url: the article's address (the
    front matter's url, else None: the entry then has no url)."""
    names = [a.name for a in meta.authors]
    authors = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    year = meta.date.year
    where = [f"https://doi.org/{meta.doi}"] if meta.doi else []
    where += [page_url] if page_url and not meta.doi else []
    sentence = f"{authors}, \u201c{meta.title}\u201d, {year}." + "".join(f" {w}" for w in where)
    first_word = next((w for w in re.findall(r"[A-Za-z0-9]+", meta.title.lower())
                       if w not in ("a", "an", "the", "on", "of")), "article")
    last_name = re.sub(r"[^a-z0-9]", "", names[0].split()[-1].lower()) or "anonymous"
    fields = [("author", " and ".join(_bibtex_name(n) for n in names)),
              ("title", f"{{{_bibtex_text(meta.title)}}}"), ("year", str(year))]
    if meta.updated:
        fields.append(("note", f"Updated {meta.updated.isoformat()}"))
    if page_url:
        fields.append(("url", page_url))
    if meta.doi:
        fields.append(("doi", meta.doi))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return {"sentence": sentence, "bibtex": f"@article{{{last_name}{year}{first_word},\n{body}\n}}"}


# -- build.py check -------------------------------------------------------------------------------

class _Head(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta = []  # (name or property, content, line)
        self.canonical = []
        self.references = 0  # <li> in the reference list

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            self.meta.append((attrs.get("name") or attrs.get("property"), attrs.get("content") or "", self.getpos()[0]))
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical.append(attrs.get("href") or "")
        elif tag == "li" and (attrs.get("id") or "").startswith("ref-"):
            self.references += 1

    def values(self, name):
        return [content for key, content, _ in self.meta if key == name]


def check_head(meta, site, base_url):
    """Problems of the built index.html's metadata: the tags are there and the files they name exist."""
    page = _Head()
    page.feed((site / "index.html").read_text(encoding="utf-8"))
    problems = []

    def need(name, expected=None):
        values = page.values(name)
        if not values or not all(values):
            problems.append(f"index.html: <head> has no {name}")
        elif expected is not None and values != expected:
            problems.append(f"index.html: {name} is {values}, the front matter says {expected}")

    need("citation_title", [meta.title])
    need("citation_author", [a.name for a in meta.authors])
    need("citation_publication_date", [f"{meta.date:%Y/%m/%d}"])
    for name in ("og:title", "og:description", "twitter:card", "twitter:title"):
        need(name)
    if len(page.values("citation_reference")) != page.references:
        problems.append(f"index.html: {len(page.values('citation_reference'))} citation_reference tags for "
                        f"{page.references} references")
    if meta.url and page.canonical != [meta.url]:
        problems.append(f"index.html: <link rel=canonical> is {page.canonical}, the front matter's url is {meta.url!r}")
    for name in ("og:image", "twitter:image", "citation_pdf_url"):
        for url in page.values(name):
            if not _site_file(meta, url, site, base_url):
                problems.append(f"index.html: {name} {url!r} is not a file of the site")
    if page.values("twitter:card") == ["summary_large_image"]:
        need("og:image")
    return problems


def _site_file(meta, url, site, base_url):
    """Whether `url` (absolute under the front matter's url, under the --base-url, or relative to
    index.html) is a file in the site."""
    for prefix in (absolute(meta, "", None), base_url):
        if prefix and url.startswith(prefix):
            url = url[len(prefix):]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme or parts.netloc or parts.path.startswith("/"):
        return False
    target = (site / urllib.parse.unquote(parts.path)).resolve()
    return target.is_relative_to(site.resolve()) and target.is_file()

