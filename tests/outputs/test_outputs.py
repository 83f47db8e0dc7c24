"""Outputs: every format round-trips, the GeoPackage is styled for QGIS, writes are atomic."""

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyogrio
import pytest
from test_scoring import make_profile, tiny_frames

import siteplan as sp
from siteplan.outputs import read_result, write_result


@pytest.fixture()
def result(tmp_path):
    f = tiny_frames()
    path = tmp_path / "persil.gpkg"
    f["parcels"].to_file(path)
    f["parcels"] = path
    return sp.score(sp.load_layers(**f), make_profile())


@pytest.mark.parametrize("ext", ["gpkg", "geojson", "parquet", "csv"])
def test_round_trip_keeps_rows_scores_and_provenance(tmp_path, result, ext):
    out = write_result(result, tmp_path / f"hasil.{ext}")
    back = read_result(out)
    assert len(back) == len(result)
    a = result.set_index("parcel_id")
    b = back.set_index("parcel_id").loc[a.index]
    np.testing.assert_allclose(b["score"].to_numpy(dtype=float),
                               a["score"].to_numpy(dtype=float), equal_nan=True)
    assert list(b["rank"].astype("Float64").fillna(-1)) == list(
        a["rank"].astype("Float64").fillna(-1))
    if ext == "gpkg":   # said in words for people (Indonesian by default); codes come back
        # C breaks rule 2 (a river runs through it), D rule 1 (400 m² < 1,000 m²)
        assert list(b["excluded_by"]) == ["", "", "dalam 15 m dari sungai",
                                          "luas kurang dari 1.000 m²"]
    else:
        assert list(b["excluded_by"]) == list(a["excluded_by"])
    assert list(b["status"]) == list(a["status"]) == ["scored", "scored", "excluded", "excluded"]
    rec = sp.record_of(back)
    assert rec == sp.record_of(result).with_(provenance=rec.provenance)  # the same record
    assert rec.profile.name == "uji"
    assert rec.profile.weights == pytest.approx({"pasar": 0.75, "jalan": 0.25})
    assert rec.provenance.siteplan_version == sp.__version__
    parcels_input = next(s for s in rec.provenance.sources if s.layer == "parcels")
    assert parcels_input.text.endswith("persil.gpkg")
    expected = hashlib.sha256((tmp_path / "persil.gpkg").read_bytes()).hexdigest()
    assert parcels_input.sha256 == expected
    assert back.crs.to_epsg() == 32748


def test_geopackage_has_a_qgis_style(tmp_path, result):
    out = write_result(result, tmp_path / "hasil.gpkg")
    con = sqlite3.connect(out)
    rows = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML "
                       "FROM layer_styles").fetchall()
    kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
    con.close()
    assert kinds == {"uji": "features", "layer_styles": "attributes"}
    (table, geom_col, default, qml), = rows
    assert (table, geom_col, default) == ("uji", "geom", 1)
    assert 'type="RuleRenderer"' in qml and "&quot;score&quot; IS NULL" in qml
    # GDAL sees only the scored layer as spatial; the style table is an attribute table
    layers = dict(pyogrio.list_layers(out))
    assert layers["uji"] == "Polygon" and layers["layer_styles"] is None


def test_existing_output_is_kept_without_overwrite(tmp_path, result):
    out = write_result(result, tmp_path / "hasil.gpkg")
    before = out.read_bytes()
    with pytest.raises(sp.SiteplanInputError, match="already exists"):
        write_result(result, out, overwrite=False)
    assert out.read_bytes() == before


def test_unknown_extension(tmp_path, result):
    with pytest.raises(sp.SiteplanInputError, match=r"unknown extension '\.xlsx'"):
        write_result(result, tmp_path / "hasil.xlsx")


WRITER = """
import sys, numpy as np, geopandas as gpd, shapely
from siteplan.outputs import write_result
n = 400_000
x = np.arange(n) % 1000 * 20.0 + 600000
y = np.arange(n) // 1000 * 20.0 + 9300000
g = gpd.GeoDataFrame({"parcel_id": np.arange(n).astype(str), "score": np.linspace(0, 100, n),
                      "note": ["x" * 40] * n},
                     geometry=shapely.box(x, y, x + 10, y + 10), crs=32748)
print("ready", flush=True)
write_result(g, sys.argv[1])
"""



