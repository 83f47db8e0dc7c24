"""Checks and repairs of one layer, used by :func:`siteplan.io.prepare.prepare_layer`.

Each check appends :class:`~siteplan._errors.Problem` values (raised together
by the loader) or marks rows as rejected with a reason, or records a repair.
"""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .._errors import Problem
from .admin import level_from_code, parent_code
from .schema import (
    DEFAULT_RIVER_CLASS,
    NOT_RIVER,
    NOT_RIVER_KINDS,
    OWNERSHIP_VALUES,
    RIVER_CLASSES,
    RIVER_WIDTH_EDGES,
    ROAD_CLASSES,
    LayerSchema,
)

log = logging.getLogger("siteplan.load")

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
        inside_degrees = (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90)
        if inside_degrees and extent < 5 and len(gdf) > 1:
            problems.append(Problem(where, f"its CRS {crs.to_string()} is in metres, but all "
                f"coordinates lie within ({minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f}), "
                "an extent of a few metres: they look like degrees",
                "declare the CRS the data was made in, e.g. "
                "gdf.set_crs('EPSG:4326', allow_override=True)"))


def _coerce_columns(name: str, gdf: gpd.GeoDataFrame, schema: LayerSchema,
                    problems: list[Problem]) -> None:
    """Each schema column the layer has read as its kind (in place); bad values reported."""
    where = f"layer '{name}'"
    for spec in schema.columns:
        if spec.name not in gdf.columns:
            continue
        if spec.kind == "number":
            _coerce_numbers(where, gdf, spec.name, problems)
        elif spec.kind == "id":
            _coerce_ids(where, gdf, spec.name, problems)
        elif spec.kind == "bool":
            _coerce_bools(where, gdf, spec.name, problems)
        elif spec.name in {"ownership", "road_class", "category", "rth_type", "land_use",
                           "level"}:
            _normalise_words(gdf, spec.name)


def _coerce_numbers(where: str, gdf: gpd.GeoDataFrame, column: str,
                    problems: list[Problem]) -> None:
    """A number column read as floats; text that is no number is reported."""
    col = gdf[column]
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() & col.notna()
    if bad.any():
        problems.append(Problem(where, f"column '{column}' must hold numbers, "
            f"but rows {_listed(gdf.index[bad])} hold "
            f"{_listed(col[bad].astype(str).unique())}",
            "replace the text with numbers (use . as the decimal mark) or leave "
            "the cells empty"))
    gdf[column] = num.astype(float)


def _coerce_ids(where: str, gdf: gpd.GeoDataFrame, column: str,
                problems: list[Problem]) -> None:
    """An identifier column read as text (12.0 as 12); empty and duplicated ids are reported."""
    col = gdf[column]
    missing = col.isna() | (col.astype(str).str.strip() == "")
    if missing.any():
        problems.append(Problem(where, f"column '{column}' is empty in rows "
            f"{_listed(gdf.index[missing])}", f"give every feature a {column}"))
    ids = col.astype(str).str.strip()
    ids = ids.str.replace(r"\.0$", "", regex=True) if col.dtype.kind == "f" else ids
    dup = ids.duplicated(keep=False) & ~missing
    if dup.any():
        values = ids[dup].unique()
        problems.append(Problem(where, f"column '{column}' has {len(values)} "
            f"duplicated values: {_listed(values)} (rows {_listed(gdf.index[dup])})",
            f"make every {column} unique (each parcel once)"))
    gdf[column] = ids.astype(object)


def _coerce_bools(where: str, gdf: gpd.GeoDataFrame, column: str,
                  problems: list[Problem]) -> None:
    """A true/false column read from true/false, ya/tidak, 1/0 and the like; others reported."""
    col = gdf[column]
    if col.dtype == bool:
        return
    text = col.astype(str).str.strip().str.lower()
    value = pd.Series(pd.NA, index=col.index, dtype="boolean")
    value[text.isin(_TRUE)] = True
    value[text.isin(_FALSE)] = False
    bad = value.isna()
    if bad.any():
        problems.append(Problem(where, f"column '{column}' must be true or false, "
            f"but rows {_listed(gdf.index[bad])} hold "
            f"{_listed(col[bad].astype(str).unique())}",
            "use true/false (or ya/tidak, 1/0)"))
    gdf[column] = value.fillna(False).astype(bool)


def _normalise_words(gdf: gpd.GeoDataFrame, column: str) -> None:
    """A column of class words in lowercase, trimmed, in siteplan's spelling of each class."""
    text = gdf[column].astype("string").str.strip().str.lower()
    if column == "ownership":
        text = text.map(lambda v: OWNERSHIP_VALUES.get(v, v) if isinstance(v, str)
                        else v)
    elif column == "road_class":
        for cls in ROAD_CLASSES:
            text = text.mask(text.str.startswith(cls, na=False), cls)
    elif column == "rth_type":
        text = text.str.replace(r"[\s-]+", "_", regex=True)
    gdf[column] = text.astype(object).where(text.notna(), None)


