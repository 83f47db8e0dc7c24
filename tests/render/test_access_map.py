"""The access map (sp.render_access): classes, legend and tooltips worked out by hand.

Tiny world in EPSG:32748 around (X0, Y0): two kelurahan side by side, people as
points, one puskesmas; reach 1,000 m, so 2SFCA access is worked out by hand.
"""

import html
import json
import re

import pandas as pd
import pytest
from test_access_gain import CRS, X0, Y0, box, gdf, pt  # noqa: F401  (the tiny world)

import siteplan as sp
from siteplan import locate

HOSTILE = '<b>Timur</b>{{ 6*7 }}<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def world():
    admin = gdf({"kode": ["36.73.01.1001", "36.73.01.1002"], "nama": ["Barat", HOSTILE],
                 "level": ["kelurahan", "kelurahan"]},
                [box(0, 0, 2000, 1000), box(2000, 0, 4000, 1000)])
    # people: 1,000 at (500, 500), 3,000 at (1500, 500) in Barat; 2,000 at (3500, 500)
    pop = gdf({"population": [1000.0, 3000.0, 2000.0]},
              [pt(500, 500), pt(1500, 500), pt(3500, 500)])
    # the puskesmas at (500, 600) reaches only the first (100 m; the second is 1,005 m
    # away): R = 1 / 1,000, access 0.001, 0, 0 -> 10, 0, 0 per 10,000 people
    pois = gdf({"category": ["puskesmas"]}, [pt(500, 600)])
    layers = sp.load_layers(admin=admin, pois=pois, population=pop)
    units = locate.access_now(layers, "pois", {"category": ["puskesmas"]}, radius=1000,
                              cell=None)
    assert units["access"].tolist() == pytest.approx([0.001, 0.0, 0.0])
    return layers, units


def tooltip_rows(page: str) -> list[dict]:
    """The GeoJSON features' properties the page carries (its tooltips' values)."""
    return [json.loads(m.group(1))
            for m in re.finditer(r'"properties":\s*(\{[^{}]*\})', page)]


def shown(page: str) -> str:
    """The page's text as a reader gets it: JSON escapes and HTML entities undone."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    return html.unescape(text.replace('\\"', '"'))


def test_squares_by_hand(world):
    layers, units = world
    m = sp.render_access(units, threshold=0.0005, lang="id")
    page = m.get_root().render()
    rows = tooltip_rows(page)
    assert [r["access"] for r in rows] == ["10,0", "0,0", "0,0"]   # one decimal: 10 has 2 digits
    assert [r["people"] for r in rows] == ["1.000", "3.000", "2.000"]
    assert [r["_fill"] for r in rows] == ["#1a9850", "#d73027", "#d73027"]
    text = shown(page)
    # one class of positive values (0 - 10, one square) and the two squares reaching nothing
    assert "0,0 – 10,0 <span class=c>(1)</span>" in text
    assert "0 · tanpa fasilitas dalam jangkauan <span class=c>(2)</span>" in text
    assert "fasilitas per 10.000 penduduk dalam jangkauan" in text
    # below 0.0005 (5 per 10,000): 5,000 of 6,000 people
    assert "Penduduk di bawah ambang (ambang 5,0): 5.000 (83 %)" in text
    assert "2sfca, jangkauan 1.000 m · 3 kotak penduduk, 6.000 penduduk · ambang 5,0" in text
    assert "Data sampel sintetis" not in text                 # not the sample
    assert "L.control.scale({metric: true, imperial: false})" in page
    assert '<details open><summary class="sp-fold">Legenda</summary>' in text


def test_kelurahan_by_hand(world):
    layers, units = world
    m = sp.render_access(units, layers, level="kelurahan", threshold=0.0005, lang="en")
    page = m.get_root().render()
    rows = {html.unescape(r["name"]): r for r in tooltip_rows(page)}
    # Barat: 4,000 people, mean (1,000 x 0.001) / 4,000 = 0.00025 -> 2.50; lowest 0;
    # below 5 per 10,000: 3,000 (75 %). Timur: 2,000 people, all at 0.
    assert rows["Barat"]["people"] == "4,000" and rows["Barat"]["access"] == "2.50"
    assert rows["Barat"]["lowest"] == "0.00" and rows["Barat"]["below"] == "3,000 (75 %)"
    assert rows[HOSTILE]["access"] == "0.00" and rows[HOSTILE]["below"] == "2,000 (100 %)"
    assert rows["Barat"]["_fill"] == "#1a9850" and rows[HOSTILE]["_fill"] == "#d73027"
    text = shown(page)
    assert "0.00 – 2.50 <span class=c>(1)</span>" in text
    assert "0 · no facility in reach <span class=c>(1)</span>" in text
    assert "Mean access per kelurahan" in text
    # the name from data is escaped: no tag of it stands in the page
    assert "<b>Timur</b>" not in page and "<img src=x" not in page and "{{ 6*7 }}" not in page


def test_the_sample_is_marked_synthetic(sample_layers):
    units = locate.access_now(sample_layers, "pois", {"category": ["puskesmas"]},
                              radius=2000, cell=1500)
    text = shown(sp.render_access(units, lang="en").get_root().render())
    assert "Synthetic sample data, not official data" in text


def test_raam_is_a_cost_lower_is_better(world):
    _, units = world
    cost = units.copy()
    cost["access"] = [10.0, 20.0, 40.0]
    cost.attrs["siteplan_access"] = {"method": "raam", "radius": 1000}
    page = sp.render_access(cost, lang="en").get_root().render()
    assert "travel and queueing cost (lower is better)" in shown(page)
    assert "no facility in reach" not in shown(page)
    fills = [r["_fill"] for r in tooltip_rows(page)]
    assert fills[0] == "#1a9850" and fills[-1] == "#fc8d59"    # cheapest green, dearest worst


def test_bad_input_is_named(world):
    layers, units = world
    with pytest.raises(sp.SiteplanInputError, match="locate.access_now"):
        sp.render_access(pd.DataFrame({"x": [1]}))
    with pytest.raises(sp.SiteplanInputError, match="unknown level 'desa'"):
        sp.render_access(units, layers, level="desa")
    with pytest.raises(sp.SiteplanInputError, match="needs the layers' admin layer"):
        sp.render_access(units, level="kelurahan")
    with pytest.raises(sp.SiteplanInputError, match="unknown language"):
        sp.render_access(units, lang="fr")
