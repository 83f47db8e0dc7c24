"""Load layers from files or GeoDataFrames into one validated :class:`Layers` bundle.

Every problem found in every layer is collected first and raised once, as a
:class:`~siteplan.SiteplanInputError` naming the layer, the column or rows,
the bad value and the fix.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ._errors import Problem, SiteplanInputError, raise_if_problems
from ._schema import LAYER_SCHEMAS, OWNERSHIP_VALUES, ROAD_CLASSES, LayerSchema
from .layers import _REJECT_COLUMNS, _REPAIR_COLUMNS, Layers, _concat

__all__ = ["load_layers", "read_layer", "prepare_layer", "LayerSource"]

log = logging.getLogger(__name__)

LayerSource = str | PathLike | gpd.GeoDataFrame | tuple[str | PathLike, str]

_TRUE = {"true", "t", "1", "yes", "y", "ya", "publik", "public", "umum"}
_FALSE = {"false", "f", "0", "no", "n", "tidak", "privat", "private", "swasta"}
_MAX_LISTED = 5


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _listed(values, limit: int = _MAX_LISTED) -> str:
    values = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:limit])
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return shown + more


# ---------------------------------------------------------------- reading files


def read_layer(
    source: str | PathLike,
    *,
    layer: str | None = None,
    name: str = "layer",
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer from a file.

    GeoPackage (``layer=`` picks a layer), Shapefile (also inside a ``.zip``),
    GeoJSON, GeoParquet (``.parquet``) and FlatGeobuf are read with pyogrio
    or pyarrow.

    Parameters
    ----------
    source
        Path of the file.
    layer
        Layer inside a multi-layer file (GeoPackage). When the file holds
        several layers and none is named, a layer called ``name`` is used if
        there is one; otherwise the error lists the layers.
    name
        The siteplan layer this file is for, used in messages.
    encoding
        Text encoding of attributes, for a Shapefile without ``.cpg``
        (for example ``"cp1252"``).

    Returns
    -------
    geopandas.GeoDataFrame
        As stored: not validated or reprojected (see :func:`load_layers`).
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    path = Path(source)
    where = f"layer '{name}'"
    if not path.exists():
        raise SiteplanInputError(
            Problem(where, f"file '{path}' does not exist", "check the path and the spelling")
        )
    if path.is_file() and path.stat().st_size == 0:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' is empty (0 bytes)", "export the layer again")
        )
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".geoparquet"}:
        try:
            return gpd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for broken files
            raise SiteplanInputError(
                Problem(where, f"file '{path}' is not a readable GeoParquet file ({exc})",
                        "write it again with GeoDataFrame.to_parquet")
            ) from None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            available = [row[0] for row in pyogrio.list_layers(path)]
        _log_gdal(name, caught)
    except (DataSourceError, DataLayerError) as exc:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' cannot be read as a GIS layer ({_gdal(exc)})",
                    "check that the file is complete (a Shapefile needs its .shp, .shx and "
                    ".dbf) and is GeoPackage, Shapefile, GeoJSON, GeoParquet or FlatGeobuf")
        ) from None
    if layer is None and len(available) > 1:
        if name in available:
            layer = name
        else:
            raise SiteplanInputError(
                Problem(where, f"file '{path}' holds {len(available)} layers "
                        f"({_listed(available, 10)}) and none was chosen",
                        f"pass ('{path}', '<layer name>') to say which one")
            )
    if layer is not None and layer not in available:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' has no layer '{layer}' (it has: "
                    f"{_listed(available, 10)})", "use one of the layer names listed")
        )
    kwargs = {"layer": layer} if layer is not None else {}
    if encoding:
        kwargs["encoding"] = encoding
    notes: list[str] = []
    # GDAL's Arrow path hands Shapefile text over undecoded; the row path recodes it
    arrow = suffix not in {".shp", ".dbf", ".zip"}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                gdf = pyogrio.read_dataframe(path, use_arrow=arrow, **kwargs)
            except shapely.errors.GEOSException as exc:
                # e.g. a GeoJSON ring that is not closed: read again, closing what can be
                gdf = pyogrio.read_dataframe(path, use_arrow=arrow, on_invalid="fix", **kwargs)
                notes.append(f"some geometries could not be read as stored ({exc}); "
                             "unclosed rings were closed, unreadable ones left empty")
        notes += _log_gdal(name, caught)
    except (DataSourceError, DataLayerError, UnicodeDecodeError) as exc:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' cannot be read ({_gdal(exc)})",
                    "open it in QGIS to check it; for a Shapefile with accented names "
                    "pass its encoding (for example encoding='cp1252')")
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SiteplanInputError(
            Problem(where, f"file '{path}' holds a table without geometry (columns: "
                    f"{_listed(list(gdf.columns), 8)})",
                    "give the layer's geometry file too: a Shapefile needs its .shp, .shx "
                    "and .dbf side by side (also inside a .zip)"))
    gdf.attrs["siteplan_read_notes"] = notes
    return gdf


def _log_gdal(name: str, caught) -> list[str]:
    """Pass GDAL's warnings on to the log, and return them as notes."""
    notes = []
    for w in caught:
        text = str(w.message).strip()
        log.warning("layer '%s': GDAL: %s", name, text)
        notes.append(f"GDAL: {text}")
    return notes


