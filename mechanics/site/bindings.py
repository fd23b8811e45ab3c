"""Jinja in the article: `{{ figure.fact }}` binds a number of the text to its figure's data.

The body is rendered by Jinja before Markdown, with every figure's named facts in scope (the
`facts` of its figure.json, written by its recipe: mechanics/facts.py) and `figures`, the facts
of the figure manifests (regeneration times, counts, atlas units). Code spans and fenced code
blocks are set aside first and put back after, so `{{ }}` shows literally in code.

A fact prints itself by its kind and digits; the filters change how:

    {{ gallery.median_centre_share }}             16.3%   (a share, 1 digit)
    {{ gallery.median_centre_share | pct(0) }}    16%
    {{ eye_detector.full_norm_1_1 | fixed(3) }}   0.123
    {{ car_claim_test.block14_wheel_ig | signed }}  +0.051  (always a sign; − is U+2212)
    {{ figures.atlas_units | sep }}               1,808
    {{ figures.count | words }}                   thirteen

An unknown figure or fact is a SourceError naming the article's line, the name and the closest
valid names.
"""

import difflib
import functools
import re
import traceback
from dataclasses import dataclass

import jinja2
from mechanics.site.errors import SourceError

MINUS = "\u2212"
_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen twenty").split()
# Code set aside before Jinja: fenced blocks and code spans, as the Markdown pipeline finds them.
_CODE = re.compile(r"(?P<fence>^[ \t]*(?P<mark>`{3,}|~{3,})[^\n]*\n.*?^[ \t]*(?P=mark)[ \t]*$)"
                   r"|(?P<ticks>`+)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`)", re.MULTILINE | re.DOTALL)
_SLOT = "\x00code{}\x00"


class BindingError(Exception):
    """A figure or fact that is not there (the message gives the closest valid names), or a filter
    given what it cannot format. Not a LookupError, which Jinja would turn into an undefined value."""


def closest(name, names):
    """'closest: a, b; valid: ...' for an error message."""
    names = sorted(names)
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    listed = ", ".join(names) if len(names) <= 12 else f"{len(names)} names: {', '.join(names[:12])}, ..."
    return (f"closest: {', '.join(near)}; " if near else "") + f"valid: {listed}"


@dataclass(frozen=True)
class Fact:
    """One named value of a figure, printed by its kind (mechanics.facts.KINDS)."""

    figure: str
    name: str
    value: object
    kind: str
    digits: int = None
    unit: str = ""

    def _format(self, kind, digits, sign=False, thousands=False):
        if kind == "text":
            return str(self.value)
        value = self.value * 100 if kind in ("share", "percent") else self.value
        text = f"{abs(value):,.{digits or 0}f}" if digits is not None else f"{abs(value):,}"
        if not thousands and kind != "count":
            text = text.replace(",", "")
        zero = float(text.replace(",", "")) == 0
        prefix = MINUS if value < 0 and not zero else ("+" if sign and not zero else "")
        suffix = "%" if kind in ("share", "percent") else ""
        return prefix + text + suffix + (f"\u2009{self.unit}" if self.unit else "")

    def __str__(self):
        return self._format(self.kind, self.digits, sign=self.kind == "signed")

    # Arithmetic an author may need on a bound value (a difference of two facts is still data).
    def __abs__(self):
        return Fact(self.figure, self.name, abs(self.value), self.kind, self.digits, self.unit)

    def __neg__(self):
        return Fact(self.figure, self.name, -self.value, self.kind, self.digits, self.unit)


def _filter(function):
    """A filter of facts: a pending fact passes through as "?", anything but a number is an error."""
    @functools.wraps(function)
    def checked(value, *args):
        if isinstance(value, Pending):
            return str(value)
        if not isinstance(value, Fact):
            raise BindingError(f"the {function.__name__} filter formats a figure's fact, got {value!r}")
        if value.kind == "text":
            raise BindingError(f"fact {value.figure}.{value.name} is text; the {function.__name__} filter formats numbers")
        return function(value, *args)
    return checked


def _number_kind(fact):
    return fact.kind if fact.kind in ("share", "percent") else "number"


@_filter
def fixed(fact, digits=2):
    """A decimal with `digits` after the point (a share or percent stays a fraction: 0.163)."""
    return fact._format("number", digits, sign=fact.kind == "signed")


@_filter
def pct(fact, digits=None):
    """As a percent: 0.163 -> 16.3% (digits default to the fact's own)."""
    return fact._format("percent", fact.digits if digits is None else digits)


