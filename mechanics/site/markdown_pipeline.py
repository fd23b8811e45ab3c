"""article/index.md to HTML: Python-Markdown plus math, citations, figure embeds and cross-references.

Syntax added on top of Python-Markdown (footnotes, tables, toc):
- `$...$` inline and `$$...$$` display TeX, rendered to MathML; `\\$` is a literal dollar;
- `[@key]` or `[@a; @b]` cites entries of the bibliography;
- a line `@figure(NAME)` embeds figure NAME (numbered in order of appearance);
- `@fig:NAME` is a link reading "Figure N";
- fenced code blocks are highlighted by Pygments when they name a language.
None of these are recognised inside code (spans, fenced and indented blocks). A `$` that opens no
math, a line starting with `@figure` that is not `@figure(NAME)`, an unknown code language and a
footnote reference without definition are errors.

Our syntax is replaced before Markdown parses blocks, while the text still has the source's line
numbers, so every error names file and line. The replacements go into Markdown's HTML stash,
which keeps them verbatim. Figure embeds become slots, filled once the figure data is loaded.
"""

import bisect
import html
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import markdown
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.preprocessors import Preprocessor
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from mechanics.site.errors import SourceError, read_source
from mechanics.site.texmath import tex_to_mathml

# Every token starts with one of the characters of the lookahead (a line's indentation or end, a
# backtick, tilde, backslash, dollar, bracket or @): checking it first skips the other characters
# of the text quickly, where the alternatives would each be tried (a third of the time).
_TOKENS = re.compile(
    r"""
    (?=[ \t\n`~\\$\[@])
    (?:
    (?P<indented>(?:\A|^[ \t]*\n)(?:(?:[ ]{4}|\t)[^\n]*(?:\n|\Z)|[ \t]*\n(?=[ ]{4}|\t))+)
  | (?P<fence>^[ \t]*(?P<fence_mark>`{3,}|~{3,})[ \t]*\{?\.?(?P<fence_lang>[\w#.+-]*)[^\n]*\n.*?^[ \t]*(?P=fence_mark)[ \t]*$)
  | (?P<code>(?P<ticks>`+)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`))
  | \\(?P<dollar>\$)
  | \$\$(?P<display>.+?)\$\$
  | \$(?P<inline>[^\s$](?:[^$\n]|\n(?![ \t]*\n))*?)(?<![\s\\])\$(?!\d)
  | (?P<stray>\$)
  | ^[ ]{0,3}\[\^(?P<footnote>[^\]\s]+)\]:
  | \[\^(?P<note_ref>[^\]\s]+)\]
  | \[(?P<cites>@[^\]]*)\](?!\()
  | ^[ \t]*@figure\((?P<figure>[^)\n]*)\)[ \t]*$
  | ^[ \t]*(?P<bad_figure>@figure[^\n]*)
  | @fig:(?P<figref>[A-Za-z0-9_\-]+)
    )
    """,
    re.MULTILINE | re.DOTALL | re.VERBOSE,
)
_CITE_KEY = re.compile(r"\s*@([\w:.\-/+]+)\s*")


def figure_slot(name):
    """The placeholder the builder replaces with figure NAME's rendered <figure>."""
    return f'<div data-figure-slot="{html.escape(name)}"></div>'


@dataclass
class Page:
    """What the template needs of the article, besides the front matter."""

    body_html: str
    toc_html: str
    footnotes_html: str
    figures: list  # names, in order: figure N is figures[N - 1]
    captions: dict  # name -> caption HTML
    references: list = field(default_factory=list)


class _Source:
    """A text with its place in a file, to turn match offsets into line numbers."""

    def __init__(self, text, path, first_line):
        self.text, self.path, self.first_line = text, path, first_line
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset):
        return self.first_line + bisect.bisect_left(self._newlines, offset)

    def error(self, offset, message):
        return SourceError(self.path, self.line(offset), message)


