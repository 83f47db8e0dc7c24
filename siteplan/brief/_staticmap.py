"""Static maps for the site brief, drawn offline with matplotlib (Agg, no tiles).

Each map is a PNG embedded in the HTML as a ``data:`` URI, so a brief is one
file that prints the same everywhere. Figures are built with
:class:`matplotlib.figure.Figure` and the Agg canvas directly (no pyplot
state), so briefs can be drawn from threads and notebooks alike.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..render._zones import is_raster_zone, zone_polygons

if TYPE_CHECKING:
    from ..layers.bundle import Layers

SITE = {"face": "#dc2626", "edge": "#7f1d1d"}
RING = "#1d4ed8"
WATER = "#3b82f6"
PARCELS = "#d4d4d4"
ADMIN = "#9ca3af"
NICE = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)


def _styles():
    from ..render.style import CONSTRAINTS, GREEN, GREEN_OTHER, POI_OTHER, POIS, ROAD_OTHER, ROADS

    return {"constraints": CONSTRAINTS, "green": GREEN, "green_other": GREEN_OTHER,
            "pois": POIS, "poi_other": POI_OTHER, "roads": ROADS, "road_other": ROAD_OTHER}


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=170)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, facecolor="white")
    return buf.getvalue()


def _clip(layers: Layers, name: str, window: shapely.Geometry) -> gpd.GeoDataFrame | None:
    """The features of a layer meeting the window (none when the layer is absent)."""
    if name not in layers:
        return None
    gdf = layers[name]
    if not isinstance(gdf, gpd.GeoDataFrame) or not len(gdf):  # rasters are not drawn
        return None
    hits = gdf.sindex.query(window, predicate="intersects")
    return gdf.iloc[np.sort(hits)] if len(hits) else None


def _where(gdf: gpd.GeoDataFrame, where: Mapping[str, Sequence]) -> gpd.GeoDataFrame:
    mask = np.ones(len(gdf), dtype=bool)
    for col, allowed in (where or {}).items():
        if col not in gdf.columns:
            return gdf.iloc[0:0]
        norm = {str(a).strip().lower() for a in allowed}
        mask &= gdf[col].astype("string").str.strip().str.lower().isin(norm).fillna(
            False).to_numpy(dtype=bool)
    return gdf.loc[mask]


def _path(geoms: np.ndarray, *, closed: bool):
    """All rings (closed) or lines of ``geoms`` as one compound matplotlib Path, no row loop."""
    from matplotlib.path import Path

    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if closed:
        # exteriors counter-clockwise, holes clockwise: the nonzero fill leaves holes open
        polys = shapely.get_parts(geoms)
        polys = polys[shapely.get_type_id(polys) == 3]
        parts = shapely.get_rings(shapely.orient_polygons(polys))
    else:
        parts = shapely.get_parts(geoms)
        parts = parts[shapely.get_type_id(parts) == 1]
    if not len(parts):
        return None
    xy, owner = shapely.get_coordinates(parts, return_index=True)
    codes = np.full(len(xy), Path.LINETO, dtype=np.uint8)
    first = np.r_[True, owner[1:] != owner[:-1]]
    codes[first] = Path.MOVETO
    if closed:
        last = np.r_[owner[1:] != owner[:-1], True]
        codes[last] = Path.CLOSEPOLY
    return Path(xy, codes)


def _fill(ax, geoms, **style) -> None:
    from matplotlib.patches import PathPatch

    path = _path(np.asarray(geoms, dtype=object), closed=True)
    if path is not None:
        ax.add_artist(PathPatch(path, **style))  # limits are set: no autoscale pass


def _lines(ax, geoms, **style) -> None:
    from matplotlib.patches import PathPatch

    geoms = np.asarray(geoms, dtype=object)
    polys = shapely.get_type_id(geoms) >= 3  # polygons drawn by their outline
    geoms = np.where(polys, shapely.boundary(geoms), geoms) if polys.any() else geoms
    path = _path(geoms, closed=False)
    if path is not None:
        ax.add_artist(PathPatch(path, fill=False, **style))


def _by_value(gdf: gpd.GeoDataFrame, column: str, table: Mapping[str, Any], other: Any):
    """(style, geometries) groups of a layer by a column's value (a handful of groups)."""
    key = (gdf[column].astype("string").str.strip().str.lower().fillna("")
           if column in gdf.columns else pd.Series("", index=gdf.index, dtype="string"))
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    known = key.isin(list(table)).to_numpy(dtype=bool)
    groups = [(table[k], geoms[(key == k).to_numpy(dtype=bool)]) for k in table]
    groups.append((other, geoms[~known]))
    return [(style, g) for style, g in groups if len(g)]


