"""sp.render_allocation: one layer and colour per use, sites numbered within each use,
popups with the score for every use, both languages, text from data escaped."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan._errors import SiteplanInputError
from siteplan.render.allocation_map import USE_COLOURS
from siteplan.scoring.record import ScoreRecord, attach

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"
XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_JS = "Lahan `${window.__xss=3}` \\u"


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def world():
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["P0", "P1", "P2", "P3"],
        "name": [XSS_SCRIPT, XSS_JS, "", "Kebun"],
        "ownership": ["pemda"] * 4, "kelurahan": ["Cipare", XSS_SCRIPT, "Lopang", "Cipare"],
        "kecamatan": ["Serang"] * 4, "land_use": ["kebun"] * 4,
    }, geometry=[box(0, 0, 40, 40), box(40, 0, 80, 40), box(500, 0, 540, 40),
                 box(900, 0, 940, 40)], crs=CRS)
    admin = gpd.GeoDataFrame({"kode": ["1"], "nama": [XSS_JS], "level": ["kecamatan"]},
                             geometry=[box(-100, -100, 1000, 100)], crs=CRS)
    return sp.load_layers(parcels=parcels, admin=admin)


def result(layers, scores, title):
    p = layers["parcels"]
    s = np.asarray(scores, dtype=float)
    r = p.copy()
    r["eligible"] = np.isfinite(s)
    r["score"] = s
    r["rank"] = r["score"].rank(ascending=False, method="min")
    prof = sp.Profile(name="uji", title=title, method="wlc", criteria=())
    return attach(r, ScoreRecord(profile=prof))


@pytest.fixture(scope="module")
def plan():
    layers = world()
    results = {"u1": result(layers, [90.0, 80.0, 40.0, np.nan],
                            {"id": "Taman " + XSS_SCRIPT, "en": "Park"}),
               "u2": result(layers, [90.0, 10.0, np.nan, 1234.5 / 100],
                            {"id": "Pasar", "en": "Market"})}
    return sp.allocate(results, layers, {"u1": 2, "u2": 1}), layers


def groups(m):
    return {c.layer_name: c for c in m._children.values() if isinstance(c, folium.FeatureGroup)}


def test_one_layer_per_use_numbered_within_each_use(plan):
    p, layers = plan
    # joint optimum: u1 on P1 (80) and P2 (40), u2 on P0 (90) = 210; the sequential greedy
    # gives u1 its best two, P0 and P1 (170), and u2 what is left, P3 (12.345): 182.345
    assert dict(zip(p["parcel_id"], p["use"], strict=True)) == {"P1": "u1", "P2": "u1",
                                                                "P0": "u2"}
    m = sp.render_allocation(p, layers, lang="en")
    g = groups(m)
    assert set(g) == {"Park (2)", "Market (1)"}
    for name, use, colour in (("Park (2)", "u1", USE_COLOURS[0]),
                              ("Market (1)", "u2", USE_COLOURS[1])):
        kids = list(g[name]._children.values())
        gj = [k for k in kids if isinstance(k, folium.GeoJson)]
        marks = [k for k in kids if isinstance(k, folium.Marker)]
        assert len(gj) == 1 and len(gj[0].data["features"]) == (p["use"] == use).sum()
        assert gj[0].style_function(gj[0].data["features"][0])["fillColor"] == colour
        numbers = sorted(mk.icon.options.get("html", "") if hasattr(mk.icon, "options") else
                         mk.icon.html for mk in marks)
        assert [n.split(">")[1].split("<")[0] for n in numbers] == [
            str(i) for i in range(1, len(marks) + 1)]
        assert all(f"background:{colour}" in n for n in numbers)


@pytest.mark.parametrize(("lang", "texts"), [
    # the optimum 210 against the sequential plan's 182.345: 182.345 / 210 = 86.83 %
    ("id", ["Pasar #1", "Skor 90,0", "peringkat 1", "tidak memenuhi syarat",
            "Total skor lokasi terpilih: 210,0. Ini pembagian terbaik yang mungkin untuk "
            "semua peruntukan bersama. Bila tiap peruntukan memilih bergiliran: 182,3 "
            "(86,8% dari yang terbaik)."]),
    ("en", ["Market #1", "Score 90.0", "rank 1", "not eligible",
            "Sum of the scores of the chosen sites: 210.0. This is the best possible sharing "
            "of the land among all the uses. If each use chose in turn: 182.3 "
            "(86.8% of the best)."]),
])
def test_popups_and_legend_in_both_languages(plan, lang, texts):
    p, layers = plan
    m = sp.render_allocation(p, layers, lang=lang)
    html = m.get_root().render()
    for t in texts:
        assert t in html
    # P2 (allocated to u1) is not eligible for u2; the sequential plan's use is named
    assert ("Bila tiap peruntukan memilih bergiliran: " if lang == "id" else
            "If each use chose in turn: ") in html
    legend = next(c.content for c in m._children.values()
                  if type(c).__name__ == "HtmlControl" and "sp-legend" in c.class_name)
    assert texts[-1] in legend
    for jargon in ("greedy", "berurutan", "selisih", "gain", "solver", "optim"):
        assert jargon not in legend.lower()


@pytest.mark.parametrize(("status", "lang", "said"), [
    ("stopped early: time limit reached", "en",
     "People newly within reach: 1,000. This is the best sharing found within the time "
     "limit; a better one may exist. If each use chose in turn: 900 (90.0% of this plan)."),
    ("stopped early: time limit reached", "id",
     "Penduduk baru terjangkau: 1.000. Ini pembagian terbaik yang ditemukan dalam batas "
     "waktu; mungkin ada yang lebih baik. Bila tiap peruntukan memilih bergiliran: 900 "
     "(90,0% dari pembagian ini)."),
    ("greedy", "en", "People newly within reach: 1,000. Here each use took its best "
                     "remaining sites in turn."),
    ("stopped early without a plan (time limit); the sequential greedy plan is returned",
     "id", "Penduduk baru terjangkau: 1.000. Di sini tiap peruntukan memilih lokasi "
           "terbaiknya secara bergiliran.")])
def test_legend_says_what_kind_of_plan_it_is(status, lang, said):
    from siteplan.render import style as st
    from siteplan.render.allocation_map import TEXT, _plan_words

    info = {"objective": "coverage", "value": 1000.0, "status": status,
            "greedy": {"value": 900.0}}
    assert _plan_words(info, TEXT[lang], lang, st) == said


def test_text_from_data_is_escaped(plan):
    p, layers = plan
    for lang in ("id", "en"):
        html = sp.render_allocation(p, layers, lang=lang).get_root().render()
        assert "<script>window.__xss" not in html
        assert "${window.__xss" not in html and "`${" not in html
        assert "&lt;script&gt;window.__xss=2&lt;/script&gt;" in html


def test_members_of_assembled_sites_are_listed():
    layers = world()
    sites = sp.assemble_sites(layers, max_gap=0.5)
    s_layers = layers.replace(parcels=sites)
    r = result(s_layers, np.where(sites["n_members"] > 1, 70.0, 20.0), {"id": "A", "en": "A"})
    for col in ("members", "n_members"):
        r[col] = sites[col].to_numpy()
    plan = sp.allocate({"a": r}, layers, {"a": 1})
    assert plan["members"].iloc[0] == "P0;P1"
    html = sp.render_allocation(plan, layers, lang="id").get_root().render()
    assert "Gabungan 2 persil: P0, P1" in html


def test_bad_lang_and_not_a_plan(plan):
    p, layers = plan
    with pytest.raises(SiteplanInputError, match="unknown lang 'fr'"):
        sp.render_allocation(p, layers, lang="fr")
    with pytest.raises(SiteplanInputError, match="not a result of sp.allocate"):
        sp.render_allocation(layers["parcels"], layers)


# ---------------------------------------------------------------- context under the sites

def context_world():
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["Q0", "Q1", "Q2", "Q3", "Q4"],
        "ownership": ["pemda"] * 5, "land_use": ["kebun"] * 5,
    }, geometry=[box(0, 0, 40, 40), box(100, 0, 140, 40), box(200, 0, 240, 40),
                 box(300, 0, 340, 40), box(400, 0, 440, 40)], crs=CRS)
    admin = gpd.GeoDataFrame({"kode": ["36.73", "36.73.01", "36.73.01.1001"],
                              "nama": ["Kota", "Serang", XSS_SCRIPT],
                              "level": ["kota", "kecamatan", "kelurahan"]},
                             geometry=[box(-100, -100, 600, 200)] * 3, crs=CRS)
    roads = gpd.GeoDataFrame({"road_class": ["arteri", "lokal"], "name": ["Jl. A", XSS_JS]},
                             geometry=[shapely.LineString([(X0 - 50, Y0 - 10),
                                                           (X0 + 500, Y0 - 10)]),
                                       shapely.LineString([(X0 + 50, Y0 - 10),
                                                           (X0 + 50, Y0 + 100)])], crs=CRS)
    return sp.load_layers(parcels=parcels, admin=admin, roads=roads)


@pytest.fixture(scope="module")
def context_plan():
    layers = context_world()
    # Q4 is eligible for no use: it is not a candidate
    results = {"u1": result(layers, [90.0, 80.0, np.nan, np.nan, np.nan],
                            {"id": "Taman", "en": "Park"}),
               "u2": result(layers, [np.nan, 70.0, 60.0, 50.0, np.nan],
                            {"id": "Pasar", "en": "Market"})}
    return sp.allocate(results, layers, {"u1": 1, "u2": 1}), layers, results


def geojsons(m):
    return [c for c in m._children.values() if isinstance(c, folium.GeoJson)]


def test_context_layers_under_the_sites(context_plan):
    plan, layers, results = context_plan
    m = sp.render_allocation(plan, layers, lang="en", results=results)
    kids = list(m._children.values())
    names = [c.layer_name for c in geojsons(m)]
    assert names == ["Candidate parcels", "Administrative boundaries", "Roads"]
    first_use = min(i for i, c in enumerate(kids) if isinstance(c, folium.FeatureGroup))
    assert all(kids.index(g) < first_use for g in geojsons(m))      # drawn under the sites
    cands, admin, roads = geojsons(m)
    # the candidates: eligible for some use (Q0..Q3), once each, faint
    assert [f["properties"]["t"] for f in cands.data["features"]] == ["Q0", "Q1", "Q2", "Q3"]
    got = gpd.GeoSeries([shapely.geometry.shape(f["geometry"]) for f in cands.data["features"]],
                        crs=4326).to_crs(CRS)
    assert got.area.to_numpy() == pytest.approx([1600.0] * 4, rel=5e-3)   # 6 decimals
    style = cands.style_function(cands.data["features"][0])
    assert style["fillOpacity"] < 0.5 and style["weight"] < 1
    # admin units by level, roads by class, as on the score map
    assert len(admin.data["features"]) == 3 and len(roads.data["features"]) == 2
    widths = [roads.style_function(f)["weight"] for f in roads.data["features"]]
    assert widths[0] > widths[1]
    # every layer can be switched off: one layer control, every context layer in it
    assert sum(isinstance(c, folium.LayerControl) for c in kids) == 1
    assert all(g.control for g in geojsons(m))
    legend = next(c.content for c in kids if "sp-legend" in getattr(c, "class_name", ""))
    assert "Other layers" in legend and "Candidate parcels" in legend and "arterial" in legend
    html = m.get_root().render()
    assert "<script>window.__xss" not in html and "`${" not in html


def test_context_without_results_or_switched_off(context_plan):
    plan, layers, _ = context_plan
    m = sp.render_allocation(plan, layers, lang="id")
    names = [c.layer_name for c in geojsons(m)]
    assert names == ["Persil", "Batas wilayah", "Jalan"]
    assert len(geojsons(m)[0].data["features"]) == 5              # every parcel of the bundle
    m = sp.render_allocation(plan, layers, context=False)
    assert geojsons(m) == []
    m = sp.render_allocation(plan, None)
    assert geojsons(m) == []


def test_many_candidates_are_merged_beyond_detail(context_plan):
    plan, layers, results = context_plan
    m = sp.render_allocation(plan, layers, lang="en", results=results, detail=2)
    cands = geojsons(m)[0]
    tips = [f["properties"]["t"] for f in cands.data["features"]]
    assert tips == ["Q0", "Q1", "Candidate parcels"]
    merged = shapely.geometry.shape(cands.data["features"][2]["geometry"])
    assert merged.geom_type == "MultiPolygon" and len(merged.geoms) == 2


def test_the_title_box_names_the_uses_with_their_counts_and_warns_on_the_sample(
        plan, sample_layers):
    frame, layers = plan
    m = sp.render_allocation(frame, layers, lang="en")
    title = [c.content for c in m._children.values()
             if type(c).__name__ == "HtmlControl" and "sp-title" in c.class_name]
    assert len(title) == 1 and "sp-syn" not in title[0]      # a world of its own: not the sample
    assert "Park 2 · Market 1" in title[0]                   # each use's title and its sites
    results = {u: sp.score(sample_layers, u) for u in ("rth", "wisata_religi")}
    on_sample = sp.allocate(results, sample_layers, {"rth": 1, "wisata_religi": 1})
    box = [c.content for c in sp.render_allocation(on_sample, sample_layers)._children.values()
           if type(c).__name__ == "HtmlControl" and "sp-title" in c.class_name]
    assert "sp-syn" in box[0] and "sintetis" in box[0]
