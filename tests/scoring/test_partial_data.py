"""Partial data: empty layers are legal, missing layers are an error or left out (missing=).

A tiny world of boxes with scores worked out by hand:

- parcels A (0..100, 0..100) and B (300..400, 0..100), 10,000 m² each, both pemda;
- a market (pasar) at (150, 50): 50 m from A's east edge, 150 m from B's west edge;
- an arterial road 50 m south of both;
- the profile: min_area 1,000 m², outside flood_zones; criteria pasar (distance,
  linear 0..1000 m, weight 3), jalan (distance to arteri, linear 0..100 m, weight 1),
  banjir (distance to flood_zones, linear worst 0 .. best 500 m, weight 1).
"""

import subprocess

import geopandas as gpd
import numpy as np
import pytest
import shapely
from cikit import require
from clikit import siteplan
from shapely import box

import siteplan as sp
from siteplan.methods.constraints import constraint_label
from siteplan.outputs import read_result
from siteplan.profiles.profile import profile_from_dict

CRS = "EPSG:32748"
X0, Y0 = 600_000, 9_320_000


def shift(g):
    return shapely.transform(g, lambda c: c + [X0, Y0])


def frames():
    parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B"], "ownership": ["pemda", "pemda"]},
                               geometry=[shift(box(0, 0, 100, 100)),
                                         shift(box(300, 0, 400, 100))], crs=CRS)
    pois = gpd.GeoDataFrame({"category": ["pasar"], "name": ["Pasar"]},
                            geometry=[shift(shapely.Point(150, 50))], crs=CRS)
    roads = gpd.GeoDataFrame({"road_class": ["arteri"]},
                             geometry=[shift(shapely.LineString([(-100, -50), (900, -50)]))],
                             crs=CRS)
    return {"parcels": parcels, "pois": pois, "roads": roads}


def profile(**over):
    base = {
        "name": "uji", "title": {"id": "Uji", "en": "Test"},
        "candidates": {"ownership": ["pemda"]},
        "constraints": [{"type": "min_area", "value": 1000},
                        {"type": "outside", "layer": "flood_zones",
                         "title": {"id": "Zona <b>banjir</b> `${x}`", "en": "Flood <i>zone</i>"}}],
        "criteria": [
            {"name": "pasar", "measure": "distance", "layer": "pois",
             "where": {"category": ["pasar"]}, "weight": 3,
             "transform": {"type": "linear", "best": 0, "worst": 1000}},
            {"name": "jalan", "measure": "distance", "layer": "roads",
             "where": {"road_class": ["arteri"]}, "weight": 1,
             "transform": {"type": "linear", "best": 0, "worst": 100}},
            {"name": "banjir", "measure": "distance", "layer": "flood_zones", "weight": 1,
             "transform": {"type": "linear", "best": 500, "worst": 0}},
        ],
    }
    base.update(over)
    return profile_from_dict(base)


@pytest.fixture()
def no_flood():
    return sp.load_layers(**frames())


def test_a_missing_layer_is_an_error_by_default_naming_it_and_the_way_out(no_flood):
    with pytest.raises(sp.SiteplanInputError) as err:
        sp.score(no_flood, profile())
    text = str(err.value)
    # both rules that read it are named, with the option that leaves them out
    assert "constraint 2 (outside): needs layer 'flood_zones'" in text
    assert "criterion 'banjir': needs layer 'flood_zones'" in text
    assert 'missing="skip"' in text and "--skip-missing" not in text
    # the command line says the same fix in its own terms (issue 24)
    assert all("--skip-missing" in p.text("cli") for p in err.value.problems)


def test_skip_leaves_the_rules_out_renormalises_and_records(no_flood):
    res = sp.score(no_flood, profile(), missing="skip").set_index("parcel_id")
    # weights 3 : 1 of what is left -> 0.75, 0.25
    # A: pasar 50 m -> 0.95, road 50 m -> 0.5: 100 (0.75 0.95 + 0.25 0.5) = 83.75
    # B: pasar 150 m -> 0.85, road 50 m -> 0.5: 100 (0.75 0.85 + 0.25 0.5) = 76.25
    assert res.loc["A", "score"] == pytest.approx(83.75)
    assert res.loc["B", "score"] == pytest.approx(76.25)
    assert "c_banjir" not in res.columns and "m_banjir" not in res.columns
    rec = sp.record_of(res)
    assert rec.profile.weights == pytest.approx({"pasar": 0.75, "jalan": 0.25})
    assert [constraint_label(c) for c in rec.profile.constraints] == ["min_area 1000 m²"]
    skipped = rec.skipped
    assert [(x.kind, x.name, x.rule, x.layer, x.reason) for x in skipped] == [
        ("constraint", "outside flood_zones +0 m", 2, "flood_zones", "layer_not_given"),
        ("criterion", "banjir", 3, "flood_zones", "layer_not_given")]
    assert skipped[1].weight == pytest.approx(0.2)  # its weight in the profile: 1/5
    for note in res["notes"]:
        assert "constraint outside flood_zones +0 m left out" in note
        assert "criterion banjir left out" in note


