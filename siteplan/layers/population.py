"""Where people live: the one population model behind every "people within r".

A quantity layer (population, or any layer with a numeric column) is read
once per bundle into a :class:`Spread`: polygons carry their value evenly over
their area, lines over their length, points whole. A raster (people per cell,
e.g. WorldPop 100 m) is a :class:`RasterSpread`: each cell's people spread
evenly over the cell, counted by the exact share of the cell inside an area.
Every measure of "people within r" reads the same spread:

- :func:`amount_within` (the ``sum_within`` measure): the spread inside each
  geometry's r-buffer, points by exact distance;
- :func:`amount_in` (RTH need): the spread inside given areas;
- :func:`people_beyond` (RTH reach): the spread minus the parks' reach;
- :func:`demand_points` (road catchment, joint selection, allocation): the
  same people as weighted points, polygons spread over a regular grid.

For a point population all four count the same people exactly; for polygons,
:func:`demand_points` is a discretisation of the areal spread on a ``cell``
metre grid (tested to agree within its cell size).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np
import pandas as pd
import pyproj
import shapely

from .._errors import Problem, SiteplanInputError
from .bundle import CacheKey
from .features import geoms_of, numeric_column, select_features, where_key
from .raster import RasterLayer, read_window, zonal_stats

if TYPE_CHECKING:
    from .bundle import Layers

__all__ = ["Spread", "RasterSpread", "spread", "people", "people_beyond", "amount_in",
           "amount_within", "demand_points", "QUAD_SEGS"]

log = logging.getLogger(__name__)

QUAD_SEGS = 32  # 128 segments per circle: buffer areas within 0.05% of pi r²


class Spread(NamedTuple):
    """A quantity spread over space by vector features: one density per piece."""

    tree: shapely.STRtree
    geoms: np.ndarray
    density: np.ndarray  # per m² (polygons), per m (lines), whole (points)
    dim: np.ndarray      # 0 points, 1 lines, 2 polygons


class RasterSpread(NamedTuple):
    """A quantity held by a raster's cells (people per cell), spread evenly in each cell.

    ``minus`` is an area taken out (the parks' reach, for people beyond it).
    """

    raster: RasterLayer
    crs: pyproj.CRS                  # the bundle's CRS, in which geometries come
    minus: shapely.Geometry | None = None


def _make(geoms: np.ndarray, values: np.ndarray, name: str) -> Spread:
    dim = shapely.get_dimensions(geoms)
    size = np.where(dim == 2, shapely.area(geoms), np.where(dim == 1, shapely.length(geoms), 1.0))
    lost = (dim > 0) & (size <= 0) & (values > 0)
    if lost.any():
        log.warning("layer '%s': %d features of zero size hold %.0f, which is not counted",
                    name, lost.sum(), values[lost].sum())
    density = np.divide(values, size, out=np.zeros(len(values)), where=size > 0)
    return Spread(shapely.STRtree(geoms), geoms, density, dim)


def spread(layers: Layers, layer: str, column: str | None,
           where: Mapping[str, tuple] | None = None, *, context: str) -> Spread | RasterSpread:
    """The features of ``layer`` (filtered by ``where``) carrying ``column``, cached.

    A raster layer spreads its cell values (``column`` and ``where`` do not apply).
    """
    if isinstance(layers.get(layer), RasterLayer):
        return RasterSpread(layers[layer], layers.crs)

    def build() -> Spread:
        feats = select_features(layers, layer, where or {}, context=context)
        # a vector layer's spread reads column: needed by the measures that spread one
        return _make(geoms_of(feats), numeric_column(feats, cast(str, column), layer, context),
                     layer)

    return layers.cache.get(CacheKey("spread", (layer,), (column, where_key(where))), build)


def _require_population(layers: Layers, context: str) -> None:
    if "population" not in layers:
        raise SiteplanInputError(Problem(context, "needs the 'population' layer",
                                         "pass population=... to sp.load_layers"))


def people(layers: Layers, *, context: str = "population") -> Spread | RasterSpread:
    """The population layer as a spread of people."""
    _require_population(layers, context)
    return spread(layers, "population", "population", context=context)


def people_beyond(layers: Layers, radius: float, park_layer: str,
                  where: Mapping[str, Sequence], *, context: str) -> Spread | RasterSpread:
    """The people who live beyond ``radius`` metres of every park (``park_layer``/``where``)."""
    base = people(layers, context=context)
    if isinstance(base, RasterSpread):
        def reach() -> RasterSpread:
            parks = select_features(layers, park_layer, where, context=context,
                                    allow_empty=True)
            zone = shapely.buffer(shapely.union_all(geoms_of(parks)), radius,
                                  quad_segs=QUAD_SEGS) if len(parks) else None
            return base._replace(minus=zone)

        key = CacheKey("people_beyond", ("population", park_layer),
                       (float(radius), where_key(where)))
        return layers.cache.get(key, reach)

    def build() -> Spread:
        parks = select_features(layers, park_layer, where, context=context, allow_empty=True)
        g, dens, dim = base.geoms, base.density, base.dim
        if len(parks):
            reach = shapely.buffer(shapely.union_all(geoms_of(parks)), radius,
                                   quad_segs=QUAD_SEGS)
            shapely.prepare(reach)
            pts = dim == 0
            g = np.where(pts, g, shapely.difference(g, reach))
            keep = ~pts | ~shapely.intersects(reach, g)
            g, dens = g[keep], dens[keep]
        parts, k = shapely.get_parts(g, return_index=True)
        pdim = shapely.get_dimensions(parts)
        ok = (pdim == 0) | ((shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)) | \
            ((pdim == 1) & (shapely.length(parts) > 0))
        parts, dens = parts[ok], dens[k[ok]]
        return Spread(shapely.STRtree(parts), parts, dens, shapely.get_dimensions(parts))

    key = CacheKey("people_beyond", ("population", park_layer),
                   (float(radius), where_key(where)))
    return layers.cache.get(key, build)


def amount_in(areas: np.ndarray, s: Spread | RasterSpread, *, once: bool = False
              ) -> np.ndarray:
    """The quantity inside each of ``areas`` (areal weighting; points whole).

    With ``once``, a point on the edge of two areas counts in the first only. A
    raster counts each cell by the exact share of it inside the area.
    """
    if isinstance(s, RasterSpread):
        if s.minus is not None:
            areas = shapely.difference(areas, s.minus)
        # people are never negative: -1e-11 is the line integral's rounding
        return np.maximum(zonal_stats(areas, s.crs, s.raster, "sum"), 0.0)
    i, j = s.tree.query(areas, predicate="intersects")
    w = s.density[j].copy()
    poly = np.flatnonzero(s.dim[j] == 2)
    if len(poly):
        # a piece wholly inside the area counts whole; only the others are intersected
        shapely.prepare(areas)
        whole = shapely.contains_properly(areas[i[poly]], s.geoms[j[poly]])
        share = shapely.area(s.geoms[j[poly]])
        cut = ~whole
        share[cut] = shapely.area(shapely.intersection(areas[i[poly[cut]]],
                                                       s.geoms[j[poly[cut]]]))
        w[poly] *= share
    line = s.dim[j] == 1
    if line.any():
        w[line] *= shapely.length(shapely.intersection(areas[i[line]], s.geoms[j[line]]))
    pt = np.flatnonzero(s.dim[j] == 0)
    if once and len(pt):
        dup = np.ones(len(pt), bool)
        dup[np.unique(j[pt], return_index=True)[1]] = False
        w[pt[dup]] = 0.0
    return np.bincount(i, weights=w, minlength=len(areas))


def amount_within(geoms: np.ndarray, radius: float, s: Spread | RasterSpread) -> np.ndarray:
    """The quantity within ``radius`` metres of each geometry.

    Points count whole when within ``radius`` (exact distance); lines and
    polygons by the part of their length or area inside the geometry's
    buffer (16 segments per quarter circle).
    """
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    if isinstance(s, RasterSpread):
        return amount_in(shapely.buffer(geoms, radius, quad_segs=16), s)
    if (s.dim == 0).all():
        i, j = s.tree.query(geoms, predicate="dwithin", distance=radius)
        return np.bincount(i, weights=s.density[j], minlength=len(geoms))
    return amount_in(shapely.buffer(geoms, radius, quad_segs=16), s)


def demand_points(layers: Layers, *, cell: float = 100.0,
                  context: str = "population") -> tuple[np.ndarray, np.ndarray]:
    """Where people live, as points with weights (people).

    A point population layer is used as it is. Polygons are spread evenly
    over a ``cell``-metre grid: each grid centre inside a polygon carries the
    polygon's population divided by the number of centres inside it; a
    polygon too small to hold a centre puts all its people on its
    representative point. Cached per bundle.
    """
    _require_population(layers, context)
    pop = layers["population"]
    if isinstance(pop, RasterLayer):
        return layers.cache.get(CacheKey("demand_points", ("population", "parcels"), ()),
                                lambda: _cell_points(layers, pop))
    return layers.cache.get(CacheKey("demand_points", ("population",), (float(cell),)),
                            lambda: _grid_points(pop, cell))


#: how far beyond the parcels' extent a population raster is read for demand points
DEMAND_MARGIN = 10_000.0


def _cell_points(layers: Layers, pop: RasterLayer) -> tuple[np.ndarray, np.ndarray]:
    """A population raster's cells as points (cell centres) with their people.

    Only the cells within :data:`DEMAND_MARGIN` metres of the parcels' extent
    are read (all of them without parcels).
    """
    if "parcels" in layers and len(layers["parcels"]):
        x0, y0, x1, y1 = layers["parcels"].total_bounds
        area = shapely.box(x0 - DEMAND_MARGIN, y0 - DEMAND_MARGIN, x1 + DEMAND_MARGIN,
                           y1 + DEMAND_MARGIN)
        area = np.array([area], dtype=object)
        if not pop.crs.equals(layers.crs):
            tr = pyproj.Transformer.from_crs(layers.crs, pop.crs, always_xy=True)
            area = shapely.transform(shapely.segmentize(area, DEMAND_MARGIN / 10),
                                     lambda xy: np.column_stack(tr.transform(xy[:, 0],
                                                                             xy[:, 1])))
        bounds = tuple(shapely.total_bounds(area))
    else:
        bounds = pop.bounds
    win = read_window(pop, bounds, margin=0)
    rows, cols = np.nonzero(np.nan_to_num(win.values) > 0)
    x = win.left + (cols + 0.5) * win.cell_x
    y = win.top - (rows + 0.5) * win.cell_y
    w = win.values[rows, cols]
    if not pop.crs.equals(layers.crs):
        tr = pyproj.Transformer.from_crs(pop.crs, layers.crs, always_xy=True)
        x, y = tr.transform(x, y)
    return shapely.points(np.asarray(x), np.asarray(y)), w


def _grid_points(pop, cell: float) -> tuple[np.ndarray, np.ndarray]:
    values = pd.to_numeric(pop["population"], errors="coerce").fillna(0.0).to_numpy(float)
    geoms = geoms_of(pop)
    dims = shapely.get_dimensions(geoms)
    pts_list, w_list = [], []
    if (dims == 0).any():
        pts_list.append(shapely.get_parts(geoms[dims == 0]))
        counts = shapely.get_num_geometries(geoms[dims == 0])
        w_list.append(np.repeat(values[dims == 0] / np.maximum(counts, 1), counts))
    polys = dims == 2
    if polys.any():
        pg, pv = geoms[polys], values[polys]
        xmin, ymin, xmax, ymax = shapely.total_bounds(pg)
        gx, gy = np.meshgrid(np.arange(xmin + cell / 2, xmax, cell),
                             np.arange(ymin + cell / 2, ymax, cell))
        grid = shapely.points(gx.ravel(), gy.ravel())
        i_poly, i_pt = shapely.STRtree(grid).query(pg, predicate="contains")
        # a grid point on a shared edge could fall in two polygons: keep the first
        first = np.unique(i_pt, return_index=True)[1]
        i_poly, i_pt = i_poly[first], i_pt[first]
        n_in = np.bincount(i_poly, minlength=len(pg))
        pts_list.append(grid[i_pt])
        w_list.append(pv[i_poly] / n_in[i_poly])
        empty = n_in == 0
        if empty.any():
            pts_list.append(shapely.point_on_surface(pg[empty]))
            w_list.append(pv[empty])
    pts = np.concatenate(pts_list) if pts_list else np.empty(0, dtype=object)
    w = np.concatenate(w_list) if w_list else np.empty(0)
    return pts, w