def _size(path) -> int:
    """Bytes in ``path``; 0 when it went away after being listed (SQLite's journal comes
    and goes with each of the writer's transactions)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _kill_a_writer_midway(out, folder, prefix):
    """Start a writer of ``out`` in a child, SIGKILL it once its temporary file (named
    ``prefix(pid)...``) holds bytes; the temporary files seen. The child is killed and
    reaped whatever happens."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        temp = []
        while time.monotonic() < deadline and proc.poll() is None:
            temp = [p for p in folder.iterdir() if p.name.startswith(prefix(proc.pid))
                    and _size(p) > 0]
            if temp:
                break
            time.sleep(0.01)
        assert temp, "the writer never started writing its temporary file"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    return temp

def test_killed_writer_leaves_previous_output_whole(tmp_path, result):
    out = write_result(result, tmp_path / "hasil.gpkg")
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    _kill_a_writer_midway(out, tmp_path, lambda _pid: ".hasil.")
    assert hashlib.sha256(out.read_bytes()).hexdigest() == before
    assert len(read_result(out)) == len(result)


def test_geojson_is_valid_json_with_siteplan_member(tmp_path, result):
    out = write_result(result, tmp_path / "hasil.geojson")
    doc = json.loads(out.read_text())
    assert doc["type"] == "FeatureCollection" and doc["siteplan"]["profile"]["name"] == "uji"
    assert doc["siteplan"]["kind"] == "score" and doc["siteplan"]["format"] == 2
    assert len(doc["features"]) == len(result)
    frame = pd.DataFrame([f["properties"] for f in doc["features"]])
    assert "score" in frame and "c_pasar" in frame


def test_killed_writers_temporary_is_removed_by_the_next_write(tmp_path, result):
    out = write_result(result, tmp_path / "hasil.gpkg")
    temp = _kill_a_writer_midway(out, tmp_path, lambda pid: f".hasil.siteplan-{pid}-")
    assert any(p.exists() for p in temp)          # the kill left it behind
    write_result(result, out)                      # the next write of the same output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".hasil.")] == []
    assert len(read_result(out)) == len(result)


def test_only_stale_temporaries_of_the_same_output_are_removed(tmp_path, result):
    from siteplan.outputs.formats import STALE_AFTER

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)                        # a process that has ended
    names = {
        f".hasil.siteplan-{dead}-ab12cd34.gpkg": False,            # its writer is gone
        f".hasil.siteplan-{dead}-ab12cd34.gpkg-journal": False,    # and SQLite's journal
        f".hasil.siteplan-{os.getpid()}-zz99yy88.gpkg": True,       # a live writer, fresh
        ".hasil.k2j4h5g6.gpkg": True,                              # an old version's, fresh
        ".hasil.q1w2e3r4.gpkg": False,                             # an old version's, stale
        ".hasil.notes.gpkg": True,                                 # not a temporary name
        f".lain.siteplan-{dead}-ab12cd34.gpkg": True,              # another output's
        f".hasil.siteplan-{dead}-ab12cd34.csv": True,              # another format's
    }
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    old = time.time() - STALE_AFTER - 60
    os.utime(tmp_path / ".hasil.q1w2e3r4.gpkg", (old, old))
    write_result(result, tmp_path / "hasil.gpkg")
    for name, kept in names.items():
        assert (tmp_path / name).exists() == kept, name
    assert (tmp_path / "hasil.gpkg").is_file()


@pytest.mark.parametrize(("lang", "score", "criterion", "what"), [
    ("id", "Skor kesesuaian (0–100)", "Kesesuaian: pasar", "Hasil penilaian siteplan"),
    ("en", "Suitability score (0–100)", "Suitability: pasar", "siteplan result")])
