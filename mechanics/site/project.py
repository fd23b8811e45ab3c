"""Where a project's inputs and outputs live; build.py --root points it at any tree."""

import re
from dataclasses import dataclass
from pathlib import Path

from mechanics.errors import BadInput

# A URL path of plain segments, starting and ending with '/': what a static host serves a site under.
_BASE_URL = re.compile(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*")


@dataclass(frozen=True)
class Project:
    root: Path
    out: Path
    base_url: str = ""  # "" means relative URLs, which work under any base path

    @classmethod
    def at(cls, root, out=None, base_url=""):
        root = Path(root).resolve()
        return cls(root=root, out=Path(out).resolve() if out else root / "_site", base_url=check_base_url(base_url))

    @property
    def article_dir(self):
        return self.root / "article"

    @property
    def index_md(self):
        return self.article_dir / "index.md"

    @property
    def templates_dir(self):
        return self.article_dir / "templates"

    @property
    def static_dir(self):
        return self.article_dir / "static"

    @property
    def site_root_dir(self):
        """Files copied as they are to the top of the site (CNAME, .nojekyll, robots.txt)."""
        return self.article_dir / "root"

    @property
    def figures_src(self):
        return self.root / "figures_src"

    @property
    def figure_assets(self):
        return self.root / "assets" / "figures"

    def url(self, path, depth=0):
        """The URL of a file under _site, as a page `depth` folders below the site's top must
        reference it (atlas/efficientnet_lite0/block9.html is at depth 2)."""
        return (self.base_url or "../" * depth) + path


def check_base_url(base_url):
    """'' (relative URLs) or a path like /drafts/nm/ (the trailing slash may be left out)."""
    if not base_url:
        return ""
    normalized = base_url if base_url.endswith("/") else base_url + "/"
    if not _BASE_URL.fullmatch(normalized):
        raise BadInput(f"--base-url {base_url!r} is not a URL path: give one starting with '/', "
                       "such as /drafts/nm/ (letters, digits, '.', '_', '~', '-' between slashes), "
                       "or leave it out for relative URLs")
    return normalized
