"""TeX to MathML at build time (latex2mathml), so the page needs no math script or font CDN."""

import re
from functools import lru_cache

from latex2mathml.converter import convert

# latex2mathml passes unknown commands through as text such as <mi>\foo</mi>.
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")


@lru_cache(maxsize=4096)  # a preview rebuild converts only the formulas that changed
def tex_to_mathml(tex, display):
    """MathML for `tex`; raises ValueError with a short reason when the TeX is bad."""
    _check_braces(tex)
    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml's exceptions share no base class but Exception
        raise ValueError(f"{type(error).__name__} {error}".strip()) from None
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown:
        raise ValueError(f"unknown TeX command {unknown.group()}")
    return mathml


def _check_braces(tex):
    depth = 0
    for match in re.finditer(r"\\.|[{}]", tex):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced '}'")
    if depth:
        raise ValueError("unbalanced '{'")
