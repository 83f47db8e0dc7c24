"""The siteplan command as GIS staff run it.

The entry point, the demo and the exit code of bad files run in a child process
(``run_process``); the other commands run ``siteplan.cli.main`` in this process
(tests/support/clikit.py), with the same arguments, files and exit codes.
"""

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import clikit
import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

import siteplan as sp
from siteplan.layers.raster import RasterLayer
from siteplan.outputs import read_result

run_process = clikit.child   # a child process: the entry point, the first run, bad files
run = clikit.siteplan        # in this process, with a child's output, files and exit code


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    """The sample's layers written out as files, as a user would have them."""
    d = tmp_path_factory.mktemp("sample")
    layers = sp.load_sample()
    paths = {}
    for name in layers:
        if isinstance(layers[name], RasterLayer):  # a GeoTIFF: given as it is
            paths[name] = Path(layers[name].path)
            continue
        path = d / f"{name}.gpkg"
        layers[name].to_file(path)
        paths[name] = path
    return paths


def test_help_and_version():
    r = run_process("--help")
    assert r.returncode == 0 and "demo" in r.stdout and "score" in r.stdout
    r = run_process("score", "--help")
    assert r.returncode == 0 and "--profile" in r.stdout and ".gpkg" in r.stdout
    r = run_process("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"siteplan {sp.__version__}"


def test_profiles_list_show_export(tmp_path):
    r = run("profiles")
    assert r.returncode == 0
    assert "sentra_kuliner" in r.stdout and "Sentra kuliner UMKM" in r.stdout
    r = run("profiles", "show", "rth")
    assert r.returncode == 0 and 'name = "rth"' in r.stdout
    out = tmp_path / "mine.toml"
    r = run("profiles", "export", "wisata_religi", out)
    assert r.returncode == 0 and out.is_file()
    assert sp.read_profile(out).weights == sp.get_profile("wisata_religi").weights
    r = run("profiles", "export", "wisata_religi", out)
    assert r.returncode == 5 and "--overwrite" in r.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The README's first command, run once in a child process: its output and folder."""
    d = tmp_path_factory.mktemp("demo") / "demo"
    return run_process("demo", "--out", d), d


def test_demo_writes_maps_gpkg_and_summary(demo, tmp_path):
    r, written = demo
    assert r.returncode == 0, r.stderr
    for name in sp.list_profiles():
        html = (written / f"{name}.html").read_text()
        assert "leaflet" in html.lower()
        assert str(written / f"{name}.html") in r.stdout
    d = tmp_path / "demo"             # a copy: this test runs the demo again in it
    shutil.copytree(written, d)
    summary = pd.read_csv(d / "summary.csv", dtype={"parcel_id": str})
    assert set(summary["profile"]) == set(sp.list_profiles())
    gpkg = d / "siteplan_demo.gpkg"
    layers = sp.load_sample()
    for name in sp.list_profiles():
        back = read_result(gpkg, layer=name)
        expected = sp.score(layers, name)
        assert len(back) == len(expected)
        top = back.sort_values("rank").iloc[0]["parcel_id"]
        assert top == expected.sort_values("rank").iloc[0]["parcel_id"]
        assert summary[(summary["profile"] == name) & (summary["rank"] == 1)][
            "parcel_id"].iloc[0] == top
    # the README's first command works every time: a second run replaces its own outputs
    before = (d / "summary.csv").stat().st_mtime_ns
    r = run("demo", "--out", d)
    assert r.returncode == 0, r.stderr
    assert f"replaced the outputs of the last demo run in {d}" in r.stdout
    assert (d / "summary.csv").stat().st_mtime_ns > before
    # a folder it did not write is not its own: exit 5, nothing replaced
    other = tmp_path / "mine"
    other.mkdir()
    (other / "summary.csv").write_text("my own table\n")
    r = run("demo", "--out", other)
    assert r.returncode == 5 and "--overwrite" in r.stderr
    assert (other / "summary.csv").read_text() == "my own table\n"


def test_demo_writes_a_brief_per_profile(demo):
    from test_brief import pages

    from siteplan.scoring.ranks import best_first

    r, written = demo
    assert r.returncode == 0, r.stderr
    layers = sp.load_sample()
    for name in sp.list_profiles():
        html = (written / f"brief_{name}.html").read_text(encoding="utf-8")
        res = sp.score(layers, name)   # ties in the order the brief states (parcel_id)
        best = res.loc[best_first(res)[:5], "parcel_id"]
        got = [re.search(r"ID (\d+)<", p).group(1) for p in pages(html)]
        assert got == list(best)


@pytest.mark.parametrize("ext", ["gpkg", "geojson", "parquet", "csv"])
def test_score_from_files(tmp_path, sample_files, ext):
    f = sample_files
    out = tmp_path / f"hasil.{ext}"
    r = run("score", "--profile", "sentra_kuliner", "--parcels", f["parcels"],
            "--roads", f["roads"], "--pois", f["pois"], "--population", f["population"],
            "--layer", f"rivers={f['rivers']}", "--layer", f"flood_zones={f['flood_zones']}",
            "--layer", f"sawah={f['sawah']}", "--layer", f"flood_hazard={f['flood_hazard']}",
            "--layer", f"dem={f['dem']}", "--out", out)
    assert r.returncode == 0, r.stderr
    back = read_result(out)
    expected = sp.score(sp.load_sample(), "sentra_kuliner")
    assert len(back) == len(expected)
    assert set(back["parcel_id"]) == set(expected["parcel_id"])
    if ext == "gpkg":
        con = sqlite3.connect(out)
        assert con.execute("SELECT count(*) FROM layer_styles").fetchone()[0] == 1
        con.close()
    rec = sp.record_of(back)
    assert rec.profile.name == "sentra_kuliner"
    assert {s.layer for s in rec.provenance.sources if s.sha256} >= {"parcels", "roads"}


def test_score_writes_a_geopackage_in_the_language_asked(tmp_path, sample_files):
    from siteplan.words import rule_text

    f = sample_files
    out = tmp_path / "hasil.gpkg"
    r = run("score", "--profile", "wisata_religi", "--parcels", f["parcels"],
            "--roads", f["roads"], "--pois", f["pois"], "--layer", f"rivers={f['rivers']}",
            "--layer", f"flood_hazard={f['flood_hazard']}", "--skip-missing",
            "--lang", "en", "--out", out)
    assert r.returncode == 0, r.stderr
    raw = pyogrio.read_dataframe(out, layer="wisata_religi")
    assert set(raw["status"]) == {"scored", "excluded"}
    # every reason is one of the profile's rules in English words, as the map says them
    rec = sp.record_of(read_result(out))
    said = {rule_text(c, "en") for c in rec.profile.constraints}
    reasons = {p for v in raw["excluded_by"] if v for p in v.split("; ")}
    assert reasons and reasons <= said
    con = sqlite3.connect(out)
    qml = con.execute("SELECT styleQML FROM layer_styles").fetchone()[0]
    con.close()
    assert 'name="Suitability score (0–100)"' in qml


def test_map_from_scored_file(tmp_path):
    scored = tmp_path / "hasil.gpkg"
    r = run("score", "--profile", "rth", "--parcels", "x", "--out", scored)
    assert r.returncode == 3  # parcels file 'x' does not exist
    result = sp.score(sp.load_sample(), "rth")
    from siteplan.outputs import write_result

    write_result(result, scored)
    r = run("map", scored, "--out", tmp_path / "peta.html", "--lang", "en", "--top", "5")
    assert r.returncode == 0, r.stderr
    assert "leaflet" in (tmp_path / "peta.html").read_text().lower()


def test_compare(tmp_path):
    r = run("compare", "--sample", "--out", tmp_path / "cmp")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv", dtype={"parcel_id": str})
    scores = table[[f"score_{n}" for n in sp.list_profiles()]]
    best = scores.idxmax(axis=1).str.removeprefix("score_")
    assert (best == table["best_profile"]).all()
    assert (scores.max(axis=1) == table["best_score"]).all()


def test_bad_input_files_exit_3_with_a_clear_message(tmp_path):
    broken = tmp_path / "rusak.gpkg"
    broken.write_bytes(b"this is not a geopackage")
    r = run_process("score", "--profile", "rth", "--parcels", broken, "--out", tmp_path / "o.gpkg")
    assert r.returncode == 3
    assert "layer 'parcels'" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2
    no_prj = tmp_path / "tanpa_prj.shp"
    sp.load_sample()["parcels"].head(5)[["parcel_id", "geometry"]].to_file(no_prj)
    no_prj.with_suffix(".prj").unlink()
    r = run_process("score", "--profile", "rth", "--parcels", no_prj, "--out", tmp_path / "o.gpkg")
    assert r.returncode == 3 and "has no CRS" in r.stderr
    # GeoJSON is WGS 84 by definition (RFC 7946): metres in it are caught as such
    as_geojson = tmp_path / "metres.geojson"
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns when writing without a CRS
        gpd.GeoDataFrame(sp.load_sample()["parcels"].head(5)).set_crs(
            None, allow_override=True).to_file(as_geojson)
    r = run_process("score", "--profile", "rth", "--parcels", as_geojson, "--out",
                    tmp_path / "o.gpkg")
    assert r.returncode == 3 and "they look like metres" in r.stderr


def test_bad_profiles_exit_3(tmp_path, sample_files):
    bad = tmp_path / "rusak.toml"
    bad.write_text('name = "x"\n[[criteria]\n')
    r = run("score", "--profile", bad, "--parcels", sample_files["parcels"],
            "--out", tmp_path / "o.gpkg")
    assert r.returncode == 3 and "is not valid TOML" in r.stderr
    r = run("score", "--profile", "no_such_profile", "--parcels", sample_files["parcels"],
            "--out", tmp_path / "o.gpkg")
    assert r.returncode == 3 and "no built-in profile 'no_such_profile'" in r.stderr


@pytest.mark.parametrize("args", [
    ["frobnicate"],
    ["score", "--profile", "rth"],
    ["map", "x.gpkg", "--out", "m.html", "--lang", "fr"],
    ["demo", "--out", "d", "--top", "many"],
    ["score", "--profile", "rth", "--parcels", "p.gpkg", "--out", "o.xlsx"],
    ["score", "--profile", "rth", "--parcels", "p.gpkg", "--layer", "rivers", "--out", "o.gpkg"],
])
def test_bad_arguments_exit_2(args, tmp_path):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr


def test_score_with_sensitivity(tmp_path):
    out = tmp_path / "hasil.gpkg"
    r = run("score", "--profile", "wisata_religi", "--parcels",
            "data/sample/serang_sample.gpkg:parcels", "--roads",
            "data/sample/serang_sample.gpkg:roads", "--pois",
            "data/sample/serang_sample.gpkg:pois",
            *[f"--layer={n}=data/sample/serang_sample.gpkg:{n}"
              for n in ("heritage", "coastline", "rivers", "flood_zones")],
            "--layer=flood_hazard=data/sample/serang_flood_hazard_100m.tif",
            "--sensitivity", "200", "--top-k", "5", "--out", out,
            cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stderr
    back = read_result(out)
    assert back["p_top_k"].sum() == pytest.approx(5)
    assert sp.record_of(back).sensitivity["draws"] == 200


def test_select_writes_sites_and_map(tmp_path):
    r = run("select", "--sample", "--profile", "fasilitas_publik", "--k", "3", "--radius", "1000",
            "--out", tmp_path / "pilih.geojson", "--map", tmp_path / "pilih.html")
    assert r.returncode == 0, r.stderr
    assert "3 sites chosen together" in r.stdout
    chosen = read_result(tmp_path / "pilih.geojson")
    assert sorted(chosen["pick"].astype(int)) == [1, 2, 3]
    sel = sp.record_of(chosen).selection
    assert sel["people_covered"] >= sel["people_covered_greedy"] - 1e-6
    assert sel["people_covered"] >= sel["people_covered_top_scored"] - 1e-6
    assert "P1" in (tmp_path / "pilih.html").read_text()


def test_map_of_a_scored_file_loads_neither_the_compiled_search_nor_scipy(tmp_path):
    """Drawing a scored file measures nothing: numba (the compiled distance search) and
    scipy (KD-trees, road graphs, solvers) stay unimported, which keeps `siteplan map` quick."""
    scored = tmp_path / "hasil.gpkg"
    from siteplan.outputs import write_result

    write_result(sp.score(sp.load_sample(), "sentra_kuliner"), scored)
    probe = ("import sys\nfrom siteplan.cli import main\n"
             f"code = main(['map', {str(scored)!r}, '--out', {str(tmp_path / 'peta.html')!r}, "
             "'-q'])\n"
             "heavy = sorted(m for m in ('numba', 'scipy.spatial', 'scipy.sparse', "
             "'scipy.optimize') if m in sys.modules)\n"
             "print(code, ','.join(heavy) or '-')\n")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "-"], r.stdout
    assert (tmp_path / "peta.html").stat().st_size > 0