def _draw_context(ax, layers: Layers, window: shapely.Geometry, *, parcels: bool,
                  zones: Sequence[Mapping[str, Any]], st: Mapping[str, Any],
                  road_classes: Sequence[str] | None = None, poi_size: float = 9) -> None:
    if parcels and (got := _clip(layers, "parcels", window)) is not None:
        _fill(ax, got.geometry.array, facecolor="#f5f5f5", edgecolor=PARCELS, linewidth=0.3)
    if (green := _clip(layers, "green_spaces", window)) is not None:
        for colour, geoms in _by_value(green, "rth_type", st["green"], st["green_other"]):
            _fill(ax, geoms, facecolor=colour, alpha=0.75, linewidth=0)
    for i, zone in enumerate(zones):
        _draw_zone(ax, layers, window, zone, st["constraints"][i % len(st["constraints"])])
    for name in ("rivers", "coastline", "water"):
        if (got := _clip(layers, name, window)) is not None:
            _lines(ax, got.geometry.array, edgecolor=WATER, linewidth=1.4)
    if (roads := _clip(layers, "roads", window)) is not None:
        _draw_roads(ax, roads, st, road_classes)
    if poi_size and (pois := _clip(layers, "pois", window)) is not None:
        for colour, geoms in _by_value(pois, "category", st["pois"], st["poi_other"]):
            xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
            ax.scatter(xy[:, 0], xy[:, 1], s=poi_size, c=colour, edgecolors="white",
                       linewidths=0.4, zorder=5)


def _draw_zone(ax, layers: Layers, window: shapely.Geometry, zone: Mapping[str, Any],
               colour: str) -> None:
    """One constraint's zone hatched in ``colour``: a raster rule's cells, or its features."""
    if is_raster_zone(zone, layers):      # the cells that break a raster rule
        cells = zone_polygons(layers, zone, window, layers.crs)
        _fill(ax, shapely.intersection(cells, window), facecolor="none", edgecolor=colour,
              hatch="////", linewidth=0.5, alpha=0.8)
        return
    got = _clip(layers, zone["layer"], window.buffer(zone.get("buffer") or 0))
    if got is None:
        return
    got = _where(got, zone.get("where") or {})
    if not len(got):
        return
    geoms = np.asarray(got.geometry.array, dtype=object)
    if zone.get("buffer"):
        geoms = shapely.buffer(geoms, float(zone["buffer"]), quad_segs=8)
    geoms = shapely.intersection(geoms, window)
    _fill(ax, geoms, facecolor="none", edgecolor=colour, hatch="////", linewidth=0.5,
          alpha=0.8)


def _draw_roads(ax, roads: gpd.GeoDataFrame, st: Mapping[str, Any],
                road_classes: Sequence[str] | None) -> None:
    """The roads by class, minor ones first so the arterials lie on top (only ``road_classes``)."""
    order = {k: i for i, k in enumerate(("lingkungan", "lokal", "kolektor", "arteri"))}
    groups = _by_value(roads, "road_class", {k: (k, *v) for k, v in st["roads"].items()},
                       ("other", *st["road_other"]))
    for (key, colour, width), geoms in sorted(groups, key=lambda g: order.get(g[0][0], 1)):
        if road_classes is None or key in road_classes:
            _lines(ax, geoms, edgecolor=colour, linewidth=width * 0.45,
                   capstyle="round", joinstyle="round")


def _scale_bar(ax, x0: float, y0: float, width: float, height: float) -> None:
    target = width * 0.28
    length = max((n for n in NICE if n <= target), default=NICE[0])
    bx, by, h = x0 + width * 0.04, y0 + height * 0.04, height * 0.012
    half = length / 2
    ax.add_patch(_rect(bx, by, half, h, "black"))
    ax.add_patch(_rect(bx + half, by, half, h, "white"))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    ax.text(bx, by + h * 1.8, "0", fontsize=6, ha="center", va="bottom")
    ax.text(bx + length, by + h * 1.8, label, fontsize=6, ha="center", va="bottom")


def _rect(x, y, w, h, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="black", linewidth=0.6,
                     zorder=8)


def _north(ax, letter: str) -> None:
    ax.annotate(letter, xy=(0.93, 0.96), xytext=(0.93, 0.84), xycoords="axes fraction",
                textcoords="axes fraction", ha="center", va="center", fontsize=8,
                fontweight="bold", zorder=9,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})


