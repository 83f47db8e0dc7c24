"""Layers from OpenStreetMap: green spaces, roads, POIs and admin units.

A local ``.osm`` or ``.osm.pbf`` file is read with GDAL's OSM driver
(through pyogrio); tags are mapped to siteplan's layers by the table in
``siteplan/data/osm_tags.csv``. Roads are cut at every vertex into short
segments, so that ways meeting at a shared OSM node form a routable network.
"""

from __future__ import annotations

import csv
import logging
import re
import warnings
from importlib import resources
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError
from ..layers import Layers

__all__ = ["layers_from_osm", "osm_tag_table", "osm_frames"]

log = logging.getLogger(__name__)
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


def osm_tag_table() -> pd.DataFrame:
    """The OSM tag mapping (``siteplan/data/osm_tags.csv``) as a DataFrame."""
    text = (resources.files("siteplan") / "data" / "osm_tags.csv").read_text("utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    return pd.DataFrame(rows).fillna("")


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


def osm_frames(path: str | PathLike) -> dict[str, gpd.GeoDataFrame]:
    """The GDAL OSM driver's layers (points, lines, multipolygons) of a local file."""
    import pyogrio

    frames = {}
    invalid = 0
    for layer in ("points", "lines", "multipolygons"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gdf = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
        for w in caught:
            log.info("OSM %s: GDAL: %s", layer, w.message)
        missing = gdf.geometry.isna()
        invalid += int(missing.sum())
        frames[layer] = gdf.loc[~missing]
    if invalid:
        log.warning("OSM file '%s': %d features with unreadable geometry skipped", path, invalid)
    frames["_skipped"] = invalid  # type: ignore[assignment]
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


def layers_from_osm(source: str | PathLike, *, parcels=None, crs=None) -> Layers:
    """Green spaces, roads, POIs and admin units from OpenStreetMap.

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

    Returns
    -------
    Layers
        ``green_spaces`` (rth_type, public, name, osm_tag), ``roads``
        (road_class, name; short segments), ``pois`` (category, name; areas
        become points inside them) and, when the file has them, ``admin``
        (nama, level from admin_level 5/6/7). The attribution names
        OpenStreetMap (ODbL).

    Examples
    --------
    The small extract that the ``pyrosm`` package ships (a test dependency):

    >>> from pathlib import Path
    >>> import pyrosm, siteplan as sp
    >>> osm = sp.layers_from_osm(Path(pyrosm.__file__).parent / "data" / "test.osm.pbf")
    >>> bool(osm["roads"]["road_class"].notna().all())
    True
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
    frames = osm_frames(path)
    table = osm_tag_table()
    out: dict[str, gpd.GeoDataFrame] = {}

    areas = frames["multipolygons"]
    g = _match(areas, table[table["layer"] == "green_spaces"])
    hit = g["canonical"].notna().to_numpy()
    if hit.any():
        access = _tag(areas, "access").loc[hit]
        public = (g.loc[hit, "public"] == "true") & ~access.isin(["private", "no"]).fillna(
            False)
        out["green_spaces"] = gpd.GeoDataFrame({
            "rth_type": g.loc[hit, "canonical"].astype(object).to_numpy(),
            "public": public.to_numpy(dtype=bool),
            "name": _tag(areas, "name").loc[hit].astype(object).to_numpy(),
            "osm_tag": g.loc[hit, "key"].astype(object).to_numpy(),
            "osm_id": _tag(areas, "osm_id").loc[hit].fillna(
                _tag(areas, "osm_way_id").loc[hit]).astype(object).to_numpy()},
            geometry=areas.geometry.loc[hit].to_numpy(), crs=areas.crs)

    lines = frames["lines"]
    r = _match(lines, table[table["layer"] == "roads"])
    hit = r["canonical"].notna().to_numpy()
    if hit.any():
        ways = gpd.GeoDataFrame({
            "road_class": r.loc[hit, "canonical"].astype(object).to_numpy(),
            "name": _tag(lines, "name").loc[hit].astype(object).to_numpy(),
            "osm_tag": r.loc[hit, "key"].astype(object).to_numpy(),
            "osm_id": _tag(lines, "osm_id").loc[hit].astype(object).to_numpy()},
            geometry=lines.geometry.loc[hit].to_numpy(), crs=lines.crs)
        out["roads"] = _segments(ways)

    poi_parts = []
    for frame in (frames["points"], areas):
        p = _match(frame, table[table["layer"] == "pois"])
        hit = p["canonical"].notna().to_numpy()
        if hit.any():
            geoms = frame.geometry.loc[hit]
            pts = shapely.point_on_surface(np.asarray(geoms.array, dtype=object))
            poi_parts.append(gpd.GeoDataFrame({
                "category": p.loc[hit, "canonical"].astype(object).to_numpy(),
                "name": _tag(frame, "name").loc[hit].astype(object).to_numpy(),
                "osm_tag": p.loc[hit, "key"].astype(object).to_numpy()},
                geometry=pts, crs=frame.crs))
    if poi_parts:
        out["pois"] = pd.concat(poi_parts, ignore_index=True)

    a = _match(areas, table[table["layer"] == "admin"])
    hit = a["canonical"].notna().to_numpy()
    if hit.any():
        out["admin"] = gpd.GeoDataFrame({
            "nama": _tag(areas, "name").loc[hit].fillna("").astype(object).to_numpy(),
            "level": a.loc[hit, "canonical"].astype(object).to_numpy()},
            geometry=areas.geometry.loc[hit].to_numpy(), crs=areas.crs)
    if not out:
        raise SiteplanInputError(Problem("layers_from_osm", f"'{source}' holds no feature "
                                         "siteplan maps (parks, roads, markets, ...)",
                                         "check the extract covers a town, or extend "
                                         "siteplan/data/osm_tags.csv"))
    from .load import load_layers

    known = {k: v for k, v in out.items() if k in {"green_spaces", "roads", "pois", "admin"}}
    layers = load_layers(parcels=parcels, crs=crs, **known)
    data = {k: layers[k] for k in layers}
    note = f"{frames['_skipped']} OSM features with unreadable geometry skipped" \
        if frames["_skipped"] else ""
    repairs = layers.repairs
    if note:
        repairs = pd.concat([repairs, pd.DataFrame([{
            "layer": "osm", "row": None, "feature_id": None, "problem": note,
            "action": "skipped"}])], ignore_index=True)
    return Layers(data, crs=layers.crs, repairs=repairs, rejected=layers.rejected,
                  rejected_parcels=layers.rejected_parcels,
                  sources={k: str(path) for k in known} | dict(layers.sources),
                  attribution=f"OpenStreetMap: {OSM_ATTRIBUTION}")
