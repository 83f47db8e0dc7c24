"""Measures on raster layers: zonal statistics and slope, with exact cell coverage.

Each parcel counts each cell by the exact share of the cell it covers (see
:mod:`siteplan.layers.raster`); rasters stay in their own CRS, the parcels are
reprojected to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from .._errors import Problem, SiteplanInputError
from ..layers.raster import SLOPE_UNITS, RasterLayer, slope_cells, zonal_stats

if TYPE_CHECKING:
    import geopandas as gpd

    from ..criterion import Criterion
    from ..layers.bundle import Layers

__all__ = ["raster_zonal", "slope", "slope_cells", "SLOPE_UNITS"]



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


def slope(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray, layers: Layers,
          context: str) -> np.ndarray:
    """Slope of the ground under each parcel from a DEM: ``stat`` mean (default) or max.

    In ``unit`` percent (default) or degrees.
    """
    raster = _raster(layers, cast(str, crit.layer), context)  # a needed key (MEASURES)
    unit = crit.unit or "percent"
    return zonal_stats(geoms, layers.crs, raster, crit.stat or "mean",
                       transform_cells=lambda win, r: slope_cells(win, r, unit))
