"""Write scored results for GIS: GeoPackage (styled for QGIS), GeoJSON, GeoParquet, CSV.

Every output carries its provenance (siteplan version, profile, weights,
input files with sha256, date): in the GeoPackage layer metadata, as a
``siteplan`` member of the GeoJSON, in the GeoParquet schema metadata, and
in a ``.provenance.json`` file beside a CSV. Writes go to a temporary file in
the same folder that is moved into place, so an interrupted run leaves any
earlier output whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from html import escape
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import Problem, SiteplanInputError

__all__ = ["write_result", "write_geopackage", "read_result", "provenance", "FORMATS",
           "atomic_path",
           "qgis_style_qml"]

FORMATS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".parquet": "parquet",
           ".csv": "csv"}
_META_KEY = "siteplan"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def provenance(result: gpd.GeoDataFrame) -> dict[str, Any]:
    """Where a result came from: the score's record plus input files and their sha256."""
    info = dict(result.attrs.get("siteplan", {}))
    inputs = []
    for layer, source in (info.get("sources") or {}).items():
        path = Path(str(source).rsplit(":", 1)[0]) if ":" in str(source) and not Path(
            str(source)).exists() else Path(str(source))
        entry = {"layer": layer, "source": str(source)}
        if path.is_file():
            entry["file"] = path.name
            entry["sha256"] = _sha256(path)
        inputs.append(entry)
    info["inputs"] = inputs
    return info


@contextlib.contextmanager
def atomic_path(target: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path beside ``target`` that replaces it when the block succeeds."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise SiteplanInputError(Problem(f"output '{target}'", "already exists",
                                         "choose another name, or allow overwriting "
                                         "(--overwrite on the command line)"))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix,
                               dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _for_file(result: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = result.copy()
    out.attrs = {}
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if isinstance(s.dtype, pd.Int64Dtype):
            out[col] = s.astype("float64")
        elif s.dtype.kind == "f":
            # a distance beyond the criterion's search limit is +inf in memory; files get
            # NaN (GeoJSON and CSV have no infinity), the limit is in the provenance
            out[col] = s.where(~np.isinf(s.to_numpy(dtype=float)))
        elif s.dtype == object:
            out[col] = s.map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                             else str(v))
    return out


