"""Straight-line and attribute measures: distance, counts and sums within r, area, overlap.

All are vectorised over parcels with shapely 2 arrays and an STRtree per
(layer, filter), built once per :class:`~siteplan.Layers` bundle and reused.
Distances are exact, from the parcel's edge (0 when it touches or overlaps a
feature). Each takes ``(crit, parcels, geoms, layers, context)`` and returns
one raw value per parcel; :mod:`siteplan.measures` lists them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..layers.bundle import CacheKey
from ..layers.features import (
    check_pairs,
    feature_tree,
    geoms_of,
    numeric_column,
    require_column,
    select_features,
    where_key,
)
from ..layers.population import Spread, amount_within, spread
from ..methods.transforms import saturation_distance

if TYPE_CHECKING:
    from ..criterion import Criterion
    from ..layers.bundle import Layers

__all__ = ["distance", "count_within", "sum_within", "area", "overlap_share", "zonal",
           "attribute"]


def _kernel():
    """The compiled search (:mod:`siteplan.measures._nearest`), imported when first measured.

    Importing it loads numba (about 0.15 s); commands that only read scored
    files and draw them (``siteplan map``) never pay that.
    """
    from . import _nearest

    return _nearest


def distance(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray, layers: Layers,
             context: str) -> np.ndarray:
    """Metres from each parcel's edge to the nearest feature (inf beyond the transform's reach).

    Exactly ``min(shapely.distance(parcel, f) for f in features)``. Polygon
    parcels against point and line features go through the compiled search
    of :mod:`siteplan.measures._nearest`; anything else (and any parcel it
    leaves unsure) through :func:`_nearest` on GEOS.
    """
    layer = cast(str, crit.layer)  # "layer" is among the measure's needs (MEASURES)
    tree_key = CacheKey("tree", (layer,), (where_key(crit.where), False))
    if _kernel().available() and tree_key not in layers.cache:
        # the compiled search needs no STRtree: it is built only if the GEOS path runs
        fgeoms = layers.cache.get(
            CacheKey("feature_geoms", (layer,), (where_key(crit.where),)),
            lambda: geoms_of(select_features(layers, layer, crit.where,
                                             context=context)))
    else:
        _, _, fgeoms = feature_tree(layers, layer, crit.where, context=context)
    limit = saturation_distance(crit.transform)
    out = np.full(len(geoms), np.inf)
    if len(fgeoms) == 0 or len(geoms) == 0:
        return out
    grid = layers.cache.get(
        CacheKey("feature_grid", (layer,), (where_key(crit.where),)),
        lambda: _kernel().feature_grid(fgeoms)) if _kernel().available() else None
    # the compiled search on every parcel; it declines (None) when one is missing, empty or
    # not a polygon, and only then are the missing and empty ones (left inf) sorted out
    got = None if grid is None else _kernel().nearest(geoms, grid, limit)
    if got is None:
        todo = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if not todo.any():
            return out
        if grid is not None and not todo.all():
            got = _kernel().nearest(geoms[todo], grid, limit)
    else:
        todo = np.ones(len(geoms), dtype=bool)
    if got is not None:          # polygons against points and lines: left only the unsure
        out[todo], unsure = got
        todo[todo] = unsure
        if not todo.any():
            return out

    def build():
        from scipy.spatial import cKDTree

        xy, owner = shapely.get_coordinates(fgeoms, return_index=True)
        return cKDTree(xy) if len(xy) else None, owner, shapely.bounds(fgeoms)

    kd, owner, fbox = layers.cache.get(
        CacheKey("vertices", (layer,), (where_key(crit.where),)), build)
    if kd is None:
        return out
    tree, _, fgeoms = feature_tree(layers, layer, crit.where, context=context)
    out[todo] = _nearest(geoms[todo], fgeoms, tree, kd, owner, fbox, limit=limit)
    return out


def _nearest(geoms, fgeoms, tree, kd, owner, fbox, *, limit, block=200_000):
    """Exact distance to the nearest feature (inf beyond ``limit``), in bulk.

    The same distances as ``STRtree.query_nearest`` (shapely's distance on
    the nearest pair) at a fraction of its per-query cost: the feature owning
    the vertex nearest each geometry's box centre (a KD-tree) gives an exact
    upper bound ``u``; only features whose box lies within ``u`` (or
    ``limit``) are then measured, all at once, ``block`` geometries at a time
    (bounded memory). Where two features are equally near, the smaller of
    their computed distances is kept.
    """
    out = np.empty(len(geoms))
    for s in range(0, len(geoms), block):
        g = geoms[s:s + block]
        b = shapely.bounds(g)
        first = owner[kd.query((b[:, :2] + b[:, 2:]) / 2, workers=-1)[1]]
        d = shapely.distance(g, fgeoms[first])
        r = (d if limit is None else np.minimum(d, limit)) * (1 + 1e-9) + 1e-9
        if len(fbox) <= 16:  # few features: test every box, no query boxes to build
            i, j = np.nonzero(_box_gap2(b[:, None, :], fbox[None, :, :]) <= (r * r)[:, None])
        else:
            i, j = tree.query(shapely.box(b[:, 0] - r, b[:, 1] - r, b[:, 2] + r, b[:, 3] + r))
            keep = _box_gap2(b[i], fbox[j]) <= (r * r)[i]
            i, j = i[keep], j[keep]
        keep = j != first[i]
        i, j = i[keep], j[keep]
        np.minimum.at(d, i, shapely.distance(g[i], fgeoms[j]))
        out[s:s + block] = d
    if limit is not None:
        out[out > limit] = np.inf
    return out


def _box_gap2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared distance between boxes (xmin, ymin, xmax, ymax) in the last axis."""
    dx = np.maximum(np.maximum(b[..., 0] - a[..., 2], a[..., 0] - b[..., 2]), 0.0)
    dy = np.maximum(np.maximum(b[..., 1] - a[..., 3], a[..., 1] - b[..., 3]), 0.0)
    return dx * dx + dy * dy


