"""The compiled search reads the parcels block by block while other cores measure.

``_nearest.nearest`` reads the rings of polygons without holes one block at
a time on the calling thread and hands each block read to the pool
(``_nearest._run``); later searches of the same scoring run re-use what was
read. Whichever path runs, every sure distance is shapely's own double.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import shapely
from cikit import require
from test_distance_exact import random_features, random_parcels, reference

from siteplan.measures import _nearest


def _one_ring_parcels(rng, n):
    g = random_parcels(rng, 3 * n)
    keep = (shapely.get_type_id(g) == 3) & (shapely.get_num_interior_rings(g) == 0)
    return g[keep][:n]


def _check(parcels, feats, limit, **kw):
    d, unsure = _nearest.nearest(parcels, _nearest.feature_grid(feats), limit, **kw)
    ref = reference(parcels, feats, limit)
    np.testing.assert_array_equal(d[~unsure], ref[~unsure])
    assert unsure.sum() <= 0.05 * len(parcels)
    return d, unsure


@pytest.mark.parametrize("seed", range(6))
def test_read_block_by_block_then_reused_within_a_run(seed):
    require("numba", extra="fast")
    rng = np.random.default_rng(seed)
    parcels = _one_ring_parcels(rng, 700)
    pts = random_features(rng, 30, "points", parcels)
    lines = random_features(rng, 30, "lines", parcels)
    alone = _check(parcels, pts, 150.0, block=50)
    with _nearest.one_run():
        first = _check(parcels, pts, 150.0, block=50)      # reads the rings, 14 blocks
        kept = _nearest._RUN.get()[id(parcels)][1]
        assert [(s, e) for s, e, _ in kept] == [(s, min(s + 50, 700)) for s in range(0, 700, 50)]
        _check(parcels, lines, None, block=50)              # the rings read above
        again = _check(parcels, pts, 150.0, block=50)
    for a, b in zip(alone, first, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("where", [0, 333, 699])
@pytest.mark.parametrize("odd", ["hole", "multipolygon", "empty", "point"])
def test_holes_and_parts_in_any_block_are_read_an_empty_or_point_declines(where, odd):
    require("numba", extra="fast")
    rng = np.random.default_rng(where)
    parcels = _one_ring_parcels(rng, 700)
    x, y = shapely.get_coordinates(shapely.centroid(parcels[where]))[0]
    parcels[where] = {
        "hole": shapely.Polygon(shapely.box(x, y, x + 40, y + 40).exterior.coords,
                                [shapely.box(x + 10, y + 10, x + 30, y + 30).exterior.coords]),
        "multipolygon": shapely.MultiPolygon([shapely.box(x, y, x + 9, y + 9),
                                              shapely.box(x + 20, y, x + 29, y + 9)]),
        "empty": shapely.Polygon(),
        "point": shapely.Point(x, y)}[odd]
    lines = random_features(rng, 25, "lines", parcels[:50])
    with _nearest.one_run():
        got = _nearest.nearest(parcels, _nearest.feature_grid(lines), None, block=64)
        if odd in ("empty", "point"):
            assert got is None                               # the caller's GEOS path
            assert _nearest._RUN.get()[id(parcels)][1] is None
            return
        d, unsure = got
        np.testing.assert_array_equal(d[~unsure], reference(parcels, lines)[~unsure])
        assert len(_nearest._RUN.get()[id(parcels)][1]) == 11      # every block read


def _ragged(geoms):
    # shapely's own layout of the same rings: every geometry as a multipolygon
    parts, owner = shapely.get_parts(geoms, return_index=True)
    _, xy, offsets = shapely.to_ragged_array(shapely.multipolygons(parts, indices=owner))
    return xy, offsets


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mix", ["random", "polygons", "holes", "multipolygons"])
def test_parcel_rings_are_shapely_ragged_layout(seed, mix):
    rng = np.random.default_rng(seed)
    g = random_parcels(rng, 300)            # rectangles, concave, holes, two parts, stars
    types, holes = shapely.get_type_id(g), shapely.get_num_interior_rings(g)
    g = {"random": g, "polygons": g[(types == 3) & (holes == 0)],
         "holes": g[types == 3],
         "multipolygons": np.array([shapely.MultiPolygon([p]) if i % 3 else p
                                    for i, p in enumerate(g[types == 3])] + list(g[types == 6]),
                                   dtype=object)}[mix]
    x, y, ring_off, part_off, geom_off = _nearest.parcel_rings(g)
    xy, (ring_ref, part_ref, geom_ref) = _ragged(g)
    np.testing.assert_array_equal(x, xy[:, 0])
    np.testing.assert_array_equal(y, xy[:, 1])
    for got, ref in ((ring_off, ring_ref), (part_off, part_ref), (geom_off, geom_ref)):
        np.testing.assert_array_equal(got, ref)
        assert got.dtype == np.int64


@pytest.mark.parametrize("odd", [shapely.Polygon(), shapely.MultiPolygon(), None,
                                 shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])])
def test_parcel_rings_decline_what_is_not_a_nonempty_polygon(odd):
    g = random_parcels(np.random.default_rng(1), 20)
    g[7] = odd
    assert _nearest.parcel_rings(g) is None


@pytest.mark.parametrize("cores", [1, 2, 5])
@pytest.mark.parametrize("prepared", [True, False])
def test_run_works_each_block_once_after_it_is_prepared(cores, prepared, monkeypatch):
    monkeypatch.setattr(_nearest, "_cores", lambda: cores)
    lock = threading.Lock()
    ready, worked = set(), []

    def prepare(k):
        with lock:
            ready.add(k)

    def work(k):
        with lock:
            assert k in ready or not prepared
            worked.append(k)

    _nearest._run(40, prepare if prepared else None, work)
    assert sorted(worked) == list(range(40))


def test_run_stops_the_helpers_and_raises_what_prepare_raised(monkeypatch):
    monkeypatch.setattr(_nearest, "_cores", lambda: 3)
    worked = []

    def prepare(k):
        if k == 6:
            raise ValueError("block 6")

    with pytest.raises(ValueError, match="block 6"):
        _nearest._run(30, prepare, worked.append)
    assert set(worked) <= set(range(6))


def test_run_raises_what_a_block_raised(monkeypatch):
    monkeypatch.setattr(_nearest, "_cores", lambda: 2)

    def work(k):
        if k == 17:
            raise RuntimeError("block 17")

    with pytest.raises(RuntimeError, match="block 17"):
        _nearest._run(30, None, work)


def test_an_error_on_the_calling_thread_stops_the_helpers(monkeypatch):
    monkeypatch.setattr(_nearest, "_cores", lambda: 3)
    worked = []
    main = threading.current_thread()

    def work(k):
        if threading.current_thread() is main:
            raise KeyboardInterrupt
        time.sleep(0.01)
        worked.append(k)

    with pytest.raises(KeyboardInterrupt):
        _nearest._run(60, None, work)
    assert len(worked) < 59          # the helpers stopped at their next block
