"""Road catchments per segment equal a Dijkstra from every parcel (random small worlds).

The reference is the algorithm siteplan used before issue 19, kept here: one
bounded Dijkstra per parcel from a source joined to the two ends of the
parcel's segment at its exact place along it, then every person's distance
through either end of the person's segment (or along a shared segment).
A second reference is networkx, one Dijkstra per parcel on the same graph.
"""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from netref import (  # tools/: references
    networkx_catchment,
    node_entrances,
    people_reached,
    snapped,
)
from scipy import sparse
from scipy.sparse import csgraph

import siteplan as sp
from siteplan.measures.network import network_catchment, road_graph, snap
from siteplan.profiles.profile import profile_from_dict

X0, Y0 = 620_000.0, 9_320_000.0
EPS = 1e-9


def world(seed, n_side=7, n_parcels=60, n_people=80, step=120.0, divide=1.0):
    """A jittered street grid with some streets missing, parcels and people points."""
    rng = np.random.default_rng(seed)
    xy = np.stack(np.meshgrid(np.arange(n_side), np.arange(n_side)), -1).reshape(-1, 2)
    pos = xy * step + rng.uniform(-20, 20, xy.shape) + [X0, Y0]
    idx = np.arange(n_side * n_side).reshape(n_side, n_side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(a)) > 0.15
    lines = shapely.linestrings(np.stack([pos[a[keep]], pos[b[keep]]], axis=1))
    roads = gpd.GeoDataFrame({"road_class": rng.choice(["lokal", "kolektor"], len(lines))},
                             geometry=lines, crs=32748)
    ext = n_side * step
    # parcels: some crowd on one segment, so segments hold several parcels
    c = rng.uniform(-50, ext, (n_parcels, 2)) + [X0, Y0]
    c[: n_parcels // 4] = pos[a[0]] + rng.uniform(0, step, (n_parcels // 4, 1)) * [1, 0] \
        + [0, 15]
    size = rng.uniform(5, 30, n_parcels)
    parcels = gpd.GeoDataFrame({"parcel_id": [f"p{i}" for i in range(n_parcels)]},
                               geometry=shapely.box(c[:, 0], c[:, 1], c[:, 0] + size,
                                                    c[:, 1] + size), crs=32748)
    p = rng.uniform(-50, ext, (n_people, 2)) + [X0, Y0]
    people = gpd.GeoDataFrame({"population": rng.integers(1, 100, n_people) / divide},
                              geometry=shapely.points(p), crs=32748)
    return sp.load_layers(parcels=parcels, roads=roads, population=people)


def crit(radius):
    return profile_from_dict({"name": "t", "criteria": [{
        "name": "c", "measure": "network_catchment", "layer": "population",
        "column": "population", "radius": radius, "weight": 1,
        "transform": {"type": "linear", "best": 1, "worst": 0}}]}).criteria[0]


def per_parcel_dijkstra(layers, geoms, radius):
    """The pre-issue-19 algorithm: one Dijkstra per parcel (here in chunks of one).

    The parcel leaves through both ends of its snapped segment and, since
    issue 24, through every road node inside it or within ENTRANCE_GAP of it.
    """
    graph, people, (p_seg, p_along, p_gap) = snapped(layers, geoms)
    out = np.full(len(geoms), np.nan)
    base = graph.matrix("length")
    s = graph.n_nodes
    for i in np.flatnonzero(p_seg >= 0):
        sg = p_seg[i]
        ways = {int(graph.u[sg]): p_gap[i] + p_along[i]}
        ways[int(graph.v[sg])] = min(ways.get(int(graph.v[sg]), np.inf),
                                     p_gap[i] + graph.length[sg] - p_along[i])
        for node, w in node_entrances(graph, geoms[i]).items():
            ways[node] = min(ways.get(node, np.inf), w)
        nodes = np.array(list(ways), dtype=np.int64)
        extra = sparse.csr_matrix(
            (np.array([ways[n] for n in nodes]) + EPS, (np.full(len(nodes), s), nodes)),
            shape=(s + 1, s + 1))
        m = sparse.block_diag([base, sparse.csr_matrix((1, 1))], format="csr") + extra
        d = csgraph.dijkstra(m, directed=True, indices=s, limit=radius)
        out[i] = people_reached(graph, d, people, (sg, p_along[i], p_gap[i]), radius)
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("radius", [90.0, 300.0, 650.0])
def test_same_people_as_a_dijkstra_per_parcel(seed, radius):
    layers = world(seed)
    geoms = np.asarray(layers["parcels"].geometry.array)
    ours, notes = network_catchment(crit(radius), layers["parcels"], geoms, layers, "t")
    ref = per_parcel_dijkstra(layers, geoms, radius)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_array_equal(ours[~np.isnan(ours)], ref[~np.isnan(ref)])
    assert (notes[np.isnan(ours)] != "").all()
    # the reference is not trivial: some parcels count people, some count fewer than all
    total = layers["population"]["population"].sum()
    assert (ref[~np.isnan(ref)] > 0).any()
    assert (ref[~np.isnan(ref)] < total).any()


@pytest.mark.parametrize("seed", [11, 12])
def test_same_people_as_networkx(seed):
    layers = world(seed, n_parcels=40)
    geoms = np.asarray(layers["parcels"].geometry.array)
    ours, _ = network_catchment(crit(400.0), layers["parcels"], geoms, layers, "t")
    ref = networkx_catchment(layers, geoms, 400.0)
    ok = ~np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(ours), ~ok)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=0, atol=0)