def test_dask_engine_skips_the_same(no_flood):
    require("dask_geopandas")
    local = sp.score(no_flood, profile(), missing="skip")
    dask = sp.score(no_flood, profile(), missing="skip", engine="dask",
                    engine_options={"scheduler": "synchronous", "npartitions": 2})
    assert np.allclose(local["score"], dask["score"].reindex(local.index))
    assert sp.record_of(dask).skipped == sp.record_of(local).skipped
    assert list(dask["notes"].reindex(local.index)) == list(local["notes"])
    with pytest.raises(sp.SiteplanInputError, match="needs layer 'flood_zones'"):
        sp.score(no_flood, profile(), engine="dask",
                 engine_options={"scheduler": "synchronous"})


def test_every_criterion_skipped_is_an_error(no_flood):
    prof = profile(criteria=[{"name": "banjir", "measure": "distance", "layer": "flood_zones",
                              "weight": 1, "transform": {"type": "linear", "best": 500,
                                                         "worst": 0}}])
    with pytest.raises(sp.SiteplanInputError, match="every criterion was left out.*banjir"):
        sp.score(no_flood, prof, missing="skip")
    with pytest.raises(sp.SiteplanInputError, match="missing='later' is not an option"):
        sp.score(no_flood, profile(), missing="later")


def test_a_filter_that_selects_nothing_is_left_out_only_when_skipping(no_flood):
    prof = profile(constraints=[], criteria=[
        {"name": "pasar", "measure": "distance", "layer": "pois",
         "where": {"category": ["pasar"]}, "weight": 1,
         "transform": {"type": "linear", "best": 0, "worst": 1000}},
        {"name": "bioskop", "measure": "distance", "layer": "pois",
         "where": {"category": ["bioskop"]}, "weight": 1,
         "transform": {"type": "linear", "best": 0, "worst": 1000}}])
    with pytest.raises(sp.SiteplanInputError, match=r"no feature where .*bioskop.*skip"):
        sp.score(no_flood, prof)
    res = sp.score(no_flood, prof, missing="skip").set_index("parcel_id")
    assert [(x.name, x.reason, dict(x.where)) for x in sp.record_of(res).skipped] \
        == [("bioskop", "no_matching_feature", {"category": ("bioskop",)})]
    assert res.loc["A", "score"] == pytest.approx(95.0)  # pasar alone: 1 - 50/1000


def test_an_empty_layer_is_legal_and_means_nothing_there(tmp_path):
    # a real, empty GeoJSON file (a FeatureCollection without features)
    path = tmp_path / "banjir.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    layers = sp.load_layers(**frames(), extra={"flood_zones": path})
    assert len(layers["flood_zones"]) == 0 and layers["flood_zones"].crs == layers.crs
    note = layers.repairs[layers.repairs["layer"] == "flood_zones"]
    assert note["problem"].tolist() == ["empty layer (0 features)"]
    res = sp.score(layers, profile()).set_index("parcel_id")
    # nothing to be outside of: both eligible; no flood zone anywhere: banjir -> 1 (best)
    assert res["eligible"].all() and np.isinf(res["m_banjir"]).all()
    assert (res["c_banjir"] == 1.0).all()
    # A: 100 (0.6 0.95 + 0.2 0.5 + 0.2 1) = 87
    assert res.loc["A", "score"] == pytest.approx(87.0)
    assert sp.record_of(res).empty_layers == ("flood_zones",)
    assert sp.record_of(res).skipped == ()


def test_an_empty_layer_with_a_filter_and_no_columns(no_flood):
    # an empty pois layer (no 'category' column at all) under a where filter
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CRS))
    layers = no_flood.replace(pois=empty)
    assert "category" in layers["pois"].columns  # the schema's columns are there, empty
    res = sp.score(layers, profile(constraints=[]), missing="skip").set_index("parcel_id")
    assert (res["m_pasar"] == np.inf).all() and (res["c_pasar"] == 0.0).all()


def test_empty_parcels_are_still_refused():
    f = frames()
    f["parcels"] = f["parcels"].iloc[:0]
    with pytest.raises(sp.SiteplanInputError, match="'parcels'.*nothing to score"):
        sp.load_layers(**f)


