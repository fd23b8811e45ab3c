"""InceptionV1's graph: sources tried in order against a loopback server; never the internet."""

import hashlib
import http.server
import io
import threading
import zipfile

import pytest

from mechanics import inception_sources
from mechanics.errors import BadInput, WeightsUnavailable
from mechanics.inception_sources import REQUIRED_NODES, Source, load_graph_def
from mechanics.lucid_tf2 import tf


def small_graph(names=REQUIRED_NODES):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 4, 3], name=names[0])
        for name in names[1:]:
            x = tf.identity(x, name=name)
    return graph.as_graph_def().SerializeToString()


GRAPH = small_graph()


def zipped(data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tensorflow_inception_graph.pb", data)
    return buffer.getvalue()


class Handler(http.server.BaseHTTPRequestHandler):
    routes = {"/InceptionV1.pb": GRAPH, "/inception5h.zip": zipped(GRAPH), "/other.pb": small_graph(("input", "x"))}

    def do_GET(self):
        if self.path == "/truncated.pb":
            self.send_response(200)
            self.send_header("Content-Length", str(len(GRAPH)))
            self.end_headers()
            self.wfile.write(GRAPH[: len(GRAPH) // 2])
            return
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv(inception_sources.ENV_VAR, raising=False)


def load(sources, cache):
    return load_graph_def(sources, cache=cache, progress=False)


def test_first_source_that_works_is_cached(server, tmp_path):
    graph_def = load([Source("zoo", f"{server}/InceptionV1.pb", hashlib.sha256(GRAPH).hexdigest())], tmp_path)
    assert {n.name for n in graph_def.node} >= set(REQUIRED_NODES)
    assert (tmp_path / "inception_v1.pb").read_bytes() == GRAPH
    # Cached: no source is needed any more.
    assert load([], tmp_path) == graph_def


def test_a_404_falls_back_to_the_next_source_inside_a_zip(server, tmp_path):
    graph_def = load([Source("zoo", f"{server}/gone.pb"),
                      Source("deepdream", f"{server}/inception5h.zip", member="tensorflow_inception_graph.pb")],
                     tmp_path)
    assert "mixed4c" in {n.name for n in graph_def.node}


@pytest.mark.parametrize("source, reason", [
    (Source("zoo", "{server}/InceptionV1.pb", "0" * 64), "checksum mismatch"),
    (Source("zoo", "{server}/truncated.pb"), "truncated transfer"),
    (Source("zoo", "{server}/other.pb"), "missing layers conv2d0"),
])
def test_a_bad_download_is_refused_and_nothing_is_cached(server, tmp_path, source, reason):
    source = Source(source.name, source.url.format(server=server), source.sha256)
    with pytest.raises(WeightsUnavailable, match=reason):
        load([source], tmp_path)
    assert not (tmp_path / "inception_v1.pb").exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_offline_gives_one_error_that_says_how_to_provide_the_file(tmp_path):
    with pytest.raises(WeightsUnavailable, match="MECHANICS_INCEPTION_V1=/path/to/that/file") as error:
        load([Source("zoo", "http://127.0.0.1:9/InceptionV1.pb")], tmp_path)
    assert "zoo (http://127.0.0.1:9/InceptionV1.pb)" in str(error.value)


def test_a_local_file_overrides_every_source(tmp_path, monkeypatch):
    local = tmp_path / "inception5h.zip"
    local.write_bytes(zipped(GRAPH))
    monkeypatch.setenv(inception_sources.ENV_VAR, str(local))
    assert "mixed5b" in {n.name for n in load([], tmp_path / "cache").node}
    monkeypatch.setenv(inception_sources.ENV_VAR, str(tmp_path / "missing.pb"))
    with pytest.raises(BadInput, match="missing.pb: no such file"):
        load([], tmp_path / "cache")


@pytest.mark.skipif(inception_sources.graph_id() == "unavailable",
                    reason="InceptionV1's graph is not on this machine (set MECHANICS_INCEPTION_V1)")
@pytest.mark.parametrize("target, earlier", [("mixed4c", "mixed4b"), ("mixed3b", "maxpool1"), ("conv2d2", "conv2d0")])
def test_inception_windows_are_the_gradient_supports(target, earlier):
    from gradient_support import assert_window_is_gradient_support
    from mechanics.zoo import load_model
    model = load_model("inception_v1")
    assert_window_is_gradient_support(model, target, earlier, model.centre(target, 224), 224)
