"""Exact distance from polygons to the nearest point or line feature, compiled.

The ``distance`` measure's fast path. For each parcel it returns
``min(shapely.distance(parcel, f) for f in features)`` bit for bit: for each
feature it may be nearest to, the kernel runs GEOS's own ``DistanceOp``
(a feature part whose first vertex lies in the parcel is at 0; otherwise the
least ``segmentToSegment`` / ``pointToSegment`` over the pairs of parcel
ring and feature part, with GEOS's envelope pruning, in GEOS's order), so
the results are the doubles shapely gives, rounding included.

How the work is cut down:

* **A uniform grid of feature segments** (:class:`FeatureGrid`), built once
  per (layer, filter) and kept in the bundle's cache. Segments longer than
  half a cell are indexed piece by piece, so each piece touches at most four
  cells.
* **A ring search per parcel**: the cells around the parcel's box, ring by
  ring, until the next ring's nearest possible point is farther than the
  best distance found, or than ``limit`` (the transform's saturation
  distance, past which every distance scores the same). A feature is
  measured only when one of its segments' boxes lies within that bound.
* **Both cores**: the kernel releases the GIL and parcels go in blocks over a
  thread pool.
* **No reference counting** in the kernel (compiled without numba's
  runtime): it allocates nothing, and the atomic counts of its arrays'
  references at every inlined helper were most of its time.

Parcels whose answer hangs on a feature vertex lying within rounding of the
parcel's boundary (where a ray-crossing test and GEOS's robust point
location could disagree) are flagged ``unsure``; the caller measures those
with GEOS itself. Polygon features (whose interiors are at distance 0) and
parcels that are not (multi)polygons are left to the caller's GEOS path.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

try:  # the extra [fast]; without it (or where numba lags a new Python) the GEOS path runs
    import numba
except ImportError:  # pragma: no cover - tests/measures/test_fast_extra.py: in a child
    numba = None  # type: ignore[assignment]  # an optional import: None when it is missing

__all__ = ["available", "FeatureGrid", "feature_grid", "parcel_rings", "nearest", "one_run"]

#: geometry type ids the grid takes: Point, LineString, LinearRing, MultiPoint, MultiLineString
_FEATURE_TYPES = (0, 1, 2, 4, 5)
_POOL: tuple[int, ThreadPoolExecutor] | None = None
_EPS = np.finfo(float).eps
# parcels' rings read in this scoring run, by the geometry array they came from
_RUN: contextvars.ContextVar[dict | None] = contextvars.ContextVar("siteplan_rings", default=None)


@contextlib.contextmanager
def one_run() -> Iterator[None]:
    """Within this block, a parcel array's rings are read once for all its distance criteria.

    The scoring pipeline wraps its criteria in it; the arrays cannot change
    meanwhile. Outside it nothing is kept.
    """
    token = _RUN.set({})
    try:
        yield
    finally:
        _RUN.reset(token)


def available() -> bool:
    """Whether the compiled path runs here (numba importable, ``SITEPLAN_NO_JIT`` unset)."""
    return numba is not None and not os.environ.get("SITEPLAN_NO_JIT")


@dataclass(frozen=True)
class FeatureGrid:
    """Point and line features as GEOS sees them, and their segments in a uniform grid.

    Feature ``f`` has parts ``part_off[f]:part_off[f+1]``; part ``c`` has the
    vertices ``x[vert_off[c]:vert_off[c+1]]`` (one vertex: a point) and the
    box ``env[c]``. ``start``/``items`` list, per cell (row-major, ``nx`` by
    ``ny`` cells of ``h`` metres from ``(x0, y0)``), the features with a
    segment or point there, and ``box`` that segment's box.
    """

    x: np.ndarray
    y: np.ndarray
    vert_off: np.ndarray
    part_off: np.ndarray
    env: np.ndarray
    start: np.ndarray
    items: np.ndarray
    box: np.ndarray
    x0: float
    y0: float
    h: float
    nx: int
    ny: int
    scale: float          # the largest absolute coordinate, for the rounding tolerance

    @property
    def n_features(self) -> int:
        return len(self.part_off) - 1

    @property
    def has_lines(self) -> bool:
        """Whether a part has more than one vertex (else all are points)."""
        return bool((np.diff(self.vert_off) > 1).any())


def feature_grid(fgeoms: np.ndarray, max_cells: int = 4_000_000,
                 per_cell: float = 1.0) -> FeatureGrid | None:
    """The grid of these features, or None when one is not a point or line (or all are empty).

    A cell is the square that holds ``per_cell`` segments on average over the
    features' extent (measured best on the benchmark among 0.25 to 16), at
    most ``max_cells`` cells in all.
    """
    keep = ~(shapely.is_missing(fgeoms) | shapely.is_empty(fgeoms))
    g = fgeoms[keep]
    if len(g) == 0 or not np.isin(shapely.get_type_id(g), _FEATURE_TYPES).all():
        return None
    if np.isin(shapely.get_type_id(g), (0, 1, 2)).all():   # single parts, none empty
        parts, owner = g, np.arange(len(g))
    else:
        parts, owner = shapely.get_parts(g, return_index=True)
        full = ~shapely.is_empty(parts)
        parts, owner = parts[full], owner[full]
    xy, part = shapely.get_coordinates(parts, return_index=True)
    n_vert = np.bincount(part, minlength=len(parts))
    vert_off = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(n_vert, out=vert_off[1:])
    part_off = np.zeros(len(g) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(g)), out=part_off[1:])
    env = np.asarray(shapely.bounds(parts), dtype=float)

    # grid entries: every segment of a line, every point; owner = feature
    last = vert_off[1:] - 1
    is_end = np.zeros(len(xy), bool)
    is_end[last] = True
    ia = np.flatnonzero(~is_end)                      # a segment starts here
    ip = vert_off[:-1][n_vert == 1]                   # a part of one vertex
    a = np.concatenate([xy[ia], xy[ip]])
    b = np.concatenate([xy[ia + 1], xy[ip]])
    who = owner[np.concatenate([part[ia], part[ip]])]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    xmin, ymin = lo.min(axis=0)
    xmax, ymax = hi.max(axis=0)
    w, hgt = xmax - xmin, ymax - ymin
    flat = w <= 1e-6 or hgt <= 1e-6   # all on one line: cut its length instead
    h = max(w, hgt) / 64.0 if flat else np.sqrt(per_cell * w * hgt / len(a))
    h = float(max(h, np.sqrt(max(w, 1e-6) * max(hgt, 1e-6) / max_cells), 1e-6))
    nx, ny = int(w // h) + 1, int(hgt // h) + 1
    scale = float(max(np.abs(lo).max(), np.abs(hi).max(), 1.0))

    # pieces of at most half a cell, their boxes padded by more than the rounding of the
    # cut points: each piece touches at most 2 x 2 cells and no segment misses a cell
    pad = 1e-9 * h + 64.0 * _EPS * scale
    k = np.maximum(np.ceil(2.0 * np.hypot(*(b - a).T) / h).astype(np.int64), 1)
    seg = np.repeat(np.arange(len(a)), k)
    step = _within(k)
    d = (b - a)[seg]
    p0 = a[seg] + d * (step / k[seg])[:, None]
    p1 = a[seg] + d * ((step + 1) / k[seg])[:, None]
    c0 = np.clip(np.floor((np.minimum(p0, p1) - pad - (xmin, ymin)) / h).astype(np.int64),
                 0, (nx - 1, ny - 1))
    c1 = np.clip(np.floor((np.maximum(p0, p1) + pad - (xmin, ymin)) / h).astype(np.int64),
                 0, (nx - 1, ny - 1))
    cells: list[np.ndarray] | np.ndarray  # the parts, then their concatenation
    segs: list[np.ndarray] | np.ndarray
    cells, segs = [], []
    for dx in (0, 1):
        for dy in (0, 1):
            cx, cy = c0[:, 0] + dx, c0[:, 1] + dy
            ok = (cx <= c1[:, 0]) & (cy <= c1[:, 1])
            cells.append(cy[ok] * nx + cx[ok])
            segs.append(seg[ok])
    key = np.unique(np.concatenate(cells) * len(a) + np.concatenate(segs))   # (cell, segment)
    cells, segs = key // len(a), key % len(a)
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells, minlength=nx * ny), out=start[1:])
    return FeatureGrid(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]),
                       vert_off, part_off, np.ascontiguousarray(env), start,
                       who[segs].astype(np.int64),
                       np.ascontiguousarray(np.hstack([lo, hi])[segs]),
                       float(xmin), float(ymin), h, nx, ny, scale)


def parcel_rings(geoms: np.ndarray):
    """(x, y, ring_off, part_off, geom_off) of non-empty (multi)polygons, or None.

    Ring ``r`` is ``x[ring_off[r]:ring_off[r+1]]`` (closed); part ``p`` has
    rings ``part_off[p]:part_off[p+1]`` (shell first); geometry ``i`` has
    parts ``geom_off[i]:geom_off[i+1]``. The layout of
    ``shapely.to_ragged_array``, read with one pass over the coordinates and
    the parts and rings of only the multipolygons and holed polygons: a
    cadastre's few holes and multipolygons cost little more than its simple
    polygons.
    """
    n = len(geoms)
    types = shapely.get_type_id(geoms)
    single = types == 3
    multi = np.flatnonzero(~single)
    if len(multi) and not (types[multi] == 6).all():
        return None
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(owner, minlength=n)
    if not counts.all():            # an empty polygon or multipolygon
        return None
    holes = shapely.get_num_interior_rings(geoms)       # 0 for a multipolygon
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    if not len(multi) and not holes.any():              # one ring each: most cadastres
        ring_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=ring_off[1:])
        ids = np.arange(n + 1, dtype=np.int64)
        return x, y, ring_off, ids, ids
    # parts: a polygon is one; a multipolygon's are read (their holes and vertices too)
    n_parts = np.ones(n, dtype=np.int64)
    if len(multi):
        mparts, mowner = shapely.get_parts(geoms[multi], return_index=True)
        n_parts[multi] = np.bincount(mowner, minlength=len(multi))
    geom_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_parts, out=geom_off[1:])
    part_holes = np.zeros(geom_off[-1], dtype=np.int64)
    part_size = np.zeros(geom_off[-1], dtype=np.int64)
    first = geom_off[:-1][single]
    part_holes[first], part_size[first] = holes[single], counts[single]
    with_holes = [(first[holes[single] > 0], geoms[single & (holes > 0)])]   # (part, polygon)
    if len(multi):
        at = geom_off[multi][mowner] + _within(n_parts[multi])
        part_holes[at] = shapely.get_num_interior_rings(mparts)
        part_size[at] = shapely.get_num_coordinates(mparts)
        with_holes.append((at[part_holes[at] > 0], mparts[part_holes[at] > 0]))
    # rings: a part without holes is one ring of all its vertices; the others are read
    # ring by ring (shell first, in the order of the coordinates)
    part_off = np.zeros(len(part_holes) + 1, dtype=np.int64)
    np.cumsum(part_holes + 1, out=part_off[1:])
    sizes = np.empty(part_off[-1], dtype=np.int64)
    plain = part_holes == 0
    sizes[part_off[:-1][plain]] = part_size[plain]
    holed = np.concatenate([p for p, _ in with_holes])
    if len(holed):
        rings, rowner = shapely.get_rings(np.concatenate([g for _, g in with_holes]),
                                          return_index=True)
        sizes[part_off[holed][rowner] + _within(part_holes[holed] + 1)] = (
            shapely.get_num_coordinates(rings))
    ring_off = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ring_off[1:])
    return x, y, ring_off, part_off, geom_off


def _within(counts: np.ndarray) -> np.ndarray:
    # 0, 1, ..., counts[0]-1, 0, 1, ..., counts[1]-1, ...: each item's place in its group,
    # for items listed group after group (as shapely lists parts and rings)
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _blocks(n: int, block: int) -> list[tuple[int, int]]:
    return [(s, min(s + block, n)) for s in range(0, n, block)]


def _with_boxes(rings) -> tuple:
    # the rings and room for each ring's box and each parcel's box (filled by _block)
    return (*rings, np.empty((len(rings[2]) - 1, 4)), np.empty((len(rings[4]) - 1, 4)))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _threads() -> int:
    # workers of a search: one per core, at most 8 (the calling thread and pool helpers)
    return min(_cores(), 8)


def _pool() -> ThreadPoolExecutor:
    # one pool per process: a forked child gets its own (its parent's threads are not there)
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(_threads(),
                                                 thread_name_prefix="siteplan-nearest"))
    return _POOL[1]


def nearest(geoms: np.ndarray, grid: FeatureGrid, limit: float | None,
            block: int = 4096) -> tuple[np.ndarray, np.ndarray] | None:
    """Distances from each polygon to the nearest feature of ``grid``, and parcels to re-measure.

    Returns ``(d, unsure)``, or None when a geometry is not a non-empty
    (multi)polygon. ``d`` is inf where no feature lies within ``limit`` (when
    given); ``unsure`` marks the parcels to measure with GEOS instead.

    The parcels' rings are read once per scoring run (:func:`one_run`). The
    first search of a run reads them block by block: shapely holds the GIL
    while it reads coordinates, so the other cores measure the blocks already
    read meanwhile.
    """
    n = len(geoms)
    out = np.empty(n)
    unsure = np.zeros(n, dtype=np.bool_)
    cap = np.inf if limit is None else float(limit) * (1 + 1e-9) + 1e-9
    fts = (grid.x, grid.y, grid.vert_off, grid.part_off, grid.env, grid.start, grid.items,
           grid.box)
    grd = (grid.x0, grid.y0, grid.h, grid.nx, grid.ny)
    # against lines, measuring the nearest box first gives a tight bound early; points are
    # cheaper to measure than to rank (14-31 % less time at 10 to 10,000 points)
    pick = grid.has_lines

    def measure(part: tuple, boxes: bool) -> None:
        s, e, pcl = part
        _block(0, e - s, pcl, fts, grd, cap, grid.scale, out[s:e], unsure[s:e],
               grid.n_features, boxes, pick)

    memo = _RUN.get()
    kept = None if memo is None else memo.get(id(geoms))
    if kept is not None and kept[0] is geoms:
        parts = kept[1]
        if parts is None:
            return None
        _run(len(parts), None, lambda k: measure(parts[k], False))
    else:
        spans = _blocks(n, block)
        read: list[tuple[int, int, tuple]] = []

        def read_block(k: int) -> None:
            s, e = spans[k]
            rings = parcel_rings(geoms[s:e])
            if rings is None:
                raise _NotPolygonsError
            read.append((s, e, _with_boxes(rings)))

        try:
            _run(len(spans), read_block, lambda k: measure(read[k], True))
            parts = read
        except _NotPolygonsError:
            parts = None
        if memo is not None:
            memo[id(geoms)] = (geoms, parts)
        if parts is None:
            return None
    if limit is not None:
        out[out > limit] = np.inf
    return out, unsure


class _NotPolygonsError(Exception):
    """A block holds a missing, empty or non-polygonal geometry."""


def _run(count: int, prepare: Callable[[int], None] | None,
         work: Callable[[int], None]) -> None:
    """``prepare(k)`` for k = 0, 1, ... on this thread, ``work(k)`` as soon as k is prepared
    (every k at once without ``prepare``).

    The pool's helpers (one per core besides this thread, at most 7) take the
    prepared blocks in order while this thread prepares the next; once all are prepared, this
    thread takes blocks too. An error in ``prepare`` or in this thread's
    ``work`` (or an interrupt) stops the helpers at their next block and is
    raised here, after they stopped; an error in a helper's ``work`` is raised
    here once every block is done.
    """
    helpers = min(_threads() - 1, count - 1)
    if helpers <= 0:
        for k in range(count):
            if prepare is not None:
                prepare(k)
            work(k)
        return
    ready = threading.Condition()
    state = {"prepared": 0 if prepare is not None else count, "next": 0, "stop": False}

    def take() -> None:
        while True:
            with ready:
                while True:
                    k = state["next"]
                    if state["stop"] or k >= count:
                        return
                    if k < state["prepared"]:
                        state["next"] = k + 1
                        break
                    ready.wait()
            work(k)

    running = [_pool().submit(take) for _ in range(helpers)]
    try:
        for k in range(count):
            if prepare is None:     # all prepared from the start
                break
            prepare(k)
            with ready:
                state["prepared"] = k + 1
                ready.notify_all()
        take()
    except BaseException:           # an error or an interrupt here: the helpers stop too
        with ready:
            state["stop"] = True
            ready.notify_all()
        raise
    finally:
        for f in running:       # every helper done before the arrays are read or dropped
            f.result()


def _block(i0: int, i1: int, pcl: tuple, fts: tuple, grd: tuple, cap: float, scale: float,
           out: np.ndarray, unsure: np.ndarray, n_features: int, boxes: bool,
           pick: bool) -> None:
    if boxes:       # the boxes of these parcels and their rings
        _envelopes(pcl[0], pcl[1], pcl[2], pcl[3], pcl[4], pcl[5], pcl[6], i0, i1)
    # the rounding tolerance grows with the largest coordinate a measure here reads
    tol = 64.0 * _EPS * max(scale, float(np.abs(pcl[6][i0:i1]).max()), 1.0)
    _kernel(i0, i1, pcl, fts, grd, cap, tol, out, unsure, np.full(n_features, -1, dtype=np.int64),
            pick)


def cache_dir() -> str:
    """Where numba keeps the compiled search: ``<siteplan's cache folder>/numba``.

    siteplan's cache folder is ``$SITEPLAN_CACHE_DIR`` when set, otherwise the
    user's (``platformdirs.user_cache_dir``: ``~/.cache/siteplan`` on Linux),
    as for :func:`siteplan.datasets.cache_dir`. So the search compiles once per
    installation even where the package folder is read-only (a system or
    container install), and a fresh process loads it instead. Where the user
    chose numba's cache folder (``NUMBA_CACHE_DIR``, or numba's config file),
    that folder is used.
    """
    env = os.environ.get("SITEPLAN_CACHE_DIR")
    if env:
        return os.path.join(os.path.expanduser(env), "numba")
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("siteplan", appauthor=False,
                                                    opinion=False), "numba")


@contextlib.contextmanager
def _cache_folder() -> Iterator[None]:
    # numba picks a function's cache folder when the function is decorated: siteplan's own
    # folder for these functions only (other numba users of the process keep theirs), unless
    # the user set numba's (then config.CACHE_DIR is not empty and stays)
    if numba.config.CACHE_DIR:  # type: ignore[attr-defined]  # numba sets it at import
        yield
        return
    numba.config.CACHE_DIR = cache_dir()  # type: ignore[attr-defined]  # as above
    try:
        yield
    finally:
        numba.config.CACHE_DIR = ""  # type: ignore[attr-defined]  # as above


def _jit(fn, **options):
    # compiled once and kept in numba's cache (see cache_dir); where no cache folder is
    # writable, numba refuses cache=True, and the search is compiled afresh in each process
    if numba is None:
        return fn
    try:
        with _cache_folder():
            return numba.njit(nogil=True, cache=True, **options)(fn)
    except RuntimeError:
        return numba.njit(nogil=True, **options)(fn)


def _jit_plain(fn):
    # without numba's reference counting: the search allocates nothing, and counting the
    # references of its arrays (atomic increments and decrements at every inlined helper)
    # took most of its time. Helpers inlined into it are compiled the same way.
    return _jit(fn, _nrt=False)


def _inline(fn):
    # helpers are inlined into the kernel (no call) and compiled as the kernel is
    return _jit(fn, inline="always")


# ----------------------------------------------------------------- GEOS, operation for operation


@_jit
def _pt_dist(px, py, qx, qy):
    # Coordinate::distance
    dx = px - qx
    dy = py - qy
    return np.sqrt(dx * dx + dy * dy)


@_jit
def _point_segment(px, py, ax, ay, bx, by):
    # Distance::pointToSegment
    if ax == bx and ay == by:
        return _pt_dist(px, py, ax, ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / (
        (bx - ax) * (bx - ax) + (by - ay) * (by - ay))
    if r <= 0.0:
        return _pt_dist(px, py, ax, ay)
    if r >= 1.0:
        return _pt_dist(px, py, bx, by)
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / (
        (bx - ax) * (bx - ax) + (by - ay) * (by - ay))
    return abs(s) * np.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))


@_jit
def _segment_segment(ax, ay, bx, by, cx, cy, dx, dy):
    # Distance::segmentToSegment(A, B, C, D)
    if ax == bx and ay == by:
        return _point_segment(ax, ay, cx, cy, dx, dy)
    if cx == dx and cy == dy:
        return _point_segment(dx, dy, ax, ay, bx, by)
    apart = False
    if (min(ax, bx) > max(cx, dx) or max(ax, bx) < min(cx, dx)
            or min(ay, by) > max(cy, dy) or max(ay, by) < min(cy, dy)):
        apart = True
    else:
        denom = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
        if denom == 0:
            apart = True
        else:
            r_num = (ay - cy) * (dx - cx) - (ax - cx) * (dy - cy)
            s_num = (ay - cy) * (bx - ax) - (ax - cx) * (by - ay)
            s = s_num / denom
            r = r_num / denom
            if r < 0 or r > 1 or s < 0 or s > 1:
                apart = True
    if apart:
        return min(_point_segment(ax, ay, cx, cy, dx, dy),
                   min(_point_segment(bx, by, cx, cy, dx, dy),
                       min(_point_segment(cx, cy, ax, ay, bx, by),
                           _point_segment(dx, dy, ax, ay, bx, by))))
    return 0.0


@_jit
def _env_dist2(aminx, aminy, amaxx, amaxy, bminx, bminy, bmaxx, bmaxy):
    # Envelope::distanceSquared
    dx = max(amaxx, bmaxx) - min(aminx, bminx) - (amaxx - aminx) - (bmaxx - bminx)
    dy = max(amaxy, bmaxy) - min(aminy, bminy) - (amaxy - aminy) - (bmaxy - bminy)
    dx = dx if dx > 0.0 else 0.0
    dy = dy if dy > 0.0 else 0.0
    return dx * dx + dy * dy


@_inline
def _ring_line(px, py, r0, r1, renv, fx, fy, v0, v1, fenv, dmin):
    # DistanceOp::computeMinDistance(LineString, LineString): ring r0:r1 against part v0:v1
    if np.sqrt(_env_dist2(renv[0], renv[1], renv[2], renv[3],
                          fenv[0], fenv[1], fenv[2], fenv[3])) > dmin:
        return dmin
    for i in range(r0, r1 - 1):
        ax, ay, bx, by = px[i], py[i], px[i + 1], py[i + 1]
        s0x, s0y, s1x, s1y = min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)
        if _env_dist2(s0x, s0y, s1x, s1y, fenv[0], fenv[1], fenv[2], fenv[3]) > dmin * dmin:
            continue
        for j in range(v0, v1 - 1):
            cx, cy, dx, dy = fx[j], fy[j], fx[j + 1], fy[j + 1]
            if _env_dist2(s0x, s0y, s1x, s1y, min(cx, dx), min(cy, dy), max(cx, dx),
                          max(cy, dy)) > dmin * dmin:
                continue
            d = _segment_segment(ax, ay, bx, by, cx, cy, dx, dy)
            if d < dmin:
                dmin = d
            if dmin <= 0.0:
                return dmin
    return dmin


@_inline
def _ring_point(px, py, r0, r1, renv, qx, qy, dmin):
    # DistanceOp::computeMinDistance(LineString, Point)
    if np.sqrt(_env_dist2(renv[0], renv[1], renv[2], renv[3], qx, qy, qx, qy)) > dmin:
        return dmin
    for i in range(r0, r1 - 1):
        d = _point_segment(qx, qy, px[i], py[i], px[i + 1], py[i + 1])
        if d < dmin:
            dmin = d
        if dmin <= 0.0:
            return dmin
    return dmin


# ----------------------------------------------------------------- the search


@_inline
def _inside(qx, qy, px, py, ring_off, part_off, geom_off, i):
    # even-odd ray crossing, part by part (inside any part is inside)
    for p in range(geom_off[i], geom_off[i + 1]):
        odd = False
        for r in range(part_off[p], part_off[p + 1]):
            for v in range(ring_off[r], ring_off[r + 1] - 1):
                x1, y1, x2, y2 = px[v], py[v], px[v + 1], py[v + 1]
                if (y1 > qy) != (y2 > qy) and qx < (x2 - x1) * (qy - y1) / (y2 - y1) + x1:
                    odd = not odd
        if odd:
            return True
    return False


@_inline
def _feature(i, f, pcl, fts, tol, unsure):
    """GEOS's distance from parcel i to feature f (DistanceOp::distance)."""
    px, py, ring_off, part_off, geom_off, ring_env, bounds = pcl
    fx, fy, vert_off, fpart_off, fenv = fts[0], fts[1], fts[2], fts[3], fts[4]
    r_first = part_off[geom_off[i]]
    r_end = part_off[geom_off[i + 1]]
    # computeContainmentDistance: the first vertex of each part, in the parcel?
    for c in range(fpart_off[f], fpart_off[f + 1]):
        qx, qy = fx[vert_off[c]], fy[vert_off[c]]
        if (qx < bounds[i, 0] - tol or qx > bounds[i, 2] + tol or qy < bounds[i, 1] - tol
                or qy > bounds[i, 3] + tol):
            continue
        near = np.inf
        for r in range(r_first, r_end):
            for v in range(ring_off[r], ring_off[r + 1] - 1):
                near = min(near, _point_segment(qx, qy, px[v], py[v], px[v + 1], py[v + 1]))
        if near <= tol:      # on the edge, to rounding: GEOS's robust test decides
            unsure[i] = True
        if _inside(qx, qy, px, py, ring_off, part_off, geom_off, i):
            return 0.0
    # computeFacetDistance: rings against line parts, then against point parts
    dmin = np.inf
    for r in range(r_first, r_end):
        for c in range(fpart_off[f], fpart_off[f + 1]):
            if vert_off[c + 1] - vert_off[c] > 1:
                dmin = _ring_line(px, py, ring_off[r], ring_off[r + 1], ring_env[r], fx, fy,
                                  vert_off[c], vert_off[c + 1], fenv[c], dmin)
                if dmin <= 0.0:
                    return dmin
    for r in range(r_first, r_end):
        for c in range(fpart_off[f], fpart_off[f + 1]):
            if vert_off[c + 1] - vert_off[c] == 1:
                dmin = _ring_point(px, py, ring_off[r], ring_off[r + 1], ring_env[r],
                                   fx[vert_off[c]], fy[vert_off[c]], dmin)
                if dmin <= 0.0:
                    return dmin
    return dmin


