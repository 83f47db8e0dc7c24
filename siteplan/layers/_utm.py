"""The UTM zone a layer lies in, as ``GeoDataFrame.estimate_utm_crs`` finds it, remembered.

geopandas asks PROJ's database for the WGS 84 UTM zone at the centre of the layer's
bounds in degrees; each question costs about 40 ms, paid at every ``load_layers`` and
by the maps of unprojected results. The answer depends only on that centre, so it is
kept per centre (a notebook or a batch loading the same city again asks once).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pyproj

__all__ = ["utm_crs"]


@functools.lru_cache(maxsize=256)
def _zone_at(lon: float, lat: float) -> pyproj.CRS:
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    found = query_utm_crs_info(datum_name="WGS 84",
                               area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    if not found:
        raise RuntimeError(f"no WGS 84 UTM zone at longitude {lon}, latitude {lat}")
    return pyproj.CRS.from_epsg(found[0].code)


@functools.lru_cache(maxsize=64)
def _to_degrees(crs: pyproj.CRS) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def utm_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """The WGS 84 UTM CRS at the centre of ``frame``'s bounds (the same zone as
    ``frame.estimate_utm_crs()``); RuntimeError where there is none (near a pole) or
    ``frame`` has no CRS."""
    if frame.crs is None:
        raise RuntimeError("the layer has no CRS, so its UTM zone is unknown")
    west, south, east, north = frame.total_bounds
    if not frame.crs.is_geographic:
        west, south, east, north = _to_degrees(frame.crs).transform_bounds(west, south,
                                                                          east, north)
    if west > east:                       # across the antimeridian: the middle of the gap
        lon = (west + (east + 360.0)) / 2.0
        lon = (lon + 180.0) % 360.0 - 180.0
    else:
        lon = (west + east) / 2.0
    return _zone_at(float(lon), float(np.mean([south, north])))
