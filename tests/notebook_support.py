"""Running notebooks headless on this interpreter's kernel (nbclient) and exporting them (nbconvert).

The kernel is the test's own Python (the project's .venv), through a kernelspec written to a
temporary folder, so no kernel the user registered is used or needed.
"""

import json
import os
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
EXAMPLE = NOTEBOOKS / "decomposing_a_neuron.ipynb"
KERNEL = "neuron-mechanics"


def _kernel_manager(folder):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    spec = Path(folder) / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL, "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(spec.parent)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)


def run(nb, folder, cwd=NOTEBOOKS, env=None, timeout=120):
    """Execute notebook `nb` in place on this interpreter's kernel, in `cwd`; `env` adds to the
    kernel's environment. `folder`: a scratch folder for the kernelspec."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, km=_kernel_manager(folder), timeout=timeout, resources={"metadata": {"path": str(cwd)}})
    client.execute(env={**os.environ, **(env or {})})
    return nb


def fresh_cache(folder):
    """An XDG_CACHE_HOME under `folder` without notebook results, to which the model graphs
    already built are linked (not rebuilt)."""
    from mechanics.storage import cache_dir
    cache = Path(folder) / "cache"
    (cache / "neuron-mechanics").mkdir(parents=True)
    for built in cache_dir().iterdir():
        if built.is_file():
            (cache / "neuron-mechanics" / built.name).symlink_to(built)
    return cache


def code_notebook(*sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    return nb


def export_html(nb):
    """The notebook as one HTML page, by the offline template (notebooks/templates/offline)."""
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(NOTEBOOKS / "templates")])
    body, _ = exporter.from_notebook_node(nb)
    return body


def outputs(cell, kind):
    return [output for output in cell.get("outputs", []) if output["output_type"] == kind]
