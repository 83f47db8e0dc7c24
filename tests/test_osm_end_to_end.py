"""Every built-in profile end to end on an OpenStreetMap extract with parcels of another source.

The city is ``bench/osm_end_to_end.py``'s: pyrosm's ``test.osm.pbf`` (a corner
of Kotka, Finland), 48 plots of our own with ``ID``, ``owner`` (``municipal``,
``provincial``, ``private``) and ``landuse`` in English, and people per
dwelling from the extract's building footprints. Every step must run without
an unexplained error, in Python (``missing="skip"``) and on the command line
(``--osm``, ``--column``, ``--value``, ``--skip-missing``), and both must give
the same numbers. Counts are worked from the plots' own table, by hand.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan.outputs import read_result
from siteplan.render import style as st
from siteplan.scoring.ranks import best_first

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import osm_end_to_end as e2e  # noqa: E402
from clikit import siteplan  # noqa: E402
from test_osm_profiles import expected_skips  # noqa: E402

PROFILES = sp.list_profiles()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("osm_e2e")
    paths = e2e.make_city(folder)
    return paths, e2e.load(paths), gpd.read_file(paths["parcels"]), folder


@pytest.fixture(scope="module")
def python_runs(city):
    paths, layers, plots, folder = city
    return {name: e2e.run_python(layers, name, folder) for name in PROFILES}


def accepted(name: str) -> list[str]:
    text = (resources.files("siteplan") / "builtin_profiles" / f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)["candidates"]["ownership"]


def test_the_plots_are_read_through_the_mappings(city):
    _, layers, plots, _ = city
    assert list(plots.columns) == ["ID", "owner", "landuse", "geometry"]
    got = layers["parcels"]
    # ID read as parcel_id as it is; owners and uses in siteplan's words
    assert list(got["parcel_id"]) == [str(i) for i in range(1000, 1048)]
    assert got["ownership"].value_counts().to_dict() == {"pemda": 24, "pemprov": 12,
                                                         "swasta": 12}
    assert set(got["land_use"]) == set(e2e.VALUES["land_use"].values())
    # people from the footprints: one per 40 m² of a dwelling, at least one each
    pop = layers["population"]
    assert (pop["population"] >= 1).all()
    assert pop["population"].sum() == pytest.approx(
        np.maximum(np.round(shapely.area(pop.geometry.array) / 40.0), 1).sum(), rel=1e-3)
    prov = sp.record_of(sp.score(layers, "rth", missing="skip")).provenance
    assert prov.source_texts["roads"] == str(e2e.pbf())


@pytest.mark.parametrize("name", PROFILES)
def test_python_every_step(city, python_runs, name):
    _, layers, plots, _ = city
    got = python_runs[name]
    res = got["score"]
    # the candidates are the plots of an accepted owner, counted from the plots' table
    owners = plots["owner"].map(e2e.VALUES["ownership"])
    assert len(res) == owners.isin(accepted(name)).sum()
    assert set(res["status"]) <= {"scored", "excluded"} and (res["status"] == "scored").any()
    assert res.loc[res["status"] == "scored", "score"].between(0, 100).all()
    # what OSM cannot hold is left out and said, nothing else
    rec = sp.record_of(res)
    assert [(x.kind, x.layer) for x in rec.skipped] == expected_skips(name, layers)
    # maps, the brief: written, naming the profile, with its sites
    title = rec.profile.title["id"]
    for kind in ("map", "interactive"):
        html = got[kind].read_text("utf-8")
        assert st.esc1(title) in html
    assert 'siteplan-data-' in got["interactive"].read_text("utf-8")
    assert got["brief"].read_text("utf-8").count('class="page site"') == 2
    # the joint choice: two different eligible sites, each reaching people
    sel = got["select"]
    assert len(sel) == 2 and sel["parcel_id"].is_unique
    eligible = set(res.loc[res["status"] == "scored", "parcel_id"])
    assert set(sel["parcel_id"]) <= eligible
    assert (sel["people_added"] > 0).all()
    assert sel["people_added"].sum() <= layers["population"]["population"].sum() + 1e-6
    # the allocation: the two best-scoring eligible sites of the only use, as its map shows
    plan = got["allocate"]
    best2 = list(res.loc[best_first(res)[:2], "parcel_id"])
    assert sorted(plan["parcel_id"]) == sorted(best2)
    html = got["allocation_map"].read_text("utf-8")
    assert "Candidate parcels" in html and "Roads" in html


@pytest.mark.parametrize("name", PROFILES)
def test_cli_every_step_gives_the_python_numbers(city, python_runs, name):
    paths, _, _, folder = city
    (folder / "cli").mkdir(exist_ok=True)
    out = e2e.run_cli(paths, name, folder / "cli", cli=siteplan)
    for cmd, r in out["runs"].items():
        assert r.returncode == 0, (cmd, r.stderr)
        assert "internal error" not in r.stderr.lower(), (cmd, r.stderr)
    files = out["files"]
    py = python_runs[name]["score"].set_index("parcel_id")
    back = read_result(files["scored.gpkg"]).set_index("parcel_id")
    assert sorted(back.index) == sorted(py.index)
    assert (back["status"] == py.loc[back.index, "status"]).all()
    ok = py["status"] == "scored"
    assert np.abs(back.loc[ok[ok].index, "score"].to_numpy(float)
                  - py.loc[ok, "score"].to_numpy(float)).max() <= 1e-9
    for kind in ("map.html", "interactive.html", "select.html"):
        assert files[kind].stat().st_size > 10_000
    assert files["brief.html"].read_text("utf-8").count('class="page site"') == 2
    chosen = read_result(files["select.gpkg"])
    assert sorted(chosen["parcel_id"]) == sorted(python_runs[name]["select"]["parcel_id"])


def test_cli_allocates_every_profile_at_once(city):
    paths, _, _, folder = city
    got = e2e.run_cli_allocate(paths, folder, cli=siteplan)
    r = got["run"]
    assert r.returncode == 0, r.stderr
    plan = read_result(got["files"]["plan"])
    assert sorted(plan["use"]) == sorted(PROFILES) and plan["parcel_id"].is_unique
    html = got["files"]["map"].read_text("utf-8")
    assert "Persil kandidat" in html and "Jalan" in html


def test_cli_without_the_value_mapping_says_what_it_found(city):
    paths, _, _, folder = city
    r = siteplan("score", "--profile", "rth", "--parcels", paths["parcels"], "--osm",
             e2e.pbf(), "--column", "parcels:owner=ownership", "--skip-missing", "--out",
             folder / "unmapped.gpkg")
    assert r.returncode == 3, r.stderr
    assert "municipal" in r.stderr and "--value ownership:municipal=pemda" in r.stderr
