"""One population model: every "people within r" counts the same people for the same geometry.

A straight road runs east-west; people live on it at known distances from a
small parcel on the road. Within r = 1,000 m (along the road or in a straight
line: the same here) live the groups at 300 m and 800 m on both sides, and not
those at 1,500 m or 2,500 m. Sum within, road catchment, RTH reach (with the
only park far away) and the joint selection's demand must all count exactly
those people.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan.layers.population import amount_within, demand_points, people
from siteplan.profiles.profile import profile_from_dict

X0, Y0 = 630_000.0, 9_320_000.0
CRS = "EPSG:32748"
OFFSETS = np.array([-2500, -1500, -800, -300, 300, 800, 1500, 2500], dtype=float)
PEOPLE = np.array([1, 2, 40, 300, 5000, 70000, 9, 11], dtype=float)
WITHIN = PEOPLE[np.abs(OFFSETS) < 1000].sum()  # 40 + 300 + 5000 + 70000


def _world(kind: str) -> sp.Layers:
    parcel = shapely.box(X0 - 5, Y0 - 5, X0 + 5, Y0 + 5)
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1"], "ownership": ["pemda"]},
                               geometry=[parcel], crs=CRS)
    road = shapely.LineString([(X0 - 4000, Y0), (X0 + 4000, Y0)])
    roads = gpd.GeoDataFrame({"road_class": ["lokal"]}, geometry=[road], crs=CRS)
    if kind == "points":
        geoms = shapely.points(X0 + OFFSETS, np.full(len(OFFSETS), Y0))
    else:  # small squares centred on the road, too small to hold a 100 m grid centre
        geoms = shapely.box(X0 + OFFSETS - 20, Y0 - 20, X0 + OFFSETS + 20, Y0 + 20)
    pop = gpd.GeoDataFrame({"population": PEOPLE}, geometry=geoms, crs=CRS)
    park = shapely.box(X0 + 30_000, Y0 + 30_000, X0 + 30_100, Y0 + 30_100)
    green = gpd.GeoDataFrame({"rth_type": ["taman"], "public": [True]}, geometry=[park],
                             crs=CRS)
    return sp.load_layers(parcels=parcels, roads=roads, population=pop, green_spaces=green,
                          crs=CRS)


def _profile(measure: str, **extra) -> sp.Profile:
    crit = {"name": "people", "measure": measure, "radius": 1000,
            "transform": {"type": "linear", "best": 1e6, "worst": 0}, "weight": 1, **extra}
    return profile_from_dict({"name": "people_test", "title": {"en": "t"}, "criteria": [crit]})


@pytest.mark.parametrize("kind", ["points", "polygons"])
def test_every_people_path_counts_the_same(kind):
    layers = _world(kind)
    got = {}
    for label, prof in {
        "sum_within": _profile("sum_within", layer="population", column="population"),
        "network_catchment": _profile("network_catchment", layer="population",
                                      column="population"),
        "pop_beyond_reach": _profile("pop_beyond_reach"),
    }.items():
        got[label] = float(sp.score(layers, prof)["m_people"].iloc[0])
    result = sp.score(layers, _profile("sum_within", layer="population", column="population"))
    chosen = sp.select_sites(result, layers, k=1, radius=1000)
    got["select_sites"] = chosen.attrs["selection"]["people_covered"]
    got["sp.measures.people_within"] = float(sp.measures.people_within(
        layers["parcels"], layers["population"], radius=1000).iloc[0])
    assert got == {k: pytest.approx(WITHIN, rel=1e-12) for k in got}


def test_demand_points_hold_every_person_once():
    for kind in ("points", "polygons"):
        layers = _world(kind)
        pts, w = demand_points(layers)
        assert w.sum() == pytest.approx(PEOPLE.sum())
        # the areal spread and the points agree on a disc holding whole polygons
        disc = np.array([shapely.Point(X0, Y0).buffer(1000, quad_segs=64)], dtype=object)
        inside = shapely.contains(disc[0], pts)
        assert amount_within(np.array([shapely.Point(X0, Y0)], dtype=object), 1000,
                             people(layers))[0] == pytest.approx(w[inside].sum())


def test_areal_weighting_by_hand():
    # one 100 x 100 m square of 1,000 people, spread evenly
    square = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    pop = gpd.GeoDataFrame({"population": [1000.0]}, geometry=[square], crs=CRS)
    # a tall thin parcel at x in [X0 - 60, X0 - 50]; buffered by 100 m its east edge is at
    # X0 + 50 over the square's full height: half the square is inside
    parcel = shapely.box(X0 - 60, Y0 - 500, X0 - 50, Y0 + 600)
    got = sp.measures.people_within(gpd.GeoDataFrame(geometry=[parcel], crs=CRS), pop,
                                    radius=100)
    assert got.iloc[0] == pytest.approx(500.0, rel=1e-9)
