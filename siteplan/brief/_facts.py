"""The facts of a brief, as numbers: location, neighbourhood, constraint checks, RTH.

Everything here works on the handful of chosen sites at once (arrays over
sites; the loops run over kinds of facility or over rules, never over
parcels). Words are made later, in :mod:`._sections`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import SiteplanInputError
from ..layers.raster import RasterLayer

if TYPE_CHECKING:
    from ..layers.bundle import Layers

#: the nearest facilities a brief names: key -> (layer, where)
NEAREST = {
    "market": ("pois", {"category": ("pasar",)}),
    "school": ("pois", {"category": ("sekolah",)}),
    "puskesmas": ("pois", {"category": ("puskesmas",)}),
    "park": ("green_spaces", {"public": (True,), "rth_type": ("taman", "hutan_kota",
                                                              "lapangan")}),
}
#: people counted within these radii (metres)
PEOPLE_RADII = (1000.0, 2000.0)
#: network search stops here (metres along roads)
ROAD_LIMIT = 50_000.0


def _geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(gdf.geometry.array, dtype=object)


def location(sites: gpd.GeoDataFrame, crs) -> pd.DataFrame:
    """A point inside each parcel in the layers' CRS and in degrees, and its area.

    The area is the parcel's ``area_m2`` (as the maps show it), else its shape's.
    """
    pts = shapely.point_on_surface(_geoms(sites))
    deg = gpd.GeoSeries(pts, crs=crs).to_crs(4326)
    area = shapely.area(_geoms(sites))
    if "area_m2" in sites.columns:   # the parcel's own area, as the maps show it
        given = pd.to_numeric(sites["area_m2"], errors="coerce").to_numpy(dtype=float)
        area = np.where(np.isfinite(given), given, area)
    return pd.DataFrame({"x": shapely.get_x(pts), "y": shapely.get_y(pts),
                         "lon": deg.x.to_numpy(), "lat": deg.y.to_numpy(),
                         "area": area}, index=sites.index)


def _features(layers: Layers, layer: str, where) -> gpd.GeoDataFrame | None:
    from ..layers.features import select_features

    if layer not in layers:
        return None
    try:
        return select_features(layers, layer, where, context="site_brief", allow_empty=True)
    except SiteplanInputError:  # a column the filter needs is absent: none known
        return None


def _criterion(name: str, measure: str, layer: str, **kw):
    from ..criterion import Criterion

    transform = kw.pop("transform", {"type": "linear", "best": 0, "worst": ROAD_LIMIT})
    return Criterion(name=name, measure=measure, transform=transform, weight=1.0,
                     layer=layer, **kw)


def neighbourhood(sites: gpd.GeoDataFrame, layers: Layers) -> pd.DataFrame:
    """People within 1 and 2 km, and the nearest market, school, puskesmas and park.

    Columns ``people_<r>`` (NaN without a population layer) and, per kind,
    ``<kind>_name`` (the nearest in a straight line), ``<kind>_m`` (straight
    line from the parcel's edge), ``<kind>_road_m`` (along roads to that same
    facility; NaN when unreachable or no roads layer, inf beyond
    :data:`ROAD_LIMIT`) and ``<kind>_known`` (False when the data holds no
    such facility).
    """
    from ..measures import measure_criterion as measure_explained

    out = pd.DataFrame(index=sites.index)
    geoms = _geoms(sites)
    pop = layers.get("population")
    usable = isinstance(pop, RasterLayer) or (pop is not None and "population" in pop.columns)
    for r in PEOPLE_RADII:
        col = f"people_{r:g}"
        if not usable:
            out[col] = np.nan
            continue
        crit = _criterion(f"people_{r:g}", "sum_within", "population", column="population",
                          radius=r)
        out[col] = measure_explained(crit, sites, layers, profile_name="site_brief")[0]
    roads = "roads" in layers
    out["roads"] = roads
    out["rth_missing"] = ",".join(rth_missing(layers))
    for kind, (layer, where) in NEAREST.items():
        feats = _features(layers, layer, where)
        known = feats is not None and len(feats) > 0
        out[f"{kind}_known"] = known
        out[f"{kind}_given"] = layer in layers   # no layer at all, or none of the kind in it
        out[f"{kind}_layer"] = layer
        out[f"{kind}_name"] = ""
        out[f"{kind}_m"] = np.nan
        out[f"{kind}_road_m"] = np.nan
        if feats is None or not known:
            continue
        tree = shapely.STRtree(_geoms(feats))
        (i_site, i_feat), dist = tree.query_nearest(geoms, return_distance=True,
                                                    all_matches=False)
        straight = np.full(len(geoms), np.nan)
        straight[i_site] = dist
        out[f"{kind}_m"] = straight
        if "name" in feats.columns:
            names = np.full(len(geoms), "", dtype=object)
            names[i_site] = feats["name"].astype("string").fillna("").to_numpy(dtype=object)[
                i_feat]
            out[f"{kind}_name"] = names
        if roads:
            out[f"{kind}_road_m"] = _by_road(sites, layers, kind, layer, where,
                                             out[f"{kind}_name"].to_numpy(dtype=object))
    return out


def _by_road(sites, layers, kind, layer, where, names) -> np.ndarray:
    """Metres along roads to the facility named for each site (the straight-line nearest).

    Sites are grouped by that name (a handful of groups); a site whose
    nearest facility has no name gets the distance to the nearest of the kind.
    NaN where no road leads there.
    """
    from ..measures import measure_criterion as measure_explained

    out = np.full(len(sites), np.nan)
    for name in pd.unique(names):  # a few names among a handful of sites
        rows = np.flatnonzero(names == name)
        sel = dict(where) if name == "" else {**where, "name": (str(name),)}
        crit = _criterion(f"nearest_{kind}", "network_distance", layer, where=sel)
        with contextlib.suppress(SiteplanInputError):  # not near any road
            out[rows] = measure_explained(crit, sites.iloc[rows], layers,
                                          profile_name="site_brief")[0]
    return out


def rth_missing(layers: Layers) -> list[str]:
    """The layers the public-RTH situation needs and the bundle lacks."""
    return [n for n in ("admin", "green_spaces", "population") if n not in layers]


def rth_of(sites: gpd.GeoDataFrame, layers: Layers) -> pd.DataFrame | None:
    """The public-RTH situation of the kelurahan holding each site (None when unknown)."""
    from ..rth.need import rth_gaps

    if not all(n in layers for n in ("admin", "green_spaces", "population")):
        return None
    try:
        gaps = rth_gaps(layers, level="kelurahan")
    except SiteplanInputError:
        return None
    pts = shapely.point_on_surface(_geoms(sites))
    i_site, i_unit = shapely.STRtree(_geoms(gaps)).query(pts, predicate="within")
    first = np.unique(i_site, return_index=True)[1]
    out = pd.DataFrame(index=sites.index, columns=["nama", "public_share", "public_target",
                                                   "public_shortfall_ha"], dtype=object)
    rows = gaps.iloc[i_unit[first]]
    out.iloc[i_site[first]] = rows[list(out.columns)].to_numpy(dtype=object)
    return out


@dataclass(frozen=True)
class Check:
    """One constraint checked on the sites: met or not, and the value that decided it."""

    info: dict[str, Any]
    met: np.ndarray
    value: np.ndarray           # metres to the layer, m² of area, or the attribute
    kind: str                   # "distance", "area", "attribute" or ""


def constraint_checks(sites: gpd.GeoDataFrame, layers: Layers,
                      constraints: list[dict[str, Any]], record: Any) -> list[Check]:
    """Each constraint of the result, checked on the sites.

    ``met`` is read from the result's ``excluded_rules`` (the rule numbers
    each site broke, resolved by the result's ``record``); the value shown
    beside it is measured here: the straight distance to the rule's layer,
    the parcel's area, or the attribute.
    """
    rules = sites["excluded_rules"] if "excluded_rules" in sites else \
        pd.Series("", index=sites.index, dtype="string")
    broken = record.broken(rules)
    geoms = _geoms(sites)
    checks = []
    for j, con in enumerate(constraints):
        met = ~broken[:, j]
        kind, value = "", np.full(len(sites), np.nan, dtype=object)
        if con.get("type") in {"min_area", "max_area"}:
            kind, value = "area", shapely.area(geoms).astype(object)
        elif con.get("type") in {"outside", "inside"} and con.get("layer"):
            feats = _features(layers, con["layer"], con.get("where") or {})
            if feats is not None and len(feats):
                tree = shapely.STRtree(_geoms(feats))
                (i_site, _), dist = tree.query_nearest(geoms, return_distance=True,
                                                       all_matches=False)
                value[i_site] = dist
                kind = "distance"
        elif con.get("type") == "attribute" and con.get("column") in sites.columns:
            kind, value = "attribute", sites[con["column"]].to_numpy(dtype=object)
        checks.append(Check(info=con, met=met, value=value, kind=kind))
    return checks


def source_dates(layers: Layers) -> list[tuple[list[str], str, date | None, bool]]:
    """The data sources: (layer names, where they came from, the date of the data, sample?).

    For the embedded synthetic sample, where it came from is the sample's file
    name and the last element is True (the cover says it in words).

    Layers read from the same file with the same date share one entry. A
    date known when loading (``layers.fingerprints``: an OpenStreetMap
    extract's replication date) comes first; else a GeoPackage layer's date is
    its ``gpkg_contents.last_change``; another file's, its modification time;
    the embedded sample's, the sample file's.
    """
    sample = None
    if layers.synthetic:
        from ..layers.sample import sample_path

        try:
            sample = sample_path()
        except FileNotFoundError:
            sample = None
    groups: dict[tuple[str, date | None], list[str]] = {}
    for name, text in layers.sources.items():
        text = str(text)
        path, table, base = None, name, text
        if text.startswith("siteplan synthetic sample"):   # said in words by the cover
            path, base = sample, _SAMPLE_NAME
        elif Path(text).is_file():
            path = Path(text)
        elif ":" in text and Path(text.rsplit(":", 1)[0]).is_file():
            head, table = text.rsplit(":", 1)
            path, base = Path(head), head
        known = (getattr(layers, "fingerprints", None) or {}).get(name) or {}
        when: date | None
        if known.get("date"):   # e.g. an OpenStreetMap extract's replication date
            when = datetime.fromisoformat(str(known["date"]).replace("Z", "+00:00")).date()
        else:
            when = _file_date(path, table) if path is not None else None
        groups.setdefault((base, when), []).append(name)
    return [(names, base, when, base == _SAMPLE_NAME and sample is not None)
            for (base, when), names in groups.items()]


_SAMPLE_NAME = "serang_sample.gpkg"


def _file_date(path: Path, table: str) -> date | None:
    if path.suffix.lower() == ".gpkg":
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                row = con.execute("SELECT last_change FROM gpkg_contents WHERE table_name = ?",
                                  (table,)).fetchone()
            finally:
                con.close()
            if row and row[0]:
                return datetime.fromisoformat(str(row[0]).replace("Z", "+00:00")).date()
        except (sqlite3.Error, ValueError):
            pass
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    except OSError:
        return None
