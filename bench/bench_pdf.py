"""The article's PDF (`build.py pdf`), printed as `name: value` lines.

Runs on a copy of the repository's article in a temporary project (figures as committed, never
regenerated), so the real _site/ is untouched:
- pdf_total_s: the whole `build.py --no-figures pdf` command, start to exit;
- pdf_build_s, pdf_print_s: its site build, and Chromium's print plus pypdf's metadata pass;
- pdf_pages, pdf_mb: the PDF's page count and size; pdf_images: images embedded in it;
- pdf_mb_per_site_mb: the PDF's size over the built site's (its HTML, scripts, styles and the
  article's figure assets, without the atlas pages).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main():
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        for part in ("article", "figures_src", "assets"):
            shutil.copytree(REPO / part, root / part)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--no-figures", "pdf"],
                                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        total = time.monotonic() - started
        if result.returncode != 0:
            sys.exit(f"build.py pdf failed: {result.stderr.strip()}")
        build_s, print_s = re.search(r"build ([\d.]+)s, print ([\d.]+)s", result.stdout).groups()
        pdf = root / "_site" / "index.pdf"
        reader = PdfReader(pdf)
        site = root / "_site"
        site_bytes = sum(p.stat().st_size for p in site.rglob("*")
                         if p.is_file() and p != pdf and "atlas" not in p.relative_to(site).parts[:1]
                         and not p.relative_to(site).as_posix().startswith("assets/figures/atlas_"))
        print(f"pdf_total_s: {total:.2f}")
        print(f"pdf_build_s: {float(build_s):.2f}")
        print(f"pdf_print_s: {float(print_s):.2f}")
        print(f"pdf_pages: {len(reader.pages)}")
        print(f"pdf_mb: {pdf.stat().st_size / 1e6:.2f}")
        print(f"pdf_images: {sum(len(page.images) for page in reader.pages)}")
        print(f"pdf_mb_per_site_mb: {pdf.stat().st_size / site_bytes:.2f}")


if __name__ == "__main__":
    main()
