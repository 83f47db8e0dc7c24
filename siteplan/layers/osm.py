"""Layers from OpenStreetMap: green spaces, roads, POIs, admin units, water and land.

A local ``.osm`` or ``.osm.pbf`` file is read with GDAL's OSM driver
(through pyogrio); tags are mapped to siteplan's layers by the table in
``siteplan/data/osm_tags.csv``, and :data:`OSM_SOURCES` says which of the
driver's geometries (points, lines, areas) each layer reads. Roads are cut
at every vertex into short segments, so that ways meeting at a shared OSM
node form a routable network.

What the extract does not hold comes back as an empty layer: an extract
covers its whole area, so no coastline in it means no coast there. Two
exceptions: without any road there is no network (the layer is left out and
road measures fall back to straight lines), and admin units always exist (an
extract cut without its boundary relations lacks them; the layer is left
out, so that ``missing="skip"`` reports it). Flood zones and population are
never in OpenStreetMap.
"""

from __future__ import annotations

import csv
import logging
import re
import tempfile
import threading
import warnings
from collections.abc import Mapping
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError, raise_if_problems
from ..io._osm_header import osm_fingerprint
from ..io.schema import RIVER_WIDTH_EDGES
from ..io.validate import river_class
from .bundle import Layers

__all__ = ["layers_from_osm", "osm_tag_table", "osm_frames", "osm_fingerprint", "OSM_SOURCES",
           "OSM_LAYERS", "WIDTH_CLASS_EDGES", "TAG_COLUMNS"]

log = logging.getLogger(__name__)
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

#: siteplan layer -> the GDAL OSM driver layers it is read from
OSM_SOURCES: dict[str, tuple[str, ...]] = {
    "green_spaces": ("multipolygons",),
    "roads": ("lines",),
    "pois": ("points", "multipolygons"),
    "admin": ("multipolygons",),
    "rivers": ("lines",),
    "water": ("multipolygons",),
    "coastline": ("lines",),
    "heritage": ("points", "lines", "multipolygons"),
    "sawah": ("multipolygons",),
}
#: every layer :func:`layers_from_osm` can return
OSM_LAYERS = tuple(OSM_SOURCES)
#: river width classes by width=* in metres: up to 3 kecil, over 3 up to 20 sedang, above 20
#: besar (PP 38/2011's depth edges for river setbacks, read on the width; see
#: :data:`siteplan.io.schema.RIVER_WIDTH_EDGES`)
WIDTH_CLASS_EDGES = RIVER_WIDTH_EDGES
#: the columns of the tag table; ``public`` and ``when`` may be left out of a table of one's own
TAG_COLUMNS = ("layer", "key", "value", "canonical", "public", "when")


def osm_tag_table(tags: pd.DataFrame | str | PathLike | None = None,
                  admin_levels: Mapping[int | str, str | None] | None = None) -> pd.DataFrame:
    """The OSM tag mapping: ``siteplan/data/osm_tags.csv``, with one's own table over it.

    Parameters
    ----------
    tags
        A table of one's own (a DataFrame, or a CSV file, ``#`` lines are
        comments) with the columns ``layer, key, value, canonical`` and
        optionally ``public, when``. A row for the same layer, key, value and
        ``when`` as a built-in row replaces it; new rows are read before the
        built-in ones (so they win where both match); a row whose
        ``canonical`` is empty removes the mapping.
    admin_levels
        OSM ``admin_level`` -> siteplan level (``provinsi``, ``kota``,
        ``kecamatan``, ``kelurahan``), over the built-in 4-7; ``None`` drops a
        level. E.g. ``{8: "kelurahan", 7: None}`` where villages are level 8.

    Returns
    -------
    pandas.DataFrame
        One row per tag, in the order they are matched.

    Examples
    --------
    >>> t = osm_tag_table(admin_levels={8: "kelurahan", 7: None})
    >>> t.loc[t["layer"] == "admin", ["value", "canonical"]].values.tolist()
    [['8', 'kelurahan'], ['4', 'provinsi'], ['5', 'kota'], ['6', 'kecamatan']]
    """
    text = (resources.files("siteplan") / "data" / "osm_tags.csv").read_text("utf-8")
    base = _table_rows(text).fillna("")
    own = []
    if tags is not None:
        own.append(_own_tags(tags))
    if admin_levels:
        own.append(_admin_rows(admin_levels))
    if not own:
        return base
    mine = pd.concat(own, ignore_index=True).drop_duplicates(
        ["layer", "key", "value", "when"], keep="last")
    key = ["layer", "key", "value", "when"]
    replaced = base.merge(mine[key], on=key, how="left", indicator=True)["_merge"] == "both"
    out = pd.concat([mine, base.loc[~replaced.to_numpy()]], ignore_index=True)
    return out.loc[out["canonical"] != ""].reset_index(drop=True)