@_filter
def signed(fact, digits=None):
    """Always with a sign: +0.024, −0.017."""
    return fact._format(_number_kind(fact), fact.digits if digits is None else digits, sign=True)


@_filter
def sep(fact, digits=None):
    """With thousands separators: 1,808."""
    return fact._format(_number_kind(fact), fact.digits if digits is None else digits, thousands=True)


@_filter
def words(fact):
    """A whole number up to twenty in words: 13 -> thirteen."""
    if fact.kind not in ("count", "index") or not 0 <= fact.value <= 20:
        raise BindingError(f"the words filter spells whole numbers 0 to 20; {fact.figure}.{fact.name} is {fact}")
    return _WORDS[fact.value]


FILTERS = {"fixed": fixed, "pct": pct, "signed": signed, "sep": sep, "words": words}


class Facts:
    """The facts of one figure (or of the manifests, as `figures`), by attribute."""

    def __init__(self, owner, facts, pending=""):
        self._owner, self._facts, self._pending = owner, facts, pending

    _missing = ""  # why a figure has no facts at all, when it has data

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._facts:
            return self._facts[name]
        if self._pending:
            return Pending(self._owner, name, self._pending)
        raise BindingError(f"figure {self._owner!r} has no fact {name!r} ({self._missing or closest(name, self._facts)})")

    __getitem__ = __getattr__

    def __str__(self):
        raise BindingError(f"{{{{ {self._owner} }}}} is a figure, not a number: write {{{{ {self._owner}.FACT }}}} "
                           f"({closest('', self._all_names())})")

    def _all_names(self):
        self._all()  # loads them
        return list(self._facts)

    def _all(self):
        """Every Fact (a method name no fact can have: fact names start with a letter)."""
        return list(self._facts.values())


class Pending:
    """A fact of a figure without (current) data: printed as "?", which TeX and Markdown both take
    as it is; the figure itself is marked stale or missing on the page."""

    def __init__(self, figure, name, why):
        self.figure, self.name, self.why = figure, name, why

    def __str__(self):
        return "?"


class Scope(dict):
    """The template's names: one Facts per figure, plus `figures`; an unknown name says which exist.
    `deferred` lists the figures whose facts were not checked (see scope())."""

    deferred = ()

    def __missing__(self, name):
        raise BindingError(f"unknown figure {name!r} ({closest(name, self)})")


def facts_of(name, data):
    """{fact name: Fact} from a figure.json's `facts`."""
    return {key: Fact(name, key, item["value"], item["kind"], item.get("digits"), item.get("unit", ""))
            for key, item in data.get("facts", {}).items()}


def set_code_aside(body):
    """(body with each code span and fence replaced by a slot of as many lines, the code pieces)."""
    pieces = []

    def aside(match):
        pieces.append(match.group())
        return _SLOT.format(len(pieces) - 1) + "\n" * match.group().count("\n")

    return _CODE.sub(aside, body), pieces


def put_code_back(text, pieces):
    def back(match):
        piece = pieces[int(match.group(1))]
        return piece + match.group(2)[piece.count("\n"):]  # the slot's own newlines stood for the code's

    return re.sub(r"\x00code(\d+)\x00(\n*)", back, text)


@dataclass
class Binding:
    """One `{{ expression }}` of the article: its line and what it printed (for check)."""

    line: int
    expression: str


_EXPRESSION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)


def expressions(body, first_line):
    """Every {{ }} of the body outside code, with its line in the file."""
    text, _ = set_code_aside(body)
    return [Binding(first_line + text.count("\n", 0, m.start()), m.group(1)) for m in _EXPRESSION.finditer(text)]


@functools.cache
def _environment():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env


@functools.lru_cache(maxsize=1024)
def _template(text):
    return _environment().from_string(text)


_UNDEFINED = re.compile(r"'([^']*)' is undefined")
_PARAGRAPHS = re.compile(r"(\n[ \t]*\n)")


def render(body, path, first_line, scope):
    """The body with every {{ }} outside code rendered; errors name `path` and the line.

    Without Jinja statements ({% %}, {# #}) each paragraph is its own template, compiled once
    and cached by its text, so a preview rebuild after an edit compiles one paragraph."""
    text, pieces = set_code_aside(body)
    chunks = [text] if "{%" in text or "{#" in text else _PARAGRAPHS.split(text)
    out, line = [], first_line
    for chunk in chunks:
        out.append(_render(chunk, path, line, scope) if "{{" in chunk else chunk)
        line += chunk.count("\n")
    return put_code_back("".join(out), pieces)


