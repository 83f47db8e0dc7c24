"""Raster layers kept as rasters: opened once, read by window, measured with exact coverage.

A :class:`RasterLayer` names a GeoTIFF/COG (or any single-band raster GDAL
reads) in its own CRS; nothing is polygonised or resampled. Measures read the
window their geometries need and weight every cell by the exact share of it
that each geometry covers.

Sums and means over polygons use a line integral: for a raster ``f`` that is
constant on each cell, the coverage-weighted sum over a polygon ``B`` is the
integral of ``f`` over ``B`` in cell units, and by Green's theorem that is the
integral of ``G dy`` around ``B``'s rings, where ``G(x, y)`` is the running
sum of ``f`` along the row from the raster's left edge. ``G`` is linear inside
a cell, so cutting every ring edge where it crosses a grid line and applying
the trapezoid rule to each piece gives the exact value, in time proportional
to the polygon's perimeter rather than its area. Minimum, maximum and majority
need each cell's coverage and use exactextract.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely

from .._errors import Problem, SiteplanInputError
from ..limits import MAX_WINDOW_CELLS

__all__ = ["RasterLayer", "Window", "as_raster", "open_raster", "is_raster_source", "read_window",
           "coverage_sum", "zonal_stats", "slope_cells", "RASTER_SUFFIXES", "STATS", "SLOPE_UNITS"]

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".asc", ".nc")
#: zonal statistics: sum, mean and share by exact line integrals; the rest by exactextract
STATS = ("mean", "sum", "min", "max", "majority", "share")
_CHUNK = 4000  # geometries per window read


@dataclass(frozen=True, eq=False)
class RasterLayer:
    """A single-band raster on disk, described once; its cells are read by window."""

    name: str
    path: str
    crs: pyproj.CRS
    transform: Any            # affine.Affine of the whole raster
    width: int
    height: int
    nodata: float | None
    dtype: str
    synthetic: bool = False

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in the raster's CRS."""
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def cell_size(self) -> tuple[float, float]:
        """Cell width and height in the raster's CRS units."""
        return abs(self.transform.a), abs(self.transform.e)

    def __len__(self) -> int:
        return self.width * self.height

    def __repr__(self) -> str:
        cx, cy = self.cell_size
        return (f"<RasterLayer {self.name}: {self.width} x {self.height} cells of "
                f"{cx:g} x {cy:g}, {self.crs.to_string()}, {Path(self.path).name}>")


@dataclass(frozen=True)
class Window:
    """Cells of a raster as floats (NaN for nodata), with the grid they sit on."""

    values: np.ndarray        # (rows, cols), row 0 at the top
    left: float               # x of the window's left edge
    top: float                # y of the window's top edge
    cell_x: float
    cell_y: float             # positive; rows go down
    col0: int = 0             # the window's first column and row in the whole raster
    row0: int = 0

    def to_cells(self, xy: np.ndarray) -> np.ndarray:
        """Coordinates in the raster's CRS -> (column, row) in cell units of this window.

        Measured from the whole raster's corner, then shifted by whole cells, so
        that a point gets the same fractional cell position in every window.
        """
        x0 = self.left - self.col0 * self.cell_x
        y0 = self.top + self.row0 * self.cell_y
        return np.column_stack([(xy[:, 0] - x0) / self.cell_x - self.col0,
                                (y0 - xy[:, 1]) / self.cell_y - self.row0])


def is_raster_source(source: Any) -> bool:
    """True for a path whose extension is a raster format's."""
    return isinstance(source, str | PathLike) and Path(source).suffix.lower() in RASTER_SUFFIXES


def as_raster(name: str, source: Any) -> RasterLayer | None:
    """``source`` as a raster layer when it is one (a raster layer or a raster file), else None."""
    if isinstance(source, RasterLayer):
        return source
    return open_raster(name, source) if is_raster_source(source) else None


