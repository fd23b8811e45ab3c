import os

import pytest

# TensorFlow's C++ logging drowns pytest's output; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def executed_example(tmp_path_factory):
    """notebooks/decomposing_a_neuron.ipynb run headless in quick mode on this interpreter's
    kernel, with an empty notebook cache (model graphs already built are linked in, not rebuilt)."""
    import nbformat

    from notebook_support import EXAMPLE, fresh_cache, run

    folder = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(EXAMPLE, as_version=4)
    run(nb, folder, env={"MECHANICS_QUICK": "1", "XDG_CACHE_HOME": str(fresh_cache(folder))}, timeout=300)
    nbformat.write(nb, folder / EXAMPLE.name)  # with its outputs and cell timings, to look at
    return nb
