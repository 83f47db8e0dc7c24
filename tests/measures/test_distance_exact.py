"""The distance measure is exactly shapely's distance to the nearest feature, bit for bit.

The reference is the slow, obvious one: ``shapely.distance`` from every
parcel to every feature, and the least per parcel. The compiled search
(:mod:`siteplan.measures._nearest`) and the GEOS path must both give the
same doubles, on random worlds built to hit the awkward cases: features
inside parcels, lines crossing or touching them, points on their edges,
parcels with holes and several parts, multi-part features, repeated
vertices, features far outside the parcels' extent, ties.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from cikit import require

import siteplan as sp
from siteplan.measures import _nearest, basic

CRS = "EPSG:32748"
X0, Y0 = 620_000.0, 9_320_000.0


def reference(parcels, features, limit=None):
    d = shapely.distance(parcels[:, None], features[None, :]).min(axis=1)
    if limit is not None:
        d = np.where(d > limit, np.inf, d)
    return d


def random_parcels(rng, n):
    """Rectangles, rotated quads, concave shapes, holes, multipolygons, on a 2 km square."""
    out = []
    for _ in range(n):
        x, y = X0 + rng.uniform(0, 2000), Y0 + rng.uniform(0, 2000)
        w, h = rng.uniform(5, 120, size=2)
        kind = rng.integers(6)
        if kind == 0:
            g = shapely.box(x, y, x + w, y + h)
        elif kind == 1:   # rotated quad
            a = rng.uniform(0, np.pi)
            c, s = np.cos(a), np.sin(a)
            pts = np.array([[0, 0], [w, 0], [w, h], [0, h]]) @ np.array([[c, s], [-s, c]])
            g = shapely.Polygon(pts + (x, y))
        elif kind == 2:   # an L (concave)
            g = shapely.Polygon([(x, y), (x + w, y), (x + w, y + h / 3), (x + w / 3, y + h / 3),
                                 (x + w / 3, y + h), (x, y + h)])
        elif kind == 3:   # with a hole
            g = shapely.Polygon(shapely.box(x, y, x + w, y + h).exterior.coords,
                                [shapely.box(x + w / 4, y + h / 4, x + 3 * w / 4,
                                             y + 3 * h / 4).exterior.coords[::-1]])
        elif kind == 4:   # two parts
            g = shapely.MultiPolygon([shapely.box(x, y, x + w / 3, y + h),
                                      shapely.box(x + 2 * w / 3, y, x + w, y + h)])
        else:             # repeated vertex, random star
            k = int(rng.integers(5, 12))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = rng.uniform(0.3, 1.0, k) * max(w, h) / 2
            pts = np.c_[x + rad * np.cos(ang), y + rad * np.sin(ang)]
            pts = np.insert(pts, 1, pts[1], axis=0)
            g = shapely.make_valid(shapely.Polygon(pts))
            if g.geom_type not in ("Polygon", "MultiPolygon"):
                g = shapely.box(x, y, x + w, y + h)
        out.append(g)
    return np.array(out, dtype=object)


def random_features(rng, n, kind, parcels):
    out = []
    for _ in range(n):
        x, y = X0 + rng.uniform(-300, 2300), Y0 + rng.uniform(-300, 2300)
        if rng.random() < 0.15:   # on a parcel's vertex or edge, or inside it
            p = parcels[rng.integers(len(parcels))]
            ring = shapely.get_coordinates(p)
            v = rng.integers(len(ring) - 1)
            t = rng.choice([0.0, 0.5, rng.random()])
            x, y = ring[v] + t * (ring[v + 1] - ring[v])
            if rng.random() < 0.3:
                c = shapely.point_on_surface(p)
                x, y = c.x, c.y
        if kind == "points":
            g = shapely.Point(x, y) if rng.random() < 0.8 else shapely.MultiPoint(
                [(x, y), (x + rng.uniform(-200, 200), y + rng.uniform(-200, 200))])
        else:
            k = int(rng.integers(2, 7))
            steps = rng.normal(0, 80, size=(k - 1, 2))
            if rng.random() < 0.5:
                steps[:, rng.integers(2)] = 0.0       # axis-aligned runs: many ties
            pts = np.vstack([[x, y], (x, y) + np.cumsum(steps, axis=0)])
            if rng.random() < 0.1:
                pts = np.insert(pts, 1, pts[0], axis=0)   # a zero-length segment
            g = shapely.LineString(pts)
            if rng.random() < 0.2:
                g = shapely.MultiLineString([g, shapely.LineString(pts[::-1] + (50.0, -30.0))])
        out.append(g)
    if rng.random() < 0.5:   # one feature far outside everything
        out.append(shapely.Point(X0 + 9000, Y0 - 7000) if kind == "points"
                   else shapely.LineString([(X0 - 5000, Y0), (X0 - 5000, Y0 + 40)]))
    return np.array(out, dtype=object)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("kind", ["points", "lines"])
def test_compiled_search_equals_shapely(seed, kind):
    require("numba", extra="fast")
    assert _nearest.available(), "numba is installed: the compiled path must run here"
    rng = np.random.default_rng(seed)
    parcels = random_parcels(rng, 300)
    feats = random_features(rng, int(rng.integers(1, 60)), kind, parcels)
    grid = _nearest.feature_grid(feats)
    for limit in (None, 150.0, 0.0):
        d, unsure = _nearest.nearest(parcels, grid, limit, block=64)
        ref = reference(parcels, feats, limit)
        sure = ~unsure
        np.testing.assert_array_equal(d[sure], ref[sure])
        assert unsure.sum() <= 0.05 * len(parcels)


@pytest.mark.parametrize("odd", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_measure_equals_shapely_with_and_without_the_compiled_path(seed, odd, monkeypatch):
    """With a missing and an empty parcel (the compiled search then measures the others) and
    without (it measures every parcel at once): inf beyond the transform's reach either way."""
    rng = np.random.default_rng(100 + seed)
    parcels = random_parcels(rng, 250)
    roads = random_features(rng, 40, "lines", parcels[[0, 1, 2]])
    import geopandas as gpd
    layers = sp.load_layers(
        parcels=gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(len(parcels))],
                                  "ownership": ["pemda"] * len(parcels)},
                                 geometry=list(parcels), crs=CRS),
        roads=gpd.GeoDataFrame({"road_class": ["arteri"] * len(roads)}, geometry=list(roads),
                               crs=CRS))
    geoms = np.asarray(layers["parcels"].geometry.array, dtype=object).copy()
    if odd:
        geoms[7] = None                     # missing and empty parcels: inf, never an error
        geoms[11] = shapely.Polygon()
    crit = sp.get_profile("sentra_kuliner").criteria[0]
    from dataclasses import replace
    crit = replace(crit, measure="distance", layer="roads", where={},
                   transform={"type": "linear", "best": 0, "worst": 100})
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ref = np.full(len(geoms), np.inf)
    ref[ok] = reference(geoms[ok], roads, 100.0)
    fast = basic.distance(crit, layers["parcels"], geoms, layers.replace(), "test")
    monkeypatch.setenv("SITEPLAN_NO_JIT", "1")
    slow = basic.distance(crit, layers["parcels"], geoms, layers.replace(), "test")
    np.testing.assert_array_equal(fast, ref)
    np.testing.assert_array_equal(slow, ref)
    assert np.isinf(ref[ok]).any() and np.isfinite(ref).any()   # both sides of the reach