@pytest.mark.parametrize("lang, words", [("id", "Tidak dinilai (data tidak ada)"),
                                         ("en", "Left out (no data)")])
def test_the_map_title_box_lists_what_was_left_out(no_flood, lang, words):
    from siteplan.render import style as st

    res = sp.score(no_flood, profile(), missing="skip")
    m = sp.render_map(res, no_flood, lang=lang)
    html = next(c for c in m._children.values()
                if isinstance(c, st.HtmlControl) and "sp-title" in c.class_name).content
    assert words in html
    if lang == "id":  # the constraint's own title, escaped (also for template literals)
        assert "Zona &lt;b&gt;banjir&lt;/b&gt; &#96;&#36;&#123;x&#125;&#96;" in html
        assert "<b>banjir</b>" not in html
        assert "lapisan flood_zones tidak diberikan" in html
    else:
        assert "Flood &lt;i&gt;zone&lt;/i&gt;" in html and "no flood_zones layer given" in html
    # the rendered page carries the box too, and nothing of the title unescaped
    page = m.get_root().render()
    assert "sp-skip" in page and "<b>banjir" not in page and "`${x}" not in page


def test_sensitivity_and_compare_on_a_partial_result(no_flood):
    res = sp.score(no_flood, profile(), missing="skip")
    stab = sp.sensitivity(res, profile(), draws=50, top_k=1, seed=0)
    assert stab["p_top_k"].sum() == pytest.approx(1.0)
    table = sp.compare(no_flood, [profile()], missing="skip")
    assert table["score_uji"].tolist() == pytest.approx([83.75, 76.25])
    assert sp.record_of(table, None).skipped["uji"][0].layer == "flood_zones"


PROFILE_TOML = """
name = "uji_cli"
title = { id = "Uji", en = "Test" }
[[constraints]]
type = "min_area"
value = 1000
[[constraints]]
type = "outside"
layer = "flood_zones"
[[criteria]]
name = "pasar"
measure = "distance"
layer = "pois"
where = { category = ["pasar"] }
transform = { type = "linear", best = 0, worst = 1000 }
weight = 3
[[criteria]]
name = "umkm"
measure = "count_within"
layer = "pois"
where = { category = ["umkm"] }
radius = 1000
transform = { type = "linear", best = 5, worst = 0 }
weight = 1
[[criteria]]
name = "penduduk"
measure = "sum_within"
layer = "population"
column = "population"
radius = 2000
transform = { type = "linear", best = 60000, worst = 0 }
weight = 1
[[criteria]]
name = "jalan"
measure = "distance"
layer = "roads"
where = { road_class = ["arteri"] }
transform = { type = "linear", best = 0, worst = 100 }
weight = 1
"""


def _files(tmp_path, f) -> dict:
    """The frames written as GeoPackages, as a user would pass them."""
    paths = {}
    for name, gdf in f.items():
        paths[name] = tmp_path / f"{name}.gpkg"
        gdf.to_file(paths[name])
    return paths


def _siteplan(*args) -> subprocess.CompletedProcess:
    """The ``siteplan`` command on this checkout's package (tests/support/clikit.py)."""
    return siteplan(*args)


def test_cli_skip_missing(tmp_path):
    paths = _files(tmp_path, frames())
    toml = tmp_path / "uji.toml"
    toml.write_text(PROFILE_TOML, encoding="utf-8")
    args = ["score", "--profile", toml, "--parcels", paths["parcels"], "--roads",
            paths["roads"], "--pois", paths["pois"], "--out", tmp_path / "out.gpkg"]
    r = _siteplan(*args)
    assert r.returncode == 3 and "needs layer 'flood_zones'" in r.stderr
    assert "--skip-missing" in r.stderr
    r = _siteplan(*args, "--skip-missing")
    assert r.returncode == 0, r.stderr
    assert "left out: criterion penduduk (no layer population)" in r.stdout
    out = read_result(tmp_path / "out.gpkg").set_index("parcel_id")
    skipped = sp.record_of(out).skipped
    # the flood zones and population were not given; the pois hold a pasar, no umkm
    assert [(x.kind, x.name, x.reason) for x in skipped] == [
        ("constraint", "outside flood_zones +0 m", "layer_not_given"),
        ("criterion", "umkm", "no_matching_feature"),
        ("criterion", "penduduk", "layer_not_given")]
    # the GeoPackage says its notes in words, Indonesian by default
    assert out["notes"].str.contains("kriteria penduduk tidak dinilai", regex=False).all()
    # pasar and jalan, weights 3 : 1, as in test_skip_leaves_the_rules_out_renormalises...
    assert out.loc["A", "score"] == pytest.approx(83.75)
    # the map of the written file still says what was left out
    r = _siteplan("map", tmp_path / "out.gpkg", "--out", tmp_path / "map.html", "--lang", "en")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "Left out (no data)" in html and "no flood_zones layer given" in html


