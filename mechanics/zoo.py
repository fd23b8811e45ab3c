"""The model zoo: each model as a Lucid `Model` over a frozen GraphDef (`zoo_model.ZooModel`),
loaded by the model source that owns its name (`inputs.MODEL_SOURCES`).

    model = load_model("efficientnet_lite0")    # or efficientnet_lite1/2, inception_v1, a path
    model.layer("block10").channels            # 112
    model.window("block10", "block9", (4, 4), input_size=128)
"""

import functools

from mechanics.inputs import model_source
from mechanics.zoo_model import Window, ZooModel, cached_graph_def  # noqa: F401  (the zoo's public names)


@functools.lru_cache(maxsize=None)
def load_model(name):
    """A zoo model by name, or a model file (see `inputs.MODEL_FILE_KINDS`) by path."""
    source = model_source(name)
    source.check(name)
    return source.load(name)