def open_raster(name: str, source: str | PathLike, *, synthetic: bool = False) -> RasterLayer:
    """Describe a raster file as a layer (its cells are not read here).

    Raises
    ------
    SiteplanInputError
        When the file cannot be opened, has no CRS, is rotated, or has no band.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    where = f"layer '{name}' (raster {Path(source).name})"
    try:
        with rasterio.open(source) as src:
            crs, transform = src.crs, src.transform
            width, height, count = src.width, src.height, src.count
            nodata, dtype = src.nodata, src.dtypes[0] if src.count else "float64"
    except RasterioIOError as exc:
        raise SiteplanInputError(Problem(where, f"cannot be read ({exc})",
                                         "check the path; give a GeoTIFF or another "
                                         "single-band raster GDAL reads")) from None
    problems = []
    if crs is None:
        problems.append(Problem(where, "has no CRS", "assign one, e.g. gdal_edit.py -a_srs "
                                "EPSG:4326 file.tif (WorldPop, InaRISK and DEMNAS are in "
                                "EPSG:4326)"))
    if transform.b != 0 or transform.d != 0:
        problems.append(Problem(where, "is rotated (its geotransform has rotation terms)",
                                "warp it north-up first: gdalwarp in.tif out.tif"))
    elif not (np.isfinite(transform.a) and np.isfinite(transform.e)
              and transform.a != 0 and transform.e != 0):
        problems.append(Problem(where, f"has cells of {transform.a} x {transform.e} units (its "
                                "geotransform gives no cell size)",
                                "fix the geotransform: gdal_edit.py -a_ullr or -tr, or warp "
                                "it with gdalwarp -tr"))
    if count < 1:
        problems.append(Problem(where, "has no band", "give a raster with one band"))
    if problems:
        raise SiteplanInputError(problems)
    return RasterLayer(name, str(source), pyproj.CRS.from_user_input(crs), transform, width,
                       height, None if nodata is None else float(nodata), str(dtype),
                       synthetic)


def _to_raster_crs(geoms: np.ndarray, crs: pyproj.CRS, raster: RasterLayer) -> np.ndarray:
    if crs is None or raster.crs.equals(crs):
        return geoms
    tr = pyproj.Transformer.from_crs(crs, raster.crs, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0],
                                                                            xy[:, 1])))


def window_span(raster: RasterLayer, bounds: tuple[float, float, float, float], *,
                margin: int = 1) -> tuple[int, int, int, int]:
    """(col0, row0, col1, row1) of the cells covering ``bounds`` plus ``margin`` cells.

    A window larger than :data:`siteplan.limits.MAX_WINDOW_CELLS` is cropped
    to the raster and ``margin`` cells around it: every cell beyond is NaN,
    so reaching further would only hold NaN (a buffer of a thousand
    kilometres reads the raster, not a million empty rows). Smaller windows
    are kept as they are, so that ordinary results do not move by a bit.
    """
    t = raster.transform  # north-up (checked when opened): no rotation terms
    c0, r0 = (bounds[0] - t.c) / t.a, (bounds[3] - t.f) / t.e
    c1, r1 = (bounds[2] - t.c) / t.a, (bounds[1] - t.f) / t.e
    lo_c, hi_c = np.floor(min(c0, c1)) - margin, np.ceil(max(c0, c1)) + margin
    lo_r, hi_r = np.floor(min(r0, r1)) - margin, np.ceil(max(r0, r1)) + margin
    if np.isfinite([lo_c, hi_c, lo_r, hi_r]).all() and \
            max(hi_c - lo_c, 1) * max(hi_r - lo_r, 1) <= MAX_WINDOW_CELLS:
        col0, row0, col1, row1 = int(lo_c), int(lo_r), int(hi_c), int(hi_r)
    else:
        def clamp(v: float, n: int) -> int:   # keeps inf, NaN and huge values out of int()
            return -margin if v != v else int(min(max(v, -margin), n + margin))

        col0, col1 = clamp(lo_c, raster.width), clamp(hi_c, raster.width)
        row0, row1 = clamp(lo_r, raster.height), clamp(hi_r, raster.height)
    return col0, row0, max(col1, col0 + 1), max(row1, row0 + 1)


def window_cells(raster: RasterLayer, bounds: tuple[float, float, float, float], *,
                 margin: int = 1) -> int:
    """How many cells :func:`read_window` would hold for ``bounds``."""
    col0, row0, col1, row1 = window_span(raster, bounds, margin=margin)
    return (col1 - col0) * (row1 - row0)


def read_window(raster: RasterLayer, bounds: tuple[float, float, float, float], *,
                margin: int = 1, context: str | None = None) -> Window:
    """The cells covering ``bounds`` (raster CRS) plus ``margin`` cells; outside is NaN.

    At most :data:`siteplan.limits.MAX_WINDOW_CELLS` cells; a larger window is
    a :class:`SiteplanInputError` (naming ``context``).
    """
    import rasterio
    from rasterio.windows import Window as RWindow

    t = raster.transform
    col0, row0, col1, row1 = window_span(raster, bounds, margin=margin)
    ncol, nrow = col1 - col0, row1 - row0
    if ncol * nrow > MAX_WINDOW_CELLS:
        cx, cy = raster.cell_size
        raise SiteplanInputError(Problem(
            context or f"layer '{raster.name}'", f"would read {ncol:,} x {nrow:,} cells of the "
            f"raster '{raster.name}' ({cx:g} x {cy:g} per cell) at once, over the limit of "
            f"{MAX_WINDOW_CELLS:,} (siteplan.limits.MAX_WINDOW_CELLS)",
            "use a smaller radius or buffer, or a coarser raster (gdalwarp -tr)"))
    out = np.full((nrow, ncol), np.nan)
    # the part of the window inside the raster
    a0, b0 = max(col0, 0), max(row0, 0)
    a1, b1 = min(col1, raster.width), min(row1, raster.height)
    if a1 > a0 and b1 > b0:
        with rasterio.open(raster.path) as src:
            data = src.read(1, window=RWindow(a0, b0, a1 - a0, b1 - b0), masked=True)
        vals = np.ma.filled(data.astype(float), np.nan)
        out[b0 - row0:b1 - row0, a0 - col0:a1 - col0] = vals
    left, top = t.c + t.a * col0, t.f + t.e * row0
    cx, cy = raster.cell_size
    if t.a < 0 or t.e > 0:  # flipped axes: normalise to left-to-right, top-to-bottom
        if t.a < 0:
            out, left = out[:, ::-1], left - cx * ncol
        if t.e > 0:
            out, top = out[::-1, :], top + cy * nrow
    return Window(out, left, top, cx, cy, col0, row0)


# ------------------------------------------------------------------ line integrals


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring's coordinates (exteriors counter-clockwise, holes clockwise) and owner."""
    polys, owner = shapely.get_parts(geoms, return_index=True)
    polys = shapely.orient_polygons(polys) if hasattr(shapely, "orient_polygons") else \
        np.array([shapely.geometry.polygon.orient(p) if not p.is_empty else p for p in polys],
                 dtype=object)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    return xy, owner[ring_poly[ring_of]], ring_of


