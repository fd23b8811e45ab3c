"""`build.py pdf`: the article printed to PDF by Debian's Chromium, through Playwright.

The page's own print stylesheet decides what is printed (static figures, no controls, link
targets, notes and references), so the PDF is what a reader's Ctrl+P gives; Chromium adds the
page numbers (its footer template) and pypdf the document's title and authors.
"""

import io
import logging
import os
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.site import builder, frontmatter, metadata
from mechanics.site.errors import display_path, read_source

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
PAPERS = {"a4": "A4", "letter": "Letter"}
MARGIN = {"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}
FOOTER = ('<div style="width:100%;font:8px sans-serif;color:#666;text-align:center">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
# Every diagram has rendered; then the page's beforeprint handler (components/sprites.js) makes
# lazy images eager, and every image has loaded (or failed).
_READY = "() => [...document.querySelectorAll('.nm-diagram')].every(d => d.hasAttribute('data-ready'))"
_IMAGES_LOADED = """async () => {
  window.dispatchEvent(new Event("beforeprint"));
  await Promise.all([...document.images].map((img) => img.complete ? null
    : new Promise((done) => { img.addEventListener("load", done); img.addEventListener("error", done); })));
}"""


@dataclass(frozen=True)
class Printed:
    path: Path
    pages: int
    bytes: int
    build_s: float
    print_s: float


def run(project, out=None, paper="a4", regenerate=True):
    """Build the site (with the PDF's citation_pdf_url when the PDF goes into it), print it, write
    the PDF atomically to `out` (default: index.pdf in the site). Bad input raises BadInput."""
    target = _target(project, out)
    _check_chromium()
    in_site = target.is_relative_to(project.out)
    started = time.monotonic()
    builder.build(project, regenerate=regenerate, pdf=target.relative_to(project.out).as_posix() if in_site else None)
    built = time.monotonic()
    meta, _, _ = frontmatter.split(read_source(project.index_md, "the article"), project.index_md)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        _print(project, _address(project, meta), scratch, PAPERS[paper])
        pages = _set_metadata(scratch, meta)
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
    return Printed(target, pages, target.stat().st_size, built - started, time.monotonic() - built)


def _target(project, out):
    target = (Path(out) if out else project.out / metadata.PDF).resolve()
    if target.is_dir():
        raise BadInput(f"--out {display_path(target)} is a folder; give a file name, e.g. {display_path(target / 'article.pdf')}")
    if target.suffix.lower() != ".pdf":
        raise BadInput(f"--out {display_path(target)} does not end in .pdf; give a file name such as article.pdf")
    if target.exists() and target.read_bytes()[:5] != b"%PDF-":
        raise BadInput(f"--out {display_path(target)} exists and is not a PDF; it is left as it is: give another file name")
    if not target.is_relative_to(project.out) and not target.parent.is_dir():
        raise BadInput(f"--out {display_path(target)}: its folder {display_path(target.parent)} does not exist")
    return target


def _check_chromium():
    if not CHROMIUM.exists():
        raise BadInput(f"build.py pdf prints with Debian's chromium, which is not at {CHROMIUM}: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise BadInput("build.py pdf needs Playwright for Python: .venv/bin/pip install -r requirements.txt") from None


def _address(project, meta):
    """Where the printed page says it is, so that the PDF's links point where readers can follow
    them: the front matter's url (its folder), or the --base-url on a local host, or None (the
    site's files, opened from disk)."""
    if meta.url:
        return metadata.absolute(meta, "", None)
    if project.base_url:
        return "http://localhost" + project.base_url
    return None


def _print(project, address, pdf_path, paper):
    """Print the site's index.html into pdf_path. At an `address`, the browser's requests for the
    site are answered from the built files and every other request is refused (nothing is fetched)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    site = project.out.resolve()
    if address:
        parts = urllib.parse.urlsplit(address)
        origin, root = f"{parts.scheme}://{parts.netloc}", project.base_url or parts.path

    def answer(route):
        parts = urllib.parse.urlsplit(route.request.url)
        path = urllib.parse.unquote(parts.path)
        target = (site / path[len(root):]).resolve() if path.startswith(root) else None
        if f"{parts.scheme}://{parts.netloc}" == origin and target and target.is_relative_to(site) and target.is_file():
            route.fulfill(path=str(target))
        else:
            route.abort()

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1000, "height": 1400})
                page.set_default_timeout(60_000)
                if address:
                    page.route(lambda url: not url.startswith("data:"), answer)
                page.goto(f"{origin}{root}index.html" if address else (site / "index.html").as_uri(), wait_until="load")
                page.wait_for_function(_READY)
                page.emulate_media(media="print")
                page.evaluate(_IMAGES_LOADED)
                page.pdf(path=str(pdf_path), format=paper, print_background=True, display_header_footer=True,
                         header_template="<span></span>", footer_template=FOOTER, margin=MARGIN, outline=True, tagged=True)
            finally:
                browser.close()
    except PlaywrightError as error:
        raise BadInput(f"chromium could not print {display_path(site / 'index.html')}: {str(error).splitlines()[0]}") from None


def _set_metadata(pdf_path, meta):
    """Title, authors and subject from the front matter; returns the page count."""
    from pypdf import PdfWriter

    # pypdf logs a warning about Chromium's trailer size, which it repairs: not the reader's concern.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    writer = PdfWriter(clone_from=io.BytesIO(pdf_path.read_bytes()))  # read whole: the file is rewritten
    writer.add_metadata({"/Title": meta.title, "/Author": ", ".join(a.name for a in meta.authors),
                         "/Subject": meta.description, "/Creator": "Neuron Mechanics (build.py pdf)"})
    with open(pdf_path, "wb") as stream:
        writer.write(stream)
    return len(writer.pages)