def _fix_geometry(name, gdf, geoms, ok, reason, *, repairs, ids):
    invalid = ok & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    why = shapely.is_valid_reason(geoms[invalid])
    made = shapely.make_valid(geoms[invalid])
    # keep the parts of the feature's own kind (a polygon stays polygonal: the lines and
    # points make_valid adds where a ring touches itself are dropped), whatever the layer
    kind = shapely.get_dimensions(geoms[invalid])
    fixed = made.copy()
    for dim, types in ((2, (3, 6)), (1, (1, 2, 5)), (0, (0, 4))):
        pick = kind == dim
        if pick.any():
            fixed[pick] = _keep_types(made[pick], types)
    word = np.array(["points", "lines", "polygons"], dtype=object)[np.clip(kind, 0, 2)]
    lost = shapely.is_empty(fixed) | shapely.is_missing(fixed)
    geoms = geoms.copy()
    geoms[invalid] = fixed
    idx = np.flatnonzero(invalid)
    reason[idx[lost]] = [f"invalid geometry ({w}) with no {k} left after make_valid"
                         for w, k in zip(why[lost], word[lost], strict=True)]
    rows = gdf.index[idx[~lost]]
    mixed = shapely.get_type_id(made[~lost]) == 7
    action = np.where(mixed, "repaired with shapely.make_valid, which gave a "
                      "GeometryCollection: its " + word[~lost].astype(str) + " kept, the "
                      "other parts dropped", "repaired with shapely.make_valid")
    repairs.append(pd.DataFrame({
        "layer": name, "row": rows,
        "feature_id": ids[idx[~lost]] if ids is not None else rows,
        "problem": why[~lost], "action": action}))
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


def _check_geometry_types(name, gdf, geoms, ok, schema, *, problems, repairs):
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
    if "kode" in gdf.columns:
        inferred = level_from_code(gdf["kode"]).where(lambda s: s != "provinsi", None)
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
            gdf["kecamatan"] = parent_code(kode, "kecamatan").map(kec_names)


def river_class(width: np.ndarray, kind: np.ndarray, default: np.ndarray | str
                ) -> np.ndarray:
    """``width_class`` of waterways: ``saluran`` for a drain or ditch (whatever its width),
    else by width in metres (:data:`~siteplan.io.schema.RIVER_WIDTH_EDGES`: up to 3
    kecil, up to 20 sedang, above besar), else ``default``."""
    width = np.asarray(width, dtype=float)
    by_width = np.asarray(RIVER_CLASSES, dtype=object)[
        np.searchsorted(RIVER_WIDTH_EDGES, np.nan_to_num(width), side="left")]
    out = np.where(np.isnan(width), np.asarray(default, dtype=object), by_width)
    text = pd.Series(kind, dtype="string").str.strip().str.lower()
    not_river = text.isin(NOT_RIVER_KINDS).fillna(False).to_numpy(bool)
    return np.where(not_river, NOT_RIVER, out).astype(object)


_RIVER_WIDTH = ("width_m", "width", "lebar", "lebar_m", "lebar_sungai")
_RIVER_KIND = ("waterway", "kind", "jenis", "tipe")


def _complete_rivers(gdf: gpd.GeoDataFrame, repairs: list[pd.DataFrame]) -> None:
    """Give every river a ``width_class`` (the built-in setbacks read it), noted.

    A class given is kept (lower case); otherwise it comes from the width in
    metres (``width_m``, ``width``, ``lebar``), a drain or ditch is
    ``saluran`` (not a river), and a river of unknown width is
    ``sedang`` (:data:`~siteplan.io.schema.DEFAULT_RIVER_CLASS`).
    """
    cols = {_norm(c): c for c in gdf.columns if c != "geometry"}
    given = gdf[cols["widthclass"]] if "widthclass" in cols else None
    wcol = next((cols[_norm(c)] for c in _RIVER_WIDTH if _norm(c) in cols), None)
    kcol = next((cols[_norm(c)] for c in _RIVER_KIND if _norm(c) in cols), None)
    width = pd.to_numeric(gdf[wcol], errors="coerce").to_numpy(float) if wcol \
        else np.full(len(gdf), np.nan)
    kind = gdf[kcol].to_numpy(dtype=object) if kcol else np.full(len(gdf), None, dtype=object)
    derived = river_class(width, kind, DEFAULT_RIVER_CLASS)
    if given is not None:
        text = given.astype("string").str.strip().str.lower()
        have = text.notna() & (text != "")
        out = np.where(have.to_numpy(bool), text.astype(object).to_numpy(), derived)
        fill = ~have.to_numpy(bool)
    else:
        out, fill = derived, np.ones(len(gdf), bool)
    gdf["width_class"] = out.astype(object)
    if fill.any():
        how = []
        if wcol:
            how.append(f"from '{wcol}' in metres (up to 3 kecil, up to 20 sedang, above besar)")
        if kcol:
            how.append(f"'{kcol}' drain or ditch: saluran (not a river)")
        how.append(f"else {DEFAULT_RIVER_CLASS}")
        counts = pd.Series(out[fill]).value_counts()
        repairs.append(pd.DataFrame([{
            "layer": "rivers", "row": None, "feature_id": None,
            "problem": f"{int(fill.sum()):,} features without width_class",
            "action": "width_class set " + "; ".join(how) + " ("
                      + ", ".join(f"{k} {n:,}" for k, n in counts.items()) + ")"}]))
