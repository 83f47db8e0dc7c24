"""render_map: structure first (layers, features, properties, styles, legend), then HTML.

A tiny hand-built world (boxes near x=620,000, y=9,320,000 in EPSG:32748)
scored with a two-criterion profile. Text from data carries XSS canaries.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from dataclasses import replace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import siteplan as sp
from siteplan.profiles.profile import profile_from_dict
from siteplan.render import style as st
from siteplan.scoring.record import Source, attach

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_JS = "Lahan `${window.__xss=3}` \\u"          # breaks out of a JS template literal


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def line(*xy):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


def world():
    """Seven city parcels (A best ... G), one swasta, one rejected (empty geometry)."""
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["A", "B", "C", "D", "E", "F", "G", "H", "R"],
        "name": [XSS_SCRIPT, XSS_JS, "Kebun C", "", XSS_IMG, "Taman F", "Lahan G", "Swasta",
                 "Rusak"],
        "kelurahan": [XSS_IMG, "Cipare", "Cipare", "Sumur Pecung", "Kaligandu", "Cipare",
                      "Lopang", "Cipare", "Cipare"],
        "kecamatan": ["Serang"] * 9,
        "ownership": ["pemda"] * 7 + ["swasta", "pemda"],
        "land_use": ["tanah_kosong"] * 9,
    }, geometry=[box(0, 0, 100, 100), box(300, 0, 400, 100), box(1000, 0, 1100, 50),
                 box(0, 500, 20, 520), box(2000, 0, 2100, 100), box(600, 300, 700, 380),
                 box(1500, 400, 1580, 480), box(2500, 0, 2600, 100), shapely.Polygon()],
        crs=CRS)
    roads = gpd.GeoDataFrame({"road_class": ["arteri", "lokal"],
                              "name": ["Jl. Raya", XSS_SCRIPT]},
                             geometry=[line((-100, -50), (3000, -50)),
                                       line((0, 600), (3000, 600))], crs=CRS)
    pois = gpd.GeoDataFrame({"category": ["pasar", "umkm", "umkm", "masjid"],
                             "name": ["Pasar", "u1", XSS_IMG, "m"]},
                            geometry=[pt(150, 50), pt(350, 150), pt(360, 170), pt(50, 50)],
                            crs=CRS)
    green = gpd.GeoDataFrame({"rth_type": ["taman", "pemakaman", XSS_SCRIPT],
                              "public": [True, False, True]},
                             geometry=[box(200, 200, 260, 260), box(800, 600, 900, 700),
                                       box(1200, 200, 1250, 250)], crs=CRS)
    admin = gpd.GeoDataFrame({"kode": ["1", "2"], "nama": ["Cipare", XSS_IMG],
                              "level": ["kelurahan", "kelurahan"]},
                             geometry=[box(-200, -200, 1000, 800), box(1000, -200, 2200, 800)],
                             crs=CRS)
    rivers = gpd.GeoDataFrame({"name": ["kali"]}, geometry=[line((1050, -500), (1050, 1000))],
                              crs=CRS)
    population = gpd.GeoDataFrame({"population": [1000.0]}, geometry=[box(0, 0, 100, 100)],
                                  crs=CRS)
    return {"parcels": parcels, "roads": roads, "pois": pois, "green_spaces": green,
            "admin": admin, "population": population, "extra": {"rivers": rivers}}


def profile(**over):
    data = {
        "name": "uji", "title": {"id": "Uji " + XSS_SCRIPT, "en": "Map test"},
        "candidates": {"ownership": ["pemda"]},
        "constraints": [
            {"type": "min_area", "value": 1000,
             "title": {"id": "Terlalu kecil", "en": "Too small"}},
            {"type": "outside", "layer": "rivers", "buffer": 15,
             "title": {"id": "Di sempadan sungai (15 m)",
                       "en": "Within the river setback (15 m)"}},
        ],
        "criteria": [
            {"name": "pasar", "measure": "distance", "layer": "pois",
             "where": {"category": ["pasar"]}, "title": {"id": "Dekat pasar " + XSS_IMG,
                                                         "en": "Near a market"},
             "transform": {"type": "linear", "best": 0, "worst": 3000}, "weight": 3},
            {"name": "jalan", "measure": "distance", "layer": "roads",
             "where": {"road_class": ["arteri"]}, "title": {"id": "Akses jalan",
                                                            "en": "Road access"},
             "transform": {"type": "linear", "best": 0, "worst": 600}, "weight": 1},
        ],
    }
    data.update(over)
    return profile_from_dict(data)


@pytest.fixture(scope="module")
def layers():
    return sp.load_layers(**world())


@pytest.fixture(scope="module")
def result(layers):
    return sp.score(layers, profile())


def geojsons(m) -> dict[str, folium.GeoJson]:
    return {c.layer_name: c for c in m._children.values() if isinstance(c, folium.GeoJson)}


def controls(m, kind: str) -> list[st.HtmlControl]:
    return [c for c in m._children.values()
            if isinstance(c, st.HtmlControl) and kind in c.class_name]


def markers(m) -> list[folium.Marker]:
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    return [mk for g in groups for mk in g._children.values() if isinstance(mk, folium.Marker)]


def all_text(m) -> str:
    """Every string that ends up in HTML: feature properties, control HTML, tooltips, popups."""
    parts = []
    for gj in geojsons(m).values():
        parts += [v for f in gj.data["features"] for v in f["properties"].values()]
    parts += [c.content for c in controls(m, "sp-")]
    parts += list(geojsons(m))
    for mk in markers(m):
        for child in mk._children.values():
            if isinstance(child, folium.Tooltip):
                parts.append(child.text)
            if isinstance(child, folium.Popup):
                parts += [e.data for e in child.html._children.values()]
    return "\n".join(parts)


# ---------------------------------------------------------------- structure

def test_features_and_properties(result, layers):
    status = result.set_index("parcel_id")["status"]
    assert status["R"] == "rejected"
    m = sp.render_map(result, layers)
    gj = geojsons(m)
    scored = gj["Skor kesesuaian"].data["features"]
    excluded = gj["Dikecualikan (tidak memenuhi syarat)"].data["features"]
    assert len(scored) == (status == "scored").sum() == 5
    assert len(excluded) == (status == "excluded").sum() == 2    # C (river), D (small)
    assert len(scored) + len(excluded) == len(result) - 1          # R is not drawn
    assert all(set(f["properties"]) == {"t", "p"} for f in scored)
    assert all(set(f["properties"]) == {"t"} for f in excluded)
    assert [f["id"] for f in scored] == list(range(5))
    # best first: the first feature is rank 1 (A) and its popup shows score and rank
    a = result.set_index("parcel_id").loc["A"]
    assert a["rank"] == 1
    pop = scored[0]["properties"]["p"]
    assert st.fmt1(a["score"], 1, "id") in pop and "peringkat <b>1</b> dari 5" in pop
    assert "Luas 10.000 m² (1,00 ha)" in pop and "Kel. &lt;img" in pop
    # one bar per criterion, width = suitability in %, points = contribution
    bars = re.findall(r"<td class=b><i style=width:(\d+)%></i><td class=p>\+([\d,]+)", pop)
    assert [int(w) for w, _ in bars] == [round(100 * a["c_pasar"]), round(100 * a["c_jalan"])]
    assert [p for _, p in bars] == [st.fmt1(a["contrib_pasar"], 1, "id"),
                                    st.fmt1(a["contrib_jalan"], 1, "id")]
    assert "Akses jalan" in pop and "Dekat pasar &lt;img" in pop
    assert scored[0]["properties"]["t"].startswith("<b>#1</b>")


@pytest.mark.parametrize(("lang", "rows", "note"), [
    # A (0..100 x 0..100): the pasar at (150, 50) is 50 m east, the arteri (y = -50) 50 m
    # south. E (2000..2100 x 0..100): the pasar is 2000 - 150 = 1,850 m west, the arteri 50 m
    ("id", {"A": ["50 m", "50 m"], "E": ["1.850 m", "50 m"]},
     "Poin: bagian skor yang disumbangkan tiap kriteria (nilai Shapley)."),
    ("en", {"A": ["50 m", "50 m"], "E": ["1,850 m", "50 m"]},
     "Points: how much of the score each criterion brings (its Shapley value).")])
def test_popups_show_measured_values_beside_the_points(result, layers, lang, rows, note):
    m = sp.render_map(result, layers, lang=lang)
    feats = geojsons(m)["Skor kesesuaian" if lang == "id" else "Suitability score"
                        ].data["features"]
    ranks = result.set_index("parcel_id")["rank"]
    for pid, measured in rows.items():
        pop = feats[int(ranks[pid]) - 1]["properties"]["p"]    # features best first
        assert re.findall(r"<td class=v>([^<]*)<td class=b>", pop) == measured
        assert ("<th class=v>Terukur" if lang == "id" else "<th class=v>Measured") in pop
        assert f"<div class=m>{note}</div>" in pop


def test_measured_text_from_data_is_escaped(layers):
    # a criterion on a text column of the parcels: its values reach the popup escaped
    # (a category is said in words: "_" reads as a space, so the canary has none)
    parcels = layers["parcels"].assign(jenis=["<img src=x onerror=alert(1)>", "{{ 6*7 }}",
                                              "b", "c", "d", "e", "f", "g",
                                              "h"][:len(layers["parcels"])])
    prof = profile(criteria=[
        {"name": "jenis", "measure": "attribute", "column": "jenis", "weight": 1,
         "transform": {"type": "categorical", "table": {"b": 1.0}, "default": 0.5}}])
    res = sp.score(layers.replace(parcels=parcels), prof)
    text = all_text(sp.render_map(res, layers))
    assert "<td class=v>&lt;img src=x onerror=alert(1)&gt;<td" in text
    assert "<td class=v>&#123;&#123; 6*7 &#125;&#125;<td" in text
    assert "<img" not in text and "{{ 6*7 }}" not in text
    # the interactive page carries them as data, written into its popups through esc()
    page = sp.render_map(res, layers, interactive=True, profile=prof).get_root().render()
    assert "<img src=x" not in page and "{{ 6*7 }}" not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page


def test_everything_is_in_wgs84_and_rounded(result, layers):
    m = sp.render_map(result, layers, precision=5)
    lon0, lat0 = gpd.GeoSeries([pt(0, 0)], crs=CRS).to_crs(4326).iloc[0].coords[0]
    for gj in geojsons(m).values():
        for f in gj.data["features"]:
            xy = np.asarray(shapely.get_coordinates(shapely.from_geojson(
                json.dumps(f["geometry"]))))
            assert np.all(np.abs(xy[:, 0] - lon0) < 0.1) and np.all(np.abs(xy[:, 1] - lat0) < 0.1)
            np.testing.assert_allclose(xy, np.round(xy, 5), atol=1e-12)


def test_colour_per_class(result, layers):
    import mapclassify  # here, not at collection: it compiles a function when imported
    m = sp.render_map(result, layers, k=3)
    gj = geojsons(m)["Skor kesesuaian"]
    ok = result[result["status"] == "scored"].sort_values("rank")
    expected = mapclassify.Quantiles(ok["score"].to_numpy(), k=3).yb
    colours = st.ramp(3)
    got = [gj.style_function(f)["fillColor"] for f in gj.data["features"]]
    assert got == [colours[c] for c in expected]
    assert len(set(colours)) == 3
    # outline a darker shade of the fill; excluded grey and dashed
    style = gj.style_function(gj.data["features"][0])
    assert style["color"] == st.darker(style["fillColor"])
    ex = geojsons(m)["Dikecualikan (tidak memenuhi syarat)"]
    ex_style = ex.style_function(ex.data["features"][0])
    assert ex_style["fillColor"] == "#bdbdbd" and ex_style["dashArray"]


def test_fewer_classes_when_few_sites(result, layers):
    one = result[(result["parcel_id"] == "A") | (result["status"] != "scored")]
    m = sp.render_map(one, layers, k=5, context=False)
    legend = controls(m, "sp-legend")[0].content
    assert legend.count("<div class=r><i style=") == 1
    assert "1 kelas (kuantil)" in legend


def test_legend_names_classes_with_ranges(result, layers):
    import mapclassify  # here, not at collection: it compiles a function when imported
    ok = result.loc[result["status"] == "scored", "score"].to_numpy()
    clf = mapclassify.Quantiles(ok, k=5)
    for lang in ("id", "en"):
        m = sp.render_map(result, layers, lang=lang)
        legend = controls(m, "sp-legend")[0].content
        lows = [ok.min(), *clf.bins[:-1]]
        for lo, hi in zip(lows, clf.bins, strict=True):
            assert f"{st.fmt1(lo, 1, lang)} – {st.fmt1(hi, 1, lang)}" in legend
        # highest class first
        first = re.search(r"</i>([\d.,]+) – ([\d.,]+)", legend)
        assert first.group(2) == st.fmt1(clf.bins[-1], 1, lang)
        assert ("Dikecualikan" if lang == "id" else "Excluded") in legend
        assert ("5 lokasi terbaik" if lang == "id" else "Top 5 sites") in legend
        assert ("Dekat pasar &lt;img" if lang == "id" else "Near a market <span class=c>(75%)")\
            in legend


@pytest.mark.parametrize("lang, names", [
    ("id", {"Skor kesesuaian", "Dikecualikan (tidak memenuhi syarat)", "Batas wilayah",
            "Ruang terbuka hijau (RTH)", "Jalan", "Fasilitas dan tempat penting",
            "Batasan: Di sempadan sungai (15 m)"}),
    ("en", {"Suitability score", "Excluded (fails a rule)", "Administrative boundaries",
            "Green open space (RTH)", "Roads", "Points of interest",
            "Constraint: Within the river setback (15 m)"}),
])
def test_layer_names_in_both_languages(result, layers, lang, names):
    m = sp.render_map(result, layers, lang=lang, top=3)
    assert set(geojsons(m)) == names
    groups = [c.layer_name for c in m._children.values() if type(c) is folium.FeatureGroup]
    assert groups == ["3 lokasi terbaik" if lang == "id" else "Top 3 sites"]
    tiles = [c.layer_name for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert tiles[1:] == ["OpenStreetMap", "Citra satelit (Esri)" if lang == "id"
                         else "Satellite imagery (Esri)"]
    assert sum(isinstance(c, folium.LayerControl) for c in m._children.values()) == 1
    title = controls(m, "sp-title")[0].content
    assert ("Uji &lt;script&gt;" if lang == "id" else "Map test") in title
    assert ("5 lokasi dinilai · 2 dikecualikan" if lang == "id"
            else "5 sites scored · 2 excluded") in title
    # constraint zones start hidden, context layers shown
    assert not next(g for n, g in geojsons(m).items() if ":" in n).show
    assert geojsons(m)["Jalan" if lang == "id" else "Roads"].show


@pytest.mark.parametrize("top, expected", [(10, 5), (3, 3), (0, 0)])
def test_top_markers_numbered_by_rank(result, layers, top, expected):
    m = sp.render_map(result, layers, top=top)
    mks = markers(m)
    assert len(mks) == expected
    numbers = [int(re.search(r">(\d+)</div>", mk._children[next(
        k for k in mk._children if k.startswith("div_icon"))].options["html"]).group(1))
        for mk in mks]
    assert numbers == list(range(1, expected + 1))
    # at the site's representative point, inside the parcel
    if expected:
        a = result.set_index("parcel_id").loc["A", "geometry"]
        lat, lon = mks[0].location
        inside = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(CRS).iloc[0]
        assert a.buffer(1).contains(inside)


def test_excluded_reason_translated(result, layers):
    for lang, want in (("id", "Dikecualikan: Di sempadan sungai (15 m)"),
                       ("en", "Excluded: Within the river setback (15 m)")):
        tips = [f["properties"]["t"] for f in geojsons(sp.render_map(
            result, layers, lang=lang))[st.TEXT[lang]["excluded_layer"]].data["features"]]
        assert any(want in t for t in tips)
        assert any(("Terlalu kecil" if lang == "id" else "Too small") in t for t in tips)


def test_xss_canaries_are_escaped(result, layers):
    res = result.drop(columns="excluded_rules")  # a result without rule numbers: text shown
    res["excluded_by"] = res["excluded_by"].where(res["status"] != "excluded",
                                                  XSS_SCRIPT + "; " + XSS_IMG)
    res["parcel_id"] = res["parcel_id"].where(res["parcel_id"] != "D", XSS_IMG)
    res.attrs = copy.deepcopy(result.attrs)
    m = sp.render_map(res, layers)
    text = all_text(m)
    assert "&lt;script&gt;window.__xss=2&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in text
    assert "<script" not in text and "<img" not in text
    assert "`" not in text and "${" not in text and "\\u" not in text
    html = m.get_root().render()
    assert "&lt;script&gt;" in html              # in the markers' tooltips and popups
    for raw in ("<script>window.__xss", "<img src=x", "\\u003cscript\\u003ewindow",
                "\\u003cimg src=x", "`${window", "${window.__xss"):
        assert raw not in html, raw
    # the layer control writes names as HTML: a constraint title from data is escaped
    bad = profile(constraints=[{"type": "outside", "layer": "rivers", "buffer": 15,
                                "title": {"id": XSS_IMG, "en": XSS_IMG}}])
    m2 = sp.render_map(sp.score(layers, bad), layers)
    assert "Batasan: &lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in geojsons(m2)


def test_escape_helpers():
    s = st.esc(pd.Series([XSS_IMG, None, "a\nb", XSS_JS]))
    assert list(s) == ["&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;", "", "a b",
                       "Lahan &#96;&#36;&#123;window.__xss=3&#125;&#96; &#92;u"]
    assert st.esc1(XSS_SCRIPT) == "&lt;script&gt;window.__xss=2&lt;/script&gt;"


@pytest.mark.parametrize("value, lang, out", [
    (1234567.891, "id", "1.234.568"), (1234567.891, "en", "1,234,568"), (999, "id", "999"),
    (1000, "id", "1.000"), (-2500, "en", "-2,500"), (float("nan"), "en", "–")])
def test_fmt_int(value, lang, out):
    assert st.fmt_int([value], lang).iloc[0] == out


@pytest.mark.parametrize("value, decimals, lang, out", [
    (1234.56, 1, "id", "1.234,6"), (1234.56, 1, "en", "1,234.6"), (0.04, 2, "id", "0,04"),
    (96.666, 1, "en", "96.7"), (100, 1, "en", "100.0"), (-0.5, 1, "en", "-0.5")])
def test_fmt_fixed(value, decimals, lang, out):
    assert st.fmt_fixed([value], decimals, lang).iloc[0] == out


def test_stability_in_popup(result, layers):
    stab = pd.DataFrame({"p_top_k": np.linspace(0.87, 0.1, len(result))}, index=result.index)
    stab.attrs["top_k"] = 3
    m = sp.render_map(result, layers, stability=stab)
    first = geojsons(m)["Skor kesesuaian"].data["features"][0]["properties"]["p"]
    assert "Masuk 3 besar pada 87% simulasi bobot" in first
    with_col = result.assign(p_top_k=np.linspace(0.87, 0.1, len(result)))
    m = sp.render_map(with_col, layers, lang="en")
    first = geojsons(m)["Suitability score"].data["features"][0]["properties"]["p"]
    assert "In the top 10 in 87% of weight draws" in first


def test_detail_limit_merges_the_rest(result, layers):
    import mapclassify  # here, not at collection: it compiles a function when imported
    m = sp.render_map(result, layers, detail=2)
    scored = geojsons(m)["Skor kesesuaian"].data["features"]
    excluded = geojsons(m)["Dikecualikan (tidak memenuhi syarat)"].data["features"]
    assert [f["geometry"]["type"] for f in scored[:2]] == ["Polygon", "Polygon"]
    # the merged shapes travel encoded (tests/render/test_compact_map.py decodes them)
    assert all(f["geometry"] is None for f in scored[2:])
    ok = result[result["status"] == "scored"].sort_values("rank")
    classes = mapclassify.Quantiles(ok["score"].to_numpy(), k=5).yb
    assert len(scored) == 2 + len(set(classes[2:]))
    from test_compact_map import merged_shapes

    shapes = merged_shapes(m, "Skor kesesuaian")
    assert list(shapes) == list(range(2, len(scored)))
    parts = sum(len(shapely.get_parts(g)) for g in shapes.values())
    assert parts == len(ok) - 2                   # every site still drawn
    assert len(excluded) == 2                     # two reasons, merged
    assert "lokasi" in scored[-1]["properties"]["t"]


def test_given_map_is_reused_and_nothing_is_mutated(result, layers):
    before = result.copy()
    attrs = copy.deepcopy(result.attrs)
    frames = {k: layers[k].copy() for k in layers}
    colors = ["#eeeeee", "#888888", "#111111"]
    m = folium.Map(tiles=None)
    out = sp.render_map(result, layers, m=m, colors=colors, k=3)
    out = sp.render_map(result, layers, m=m, lang="en", context=["roads"])
    assert out is m
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())
    assert sum(isinstance(c, folium.LayerControl) for c in m._children.values()) == 1
    assert colors == ["#eeeeee", "#888888", "#111111"]
    pd.testing.assert_frame_equal(pd.DataFrame(result), pd.DataFrame(before))
    assert result.attrs == attrs
    for k, f in frames.items():
        pd.testing.assert_frame_equal(pd.DataFrame(layers[k]), pd.DataFrame(f))
    first = next(c for c in m._children.values() if isinstance(c, folium.GeoJson) and
                 c.layer_name == "Skor kesesuaian")
    assert {first.style_function(f)["fillColor"] for f in first.data["features"]} == set(colors)


def test_attrs_lost_in_a_file_round_trip(result, tmp_path):
    path = tmp_path / "result.gpkg"
    result.drop(columns=["rank"]).to_file(path)
    back = gpd.read_file(path)
    assert not back.attrs
    m = sp.render_map(back, None, lang="en")
    gj = geojsons(m)
    assert len(gj["Suitability score"].data["features"]) == 5
    pop = gj["Suitability score"].data["features"][0]["properties"]["p"]
    assert "<tr><td>pasar<td" in pop and "rank <b>1</b> of 5" in pop
    tips = [f["properties"]["t"] for f in gj["Excluded (fails a rule)"].data["features"]]
    assert any("outside rivers +15 m" in t for t in tips)
    assert "siteplan" in controls(m, "sp-title")[0].content


def test_synthetic_data_and_sources_are_credited(result, layers):
    res = result.copy()
    rec = sp.record_of(result)
    sources = (Source("parcels", "/home/bappeda/persil.gpkg"),
               Source("roads", "C:\\gis\\jalan.shp"), Source("pois", "GeoDataFrame"))
    attach(res, rec.with_(provenance=replace(rec.provenance, synthetic=True, attribution="",
                                             sources=sources)))
    for lang, note in (("id", "data sampel sintetis"), ("en", "synthetic sample data")):
        m = sp.render_map(res, layers, lang=lang)
        assert note in controls(m, "sp-title")[0].content.lower()
        credit = geojsons(m)[st.TEXT[lang]["score_layer"]].options["attribution"]
        assert credit == f"siteplan | {st.TEXT[lang]['data']}: persil.gpkg, jalan.shp | " \
                         f"<b>{note}</b>"
    rec = sp.record_of(res)
    attach(res, rec.with_(provenance=replace(rec.provenance, attribution="BPN " + XSS_IMG)))
    m = sp.render_map(res, layers)
    assert "BPN &lt;img src=x" in geojsons(m)["Skor kesesuaian"].options["attribution"]


@pytest.mark.parametrize("scheme", ["equal_interval", "fisher_jenks", "natural_breaks",
                                    "FisherJenks"])
def test_other_schemes(result, layers, scheme):
    m = sp.render_map(result, layers, scheme=scheme, k=3, context=False)
    assert "3 kelas" in controls(m, "sp-legend")[0].content


def test_geographic_result_and_empty_result(result, layers):
    m = sp.render_map(result.to_crs(4326), layers)
    assert len(geojsons(m)["Skor kesesuaian"].data["features"]) == 5
    none = result[result["status"] != "scored"]
    m = sp.render_map(none, layers, top=10)
    assert "Skor kesesuaian" not in geojsons(m) and not markers(m)
    assert "0 lokasi dinilai" in controls(m, "sp-title")[0].content


def test_context_layer_styles(result, layers):
    m = sp.render_map(result, layers)
    gj = geojsons(m)
    green = gj["Ruang terbuka hijau (RTH)"]
    fills = [green.style_function(f)["fillColor"] for f in green.data["features"]]
    assert fills == [st.GREEN["taman"], st.GREEN["pemakaman"], st.GREEN_OTHER]
    tips = [f["properties"]["t"] for f in green.data["features"]]
    assert tips[0] == "RTH: taman · publik" and tips[1] == "RTH: pemakaman"
    roads = gj["Jalan"]
    widths = [roads.style_function(f)["weight"] for f in roads.data["features"]]
    assert widths == [st.ROADS["arteri"][1], st.ROADS["lokal"][1]]
    pois = gj["Fasilitas dan tempat penting"]
    assert [pois.style_function(f)["fillColor"] for f in pois.data["features"]] == [
        st.POIS["pasar"], st.POIS["umkm"], st.POIS["umkm"], st.POIS["masjid"]]
    admin = gj["Batas wilayah"]
    assert admin.style_function(admin.data["features"][0])["fill"] is False
    # the river buffered by 15 m in metres: 1,500 m long -> about 2 * 15 * 1,500 m²
    river = gj["Batasan: Di sempadan sungai (15 m)"]
    zone = gpd.GeoSeries([shapely.from_geojson(json.dumps(river.data["features"][0][
        "geometry"]))], crs=4326).to_crs(CRS).iloc[0]
    assert zone.area == pytest.approx(2 * 15 * 1500 + np.pi * 15 ** 2, rel=0.01)
    legend = controls(m, "sp-legend")[0].content
    assert "hutan kota" not in legend and "pemakaman" in legend and "jalan arteri" in legend
    en = controls(sp.render_map(result, layers, lang="en"), "sp-legend")[0].content
    assert "cemetery" in en and "arterial road" in en and "market" in en


def test_simplify_in_metres_keeps_small_parcels():
    wiggly = shapely.Polygon([(X0 + x, Y0 + (0.3 if i % 2 else 0.0)) for i, x in
                              enumerate(range(0, 101))] + [(X0 + 100, Y0 + 50), (X0, Y0 + 50)])
    tiny_box = box(500, 500, 500.5, 500.5)
    res = gpd.GeoDataFrame({"parcel_id": ["W", "T"], "score": [50.0, 40.0],
                            "status": ["scored", "scored"], "rank": [1, 2]},
                           geometry=[wiggly, tiny_box], crs=CRS)
    feats = geojsons(sp.render_map(res, None, simplify=1.0))["Skor kesesuaian"].data["features"]
    assert len(feats) == 2
    assert len(feats[0]["geometry"]["coordinates"][0]) < 10 < len(wiggly.exterior.coords)
    feats = geojsons(sp.render_map(res, None, simplify=0))["Skor kesesuaian"].data["features"]
    assert len(feats[0]["geometry"]["coordinates"][0]) == len(wiggly.exterior.coords)


@pytest.mark.parametrize("kwargs, match", [
    ({"lang": "fr"}, "lang='fr'"),
    ({"lang": "ID"}, "lang='ID'"),
    ({"top": -1}, "top=-1"),
    ({"k": 0}, "k=0"),
    ({"scheme": "astrology"}, "scheme='astrology'"),
    ({"context": ["rivers"]}, "context names unknown"),
    ({"m": "map"}, "not a folium.Map"),
    ({"simplify": -1}, "simplify=-1"),
])
def test_bad_options(result, layers, kwargs, match):
    with pytest.raises(sp.SiteplanInputError, match=match):
        sp.render_map(result, layers, **kwargs)


def test_bad_result():
    with pytest.raises(sp.SiteplanInputError, match="not a GeoDataFrame"):
        sp.render_map(pd.DataFrame({"score": [1.0]}))
    with pytest.raises(sp.SiteplanInputError, match="no CRS"):
        sp.render_map(gpd.GeoDataFrame({"score": [1.0]}, geometry=[box(0, 0, 1, 1)]))


def test_import_siteplan_does_not_import_folium():
    code = ("import siteplan, sys; assert 'folium' not in sys.modules; "
            "siteplan.render_map; assert 'folium' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_saved_html_renders(result, layers, tmp_path):
    m = sp.render_map(result, layers, lang="en")
    path = tmp_path / "map.html"
    m.save(str(path))
    html = path.read_text(encoding="utf-8")
    assert "leaflet" in html and "sp-legend" in html and "Suitability score" in html
    assert "siteplan" in html


@pytest.mark.parametrize("keep", [(), ("roads",), ("admin",), ("pois", "green_spaces"),
                                  ("rivers", "flood_zones")])
def test_map_with_any_subset_of_layers(sample_layers, keep):
    """render_map draws with whatever context the bundle has: no admin, no roads, no POIs."""
    result = sp.score(sample_layers, "sentra_kuliner")
    layers = sp.Layers({n: sample_layers[n] for n in ("parcels", *keep)}, crs=sample_layers.crs)
    m = sp.render_map(result, layers, lang="en")
    names = set(geojsons(m))
    assert "Suitability score" in names
    assert ("Roads" in names) == ("roads" in keep)
    assert ("Administrative boundaries" in names) == ("admin" in keep)