def site_png(layers: Layers, geom: shapely.Geometry, *, rings: Sequence[float],
             zones: Sequence[Mapping[str, Any]], north: str, size_in: float = 3.7) -> bytes:
    """The map of one site: parcel, rings, roads, POIs, green, water, constraint zones."""
    st = _styles()
    rings = sorted({float(r) for r in rings if r and r > 0})
    half = max(rings) * 1.1 if rings else 600.0
    c = shapely.centroid(geom)
    window = shapely.box(c.x - half, c.y - half, c.x + half, c.y + half)
    fig, ax = _figure(size_in, size_in)
    _draw_context(ax, layers, window, parcels=True, zones=zones, st=st)
    _fill(ax, [geom], facecolor=SITE["face"], edgecolor=SITE["edge"], linewidth=1.4,
          alpha=0.85, zorder=6)
    p = shapely.point_on_surface(geom)
    ax.scatter([p.x], [p.y], s=260, facecolors="none", edgecolors=SITE["edge"],
               linewidths=1.4, zorder=7)
    for r in rings:
        ring = shapely.buffer(geom, r, quad_segs=24)
        xy = shapely.get_coordinates(shapely.get_exterior_ring(ring))
        ax.plot(xy[:, 0], xy[:, 1], color=RING, linewidth=0.9, linestyle=(0, (4, 3)),
                zorder=6)
        top = xy[np.argmax(xy[:, 1])]
        ax.text(top[0], top[1], f"{r / 1000:g} km" if r >= 1000 else f"{r:g} m",
                fontsize=6, color=RING, ha="center", va="bottom", zorder=9,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                      "alpha": 0.8})
    ax.set_xlim(c.x - half, c.x + half)
    ax.set_ylim(c.y - half, c.y + half)
    _scale_bar(ax, c.x - half, c.y - half, 2 * half, 2 * half)
    _north(ax, north)
    return _png(fig)


#: the overview's numbered discs: marker area in points² (about 12 pt across)
_PIN_AREA = 150.0


def pin_places(xy: np.ndarray, window: Sequence[float], size_in: Sequence[float]) -> np.ndarray:
    """Where the overview draws each numbered disc (map units): on its site, or moved
    off it where it would cover an earlier one (:func:`siteplan.render._labels.spread_labels`,
    in points on the printed figure ``size_in`` inches wide and high showing ``window``)."""
    from ..render._labels import spread_labels

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    x0, y0, x1, y1 = window
    per_pt = (x1 - x0) / (size_in[0] * 72.0)          # map units per point (equal aspect)
    d = math.sqrt(_PIN_AREA)                           # a disc's width in points
    screen = np.column_stack([(xy[:, 0] - x0) / per_pt, (y1 - xy[:, 1]) / per_pt + d / 2])
    off = spread_labels(screen, d, d)
    return xy + np.column_stack([off[:, 0], -off[:, 1]]) * per_pt


def overview_png(layers: Layers, geoms: Sequence[shapely.Geometry] | np.ndarray, *, north: str,
                 width_in: float = 6.7, max_height_in: float = 4.6) -> bytes:
    """The city with the chosen sites numbered 1..n (in the order given)."""
    st = _styles()
    pts = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    if "admin" in layers and len(layers["admin"]):
        bounds = layers["admin"].total_bounds
    elif "roads" in layers and len(layers["roads"]):
        bounds = layers["roads"].total_bounds
    else:
        bounds = layers["parcels"].total_bounds
    xy = shapely.get_coordinates(pts)
    x0, y0 = min(bounds[0], xy[:, 0].min()), min(bounds[1], xy[:, 1].min())
    x1, y1 = max(bounds[2], xy[:, 0].max()), max(bounds[3], xy[:, 1].max())
    pad = 0.03 * max(x1 - x0, y1 - y0, 1.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    ratio = (y1 - y0) / (x1 - x0)
    height_in = width_in * ratio
    if height_in > max_height_in:  # a tall city: keep the height, narrow the figure
        height_in, width_in = max_height_in, max_height_in / ratio
    fig, ax = _figure(width_in, height_in)
    window = shapely.box(x0, y0, x1, y1)
    if "admin" in layers and "level" in layers["admin"].columns:
        adm = layers["admin"]
        level = adm["level"].astype("string").str.lower()
        for lev, lw in (("kelurahan", 0.3), ("kecamatan", 0.9), ("kota", 1.3)):
            part = adm.loc[(level == lev).fillna(False).to_numpy(dtype=bool)]
            if len(part):
                _lines(ax, part.geometry.array, edgecolor=ADMIN if lev == "kelurahan"
                       else "#4b5563", linewidth=lw)
    _draw_context(ax, layers, window, parcels=False, zones=(), st=st,
                  road_classes=("arteri", "kolektor"), poi_size=0)
    from matplotlib.collections import LineCollection

    at = pin_places(xy, (x0, y0, x1, y1), (width_in, height_in))
    moved = np.any(at != xy, axis=1)
    if moved.any():             # a line from each moved number back to its site
        ax.add_collection(LineCollection(list(np.stack([xy[moved], at[moved]], axis=1)),
                                         colors="#111111", linewidths=0.7, zorder=9))
        ax.scatter(xy[moved, 0], xy[moved, 1], s=6, color="#111111", zorder=9)
    ax.scatter(at[:, 0], at[:, 1], s=_PIN_AREA, color="#111111", edgecolors="white",
               linewidths=1.2, zorder=10)
    for i, (x, y) in enumerate(at, 1):     # the chosen few sites
        ax.text(x, y, str(i), color="white", fontsize=6.5, fontweight="bold", ha="center",
                va="center", zorder=11)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _scale_bar(ax, x0, y0, x1 - x0, y1 - y0)
    _north(ax, north)
    return _png(fig)