def _gdal(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# -------------------------------------------------------------- preparing layers


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
    present = {}
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


def prepare_layer(
    name: str,
    gdf: gpd.GeoDataFrame,
    *,
    crs: pyproj.CRS | None,
    problems: list[Problem],
) -> PreparedLayer | None:
    """Validate, rename, repair and reproject one layer.

    Problems go to ``problems``; the layer is returned prepared, or None when
    it has problems that stop it being prepared.
    """
    where = f"layer '{name}'"
    schema = LAYER_SCHEMAS.get(name)
    if not isinstance(gdf, gpd.GeoDataFrame):
        problems.append(Problem(where, f"got a {type(gdf).__name__}, not a GeoDataFrame",
                                "pass a file path or a geopandas.GeoDataFrame"))
        return None
    if len(gdf) == 0:
        problems.append(Problem(where, "is empty (0 features)",
                                "check the file or the filter that produced it"))
        return None
    if gdf.crs is None:
        problems.append(Problem(where, "has no CRS (coordinate reference system)",
                                "set it with gdf.set_crs('EPSG:...') or ship the .prj file "
                                "with a Shapefile (Kota Serang data is usually EPSG:32748 "
                                "or EPSG:4326)"))
        return None
    n_before = len(problems)
    _check_crs_fits(name, gdf, problems)

    gdf = gdf.rename(columns=_match_columns(gdf, schema))
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    if schema is not None:
        for spec in schema.required:
            if spec.name not in gdf.columns:
                aliases = ", ".join(spec.aliases)
                cols = _listed([c for c in gdf.columns if c != "geometry"], 12)
                problems.append(Problem(
                    where, f"required column '{spec.name}' ({spec.meaning}) is missing; "
                    f"accepted names are {spec.name}, {aliases}; the layer has: {cols}",
                    f"add or rename a column to '{spec.name}'"))
    if len(problems) > n_before:
        return None

    repairs: list[pd.DataFrame] = []
    rejected: list[pd.DataFrame] = []
    notes = gdf.attrs.get("siteplan_read_notes") or []
    if notes:
        repairs.append(pd.DataFrame({"layer": name, "row": None, "feature_id": None,
                                     "problem": notes, "action": "read by GDAL as noted"}))
    id_col = "parcel_id" if name == "parcels" else None
    gdf = gdf.copy()
    if not gdf.index.is_unique:
        gdf = gdf.reset_index(drop=True)

    if schema is not None:
        _coerce_columns(name, gdf, schema, problems)
    _check_text_encoding(name, gdf, problems)
    if len(problems) > n_before:
        return None

    # geometry: drop Z, repair, reject what cannot be used
    geoms = shapely.force_2d(gdf.geometry.values.to_numpy() if hasattr(
        gdf.geometry.values, "to_numpy") else np.asarray(gdf.geometry.values))
    ids = gdf[id_col].to_numpy() if id_col else None
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
    ok = reason == ""

    geoms = _fix_geometry(name, gdf, geoms, ok, reason, repairs, ids)
    ok = reason == ""
    if schema is not None:
        _check_geometry_types(name, gdf, geoms, ok, schema, problems, repairs, ids)
        if len(problems) > n_before:
            return None
        if name == "pois":
            geoms = _points_from_areas(geoms, ok)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))

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
    if name == "parcels":
        _reject_far_outliers(gdf, ok, reason)
        ok = reason == ""

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
    gdf = gdf.loc[ok]

    if len(gdf) == 0:
        problems.append(Problem(where, f"has no usable feature: all {len(reason)} were "
                                f"rejected ({_listed(pd.unique(reason))})",
                                "repair the geometries in a GIS and load it again"))
        return None

    if name == "parcels":
        if "area_m2" in gdf.columns:
            gdf = gdf.rename(columns={"area_m2": "area_m2_input"})
            recorded = gdf["area_m2_input"]
            bad = recorded.notna() & (recorded <= 0)
            if bad.any():
                repairs.append(pd.DataFrame({
                    "layer": name, "row": gdf.index[bad],
                    "feature_id": gdf.loc[bad, "parcel_id"].to_numpy(),
                    "problem": "recorded area " + recorded[bad].astype(str) + " m² is not "
                    "positive",
                    "action": "area_m2 computed from the geometry (the recorded value stays "
                    "in area_m2_input)"}))
        # the area always comes from the geometry in the metric CRS
        gdf["area_m2"] = gdf.geometry.area
    if name == "admin":
        _complete_admin(gdf, repairs)
    return PreparedLayer(gdf, _concat(repairs, _REPAIR_COLUMNS),
                         _concat(rejected, _REJECT_COLUMNS), rejected_rows)


