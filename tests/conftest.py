import os

# TensorFlow's C++ logging drowns pytest's output; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def executed_example(tmp_path_factory):
    """notebooks/decomposing_a_neuron.ipynb run headless in quick mode on this interpreter's
    kernel, with an empty notebook cache (model graphs already built are linked in, not rebuilt)."""
    import nbformat

    from mechanics.storage import cache_dir
    from notebook_support import EXAMPLE, run

    folder = tmp_path_factory.mktemp("notebook")
    cache = folder / "cache" / "neuron-mechanics"
    cache.mkdir(parents=True)
    for built in cache_dir().iterdir():
        if built.is_file():
            (cache / built.name).symlink_to(built)
    nb = nbformat.read(EXAMPLE, as_version=4)
    return run(nb, folder, env={"MECHANICS_QUICK": "1", "XDG_CACHE_HOME": str(folder / "cache")}, timeout=300)