def test_geopackage_rank_is_an_integer_with_aliases_in_the_language(tmp_path, result, lang,
                                                                   score, criterion, what):
    out = write_result(result, tmp_path / "hasil.gpkg", lang=lang)
    info = pyogrio.read_info(out, layer="uji")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["rank"] == "int64" and types["rank_shared"] == "int64"
    con = sqlite3.connect(out)
    qml = con.execute("SELECT styleQML FROM layer_styles").fetchone()[0]
    desc = con.execute("SELECT description FROM gpkg_contents WHERE table_name = 'uji'"
                       ).fetchone()[0]
    con.close()
    assert '<alias field="score" index="' in qml and f'name="{score}"' in qml
    assert f'name="{criterion}"' in qml      # c_pasar, named by the criterion's title
    assert desc.startswith(what)
    back = read_result(out)
    assert str(back["rank"].dtype) == "Int64"
    assert list(back["rank"]) == list(result["rank"])


HOSTILE = "{{ 6*7 }} <img src=x onerror=alert(1)> \" & ' </qgis>"


@pytest.fixture()
def worded():
    """The tiny world scored with a titled rule, a criterion without a value for B and a
    criterion left out: every kind of text the GeoPackage says in words."""
    f = tiny_frames()
    f["parcels"]["nilai"] = [5.0, np.nan, 1.0, 1.0, 1.0]
    f["parcels"]["name"] = [HOSTILE, "b", "c", "d", "e"]
    prof = make_profile(
        constraints=[{"type": "min_area", "value": 1000,
                      "title": {"id": "Terlalu kecil " + HOSTILE, "en": "Too small " + HOSTILE}},
                     {"type": "outside", "layer": "rivers", "buffer": 15}],
        criteria=[
            {"name": "pasar", "measure": "distance", "layer": "pois",
             "where": {"category": ["pasar"]},
             "transform": {"type": "linear", "best": 0, "worst": 1000}, "weight": 3},
            {"name": "nilai", "measure": "attribute", "column": "nilai", "missing": 0.5,
             "title": {"id": "Nilai " + HOSTILE, "en": "Value " + HOSTILE},
             "transform": {"type": "linear", "best": 10, "worst": 0}, "weight": 1},
            {"name": "sekolah", "measure": "distance", "layer": "schools",
             "transform": {"type": "linear", "best": 0, "worst": 1000}, "weight": 1}])
    return sp.score(sp.load_layers(**f), prof, missing="skip")


@pytest.mark.parametrize(("lang", "said"), [
    ("id", {"status": ["dinilai", "dinilai", "dikecualikan", "dikecualikan"],
            "river": "dalam 15 m dari sungai", "small": "Terlalu kecil ",
            "left_out": "kriteria sekolah tidak dinilai (lapisan schools tidak diberikan)",
            "no_value": "Nilai {h}: tidak ada nilai, dihitung 0,5"}),
    ("en", {"status": ["scored", "scored", "excluded", "excluded"],
            "river": "within 15 m of rivers", "small": "Too small ",
            "left_out": "criterion sekolah left out (no schools layer given)",
            "no_value": "Value {h}: no value, counted as 0.5"})])
def test_geopackage_text_fields_follow_the_language(tmp_path, worded, lang, said):
    out = write_result(worded, tmp_path / "hasil.gpkg", lang=lang)
    raw = pyogrio.read_dataframe(out, layer="uji").set_index("parcel_id")
    assert list(raw["status"]) == said["status"]
    assert list(raw["excluded_by"]) == ["", "", said["river"], said["small"] + HOSTILE]
    # every row names the criterion left out; only B (scored, no 'nilai') the missing value
    no_value = said["no_value"].format(h=HOSTILE)
    assert list(raw["notes"]) == [said["left_out"], said["left_out"] + "; " + no_value,
                                  said["left_out"], said["left_out"]]
    assert raw.loc["A", "name"] == HOSTILE                      # data stays data
    back = read_result(out).set_index("parcel_id")               # the codes come back
    assert list(back["status"]) == ["scored", "scored", "excluded", "excluded"]
    assert list(back["excluded_rules"]) == ["", "", "2", "1"]