def coverage_sum(geoms: np.ndarray, window: Window, values: np.ndarray | None = None
                 ) -> np.ndarray:
    """Sum of ``values`` (default the window's cells; NaN as 0) weighted by exact coverage.

    ``geoms`` are polygons in the raster's CRS; the result counts each cell by
    the share of its area inside each polygon (1 for a cell wholly inside).

    Each ring edge is cut only where it crosses a row line. On a piece inside
    one row, ``G`` (the running row sum) is integrated exactly over the
    columns it spans: by ``G`` at the middle when it stays in one cell, by
    cutting at the one column line it crosses, or by ``H``, the running sum
    of ``G``, when it crosses several (then its extent is at least a cell, so
    the difference of ``H`` loses no precision).
    """
    v = np.nan_to_num(window.values if values is None else values, nan=0.0)
    nrow, ncol = v.shape
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    width = ncol + 1
    prefix = np.zeros((nrow, width))                 # G at the column lines
    np.cumsum(v, axis=1, out=prefix[:, 1:])
    hh = np.zeros((nrow, width))                     # H at the column lines
    np.cumsum(prefix[:, :-1] + v / 2.0, axis=1, out=hh[:, 1:])
    rate = np.zeros((nrow, width))                   # G's slope in each cell (0 beyond)
    rate[:, :-1] = v
    prefix, hh, rate = prefix.ravel(), hh.ravel(), rate.ravel()

    xy, owner, ring = _rings(geoms)
    if len(xy) < 2:
        return out
    uv = window.to_cells(xy)
    # each polygon's own first column: its running sums start there, so that its result
    # does not depend on where the window begins (for float32 rasters, exactly)
    ref = np.full(len(geoms), np.inf)
    np.minimum.at(ref, owner, np.floor(uv[:, 0]))
    ref = np.clip(ref, 0, ncol).astype(np.int64)
    same = ring[1:] == ring[:-1]               # consecutive vertices of one ring: an edge
    a, b = uv[:-1][same], uv[1:][same]
    who = owner[:-1][same]
    # cut each edge at the row lines it crosses, in order along the edge
    lo = np.floor(np.minimum(a[:, 1], b[:, 1]))
    hi = np.ceil(np.maximum(a[:, 1], b[:, 1]))
    n = np.maximum(hi - lo - 1, 0).astype(np.int64)           # row lines strictly inside
    first = np.cumsum(n + 1) - (n + 1)                        # where each edge's pieces start
    e = np.repeat(np.arange(len(a)), n + 1)
    k = np.arange(len(e)) - first[e]                          # piece number along its edge
    dw = b[:, 1] - a[:, 1]
    up = dw > 0
    line = np.where(up[e], lo[e] + k, hi[e] - k)              # the row line a piece starts at
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = np.where(k == 0, 0.0, (line - a[e, 1]) / dw[e])
        t1 = np.where(k == n[e], 1.0, (np.where(up[e], line + 1, line - 1) - a[e, 1]) / dw[e])
    d = b - a
    ua, ub = a[e, 0] + t0 * d[e, 0], a[e, 0] + t1 * d[e, 0]
    wa, wb = a[e, 1] + t0 * d[e, 1], a[e, 1] + t1 * d[e, 1]
    row = np.floor((wa + wb) / 2).astype(np.int64)
    keep = (row >= 0) & (row < nrow) & (wb != wa)
    ua, ub, wa, wb, row, e = ua[keep], ub[keep], wa[keep], wb[keep], row[keep], e[keep]
    base = row * width
    c0 = ref[who[e]]

    def cell(u):  # -1 left of the window, ncol right of it (G is flat there)
        return np.clip(np.floor(u), -1, ncol).astype(np.int64)

    def g(u, c, at, k):  # G minus G at the polygon's first column k
        c = np.maximum(c, 0)
        inside = (prefix[at + c] - prefix[at + k]) + rate[at + c] * (u - c)
        return np.where(u <= 0, -prefix[at + k], inside)

    def h(u, at, k):     # H minus H at column k, minus G(k) times the distance from k
        c = np.maximum(cell(u), 0)
        f = u - c
        pk = prefix[at + k]
        inside = (hh[at + c] - hh[at + k] - pk * (c - k)) + (prefix[at + c] - pk) * f \
            + rate[at + c] * f * f / 2.0
        return np.where(u <= 0, -pk * (u - k) - hh[at + k], inside)

    ca, cb = cell(ua), cell(ub)
    crossed = np.abs(cb - ca)
    mid = (ua + ub) / 2
    mean_g = g(mid, cell(mid), base, c0)                       # one cell: G is linear
    one = crossed == 1
    if one.any():                                              # cut at the one column line
        at, k = base[one], c0[one]
        c = np.maximum(ca[one], cb[one])
        s0, s1 = ua[one], ub[one]
        frac = (c - s0) / (s1 - s0)
        gc = g(c.astype(float), c, at, k)
        mean_g[one] = (g(s0, ca[one], at, k) + gc) / 2 * frac \
            + (gc + g(s1, cb[one], at, k)) / 2 * (1 - frac)
    many = crossed > 1
    if many.any():
        at, k = base[many], c0[many]
        mean_g[many] = (h(ub[many], at, k) - h(ua[many], at, k)) / (ub[many] - ua[many])
    # G minus a constant per row integrates to the same: a closed ring crosses each row
    # band as often downwards as upwards
    piece = mean_g * (wb - wa)
    # rows go down in cell units: counter-clockwise rings integrate to minus the area
    return -np.bincount(who[e], weights=piece, minlength=len(geoms))