def _render(text, path, first_line, scope):
    try:
        return _template(text).render(scope)
    except jinja2.TemplateSyntaxError as error:
        raise SourceError(path, first_line + (error.lineno or 1) - 1, f"broken template syntax: {error.message}") from None
    except Exception as error:  # noqa: BLE001 - any failure of an expression names its line
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "<template>"]
        line = first_line + frames[-1].lineno - 1 if frames else None
        if isinstance(error, jinja2.UndefinedError) and _UNDEFINED.search(str(error)):
            name = _UNDEFINED.search(str(error)).group(1)
            message = f"unknown figure {name!r} ({closest(name, scope)})"
        elif isinstance(error, BindingError):
            message = str(error)
        else:
            message = f"{type(error).__name__}: {error}"
        raise SourceError(path, line, message) from None


class FigureFacts(Facts):
    """A figure's facts, read from its figure.json (validated) the first time one is used."""

    def __init__(self, figure, root, deferred=None):
        super().__init__(figure.name, None)
        self._figure, self._root, self._deferred = figure, root, deferred

    def _load(self):
        from mechanics.site import figure_cache

        if self._facts is not None:
            return
        figure = self._figure
        if (figure.assets / "figure.json").is_file():
            data = figure_cache.validate(figure.name, figure.assets)
            self._facts = facts_of(figure.name, data)
            if self._deferred is not None and figure_cache.status(figure, self._root) != figure_cache.FigureStatus.FRESH:
                self._pending = f"figure {figure.name} is about to be regenerated"
                self._deferred.append(figure.name)
            elif (figure.manifest() or {}).get("quick"):  # a draft's smaller grids lack some cells
                self._pending = f"figure {figure.name} was made with --quick"
            elif "facts" not in data:
                self._missing = (f"its figure.json has no facts: it was made before figures had them; "
                                 f"run python build.py figures {figure.name}")
        else:
            self._facts = {}
            self._pending = (figure_cache.unavailable_message(figure)
                             if figure_cache.status(figure, self._root) == figure_cache.FigureStatus.UNAVAILABLE
                             else f"figure {figure.name} has no data yet: run python build.py figures {figure.name}")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        self._load()
        return super().__getattr__(name)

    def _all(self):
        self._load()
        return super()._all()


def _manifest_facts(figures, atlases):
    """`figures`: regeneration times (of the last run of each figure, from its manifest), how many
    figures were made, and the atlases' units (from their layer files)."""
    from mechanics.facts import fact, key

    out, durations = {}, {}
    for figure in figures.values():
        manifest = figure.manifest() or {}
        if figure.is_atlas or "duration_s" not in manifest:
            continue
        durations[figure.name] = manifest["duration_s"]
        out[f"{figure.name}_minutes"] = fact(manifest["duration_s"] / 60, digits=0, what="its last regeneration, minutes")
    out["count"] = fact(len(durations), "count", what="figures made (atlases aside)")
    out["total_minutes"] = fact(sum(durations.values()) / 60, digits=0, what="their regeneration times, summed, minutes")
    longest = sorted(durations, key=lambda name: -durations[name])[:3]
    if longest:
        out["longest_names"] = fact(", ".join(longest[:-1]) + (" and " if len(longest) > 1 else "") + longest[-1], "text",
                                    what="the three figures that took longest")
        out["longest_minutes_min"] = fact(min(durations[n] for n in longest) / 60, digits=0, what="the shortest of those three")
        out["longest_minutes_max"] = fact(max(durations[n] for n in longest) / 60, digits=0, what="the longest of those three")
    units = {}
    for atlas in atlases:
        for layer in atlas.layers:
            units[layer.model] = units.get(layer.model, 0) + len(layer.channels)
    out["atlas_units"] = fact(sum(units.values()), "count", what="units in the atlas")
    out["atlas_layers"] = fact(sum(len(a.layers) for a in atlases), "count", what="layers in the atlas")
    for model, count in units.items():
        out[f"atlas_units_{key(model)}"] = fact(count, "count", what=f"units of {model} in the atlas")
    return facts_of("figures", {"facts": out})


def scope(project, figures, atlases, lenient=False):
    """The article's names: each figure's facts (lazily read) and `figures`, the manifests' facts.
    `lenient`: the facts of a figure that is not fresh (about to be regenerated) print as "?" and
    are not checked; the names of those figures go to the scope's `deferred`."""
    deferred = [] if lenient else None
    names = Scope({name: FigureFacts(figure, project.root, deferred) for name, figure in figures.items()
                   if not figure.is_atlas})
    names.deferred = deferred if lenient else []
    names["figures"] = Facts("figures", _manifest_facts(figures, atlases))
    return names
