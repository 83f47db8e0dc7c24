"""Load layers from files or GeoDataFrames into one validated :class:`Layers` bundle.

Every problem found in every layer is collected first and raised once, as a
:class:`~siteplan.SiteplanInputError` naming the layer, the column or rows,
the bad value and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import TypeAlias, cast

import geopandas as gpd
import numpy as np
import pyproj

from .._errors import Problem, SiteplanInputError, raise_if_problems
from ..io.prepare import REJECT_COLUMNS, REPAIR_COLUMNS, concat_reports, prepare_all, prepare_layer
from ..io.read import read_layer, resolve_source
from ._utm import utm_crs
from .bundle import Layers
from .raster import RasterLayer, as_raster

__all__ = ["load_layers", "read_layer", "prepare_layer", "LayerSource"]

LayerSource: TypeAlias = str | PathLike | gpd.GeoDataFrame | tuple[str | PathLike, str]


# ------------------------------------------------------------------- the bundle


def _target_crs(frames: Mapping[str, gpd.GeoDataFrame]) -> pyproj.CRS:
    first = frames.get("parcels")
    if first is None or first.crs is None:
        first = next((f for f in frames.values() if f.crs is not None), None)
    if first is None:
        return pyproj.CRS.from_epsg(32748)
    try:
        with np.errstate(all="ignore"):
            return utm_crs(first)
    except (RuntimeError, ValueError):
        return pyproj.CRS.from_epsg(32748)


def _columns_by_layer(columns: Mapping | None, frames: Mapping[str, gpd.GeoDataFrame],
                     problems: list[Problem]) -> dict[str, dict[str, str]]:
    """``columns`` as layer -> {name: canonical name}.

    Given per layer (``{"parcels": {"ID": "parcel_id"}}``), or flat
    (``{"ID": "parcel_id"}``): a flat renaming applies to every layer holding
    that column, and is an error when none does.
    """
    from ..io.validate import _norm

    if not columns:
        return {}
    if not isinstance(columns, Mapping) or not all(isinstance(k, str) for k in columns):
        problems.append(Problem("columns", f"got {columns!r}", 'pass a mapping such as '
                                '{"parcels": {"ID": "parcel_id"}}'))
        return {}
    out: dict[str, dict[str, str]] = {}
    for key, value in columns.items():
        if isinstance(value, Mapping):
            bad = [f"{k!r}: {v!r}" for k, v in value.items()
                   if not isinstance(k, str) or not isinstance(v, str)]
            if bad:
                problems.append(Problem(f"columns['{key}']", f"names must be text, got "
                                        f"{', '.join(bad)}", 'write {"ID": "parcel_id"}'))
            elif key not in frames:
                problems.append(Problem(f"columns['{key}']", f"renames columns of layer "
                                        f"'{key}', which was not given (given: "
                                        f"{', '.join(frames) or 'none'})",
                                        "name a layer that is loaded"))
            else:
                out.setdefault(key, {}).update(value)
        elif isinstance(value, str):
            holders = [n for n, f in frames.items()
                       if any(_norm(c) == _norm(key) for c in f.columns)]
            if not holders:
                problems.append(Problem("columns", f"renames column {key!r}, which no layer "
                                        f"has (layers given: {', '.join(frames) or 'none'})",
                                        "check the spelling of the column's name"))
            for n in holders:
                out.setdefault(n, {})[key] = value
        else:
            problems.append(Problem("columns", f"{key!r} maps to {value!r}", 'map a column '
                                    'to its siteplan name: {"ID": "parcel_id"}'))
    return out


def _check_values(values: Mapping | None, problems: list[Problem]) -> dict:
    if not values:
        return {}
    if isinstance(values, Mapping) and all(
            isinstance(k, str) and isinstance(v, Mapping) and all(
                isinstance(a, str) and isinstance(b, str) for a, b in v.items())
            for k, v in values.items()):
        return {k: dict(v) for k, v in values.items()}
    problems.append(Problem("values", f"got {values!r}", 'pass column -> {your value: '
                            'siteplan value}, e.g. {"ownership": {"municipal": "pemda"}}'))
    return {}


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
    columns: Mapping[str, Mapping[str, str] | str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> Layers:
    """Load, validate, repair and reproject the layers of a study.

    Parameters
    ----------
    parcels, green_spaces, roads, pois, admin, population
        Each a file path, a ``(path, layer_name)`` pair for a multi-layer
        GeoPackage, or a GeoDataFrame. A raster file (``.tif``, ``.tiff``,
        ``.vrt``, ...; GeoTIFF and COG) becomes a raster layer, kept as a raster
        in its own CRS and read by window (population as people per cell,
        e.g. WorldPop). Column names are matched to the
        canonical ones case-insensitively, with Indonesian aliases (``NIB``
        -> ``parcel_id``, ``LUASPETA`` -> ``area_m2``, ``PENGGUNAAN`` ->
        ``land_use``, ...).
    extra
        Other layers by name (rivers, coastline, flood zones, sawah, heritage
        cores): any geometry, no required columns; or rasters, e.g.
        ``{"flood_hazard": "inarisk.tif", "dem": "demnas.tif",
        "landcover": "worldcover.tif"}``.
    crs
        The metric CRS for everything. Default: the UTM zone of the parcels
        (EPSG:32748 for Kota Serang).
    encoding
        Attribute encoding for Shapefiles without ``.cpg``.
    columns
        Column names of other sources, renamed before the aliases are
        matched: per layer, ``{"parcels": {"ID": "parcel_id", "STATUS":
        "ownership"}}``, or flat, ``{"ID": "parcel_id"}`` (every layer holding
        that column). Each renaming is noted in ``repairs``.
    values
        Values of other sources, recoded before they are checked: column ->
        {value: siteplan value}, e.g. ``{"ownership": {"municipal": "pemda"}}``
        (case-insensitive; every layer holding that column). Each recoding
        is noted in ``repairs``.

    Returns
    -------
    Layers
        With ``repairs`` (geometries made valid, ...) and ``rejected``
        (features that could not be used, with the reason).

    Raises
    ------
    SiteplanInputError
        Once, listing every problem in every layer.

    Notes
    -----
    Roads without a ``road_class`` (no such column, or an empty value) get
    ``lokal`` (:data:`siteplan.io.schema.DEFAULT_ROAD_CLASS`), noted in
    ``repairs``.

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
    rasters: dict[str, RasterLayer] = {}
    sources: dict[str, str] = {}
    for name, source in given.items():
        try:
            raster = as_raster(name, source)
            if raster is not None:
                rasters[name], sources[name] = raster, raster.path
            else:
                frames[name], sources[name] = resolve_source(name, source, encoding)
        except SiteplanInputError as exc:
            # siteplan raises its input errors with Problem values only
            problems.extend(cast(list[Problem], exc.problems))
    if rasters and not frames and crs is None:
        problems.append(Problem("crs", "only raster layers: no metric CRS to work in",
                                "pass the parcels, or crs=\"EPSG:32748\""))
    target = pyproj.CRS.from_user_input(crs) if crs is not None else _target_crs(frames)
    if not target.is_projected:
        problems.append(Problem("crs", f"{target.to_string()} is not a projected (metric) CRS",
                                "pass a metric CRS such as EPSG:32748, or leave crs unset"))
    by_layer = _columns_by_layer(columns, frames, problems)
    recode = _check_values(values, problems)
    used: set[str] = set()
    data, repairs, rejected, rejected_parcels = prepare_all(
        frames, crs=target, problems=problems, columns=by_layer, values=recode,
        values_used=used)
    for col in recode:
        if col not in used and not problems:
            have = sorted({c for f in data.values() for c in f.columns if c != "geometry"})
            problems.append(Problem("values", f"recodes column {col!r}, which no layer has "
                                    f"(columns: {', '.join(have)})",
                                    "name the column by its siteplan name (e.g. ownership)"))
    raise_if_problems(problems)
    ordered = {name: data[name] if name in data else rasters[name] for name in given
               if name in data or name in rasters}
    return Layers(ordered, crs=target, repairs=concat_reports(repairs, REPAIR_COLUMNS),
                  rejected=concat_reports(rejected, REJECT_COLUMNS),
                  rejected_parcels=rejected_parcels, sources=sources)
