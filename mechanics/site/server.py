"""`build.py serve`: build a preview, serve it on 127.0.0.1, rebuild on edits, tell open pages to reload.

The preview is built in the cache (one folder per project), never in _site/ or --out: the
publishable site never carries the live-reload hook.

Live reload is a server-sent-event stream at /__reload: "reload" after every good build,
"build-error" (JSON {"message"}) when a build fails, "build-ok" when it recovers. The page's
article.js listens. Builds here never run figure scripts: an edited script only marks its
figure stale, so the preview never waits for TensorFlow.
"""

import dataclasses
import errno
import hashlib
import http.server
import json
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from mechanics.errors import BadInput
from mechanics.site import builder
from mechanics.site.errors import Interrupted, display_path
from mechanics.site.figure_cache import is_scratch
from mechanics.site.folders import check_writable, usable_cache_dir
from mechanics.site.page import LIVE_RELOAD_PATH

KEEPALIVE_S = 15


class BuildState:
    """The latest build's outcome, shared by the watcher thread and the event streams."""

    def __init__(self):
        self.generation = 0
        self.error = None
        self.closing = False
        self.changed = threading.Condition()

    def publish(self, error):
        with self.changed:
            self.generation += 1
            self.error = error
            self.changed.notify_all()

    def close(self):
        with self.changed:
            self.closing = True
            self.changed.notify_all()


def rebuild(project, state):
    """One preview build; errors go to the terminal and the browser, never up the stack."""
    started = time.monotonic()
    try:
        report = builder.build(project, regenerate=False, live_reload=True)
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        state.publish(str(error))
        return
    outdated = ", ".join(f"{f.name} ({f.status})" for f in report.outdated)
    print(f"built in {time.monotonic() - started:.2f}s" + (f"; outdated figures: {outdated}" if outdated else ""), flush=True)
    state.publish(None)


def make_handler(site_root, state):
    site_root = Path(site_root).resolve()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site_root), **kwargs)

        def _request_path(self):
            # Not urlsplit: it would read '//etc/passwd' as a host name; the file server does not.
            return self.path.split("?", 1)[0].split("#", 1)[0]

        def do_GET(self):
            if self._request_path() == LIVE_RELOAD_PATH:
                return self._events()
            if not self._inside_site():
                return self.send_error(403, "outside the site")
            return super().do_GET()

        def do_HEAD(self):
            if not self._inside_site():
                return self.send_error(403, "outside the site")
            return super().do_HEAD()

        def _inside_site(self):
            """Refuse '..' (however encoded), backslashes, NULs, and symlinks that lead outside."""
            raw = self._request_path()
            path = urllib.parse.unquote(raw)
            if not raw.startswith("/") or "\\" in path or "\0" in path:
                return False
            if any(part == ".." for part in path.split("/")):
                return False
            target = (site_root / path.lstrip("/")).resolve()
            return target == site_root or target.is_relative_to(site_root)

        def _events(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            with state.changed:
                seen = state.generation
                error = state.error
            try:
                if error:  # a page opened while the build is broken shows the error at once
                    self._send("build-error", {"message": error})
                while True:
                    with state.changed:
                        state.changed.wait_for(lambda: state.generation != seen or state.closing, timeout=KEEPALIVE_S)
                        if state.closing:
                            return
                        fresh, seen, error = state.generation != seen, state.generation, state.error
                    if not fresh:
                        self.wfile.write(b": keepalive\n\n")
                        self.wfile.flush()
                    elif error:
                        self._send("build-error", {"message": error})
                    else:
                        self._send("build-ok", {})
                        self._send("reload", {})
            except (BrokenPipeError, ConnectionResetError):
                return

        def _send(self, event, data):
            self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        def end_headers(self):
            self.send_header("Cache-Control", "no-store")  # a reload must never show a cached page
            super().end_headers()

        def log_message(self, format, *args):
            pass  # keep the terminal for build output

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def open_server(project, port, state):
    try:
        return _Server(("127.0.0.1", port), make_handler(project.out, state))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise BadInput(f"port {port} on 127.0.0.1 is already in use; pick another with --port N") from None
        if error.errno == errno.EACCES:
            raise BadInput(f"port {port} on 127.0.0.1 needs administrator rights; pick one from 1024 to 65535 "
                           "with --port N (0 picks a free one)") from None
        raise BadInput(f"cannot serve on 127.0.0.1 port {port}: {error.strerror}") from None


def preview_dir(root):
    """The folder serve builds into: in the cache, one per project."""
    folder = usable_cache_dir("for the preview") / "preview" / hashlib.sha256(str(root).encode()).hexdigest()[:16]
    check_writable(folder, "the preview folder in the cache (set XDG_CACHE_HOME to a writable folder)")
    return folder / "site"


def _watch(project, state, stop, ready):
    from watchfiles import DefaultFilter, watch

    base_filter = DefaultFilter()

    def relevant(change, path):
        return base_filter(change, path) and not is_scratch(path) and not Path(path).is_relative_to(project.out)

    roots = [p for p in (project.article_dir, project.root / "assets", project.figures_src) if p.exists()]
    # yield_on_timeout yields an empty set once the watcher is armed (then every rust_timeout ms),
    # so serve() can announce itself only when no edit can be missed.
    for changes in watch(*roots, watch_filter=relevant, stop_event=stop, debounce=400, step=30,
                         yield_on_timeout=True, rust_timeout=500):
        ready.set()
        if not changes:
            continue
        names = sorted({Path(p).name for _, p in changes})
        print(f"changed: {', '.join(names)}", flush=True)
        rebuild(project, state)


def serve(project, port):
    """Build, serve and watch until Ctrl-C. The build may fail: the server still starts."""
    project = dataclasses.replace(project, out=preview_dir(project.root))
    state = BuildState()
    server = open_server(project, port, state)  # before building, so a busy port fails fast
    rebuild(project, state)
    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_watch, args=(project, state, stop, ready), daemon=True)
    watcher.start()
    ready.wait()
    host, bound_port = server.server_address[:2]
    print(f"serving {project.out} at http://{host}:{bound_port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, Interrupted):
        print("stopped serving", flush=True)
    finally:
        stop.set()
        state.close()
        server.server_close()