def _check_text_encoding(name: str, gdf: gpd.GeoDataFrame, problems: list[Problem]) -> None:
    """Text decoded with the wrong code page shows C1 control characters (U+0080-U+009F).

    A Shapefile written in Windows-1252 and read as Latin-1 turns an en dash
    into U+0096: refuse it rather than keep garbled names.
    """
    for col in gdf.columns:
        if col == gdf.geometry.name or gdf[col].dtype.kind not in "OSU" and not str(
                gdf[col].dtype).startswith(("string", "str")):
            continue
        text = gdf[col].astype("string")
        bad = text.str.contains("[\x80-\x9f]", regex=True).fillna(False).to_numpy(bool)
        if bad.any():
            sample = text[bad].iloc[0]
            problems.append(Problem(f"layer '{name}'", f"column '{col}' holds control "
                f"characters (rows {_listed(gdf.index[bad])}, e.g. {sample!r}): the "
                "file's text encoding was read wrongly",
                "pass encoding='cp1252' (Windows exports) or add a .cpg file saying "
                "the encoding"))


def _reject_outside_crs_area(crs: pyproj.CRS, geoms: np.ndarray, ok: np.ndarray,
                             reason: np.ndarray) -> None:
    """Reject features far outside the area where their CRS is meant to be used."""
    aou = crs.area_of_use
    if aou is None or crs.is_geographic or not ok.any():
        return
    try:
        to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        xmin, ymin, xmax, ymax = to_crs.transform_bounds(aou.west, aou.south, aou.east,
                                                         aou.north)
    except pyproj.exceptions.ProjError:
        return
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return
    pad = max(xmax - xmin, ymax - ymin)
    with np.errstate(all="ignore"):
        b = shapely.bounds(geoms[ok])
    far = (b[:, 0] < xmin - pad) | (b[:, 2] > xmax + pad) | (b[:, 1] < ymin - pad) | \
        (b[:, 3] > ymax + pad)
    idx = np.flatnonzero(ok)[far]
    reason[idx] = f"coordinates far outside the area where {crs.name} is used"


