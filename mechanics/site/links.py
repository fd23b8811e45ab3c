"""Which URLs the build may write into a page as links when they come from data (the
bibliography, the front matter): http(s), mailto, doi and relative ones, never a script.

Browsers drop tabs and newlines anywhere in a URL and spaces and control characters around
it, and read the scheme in any case, so the scheme is read the same way here:
" JaVa\tScript:..." is javascript:.
"""

import re
import urllib.parse

ALLOWED = "http(s)://, mailto:, doi: or a relative URL"
_IGNORED_INSIDE = re.compile(r"[\t\n\r]")
_AROUND = "".join(map(chr, range(0x21)))  # control characters and space
_DOI = "https://doi.org/"


def safe_url(url):
    """The URL to write into the page (a `doi:` one as its https://doi.org/ address), or None
    if it may not be a link: another scheme (javascript:, data:, vbscript:, file:, ...), or
    http(s) without a host, or mailto: without an address."""
    if not isinstance(url, str):
        return None
    cleaned = _IGNORED_INSIDE.sub("", url).strip(_AROUND)
    try:
        parts = urllib.parse.urlsplit(cleaned)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return cleaned if parts.netloc else None
    if scheme == "mailto":
        return cleaned if parts.path else None
    if scheme == "doi":
        return _DOI + urllib.parse.quote(cleaned[len("doi:"):].lstrip("/"), safe="/:;()._-") if parts.path else None
    if scheme == "" and not cleaned.startswith("\\"):  # relative; a leading backslash reads as // in browsers
        return cleaned
    return None