class _Renderer:
    """Shared state of one article render: figure numbers and the citation order."""

    def __init__(self, bibliography, figure_specs, figure_paths):
        self.bibliography = bibliography
        self.specs = figure_specs  # name -> FigureSpec
        self.spec_paths = figure_paths  # name -> figures_src/NAME.py
        self.numbers = {}  # embedded figure name -> number
        self.captions = {}
        self.notes = {}  # footnote id -> (file, line of its first reference, defined?)

    def number_figures(self, source):
        for match in _TOKENS.finditer(source.text):
            name = match.group("figure")
            if name is None:
                continue
            name = name.strip()
            if name not in self.specs:
                known = ", ".join(sorted(self.specs)) or "none"
                raise source.error(match.start(), f"unknown figure {name!r} (figures in figures_src/: {known})")
            if name in self.numbers:
                raise source.error(match.start(), f"figure {name!r} is embedded twice")
            self.numbers[name] = len(self.numbers) + 1

    def markdown(self, source, article):
        md = _converter(article)
        md.reset()
        syntax = md.preprocessors["neuron_syntax"]
        syntax.renderer, syntax.source = self, source
        return md, md.convert(source.text)

    def replace(self, match, source, stash):
        """The replacement for one token of our syntax (code is returned untouched)."""
        kind = match.lastgroup  # the alternative's outer group closes last
        if kind == "fence":
            _check_language(match, source)
            return match.group()
        if kind in ("code", "indented"):
            return match.group()
        if kind == "bad_figure":
            raise source.error(match.start(kind), f"malformed directive {_clip(match.group(kind))}: write "
                               "@figure(NAME) alone on its line, NAME a script in figures_src/")
        if kind == "dollar":
            return "&#36;"
        if kind == "stray":
            raise source.error(match.start(), "unbalanced '$': close the math with a '$' in the same paragraph "
                               "(no space inside the dollars), or write \\$ for a dollar sign")
        if kind in ("footnote", "note_ref"):
            where, line, defined = self.notes.get(match.group(kind), (source.path, source.line(match.start()), False))
            self.notes[match.group(kind)] = (where, line, defined or kind == "footnote")
            return match.group()
        if kind in ("display", "inline"):
            tex = match.group(kind)
            try:
                mathml = tex_to_mathml(tex.strip(), display=kind == "display")
            except ValueError as error:
                raise source.error(match.start(), f"bad TeX {_clip(tex)}: {error}") from None
            return stash(f'<div class="math-display">{mathml}</div>' if kind == "display" else mathml)
        if kind == "cites":
            return stash(self._citation(match, source))
        if kind == "figure":
            name = match.group("figure").strip()
            self.captions[name] = self._caption(name)
            return "\n\n" + stash(figure_slot(name)) + "\n\n"
        name = match.group("figref")
        if name not in self.numbers:
            raise source.error(match.start(), f"@fig:{name} refers to a figure that is not embedded with @figure({name})")
        return stash(f'<a class="figure-ref" href="#fig-{html.escape(name)}">Figure {self.numbers[name]}</a>')

    def _citation(self, match, source):
        parts = match.group("cites").split(";")
        keys = []
        for part in parts:
            key = _CITE_KEY.fullmatch(part)
            if key is None:
                raise source.error(match.start(), f"malformed citation [{match.group('cites')}]: write [@key] or [@a; @b]")
            keys.append(key.group(1))
        numbers = [self.bibliography.cite(key, source.path, source.line(match.start())) for key in keys]
        links = ", ".join(
            f'<a href="#ref-{html.escape(key)}" data-cite="{html.escape(key)}">{number}</a>'
            for key, number in zip(keys, numbers)
        )
        return f'<span class="citation">[{links}]</span>'

    def _caption(self, name):
        path = self.spec_paths[name]
        script = read_source(path, "the figure script")
        caption_at = script.find("caption")
        line = script.count("\n", 0, caption_at) + 1 if caption_at >= 0 else 1
        _, caption_html = self.markdown(_Source(self.specs[name].caption, path, line), article=False)
        # One paragraph of caption sits inside <figcaption>; keep its inline content only.
        return re.sub(r"^<p>(.*)</p>$", r"\1", caption_html.strip(), flags=re.DOTALL)


def _check_language(match, source):
    language = match.group("fence_lang")
    if language:
        try:
            get_lexer_by_name(language)
        except ClassNotFound:
            raise source.error(match.start(), f"unknown code language {language!r}: use a Pygments lexer name "
                               "such as python, bash, console, json or text") from None


@cache
def _converter(article):
    """One Markdown converter for the article, one for captions (which are converted while the
    article is), kept across builds: making one costs more than converting the article. The
    extensions are given as objects: a name is looked up among every installed package's entry points."""
    # Pygments at build time; its stylesheet is static/pygments.css (page.highlight_css).
    extensions = [_Syntax(), TableExtension(), FencedCodeExtension(),
                  CodeHiliteExtension(css_class="highlight", guess_lang=False)]
    if article:
        extensions += [FootnoteExtension(UNIQUE_IDS=False, BACKLINK_TITLE="Back to text"),
                       TocExtension(permalink="#", permalink_class="heading-anchor", toc_depth="2-3")]
    return markdown.Markdown(extensions=extensions, output_format="html")


class _SyntaxPreprocessor(Preprocessor):
    """Our syntax; `renderer` and `source` are set for each conversion."""

    renderer = source = None

    def run(self, lines):
        # Whitespace normalisation (which runs first) keeps line count, so offsets still map to lines.
        text = "\n".join(lines)
        source = _Source(text, self.source.path, self.source.first_line)
        stash = self.md.htmlStash.store
        return _TOKENS.sub(lambda m: self.renderer.replace(m, source, stash), text).split("\n")


class _Syntax(markdown.Extension):
    def extendMarkdown(self, md):
        # Priority 29: after whitespace normalisation (30), before fenced code (25) and raw HTML (20).
        md.preprocessors.register(_SyntaxPreprocessor(md), "neuron_syntax", 29)


def _clip(tex):
    tex = " ".join(tex.split())
    return repr(tex if len(tex) <= 40 else tex[:37] + "...")


def render_body(body, path, first_line, bibliography, figure_specs, figure_paths):
    """The article body as HTML pieces; raises SourceError naming file and line on bad input."""
    renderer = _Renderer(bibliography, figure_specs, figure_paths)
    source = _Source(body, Path(path), first_line)
    renderer.number_figures(source)
    md, body_html = renderer.markdown(source, article=True)
    for note, (where, line, defined) in renderer.notes.items():
        if not defined:
            raise SourceError(where, line, f"footnote [^{note}] has no definition: add a line '[^{note}]: text'")
    body_html, marker, footnotes = body_html.partition('<div class="footnote">')
    return Page(
        body_html=body_html,
        toc_html=md.toc,
        footnotes_html=marker + footnotes,
        figures=list(renderer.numbers),
        captions=renderer.captions,
        references=bibliography.references(),
    )