def _table_rows(text: str) -> pd.DataFrame:
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    return pd.DataFrame(rows, columns=list(TAG_COLUMNS) if not rows else None)


def _own_tags(tags) -> pd.DataFrame:
    where = "layers_from_osm(tags=...)"
    if isinstance(tags, str | PathLike):
        path = Path(tags)
        if not path.is_file():
            raise SiteplanInputError(Problem(where, f"'{tags}' is not a file",
                                             "pass a CSV file or a DataFrame"))
        table = _table_rows(path.read_text("utf-8"))
    elif isinstance(tags, pd.DataFrame):
        table = tags.copy()
    else:
        raise SiteplanInputError(Problem(where, f"got a {type(tags).__name__}",
                                         "pass a DataFrame or a CSV file with the columns "
                                         + ", ".join(TAG_COLUMNS)))
    missing = [c for c in TAG_COLUMNS[:4] if c not in table.columns]
    problems = []
    if missing:
        problems.append(Problem(where, f"the table lacks the columns {', '.join(missing)} "
                                f"(it has: {', '.join(map(str, table.columns))})",
                                "give layer, key, value, canonical (and public, when)"))
    else:
        for col in ("public", "when"):
            if col not in table.columns:
                table[col] = ""
        table = table[list(TAG_COLUMNS)].fillna("").astype(str)
        bad = ~table["layer"].isin(OSM_LAYERS)
        if bad.any():
            problems.append(Problem(where, f"rows {', '.join(map(str, table.index[bad][:10]))} "
                                    f"name the layers {sorted(set(table.loc[bad, 'layer']))}",
                                    f"use one of: {', '.join(OSM_LAYERS)}"))
        bad = (table["when"] != "") & ~table["when"].str.contains("=", regex=False)
        if bad.any():
            problems.append(Problem(where, f"'when' must be key=value, got "
                                    f"{sorted(set(table.loc[bad, 'when']))}",
                                    "write e.g. religion=muslim, or leave it empty"))
        empty = (table["key"] == "") | (table["value"] == "")
        if empty.any():
            problems.append(Problem(where, f"rows {', '.join(map(str, table.index[empty][:10]))}"
                                    " have no key or value", "write the OSM tag's key and value "
                                    "(value * matches any)"))
    raise_if_problems(problems)
    return table


_ADMIN_LEVELS = ("provinsi", "kota", "kecamatan", "kelurahan")


def _admin_rows(levels: Mapping[int | str, str | None]) -> pd.DataFrame:
    rows = []
    for level, name in levels.items():
        if name is not None and name not in _ADMIN_LEVELS:
            raise SiteplanInputError(Problem(
                "layers_from_osm(admin_levels=...)", f"admin_level {level} maps to {name!r}",
                f"map it to one of {', '.join(_ADMIN_LEVELS)}, or None to leave it out"))
        rows.append({"layer": "admin", "key": "admin_level", "value": str(level).strip(),
                     "canonical": name or "", "public": "",
                     "when": "boundary=administrative"})
    return pd.DataFrame(rows, columns=list(TAG_COLUMNS))


def _tag(frame: pd.DataFrame, key: str) -> pd.Series:
    """Values of an OSM tag: its own column when GDAL made one, else from other_tags."""
    if key in frame.columns:
        own = frame[key].astype("string")
    else:
        own = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "other_tags" in frame.columns:
        pattern = '"' + re.escape(key) + '"=>"((?:[^"\\\\]|\\\\.)*)"'
        extra = frame["other_tags"].astype("string").str.extract(pattern, expand=False)
        own = own.fillna(extra)
    return own


