"""A built fixture site, served on 127.0.0.1 or opened from disk, and Chromium pages that fail on
any console error, failed request or request outside the site.

The site is a temporary project: article/index.md embedding one figure of each kind (and a kind
twice), contract-valid fixture figures (figure_fixtures.py) and the repository's own article/templates and article/static,
built with the real build.py, plus an atlas (ATLAS), made as one is: by naming it.
"""

import contextlib
import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from figure_fixtures import PAGE_FIGURES, build_fixture_project

ATLAS = "atlas_lite0"

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Debian's chromium against a built fixture site")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(
                    reason=f"browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium"))


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    build_fixture_project(root, REPO, PAGE_FIGURES, atlases=(ATLAS,))
    # The real build: runs each fixture make() in a child process, validates, embeds, copies.
    for command in (["figures", ATLAS], []):
        result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), *command],
                                capture_output=True, text=True, cwd=REPO, timeout=120)
        assert result.returncode == 0, result.stderr
    assert "stale" not in result.stdout and "missing" not in result.stdout, result.stdout
    return root / "_site"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serving(directory):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def base_url(site_dir):
    with _serving(site_dir) as url:
        yield url


@pytest.fixture(scope="session")
def site_urls(site_dir, base_url):
    """The page's URL for each way a reader may open it: at a host's root, under a base path
    (the site is a sub-folder of what is served), and from disk, as a double-click opens it."""
    with _serving(site_dir.parent) as parent_url:
        yield {"http": base_url, "http-base-path": f"{parent_url}{site_dir.name}/",
               "file": (site_dir / "index.html").as_uri()}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


class PageProblems:
    """Everything that must not happen while a page is open."""

    def __init__(self, page_url):
        self.site = page_url.rpartition("/")[0] + "/"  # the site's folder: everything must come from it
        self.console_errors = []
        self.failed = []
        self.foreign = []
        self.requested = []

    def attach(self, page):
        page.on("console", self._on_console)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", self._on_response)
        page.on("request", self._on_request)

    def _on_console(self, message):
        if message.type == "error":
            self.console_errors.append(f"{message.text} at {message.location.get('url')}")

    def _on_response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def _on_request(self, request):
        if request.url.startswith("data:"):
            return  # inline content (base.html's empty favicon), not a request to any host
        self.requested.append(request.url)
        if not request.url.startswith(self.site):
            self.foreign.append(request.url)

    def assert_clean(self):
        assert self.console_errors == [], "console errors"
        assert self.failed == [], "failed requests"
        assert self.foreign == [], f"requests outside {self.site}"


READY = f"document.querySelectorAll('.nm-diagram[data-ready]').length === {len(PAGE_FIGURES)}"

# Resolves once every sprite the page's tiles show has loaded: what a screenshot waits for, and
# leaving the page then aborts no request. Not wait_for_load_state("networkidle"): that returns at
# once when the page reached it before, and under load it can miss its timeout while sprites arrive.
SETTLE = """() => Promise.all([...document.querySelectorAll('[style*="background-image"]')]
    .map((node) => /url\\("(.*)"\\)/.exec(getComputedStyle(node).backgroundImage)).filter(Boolean)
    .map((match) => { const image = new Image(); image.src = match[1]; return image.decode().catch(() => null); }))"""


def _open(browser, problems, **context_options):
    context = browser.new_context(**{"viewport": {"width": 1100, "height": 900}, **context_options})
    context.set_default_timeout(5000)
    page = context.new_page()
    problems.attach(page)
    return context, page


def _article_page(browser, url, problems, javascript=True, **context_options):
    """Yields the article page (with JavaScript: once every diagram is ready), then closes it and
    fails the test on console errors or bad requests."""
    if not javascript:
        context_options["java_script_enabled"] = False
    context, page = _open(browser, problems, **context_options)
    page.goto(url, wait_until="domcontentloaded" if javascript else "load")
    if javascript:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            page.wait_for_function(READY)
        except PlaywrightTimeout:
            ready = page.locator(".nm-diagram[data-ready]").count()
            pytest.fail(f"{ready} of {len(PAGE_FIGURES)} diagrams became interactive at {url}; "
                        f"console errors: {problems.console_errors}; failed requests: {problems.failed}")
    yield page
    context.close()
    problems.assert_clean()


@pytest.fixture
def problems(base_url):
    """What went wrong on the test's page; a test may also read problems.requested."""
    return PageProblems(base_url)


@pytest.fixture
def page(browser, base_url, problems):
    """The article page with every diagram ready; fails the test on console errors or bad requests."""
    yield from _article_page(browser, base_url, problems)


@pytest.fixture
def touch_page(browser, base_url, problems):
    """A phone-sized touch context: taps, no hover."""
    yield from _article_page(browser, base_url, problems,
                             viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)


@pytest.fixture
def nojs_page(browser, base_url, problems):
    yield from _article_page(browser, base_url, problems, javascript=False)


@pytest.fixture(params=["http", "http-base-path", "file"])
def opened_page(request, browser, site_urls):
    """The article page, every diagram ready, opened each way of site_urls; fails the test on
    console errors or bad requests."""
    url = site_urls[request.param]
    yield from _article_page(browser, url, PageProblems(url))


@pytest.fixture
def open_article(browser, site_urls):
    """open_article(how, **context_options): the article page opened `how` (a key of site_urls),
    every diagram ready, in a context with those options (a phone, a colour scheme); each page is
    closed and checked for console errors and bad requests at the end of the test."""
    pages = []

    def open_(how, **context_options):
        url = site_urls[how]
        pages.append(_article_page(browser, url, PageProblems(url), **context_options))
        return next(pages[-1])

    yield open_
    for page in pages:
        next(page, None)


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
