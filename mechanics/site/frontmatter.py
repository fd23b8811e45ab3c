"""The YAML front matter of article/index.md, checked field by field with line numbers."""

import datetime
import re
import urllib.parse
from dataclasses import dataclass

import yaml

from mechanics.site import links
from mechanics.site.errors import SourceError

REQUIRED = ("title", "description", "authors", "date", "bibliography")


@dataclass(frozen=True)
class Author:
    name: str
    affiliations: tuple[str, ...]
    url: str | None


@dataclass(frozen=True)
class FrontMatter:
    title: str
    description: str
    authors: tuple[Author, ...]
    date: datetime.date
    bibliography: str  # path relative to the article directory
    # Publishing fields, optional (see _publishing): where the article lives, its DOI, licence,
    # last update, and which figure the social card shows.
    url: str | None = None
    doi: str | None = None
    license: str | None = None
    updated: datetime.date | None = None
    card_figure: str | None = None


def split(text, path):
    """(front matter, body, line number of the body's first line) of an article source."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SourceError(path, 1, "the article must start with YAML front matter between '---' lines")
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise SourceError(path, 1, "front matter opened with '---' is never closed")
    yaml_text = "".join(lines[1:end])
    return _parse(yaml_text, path, first_line=2, closing_line=end + 1), "".join(lines[end + 1:]), end + 2


def _parse(yaml_text, path, first_line, closing_line):
    try:
        root = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        # The context mark is where the unfinished construct began, e.g. the line of an unclosed '['.
        mark = error.context_mark or error.problem_mark
        reason = " ".join(filter(None, [error.context, error.problem]))
        raise SourceError(path, first_line + mark.line, f"malformed front matter: {reason}") from None
    if not isinstance(root, yaml.MappingNode):
        raise SourceError(path, first_line, "front matter must be a mapping of fields (title: ..., authors: ...)")
    fields = {key.value: node for key, node in root.value}
    for name in REQUIRED:
        if name not in fields:
            raise SourceError(path, closing_line, f"front matter is missing the required field {name!r}")

    def line(node):
        return first_line + node.start_mark.line

    def value(node):
        # Values are made here, node by node, so a bad one (an impossible date such as 2025-02-30,
        # a tag asking for a Python object) is reported at its own line.
        try:
            return yaml.SafeLoader("").construct_object(node, deep=True)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or node.start_mark
            reason = " ".join(filter(None, [getattr(error, "context", None), getattr(error, "problem", None)]))
            raise SourceError(path, first_line + mark.line, f"front matter value not allowed: {reason or error} "
                              "(plain text, numbers, lists, mappings and dates only)") from None
        except ValueError as error:
            raise SourceError(path, line(node), f"front matter value {node.value!r} is impossible: {error}") from None

    def text(name):
        node = fields[name]
        result = value(node)
        if not isinstance(result, str) or not result.strip():
            raise SourceError(path, line(node), f"front matter field {name!r} must be non-empty text")
        return result

    date = value(fields["date"])
    if not isinstance(date, datetime.date):
        raise SourceError(path, line(fields["date"]), "front matter field 'date' must be a date like 2025-01-31")
    return FrontMatter(
        title=text("title"),
        description=text("description"),
        authors=tuple(_author(node, path, line, value) for node in _authors(fields["authors"], path, line)),
        date=date,
        bibliography=text("bibliography"),
        **_publishing(fields, date, path, line, value),
    )


_DOI = re.compile(r"10\.\d{4,9}/\S+")
_FIGURE_NAME = re.compile(r"[A-Za-z0-9_\-]+")


def _publishing(fields, date, path, line, value):
    """The optional fields url, doi, license, updated and card_figure, each checked at its line.
    An empty value (doi: "") means none."""
    found = {}
    for name in ("url", "doi", "license", "updated", "card_figure"):
        node = fields.get(name)
        data = value(node) if node is not None else None
        if data is None or data == "":
            continue
        if name == "updated":
            if not isinstance(data, datetime.date) or data < date:
                raise SourceError(path, line(node), f"front matter field 'updated' must be a date like 2025-02-28, "
                                  f"on or after 'date' ({date.isoformat()})")
        elif not isinstance(data, str) or not data.strip():
            raise SourceError(path, line(node), f"front matter field {name!r} must be text")
        elif name == "url" and not _is_absolute_web(data):
            raise SourceError(path, line(node), f"front matter field 'url' is {data!r}: give the article's absolute "
                              "address, starting with https:// or http://, e.g. https://example.org/neuron-mechanics/")
        elif name == "doi" and not _DOI.fullmatch(data.strip()):
            raise SourceError(path, line(node), f"front matter field 'doi' is {data!r}: give a DOI like 10.23915/distill.00007 "
                              "(without https://doi.org/), or leave it empty")
        elif name == "card_figure" and not _FIGURE_NAME.fullmatch(data):
            raise SourceError(path, line(node), f"front matter field 'card_figure' is {data!r}: give a figure's name "
                              "(letters, digits, '_', '-'), as in @figure(NAME)")
        found[name] = data.strip() if isinstance(data, str) else data
    return found


def _is_absolute_web(url):
    parts = urllib.parse.urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url.strip())


def _authors(node, path, line):
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise SourceError(path, line(node), "front matter field 'authors' must be a non-empty list")
    return node.value


def _author(node, path, line, value):
    data = value(node)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise SourceError(path, line(node), "each author needs a 'name' (and 'affiliations')")
    affiliations = data.get("affiliations", data.get("affiliation"))
    if isinstance(affiliations, str):
        affiliations = [affiliations]
    if not affiliations or not all(isinstance(a, str) for a in affiliations):
        raise SourceError(path, line(node), f"author {data['name']!r} needs 'affiliations': a list of names")
    url = data.get("url")
    if url is not None and links.safe_url(url) is None:
        raise SourceError(path, line(node), f"author {data['name']!r} has url {url!r}: it must be {links.ALLOWED}")
    return Author(name=data["name"], affiliations=tuple(affiliations), url=url and links.safe_url(url))
