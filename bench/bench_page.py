"""Page weight and time-to-interactive of a built site, measured in Debian's Chromium.

    .venv/bin/python bench/bench_page.py [SITE_DIR] [--runs N] [--file]

SITE_DIR defaults to the repository's _site/. The site is served on 127.0.0.1 (or, with --file,
opened from disk as file://, as a double-click would) and each run loads it in a fresh browser
context (cold cache). Prints `name: value` lines:

- site_mb: bytes of every file in SITE_DIR (an upper bound of what a reader can download)
- page_initial_mb, requests_initial: what loading the page fetches, before any scrolling: the
  size on disk of each distinct site file it requested (what an uncompressed server sends)
- page_full_mb, requests_full: after scrolling through the page and through every gallery,
  so every lazy sprite has loaded: the page's total weight (target <= 8 MB)
- tti_first_diagram_ms: median over runs of the time from navigation start until the first
  diagram is rendered with its handlers attached (its `nm-diagram-ready` mark; target <= 1000)
- first_diagram_images_ms: median time until the first diagram's sprites have arrived
"""

import argparse
import functools
import http.server
import statistics
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
MB = 1e6

# Scrolls the window and every gallery scroller down in screen-sized steps, so each lazy item is
# seen once, as a reader scrolling through would.
SCROLL_THROUGH = """async () => {
  const pause = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 30)));
  for (let y = 0; y <= document.documentElement.scrollHeight; y += innerHeight / 2) { scrollTo(0, y); await pause(); }
  for (const scroller of document.querySelectorAll('.nm-gallery-scroll')) {
    scroller.scrollIntoView();
    for (let y = 0; y <= scroller.scrollHeight; y += scroller.clientHeight / 2) { scroller.scrollTop = y; await pause(); }
  }
}"""

# When the first diagram became interactive (ms since navigation start), where its sprites live,
# and the navigation start in epoch ms (the clock of Playwright's request timings).
FIRST_DIAGRAM = """() => {
  const ready = performance.getEntriesByName('nm-diagram-ready')[0];
  const first = document.querySelector('.nm-diagram[data-ready]');
  if (!ready || !first) return null;
  return [ready.startTime, new URL(first.dataset.assetUrl, location.href).href, performance.timeOrigin];
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class Fetched:
    """The site files a page has fetched, by URL, with when each arrived (epoch ms). Playwright's
    request events, unlike the page's resource timing, cover file:// as well as HTTP."""

    def __init__(self, page, site, url):
        self.site = site
        self.base = urlsplit(url).path.rpartition("/")[0] + "/"  # the URL path of the site's folder
        self.arrived = {}
        page.on("requestfinished", self._on_finished)

    def _on_finished(self, request):
        if not request.url.startswith("data:"):
            timing = request.timing
            self.arrived.setdefault(request.url, timing["startTime"] + timing["responseEnd"])

    def file(self, url):
        path = unquote(urlsplit(url).path)[len(self.base):]
        return self.site / (path + "index.html" if path.endswith("/") or not path else path)

    def weight(self):
        """(bytes on disk of the distinct files fetched, how many)."""
        return sum(self.file(url).stat().st_size for url in self.arrived), len(self.arrived)


def measure(site, runs, from_file=False):
    from playwright.sync_api import sync_playwright

    if from_file:
        server, url = None, (site.resolve() / "index.html").as_uri()
    else:
        server, url = serve(site)
    results = {"site_mb": sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / MB}
    tti, images = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
            for run in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                fetched = Fetched(page, site, url)
                page.goto(url, wait_until="load")
                page.wait_for_timeout(200)  # lets lazy loads of the first screen start and finish
                if run == 0:
                    size, count = fetched.weight()
                    results["page_initial_mb"], results["requests_initial"] = size / MB, count
                    page.evaluate(SCROLL_THROUGH)
                    page.wait_for_load_state("networkidle")
                    size, count = fetched.weight()
                    results["page_full_mb"], results["requests_full"] = size / MB, count
                first = page.evaluate(FIRST_DIAGRAM)
                if first is not None:
                    ready, assets, time_origin = first
                    tti.append(ready)
                    arrivals = [end - time_origin for u, end in fetched.arrived.items() if u.startswith(assets)]
                    images.append(max([ready, *arrivals]))
                context.close()
            browser.close()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    results["tti_first_diagram_ms"] = statistics.median(tti) if tti else None
    results["first_diagram_images_ms"] = statistics.median(images) if images else None
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, default=REPO / "_site", help="built site (default: _site)")
    parser.add_argument("--runs", type=int, default=5, help="page loads for the timing medians (default 5)")
    parser.add_argument("--file", action="store_true", help="open SITE_DIR/index.html from file:// instead of over HTTP")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"bench_page: no index.html in {args.site}; build the site first (python build.py)", file=sys.stderr)
        return 2
    results = measure(args.site, args.runs, args.file)
    for name, value in results.items():
        if value is None:
            print(f"{name}: n/a (no diagram became interactive)")
        elif isinstance(value, float):
            print(f"{name}: {value:.3f}" if name.endswith("_mb") else f"{name}: {value:.0f}")
        else:
            print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
