"""Measures on raster layers: zonal statistics and slope, with exact cell coverage.

Each parcel counts each cell by the exact share of the cell it covers (see
:mod:`siteplan.raster`); rasters stay in their own CRS, the parcels are
reprojected to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
import pyproj

from .._errors import Problem, SiteplanInputError
from ..raster import RasterLayer, Window, zonal_stats

if TYPE_CHECKING:
    import geopandas as gpd

    from ..criterion import Criterion
    from ..layers import Layers

__all__ = ["raster_zonal", "slope", "slope_cells", "SLOPE_UNITS"]

SLOPE_UNITS = ("percent", "degrees")
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0


def _raster(layers: Layers, name: str, context: str) -> RasterLayer:
    layer = layers.get(name)
    if not isinstance(layer, RasterLayer):
        raise SiteplanInputError(Problem(context, f"layer '{name}' is not a raster",
                                         "pass a GeoTIFF for it (e.g. extra={'dem': "
                                         "'demnas.tif'})"))
    return layer


def raster_zonal(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                 layers: Layers, context: str) -> np.ndarray:
    """A statistic of the raster's cells over each parcel (``stat``, default ``mean``).

    ``share`` is the part of the parcel (of its cells with data) whose value is
    in ``values`` or at least ``at_least``, from 0 to 1.
    """
    raster = _raster(layers, cast(str, crit.layer), context)  # a needed key (MEASURES)
    return zonal_stats(geoms, layers.crs, raster, crit.stat or "mean",
                       values=crit.values, at_least=crit.at_least)


def slope_cells(win: Window, raster: RasterLayer, unit: str = "percent") -> np.ndarray:
    """Slope of each cell of a DEM window (central differences; one-sided at the edges).

    Cell sizes are in metres for a projected DEM; for a geographic DEM (DEMNAS,
    SRTM in EPSG:4326) degrees are turned into metres at each row's latitude.
    """
    z = win.values
    if z.shape[0] < 2 or z.shape[1] < 2:
        return np.full(z.shape, np.nan)
    dz_row, dz_col = np.gradient(z)              # per cell, rows going down
    if raster.crs.is_geographic:
        lat = win.top - (np.arange(z.shape[0]) + 0.5) * win.cell_y
        dx = (win.cell_x * _M_PER_DEG_LON * np.cos(np.radians(lat)))[:, None]
        dy = win.cell_y * _M_PER_DEG_LAT
    else:
        factor = pyproj.CRS(raster.crs).axis_info[0].unit_conversion_factor
        dx, dy = win.cell_x * factor, win.cell_y * factor
    rise = np.hypot(dz_col / dx, dz_row / dy)
    return np.degrees(np.arctan(rise)) if unit == "degrees" else 100.0 * rise


def slope(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray, layers: Layers,
          context: str) -> np.ndarray:
    """Slope of the ground under each parcel from a DEM: ``stat`` mean (default) or max.

    In ``unit`` percent (default) or degrees.
    """
    raster = _raster(layers, cast(str, crit.layer), context)  # a needed key (MEASURES)
    unit = crit.unit or "percent"
    return zonal_stats(geoms, layers.crs, raster, crit.stat or "mean",
                       transform_cells=lambda win, r: slope_cells(win, r, unit))
