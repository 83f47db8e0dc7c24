"""``siteplan allocate``, driven as a subprocess like GIS staff run it."""

from __future__ import annotations

import geopandas as gpd
import pytest
from clikit import siteplan

import siteplan as sp
from siteplan.outputs import read_result

DEMAND = {"rth": 3, "sentra_kuliner": 1, "fasilitas_publik": 2, "wisata_religi": 1}


def run(*args, cwd=None):
    return siteplan(*args, cwd=cwd)


def test_allocate_writes_plan_and_map_equal_to_the_library(tmp_path, sample_layers):
    out, html = tmp_path / "plan.gpkg", tmp_path / "plan.html"
    r = run("allocate", "--sample", "--demand", ",".join(f"{k}={v}" for k, v in DEMAND.items()),
            "--min-spacing", "rth=1500", "--exclude", "36730600600062",
            "--fix", "36730100400059=sentra_kuliner", "--out", out, "--map", html,
            "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "7 sites allocated (optimal" in r.stdout
    plan = read_result(out, layer="allocation")
    # the plan against each use choosing in turn, in plain words and as a share of the plan
    alloc = sp.record_of(plan, None).allocation
    turn = alloc["greedy"]["value"]
    assert (f"each use choosing in turn would reach {turn:,.1f} "
            f"({100 * turn / alloc['value']:.1f}% of this plan)") in r.stdout
    assert plan["use"].value_counts().to_dict() == DEMAND
    info = sp.record_of(plan, None).allocation
    assert info["demand"] == DEMAND and info["min_spacing"] == {"rth": 1500.0}
    assert "36730600600062" not in set(plan["parcel_id"])
    fixed = plan.set_index("parcel_id").loc["36730100400059"]
    assert fixed["use"] == "sentra_kuliner" and bool(fixed["fixed"])
    # the same plan as the library gives
    results = {u: sp.score(sample_layers, u) for u in DEMAND}
    lib = sp.allocate(results, sample_layers, DEMAND, min_spacing={"rth": 1500},
                      exclude=["36730600600062"], fixed={"36730100400059": "sentra_kuliner"})
    assert sorted(zip(plan["use"], plan["parcel_id"], strict=True)) == sorted(
        zip(lib["use"], lib["parcel_id"], strict=True))
    assert info["value"] == pytest.approx(lib.attrs["allocation"]["value"])
    assert plan.crs == sample_layers.crs
    assert len(gpd.list_layers(out)) >= 1
    text = html.read_text(encoding="utf-8")
    assert "Land shared among uses" in text and "Public green open space (RTH) (3)" in text
    # outputs are kept unless --overwrite
    again = run("allocate", "--sample", "--demand", "rth=1", "--out", out)
    assert again.returncode == 5 and "--overwrite" in again.stderr


def test_allocate_names_an_unmeetable_demand(tmp_path):
    r = run("allocate", "--sample", "--demand", "rth=400", "--out", tmp_path / "p.gpkg")
    assert r.returncode == 3
    assert "use 'rth': needs 400 sites but only 303 parcels are eligible" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "p.gpkg").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--demand", "rth=x"], "--demand rth= needs a whole number"),
    (["--demand", "rth"], "--demand needs NAME=VALUE"),
    (["--demand", "rth=1", "--min-spacing", "rth=far"], "--min-spacing needs metres"),
    (["--demand", "rth=1", "--out", "plan.txt"], "--out must end in one of"),
])
def test_bad_usage_exits_2(tmp_path, args, message):
    if "--out" not in args:
        args = [*args, "--out", tmp_path / "p.gpkg"]
    r = run("allocate", "--sample", *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
