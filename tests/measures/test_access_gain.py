"""The access_gain measure: by hand on a tiny world, and against re-running 2SFCA per site.

The world is in EPSG:32748 around (X0, Y0), whole metres. People are points
(counted whole), the one facility already there is a point, reach is 1,000 m
from a parcel's edge.
"""

import tomllib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from cikit import require
from test_scoring import CRS, X0, Y0, box, pt  # noqa: F401  (the tiny world's frame)

import siteplan as sp
from siteplan import locate
from siteplan.criterion import Criterion
from siteplan.layers.population import demand_points
from siteplan.measures import MEASURES
from siteplan.measures.access import two_step_now
from siteplan.profiles.profile import profile_from_dict


def gdf(rows, geoms):
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS)


@pytest.fixture()
def world():
    # people: a (0, 0) 100, b (1500, 0) 300, c (3000, 0) 200
    pop = gdf({"population": [100.0, 300.0, 200.0]}, [pt(0, 0), pt(1500, 0), pt(3000, 0)])
    # one puskesmas at (0, 100): it reaches a only (b is 1,503 m away), so
    # R = 1 / 100 and access now is a 0.01, b 0, c 0. The market reaches nobody's count.
    pois = gdf({"category": ["puskesmas", "pasar"]}, [pt(0, 100), pt(1500, 10)])
    parcels = gdf({"parcel_id": ["on_b", "a_and_b", "b_and_c", "empty"],
                   "ownership": "pemda", "land_use": "tanah_kosong"}, [
        box(1400, -50, 1600, 50),     # holds b; a and c are 1,400 m away: reaches b
        box(700, -50, 800, 50),       # 700 m from a and from b: reaches a and b
        box(2200, -50, 2300, 50),     # 700 m from b and from c: reaches b and c
        box(5000, 5000, 5100, 5100),  # nobody within reach
    ])
    return sp.load_layers(parcels=parcels, pois=pois, population=pop)


def crit(**kw):
    base = {"name": "gain", "measure": "access_gain", "transform": {}, "weight": 1.0,
            "layer": "pois", "where": {"category": ("puskesmas",)}, "radius": 1000.0,
            "threshold": 0.005}
    base.update(kw)
    return Criterion(**base)


def measure(c, layers, parcels=None):
    parcels = layers["parcels"] if parcels is None else parcels
    return MEASURES["access_gain"].func(c, parcels, np.asarray(parcels.geometry.array),
                                        layers, "test")


def test_underserved_by_hand(world):
    got = measure(crit(), world)
    # on_b: b (access 0 < 0.005) -> 300; a_and_b: a has 0.01, so only b -> 300;
    # b_and_c: b and c -> 500; empty: 0
    assert got.tolist() == [300.0, 300.0, 500.0, 0.0]
    # a threshold above a's access counts a too
    assert measure(crit(threshold=0.02), world).tolist() == [300.0, 400.0, 500.0, 0.0]


def test_shortfall_by_hand(world):
    got = measure(crit(stat="shortfall"), world)
    # on_b: L = 300, gain 1/300 each; gap of b is 0.005: 300 x min(1/300, 0.005) = 1
    # a_and_b: L = 400, gain 0.0025; a has no gap; b: 300 x 0.0025 = 0.75
    # b_and_c: L = 500, gain 0.002: 500 x 0.002 = 1
    assert got == pytest.approx([1.0, 0.75, 1.0, 0.0], rel=1e-12)
    # a lower threshold caps the gain at the gap: on_b 300 x 0.003 = 0.9,
    # a_and_b 300 x 0.0025 = 0.75, b_and_c 500 x 0.002 = 1
    assert measure(crit(stat="shortfall", threshold=0.003), world) == pytest.approx(
        [0.9, 0.75, 1.0, 0.0], rel=1e-12)


def test_access_now_equals_locate_access(world):
    pts, people = demand_points(world)
    fac = np.asarray(world["pois"].geometry.array)[:1]
    cost = shapely.distance(pts[:, None], fac[None, :])
    i_pt, i_fac = np.nonzero(cost <= 1000)
    ours = two_step_now(i_pt, i_fac, people, np.ones(1))
    assert ours == pytest.approx([0.01, 0.0, 0.0])
    assert ours == pytest.approx(locate.access(cost, people, [1.0], method="2sfca",
                                               radius=1000), rel=1e-12)


