"""Prepare one layer: match its columns, check it, repair or reject its features, reproject.

Used by :func:`siteplan.load_layers` and :meth:`siteplan.Layers.replace`
alike (:func:`prepare_all`), so a layer added later is held to the same rules.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .._errors import Problem
from .admin import recognise_admin
from .schema import LAYER_SCHEMAS, LayerSchema
from .validate import (
    _check_crs_fits,
    _check_geometry_types,
    _check_text_encoding,
    _coerce_columns,
    _complete_admin,
    _complete_rivers,
    _fix_geometry,
    _listed,
    _norm,
    _points_from_areas,
    _reject_far_outliers,
    _reject_outside_crs_area,
)

__all__ = ["prepare_layer", "prepare_all", "PreparedLayer", "REPAIR_COLUMNS", "REJECT_COLUMNS",
           "concat_reports"]

log = logging.getLogger(__name__)

REPAIR_COLUMNS = ["layer", "row", "feature_id", "problem", "action"]
REJECT_COLUMNS = ["layer", "row", "feature_id", "reason"]


def concat_reports(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Repair or rejection reports stacked into one frame (empty with ``columns`` if none)."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


@dataclass
class PreparedLayer:
    data: gpd.GeoDataFrame
    repairs: pd.DataFrame
    rejected: pd.DataFrame
    rejected_rows: gpd.GeoDataFrame | None


def _match_columns(gdf: gpd.GeoDataFrame, schema: LayerSchema | None) -> dict[str, str]:
    """Map actual column names to canonical ones (case- and punctuation-insensitive)."""
    if schema is None:
        return {}
    present: dict[str, str] = {}
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        present.setdefault(_norm(col), col)
    renames: dict[str, str] = {}
    taken = set(gdf.columns)
    for spec in schema.columns:
        if spec.name in gdf.columns:
            continue
        for candidate in (spec.name, *spec.aliases):
            actual = present.get(_norm(candidate))
            if actual is not None and actual not in renames and actual != gdf.geometry.name:
                if spec.name not in taken:
                    renames[actual] = spec.name
                    taken.add(spec.name)
                break
    return renames


def _user_columns(name: str, gdf: gpd.GeoDataFrame, columns: Mapping[str, str],
                  problems: list[Problem]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The caller's own column names (``columns={"ID": "parcel_id"}``) renamed first.

    A name is found exactly, else case- and punctuation-insensitively; each
    renaming is returned as a note for ``Layers.repairs``.
    """
    where = f"layer '{name}'"
    present: dict[str, str] = {}
    for col in gdf.columns:
        if col != gdf.geometry.name:
            present.setdefault(_norm(col), col)
    renames, notes = {}, []
    for src, dst in columns.items():
        actual = src if src in gdf.columns else present.get(_norm(src))
        if actual is None or actual == gdf.geometry.name:
            cols = _listed([c for c in gdf.columns if c != gdf.geometry.name], 12)
            problems.append(Problem(where, f"the column mapping {src!r} -> {dst!r} names "
                                    f"column {src!r}, which the layer does not have (it "
                                    f"has: {cols})", "map one of the columns listed"))
            continue
        if dst in gdf.columns and dst != actual and dst not in columns:
            problems.append(Problem(where, f"the column mapping {src!r} -> {dst!r} would "
                                    f"give a second column {dst!r} (the layer has one)",
                                    f"map {dst!r} away too, or drop one of the two"))
            continue
        renames[actual] = dst
        notes.append(f"column {actual!r} read as {dst!r}")
    return gdf.rename(columns=renames), notes


