"""GeoJSON in and out of the service: posted layers to GeoDataFrames, results to JSON.

Posted layers follow RFC 7946: a FeatureCollection with longitude, latitude
coordinates (EPSG:4326). Their geometries are read by GEOS from the parsed
JSON: no text of a request reaches GDAL or PROJ, so nothing named in it
(a ``crs`` link, a ``+init=`` file) is fetched or opened. Results go out in
EPSG:4326 with every value JSON can hold (a NaN or an infinite distance becomes ``null``).
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
           "public_record", "check_crs", "CRS_NAMES"]

_FIX_4326 = ("send a GeoJSON FeatureCollection (RFC 7946) with longitude, latitude "
             "coordinates in EPSG:4326, e.g. gdf.to_crs(4326).to_json() in geopandas")
_PATHLIKE = re.compile(r"[/\\]|^[~.]|^[A-Za-z][A-Za-z0-9+.-]*:|"
                       r"\.(toml|gpkg|geojson|json|shp|zip|parquet|fgb|csv|tiff?|sql|pbf|osm)$",
                       re.IGNORECASE)


def looks_like_path(text: str) -> bool:
    """True for text that names a file or URL (``/``, ``\\``, ``~``, ``C:``, ``x.gpkg``, ...)."""
    return bool(_PATHLIKE.search(text.strip()))


#: the only ``crs`` members a posted layer may carry: names of EPSG:4326 / OGC CRS84
CRS_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84",
             "EPSG:4326", "urn:ogc:def:crs:EPSG::4326")
_CRS_OK = {n.lower() for n in CRS_NAMES}
_GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                   "MultiPolygon", "GeometryCollection"}


def check_crs(member: Any, where: str) -> None:
    """Refuse a GeoJSON ``crs`` member other than a name of EPSG:4326 or OGC CRS84.

    RFC 7946 dropped ``crs``: GeoJSON is longitude, latitude on WGS 84. The
    member is compared with :data:`CRS_NAMES` as text, never resolved: no
    link is fetched and no file named in it is opened.
    """
    if member is None:
        return
    name = None
    if isinstance(member, Mapping) and member.get("type") == "name":
        props = member.get("properties")
        name = props.get("name") if isinstance(props, Mapping) else None
    if isinstance(name, str) and name.strip().lower() in _CRS_OK:
        return
    shown = json.dumps(member, ensure_ascii=True)[:160]
    raise SiteplanInputError(Problem(
        where, f"is {shown}: this service takes GeoJSON in EPSG:4326 only (RFC 7946: "
        "longitude, latitude on WGS 84); a crs member may only name EPSG:4326 or OGC "
        "CRS84, and it is never fetched or opened", "reproject to EPSG:4326 and drop the "
        "'crs' member (e.g. gdf.to_crs(4326).to_json() in geopandas)"))


def layer_from_geojson(data: Any, *, layer: str):
    """A GeoDataFrame in EPSG:4326 from a posted GeoJSON FeatureCollection.

    The geometries are read by GEOS (shapely) from the parsed JSON and the
    properties become columns; no text of the request reaches GDAL or PROJ.
    Property values that are objects or arrays are kept as JSON text.

    Raises
    ------
    SiteplanInputError
        When ``data`` is not a FeatureCollection, has no features, carries a
        ``crs`` member other than a name of EPSG:4326 (anywhere), has
        coordinates outside longitude/latitude range, or holds geometries
        that cannot be read (their rows are named). A feature whose geometry
        is ``null`` is kept: the loader rejects it with its reason, so it is
        reported, not lost.
    """
    import geopandas as gpd
    import shapely

    where = f"request {layer}"
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, Mapping) else type(data).__name__
        raise SiteplanInputError(Problem(where, f"must be a GeoJSON FeatureCollection, got "
                                         f"{str(kind)[:60]!r}", _FIX_4326))
    if "crs" in data:
        check_crs(data["crs"], f"{where}.crs")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise SiteplanInputError(Problem(where, "has no features", "send at least one Feature "
                                         "in 'features', or leave the field out to use the "
                                         "server's layer"))
    bad = [i for i, f in enumerate(features) if not isinstance(f, Mapping)]
    if bad:
        raise SiteplanInputError(Problem(where, f"features at rows {_rows(np.array(bad))} are "
                                         "not GeoJSON Feature objects", _FIX_4326))
    texts: list[str | None] = []
    unread: list[int] = []
    records: list[Mapping] = []
    ids: list[Any] = []
    for i, feat in enumerate(features):  # one pass over the posted features
        if "crs" in feat:
            check_crs(feat["crs"], f"{where}.features[{i}].crs")
        geom = feat.get("geometry")
        if geom is None:
            texts.append(None)
        elif isinstance(geom, Mapping) and geom.get("type") in _GEOMETRY_TYPES:
            if "crs" in geom:
                check_crs(geom["crs"], f"{where}.features[{i}].geometry.crs")
            texts.append(json.dumps(geom, allow_nan=False))
        else:
            texts.append(None)
            unread.append(i)
        props = feat.get("properties")
        records.append(props if isinstance(props, Mapping) else {})
        ids.append(feat.get("id"))
    given = np.array([t is not None for t in texts])
    geoms = shapely.from_geojson(np.array(texts, dtype=object), on_invalid="ignore")
    missed = given & shapely.is_missing(geoms)
    unread = sorted({*unread, *np.flatnonzero(missed).tolist()})
    if unread:
        raise SiteplanInputError(Problem(where, f"geometries at rows "
                                         f"{_rows(np.array(unread))} could not be read "
                                         "(wrong type or coordinates)", "give each a GeoJSON "
                                         "geometry with [longitude, latitude] positions"))
    props = _properties(records, where)
    if "id" not in props.columns and any(v is not None for v in ids):
        props["id"] = pd.Series(ids, dtype=object).map(_scalar)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        x0, y0, x1, y1 = shapely.total_bounds(geoms[ok])
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise SiteplanInputError(Problem(
                where, f"coordinates are not longitude/latitude (x {x0:.6g} to {x1:.6g}, "
                f"y {y0:.6g} to {y1:.6g}): they look projected", _FIX_4326))
    return gpd.GeoDataFrame(props, geometry=gpd.GeoSeries(geoms, index=props.index), crs=4326)


def _properties(records: list[Mapping], where: str) -> pd.DataFrame:
    """The features' properties as columns; objects and arrays become JSON text."""
    frame = pd.DataFrame.from_records(records, index=pd.RangeIndex(len(records)))
    if "geometry" in frame.columns:
        raise SiteplanInputError(Problem(f"{where}.features[].properties.geometry",
                                         "is a property named like the geometry column",
                                         "rename the property"))
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_scalar)
    return frame


def _scalar(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    return value


def _rows(rows: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _plain(value: Any) -> Any:
    """A record object (with ``to_dict``) as its dict; anything else as it is."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, pd.DataFrame | pd.Series | Mapping):
        return to_dict()
    return value


def jsonable(value: Any) -> Any:
    """A copy of ``value`` that ``json.dumps(allow_nan=False)`` can write."""
    value = _plain(value)
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


def _file_name(v: Any) -> Any:
    text = str(v)
    return PurePath(text.replace("\\", "/")).name if ("/" in text or "\\" in text) else v


def public_record(rec: Any) -> dict[str, Any]:
    """A result's record as JSON, safe to send: server paths cut to their file names."""
    out = rec.to_dict()
    prov = out.get("provenance") or {}
    prov["sources"] = [{**src, "text": _file_name(src.get("text"))}
                       for src in prov.get("sources") or ()]
    prof = out.get("profile")
    if isinstance(prof, dict) and prof.get("source_path"):
        prof["source_path"] = _file_name(prof["source_path"])
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
