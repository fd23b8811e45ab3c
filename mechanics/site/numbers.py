"""`build.py check`: numbers typed in the article's prose instead of bound to a figure's facts.

The prose is the body without code, maths, `{{ }}` bindings, citations, figure syntax, HTML tags
and link targets. Its numbers are matched against the facts of the figures its section (the
text between two headings) names with `@figure(NAME)`, `@fig:NAME` or `{{ NAME.fact }}` (and of
`figures`, the manifests' facts, when it binds one of them). Scoping by section keeps a typed 0.05
from matching one of a thousand saliency cells elsewhere.

- copied: a decimal or a percent equal to such a fact once the fact is rounded to the digits
  shown (16.3% against 0.163385, −0.76 against -0.757); each is reported with its line and the
  expression that binds it. These are problems.
- unexplained: any other decimal of the prose, unless `article/numbers.yml` lists it with a reason
  (a setting such as Adam's learning rate, a benchmark measurement). These are warnings.

Whole numbers (channels, sizes, steps, block numbers) are neither: they are mostly names and
settings, not measurements.
"""

import re
from dataclasses import dataclass

import yaml

from mechanics.site import bindings, markdown_pipeline
from mechanics.site.errors import SourceError, display_path, read_source

ALLOWED_FILE = "numbers.yml"  # in article/: {"0.05": "why it is typed", ...}

_NUMBER = re.compile(r"(?<![\w.\-−+])(?P<sign>[−+-])?(?P<digits>\d+(?:\.(?P<decimals>\d+))?)(?P<pct>%)?(?![\w]|\.\d)")
_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_BOUND = re.compile(r"\{\{-?\s*([A-Za-z_]\w*)\.")
_NAMED = re.compile(r"@figure\(\s*([\w\-]+)\s*\)|@fig:([\w\-]+)")
_MARKUP = re.compile(r"<[^>\n]*>|\]\([^)\n]*\)|\[\^[^\]\s]+\]|&#?\w+;")


@dataclass(frozen=True)
class Finding:
    line: int
    text: str
    message: str


def _blank(text, pattern, groups=None):
    """Replace each match (or only the named groups) by spaces, keeping newlines and offsets."""
    def spaces(piece):
        return re.sub(r"[^\n]", " ", piece)

    def replace(match):
        if groups is None:
            return spaces(match.group())
        kind = match.lastgroup
        return spaces(match.group()) if kind in groups else match.group()

    return pattern.sub(replace, text)


def prose(body):
    """The body with everything that is not prose blanked out, offsets and lines unchanged."""
    text = _blank(body, bindings._CODE)
    text = _blank(text, _JINJA)
    text = _blank(text, markdown_pipeline._TOKENS, {"display", "inline", "cites", "figure", "figref", "footnote", "note_ref"})
    return _blank(text, _MARKUP)


def allowed(project):
    """{number text: reason} from article/numbers.yml (absent: none)."""
    path = project.article_dir / ALLOWED_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(read_source(path, "the allowed numbers")) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SourceError(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()):
        raise SourceError(path, None, 'must map each number, quoted, to the reason it is typed: "0.05": Adam\'s learning rate')
    return data


def _value(match):
    number = float(match.group("digits"))
    return -number if match.group("sign") in ("−", "-") else number


def _binding(fact, pct, decimals):
    """The expression that prints `fact` as the prose shows it."""
    name = f"{fact.figure}.{fact.name}"
    if pct:
        return f"{{{{ {name} }}}}" if fact.digits == decimals and fact.kind in ("share", "percent") else f"{{{{ {name} | pct({decimals}) }}}}"
    if fact.kind in ("number", "signed") and fact.digits == decimals:
        return f"{{{{ {name} }}}}"
    return f"{{{{ {name} | fixed({decimals}) }}}}"


def _matches(fact, value, pct, decimals):
    if fact.kind in ("text", "count", "index"):
        return False
    if pct:
        if fact.kind not in ("share", "percent"):
            return False
        scaled = fact.value * 100
    else:
        scaled = fact.value
    shown = round(scaled, decimals)
    return abs(shown - value) < 1e-9 or (value >= 0 and abs(abs(shown) - value) < 1e-9)


def scan(project, body, first_line, scope):
    """(copied, unexplained): Findings of the body's prose numbers."""
    permitted = allowed(project)
    text = prose(body)
    starts = [0] + [m.start() for m in _HEADING.finditer(text)] + [len(body)]  # not a '# comment' in code
    copied, unexplained = [], []
    for start, end in zip(starts, starts[1:]):
        section = body[start:end]
        names = {m.group(1) for m in _BOUND.finditer(section)}
        names |= {m.group(1) or m.group(2) for m in _NAMED.finditer(section)}
        facts = [fact for name in sorted(names) if name in scope
                 for fact in scope[name]._all()]
        for match in _NUMBER.finditer(text, start, end):
            pct, decimals = bool(match.group("pct")), len(match.group("decimals") or "")
            if not pct and not decimals:
                continue
            shown = match.group()
            line = first_line + body.count("\n", 0, match.start())
            if shown.lstrip("−+-") in permitted or shown in permitted:
                continue
            hits = [fact for fact in facts if _matches(fact, _value(match), pct, decimals)]
            if hits:
                best = next((f for f in hits if _binding(f, pct, decimals).count("|") == 0), hits[0])
                others = f" (or {len(hits) - 1} other fact{'s' if len(hits) > 2 else ''})" if len(hits) > 1 else ""
                copied.append(Finding(line, shown, f"{shown} is typed but is a figure's fact: bind it as "
                                                   f"{_binding(best, pct, decimals)}{others}"))
            elif decimals:
                unexplained.append(Finding(line, shown, f"{shown} is typed and no fact of this section's figures "
                                                        f"holds it: bind it, or list it in article/{ALLOWED_FILE} with a reason"))
    return copied, unexplained


def report(project, findings):
    where = display_path(project.index_md)
    return [f"{where}:{f.line}: {f.message}" for f in findings]
