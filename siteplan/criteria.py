"""Measures: the raw value of each criterion for each candidate parcel.

All measures are vectorised over parcels with shapely 2 arrays and an STRtree
per (layer, filter), built once per :class:`~siteplan.Layers` bundle and
reused. Distances are exact, from the parcel's edge (0 when it touches or
overlaps a feature).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import Problem, SiteplanInputError
from .transforms import saturation_distance

if TYPE_CHECKING:
    from .layers import Layers
    from .profiles import Criterion

__all__ = ["select_features", "measure", "measure_explained", "feature_tree",
           "NETWORK_MEASURES"]


def _geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(gdf.geometry.array, dtype=object)


def select_features(layers: Layers, layer: str, where: Mapping[str, tuple], *,
                    context: str, allow_empty: bool = False) -> gpd.GeoDataFrame:
    """The features of ``layer`` whose columns hold one of the allowed values.

    Raises a :class:`SiteplanInputError` naming ``context`` when the layer or
    a column is missing, or (unless ``allow_empty``) when nothing is left.
    """
    if layer not in layers:
        have = ", ".join(layers.names)
        raise SiteplanInputError(Problem(context, f"needs layer '{layer}', which was not "
                                         f"loaded (loaded: {have})",
                                         f"pass it to sp.load_layers ({layer}=... or "
                                         f"extra={{'{layer}': ...}})"))
    gdf = layers[layer]
    if not where:
        return gdf
    mask = np.ones(len(gdf), dtype=bool)
    for col, allowed in where.items():
        if col not in gdf.columns:
            cols = ", ".join(c for c in gdf.columns if c != "geometry")
            raise SiteplanInputError(Problem(context, f"filters layer '{layer}' on column "
                                             f"'{col}', which it does not have (it has: {cols})",
                                             "fix the column name in 'where'"))
        values = gdf[col]
        if values.dtype == object or str(values.dtype).startswith("string"):
            allowed_norm = {str(a).strip().lower() for a in allowed}
            mask &= values.astype("string").str.strip().str.lower().isin(allowed_norm).fillna(
                False).to_numpy(dtype=bool)
        else:
            mask &= values.isin(list(allowed)).to_numpy(dtype=bool)
    out = gdf.loc[mask]
    if len(out) == 0 and not allow_empty:
        have = {c: sorted(map(str, gdf[c].dropna().unique()))[:12] for c in where}
        raise SiteplanInputError(Problem(context, f"layer '{layer}' has no feature where "
                                         f"{dict(where)} (values present: {have})",
                                         "fix the filter values, or add such features"))
    return out


def feature_tree(layers: Layers, layer: str, where: Mapping[str, tuple], *, context: str,
                 dissolve: bool = False) -> tuple[shapely.STRtree, gpd.GeoDataFrame, np.ndarray]:
    """(STRtree, features, geometries) for a filtered layer, cached on the bundle.

    With ``dissolve``, overlapping features are merged first so that areas
    are counted once.
    """
    key = ("tree", layer, tuple(sorted((k, tuple(v)) for k, v in where.items())), dissolve)
    cache = layers._cache
    if key not in cache:
        feats = select_features(layers, layer, where, context=context)
        geoms = _geoms(feats)
        if dissolve:
            geoms = shapely.get_parts(shapely.union_all(geoms))
        cache[key] = (shapely.STRtree(geoms), feats, geoms)
    return cache[key]


def _distance(crit: Criterion, geoms: np.ndarray, layers: Layers, context: str) -> np.ndarray:
    tree, _, fgeoms = feature_tree(layers, crit.layer, crit.where, context=context)
    limit = saturation_distance(crit.transform)
    out = np.full(len(geoms), np.inf)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    key = ("vertices", crit.layer, tuple(sorted((k, tuple(v)) for k, v in crit.where.items())))
    if key not in layers._cache:
        from scipy.spatial import cKDTree

        xy, owner = shapely.get_coordinates(fgeoms, return_index=True)
        layers._cache[key] = (cKDTree(xy) if len(xy) else None, owner, shapely.bounds(fgeoms))
    kd, owner, fbox = layers._cache[key]
    if kd is None or not np.any(ok):
        return out
    out[ok] = _nearest(geoms[ok], fgeoms, tree, kd, owner, fbox, limit)
    return out


def _nearest(geoms, fgeoms, tree, kd, owner, fbox, limit, block=200_000):
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
        first = owner[kd.query((b[:, :2] + b[:, 2:]) / 2)[1]]
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


def _count_within(crit, geoms, layers, context):
    tree, _, _ = feature_tree(layers, crit.layer, crit.where, context=context)
    i_in, _ = tree.query(geoms, predicate="dwithin", distance=crit.radius)
    return np.bincount(i_in, minlength=len(geoms)).astype(float)


def _numeric_column(gdf: gpd.GeoDataFrame, column: str, layer: str, context: str) -> np.ndarray:
    if column not in gdf.columns:
        cols = ", ".join(c for c in gdf.columns if c != "geometry")
        raise SiteplanInputError(Problem(context, f"reads column '{column}' of layer '{layer}', "
                                         f"which it does not have (it has: {cols})",
                                         "fix 'column' in the profile"))
    values = pd.to_numeric(gdf[column], errors="coerce")
    bad = values.isna() & gdf[column].notna()
    if bad.any():
        raise SiteplanInputError(Problem(context, f"column '{column}' of layer '{layer}' must "
                                         f"be numeric, but holds {gdf[column][bad].iloc[0]!r} "
                                         f"(row {gdf.index[bad][0]})",
                                         "clean the column or choose another"))
    return values.fillna(0.0).to_numpy(dtype=float)


def _sum_within(crit, geoms, layers, context):
    """Sum of a column over features within ``radius``.

    Points count whole; polygons count by the share of their area inside the
    parcel's buffer (areal weighting, assuming the value spreads evenly), lines
    by the share of their length.
    """
    tree, feats, fgeoms = feature_tree(layers, crit.layer, crit.where, context=context)
    values = _numeric_column(feats, crit.column, crit.layer, context)
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    dim = shapely.get_dimensions(fgeoms)
    if (dim == 0).all():
        i_in, i_f = tree.query(geoms, predicate="dwithin", distance=crit.radius)
        return np.bincount(i_in, weights=values[i_f], minlength=len(geoms))
    buffers = shapely.buffer(geoms, crit.radius, quad_segs=16)
    i_in, i_f = tree.query(buffers, predicate="intersects")
    if len(i_in) == 0:
        return out
    share = np.ones(len(i_in))
    polys = dim[i_f] == 2
    if polys.any():
        inter = shapely.intersection(buffers[i_in[polys]], fgeoms[i_f[polys]])
        whole = shapely.area(fgeoms[i_f[polys]])
        share[polys] = np.divide(shapely.area(inter), whole, out=np.zeros(polys.sum()),
                                 where=whole > 0)
    lines = dim[i_f] == 1
    if lines.any():
        inter = shapely.intersection(buffers[i_in[lines]], fgeoms[i_f[lines]])
        whole = shapely.length(fgeoms[i_f[lines]])
        share[lines] = np.divide(shapely.length(inter), whole, out=np.zeros(lines.sum()),
                                 where=whole > 0)
    return np.bincount(i_in, weights=share * values[i_f], minlength=len(geoms))


def _overlap_share(crit, geoms, layers, context):
    tree, _, parts = feature_tree(layers, crit.layer, crit.where, context=context,
                                  dissolve=True)
    out = np.zeros(len(geoms))
    i_in, i_f = tree.query(geoms, predicate="intersects")
    if len(i_in):
        inter = shapely.area(shapely.intersection(geoms[i_in], parts[i_f]))
        out = np.bincount(i_in, weights=inter, minlength=len(geoms))
    area = shapely.area(geoms)
    return np.clip(np.divide(out, area, out=np.zeros(len(geoms)), where=area > 0), 0.0, 1.0)


def _zonal(crit, geoms, layers, context):
    """Value of a polygon layer's column at the parcel's inner point (NaN outside every zone)."""
    tree, feats, _ = feature_tree(layers, crit.layer, crit.where, context=context)
    if crit.column not in feats.columns:
        cols = ", ".join(c for c in feats.columns if c != "geometry")
        raise SiteplanInputError(Problem(context, f"reads column '{crit.column}' of layer "
                                         f"'{crit.layer}', which it does not have (it has: "
                                         f"{cols})", "fix 'column' in the profile"))
    pts = shapely.point_on_surface(geoms)
    i_in, i_f = tree.query(pts, predicate="intersects")
    first = np.unique(i_in, return_index=True)[1]
    values = feats[crit.column].to_numpy()
    out = np.full(len(geoms), np.nan, dtype=object if values.dtype == object else float)
    out[i_in[first]] = values[i_f[first]]
    return out


def _attribute(crit, parcels: gpd.GeoDataFrame, context: str):
    if crit.column not in parcels.columns:
        cols = ", ".join(c for c in parcels.columns if c != "geometry")
        raise SiteplanInputError(Problem(context, f"reads parcel column '{crit.column}', which "
                                         f"the parcels layer does not have (it has: {cols})",
                                         "add the column to the parcels or fix the profile"))
    values = parcels[crit.column]
    if crit.transform.get("type") == "categorical":
        return values.to_numpy(dtype=object)
    return _numeric_column(parcels, crit.column, "parcels", context) if values.notna().all() \
        else pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


NETWORK_MEASURES = {"network_distance": "distance", "travel_time": "distance",
                    "network_catchment": "sum_within"}


def measure_explained(crit: Criterion, parcels: gpd.GeoDataFrame, layers: Layers, *,
                      profile_name: str = "profile"
                      ) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Raw values of one criterion, per-parcel notes (or None), and the measure used.

    A network measure falls back to its straight-line ``fallback`` measure
    when the bundle has no roads layer; the third value says which was used.
    """
    context = f"profile '{profile_name}' criterion '{crit.name}'"
    geoms = _geoms(parcels)
    m = crit.measure
    if m in NETWORK_MEASURES:
        if "roads" not in layers and crit.fallback:
            from dataclasses import replace

            fallback = replace(crit, measure=crit.fallback)
            values, notes, _ = measure_explained(fallback, parcels, layers,
                                                 profile_name=profile_name)
            return values, notes, f"{crit.fallback} (fallback: no roads layer)"
        from . import network

        values, notes = getattr(network, m)(crit, geoms, layers, context)
        return values, notes, m
    if m in {"rth_shortfall", "pop_beyond_reach"}:
        from . import rth

        return rth.measure(crit, geoms, layers, context), None, m
    return _plain(crit, m, geoms, parcels, layers, context), None, m


def _plain(crit, m, geoms, parcels, layers, context):
    if m == "distance":
        return _distance(crit, geoms, layers, context)
    if m == "count_within":
        return _count_within(crit, geoms, layers, context)
    if m == "sum_within":
        return _sum_within(crit, geoms, layers, context)
    if m == "area":
        return shapely.area(geoms)
    if m == "attribute":
        return _attribute(crit, parcels, context)
    if m == "overlap_share":
        return _overlap_share(crit, geoms, layers, context)
    if m == "zonal":
        return _zonal(crit, geoms, layers, context)
    raise SiteplanInputError(Problem(context, f"unknown measure {m!r}", "see the profile docs"))


def measure(crit: Criterion, parcels: gpd.GeoDataFrame, layers: Layers, *,
            profile_name: str = "profile") -> np.ndarray:
    """Raw values of one criterion for the given parcels (aligned to their rows)."""
    return measure_explained(crit, parcels, layers, profile_name=profile_name)[0]
