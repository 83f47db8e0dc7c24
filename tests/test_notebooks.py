"""The notebooks run clean from top to bottom, so they never rot."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, \
                f"{name} is committed with outputs: clear them"
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def test_quick_start():
    nb = execute("01_quick_start.ipynb")
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for c in nb.cells
                   if c.cell_type == "code" for o in c.outputs)
    assert "sentra_kuliner" in text


@pytest.mark.usefixtures("shared_data")
def test_real_boundaries_rth():
    nb = execute("02_real_boundaries_rth.ipynb")
    first = nb.cells[1].outputs[-1]["data"]["text/plain"]
    assert first.startswith("(67, 265.7")


def test_own_profile():
    nb = execute("03_own_profile.ipynb")
    assert any("CR = 0.0" in o.get("text", "") for c in nb.cells if c.cell_type == "code"
               for o in c.outputs)
    assert not (NOTEBOOKS / "my_kuliner.toml").exists()


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_allocation():
    nb = execute("04_allocation.ipynb")
    text = "".join(str(o.get("text", "")) for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "joint plan" in text and "sequential plan" in text
    assert not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)


def test_your_own_data():
    nb = execute("05_your_own_data.ipynb")
    text = "".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "needs layer '" in text and 'missing="skip"' in text  # the default: a clear error
    assert "layer_not_given" in text and "no_matching_feature" in text
    assert "folium" in text or any("text/html" in o.get("data", {}) for c in nb.cells
                                   if c.cell_type == "code" for o in c.outputs)
    # a population and a hazard raster joined the bundle, and counted people
    assert "<RasterLayer population" in text and "<RasterLayer flood_hazard" in text
    assert "count" in text and "mean" in text  # people within 1 km, described
