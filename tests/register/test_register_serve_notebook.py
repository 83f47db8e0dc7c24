"""notebooks/06_site_offer_season.ipynb runs clean from top to bottom (tests/test_notebooks.py's
runner, which also checks it is committed without outputs)."""

from test_notebooks import execute


def _text(nb) -> str:
    return "".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_season_of_offers():
    nb = execute("06_site_offer_season.ipynb")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(o.get("output_type") == "error" for o in outputs)
    text = _text(nb)
    assert "held by offer 1 to Bank BJB for sentra_kuliner" in text      # the conflict
    assert "move it to one of: dibangun, dibatalkan" in text              # a wrong move
    assert "beroperasi" in text and "PKS/021/BAPPEDA/VI/2026" in text
    assert "role='partner'" in text and "shown once: spt_" in text
    assert any("text/html" in o.get("data", {}) for o in outputs)        # the map