def _reject_far_outliers(gdf: gpd.GeoDataFrame, ok: np.ndarray, reason: np.ndarray) -> None:
    """Reject parcels far from all the others (a typo in coordinates, another city).

    Far means more than max(50 km, 10 x the median distance) from the median
    parcel centre: a city's parcels lie within tens of km, a country's keep
    thousands of km of room.
    """
    if ok.sum() < 3:
        return
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    with np.errstate(all="ignore"):
        b = shapely.bounds(geoms[ok])
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    mx, my = np.median(cx), np.median(cy)
    d = np.hypot(cx - mx, cy - my)
    limit = max(50_000.0, 10 * float(np.median(d)))
    far = d > limit
    if far.any():
        idx = np.flatnonzero(ok)[far]
        reason[idx] = [f"far outside the study area: {v / 1000:,.0f} km from the parcels' "
                       f"median centre (limit {limit / 1000:,.0f} km)" for v in d[far]]


def _check_crs_fits(name: str, gdf: gpd.GeoDataFrame, problems: list[Problem]) -> None:
    """Catch coordinates that cannot be in the declared CRS (swapped or wrong units)."""
    where = f"layer '{name}'"
    with np.errstate(all="ignore"):
        bounds = gdf.geometry.bounds.to_numpy(dtype=float)
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.any():
        return
    minx, miny = np.nanmin(bounds[finite, 0]), np.nanmin(bounds[finite, 1])
    maxx, maxy = np.nanmax(bounds[finite, 2]), np.nanmax(bounds[finite, 3])
    crs = gdf.crs
    if crs.is_geographic:
        if max(abs(miny), abs(maxy)) > 90 and max(abs(minx), abs(maxx)) <= 90:
            problems.append(Problem(where, f"its CRS {crs.to_string()} is in degrees, but "
                f"y (latitude) reaches {maxy if abs(maxy) > 90 else miny:.4f}: the "
                "coordinates look like (lat, lon) instead of (lon, lat)",
                "swap them: gdf.set_geometry(shapely.transform(gdf.geometry, "
                "lambda c: c[:, ::-1]))"))
        elif max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
            problems.append(Problem(where, f"its CRS {crs.to_string()} is in degrees, but the "
                f"coordinates reach ({maxx:.1f}, {maxy:.1f}): they look like metres",
                "declare the CRS the data was made in, e.g. "
                "gdf.set_crs('EPSG:32748', allow_override=True) for UTM 48S"))
    elif crs.is_projected:
        extent = max(maxx - minx, maxy - miny)
        inside_degrees = (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90)
        if inside_degrees and extent < 5 and len(gdf) > 1:
            problems.append(Problem(where, f"its CRS {crs.to_string()} is in metres, but all "
                f"coordinates lie within ({minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f}), "
                "an extent of a few metres: they look like degrees",
                "declare the CRS the data was made in, e.g. "
                "gdf.set_crs('EPSG:4326', allow_override=True)"))