def write_result(result: gpd.GeoDataFrame, path: str | PathLike, *, overwrite: bool = True,
                 layer: str | None = None, lang: str = "id") -> Path:
    """Write a scored result; the format follows the file extension.

    Parameters
    ----------
    result
        From :func:`siteplan.score`.
    path
        ``.gpkg`` (with a QGIS style by score in ``layer_styles``), ``.geojson``,
        ``.parquet`` (GeoParquet) or ``.csv`` (WKT geometry).
    overwrite
        When False, an existing file is an error.
    layer
        GeoPackage layer name (default: the profile name).
    lang
        Language of the QGIS style's legend labels.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import pyogrio

    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise SiteplanInputError(Problem(f"output '{target}'", f"unknown extension "
                                         f"'{target.suffix}'", "use .gpkg, .geojson, "
                                         ".parquet or .csv"))
    prov = _jsonable(provenance(result))
    meta = json.dumps(prov, ensure_ascii=False, default=str)
    layer = layer or prov.get("profile") or "siteplan"
    data = _for_file(result)
    with atomic_path(target, overwrite=overwrite) as tmp:
        if fmt == "GPKG":
            pyogrio.write_dataframe(data, tmp, layer=layer, driver="GPKG",
                                    metadata={_META_KEY: meta})
            _write_qgis_style(tmp, layer, data, lang=lang)
        elif fmt == "GeoJSON":
            text = data.to_crs(4326).to_json(drop_id=True, na="null")
            doc = json.loads(text)
            doc[_META_KEY] = prov
            tmp.write_text(json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8")
        elif fmt == "parquet":
            data.to_parquet(tmp)
            import pyarrow.parquet as pq

            table = pq.read_table(tmp)
            md = dict(table.schema.metadata or {})
            md[_META_KEY.encode()] = meta.encode()
            pq.write_table(table.replace_schema_metadata(md), tmp)
        else:
            frame = pd.DataFrame(data.drop(columns=data.geometry.name))
            frame["wkt"] = data.geometry.to_wkt()
            frame.to_csv(tmp, index=False)
    if fmt == "csv":
        side = target.with_name(target.name + ".provenance.json")
        with atomic_path(side, overwrite=True) as tmp:
            tmp.write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str),
                           encoding="utf-8")
    return target


def write_geopackage(results: dict[str, gpd.GeoDataFrame], path: str | PathLike, *,
                     overwrite: bool = True, lang: str = "id") -> Path:
    """Write several results as layers of one styled GeoPackage (atomically)."""
    import pyogrio

    target = Path(path)
    with atomic_path(target, overwrite=overwrite) as tmp:
        for layer, result in results.items():
            meta = json.dumps(_jsonable(provenance(result)), ensure_ascii=False, default=str)
            data = _for_file(result)
            pyogrio.write_dataframe(data, tmp, layer=layer, driver="GPKG",
                                    metadata={_META_KEY: meta})
            _write_qgis_style(tmp, layer, data, lang=lang)
    return target


def read_result(path: str | PathLike, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a result written by :func:`write_result`, restoring ``attrs["siteplan"]``."""
    import pyogrio

    p = Path(path)
    where = f"scored file '{p}'"
    if not p.is_file():
        raise SiteplanInputError(Problem(where, "does not exist", "check the path"))
    suffix = p.suffix.lower()
    meta = None
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            gdf = gpd.read_parquet(p)
            raw = (pq.read_schema(p).metadata or {}).get(_META_KEY.encode())
            meta = raw.decode() if raw else None
        elif suffix == ".csv":
            frame = pd.read_csv(p, dtype={"parcel_id": str, "excluded_by": str, "notes": str,
                                          "status": str, "excluded_rules": str})
            geom = gpd.GeoSeries.from_wkt(frame.pop("wkt")) if "wkt" in frame else None
            side = p.with_name(p.name + ".provenance.json")
            meta = side.read_text(encoding="utf-8") if side.is_file() else None
            crs = json.loads(meta).get("crs") if meta else None
            gdf = gpd.GeoDataFrame(frame, geometry=geom, crs=crs)
        else:
            if layer is None and suffix == ".gpkg":
                names = [n for n, _ in pyogrio.list_layers(p) if n != "layer_styles"]
                layer = names[0] if names else None
            gdf = pyogrio.read_dataframe(p, layer=layer)
            if suffix == ".gpkg":
                meta = (pyogrio.read_info(p, layer=layer).get("layer_metadata") or {}).get(
                    _META_KEY)
            else:
                doc = json.loads(p.read_text(encoding="utf-8"))
                meta = json.dumps(doc.get(_META_KEY)) if doc.get(_META_KEY) else None
    except SiteplanInputError:
        raise
    except Exception as exc:  # any reader failure on a damaged file
        raise SiteplanInputError(Problem(where, f"cannot be read ({exc})",
                                         "write it again with siteplan score")) from None
    missing = {"parcel_id", "score"} - set(gdf.columns)
    if missing:
        raise SiteplanInputError(Problem(where, f"is not a siteplan result: no column(s) "
                                         f"{', '.join(sorted(missing))}",
                                         "give a file written by siteplan score"))
    if meta:
        info = json.loads(meta)
        gdf.attrs["siteplan"] = info
        if info.get("crs") and gdf.crs is not None and info["crs"] != gdf.crs.to_string():
            gdf = gdf.to_crs(info["crs"])
    if "eligible" in gdf.columns:
        gdf["eligible"] = gdf["eligible"].astype(str).str.lower().isin(["true", "1"])
    if "rank" in gdf.columns:
        gdf["rank"] = pd.array(pd.to_numeric(gdf["rank"], errors="coerce").round(),
                               dtype="Int64")
    for col in ("excluded_by", "excluded_rules", "notes"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype("string").fillna("").astype(object)
    return gdf


# ------------------------------------------------------------------- QGIS style

_RAMP = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _symbol(idx: int, fill: str, outline: str = "60,60,60,255", style: str = "solid") -> str:
    return (f'<symbol type="fill" name="{idx}" alpha="1" clip_to_extent="1" force_rhr="0">'
            '<layer class="SimpleFill" pass="0" locked="0" enabled="1"><Option type="Map">'
            f'<Option name="color" value="{fill}" type="QString"/>'
            f'<Option name="outline_color" value="{outline}" type="QString"/>'
            '<Option name="outline_width" value="0.26" type="QString"/>'
            '<Option name="outline_width_unit" value="MM" type="QString"/>'
            f'<Option name="style" value="{style}" type="QString"/>'
            '</Option></layer></symbol>')


def qgis_style_qml(scores: pd.Series, *, lang: str = "id", k: int = 5) -> str:
    """A QGIS rule-based style: score classes (quantiles) and excluded parcels in grey."""
    import mapclassify

    valid = scores.dropna().to_numpy(dtype=float)
    if len(valid) >= 2 and len(np.unique(valid)) >= 2:
        k = min(k, len(np.unique(valid)))
        bins = list(mapclassify.Quantiles(valid, k=k).bins)
    else:
        bins = [100.0]
    lows = [0.0, *bins[:-1]]
    ramp = _RAMP if len(bins) == 5 else [_RAMP[round(i * 4 / max(len(bins) - 1, 1))]
                                         for i in range(len(bins))]
    excluded = "Tidak memenuhi syarat" if lang == "id" else "Not eligible"
    rules = [f'<rule filter="&quot;score&quot; IS NULL" symbol="0" '
             f'label="{escape(excluded)}" key="{{r0}}"/>']
    symbols = [_symbol(0, "200,200,200,120", "130,130,130,255", "b_diagonal")]
    for i, (lo, hi) in enumerate(zip(lows, bins, strict=True), 1):
        op = "&gt;=" if i == 1 else "&gt;"
        rules.append(f'<rule filter="&quot;score&quot; {op} {lo:.6g} AND &quot;score&quot; '
                     f'&lt;= {hi:.6g}" symbol="{i}" label="{lo:.1f} - {hi:.1f}" key="{{r{i}}}"/>')
        symbols.append(_symbol(i, _rgb(ramp[i - 1])))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            '<qgis version="3.28.0" styleCategories="Symbology">'
            '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" '
            'forceraster="0"><rules key="{root}">' + "".join(rules) + "</rules><symbols>" +
            "".join(symbols) + "</symbols></renderer-v2></qgis>")


def _write_qgis_style(path: Path, layer: str, data: gpd.GeoDataFrame, *, lang: str) -> None:
    qml = qgis_style_qml(data["score"] if "score" in data else pd.Series(dtype=float),
                         lang=lang)
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT "
                "NOT NULL, f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name "
                "TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, "
                "styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), "
                "ui TEXT(30), update_time DATETIME DEFAULT "
                "(strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                "description, last_change) VALUES ('layer_styles', 'attributes', "
                "'layer_styles', 'QGIS styles', strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
            geom_col = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE "
                                   "table_name = ?", (layer,)).fetchone()
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'siteplan', '')",
                (layer, geom_col[0] if geom_col else "geom", f"{layer} score", qml,
                 "siteplan: suitability score classes"))
    finally:
        con.close()
