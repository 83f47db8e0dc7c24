"""Network measures on small hand-built road networks, distances worked out by hand."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import siteplan as sp
from siteplan.measures.network import entrances, node_points, road_graph, snap
from siteplan.profiles.profile import profile_from_dict

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"


def diamond(x, y, r=10.0):
    """A small diamond whose top vertex (x, y) is its point nearest to a road below."""
    return shapely.Polygon([(X0 + x, Y0 + y), (X0 + x + r, Y0 + y - r),
                            (X0 + x, Y0 + y - 2 * r), (X0 + x - r, Y0 + y - r)])


def seg(*xy):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def network_world(with_roads=True):
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2", "P3", "P4"]}, geometry=[
        diamond(100, -20),                          # 20 m below R1 at x = 100
        diamond(3000, 270).buffer(0),               # beside the cut-off piece R4
        diamond(5000, 5000),                        # no road within 500 m
        shapely.Polygon([(X0 + 1020, Y0 + 600), (X0 + 1030, Y0 + 610),
                         (X0 + 1040, Y0 + 600), (X0 + 1030, Y0 + 590)]),  # 20 m east of R2
    ], crs=CRS)
    roads = gpd.GeoDataFrame({"road_class": ["arteri", "lokal", "lokal"]}, geometry=[
        seg((0, 0), (1000, 0)),            # R1
        seg((1000, 0), (1000, 1000)),      # R2
        seg((2990, 0), (2990, 500)),       # R4: a piece cut off from the rest
    ], crs=CRS)
    pois = gpd.GeoDataFrame({"category": ["pasar"]}, geometry=[
        shapely.Point(X0 + 1000, Y0 + 1010)], crs=CRS)
    people = gpd.GeoDataFrame({"population": [100.0, 50.0]}, geometry=[
        shapely.Point(X0 + 500, Y0 + 30), shapely.Point(X0 + 1010, Y0 + 300)], crs=CRS)
    kw = {"parcels": parcels, "pois": pois, "population": people}
    if with_roads:
        kw["roads"] = roads
    return sp.load_layers(**kw)


def prof(measure, transform=None, **extra):
    crit = {"name": "x", "measure": measure, "weight": 1,
            "transform": transform or {"type": "linear", "best": 0, "worst": 5000}, **extra}
    return profile_from_dict({"name": "jaringan", "criteria": [crit]})


def test_network_distance_by_hand():
    res = sp.score(network_world(), prof("network_distance", layer="pois",
                                         where={"category": ["pasar"]}))
    m = res.set_index("parcel_id")["m_x"]
    notes = res.set_index("parcel_id")["notes"]
    # P1: 20 (to R1) + 900 (along R1) + 1000 (R2) + 10 (R2's end to the pasar) = 1930
    assert m["P1"] == pytest.approx(1930)
    # P4: 20 (to R2 at 600) + 400 along R2 + 10 = 430, along the same segment
    assert m["P4"] == pytest.approx(430)
    # P2 is on a piece of road cut off from the pasar; P3 has no road near
    assert np.isnan(m["P2"]) and "cut off from every 'pois' feature" in notes["P2"]
    assert np.isnan(m["P3"]) and "no road within 500 m" in notes["P3"]
    assert res.set_index("parcel_id").loc[["P2", "P3"], "c_x"].tolist() == [0.0, 0.0]
    # straight line from P1 flatters it: 1,367.8 m
    eu = sp.score(network_world(), prof("distance", layer="pois",
                                        where={"category": ["pasar"]}))
    assert eu.set_index("parcel_id").loc["P1", "m_x"] == pytest.approx(
        np.hypot(900, 1030))


def test_travel_time_by_hand():
    res = sp.score(network_world(), prof("travel_time", layer="pois",
                                         where={"category": ["pasar"]},
                                         transform={"type": "linear", "best": 0, "worst": 60}))
    # arteri 30 km/h: (20 + 900) m -> 110.4 s; lokal 10 km/h: 1010 m -> 363.6 s
    assert res.set_index("parcel_id").loc["P1", "m_x"] == pytest.approx((110.4 + 363.6) / 60)


@pytest.mark.parametrize("radius, expected", [(400, 0.0), (500, 100.0), (1300, 150.0)])
def test_catchment_by_hand(radius, expected):
    res = sp.score(network_world(), prof("network_catchment", layer="population",
                                         column="population", radius=radius,
                                         transform={"type": "linear", "best": 150,
                                                    "worst": 0}))
    # from P1: the 100 people at (500, 30) are 20 + 400 + 30 = 450 m away;
    # the 50 at (1010, 300) are 20 + 900 + 300 + 10 = 1,230 m away
    assert res.set_index("parcel_id").loc["P1", "m_x"] == pytest.approx(expected)


def test_saturation_limit_gives_infinity_not_nan():
    res = sp.score(network_world(), prof("network_distance", layer="pois",
                                         where={"category": ["pasar"]},
                                         transform={"type": "linear", "best": 0,
                                                    "worst": 1000}))
    m = res.set_index("parcel_id")["m_x"]
    assert np.isposinf(m["P1"])          # beyond 1,000 m: not searched, suitability 0
    assert m["P4"] == pytest.approx(430)
    assert np.isnan(m["P2"])             # cut off stays unreachable


def test_fallback_to_straight_line_without_roads():
    p = prof("network_distance", layer="pois", where={"category": ["pasar"]},
             fallback="distance")
    res = sp.score(network_world(with_roads=False), p)
    assert sp.record_of(res).measured_as["x"] == "distance (fallback: no roads layer)"
    assert res.set_index("parcel_id").loc["P1", "m_x"] == pytest.approx(np.hypot(900, 1030))
    res = sp.score(network_world(), p)
    assert sp.record_of(res).measured_as["x"] == "network_distance"
    with pytest.raises(sp.SiteplanInputError, match="needs layer 'roads'.*missing=\"skip\""):
        sp.score(network_world(with_roads=False),
                 prof("network_distance", layer="pois", where={"category": ["pasar"]}))


def test_graph_is_built_once_per_bundle():
    layers = network_world()
    g1 = road_graph(layers)
    assert road_graph(layers) is g1
    assert g1.n_nodes == 5  # R1, R2 share a node; R4 has its own two
    assert len(np.unique(g1.component)) == 2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_network_never_shorter_than_straight_line(seed):
    rng = np.random.default_rng(seed)
    # a 5 x 5 grid of 200 m blocks with some streets missing
    lines = []
    for i in range(5):
        for j in range(4):
            if rng.random() < 0.8:
                lines.append(seg((i * 200, j * 200), (i * 200, (j + 1) * 200)))
            if rng.random() < 0.8:
                lines.append(seg((j * 200, i * 200), ((j + 1) * 200, i * 200)))
    roads = gpd.GeoDataFrame({"road_class": rng.choice(["arteri", "lokal"], len(lines))},
                             geometry=lines, crs=CRS)
    xy = rng.uniform(0, 800, (12, 2))
    parcels = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(12)]},
                               geometry=[diamond(x, y, 5) for x, y in xy], crs=CRS)
    txy = rng.uniform(0, 800, (3, 2))
    pois = gpd.GeoDataFrame({"category": ["pasar"] * 3},
                            geometry=shapely.points(X0 + txy[:, 0], Y0 + txy[:, 1]), crs=CRS)
    layers = sp.load_layers(parcels=parcels, roads=roads, pois=pois)
    res = sp.score(layers, prof("network_distance", layer="pois",
                                where={"category": ["pasar"]},
                                transform={"type": "fuzzy_small", "midpoint": 500}))
    graph = road_graph(layers)
    pg = np.asarray(layers["parcels"].geometry.array, dtype=object)
    tg = np.asarray(layers["pois"].geometry.array, dtype=object)
    ps, pa, pgap = snap(graph, pg)
    ts, ta, tgap = snap(graph, tg)
    p_pt = shapely.line_interpolate_point(graph.segments[ps], pa)
    t_pt = shapely.line_interpolate_point(graph.segments[ts], ta)
    straight = shapely.distance(p_pt[:, None], t_pt[None, :]) + tgap[None, :]
    lower = pgap + straight.min(axis=1)
    # or it leaves through one of its entrance nodes (issue 24): its leg to the node, then
    # at least the straight line from the node to the market's road point and the market
    row, node, metres = entrances(graph, pg)
    if len(row):
        pts = node_points(graph)[node]
        via = metres + (shapely.distance(pts[:, None], t_pt[None, :]) + tgap[None, :]).min(
            axis=1)
        np.minimum.at(lower, row, via)
    net = res["m_x"].to_numpy(dtype=float)
    reached = np.isfinite(net)
    assert (net[reached] >= lower[reached] - 1e-6).all()