def _coerce_columns(name: str, gdf: gpd.GeoDataFrame, schema: LayerSchema,
                    problems: list[Problem]) -> None:
    where = f"layer '{name}'"
    for spec in schema.columns:
        if spec.name not in gdf.columns:
            continue
        col = gdf[spec.name]
        if spec.kind == "number":
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & col.notna()
            if bad.any():
                problems.append(Problem(where, f"column '{spec.name}' must hold numbers, "
                    f"but rows {_listed(gdf.index[bad])} hold "
                    f"{_listed(col[bad].astype(str).unique())}",
                    "replace the text with numbers (use . as the decimal mark) or leave "
                    "the cells empty"))
            gdf[spec.name] = num.astype(float)
        elif spec.kind == "id":
            missing = col.isna() | (col.astype(str).str.strip() == "")
            if missing.any():
                problems.append(Problem(where, f"column '{spec.name}' is empty in rows "
                    f"{_listed(gdf.index[missing])}", f"give every feature a {spec.name}"))
            ids = col.astype(str).str.strip()
            ids = ids.str.replace(r"\.0$", "", regex=True) if col.dtype.kind == "f" else ids
            dup = ids.duplicated(keep=False) & ~missing
            if dup.any():
                values = ids[dup].unique()
                problems.append(Problem(where, f"column '{spec.name}' has {len(values)} "
                    f"duplicated values: {_listed(values)} (rows {_listed(gdf.index[dup])})",
                    f"make every {spec.name} unique (each parcel once)"))
            gdf[spec.name] = ids.astype(object)
        elif spec.kind == "bool":
            if col.dtype == bool:
                continue
            text = col.astype(str).str.strip().str.lower()
            value = pd.Series(pd.NA, index=col.index, dtype="boolean")
            value[text.isin(_TRUE)] = True
            value[text.isin(_FALSE)] = False
            bad = value.isna()
            if bad.any():
                problems.append(Problem(where, f"column '{spec.name}' must be true or false, "
                    f"but rows {_listed(gdf.index[bad])} hold "
                    f"{_listed(col[bad].astype(str).unique())}",
                    "use true/false (or ya/tidak, 1/0)"))
            gdf[spec.name] = value.fillna(False).astype(bool)
        elif spec.name in {"ownership", "road_class", "category", "rth_type", "land_use",
                           "level"}:
            text = col.astype("string").str.strip().str.lower()
            if spec.name == "ownership":
                text = text.map(lambda v: OWNERSHIP_VALUES.get(v, v) if isinstance(v, str)
                                else v)
            elif spec.name == "road_class":
                for cls in ROAD_CLASSES:
                    text = text.mask(text.str.startswith(cls, na=False), cls)
            elif spec.name == "rth_type":
                text = text.str.replace(r"[\s-]+", "_", regex=True)
            gdf[spec.name] = text.astype(object).where(text.notna(), None)


def _fix_geometry(name, gdf, geoms, ok, reason, repairs, ids):
    invalid = ok & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    why = shapely.is_valid_reason(geoms[invalid])
    fixed = shapely.make_valid(geoms[invalid])
    schema = LAYER_SCHEMAS.get(name)
    if schema is not None and schema.geometry[0] == "Polygon" and "Point" not in schema.geometry:
        fixed = _polygonal_part(fixed)
    elif schema is not None and schema.geometry[0] == "LineString":
        fixed = _keep_types(fixed, (1, 5))
    lost = shapely.is_empty(fixed) | shapely.is_missing(fixed)
    geoms = geoms.copy()
    geoms[invalid] = fixed
    idx = np.flatnonzero(invalid)
    reason[idx[lost]] = [f"invalid geometry ({w}) with nothing left after make_valid"
                         for w in why[lost]]
    rows = gdf.index[idx[~lost]]
    repairs.append(pd.DataFrame({
        "layer": name, "row": rows,
        "feature_id": ids[idx[~lost]] if ids is not None else rows,
        "problem": why[~lost], "action": "repaired with shapely.make_valid"}))
    log.info("layer '%s': repaired %d invalid geometries", name, (~lost).sum())
    return geoms


def _keep_types(geoms: np.ndarray, type_ids: tuple[int, ...]) -> np.ndarray:
    """Keep only parts of the given shapely type ids (collections are searched)."""
    out = geoms.copy()
    tid = shapely.get_type_id(geoms)
    coll = tid == 7
    if coll.any():
        parts, index = shapely.get_parts(geoms[coll], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), type_ids)
        merged = np.empty(coll.sum(), dtype=object)
        merged[:] = None
        if keep.any():
            s = gpd.GeoSeries(parts[keep]).groupby(index[keep]).agg(
                lambda g: shapely.union_all(np.asarray(g)))
            merged[s.index.to_numpy()] = s.to_numpy()
        out[coll] = [g if g is not None else shapely.Polygon() for g in merged]
    other = ~coll & ~np.isin(tid, type_ids) & ~shapely.is_missing(geoms)
    out[other] = shapely.Polygon()
    return out