def _chunks(geoms: np.ndarray) -> list[np.ndarray]:
    """Index sets of nearby geometries (sorted along a Hilbert curve), ``_CHUNK`` each."""
    if len(geoms) <= _CHUNK:
        return [np.arange(len(geoms))]
    import geopandas as gpd

    s = gpd.GeoSeries(geoms)
    order = np.argsort(s.hilbert_distance().to_numpy(), kind="stable")
    return [order[i:i + _CHUNK] for i in range(0, len(order), _CHUNK)]


def _fitting(geoms: np.ndarray, chunks: list[np.ndarray], raster: RasterLayer
             ) -> list[np.ndarray]:
    """The chunks, halved (along the Hilbert order) until each one's window fits the limit.

    A single geometry whose own window is too large stays, and
    :func:`read_window` names it.
    """
    import geopandas as gpd

    out, todo = [], list(chunks)
    while todo:
        part = todo.pop()
        if len(part) > 1 and window_cells(raster, tuple(shapely.total_bounds(geoms[part]))
                                          ) > MAX_WINDOW_CELLS:
            order = part[np.argsort(gpd.GeoSeries(geoms[part]).hilbert_distance().to_numpy(),
                                    kind="stable")]
            half = len(order) // 2
            todo += [order[:half], order[half:]]
        else:
            out.append(part)
    return out