_CONFIG_LOCK = threading.Lock()


def _timestamp_config() -> Path:
    """GDAL's osmconf.ini with ``osm_timestamp`` read (written once per process)."""
    import pyogrio

    version = pyogrio.__gdal_version_string__
    target = Path(tempfile.gettempdir()) / f"siteplan-osmconf-{version}.ini"
    if not target.is_file():
        base = Path(pyogrio.get_gdal_data_path() or "") / "osmconf.ini"
        text = base.read_text("utf-8") if base.is_file() else ""
        if "osm_timestamp=no" not in text:
            return base
        tmp = target.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_text(text.replace("osm_timestamp=no", "osm_timestamp=yes"), "utf-8")
        tmp.replace(target)
    return target


def osm_frames(path: str | PathLike) -> dict[str, gpd.GeoDataFrame]:
    """The GDAL OSM driver's layers (points, lines, multipolygons) of a local file.

    Each feature keeps its ``osm_timestamp`` (UTC) where the file has one,
    so the newest edit can date an extract without a replication timestamp.
    """
    import pyogrio

    frames = {}
    invalid = 0
    with _CONFIG_LOCK:
        config = _timestamp_config()
        before = pyogrio.get_gdal_config_option("OSM_CONFIG_FILE")
        pyogrio.set_gdal_config_options({"OSM_CONFIG_FILE": str(config)})
        try:
            for layer in ("points", "lines", "multipolygons"):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    gdf = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
                for w in caught:
                    log.info("OSM %s: GDAL: %s", layer, w.message)
                missing = gdf.geometry.isna()
                invalid += int(missing.sum())
                frames[layer] = gdf.loc[~missing]
        finally:
            pyogrio.set_gdal_config_options({"OSM_CONFIG_FILE": before})
    if invalid:
        log.warning("OSM file '%s': %d features with unreadable geometry skipped", path, invalid)
    frames["_skipped"] = invalid
    return frames


