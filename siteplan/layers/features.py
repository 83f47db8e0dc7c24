"""Feature selection: one layer's features filtered by ``where``, and their search trees.

The one home for "the features of layer L whose column C holds one of these
values", used by constraints, measures, RTH need and maps alike. Trees are
cached on the layer bundle; they depend on context layers only, never on the
parcels, so every partition of the dask engine may share them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError
from .bundle import CacheKey

if TYPE_CHECKING:
    from .bundle import Layers

__all__ = ["select_features", "feature_tree", "geoms_of", "numeric_column", "where_key",
           "require_column", "none_of_a_kind"]


def require_column(gdf: pd.DataFrame, column: str, *, layer: str, context: str,
                   fix: str, use: str = "reads") -> None:
    """Raise a clear error when ``column`` is not a column of ``layer``, listing those it has."""
    if column not in gdf.columns:
        cols = ", ".join(c for c in gdf.columns if c != "geometry")
        raise SiteplanInputError(Problem(context, f"{use} column '{column}' of layer '{layer}', "
                                         f"which it does not have (it has: {cols})", fix))


def where_key(where: Mapping[str, Sequence] | None) -> tuple:
    """A hashable, order-free form of a ``where`` filter (for cache keys)."""
    return tuple(sorted((k, tuple(v)) for k, v in (where or {}).items()))


def geoms_of(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """The geometries of a frame as a shapely object array."""
    return np.asarray(gdf.geometry.array, dtype=object)


def none_of_a_kind(layer: str, where: Mapping[str, Sequence] | None) -> bool:
    """True when ``where`` asks only for values of a closed vocabulary
    (:data:`siteplan.io.schema.CLOSED_VALUES`, e.g. the rivers' ``width_class``).

    Selecting nothing then means "nothing of that kind here", as an empty
    layer does, not a filter that is wrong.
    """
    from ..io.schema import CLOSED_VALUES

    if not where:
        return False
    for col, allowed in where.items():
        known = CLOSED_VALUES.get((layer, col))
        if known is None or not {str(a).strip().lower() for a in allowed} <= set(known):
            return False
    return True


def select_features(layers: Layers | Mapping[str, Any], layer: str,
                    where: Mapping[str, Sequence], *,
                    context: str, allow_empty: bool = False) -> gpd.GeoDataFrame:
    """The features of ``layer`` whose columns hold one of the allowed values.

    Raises a :class:`SiteplanInputError` naming ``context`` when the layer or
    a column is missing, or (unless ``allow_empty``) when nothing is left.
    ``layers`` may also be a plain mapping of frames (a map drawn from one).
    """
    if layer not in layers:
        have = ", ".join(layers)
        raise SiteplanInputError(Problem(context, f"needs layer '{layer}', which was not "
                                         f"loaded (loaded: {have})",
                                         f"pass it to sp.load_layers ({layer}=... or "
                                         f"extra={{'{layer}': ...}})"))
    gdf = layers.features(layer) if hasattr(layers, "features") else layers[layer]
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SiteplanInputError(Problem(context, f"reads features of layer '{layer}', which is "
                                         "a raster", "measure it with measure = \"zonal\" (or "
                                         "\"slope\" for a DEM), or constrain it with an "
                                         "'outside' rule and at_least / values"))
    if not where or len(gdf) == 0:  # an empty layer: nothing of that kind, whatever the filter
        return gdf
    mask = np.ones(len(gdf), dtype=bool)
    for col, allowed in where.items():
        require_column(gdf, col, layer=layer, context=context, use="filters on",
                       fix="fix the column name in 'where'")
        values = gdf[col]
        if values.dtype == object or str(values.dtype).startswith("string"):
            allowed_norm = {str(a).strip().lower() for a in allowed}
            mask &= values.astype("string").str.strip().str.lower().isin(allowed_norm).fillna(
                False).to_numpy(dtype=bool)
        else:
            mask &= values.isin(list(allowed)).to_numpy(dtype=bool)
    out = gdf.loc[mask]
    if len(out) == 0 and not allow_empty and not none_of_a_kind(layer, where):
        present = {c: sorted(map(str, gdf[c].dropna().unique()))[:12] for c in where}
        raise SiteplanInputError(Problem(context, f"layer '{layer}' has no feature where "
                                         f"{dict(where)} (values present: {present})",
                                         "fix the filter values, or add such features, "
                                         "or score with missing=\"skip\" to leave the rule "
                                         "out"))
    return out


def feature_tree(layers: Layers, layer: str, where: Mapping[str, Sequence], *, context: str,
                 dissolve: bool = False) -> tuple[shapely.STRtree, gpd.GeoDataFrame, np.ndarray]:
    """(STRtree, features, geometries) for a filtered layer, cached on the bundle.

    With ``dissolve``, overlapping features are merged first so that areas
    are counted once.
    """
    def build():
        feats = select_features(layers, layer, where, context=context)
        geoms = geoms_of(feats)
        if dissolve:
            geoms = shapely.get_parts(shapely.union_all(geoms))
        return shapely.STRtree(geoms), feats, geoms

    key = CacheKey("tree", (layer,), (where_key(where), dissolve))
    return layers.cache.get(key, build)


def numeric_column(gdf: gpd.GeoDataFrame, column: str, layer: str, context: str) -> np.ndarray:
    """A numeric column as floats (missing values 0); text that is not a number is an error."""
    require_column(gdf, column, layer=layer, context=context, fix="fix 'column' in the profile")
    values = pd.to_numeric(gdf[column], errors="coerce")
    bad = values.isna() & gdf[column].notna()
    if bad.any():
        raise SiteplanInputError(Problem(context, f"column '{column}' of layer '{layer}' must "
                                         f"be numeric, but holds {gdf[column][bad].iloc[0]!r} "
                                         f"(row {gdf.index[bad][0]})",
                                         "clean the column or choose another"))
    return values.fillna(0.0).to_numpy(dtype=float)


def check_pairs(tree: shapely.STRtree, geoms: np.ndarray, distance: float, *, context: str,
                layer: str, what: str = "radius") -> None:
    """Refuse a search whose parcel-feature pairs would pass :data:`~siteplan.limits.MAX_PAIRS`.

    The pairs of up to 64 parcels spread through the array are counted and
    scaled to all of them: a radius that puts every feature near every parcel
    is named before it fills the memory.
    """
    from ..limits import MAX_PAIRS

    n = len(geoms)
    if n == 0 or len(tree) * n <= MAX_PAIRS:
        return
    pick = np.unique(np.linspace(0, n - 1, min(n, 64)).astype(np.int64))
    i, _ = tree.query(geoms[pick], predicate="dwithin", distance=distance)
    estimate = len(i) / len(pick) * n
    if estimate > MAX_PAIRS:
        raise SiteplanInputError(Problem(
            context, f"{what} {distance:,g} m puts about {len(i) / len(pick):,.0f} features of "
            f"layer '{layer}' near each of {n:,} parcels, about {estimate:,.0f} pairs, over "
            f"the limit of {MAX_PAIRS:,} (siteplan.limits.MAX_PAIRS)",
            f"use a smaller {what}, or fewer features (a 'where' filter)"))


def warn_far_layers(layers: Layers, names, parcels: gpd.GeoDataFrame, *, context: str,
                    stacklevel: int = 2) -> None:
    """Warn when candidate parcels lie farther than :data:`~siteplan.limits.FAR_WARNING`
    from the extent of a layer the profile reads.

    Parcels thousands of kilometres from the roads or the population are
    scored (every distance is huge, every count 0) but almost certainly wrong:
    a layer of another place, or coordinates in the wrong CRS. One
    :class:`~siteplan.SiteplanDataWarning` names each such layer, how many
    parcels and the farthest distance.
    """
    import warnings

    import pyproj

    from .._errors import SiteplanDataWarning
    from ..limits import FAR_WARNING
    from .raster import RasterLayer

    if len(parcels) == 0:
        return
    pb = None       # the parcels' boxes, read when a layer has an extent to compare
    found = []
    for name in dict.fromkeys(names):
        layer = layers.get(name)
        if isinstance(layer, RasterLayer):
            x0, y0, x1, y1 = layer.bounds
            if not layer.crs.equals(layers.crs):
                tr = pyproj.Transformer.from_crs(layer.crs, layers.crs, always_xy=True)
                x0, y0, x1, y1 = tr.transform_bounds(x0, y0, x1, y1)
        elif isinstance(layer, gpd.GeoDataFrame) and len(layer):
            x0, y0, x1, y1 = layer.total_bounds
        else:
            continue
        if not np.isfinite([x0, y0, x1, y1]).all():
            continue
        if pb is None:
            pb = shapely.bounds(geoms_of(parcels))   # NaN: an empty geometry, never far
            # column by column (a reduction over axis 0 of the table is ten times slower)
            lx, ly = np.fmin.reduce(pb[:, 0]), np.fmin.reduce(pb[:, 1])
            hx, hy = np.fmax.reduce(pb[:, 2]), np.fmax.reduce(pb[:, 3])
            if not np.isfinite([lx, ly, hx, hy]).all():
                return
            corners = np.array([(lx, ly), (lx, hy), (hx, ly), (hx, hy)])
        # no parcel box is farther from the layer's box than the farthest corner of the
        # parcels' whole extent (the distance to a box is convex): most layers end here
        reach = np.hypot(np.maximum(np.maximum(x0 - corners[:, 0], corners[:, 0] - x1), 0.0),
                         np.maximum(np.maximum(y0 - corners[:, 1], corners[:, 1] - y1), 0.0))
        if not reach.max() > FAR_WARNING:
            continue
        dx = np.maximum(np.maximum(x0 - pb[:, 2], pb[:, 0] - x1), 0.0)
        dy = np.maximum(np.maximum(y0 - pb[:, 3], pb[:, 1] - y1), 0.0)
        gap = np.hypot(dx, dy)
        far = gap > FAR_WARNING
        if far.any():
            found.append(f"layer '{name}' ({int(far.sum()):,} of {len(parcels):,} parcels, "
                         f"the farthest {np.nanmax(gap) / 1000:,.0f} km away)")
    if found:
        warnings.warn(f"{context}: candidate parcels lie more than {FAR_WARNING / 1000:,.0f} "
                      f"km from the extent of {'; '.join(found)}. Check that the layers "
                      "cover the same place and that each file's CRS is right.",
                      SiteplanDataWarning, stacklevel=stacklevel)
