"""Zones of raster rules as polygons, for the maps: the cells an ``outside`` rule keeps out of.

A vector setback is drawn by buffering its features; a rule on a raster
(``type = "outside"``, ``layer = "flood_hazard"``, ``at_least = 0.67``, or
``slope_above = 15`` on a DEM) has no features to buffer. Its zone is the
cells that break the rule, read by window over the area drawn (the parcels of
the map, the window of a brief's site map), turned into polygons with
:func:`rasterio.features.shapes` and simplified: the vertices along each
straight run of cell edges are merged (``shapely.simplify`` with tolerance 0),
so a zone keeps the exact edges of its cells. The cells are the constraint's
own (:func:`siteplan.methods.constraints.raster_rule`: the same values, the same
slope of the same window), so a parcel drawn inside a zone is one the rule
counts.

Used by :mod:`siteplan.render.score_map` and the brief's static maps
(:mod:`siteplan.brief._staticmap`) through two small hooks:
:func:`is_raster_zone` and :func:`zone_polygons`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .._errors import SiteplanInputError
from ..layers.raster import RasterLayer, _to_raster_crs, read_window

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["is_raster_zone", "zone_cells", "zone_polygons", "zone_frame"]

log = logging.getLogger(__name__)


def is_raster_zone(con: Mapping[str, Any], layers: Mapping[str, Any] | None) -> bool:
    """True for an ``outside`` rule on a raster layer of ``layers`` (a zone to draw here)."""
    return (layers is not None and con.get("type") == "outside"
            and isinstance(layers.get(con.get("layer", "")), RasterLayer))


def zone_cells(raster: RasterLayer, con: Mapping[str, Any], bounds) -> tuple[np.ndarray, Any]:
    """The cells of the window over ``bounds`` (raster CRS) that break the rule, and the
    window's affine transform (north-up, rows going down).

    One cell of margin is read around ``bounds``, so the slope of every cell
    inside it is the central difference the constraint uses.
    """
    from affine import Affine

    from ..methods.constraints import raster_rule

    at_least, values, cells = raster_rule(con, f"zone of layer '{raster.name}'")
    win = read_window(raster, tuple(bounds), margin=1,
                      context=f"the map's zone of layer '{raster.name}'")
    v = win.values if cells is None else cells(win, raster)
    hit = np.zeros(v.shape, dtype=bool)
    if values is not None:
        hit |= np.isin(v, np.asarray(list(values), dtype=float))
    if at_least is not None:
        with np.errstate(invalid="ignore"):
            hit |= v >= at_least
    hit &= np.isfinite(v)
    return hit, Affine(win.cell_x, 0.0, win.left, 0.0, -win.cell_y, win.top)


def zone_polygons(layers: Layers | Mapping[str, Any], con: Mapping[str, Any],
                  area: shapely.Geometry, crs) -> np.ndarray:
    """The zone of a raster rule over ``area`` (a geometry in ``crs``), as polygons in ``crs``.

    The cells of the window covering ``area`` whose value breaks the rule,
    joined where they share an edge (4-connected), merged along straight
    edges, clipped to nothing (a cell is drawn whole). An empty array when no
    cell breaks the rule, or when the window cannot be read (logged).
    """
    from rasterio.features import shapes

    raster = layers[con["layer"]]
    crs = pyproj.CRS.from_user_input(crs)
    # the area's outline densified, so that its bounds in the raster's CRS hold all of it
    ring = shapely.segmentize(shapely.envelope(area), max(_span(area) / 32, 1e-9))
    bounds = shapely.total_bounds(_to_raster_crs(np.array([ring], dtype=object), crs, raster))
    try:
        hit, transform = zone_cells(raster, con, bounds)
    except SiteplanInputError as err:     # a window over the limit: the zone is not drawn
        log.warning("zone of constraint on '%s' not drawn: %s", raster.name, err)
        return np.empty(0, dtype=object)
    if not hit.any():
        return np.empty(0, dtype=object)
    parts = [g for g, _ in shapes(hit.astype(np.uint8), mask=hit, transform=transform,
                                  connectivity=4)]
    geoms = shapely.get_parts(shapely.from_geojson(json.dumps(
        {"type": "GeometryCollection", "geometries": parts})))
    geoms = shapely.simplify(geoms, 0.0, preserve_topology=True)  # collinear vertices only
    if not raster.crs.equals(crs):
        tr = pyproj.Transformer.from_crs(raster.crs, crs, always_xy=True)
        # cell edges densified first: a straight edge of one CRS bends in another
        cx, cy = raster.cell_size
        geoms = shapely.transform(shapely.segmentize(geoms, min(cx, cy)),
                                  lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return geoms[~shapely.is_empty(geoms)]


def zone_frame(layers: Layers | Mapping[str, Any], con: Mapping[str, Any],
               area: shapely.Geometry, crs, *, to_crs=4326) -> gpd.GeoDataFrame:
    """:func:`zone_polygons` as a GeoDataFrame in ``to_crs`` (EPSG:4326 by default)."""
    return gpd.GeoDataFrame(geometry=zone_polygons(layers, con, area, crs),
                            crs=crs).to_crs(to_crs)


def _span(geom: shapely.Geometry) -> float:
    x0, y0, x1, y1 = shapely.bounds(geom)
    return float(max(x1 - x0, y1 - y0))