@_jit
def _gap2(ax0, ay0, ax1, ay1, bx0, by0, bx1, by1):
    # squared gap between two boxes (a lower bound of the squared distance of their contents)
    gx = max(bx0 - ax1, ax0 - bx1, 0.0)
    gy = max(by0 - ay1, ay0 - by1, 0.0)
    return gx * gx + gy * gy


@_jit
def _cell_at(v, n):
    # floor(v) as a cell number clamped to [-1, n]: a reach of 1e22 metres (or any value
    # beyond int64) stays a number of cells, never an undefined conversion
    if not v >= -1.0:        # also NaN
        return -1
    if v >= n:
        return n
    return int(np.floor(v))


@_jit
def _bound2(best, cap, tol):
    b = min(best, cap) * (1 + 1e-12) + tol
    return b * b


@_inline
def _sweep(pick, i, seen, best, x0, x1, y0, y1, whole, grd, pcl, fts, cap, tol, unsure):
    """One pass over the cells of a ring (or the whole rectangle when ``whole``).

    Only cells within the current bound of the parcel's box are read. With
    ``pick`` the pass only finds the unmeasured entry whose box is nearest the
    parcel's and returns it as (best, entry, gap²); otherwise it measures
    every feature whose box lies within the bound and returns the new best.
    """
    gx0, gy0, h, nx, ny = grd
    bounds = pcl[6]
    start, items, box = fts[5], fts[6], fts[7]
    g2 = np.inf
    found = -1
    b0, b1, b2, b3 = bounds[i, 0], bounds[i, 1], bounds[i, 2], bounds[i, 3]
    # the cells the bound reaches (all of the grid while nothing bounds the search)
    lo_x, hi_x, lo_y, hi_y = 0, nx - 1, 0, ny - 1
    reach = min(best, cap) * (1 + 1e-12) + tol
    if reach < np.inf:
        lo_x = max(lo_x, _cell_at((b0 - reach - gx0) / h, nx))
        hi_x = min(hi_x, _cell_at((b2 + reach - gx0) / h, nx))
        lo_y = max(lo_y, _cell_at((b1 - reach - gy0) / h, ny))
        hi_y = min(hi_y, _cell_at((b3 + reach - gy0) / h, ny))
    for cy in range(max(y0, lo_y), min(y1, hi_y) + 1):
        full_row = whole or cy in (y0, y1)
        cx = max(x0, lo_x) if full_row else x0
        while cx <= min(x1, hi_x):
            if cx >= lo_x:
                c = cy * nx + cx
                for t in range(start[c], start[c + 1]):
                    f = items[t]
                    if seen[f] == i:
                        continue
                    d2 = _gap2(b0, b1, b2, b3, box[t, 0], box[t, 1], box[t, 2], box[t, 3])
                    if pick:
                        if d2 < g2:
                            g2 = d2
                            found = t
                    elif d2 <= _bound2(best, cap, tol):
                        seen[f] = i
                        d = _feature(i, f, pcl, fts, tol, unsure)
                        if d < best:
                            best = d
                            if best <= 0.0:
                                return best, found, g2
            cx = cx + 1 if full_row or cx == x1 else x1
    return best, found, g2