def _match(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """For each row, the first table row whose key=value (and 'when') matches."""
    out = pd.DataFrame({"canonical": pd.Series(pd.NA, index=frame.index, dtype="string"),
                        "public": pd.Series(pd.NA, index=frame.index, dtype="string"),
                        "key": pd.Series(pd.NA, index=frame.index, dtype="string")})
    for _, row in table.iterrows():  # a few dozen table rows, vectorised over features
        values = _tag(frame, row["key"])
        hit = values.notna() if row["value"] == "*" else values == row["value"]
        if row["when"]:
            k, v = row["when"].split("=", 1)
            hit &= _tag(frame, k) == v
        hit = hit.fillna(False).to_numpy(bool) & out["canonical"].isna().to_numpy()
        out.loc[hit, "canonical"] = row["canonical"]
        out.loc[hit, "public"] = row["public"]
        out.loc[hit, "key"] = f"{row['key']}={row['value']}"
    return out


def _segments(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every way cut into its two-point segments (OSM junctions are shared vertices)."""
    geoms = np.asarray(lines.geometry.array, dtype=object)
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    starts = np.flatnonzero(same)
    segs = shapely.linestrings(np.stack([coords[starts], coords[starts + 1]], axis=1))
    src = pidx[cidx[starts]]
    out = lines.iloc[src].drop(columns=lines.geometry.name).reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry=segs, crs=lines.crs)


def _width_m(frame: pd.DataFrame) -> pd.Series:
    """width=* in metres ("12", "12 m", "12.5"; NaN when absent or not metres)."""
    text = _tag(frame, "width").str.strip().str.lower()
    number = text.str.extract(r"^(\d+(?:[.,]\d+)?)\s*(?:m)?$", expand=False)
    return pd.to_numeric(number.str.replace(",", ".", regex=False), errors="coerce")


def _osm_id(frame: pd.DataFrame) -> pd.Series:
    own = _tag(frame, "osm_id")
    return own.fillna(_tag(frame, "osm_way_id")) if "osm_way_id" in frame.columns else own


def _layer(name: str, frames: dict, table: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """One siteplan layer from the driver's layers it reads (None when nothing matched)."""
    rows = table[table["layer"] == name]
    parts = []
    for source in OSM_SOURCES[name]:
        frame = frames[source]
        m = _match(frame, rows)
        hit = m["canonical"].notna().to_numpy()
        if not hit.any():
            continue
        sub, m = frame.loc[hit], m.loc[hit]
        geoms = np.asarray(sub.geometry.array, dtype=object)
        cols = {"name": _tag(sub, "name").astype(object).to_numpy(),
                "osm_tag": m["key"].astype(object).to_numpy(),
                "osm_id": _osm_id(sub).astype(object).to_numpy()}
        canonical = m["canonical"].astype(object).to_numpy()
        if name == "green_spaces":
            access = _tag(sub, "access")
            public = (m["public"] == "true") & ~access.isin(["private", "no"]).fillna(False)
            cols = {"rth_type": canonical, "public": public.to_numpy(dtype=bool), **cols}
        elif name == "roads":
            cols = {"road_class": canonical, **cols}
        elif name == "pois":
            geoms = shapely.point_on_surface(geoms)  # areas become points inside them
            cols = {"category": canonical, **cols}
        elif name == "admin":
            cols = {"nama": _tag(sub, "name").fillna("").astype(object).to_numpy(),
                    "level": canonical, "admin_level": _tag(sub, "admin_level").astype(
                        object).to_numpy(), "osm_id": cols["osm_id"]}
        elif name == "rivers":
            width = _width_m(sub).to_numpy(dtype=float)
            waterway = _tag(sub, "waterway").astype(object).to_numpy()
            # the table's saluran (drains, ditches) is never a river, whatever its width
            cols = {"waterway": waterway, "width_m": width,
                    "width_class": river_class(width, canonical, canonical), **cols}
        elif name == "water":
            kind = _tag(sub, "water").fillna(pd.Series(canonical, index=sub.index))
            cols = {"kind": kind.astype(object).to_numpy(), **cols}
        elif name == "heritage":
            cols = {"kind": canonical, "historic": _tag(sub, "historic").astype(
                object).to_numpy(), "heritage": _tag(sub, "heritage").astype(
                object).to_numpy(), **cols}
        else:  # coastline, sawah
            cols = {"kind": canonical, **cols}
        parts.append(gpd.GeoDataFrame(cols, geometry=geoms, crs=frame.crs))
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return _segments(out) if name == "roads" else out


def _empty(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": pd.Series(dtype=object)},
                            geometry=gpd.GeoSeries([], crs=crs))


def layers_from_osm(source: str | PathLike, *, parcels=None, crs=None,
                    tags: pd.DataFrame | str | PathLike | None = None,
                    admin_levels: Mapping[int | str, str | None] | None = None,
                    extra: Mapping | None = None,
                    columns: Mapping | None = None,
                    values: Mapping[str, Mapping[str, str]] | None = None) -> Layers:
    """Green spaces, roads, POIs, admin units, water and protected land from OpenStreetMap.

    Parameters
    ----------
    source
        A local ``.osm`` or ``.osm.pbf`` file (for example an extract of
        Banten from a mirror of OpenStreetMap data).
    parcels
        Optional parcel layer (path or GeoDataFrame) to bundle with the OSM
        layers; OpenStreetMap has no cadastral parcels.
    crs
        Metric CRS (default: the UTM zone of the data, EPSG:32748 in Serang).
    tags
        A tag table of one's own, merged over the built-in one
        (``siteplan/data/osm_tags.csv``): see :func:`osm_tag_table`.
    admin_levels
        OSM ``admin_level`` -> siteplan level, merged over the built-in
        4 provinsi, 5 kota, 6 kecamatan, 7 kelurahan (``None`` drops a level).
    extra
        Other layers to bundle, as in :func:`siteplan.load_layers` (population,
        flood zones, ...); a name OpenStreetMap also gives (``roads``, ...)
        replaces the OSM layer.
    columns, values
        Column and value mappings of the parcels and the ``extra`` layers, as
        in :func:`siteplan.load_layers`.

    Returns
    -------
    Layers
        ``green_spaces`` (rth_type, public, name), ``roads`` (road_class,
        name; short segments), ``pois`` (category: pasar, masjid, ibadah,
        sekolah, puskesmas, rumah_sakit, terminal, kantor, umkm, wisata;
        areas become points inside them), ``admin`` (nama, level: provinsi,
        kota, kecamatan, kelurahan from admin_level 4-7), ``rivers``
        (waterway, width_m, width_class kecil/sedang/besar, or saluran for
        drains and ditches), ``water``, ``coastline``, ``heritage``
        (historic=*, heritage=*) and ``sawah`` (landuse=paddy, farmland with
        crop=rice); every one with ``osm_tag`` (the tag that put it there)
        and ``osm_id``. A layer the extract holds nothing of is empty
        (nothing there), except ``roads`` and ``admin``, which are left out
        (see the module's notes). Each OSM layer's source is the extract's
        path, and ``fingerprints`` holds its sha256 and date (the header's
        replication timestamp, else the newest object's). The attribution
        names OpenStreetMap (ODbL).

    Examples
    --------
    The small extract that the ``pyrosm`` package ships (a test dependency):

    >>> from pathlib import Path
    >>> import pyrosm, siteplan as sp
    >>> osm = sp.layers_from_osm(Path(pyrosm.__file__).parent / "data" / "test.osm.pbf")
    >>> bool(osm["roads"]["road_class"].notna().all())
    True
    >>> osm["rivers"][["waterway", "width_class"]].values.tolist()
    [['stream', 'kecil']]
    >>> osm.fingerprints["roads"]["date"]
    '2019-02-23T13:23:35+00:00'
    """
    path = Path(source)
    name = path.name.lower()
    if not path.is_file():
        raise SiteplanInputError(Problem("layers_from_osm", f"'{source}' is not a local file",
                                         "download an .osm.pbf extract (e.g. of Banten) and "
                                         "pass its path; place names need a connection to "
                                         "the Overpass API, which siteplan does not use"))
    if not (name.endswith(".osm.pbf") or name.endswith(".osm") or name.endswith(".pbf")):
        raise SiteplanInputError(Problem("layers_from_osm", f"'{source}' is not an .osm or "
                                         ".osm.pbf file", "pass an OpenStreetMap extract"))
    table = osm_tag_table(tags, admin_levels)
    frames = osm_frames(path)
    found = {layer: _layer(layer, frames, table) for layer in OSM_LAYERS}
    if all(v is None for v in found.values()):
        raise SiteplanInputError(Problem("layers_from_osm", f"'{source}' holds no feature "
                                         "siteplan maps (parks, roads, markets, ...)",
                                         "check the extract covers a town, or pass tags= "
                                         "with a table of the tags it uses"))
    crs_in = frames["lines"].crs or frames["points"].crs
    out = {layer: gdf if gdf is not None else _empty(crs_in) for layer, gdf in found.items()
           if gdf is not None or layer not in ("roads", "admin")}
    from .load import load_layers

    given = dict(extra or {})
    for k in given:
        out.pop(k, None)
    main: dict[str, Any] = {k: out.pop(k) for k in ("green_spaces", "roads", "pois", "admin")
                            if k in out}
    main.update({k: given.pop(k) for k in ("green_spaces", "roads", "pois", "admin",
                                            "population") if k in given})
    layers = load_layers(parcels=parcels, crs=crs, **main, extra={**out, **given},
                         columns=columns, values=values)
    data = {k: layers[k] for k in layers}
    note = f"{frames['_skipped']} OSM features with unreadable geometry skipped" \
        if frames["_skipped"] else ""
    repairs = layers.repairs
    if note:
        repairs = pd.concat([repairs, pd.DataFrame([{
            "layer": "osm", "row": None, "feature_id": None, "problem": note,
            "action": "skipped"}])], ignore_index=True)
    from_osm = [k for k in (*main, *out) if k not in dict(extra or {})]
    fingerprint = osm_fingerprint(path, frames)
    print_ = {"sha256": fingerprint["sha256"], "date": fingerprint["date"] or None}
    return Layers(data, crs=layers.crs, repairs=repairs, rejected=layers.rejected,
                  rejected_parcels=layers.rejected_parcels,
                  sources=dict(layers.sources) | {k: str(path) for k in from_osm},
                  attribution=f"OpenStreetMap: {OSM_ATTRIBUTION}",
                  fingerprints=dict.fromkeys(from_osm, print_))
