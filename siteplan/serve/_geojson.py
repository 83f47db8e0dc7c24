"""GeoJSON in and out of the service: posted layers to GeoDataFrames, results to JSON.

Posted layers follow RFC 7946: a FeatureCollection with longitude, latitude
coordinates (EPSG:4326). They are parsed by GDAL's GeoJSON driver (pyogrio)
from memory, never from a path. Results go out in EPSG:4326 with every value
JSON can hold (a NaN or an infinite distance becomes ``null``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError

__all__ = ["layer_from_geojson", "feature_collection", "jsonable", "looks_like_path",
           "public_sources"]

_FIX_4326 = ("send a GeoJSON FeatureCollection (RFC 7946) with longitude, latitude "
             "coordinates in EPSG:4326, e.g. gdf.to_crs(4326).to_json() in geopandas")
_PATHLIKE = re.compile(r"[/\\]|^[~.]|^[A-Za-z][A-Za-z0-9+.-]*:|"
                       r"\.(toml|gpkg|geojson|json|shp|zip|parquet|fgb|csv|tiff?|sql|pbf|osm)$",
                       re.IGNORECASE)


def looks_like_path(text: str) -> bool:
    """True for text that names a file or URL (``/``, ``\\``, ``~``, ``C:``, ``x.gpkg``, ...)."""
    return bool(_PATHLIKE.search(text.strip()))


def layer_from_geojson(data: Any, *, layer: str):
    """A GeoDataFrame in EPSG:4326 from a posted GeoJSON FeatureCollection.

    Raises
    ------
    SiteplanInputError
        When ``data`` is not a FeatureCollection, has no features, names a CRS
        other than EPSG:4326, has coordinates outside longitude/latitude
        range, or holds geometries GDAL cannot read (their rows are named).
        A feature whose geometry is ``null`` is kept: the loader rejects it
        with its reason, so it is reported, not lost.
    """
    import pyogrio
    import pyproj

    where = f"layer '{layer}' (GeoJSON in the request)"
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, Mapping) else type(data).__name__
        raise SiteplanInputError(Problem(where, f"must be a GeoJSON FeatureCollection, got "
                                         f"{str(kind)[:60]!r}", _FIX_4326))
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise SiteplanInputError(Problem(where, "has no features", "send at least one Feature "
                                         "in 'features', or leave the field out to use the "
                                         "server's layer"))
    feats = pd.Series(features, dtype=object)
    is_feature = feats.map(lambda f: isinstance(f, Mapping)).to_numpy(dtype=bool)
    if not is_feature.all():
        rows = np.flatnonzero(~is_feature)
        raise SiteplanInputError(Problem(where, f"features at rows {_rows(rows)} are not "
                                         "GeoJSON Feature objects", _FIX_4326))
    given = feats.str.get("geometry").notna().to_numpy(dtype=bool)
    try:
        gdf = pyogrio.read_dataframe(json.dumps(data, allow_nan=False).encode("utf-8"))
    except Exception as exc:  # NaN in the data, or GDAL refused the text (DataSourceError)
        raise SiteplanInputError(Problem(where, f"could not be read as GeoJSON "
                                         f"({_short(exc)})", _FIX_4326)) from None
    if len(gdf) != len(features):
        raise SiteplanInputError(Problem(where, f"GDAL read {len(gdf)} of {len(features)} "
                                         "features", _FIX_4326))
    crs = gdf.crs
    if crs is not None and not (crs.to_epsg() == 4326 or crs == pyproj.CRS("OGC:CRS84")):
        raise SiteplanInputError(Problem(where, f"is in {crs.to_string()}: this service "
                                         "takes EPSG:4326 only", "reproject before sending "
                                         "and leave out the 'crs' member; " + _FIX_4326))
    geoms = gdf.geometry.array
    unread = given & np.asarray(geoms.isna())
    if unread.any():
        raise SiteplanInputError(Problem(where, f"geometries at rows "
                                         f"{_rows(np.flatnonzero(unread))} could not be read "
                                         "(wrong type or coordinates)", "give each a GeoJSON "
                                         "geometry with [longitude, latitude] positions"))
    ok = ~np.asarray(geoms.isna() | geoms.is_empty)
    if ok.any():
        x0, y0, x1, y1 = geoms[ok].total_bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise SiteplanInputError(Problem(
                where, f"coordinates are not longitude/latitude (x {x0:.6g} to {x1:.6g}, "
                f"y {y0:.6g} to {y1:.6g}): they look projected", _FIX_4326))
    if "id" in gdf.columns and gdf["id"].isna().all():
        gdf = gdf.drop(columns="id")
    return gdf.set_crs(4326, allow_override=True)


def _rows(rows: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _short(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ")
    text = re.sub(r"'?/vsimem/\S+'?", "the posted text", text)
    return text[:200]


def jsonable(value: Any) -> Any:
    """A copy of ``value`` that ``json.dumps(allow_nan=False)`` can write."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return jsonable(value.to_dict(orient="records"))
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool):
        return value
    return str(value)


def public_sources(info: Mapping[str, Any]) -> dict[str, Any]:
    """Provenance safe to send: server paths in ``sources`` cut to their file names."""
    out = dict(info)
    sources = out.get("sources")
    if isinstance(sources, Mapping):
        out["sources"] = {k: (PurePath(str(v).replace("\\", "/")).name
                              if ("/" in str(v) or "\\" in str(v)) else v)
                          for k, v in sources.items()}
    return out


def feature_collection(gdf, *, members: Mapping[str, Any] | None = None) -> dict:
    """A GeoJSON FeatureCollection (EPSG:4326) of ``gdf``, with foreign ``members``."""
    out = gdf.to_crs(4326) if gdf.crs is not None else gdf.copy()
    out.attrs = {}
    geom_name = out.geometry.name
    for col in out.columns:
        if col == geom_name:
            continue
        s = out[col]
        if s.dtype.kind == "f":
            vals = s.to_numpy(dtype=float)
            if not np.isfinite(vals[~np.isnan(vals)]).all():
                out[col] = s.where(np.isfinite(vals))
        elif isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.dtype.kind in "iub":
            out[col] = s.astype(object).where(s.notna(), None)
        elif s.dtype == object:
            out[col] = s.map(jsonable)
    fc = out.to_geo_dict(na="null", drop_id=True)
    result = {"type": "FeatureCollection"}
    result |= {k: jsonable(v) for k, v in (members or {}).items()}
    result["features"] = fc["features"]
    return result