def empty_like(gdf):
    return gdf.iloc[:0]


def test_empty_roads_fall_back_to_straight_lines_or_reach_nothing(no_flood):
    layers = no_flood.replace(roads=empty_like(no_flood["roads"]))
    along = {"name": "pasar", "measure": "network_distance", "layer": "pois",
             "where": {"category": ["pasar"]}, "weight": 1,
             "transform": {"type": "linear", "best": 0, "worst": 1000}}
    area = {"name": "luas", "measure": "area", "weight": 1,
            "transform": {"type": "linear", "best": 10000, "worst": 0}}
    res = sp.score(layers, profile(constraints=[], criteria=[{**along, "fallback": "distance"},
                                                             area])).set_index("parcel_id")
    assert res["m_pasar"].tolist() == pytest.approx([50.0, 150.0])  # straight lines
    assert sp.record_of(res).measured_as["pasar"] == \
        "distance (fallback: the roads layer is empty)"
    res = sp.score(layers, profile(constraints=[], criteria=[along, area]))
    assert res["m_pasar"].isna().all() and (res["c_pasar"] == 0).all()
    assert res["notes"].str.contains("pasar: unreachable, the roads layer is empty").all()


def test_nothing_to_reach_along_roads_is_infinitely_far(no_flood):
    layers = no_flood.replace(pois=empty_like(no_flood["pois"]))
    prof = profile(constraints=[], criteria=[
        {"name": "pasar", "measure": "network_distance", "layer": "pois",
         "where": {"category": ["pasar"]}, "weight": 1,
         "transform": {"type": "linear", "best": 0, "worst": 1000}}])
    res = sp.score(layers, prof)
    assert np.isinf(res["m_pasar"]).all() and (res["c_pasar"] == 0).all()
    assert sp.record_of(res).empty_layers == ("pois",)


def test_an_empty_admin_layer_has_no_unit():
    f = frames()
    green = gpd.GeoDataFrame({"rth_type": ["taman"], "public": [True]},
                             geometry=[shift(box(0, 200, 100, 300))], crs=CRS)
    pop = gpd.GeoDataFrame({"population": [100.0]}, geometry=[shift(shapely.Point(50, 50))],
                           crs=CRS)
    admin = gpd.GeoDataFrame({"nama": [], "kode": []}, geometry=gpd.GeoSeries([], crs=CRS))
    layers = sp.load_layers(**f, green_spaces=green, population=pop, admin=admin)
    assert len(sp.rth_gaps(layers, level="kelurahan")) == 0
    prof = profile(constraints=[], criteria=[
        {"name": "kurang", "measure": "rth_shortfall", "weight": 1, "missing": 0,
         "transform": {"type": "linear", "best": 0.2, "worst": 0}}])
    res = sp.score(layers, prof)
    assert res["m_kurang"].isna().all() and (res["c_kurang"] == 0).all()
    assert res["notes"].str.contains("kurang: no value, counted as 0").all()


def test_cli_compare_skip_missing(tmp_path):
    f = frames()
    f["parcels"] = f["parcels"].assign(land_use="tanah_kosong")
    args = ["compare", "--out", tmp_path / "cmp", "--profile", "sentra_kuliner",
            "--profile", "wisata_religi"]
    for name, path in _files(tmp_path, f).items():
        args += [f"--{name}", path]
    r = _siteplan(*args)
    assert r.returncode == 3 and "--skip-missing" in r.stderr
    r = _siteplan(*args, "--skip-missing")
    assert r.returncode == 0, r.stderr
    # wisata_religi: heritage, coastline, rivers, flood_zones not given; no Banten Lama site
    for line in ("left out (wisata_religi): constraint outside heritage +0 m (no layer heritage)",
                 "left out (wisata_religi): criterion dekat_banten_lama (no matching feature "
                 "in pois)",
                 "left out (sentra_kuliner): criterion penduduk_2km (no layer population)"):
        assert line in r.stdout


def test_cli_brief_skip_missing(tmp_path):
    args = ["brief", "--profile", "sentra_kuliner", "--out", tmp_path / "brief.html"]
    for name, path in _files(tmp_path, frames()).items():
        args += [f"--{name}", path]
    r = _siteplan(*args)
    assert r.returncode == 3 and "needs layer 'rivers'" in r.stderr
    r = _siteplan(*args, "--skip-missing")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "brief.html").is_file()