def _polygonal_part(geoms: np.ndarray) -> np.ndarray:
    return _keep_types(geoms, (3, 6))


def _check_geometry_types(name, gdf, geoms, ok, schema, problems, repairs, ids):
    types = shapely.get_type_id(geoms)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"], dtype=object)
    allowed = set(schema.geometry)
    if name == "pois":
        allowed |= {"Polygon", "MultiPolygon"}
    typenames = np.where(types >= 0, names[np.clip(types, 0, 7)], "None")
    wrong = ok & ~np.isin(typenames, list(allowed))
    if wrong.any():
        found = pd.Series(typenames[wrong]).value_counts()
        desc = ", ".join(f"{n} {t}" for t, n in found.items())
        problems.append(Problem(f"layer '{name}'",
            f"geometry must be {' or '.join(schema.geometry)}, but {desc} found "
            f"(rows {_listed(gdf.index[wrong])})",
            "check that the right file was given for this layer, or remove those features"))
    if name == "pois":
        areal = ok & np.isin(typenames, ["Polygon", "MultiPolygon"])
        if areal.any():
            rows = gdf.index[areal]
            repairs.append(pd.DataFrame({
                "layer": name, "row": rows, "feature_id": rows,
                "problem": "area where a point belongs",
                "action": "replaced by a point inside the area (representative point)"}))


def _points_from_areas(geoms: np.ndarray, ok: np.ndarray) -> np.ndarray:
    areal = ok & np.isin(shapely.get_type_id(geoms), [3, 6])
    if areal.any():
        geoms = geoms.copy()
        geoms[areal] = shapely.point_on_surface(geoms[areal])
    return geoms


def _complete_admin(gdf: gpd.GeoDataFrame, repairs: list[pd.DataFrame]) -> None:
    """Fill the admin level from Kemendagri codes (36.73.01.1001 is a kelurahan)."""
    if "level" in gdf.columns and gdf["level"].notna().all():
        return
    by_parts = {2: "kota", 3: "kecamatan", 4: "kelurahan"}
    if "kode" in gdf.columns:
        parts = gdf["kode"].astype(str).str.count(r"\.") + 1
        inferred = parts.map(by_parts)
    else:
        inferred = pd.Series(None, index=gdf.index, dtype=object)
    inferred = inferred.fillna("kelurahan")
    current = gdf["level"] if "level" in gdf.columns else pd.Series(None, index=gdf.index)
    fill = current.isna()
    gdf["level"] = current.where(~fill, inferred).astype(object)
    rows = gdf.index[fill]
    repairs.append(pd.DataFrame({
        "layer": "admin", "row": rows,
        "feature_id": gdf.loc[fill, "kode" if "kode" in gdf.columns else "nama"].to_numpy(),
        "problem": "no level given",
        "action": "level set from the Kemendagri code (or kelurahan when no code)"}))
    if "kode" in gdf.columns and "kecamatan" not in gdf.columns:
        # a kelurahan's kecamatan is the unit whose code is its first three parts
        kode = gdf["kode"].astype(str)
        kec_names = dict(zip(kode[gdf["level"] == "kecamatan"],
                             gdf.loc[gdf["level"] == "kecamatan", "nama"], strict=True))
        if kec_names:
            gdf["kecamatan"] = kode.str.rsplit(".", n=1).str[0].map(kec_names)


# ------------------------------------------------------------------- the bundle


def _resolve(name: str, source: LayerSource, encoding: str | None) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(source, gpd.GeoDataFrame):
        return source, "GeoDataFrame"
    if isinstance(source, tuple):
        path, layer = source
        return read_layer(path, layer=layer, name=name, encoding=encoding), f"{path}:{layer}"
    if isinstance(source, str | PathLike):
        return read_layer(source, name=name, encoding=encoding), str(source)
    raise SiteplanInputError(Problem(f"layer '{name}'",
        f"got a {type(source).__name__}",
        "pass a file path, a (path, layer name) pair or a GeoDataFrame"))