def _user_values(name: str, gdf: gpd.GeoDataFrame, values: Mapping[str, Mapping[str, str]],
                 used: set[str]) -> list[pd.DataFrame]:
    """The caller's value mapping (``values={"ownership": {"municipal": "pemda"}}``).

    Matching is case-insensitive and ignores surrounding spaces; the counts of
    every recoded value are noted.
    """
    notes = []
    for col, mapping in values.items():
        if col not in gdf.columns:
            continue
        used.add(col)
        lookup = {str(k).strip().lower(): v for k, v in mapping.items()}
        text = gdf[col].astype("string").str.strip().str.lower()
        new = text.map(lookup)
        hit = new.notna().to_numpy(bool)
        if not hit.any():
            continue
        counts = text[hit].value_counts()
        said = ", ".join(f"{k!r} -> {lookup[k]!r} ({n:,} rows)" for k, n in counts.items())
        gdf[col] = gdf[col].astype(object).where(~hit, new.astype(object))
        notes.append(pd.DataFrame([{"layer": name, "row": None, "feature_id": None,
                                    "problem": f"values of column {col!r} recoded: {said}",
                                    "action": "read with the value mapping given"}]))
    return notes


def _fill_defaults(name: str, gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[pd.DataFrame]:
    """Fill a column's default (``ColumnSpec.default``) where a value is absent, noted."""
    notes = []
    for spec in schema.columns:
        if spec.default is None or spec.name not in gdf.columns:
            continue
        col = gdf[spec.name]
        absent = (col.isna() | (col.astype("string").str.strip() == "")).fillna(
            True).to_numpy(bool)
        if absent.any():
            gdf.loc[absent, spec.name] = spec.default
            notes.append(pd.DataFrame([{
                "layer": name, "row": None, "feature_id": None,
                "problem": f"{int(absent.sum()):,} of {len(gdf):,} features have no "
                           f"{spec.name}",
                "action": f"{spec.name} set to the default {spec.default!r}"}]))
    return notes


def prepare_layer(
    name: str,
    gdf: gpd.GeoDataFrame,
    *,
    crs: pyproj.CRS | None,
    problems: list[Problem],
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    values_used: set[str] | None = None,
) -> PreparedLayer | None:
    """Validate, rename, repair and reproject one layer.

    Problems go to ``problems``; the layer is returned prepared, or None when
    it has problems that stop it being prepared. ``columns`` renames the
    caller's columns before the aliases are matched; ``values`` recodes
    values of (canonical) columns before they are checked; the names of the
    ``values`` columns this layer has are added to ``values_used``.
    """
    schema = LAYER_SCHEMAS.get(name)
    if not _readable(name, gdf, problems):
        return None
    if len(gdf) == 0:
        return _empty_layer(name, gdf, schema, crs)
    n_before = len(problems)
    _check_crs_fits(name, gdf, problems)
    gdf, repairs = _canonical_columns(name, gdf, schema, columns, problems)
    if len(problems) > n_before:
        return None
    id_col = "parcel_id" if name == "parcels" else None
    gdf = gdf.copy()
    if not gdf.index.is_unique:
        gdf = gdf.reset_index(drop=True)
    repairs += _checked_values(name, gdf, schema, values, values_used, problems)
    if len(problems) > n_before:
        return None

    # geometry: drop Z, repair, reject what cannot be used
    geoms, reason = _unusable_geometry(gdf)
    ok = reason == ""
    ids = gdf[id_col].to_numpy() if id_col else None
    geoms = _fix_geometry(name, gdf, geoms, ok, reason, repairs=repairs, ids=ids)
    ok = reason == ""
    if schema is not None:
        _check_geometry_types(name, gdf, geoms, ok, schema, problems=problems, repairs=repairs)
        if len(problems) > n_before:
            return None
        if name == "pois":
            geoms = _points_from_areas(geoms, ok)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    gdf, ok = _reproject(gdf, crs, ok, reason)
    if name == "parcels":
        _reject_far_outliers(gdf, ok, reason)
        ok = reason == ""
    rejected, rejected_rows = _rejections(name, gdf, ok, reason, ids)
    gdf = gdf.loc[ok]
    if len(gdf) == 0:
        problems.append(Problem(f"layer '{name}'", f"has no usable feature: all {len(reason)} "
                                f"were rejected ({_listed(pd.unique(reason))})",
                                "repair the geometries in a GIS and load it again"))
        return None
    gdf = _complete(name, gdf, repairs)
    return PreparedLayer(gdf, concat_reports(repairs, REPAIR_COLUMNS),
                         concat_reports(rejected, REJECT_COLUMNS), rejected_rows)


def _readable(name: str, gdf: gpd.GeoDataFrame, problems: list[Problem]) -> bool:
    """False (with the problem) for a layer that is no GeoDataFrame, empty parcels or no CRS.

    Another empty layer is readable: it is kept as 'nothing of this kind here'.
    """
    where = f"layer '{name}'"
    if not isinstance(gdf, gpd.GeoDataFrame):
        problems.append(Problem(where, f"got a {type(gdf).__name__}, not a GeoDataFrame",
                                "pass a file path or a geopandas.GeoDataFrame"))
        return False
    if len(gdf) == 0:
        if name == "parcels":
            problems.append(Problem(where, "is empty (0 features): there is nothing to score",
                                    "check the file or the filter that produced it"))
            return False
        return True
    if gdf.crs is None:
        problems.append(Problem(where, "has no CRS (coordinate reference system)",
                                "set it with gdf.set_crs('EPSG:...') or ship the .prj file "
                                "with a Shapefile (Kota Serang data is usually EPSG:32748 "
                                "or EPSG:4326)"))
        return False
    return True


def _canonical_columns(name: str, gdf: gpd.GeoDataFrame, schema: LayerSchema | None,
                       columns: Mapping[str, str] | None,
                       problems: list[Problem]) -> tuple[gpd.GeoDataFrame, list[pd.DataFrame]]:
    """The layer with siteplan's column names (the caller's mapping, a boundary schema, aliases).

    Returns the renamed layer and the notes on how it was read; a required
    column that is missing (and has no default) is reported.
    """
    renamed: list[str] = []
    if columns:
        gdf, renamed = _user_columns(name, gdf, columns, problems)
    recognised = None
    if name == "admin":  # BPS, BIG RBI, HDX COD-AB files are read as they are
        gdf, recognised = recognise_admin(gdf)
    gdf = gdf.rename(columns=_match_columns(gdf, schema))
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    if schema is not None:
        gdf = _required_columns(name, gdf, schema, problems)
    return gdf, _read_notes(name, renamed, gdf.attrs.get("siteplan_read_notes") or [],
                            recognised)


def _required_columns(name: str, gdf: gpd.GeoDataFrame, schema: LayerSchema,
                      problems: list[Problem]) -> gpd.GeoDataFrame:
    """The schema's required columns: one with a default added empty, one without reported."""
    for spec in schema.required:
        if spec.name not in gdf.columns and spec.default is not None:
            gdf = gdf.assign(**{spec.name: None})
        elif spec.name not in gdf.columns:
            aliases = ", ".join(spec.aliases)
            cols = _listed([c for c in gdf.columns if c != "geometry"], 12)
            problems.append(Problem(
                f"layer '{name}'", f"required column '{spec.name}' ({spec.meaning}) is "
                f"missing; accepted names are {spec.name}, {aliases}; the layer has: {cols}",
                f"name the column that holds it: sp.load_layers(..., columns="
                f"{{'{name}': {{'<your column>': '{spec.name}'}}}})",
                cli=f"name the column that holds it: --column {name}:COLUMN="
                f"{spec.name}"))
    return gdf


def _read_notes(name: str, renamed: list[str], notes: list[str],
                recognised: Mapping | None) -> list[pd.DataFrame]:
    """Repair rows saying how a layer was read: columns mapped, GDAL's notes, a boundary schema."""
    repairs: list[pd.DataFrame] = []
    if renamed:
        repairs.append(pd.DataFrame({"layer": name, "row": None, "feature_id": None,
                                     "problem": renamed, "action": "read with the column "
                                     "mapping given"}))
    if notes:
        repairs.append(pd.DataFrame({"layer": name, "row": None, "feature_id": None,
                                     "problem": notes, "action": "read by GDAL as noted"}))
    if recognised:
        cols = ", ".join(f"{k} from '{v}'" for k, v in recognised["columns"].items())
        repairs.append(pd.DataFrame([{
            "layer": name, "row": None, "feature_id": None,
            "problem": f"boundary file in the {recognised['title']} schema "
                       f"({recognised['level']} level)",
            "action": f"read as it is; siteplan columns added: {cols}"}]))
    return repairs


def _checked_values(name: str, gdf: gpd.GeoDataFrame, schema: LayerSchema | None,
                    values: Mapping[str, Mapping[str, str]] | None,
                    values_used: set[str] | None,
                    problems: list[Problem]) -> list[pd.DataFrame]:
    """The layer's values recoded, coerced to their column's kind, defaulted, checked (in place).

    Returns the notes on what was recoded or filled in.
    """
    repairs: list[pd.DataFrame] = []
    if values:
        repairs += _user_values(name, gdf, values, values_used if values_used is not None
                                else set())
    if schema is not None:
        _coerce_columns(name, gdf, schema, problems)
        repairs += _fill_defaults(name, gdf, schema)
    _check_text_encoding(name, gdf, problems)
    return repairs


def _unusable_geometry(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The layer's 2D geometries, and why each cannot be used ("" when it can).

    Null, empty and NaN or infinite coordinates, then outside the CRS's area.
    """
    geoms = shapely.force_2d(gdf.geometry.values.to_numpy() if hasattr(
        gdf.geometry.values, "to_numpy") else np.asarray(gdf.geometry.values))
    reason = np.full(len(gdf), "", dtype=object)
    is_null = shapely.is_missing(geoms)
    reason[is_null] = "null geometry"
    is_empty = ~is_null & shapely.is_empty(geoms)
    reason[is_empty] = "empty geometry"
    coords, where_idx = shapely.get_coordinates(geoms, return_index=True)
    if len(coords):
        bad_pt = ~np.isfinite(coords).all(axis=1)
        if bad_pt.any():
            nonfinite = np.zeros(len(gdf), bool)
            nonfinite[np.unique(where_idx[bad_pt])] = True
            reason[nonfinite & (reason == "")] = "coordinates that are NaN or infinite"
    ok = reason == ""
    _reject_outside_crs_area(gdf.crs, geoms, ok, reason)
    return geoms, reason


def _reproject(gdf: gpd.GeoDataFrame, crs: pyproj.CRS | None, ok: np.ndarray,
               reason: np.ndarray) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The layer in ``crs``; features whose coordinates it cannot hold get a reason."""
    if crs is not None and not gdf.crs.equals(crs):
        with np.errstate(all="ignore"):
            gdf = gdf.to_crs(crs)
        # reprojection can turn huge or out-of-range coordinates into inf
        after = gdf.geometry.values.to_numpy() if hasattr(
            gdf.geometry.values, "to_numpy") else np.asarray(gdf.geometry.values)
        c2, i2 = shapely.get_coordinates(after, return_index=True)
        if len(c2):
            bad = np.zeros(len(gdf), bool)
            bad[np.unique(i2[~np.isfinite(c2).all(axis=1)])] = True
            reason[bad & ok] = f"coordinates outside what {crs.name} can represent"
            ok = reason == ""
    return gdf, ok


def _rejections(name: str, gdf: gpd.GeoDataFrame, ok: np.ndarray, reason: np.ndarray,
                ids: np.ndarray | None) -> tuple[list[pd.DataFrame], gpd.GeoDataFrame | None]:
    """The rejection report of the features not ``ok`` and, for parcels, those rows themselves."""
    rejected: list[pd.DataFrame] = []
    if (~ok).any():
        rows = gdf.index[~ok]
        rejected.append(pd.DataFrame({
            "layer": name, "row": rows,
            "feature_id": ids[~ok] if ids is not None else rows,
            "reason": reason[~ok]}))
        log.warning("layer '%s': %d features rejected (%s)", name, (~ok).sum(),
                    _listed(pd.unique(reason[~ok])))
    rejected_rows = None
    if name == "parcels":
        rejected_rows = gdf.loc[~ok].copy()
        rejected_rows["reason"] = reason[~ok]
    return rejected, rejected_rows


def _complete(name: str, gdf: gpd.GeoDataFrame,
              repairs: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    """What a layer's kind adds: parcel areas from the geometry, admin levels, river classes."""
    if name == "parcels":
        gdf = _parcel_areas(gdf, repairs)
    if name == "admin":
        _complete_admin(gdf, repairs)
    if name == "rivers":
        _complete_rivers(gdf, repairs)
    return gdf


def _parcel_areas(gdf: gpd.GeoDataFrame, repairs: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    """Parcels with area_m2 from the geometry; a recorded area is kept as area_m2_input."""
    if "area_m2" in gdf.columns:
        gdf = gdf.rename(columns={"area_m2": "area_m2_input"})
        recorded = gdf["area_m2_input"]
        bad = recorded.notna() & (recorded <= 0)
        if bad.any():
            repairs.append(pd.DataFrame({
                "layer": "parcels", "row": gdf.index[bad],
                "feature_id": gdf.loc[bad, "parcel_id"].to_numpy(),
                "problem": "recorded area " + recorded[bad].astype(str) + " m² is not "
                "positive",
                "action": "area_m2 computed from the geometry (the recorded value stays "
                "in area_m2_input)"}))
    # the area always comes from the geometry in the metric CRS
    gdf["area_m2"] = gdf.geometry.area
    return gdf


def _empty_layer(name: str, gdf: gpd.GeoDataFrame, schema: LayerSchema | None,
                 crs: pyproj.CRS | None) -> PreparedLayer:
    """An empty layer is legal: there is nothing of that kind. Kept, with the schema's
    columns (renamed from aliases, or added empty), in the metric CRS, and noted."""
    gdf = gdf.rename(columns=_match_columns(gdf, schema))
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    target = crs if crs is not None else gdf.crs
    gdf = gdf.set_crs(target, allow_override=True) if gdf.crs is None or target is None \
        else gdf.to_crs(target)
    for spec in (schema.columns if schema is not None else ()):
        if spec.name not in gdf.columns:
            gdf[spec.name] = pd.Series(dtype=float if spec.kind == "number" else
                                       bool if spec.kind == "bool" else object)
    log.info("layer '%s' is empty: nothing of that kind in the study area", name)
    note = pd.DataFrame([{"layer": name, "row": None, "feature_id": None,
                          "problem": "empty layer (0 features)",
                          "action": "kept: read as 'nothing of this kind here'"}])
    return PreparedLayer(gdf.reset_index(drop=True), note,
                         pd.DataFrame(columns=REJECT_COLUMNS), None)


def prepare_all(frames: Mapping[str, gpd.GeoDataFrame], *, crs: pyproj.CRS,
                problems: list[Problem],
                columns: Mapping[str, Mapping[str, str]] | None = None,
                values: Mapping[str, Mapping[str, str]] | None = None,
                values_used: set[str] | None = None,
                ) -> tuple[dict, list, list, gpd.GeoDataFrame | None]:
    """Prepare every frame: (data by name, repair reports, rejection reports, rejected parcels).

    Problems are appended to ``problems``; a layer with a problem is left out.
    ``columns`` maps a layer name to its column renaming, ``values`` a column
    to its value recoding (see :func:`prepare_layer`).
    """
    data, repairs, rejected = {}, [], []
    rejected_parcels = None
    for name, gdf in frames.items():
        prepared = prepare_layer(name, gdf, crs=crs, problems=problems,
                                 columns=(columns or {}).get(name), values=values,
                                 values_used=values_used)
        if prepared is None:
            continue
        data[name] = prepared.data
        repairs.append(prepared.repairs)
        rejected.append(prepared.rejected)
        if name == "parcels":
            rejected_parcels = prepared.rejected_rows
    return data, repairs, rejected, rejected_parcels