@_jit
def _envelopes(px, py, ring_off, part_off, geom_off, ring_env, bounds, s, e):
    # the box of each ring of parcels s..e-1 (GEOS's envelope of the ring) and of each parcel
    for i in range(s, e):
        bx0, by0, bx1, by1 = np.inf, np.inf, -np.inf, -np.inf
        for r in range(part_off[geom_off[i]], part_off[geom_off[i + 1]]):
            x0, y0, x1, y1 = np.inf, np.inf, -np.inf, -np.inf
            for v in range(ring_off[r], ring_off[r + 1]):
                x0 = min(x0, px[v])
                y0 = min(y0, py[v])
                x1 = max(x1, px[v])
                y1 = max(y1, py[v])
            ring_env[r, 0], ring_env[r, 1], ring_env[r, 2], ring_env[r, 3] = x0, y0, x1, y1
            bx0, by0, bx1, by1 = min(bx0, x0), min(by0, y0), max(bx1, x1), max(by1, y1)
        bounds[i, 0], bounds[i, 1], bounds[i, 2], bounds[i, 3] = bx0, by0, bx1, by1


@_jit_plain
def _kernel(s, e, pcl, fts, grd, cap, tol, out, unsure, seen, pick):
    # seen[f] == i: feature f already measured for parcel i (the caller fills it with -1);
    # pick: measure the feature whose box is nearest first, then the rest of each ring
    bounds = pcl[6]
    items = fts[6]
    gx0, gy0, h, nx, ny = grd
    for i in range(s, e):
        bx0, by0, bx1, by1 = bounds[i, 0], bounds[i, 1], bounds[i, 2], bounds[i, 3]
        cx0 = int(np.floor((bx0 - gx0) / h))
        cy0 = int(np.floor((by0 - gy0) / h))
        cx1 = int(np.floor((bx1 - gx0) / h))
        cy1 = int(np.floor((by1 - gy0) / h))
        best = np.inf
        # the first rectangle: the parcel's cells, grown to the first ring that meets the grid
        k = max(0, cx0 - (nx - 1), -cx1, cy0 - (ny - 1), -cy1)
        whole = True
        while True:
            x0, x1, y0, y1 = cx0 - k, cx1 + k, cy0 - k, cy1 + k
            # the feature whose box is nearest first (a tight bound early), then the rest
            t, g2 = -1, np.inf
            if pick:
                best, t, g2 = _sweep(True, i, seen, best, x0, x1, y0, y1, whole, grd, pcl,
                                     fts, cap, tol, unsure)
            if t >= 0 and g2 <= _bound2(best, cap, tol):
                seen[items[t]] = i
                best = min(best, _feature(i, items[t], pcl, fts, tol, unsure))
            if best > 0.0:
                best, t, g2 = _sweep(False, i, seen, best, x0, x1, y0, y1, whole, grd, pcl,
                                     fts, cap, tol, unsure)
            whole = False
            # the nearest point any cell outside the rectangle can hold
            gap = np.inf
            if x0 > 0:
                gap = min(gap, bx0 - (gx0 + x0 * h))
            if x1 < nx - 1:
                gap = min(gap, gx0 + (x1 + 1) * h - bx1)
            if y0 > 0:
                gap = min(gap, by0 - (gy0 + y0 * h))
            if y1 < ny - 1:
                gap = min(gap, gy0 + (y1 + 1) * h - by1)
            if best <= 0.0 or gap == np.inf or gap > min(best, cap) * (1 + 1e-12) + tol:
                break
            k += 1
        out[i] = best
