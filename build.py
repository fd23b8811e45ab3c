"""Placeholder build: writes _site/index.html until the article build system lands."""
import html
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent

if __name__ == "__main__":
    site = ROOT / "_site"
    tmp = Path(tempfile.mkdtemp(dir=ROOT, prefix=".site-"))
    (tmp / "index.html").write_text(f"<!doctype html><title>{html.escape('Neuron Mechanics')}</title><h1>Neuron Mechanics</h1>\n")
    if site.exists():
        os.rename(site, ROOT / ".site-old")
    os.rename(tmp, site)
    import shutil; shutil.rmtree(ROOT / ".site-old", ignore_errors=True)
    print(f"built {site / 'index.html'}")
