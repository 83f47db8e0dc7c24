"""Constraints: hard rules that exclude a candidate parcel, each with its reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import Problem, SiteplanInputError
from .criteria import feature_tree

if TYPE_CHECKING:
    from .layers import Layers

__all__ = ["constraint_label", "apply_constraints", "candidate_mask"]


def constraint_label(con: Mapping[str, Any]) -> str:
    """A short, stable text naming a constraint, used in ``excluded_by``."""
    kind = con["type"]
    if kind == "min_area":
        return f"min_area {con['value']:g} m²"
    if kind == "max_area":
        return f"max_area {con['value']:g} m²"
    where = "".join(f" {k}={list(v)}" for k, v in (con.get("where") or {}).items())
    if kind == "outside":
        return f"outside {con['layer']}{where} +{con.get('buffer', 0):g} m"
    if kind == "inside":
        buf = f" +{con['buffer']:g} m" if con.get("buffer") else ""
        return f"inside {con['layer']}{where}{buf}"
    parts = [f"attribute {con['column']}"]
    for key in ("in", "not_in", "min", "max"):
        if key in con:
            parts.append(f"{key} {con[key]}")
    return " ".join(parts)


def candidate_mask(parcels: gpd.GeoDataFrame, candidates: Mapping[str, tuple],
                   context: str) -> np.ndarray:
    """Parcels whose columns hold one of the allowed values of ``[candidates]``."""
    mask = np.ones(len(parcels), dtype=bool)
    for col, allowed in candidates.items():
        if col not in parcels.columns:
            cols = ", ".join(c for c in parcels.columns if c != "geometry")
            raise SiteplanInputError(Problem(context, f"[candidates] selects on parcel column "
                                             f"'{col}', which the parcels do not have (they "
                                             f"have: {cols})", f"add '{col}' to the parcels "
                                             "or change [candidates]"))
        norm = {str(a).strip().lower() for a in allowed}
        mask &= parcels[col].astype("string").str.strip().str.lower().isin(norm).fillna(
            False).to_numpy(dtype=bool)
    return mask


def _pieces(layers: Layers, layer: str, where: Mapping[str, tuple], fgeoms: np.ndarray
            ) -> tuple[shapely.STRtree, np.ndarray]:
    """The features with long lines cut into runs of at most 16 segments (cached).

    A parcel's distance to a line is the least of its distances to the
    line's segments, so the pieces give the same answer; a setback test then
    reads 16 segments, not a whole river, for each parcel near its box.
    """
    key = ("pieces", layer, tuple(sorted((k, tuple(v)) for k, v in where.items())))
    if key not in layers._cache:
        parts = shapely.get_parts(fgeoms)
        long = (shapely.get_type_id(parts) == 1) & (shapely.get_num_coordinates(parts) > 17)
        cut = [shapely.linestrings(xy[s:s + 17]) for xy in
               (shapely.get_coordinates(line) for line in parts[long])
               for s in range(0, len(xy) - 1, 16)]
        pieces = np.concatenate([parts[~long], np.array(cut, dtype=object)])
        layers._cache[key] = (shapely.STRtree(pieces), pieces)
    return layers._cache[key]


def _fails(con: Mapping[str, Any], parcels: gpd.GeoDataFrame, layers: Layers,
           context: str) -> np.ndarray:
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    kind = con["type"]
    if kind == "min_area":
        return shapely.area(geoms) < con["value"]
    if kind == "max_area":
        return shapely.area(geoms) > con["value"]
    if kind == "outside":
        tree, _, fgeoms = feature_tree(layers, con["layer"], con.get("where") or {},
                                       context=context)
        buffer = float(con.get("buffer", 0.0))
        fail = np.zeros(len(geoms), dtype=bool)
        if buffer > 0:
            tree, fgeoms = _pieces(layers, con["layer"], con.get("where") or {}, fgeoms)
            i_in, i_f = tree.query(geoms, predicate="dwithin", distance=buffer)
            # a parcel exactly ``buffer`` metres away keeps the rule
            close = shapely.distance(geoms[i_in], fgeoms[i_f]) < buffer
            fail[i_in[close]] = True
        else:
            i_in, i_f = tree.query(geoms, predicate="intersects")
            # touching along an edge is not overlapping
            inside = ~shapely.touches(geoms[i_in], fgeoms[i_f])
            fail[i_in[inside]] = True
        return fail
    if kind == "inside":
        tree, _, _ = feature_tree(layers, con["layer"], con.get("where") or {}, context=context)
        pts = shapely.point_on_surface(geoms)
        buffer = float(con.get("buffer", 0.0))
        if buffer > 0:
            i_in, _ = tree.query(pts, predicate="dwithin", distance=buffer)
        else:
            i_in, _ = tree.query(pts, predicate="intersects")
        ok = np.zeros(len(geoms), dtype=bool)
        ok[i_in] = True
        return ~ok
    # attribute rule on a parcel column
    col = con["column"]
    if col not in parcels.columns:
        cols = ", ".join(c for c in parcels.columns if c != "geometry")
        raise SiteplanInputError(Problem(context, f"reads parcel column '{col}', which the "
                                         f"parcels do not have (they have: {cols})",
                                         "fix 'column' or add it to the parcels"))
    values = parcels[col]
    fail = np.zeros(len(parcels), dtype=bool)
    if "in" in con or "not_in" in con:
        text = values.astype("string").str.strip().str.lower()
        if "in" in con:
            fail |= ~text.isin({str(v).lower() for v in con["in"]}).fillna(False).to_numpy(bool)
        if "not_in" in con:
            fail |= text.isin({str(v).lower() for v in con["not_in"]}).fillna(False).to_numpy(
                bool)
    if "min" in con or "max" in con:
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if "min" in con:
                fail |= ~(num >= con["min"])
            if "max" in con:
                fail |= ~(num <= con["max"])
    return fail


def apply_constraints(parcels: gpd.GeoDataFrame, constraints, layers: Layers, *,
                      profile_name: str = "profile") -> np.ndarray:
    """``excluded_by`` text for each parcel: the labels of every rule it breaks, or ""."""
    reasons = np.full(len(parcels), "", dtype=object)
    for i, con in enumerate(constraints, 1):
        context = f"profile '{profile_name}' constraint {i} ({con['type']})"
        fail = _fails(con, parcels, layers, context)
        label = constraint_label(con)
        # join texts only where the rule fails (one Python string per row is slow at 10^6)
        more = fail & (reasons != "")
        reasons[more] = reasons[more] + "; " + label
        reasons[fail & ~more] = label
    return reasons