def zonal_stats(geoms: np.ndarray, crs: pyproj.CRS, raster: RasterLayer, stat: str, *,
                values: Any = None, at_least: float | None = None,
                transform_cells=None) -> np.ndarray:
    """One statistic of the raster's cells under each polygon, weighted by exact coverage.

    Parameters
    ----------
    geoms
        Polygons in ``crs`` (reprojected to the raster's CRS here).
    stat
        ``mean``, ``sum``, ``min``, ``max``, ``majority`` or ``share`` (the part
        of the polygon's valid cells whose value is in ``values`` or at least
        ``at_least``).
    transform_cells
        A function applied to each window's values first (e.g. slope from a DEM).

    Returns
    -------
    numpy.ndarray
        One value per polygon; NaN where it covers no valid cell (for ``sum``: 0).
    """
    if stat not in STATS:
        raise SiteplanInputError(Problem("zonal", f"unknown stat {stat!r}",
                                         f"use one of: {', '.join(STATS)}"))
    g = _to_raster_crs(np.asarray(geoms, dtype=object), crs, raster)
    out = np.full(len(g), 0.0 if stat == "sum" else np.nan)
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
    idx_ok = np.flatnonzero(ok)
    if len(idx_ok) == 0:        # nothing to measure: no window, no reduction over nothing
        return out
    for part in _fitting(g[idx_ok], _chunks(g[idx_ok]), raster):
        idx = idx_ok[part]
        win = read_window(raster, tuple(shapely.total_bounds(g[idx])),
                          context=f"zonal '{stat}' of layer '{raster.name}'")
        cells = win.values if transform_cells is None else transform_cells(win, raster)
        win = Window(cells, win.left, win.top, win.cell_x, win.cell_y, win.col0, win.row0)
        out[idx] = _stat(g[idx], win, stat, values, at_least, raster.crs)
    return out


def _stat(g: np.ndarray, win: Window, stat: str, values, at_least, crs: pyproj.CRS
          ) -> np.ndarray:
    valid = np.isfinite(win.values)
    if stat == "sum":
        return coverage_sum(g, win)
    if stat in ("mean", "share"):
        weight = coverage_sum(g, win, valid.astype(float))
        if stat == "mean":
            total = coverage_sum(g, win)
        else:
            cond = np.zeros(win.values.shape, dtype=bool)
            if values is not None:
                cond |= np.isin(win.values, np.asarray(list(values), dtype=float))
            if at_least is not None:
                with np.errstate(invalid="ignore"):
                    cond |= win.values >= at_least
            total = coverage_sum(g, win, (cond & valid).astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(weight > 1e-12, total / np.where(weight > 0, weight, 1), np.nan)
    return _exactextract(g, win, stat, crs)


def _exactextract(g: np.ndarray, win: Window, stat: str, crs: pyproj.CRS) -> np.ndarray:
    import geopandas as gpd
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    nrow, ncol = win.values.shape
    # exactextract leaves NaN cells out by itself; no marker value is passed, as any finite
    # marker (-3.4e38, say) may be a value a float64 raster holds
    arr = np.where(np.isfinite(win.values), win.values, np.nan)  # row 0 at the top
    src = NumPyRasterSource(arr, win.left, win.top - nrow * win.cell_y,
                            win.left + ncol * win.cell_x, win.top, srs_wkt=crs.to_wkt())
    frame = gpd.GeoDataFrame(geometry=g, crs=crs)
    res = exact_extract(src, frame, [stat], output="pandas")
    return res[stat].to_numpy(dtype=float)


#: the units a slope is given in
SLOPE_UNITS = ("percent", "degrees")
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0


def slope_cells(win: Window, raster: RasterLayer, unit: str = "percent") -> np.ndarray:
    """Slope of each cell of a DEM window (central differences; one-sided at the edges).

    Cell sizes are in metres for a projected DEM; for a geographic DEM (DEMNAS,
    SRTM in EPSG:4326) degrees are turned into metres at each row's latitude.
    """
    z = win.values
    if z.shape[0] < 2 or z.shape[1] < 2:
        return np.full(z.shape, np.nan)
    dz_row, dz_col = np.gradient(z)              # per cell, rows going down
    if raster.crs.is_geographic:
        lat = win.top - (np.arange(z.shape[0]) + 0.5) * win.cell_y
        dx = (win.cell_x * _M_PER_DEG_LON * np.cos(np.radians(lat)))[:, None]
        dy = win.cell_y * _M_PER_DEG_LAT
    else:
        factor = pyproj.CRS(raster.crs).axis_info[0].unit_conversion_factor
        dx, dy = win.cell_x * factor, win.cell_y * factor
    rise = np.hypot(dz_col / dx, dz_row / dy)
    return np.degrees(np.arctan(rise)) if unit == "degrees" else 100.0 * rise
