"""Where a project's inputs and outputs live; build.py --root points it at any tree."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path
    out: Path
    base_url: str = ""  # "" means relative URLs, which work under any base path

    @classmethod
    def at(cls, root, out=None, base_url=""):
        root = Path(root).resolve()
        if base_url and not base_url.endswith("/"):
            base_url += "/"
        return cls(root=root, out=Path(out).resolve() if out else root / "_site", base_url=base_url)

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
    def figures_src(self):
        return self.root / "figures_src"

    @property
    def figure_assets(self):
        return self.root / "assets" / "figures"

    def url(self, path):
        """The URL of a file under _site, as the page must reference it."""
        return self.base_url + path
