"""The notebooks run clean from top to bottom, offline, so they never rot.

Each is committed without outputs and executed here; files they write go to
temporary folders. Notebook 02 reads real boundaries only from a file named by
``SITEPLAN_SERANG_BOUNDARIES`` (else the sample's kelurahan).
"""

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


def texts(nb) -> str:
    """Every text and plain-text output of the code cells."""
    return "\n".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def no_errors(nb) -> None:
    assert not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)


def test_quick_start():
    nb = execute("01_quick_start.ipynb")
    text = texts(nb)
    assert "sentra_kuliner" in text
    assert "Counts(input=6000" in text
    # the explanation's points add up to the score, printed to two decimals
    line = next(t for t in text.splitlines() if t.startswith("points "))
    points, score = line.removeprefix("points ").split(" = score ")
    assert points == score
    assert "Near a market" in text and "difference" in text


def test_real_boundaries_rth_offline_on_the_sample(monkeypatch):
    """Without SITEPLAN_SERANG_BOUNDARIES: the sample's kelurahan, no download, no ../shared."""
    monkeypatch.delenv("SITEPLAN_SERANG_BOUNDARIES", raising=False)
    nb = execute("02_real_boundaries_rth.ipynb")
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "shared" not in code and "serang_admin(level=\"kelurahan\")" not in code
    first = nb.cells[1].outputs[-1]["data"]["text/plain"]
    assert first.startswith("(67, ")
    no_errors(nb)


@pytest.mark.parametrize("kind", ["geojson", "sql"])
def test_real_boundaries_rth_from_a_file(shared_data, monkeypatch, kind):
    path = (shared_data / "boundaries" / "kelurahan_kota_serang_cahyadsn.geojson"
            if kind == "geojson" else shared_data / "source" / "wilayah_boundaries_kel_36.73.sql")
    monkeypatch.setenv("SITEPLAN_SERANG_BOUNDARIES", str(path))
    nb = execute("02_real_boundaries_rth.ipynb")
    first = nb.cells[1].outputs[-1]["data"]["text/plain"]
    assert first.startswith("(67, 265.7")


def test_partner_pack():
    nb = execute("06_partner_pack.ipynb")
    text = texts(nb)
    no_errors(nb)
    assert "people within 1 km: chosen together" in text
    assert "PDF written" in text or "no PDF on this machine" in text   # never required
    assert "siteplan.gpkg" in text and "brief_fasilitas_publik.html" in text
    assert "p_top_k" in text and "spearman" in text


def test_indonesian_walkthrough():
    nb = execute("07_rth_bahasa_indonesia.ipynb")
    text = texts(nb)
    no_errors(nb)
    line = next(t for t in text.splitlines() if t.startswith("jumlah poin "))
    points, score = line.removeprefix("jumlah poin ").split(" = skor ")
    assert points == score
    assert "jiwa" in text and "Ringkasan ditulis" in text
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "persil" in prose and "mengapa" in prose.lower()


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
    text = texts(nb)
    assert "joint plan" in text and "sequential plan" in text
    no_errors(nb)


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


def test_locate_and_access_answers_the_planners_questions_in_order():
    nb = execute("08_locate_and_access.ipynb")
    no_errors(nb)
    text = texts(nb)
    assert "underserved now:" in text and "sites reach every square; optimal" in text
    assert "pmedian" in text and "pcenter" in text and "people newly within 1 km" in text
    line = next(t for t in text.splitlines() if t.startswith("underserved: "))
    now, after = (float(x.split()[0].replace(",", "")) for x in
                  line.removeprefix("underserved: ").split(" now, "))
    assert after <= now          # building sites never takes access away
