"""Equity before and after a plan (locate.equity_of_plan), worked out by hand.

Tiny world in EPSG:32748 around (X0, Y0), whole metres; people are points, reach
is 1,000 m, 2SFCA with every facility of capacity 1.
"""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from clikit import siteplan
from test_scoring import CRS, X0, Y0, box, pt  # noqa: F401  (the tiny world's frame)

import siteplan as sp
from siteplan import locate


@pytest.fixture(scope="module")
def world():
    # people: 1,000 at (500, 500), 3,000 at (1500, 500), 2,000 at (3500, 500);
    # one puskesmas at (500, 600) reaches only the first: access 0.001, 0, 0
    pop = gpd.GeoDataFrame({"population": [1000.0, 3000.0, 2000.0]},
                           geometry=[pt(500, 500), pt(1500, 500), pt(3500, 500)], crs=CRS)
    pois = gpd.GeoDataFrame({"category": ["puskesmas", "pasar"]},
                            geometry=[pt(500, 600), pt(3500, 600)], crs=CRS)
    return sp.load_layers(pois=pois, population=pop)


def sites(*geoms):
    return gpd.GeoDataFrame({"parcel_id": [f"p{i}" for i in range(len(geoms))]},
                            geometry=list(geoms), crs=CRS)


def run(world, plan, **kw):
    return locate.equity_of_plan(plan, world, "pois", {"category": ["puskesmas"]},
                                 threshold=0.0005, radius=1000, cell=None, **kw)


def test_one_site_by_hand(world):
    eq = run(world, sites(box(3400, 400, 3600, 600)))
    # before: 5,000 of 6,000 people below 0.0005; the lowest tenth (600 people) at 0;
    # mean 1,000 x 0.001 / 6,000
    assert eq.loc["before"].to_dict() == pytest.approx({
        "facilities": 1, "share_below": 5000 / 6000, "people_below": 5000,
        "lowest_decile_mean": 0.0, "mean": 1 / 6000}, rel=1e-12)
    # the site holds the third point only (the second is 1,900 m away): R = 1 / 2,000 =
    # 0.0005, not below the threshold (below is strict); mean (1 + 1) / 6,000
    assert eq.loc["after"].to_dict() == pytest.approx({
        "facilities": 2, "share_below": 0.5, "people_below": 3000,
        "lowest_decile_mean": 0.0, "mean": 2 / 6000}, rel=1e-12)
    assert eq.loc["change", "people_below"] == pytest.approx(-2000)


def test_two_sites_by_hand(world):
    eq = run(world, sites(box(3400, 400, 3600, 600), box(1400, 400, 1600, 600)))
    # the second site reaches the first point (900 m from its edge) and the second:
    # R = 1 / 4,000. Access: 0.00125, 0.00025, 0.0005; below: the 3,000 at 0.00025;
    # the lowest tenth (600 of them) at 0.00025; mean (1.25 + 0.75 + 1) / 6,000
    assert eq.loc["after"].to_dict() == pytest.approx({
        "facilities": 3, "share_below": 0.5, "people_below": 3000,
        "lowest_decile_mean": 0.00025, "mean": 3 / 6000}, rel=1e-12)
    assert eq.loc["change", "lowest_decile_mean"] == pytest.approx(0.00025)


def test_a_site_already_there_is_not_added_twice(world):
    there = world["pois"].geometry.iloc[0]
    eq = run(world, sites(there, box(3400, 400, 3600, 600)))
    assert eq.loc["after", "facilities"] == 2
    assert eq.loc["after", "mean"] == pytest.approx(2 / 6000, rel=1e-12)


def test_a_site_plan_keeps_its_existing_facilities(sample_layers):
    layers = sample_layers
    plan = sp.locate_sites(sp.score(layers, "fasilitas_publik"), layers, k=3, cell=1000,
                           existing="pois", existing_where={"category": ["puskesmas"]})
    eq = locate.equity_of_plan(plan, layers, threshold=1e-5, radius=2000, cell=1000)
    # the same as measuring by hand (the notebook's way): access to the puskesmas and to
    # them with the chosen parcels
    there = layers["pois"][layers["pois"]["category"] == "puskesmas"]
    both = gpd.GeoDataFrame(geometry=pd.concat([there.geometry, plan.sites.geometry]),
                            crs=layers.crs)
    for name, fac in (("before", there), ("after", both)):
        units = locate.access_now(layers, fac, radius=2000, cell=1000)
        want = locate.equity(units["access"], units["people"], threshold=1e-5)
        for key, value in want.items():
            assert eq.loc[name, key] == pytest.approx(value, rel=1e-12), (name, key)
    assert eq.loc["after", "facilities"] == len(there) + 3
    assert eq.loc["change", "share_below"] < 0
    assert np.isclose(eq.loc["change", "mean"], eq.loc["after", "mean"] -
                      eq.loc["before", "mean"])


def test_bad_plan_is_named(world):
    with pytest.raises(sp.SiteplanInputError, match="plan must be what sp.locate_sites"):
        run(world, [1, 2])
    with pytest.raises(sp.SiteplanInputError, match="needs layer 'klinik'"):
        locate.equity_of_plan(sites(box(0, 0, 1, 1)), world, "klinik", threshold=1.0)


def test_cli_locate_says_equity_before_and_after(tmp_path, sample_layers):
    plan_json = tmp_path / "plan.json"
    run = siteplan("locate", "--sample", "--profile",
                   "fasilitas_publik", "--model", "pmedian", "--k", "3", "--cell",
                   "1000", "--existing", "pois:category=puskesmas",
                   "--access-threshold", "1e-5", "--access-radius", "2000",
                   "--out", str(tmp_path / "sites.csv"), "--plan", str(plan_json))
    assert run.returncode == 0, run.stderr
    got = json.loads(plan_json.read_text(encoding="utf-8"))["equity"]
    plan = sp.locate_sites(sp.score(sample_layers, "fasilitas_publik"), sample_layers, k=3,
                           cell=1000, existing="pois",
                           existing_where={"category": ["puskesmas"]})
    want = locate.equity_of_plan(plan, sample_layers, threshold=1e-5, radius=2000, cell=1000)
    for row in ("before", "after"):
        assert got[row] == pytest.approx(want.loc[row].to_dict(), rel=1e-12)
    b, a = want.loc["before"], want.loc["after"]
    assert (f"below 1e-05: {b['people_below']:,.0f} people ({b['share_below']:.1%}) now, "
            f"{a['people_below']:,.0f} ({a['share_below']:.1%}) after the plan") in run.stdout