def test_crowded_segment_is_split_in_blocks(monkeypatch):
    """A segment holding more parcels than one block gives the same counts."""
    from siteplan.measures import _catchment

    layers = world(3, n_parcels=80)
    geoms = np.asarray(layers["parcels"].geometry.array)
    whole, _ = network_catchment(crit(300.0), layers["parcels"], geoms, layers, "t")
    monkeypatch.setattr(_catchment, "_CELLS", 7)
    blocks, _ = network_catchment(crit(300.0), layers["parcels"], geoms, layers, "t")
    np.testing.assert_array_equal(whole, blocks)


@pytest.mark.parametrize("seed", range(4))
def test_snap_picks_the_segment_query_nearest_picks(seed):
    """The KD-tree candidates give GEOS's nearest segment, ties and all."""
    rng = np.random.default_rng(seed)
    layers = world(seed, n_parcels=10)
    graph = road_graph(layers)
    # random boxes, boxes centred on nodes (ties), between parallel streets (ties),
    # a big one (many candidates) and one beyond the snap distance
    ends = shapely.get_coordinates(shapely.get_point(graph.segments, 0))
    c = np.vstack([rng.uniform(-100, 900, (300, 2)) + [X0, Y0], ends[:50],
                   ends[:50] + [0, 60.0]])
    size = rng.uniform(2, 40, len(c))
    geoms = np.concatenate([shapely.box(c[:, 0] - size, c[:, 1] - size, c[:, 0] + size,
                                        c[:, 1] + size),
                            [shapely.box(X0, Y0, X0 + 700, Y0 + 700),
                             shapely.box(X0 - 3000, Y0, X0 - 2990, Y0 + 10), None]])
    seg, along, gap = snap(graph, geoms)
    (i, j), dist = graph.tree.query_nearest(geoms, max_distance=500.0, return_distance=True,
                                            all_matches=False)
    want = np.full(len(geoms), -1)
    want[i] = j
    np.testing.assert_array_equal(seg, want)
    np.testing.assert_array_equal(gap[i], dist)
    assert seg[-2] == -1 and seg[-1] == -1


def test_snap_of_nothing_or_empty_shapes():
    graph = road_graph(world(0, n_parcels=4))
    for geoms in (np.empty(0, dtype=object), np.array([None, shapely.Point()], dtype=object)):
        seg, along, gap = snap(graph, geoms)
        assert (seg == -1).all() and np.isnan(along).all() and np.isnan(gap).all()
        assert len(seg) == len(geoms)


@pytest.mark.parametrize("seed", range(3))
def test_fractional_people_same_as_a_dijkstra_per_parcel(seed):
    """People in fractions (spread from polygons) take the other summing path."""
    layers = world(seed, divide=7.0)
    geoms = np.asarray(layers["parcels"].geometry.array)
    ours, _ = network_catchment(crit(300.0), layers["parcels"], geoms, layers, "t")
    ref = per_parcel_dijkstra(layers, geoms, 300.0)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    assert (ref[ok] != np.round(ref[ok])).any()      # fractions really are summed
    # the same people: equal up to the order of summing
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-12, atol=0)
