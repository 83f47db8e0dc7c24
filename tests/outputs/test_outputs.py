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
    assert list(b["excluded_by"]) == list(a["excluded_by"])
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



def _kill_a_writer_midway(out, folder, prefix):
    """Start a writer of ``out`` in a child, SIGKILL it once its temporary file (named
    ``prefix(pid)...``) holds bytes; the temporary files seen."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    temp = []
    while time.monotonic() < deadline and proc.poll() is None:
        temp = [p for p in folder.iterdir() if p.name.startswith(prefix(proc.pid))
                and p.stat().st_size > 0]
        if temp:
            break
        time.sleep(0.01)
    assert temp, "the writer never started writing its temporary file"
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