@pytest.mark.parametrize(("lang", "aliases"), [
    ("id", {"score": "Skor kesesuaian (0–100)", "rank": "Peringkat",
            "c_nilai": "Kesesuaian: Nilai " + HOSTILE, "excluded_by": "Alasan dikecualikan"}),
    # GDAL gives no alternative name equal to the field's own ("Rank" for rank)
    ("en", {"score": "Suitability score (0–100)", "parcel_id": "Parcel ID",
            "c_nilai": "Suitability: Value " + HOSTILE, "excluded_by": "Why excluded"})])
def test_geopackage_fields_have_gdal_aliases_and_integer_ranks(tmp_path, worded, lang,
                                                              aliases):
    import xml.etree.ElementTree as ET

    out = write_result(worded, tmp_path / "hasil.gpkg", lang=lang)
    with pyogrio.open_arrow(out, layer="uji") as (_, stream):
        import pyarrow as pa

        schema = pa.RecordBatchReader.from_stream(stream).schema
    seen = {f.name: (f.metadata or {}).get(b"GDAL:OGR:alternative_name", b"").decode()
            for f in schema}
    assert {k: seen[k] for k in aliases} == aliases
    con = sqlite3.connect(out)
    types = {r[1]: r[2] for r in con.execute("PRAGMA table_info('uji')")}
    qml = con.execute("SELECT styleQML FROM layer_styles").fetchone()[0]
    con.close()
    assert (types["rank"], types["rank_shared"], types["score"]) == ("INTEGER", "INTEGER",
                                                                     "REAL")
    style = ET.fromstring(qml.split(">", 1)[1])                 # the title stays text in XML
    named = {a.get("field"): a.get("name") for a in style.iter("alias")}
    assert {k: named[k] for k in aliases} == aliases
    assert named["rank"] == {"id": "Peringkat", "en": "Rank"}[lang]


def test_geopackage_legend_is_the_score_maps():
    import re

    from siteplan.render import style as st
    from siteplan.render.qgis import qgis_style_qml

    # quantiles of 10 scores at 20, 40, ... 100 %: position p/100 * 9 between sorted values
    # 1.8 -> 10*.2 + 11*.8 = 10.8; 3.6 -> 12*.4 + 14.1*.6 = 13.26; 5.4 -> 20*.6 + 30*.4 = 24;
    # 7.2 -> 40*.8 + 50*.2 = 42; 9 -> 60. The lowest class starts at the lowest score, 9.
    scores = pd.Series([9.0, 10, 11, 12, 14.1, 20, 30, 40, 50, 60, np.nan])
    want = {"id": ["9,0 – 10,8", "10,8 – 13,3", "13,3 – 24,0", "24,0 – 42,0", "42,0 – 60,0"],
            "en": ["9.0 – 10.8", "10.8 – 13.3", "13.3 – 24.0", "24.0 – 42.0", "42.0 – 60.0"]}
    for lang, labels in want.items():
        qml = qgis_style_qml(scores, lang=lang)
        assert re.findall(r'label="([^"]*)"', qml)[1:] == labels
        colours = re.findall(r'name="color" value="([\d,]+)"', qml)[1:]
        assert colours == [",".join(str(int(c[i:i + 2], 16)) for i in (1, 3, 5)) + ",255"
                           for c in st.ramp(5)]
        # the score map's legend says the same ranges in the same colours
        classes = {"bins": [10.8, 13.26, 24.0, 42.0, 60.0], "low": [9.0, 10.8, 13.26, 24.0, 42.0],
                   "colors": st.ramp(5), "counts": [2, 2, 2, 2, 2]}
        legend = st.legend_html(classes, {"criteria": []}, lang, n_excluded=0, n_top=0,
                                scheme="quantiles", extra=[])
        assert re.findall(r"</i>(.*?) <span class=c>", legend) == labels[::-1]
        # a score on a boundary falls in the same class in QGIS as on the map (<= upper)
        assert '&quot;score&quot; &gt; 10.8 AND &quot;score&quot; &lt;= 13.26"' in qml
