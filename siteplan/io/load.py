"""Load layers from files or GeoDataFrames into one validated :class:`Layers` bundle.

Every problem found in every layer is collected first and raised once, as a
:class:`~siteplan.SiteplanInputError` naming the layer, the column or rows,
the bad value and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike

import geopandas as gpd
import numpy as np
import pyproj

from .._errors import Problem, SiteplanInputError, raise_if_problems
from ..layers import Layers
from ..raster import RasterLayer, as_raster
from .prepare import REJECT_COLUMNS, REPAIR_COLUMNS, concat_reports, prepare_all, prepare_layer
from .read import read_layer

__all__ = ["load_layers", "read_layer", "prepare_layer", "LayerSource"]

LayerSource = str | PathLike | gpd.GeoDataFrame | tuple[str | PathLike, str]


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
    rasters: dict[str, RasterLayer] = {}
    sources: dict[str, str] = {}
    for name, source in given.items():
        try:
            raster = as_raster(name, source)
            if raster is not None:
                rasters[name], sources[name] = raster, raster.path
            else:
                frames[name], sources[name] = _resolve(name, source, encoding)
        except SiteplanInputError as exc:
            problems.extend(exc.problems)
    if rasters and not frames and crs is None:
        problems.append(Problem("crs", "only raster layers: no metric CRS to work in",
                                "pass the parcels, or crs=\"EPSG:32748\""))
    target = pyproj.CRS.from_user_input(crs) if crs is not None else _target_crs(frames)
    if not target.is_projected:
        problems.append(Problem("crs", f"{target.to_string()} is not a projected (metric) CRS",
                                "pass a metric CRS such as EPSG:32748, or leave crs unset"))
    data, repairs, rejected, rejected_parcels = prepare_all(frames, crs=target,
                                                             problems=problems)
    raise_if_problems(problems)
    ordered = {name: data[name] if name in data else rasters[name] for name in given
               if name in data or name in rasters}
    return Layers(ordered, crs=target, repairs=concat_reports(repairs, REPAIR_COLUMNS),
                  rejected=concat_reports(rejected, REJECT_COLUMNS),
                  rejected_parcels=rejected_parcels, sources=sources)
