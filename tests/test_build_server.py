"""`build.py serve` with a real HTTP client: confinement to _site/, loopback only, live reload."""

import http.client
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import shutil

import pytest

from test_build_support import PYTHON, REPO, built_template, edit, project, run_build, snapshot  # noqa: F401


def serve_env(root):
    # The preview goes to the cache: one per test project, not the user's.
    return {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(Path(root).parent / "cache")}


class Server:
    def __init__(self, root, port=0):
        self.process = subprocess.Popen(
            [PYTHON, "-u", str(REPO / "build.py"), "--root", str(root), "serve", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=serve_env(root))
        self.lines = []
        self.port = None
        for line in self.process.stdout:
            self.lines.append(line)
            match = re.search(r"serving (.+) at http://127\.0\.0\.1:(\d+)/", line)
            if match:
                self.site, self.port = Path(match.group(1)), int(match.group(2))
                break
        assert self.port, "".join(self.lines)
        # Keep draining output so the server never blocks on a full pipe.
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()

    def get(self, path, host="127.0.0.1"):
        connection = http.client.HTTPConnection(host, self.port, timeout=10)
        connection.request("GET", path)  # http.client sends the path as written: no normalisation
        response = connection.getresponse()
        return response.status, response.read()

    def events(self):
        """An open /__reload stream; read_event() returns (event, data) of the next event."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        connection.request("GET", "/__reload")
        response = connection.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"
        return response

    def printed(self, text):
        """Whether the server printed `text`, waiting a while for its output to be drained."""
        for _ in range(100):
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def read_event(stream):
    event = data = None
    while True:
        line = stream.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and event:
            return event, data


@pytest.fixture
def server(project):
    server = Server(project)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site_root(built_template, tmp_path_factory):
    root = shutil.copytree(built_template, tmp_path_factory.mktemp("served") / "project")
    (root.parent / "secret.txt").write_text("outside the site")
    return root


@pytest.fixture(scope="module")
def shared_server(site_root):
    """One server for the tests that only read."""
    server = Server(site_root)
    yield server
    server.stop()


def test_serves_the_built_site(shared_server):
    status, body = shared_server.get("/")
    assert status == 200 and b'data-live-reload="/__reload"' in body
    assert shared_server.get("/static/article.css")[0] == 200


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2fsecret.txt",
    "/static/..%2f..%2fsecret.txt", "//etc/passwd", "/%2fetc%2fpasswd", "/..\\secret.txt",
])
def test_paths_outside_the_site_are_refused(shared_server, path):
    status, body = shared_server.get(path)
    assert status in (403, 404)
    assert body != b"outside the site" and b"root:" not in body


def test_symlink_out_of_the_site_is_refused(shared_server, site_root):
    (shared_server.site / "leak.txt").symlink_to(site_root.parent / "secret.txt")
    assert shared_server.get("/leak.txt")[0] == 403


def test_binds_loopback_only(shared_server):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outward interface
        address = probe.getsockname()[0]
    except OSError:
        pytest.skip("no non-loopback interface")
    finally:
        probe.close()
    if address.startswith("127."):
        pytest.skip("no non-loopback interface")
    with pytest.raises(OSError):
        socket.create_connection((address, shared_server.port), timeout=5).close()


def test_article_edit_emits_a_reload_event_and_rebuilds(server, project):
    stream = server.events()
    edit(project / "article" / "index.md", "## Intro", "## Freshly edited")
    assert read_event(stream)[0] == "build-ok"
    assert read_event(stream)[0] == "reload"
    assert b"Freshly edited" in server.get("/")[1]


def test_broken_edit_reports_the_error_and_the_server_keeps_running(server, project):
    stream = server.events()
    edit(project / "article" / "index.md", "[@olah2017feature]", "[@nosuchkey]")
    event, data = read_event(stream)
    assert event == "build-error" and "unknown citation key 'nosuchkey'" in data
    assert server.get("/")[0] == 200  # the last good build is still served
    assert server.printed("unknown citation key 'nosuchkey'")  # and the terminal shows the error
    edit(project / "article" / "index.md", "[@nosuchkey]", "[@olah2017feature]")
    assert read_event(stream)[0] == "build-ok"


def test_figure_script_edit_marks_the_figure_stale_without_running_it(server, project):
    stream = server.events()
    edit(project / "figures_src" / "alpha.py", "'red'", "'purple'")
    assert read_event(stream)[0] == "build-ok"
    page = server.get("/")[1].decode()
    assert "This figure is stale" in page.split('id="fig-alpha"')[1].split("</figure>")[0]
    assert not any("figure alpha:" in line for line in server.lines)


def test_port_in_use_is_a_clear_error(project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([PYTHON, str(REPO / "build.py"), "--root", str(project), "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=60, env=serve_env(project))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_preview_never_touches_the_publishable_site(project):
    before = snapshot(project / "_site")
    server = Server(project)
    try:
        assert not server.site.is_relative_to(project)
        stream = server.events()
        edit(project / "article" / "index.md", "## Intro", "## Previewed")
        assert read_event(stream)[0] == "build-ok"
        assert b"Previewed" in server.get("/")[1]
    finally:
        server.stop()
    assert snapshot(project / "_site") == before
    assert b"__reload" not in (project / "_site" / "index.html").read_bytes()
    run_build(project, check=True)  # and _site/ is what build.py makes of the edited article
    assert b"Previewed" in (project / "_site" / "index.html").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "argument --port: 70000 is out of range"),
    (["--port", "-1"], "argument --port: -1 is out of range"),
    (["--port", "http"], "argument --port: 'http' is not an integer"),
    (["--out", "elsewhere"], "serve builds its preview in its own folder and never into --out"),
    (["--base-url", "drafts/nm"], "--base-url 'drafts/nm' is not a URL path"),
])
def test_bad_serve_arguments_are_one_line(project, args, message):
    result = subprocess.run([PYTHON, str(REPO / "build.py"), "--root", str(project), "serve", *args],
                            capture_output=True, text=True, timeout=60, env=serve_env(project))
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