@pytest.mark.parametrize("stat", ["underserved", "shortfall"])
def test_equals_rerunning_2sfca_with_the_site_added(sample_layers, stat):
    # exact, not an approximation: a 2SFCA ratio reads only its own catchment, so the
    # new site changes no other ratio. Brute force: locate.access before and after.
    layers = sample_layers
    radius, threshold = 2000.0, 2e-5
    parcels = layers["parcels"].sample(12, random_state=7)
    geoms = np.asarray(parcels.geometry.array)
    got = measure(crit(radius=radius, threshold=threshold, stat=stat), layers, parcels)
    pts, people = demand_points(layers)
    pts, people = pts[people > 0], people[people > 0]
    pois = layers["pois"]
    fac = np.asarray(pois[pois["category"] == "puskesmas"].geometry.array)
    cost = shapely.distance(pts[:, None], fac[None, :])
    before = locate.access(cost, people, np.ones(len(fac)), method="2sfca", radius=radius)
    assert (before < threshold).any() and (before >= threshold).any()
    for j, geom in enumerate(geoms):   # the brute force itself: one solve per parcel
        added = np.c_[cost, shapely.distance(pts, geom)]
        after = locate.access(added, people, np.ones(len(fac) + 1), method="2sfca",
                              radius=radius)
        gain = after - before
        reached = added[:, -1] <= radius
        assert np.all(gain[~reached] == pytest.approx(0.0, abs=1e-15))
        if stat == "underserved":
            want = people[reached & (before < threshold)].sum()
        else:
            want = (people * np.minimum(gain, np.maximum(threshold - before, 0.0))).sum()
        assert got[j] == pytest.approx(want, rel=1e-12, abs=1e-12), j
    assert (got > 0).any()


def test_in_a_profile(world):
    prof = profile_from_dict({
        "name": "uji_akses", "title": {"id": "Uji", "en": "Test"},
        "criteria": [{"name": "kurang_akses", "measure": "access_gain", "layer": "pois",
                      "where": {"category": ["puskesmas"]}, "radius": 1000,
                      "threshold": 0.005,
                      "transform": {"type": "linear", "best": 500, "worst": 0},
                      "weight": 1}]})
    assert prof.criteria[0].threshold == 0.005
    assert sp.measures.unit_of(prof.criteria[0]) == "people"
    res = sp.score(world, prof).set_index("parcel_id")
    assert res.loc[["on_b", "a_and_b", "b_and_c", "empty"], "m_kurang_akses"].tolist() == [
        300.0, 300.0, 500.0, 0.0]
    assert res.loc["b_and_c", "rank"] == 1
    text = sp.profile_to_toml(prof)
    assert "threshold = 0.005" in text
    assert profile_from_dict(tomllib.loads(text)).criteria[0].threshold == 0.005


def _table(**kw):
    cr = {"name": "akses", "measure": "access_gain", "layer": "pois", "radius": 1000,
          "threshold": 1e-5, "transform": {"type": "linear", "best": 500, "worst": 0},
          "weight": 1}
    cr.update(kw)
    return {"name": "uji", "title": {"id": "Uji", "en": "Test"},
            "criteria": [{k: v for k, v in cr.items() if v is not None}]}


def test_profile_errors():
    with pytest.raises(sp.SiteplanInputError, match="needs threshold") as e:
        profile_from_dict(_table(threshold=None))
    assert "threshold = 1e-5" in str(e.value)
    with pytest.raises(sp.SiteplanInputError, match="has no stat 'mean'") as e:
        profile_from_dict(_table(stat="mean"))
    assert "underserved, shortfall" in str(e.value)
    with pytest.raises(sp.SiteplanInputError, match="threshold"):
        profile_from_dict(_table(threshold=-1))
    with pytest.raises(sp.SiteplanInputError, match="needs layer"):
        profile_from_dict(_table(layer=None))
    with pytest.raises(sp.SiteplanInputError, match="needs radius"):
        profile_from_dict(_table(radius=None))
    # threshold is this measure's own key
    bad = _table()
    bad["criteria"][0].update(measure="distance", radius=None)
    del bad["criteria"][0]["radius"]
    with pytest.raises(sp.SiteplanInputError, match="'threshold' does not apply to measure "
                                                    "'distance'.*access_gain"):
        profile_from_dict(bad)