def _target_crs(frames: Mapping[str, gpd.GeoDataFrame]) -> pyproj.CRS:
    first = frames.get("parcels")
    if first is None or first.crs is None:
        first = next((f for f in frames.values() if f.crs is not None), None)
    if first is None:
        return pyproj.CRS.from_epsg(32748)
    try:
        with np.errstate(all="ignore"):
            return first.estimate_utm_crs()
    except (RuntimeError, ValueError):
        return pyproj.CRS.from_epsg(32748)


def load_layers(
    parcels: LayerSource | None = None,
    green_spaces: LayerSource | None = None,
    roads: LayerSource | None = None,
    pois: LayerSource | None = None,
    admin: LayerSource | None = None,
    population: LayerSource | None = None,
    *,
    extra: Mapping[str, LayerSource] | None = None,
    crs: str | int | pyproj.CRS | None = None,
    encoding: str | None = None,
) -> Layers:
    """Load, validate, repair and reproject the layers of a study.

    Parameters
    ----------
    parcels, green_spaces, roads, pois, admin, population
        Each a file path, a ``(path, layer_name)`` pair for a multi-layer
        GeoPackage, or a GeoDataFrame. Column names are matched to the
        canonical ones case-insensitively, with Indonesian aliases (``NIB``
        -> ``parcel_id``, ``LUASPETA`` -> ``area_m2``, ``PENGGUNAAN`` ->
        ``land_use``, ...).
    extra
        Other layers by name (rivers, coastline, flood zones, sawah, heritage
        cores): any geometry, no required columns.
    crs
        The metric CRS for everything. Default: the UTM zone of the parcels
        (EPSG:32748 for Kota Serang).
    encoding
        Attribute encoding for Shapefiles without ``.cpg``.

    Returns
    -------
    Layers
        With ``repairs`` (geometries made valid, ...) and ``rejected``
        (features that could not be used, with the reason).

    Raises
    ------
    SiteplanInputError
        Once, listing every problem in every layer.

    Examples
    --------
    >>> import siteplan as sp
    >>> sample = sp.load_sample()
    >>> layers = sp.load_layers(parcels=sample["parcels"], roads=sample["roads"])
    >>> layers.names
    ('parcels', 'roads')
    """
    given = {"parcels": parcels, "green_spaces": green_spaces, "roads": roads, "pois": pois,
             "admin": admin, "population": population, **dict(extra or {})}
    given = {k: v for k, v in given.items() if v is not None}
    problems: list[Problem] = []
    frames: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, str] = {}
    for name, source in given.items():
        try:
            frames[name], sources[name] = _resolve(name, source, encoding)
        except SiteplanInputError as exc:
            problems.extend(exc.problems)
    target = pyproj.CRS.from_user_input(crs) if crs is not None else _target_crs(frames)
    if not target.is_projected:
        problems.append(Problem("crs", f"{target.to_string()} is not a projected (metric) CRS",
                                "pass a metric CRS such as EPSG:32748, or leave crs unset"))
    data, repairs, rejected = {}, [], []
    rejected_parcels = None
    for name, gdf in frames.items():
        prepared = prepare_layer(name, gdf, crs=target, problems=problems)
        if prepared is None:
            continue
        data[name] = prepared.data
        repairs.append(prepared.repairs)
        rejected.append(prepared.rejected)
        if name == "parcels":
            rejected_parcels = prepared.rejected_rows
    raise_if_problems(problems)
    return Layers(data, crs=target, repairs=_concat(repairs, _REPAIR_COLUMNS),
                  rejected=_concat(rejected, _REJECT_COLUMNS),
                  rejected_parcels=rejected_parcels, sources=sources)