def test_hand_worked_distances():
    """A 10 x 10 square: a point 3-4-5 off its corner, a line 7 m off its side, one inside."""
    sq = np.array([shapely.box(0, 0, 10, 10)], dtype=object)
    cases = [(shapely.Point(13, 14), 5.0), (shapely.LineString([(17, -50), (17, 50)]), 7.0),
             (shapely.Point(5, 5), 0.0), (shapely.LineString([(2, 2), (3, 3)]), 0.0),
             (shapely.LineString([(-5, 5), (15, 5)]), 0.0),    # crosses it
             (shapely.Point(10, 4), 0.0)]                        # on its edge
    for feat, want in cases:
        d, unsure = _nearest.nearest(sq, _nearest.feature_grid(np.array([feat])), None)
        got = shapely.distance(sq[0], feat) if unsure[0] else d[0]
        assert got == pytest.approx(want, abs=1e-12), feat.wkt   # by hand
        assert got == shapely.distance(sq[0], feat), feat.wkt     # and GEOS's very double


def test_polygon_features_and_point_parcels_take_the_geos_path():
    assert _nearest.feature_grid(np.array([shapely.box(0, 0, 1, 1)])) is None
    grid = _nearest.feature_grid(np.array([shapely.Point(0, 0)]))
    assert _nearest.nearest(np.array([shapely.Point(3, 4)]), grid, None) is None



def test_geos_envelope_pruning_decides_the_last_bit():
    """A case met on the benchmark's 10^5 parcels, kept as found.

    GEOS measures the parcel's right edge first (59.199999999254935 to the
    road's start); its bottom edge's box is then 59.19999999925494 away, more
    than that, so GEOS skips it, although its own formula would give
    59.19999999925493. The search must skip it too.
    """
    parcel = shapely.Polygon([(628378.94, 9315004.94), (628378.94, 9315045.66),
                              (628346.91, 9315045.66), (628346.91, 9315004.94)])
    road = shapely.LineString([(628397.5088888889, 9314945.74),
                               (628348.8327777778, 9314945.74)])
    geos = shapely.distance(parcel, road)
    d, unsure = _nearest.nearest(np.array([parcel]), _nearest.feature_grid(np.array([road])),
                                 None)
    assert not unsure[0]
    assert d[0] == geos
    bottom = _nearest._segment_segment(628346.91, 9315004.94, 628378.94, 9315004.94,
                                       628397.5088888889, 9314945.74, 628348.8327777778,
                                       9314945.74)
    assert bottom < geos          # the pair GEOS skips would have lowered the last bit


def _measure_in_child(args):
    parcels, roads = args
    return _nearest.nearest(parcels, _nearest.feature_grid(roads), None)[0]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_process_gets_its_own_threads():
    """After the parent used the thread pool, a forked worker (dask, uvicorn) still measures."""
    import multiprocessing

    rng = np.random.default_rng(3)
    parcels = random_parcels(rng, 9000)          # more than one block: the pool is used
    roads = random_features(rng, 50, "lines", parcels)
    here = _nearest.nearest(parcels, _nearest.feature_grid(roads), None, block=1000)[0]
    with multiprocessing.get_context("fork").Pool(1) as pool:
        there = pool.apply_async(_measure_in_child, ((parcels, roads),)).get(timeout=120)
    np.testing.assert_array_equal(here, there)
