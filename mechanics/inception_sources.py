"""InceptionV1 (GoogLeNet, the research note's model): where its frozen graph comes from.

Tried in order: a local file named by MECHANICS_INCEPTION_V1 (a .pb, or a .zip holding
one); the user's cache; then each download source, each checked against its sha256
where one is pinned, and always by parsing the graph and finding the layers the
engine uses. A download is held in memory until it is complete and verified, then
written to a temporary file that is renamed into the cache. Offline, one error says
how to provide the file.

No TensorFlow import at module level: `graph_id()` is part of every figure's cache key.
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass

from mechanics.errors import BadInput, WeightsUnavailable
from mechanics.model_files import inception_v1_override_path, sha256_file

ENV_VAR = "MECHANICS_INCEPTION_V1"
CACHE_NAME = "inception_v1.pb"
REQUIRED_NODES = ("input", "conv2d0", "mixed3a", "mixed4b", "mixed4c", "mixed5b", "softmax2")
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    sha256: str = None   # of the downloaded file; None where it could not be pinned
    member: str = None   # the graph's name inside a zip


# Every download is also verified by parsing it and finding REQUIRED_NODES. The DeepDream
# archive's sha256 is the one TensorFlow's own Bazel WORKSPACE pinned for inception5h.zip.
# Lucid's zoo publishes no checksum and could not be fetched where this was written, so its
# file is verified by parsing alone, and its sha256 is printed so that a user can pin it.
SOURCES = (
    Source("Lucid model zoo", "https://storage.googleapis.com/modelzoo/vision/other_models/InceptionV1.pb"),
    Source("TensorFlow DeepDream archive",
           "https://storage.googleapis.com/download.tensorflow.org/models/inception5h.zip",
           sha256="d13569f6a98159de37e92e9c8ec4dae8f674fbf475f69fe6199b514f756d4364",
           member="tensorflow_inception_graph.pb"),
)


# The layers listed for InceptionV1 (node names of both graphs); their facts come from the graph.
LAYER_NAMES = ("conv2d0", "maxpool0", "conv2d1", "conv2d2", "maxpool1", "mixed3a", "mixed3b", "maxpool4",
               "mixed4a", "mixed4b", "mixed4c", "mixed4d", "mixed4e", "maxpool10", "mixed5a", "mixed5b")


def cached_path(cache=None):
    from mechanics.storage import cache_dir
    return (cache or cache_dir()) / CACHE_NAME


def graph_paths():
    """Where a figure looks for the graph, in order: the file the user named, then the cache."""
    return [path for path in (inception_v1_override_path(), cached_path()) if path is not None]


def graph_id():
    """The sha256 prefix of the graph a figure would use, or 'unavailable'."""
    for path in graph_paths():
        if path.is_file():
            return sha256_file(path)[:16]
    return "unavailable"


def _graph_bytes(data, member, origin):
    if member is None:
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(member)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise BadInput(f"{origin}: no {member} in the archive ({exc})") from exc


def _parse(data, origin):
    from mechanics.lucid_tf2 import tf
    graph_def = tf.GraphDef()
    try:
        graph_def.ParseFromString(data)
    except Exception as exc:
        raise BadInput(f"{origin}: not a TensorFlow GraphDef ({exc})") from exc
    names = {node.name for node in graph_def.node}
    missing = [n for n in REQUIRED_NODES if n not in names]
    if missing:
        raise BadInput(f"{origin}: not InceptionV1: missing layers {', '.join(missing)}")
    return graph_def


def _download(source, progress=True):
    """The verified graph bytes of one source, streamed through a temporary file."""
    # Imported here: every build asks for graph_id(), and urllib.request alone costs a no-op build 30 ms.
    import urllib.error
    import urllib.request

    from tqdm import tqdm
    try:
        with urllib.request.urlopen(source.url, timeout=TIMEOUT_SECONDS) as response:
            expected = int(response.headers.get("Content-Length") or 0)
            digest, chunks = hashlib.sha256(), []
            with tqdm(total=expected or None, unit="B", unit_scale=True, desc=source.name,
                      disable=not progress, leave=False) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    digest.update(block)
                    chunks.append(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as exc:
        raise BadInput(f"{source.name} ({source.url}): {getattr(exc, 'reason', exc)}") from exc
    data = b"".join(chunks)
    if expected and len(data) != expected:
        raise BadInput(f"{source.name}: truncated transfer ({len(data)} of {expected} bytes)")
    if source.sha256 and digest.hexdigest() != source.sha256:
        raise BadInput(f"{source.name}: checksum mismatch (sha256 {digest.hexdigest()}, "
                       f"expected {source.sha256})")
    return _graph_bytes(data, source.member, source.name)


def load_graph_def(sources=SOURCES, cache=None, progress=True):
    """InceptionV1's GraphDef from the local override, the cache, or the first source that works."""
    from mechanics.storage import write_atomic
    override = inception_v1_override_path()
    if override is not None:
        if not override.is_file():
            raise BadInput(f"{ENV_VAR}={override}: no such file")
        data = override.read_bytes()
        member = "tensorflow_inception_graph.pb" if override.suffix == ".zip" else None
        return _parse(_graph_bytes(data, member, str(override)), str(override))
    path = cached_path(cache)
    if path.is_file():
        try:
            return _parse(path.read_bytes(), str(path))
        except BadInput:
            path.unlink()  # corrupt: fetch again
    failures = []
    for source in sources:
        try:
            data = _download(source, progress)
            graph_def = _parse(data, source.name)
        except BadInput as exc:
            failures.append(str(exc))
            continue
        write_atomic(path, data)
        return graph_def
    raise WeightsUnavailable(
        "InceptionV1's graph could not be had: " + "; ".join(failures)
        + f". Download InceptionV1.pb (Lucid's model zoo) or inception5h.zip (TensorFlow's DeepDream) "
          f"on a machine that is online, then set {ENV_VAR}=/path/to/that/file")