def count_within(crit, parcels, geoms, layers, context) -> np.ndarray:
    """How many features lie within ``radius`` metres of the parcel."""
    tree, _, _ = feature_tree(layers, crit.layer, crit.where, context=context)
    check_pairs(tree, geoms, crit.radius, context=context, layer=crit.layer)
    i_in, _ = tree.query(geoms, predicate="dwithin", distance=crit.radius)
    return np.bincount(i_in, minlength=len(geoms)).astype(float)


def sum_within(crit, parcels, geoms, layers, context) -> np.ndarray:
    """Sum of ``column`` over the features within ``radius`` metres of the parcel.

    Points count whole; polygons count by the share of their area inside the
    parcel's buffer (areal weighting, assuming the value spreads evenly), lines
    by the share of their length: the population model of
    :mod:`siteplan.layers.population`, which every "people within r" uses.
    """
    s = spread(layers, crit.layer, crit.column, crit.where, context=context)
    if isinstance(s, Spread):
        check_pairs(s.tree, geoms, float(crit.radius), context=context, layer=crit.layer)
    return amount_within(geoms, float(crit.radius), s)


def area(crit, parcels, geoms, layers, context) -> np.ndarray:
    """The parcel's area in m²."""
    return shapely.area(geoms)


def overlap_share(crit, parcels, geoms, layers, context) -> np.ndarray:
    """The share (0-1) of the parcel covered by the (dissolved) features."""
    tree, _, parts = feature_tree(layers, crit.layer, crit.where, context=context,
                                  dissolve=True)
    out: np.ndarray = np.zeros(len(geoms))
    i_in, i_f = tree.query(geoms, predicate="intersects")
    if len(i_in):
        inter = shapely.area(shapely.intersection(geoms[i_in], parts[i_f]))
        out = np.bincount(i_in, weights=inter, minlength=len(geoms))
    area = shapely.area(geoms)
    return np.clip(np.divide(out, area, out=np.zeros(len(geoms)), where=area > 0), 0.0, 1.0)


def zonal(crit, parcels, geoms, layers, context) -> np.ndarray:
    """Value of a polygon layer's column at the parcel's inner point (NaN outside every zone).

    Where zones overlap at that point, the first of them in the layer's order is read.
    """
    tree, feats, _ = feature_tree(layers, crit.layer, crit.where, context=context)
    require_column(feats, crit.column, layer=crit.layer, context=context,
                   fix="fix 'column' in the profile")
    pts = shapely.point_on_surface(geoms)
    i_in, i_f = tree.query(pts, predicate="intersects")
    order = np.lexsort((i_f, i_in))  # by parcel, then by the zones' order in the layer
    i_in, i_f = i_in[order], i_f[order]
    first = np.unique(i_in, return_index=True)[1]
    values = feats[crit.column].to_numpy()
    out = np.full(len(geoms), np.nan, dtype=object if values.dtype == object else float)
    out[i_in[first]] = values[i_f[first]]
    return out


def attribute(crit, parcels, geoms, layers, context) -> np.ndarray:
    """A column of the parcels themselves (text for a categorical transform)."""
    require_column(parcels, crit.column, layer="parcels", context=context,
                   fix="add the column to the parcels or fix the profile")
    values = parcels[crit.column]
    if crit.transform.get("type") == "categorical":
        return values.to_numpy(dtype=object)
    return numeric_column(parcels, crit.column, "parcels", context) if values.notna().all() \
        else pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
