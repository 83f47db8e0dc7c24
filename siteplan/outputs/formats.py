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
import dataclasses
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._data import file_sha256
from .._errors import Problem, SiteplanInputError
from ..render.qgis import qgis_style_qml, write_qgis_style
from ..render.words import reasons_text
from ..scoring.record import Source, attach, maybe_record, record_from_dict

__all__ = ["write_result", "write_geopackage", "read_result", "provenance", "FORMATS",
           "OutputFormat", "atomic_path", "qgis_style_qml"]

_META_KEY = "siteplan"


def _fingerprint(src: Source) -> Source:
    """The source with its file's sha256 and date, when it names a file here.

    A fingerprint known from loading (an OpenStreetMap extract's replication
    date) is kept.
    """
    if src.sha256 and src.date:
        return src
    text = src.text
    path = Path(text)
    if not path.is_file() and ":" in text:
        path = Path(text.rsplit(":", 1)[0])
    if not path.is_file():
        return src
    when = src.date or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date().isoformat()
    return dataclasses.replace(src, sha256=src.sha256 or file_sha256(path), date=when)


def provenance(result: gpd.GeoDataFrame) -> dict[str, Any]:
    """The result's record as JSON data, its input files fingerprinted (sha256, date)."""
    rec = maybe_record(result)
    if rec is None:
        return {}
    prov = rec.provenance
    prov = dataclasses.replace(prov, sources=tuple(_fingerprint(s) for s in prov.sources))
    return dataclasses.replace(rec, provenance=prov).to_dict()


def _layer_name(prov: dict[str, Any]) -> str:
    """A GeoPackage layer name for a record: the profile's name, else the record's kind."""
    prof = prov.get("profile")
    return str((prof or {}).get("name") or "") or str(prov.get("kind") or "siteplan")


#: a temporary output left for this long is stale whoever wrote it (a write refreshes it)
STALE_AFTER = 600.0
_SIDECARS = ("-journal", "-wal", "-shm")   # SQLite's files beside a GeoPackage being written
_MKSTEMP = re.compile(r"[a-z0-9_]{8}")       # the random part of tempfile.mkstemp's names