def test_missing_facilities_layer_or_column_is_named(world):
    prof = profile_from_dict(_table(layer="klinik"))
    with pytest.raises(sp.SiteplanInputError) as e:
        sp.score(world, prof)
    text = str(e.value)
    assert "needs layer 'klinik', which was not loaded" in text
    assert "extra={'klinik': ...}" in text and 'missing="skip"' in text
    prof = profile_from_dict(_table(where={"jenis": ["puskesmas"]}))
    with pytest.raises(sp.SiteplanInputError) as e:
        sp.score(world, prof)
    assert "jenis" in str(e.value) and "pois" in str(e.value)
    no_people = world.replace(population=None)
    with pytest.raises(sp.SiteplanInputError, match="needs layer 'population'"):
        sp.score(no_people, profile_from_dict(_table()))


def test_pairs_are_those_geos_finds(sample_layers):
    # the KD-tree search gives exactly GEOS's dwithin pairs: parcels (and a few wide
    # ones, searched by GEOS), lines and points, at two radii
    from siteplan.measures.access import pairs_within

    pts, people = demand_points(sample_layers)
    pts = pts[people > 0]
    parcels = np.asarray(sample_layers["parcels"].geometry.array)[::7]
    wide = np.array([box(0, 0, 3000, 200), shapely.LineString([(X0, Y0), (X0 + 4000, Y0)])])
    lines = np.asarray(sample_layers["roads"].geometry.array)[:50]
    for geoms in (parcels, lines, np.concatenate([parcels[:20], wide]),
                  shapely.points(shapely.get_coordinates(pts[:40]) + 3.5)):
        for radius in (150.0, 1000.0):
            i, j = pairs_within(geoms, pts, radius)
            a, b = shapely.STRtree(pts).query(geoms, predicate="dwithin", distance=radius)
            n = len(pts)
            assert np.array_equal(np.sort(i * n + j), np.sort(a * n + b))
    assert [len(x) for x in pairs_within(parcels[:0], pts, 100.0)] == [0, 0]


def test_on_its_own(world):
    parcels, pois, pop = world["parcels"], world["pois"], world["population"]
    got = sp.measures.access_gain(parcels, pois, pop, radius=1000, threshold=0.005,
                                  where={"category": ["puskesmas"]})
    assert got.tolist() == [300.0, 300.0, 500.0, 0.0] and list(got.index) == list(parcels.index)
    got = sp.measures.access_gain(parcels, pois, pop, radius=1000, threshold=0.005,
                                  stat="shortfall", where={"category": ["puskesmas"]})
    assert got.tolist() == pytest.approx([1.0, 0.75, 1.0, 0.0], rel=1e-12)
    with pytest.raises(sp.SiteplanInputError, match="has no stat 'sum'"):
        sp.measures.access_gain(parcels, pois, pop, radius=1000, threshold=1.0, stat="sum")
    with pytest.raises(sp.SiteplanInputError, match="threshold"):
        sp.measures.access_gain(parcels, pois, pop, radius=1000, threshold=0.0)


def test_dask_engine_measures_the_same(sample_layers):
    """Partitions share the access now (it reads no parcel) and measure their own parcels."""
    require("dask_geopandas")
    prof = profile_from_dict(_table(where={"category": ["puskesmas"]}, radius=2000,
                                    threshold=1e-5))
    local = sp.score(sample_layers, prof).set_index("parcel_id")["m_akses"]
    parted = sp.score(sample_layers, prof, engine="dask",
                      engine_options={"npartitions": 3}).set_index("parcel_id")["m_akses"]
    assert (local > 0).sum() > 100
    np.testing.assert_array_equal(parted.reindex(local.index).to_numpy(), local.to_numpy())