def _alive(pid: int) -> bool:
    """Whether a process of this id runs here (a Windows process is assumed alive)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale_temporaries(target: Path) -> list[Path]:
    """Temporary files of earlier writes of ``target`` whose writer is gone.

    Only siteplan's own names count: ``.<stem>.siteplan-<pid>-<random><suffix>``
    (and SQLite's ``-journal``, ``-wal``, ``-shm`` beside them), stale when that
    process no longer runs or the file was not touched for :data:`STALE_AFTER`
    seconds; and the names of earlier versions, ``.<stem>.<8 random><suffix>``,
    after :data:`STALE_AFTER` seconds.
    """
    head = f".{target.stem}."
    out = []
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if not name.startswith(head):
            continue
        base = next((name[:-len(s)] for s in _SIDECARS if name.endswith(s)), name)
        if not base.endswith(target.suffix) or len(base) <= len(head) + len(target.suffix):
            continue
        core = base[len(head):len(base) - len(target.suffix)]
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if not entry.is_file(follow_symlinks=False):
                continue
        except OSError:
            continue
        own = re.fullmatch(r"siteplan-(\d+)-[a-z0-9_]{8}", core)
        if own:
            if old or not _alive(int(own.group(1))):
                out.append(Path(entry.path))
        elif _MKSTEMP.fullmatch(core) and old:
            out.append(Path(entry.path))
    return out


def _fsync(path: Path, *, folder: bool = False) -> None:
    """Flush a file (or a folder's entries) to the disk; a folder is skipped off POSIX."""
    if folder and os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(tmp: Path) -> None:
    for p in (tmp, *(tmp.with_name(tmp.name + s) for s in _SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@contextlib.contextmanager
def atomic_path(target: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path beside ``target`` that replaces it when the block succeeds.

    The temporary file is ``.<stem>.siteplan-<pid>-<random><suffix>``; stale
    ones of earlier writes of the same target (their process gone, or
    untouched for :data:`STALE_AFTER` seconds) are removed first. The file is
    flushed to the disk before it is renamed, and the folder after, so a
    crash leaves the old output or the new one, whole.
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise SiteplanInputError(Problem(f"output '{target}'", "already exists",
                                         "choose another name, or allow overwriting "
                                         "(--overwrite on the command line)"))
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in _stale_temporaries(target):
        _remove(stale)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.siteplan-{os.getpid()}-",
                               suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():
            _fsync(tmp_path)
        os.replace(tmp_path, target)
        _fsync(target.parent, folder=True)
    finally:
        _remove(tmp_path)


def _for_file(result: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = result.copy()
    out.attrs = {}
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if isinstance(s.dtype, pd.Int64Dtype):
            continue           # rank and rank_shared stay integers (NULL where missing)
        if s.dtype.kind == "f":
            # a distance beyond the criterion's search limit is +inf in memory; files get
            # NaN (GeoJSON and CSV have no infinity), the limit is in the provenance
            out[col] = s.where(~np.isinf(s.to_numpy(dtype=float)))
        elif s.dtype == object:
            out[col] = s.map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                             else str(v))
    return out


_ROAD_MEASURES = {"network_distance", "travel_time", "network_catchment"}


def _in_words(result: gpd.GeoDataFrame, data: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """``data`` with its text for people in ``lang``: ``status``, ``excluded_by``, ``notes``.

    Made from the facts the result keeps (the status codes, the numbers of
    the broken rules and the profile's constraints, the criteria without a
    value and the rules left out), as the maps and the brief say them; a
    parcel held by an open offer of the register says which offer holds it.
    """
    from .. import words as _w

    rec = maybe_record(result)
    scored = rec is not None and getattr(rec, "kind", None) == "score"
    n = len(result)
    status = result.get("status")
    if "excluded_by" in data:
        cons = list(rec.profile.constraints) if scored else []
        said = reasons_text(result, cons, lang).astype(object)
        data["excluded_by"] = said.to_numpy(dtype=object)
    if status is not None:
        data["status"] = _w.status_words(status, lang).to_numpy(dtype=object)
    if "notes" in data and scored:
        crits = [c for c in rec.profile.criteria if f"m_{c.name}" in result]
        eligible = (result["eligible"].fillna(False).astype(bool).to_numpy()
                    if "eligible" in result else result["score"].notna().to_numpy())
        missing = np.column_stack(
            [pd.isna(result[f"m_{c.name}"]).to_numpy(dtype=bool) for c in crits]
        ) if crits else np.zeros((n, 0), dtype=bool)
        facts = [(c.title.get(lang) or c.title.get("id") or c.title.get("en") or c.name,
                  c.missing or 0.0,
                  str(rec.measured_as.get(c.name) or c.measure).split(" ")[0] in _ROAD_MEASURES)
                 for c in crits]
        skipped = [(x.kind, x.label(lang), x.reason, x.layer) for x in rec.skipped]
        data["notes"] = _w.notes_words(missing & eligible[:, None], skipped, facts,
                                       lang).to_numpy(dtype=object)
    return data


# ------------------------------------------------------------------- formats
# Each format: write(data, tmp, *, layer, prov, meta, lang) and read(path, layer) ->
# (frame, provenance JSON text or None). Adding a format is one entry in FORMATS.


def _write_gpkg(data, tmp: Path, *, layer: str, prov: dict, meta: str, lang: str) -> None:
    import pyogrio

    pyogrio.write_dataframe(data, tmp, layer=layer, driver="GPKG", metadata={_META_KEY: meta})
    write_qgis_style(tmp, layer, data, lang=lang, profile=prov.get("profile"),
                     counts=prov.get("counts"))


def _read_gpkg(p: Path, layer: str | None):
    import pyogrio

    if layer is None:
        names = [n for n, _ in pyogrio.list_layers(p) if n != "layer_styles"]
        layer = names[0] if names else None
    gdf = pyogrio.read_dataframe(p, layer=layer)
    meta = (pyogrio.read_info(p, layer=layer).get("layer_metadata") or {}).get(_META_KEY)
    return gdf, meta


def _write_geojson(data, tmp: Path, *, layer: str, prov: dict, meta: str, lang: str) -> None:
    doc = json.loads(data.to_crs(4326).to_json(drop_id=True, na="null"))
    doc[_META_KEY] = prov
    tmp.write_text(json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8")


def _read_geojson(p: Path, layer: str | None):
    import pyogrio

    gdf = pyogrio.read_dataframe(p)
    doc = json.loads(p.read_text(encoding="utf-8"))
    return gdf, (json.dumps(doc.get(_META_KEY)) if doc.get(_META_KEY) else None)


def _write_parquet(data, tmp: Path, *, layer: str, prov: dict, meta: str, lang: str) -> None:
    import pyarrow.parquet as pq

    data.to_parquet(tmp)
    table = pq.read_table(tmp)
    md = dict(table.schema.metadata or {})
    md[_META_KEY.encode()] = meta.encode()
    pq.write_table(table.replace_schema_metadata(md), tmp)


def _read_parquet(p: Path, layer: str | None):
    import pyarrow.parquet as pq

    raw = (pq.read_schema(p).metadata or {}).get(_META_KEY.encode())
    return gpd.read_parquet(p), (raw.decode() if raw else None)


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".provenance.json")


def _write_csv(data, tmp: Path, *, layer: str, prov: dict, meta: str, lang: str) -> None:
    frame = pd.DataFrame(data.drop(columns=data.geometry.name))
    frame["wkt"] = data.geometry.to_wkt()
    frame.to_csv(tmp, index=False)


def _read_csv(p: Path, layer: str | None):
    frame = pd.read_csv(p, dtype=dict.fromkeys(_TEXT_COLUMNS, str))
    geom = gpd.GeoSeries.from_wkt(frame.pop("wkt")) if "wkt" in frame else None
    side = _sidecar(p)
    meta = side.read_text(encoding="utf-8") if side.is_file() else None
    crs = _record(meta, f"scored file '{p}'").provenance.crs or None if meta else None
    return gpd.GeoDataFrame(frame, geometry=geom, crs=crs), meta


@dataclass(frozen=True)
class OutputFormat:
    """One file format for results: how to write it, how to read it back."""

    name: str
    write: Callable[..., None]
    read: Callable[[Path, str | None], tuple[gpd.GeoDataFrame, str | None]]
    sidecar: bool = False  # provenance in a .provenance.json beside the file
    in_words: bool = False  # status, reasons and notes in the language (for people)


_GPKG = OutputFormat("GeoPackage (styled for QGIS)", _write_gpkg, _read_gpkg, in_words=True)
_GEOJSON = OutputFormat("GeoJSON (EPSG:4326)", _write_geojson, _read_geojson)

#: file extension -> :class:`OutputFormat`; the CLI and the docs read it
FORMATS: Mapping[str, OutputFormat] = {
    ".gpkg": _GPKG,
    ".geojson": _GEOJSON,
    ".json": _GEOJSON,
    ".parquet": OutputFormat("GeoParquet", _write_parquet, _read_parquet),
    ".csv": OutputFormat("CSV (WKT geometry)", _write_csv, _read_csv, sidecar=True),
}
_TEXT_COLUMNS = ("parcel_id", "excluded_by", "excluded_rules", "notes", "status")


def _format(target: Path) -> OutputFormat:
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise SiteplanInputError(Problem(f"output '{target}'", f"unknown extension "
                                         f"'{target.suffix}'", "use one of: "
                                         + ", ".join(FORMATS)))
    return fmt


def write_result(result: gpd.GeoDataFrame, path: str | PathLike, *, overwrite: bool = True,
                 layer: str | None = None, lang: str = "id") -> Path:
    """Write a scored result; the format follows the file extension.

    Parameters
    ----------
    result
        From :func:`siteplan.score`.
    path
        One of the extensions of :data:`FORMATS`: ``.gpkg`` (with a QGIS style
        by score in ``layer_styles``), ``.geojson``, ``.parquet`` (GeoParquet)
        or ``.csv`` (WKT geometry, provenance beside it).
    overwrite
        When False, an existing file is an error.
    layer
        GeoPackage layer name (default: the profile name).
    lang
        Language of the GeoPackage for the people who open it: its status,
        reasons for exclusion and notes (``excluded_by``, ``notes``), its
        QGIS style's legend labels, its field aliases (in the style and in
        ``gpkg_data_columns``, which GDAL reads as alternative names) and the
        layer's description. The other formats keep the result's own codes
        and texts.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, siteplan as sp
    >>> from siteplan.outputs import write_result, read_result
    >>> result = sp.score(sp.load_sample(), "wisata_religi")
    >>> path = write_result(result, tempfile.mkdtemp() + "/wisata.parquet")
    >>> sp.record_of(read_result(path)).profile.name
    'wisata_religi'
    """
    target = Path(path)
    fmt = _format(target)
    prov = provenance(result)
    meta = json.dumps(prov, ensure_ascii=False, default=str)
    layer = layer or _layer_name(prov)
    data = _for_file(result)
    if fmt.in_words:
        data = _in_words(result, data, lang)
    with atomic_path(target, overwrite=overwrite) as tmp:
        fmt.write(data, tmp, layer=layer, prov=prov, meta=meta, lang=lang)
    if fmt.sidecar:
        with atomic_path(_sidecar(target), overwrite=True) as tmp:
            tmp.write_text(json.dumps(prov, ensure_ascii=False, indent=2, default=str),
                           encoding="utf-8")
    return target


def write_geopackage(results: dict[str, gpd.GeoDataFrame], path: str | PathLike, *,
                     overwrite: bool = True, lang: str = "id") -> Path:
    """Write several results as layers of one styled GeoPackage (atomically)."""
    target = Path(path)
    with atomic_path(target, overwrite=overwrite) as tmp:
        for layer, result in results.items():
            prov = provenance(result)
            meta = json.dumps(prov, ensure_ascii=False, default=str)
            data = _in_words(result, _for_file(result), lang)
            _write_gpkg(data, tmp, layer=layer, prov=prov, meta=meta, lang=lang)
    return target


def _record(meta: str, where: str):
    try:
        return record_from_dict(json.loads(meta))
    except SiteplanInputError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SiteplanInputError(Problem(where, f"has a damaged siteplan record ({exc})",
                                         "write it again with siteplan score")) from None


def read_result(path: str | PathLike, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a result written by :func:`write_result`, with its record (:func:`record_of`)."""
    p = Path(path)
    where = f"scored file '{p}'"
    if not p.is_file():
        raise SiteplanInputError(Problem(where, "does not exist", "check the path"))
    fmt = _format(p)
    try:
        gdf, meta = fmt.read(p, layer)
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
        rec = _record(meta, where)
        crs = rec.provenance.crs
        if crs and gdf.crs is not None and crs != gdf.crs.to_string():
            gdf = gdf.to_crs(crs)
        attach(gdf, rec)
    if "eligible" in gdf.columns:
        gdf["eligible"] = gdf["eligible"].astype(str).str.lower().isin(["true", "1"])
    if "status" in gdf.columns:   # a GeoPackage says it in words: back to the codes
        from .. import words as _w

        codes = {str(word): code for lang in _w.LANGS
                 for code, word in _w.words(lang)["status"].items()}
        status = gdf["status"].astype("string")
        gdf["status"] = status.map(codes).fillna(status).astype(object)
    for col in ("rank", "rank_shared"):
        if col in gdf.columns:
            gdf[col] = pd.array(pd.to_numeric(gdf[col], errors="coerce").round(),
                                dtype="Int64")
    for col in ("excluded_by", "excluded_rules", "notes"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype("string").fillna("").astype(object)
    return gdf
