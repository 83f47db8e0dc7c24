"""Measures on raster layers: zonal statistics and slope, with exact cell coverage.

Each parcel counts each cell by the exact share of the cell it covers (see
:mod:`siteplan.layers.raster`); rasters stay in their own CRS, the parcels are
reprojected to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .._errors import Problem, SiteplanInputError
from ..layers.raster import SLOPE_UNITS, STATS, RasterLayer, slope_cells, zonal_stats
from ..limits import MAX_MAGNITUDE, finite, number_problem

if TYPE_CHECKING:
    import geopandas as gpd

    from ..criterion import Criterion
    from ..layers.bundle import Layers

__all__ = ["raster_zonal", "slope", "slope_cells", "SLOPE_UNITS", "check_zonal", "check_slope"]



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


def _stat_problem(cr: Mapping[str, Any], stats: tuple[str, ...], where: str,
                  problems: list[Problem]) -> None:
    if "stat" in cr and cr["stat"] not in stats:
        problems.append(Problem(where, f"unknown stat {cr['stat']!r}",
                                f"use one of: {', '.join(stats)}"))


def check_zonal(cr: Mapping[str, Any], where: str, problems: list[Problem]) -> None:
    """A zonal criterion's ``stat``, ``values`` and ``at_least``, as a profile gives them."""
    _stat_problem(cr, STATS, where, problems)
    values = cr.get("values")
    if "values" in cr and not (isinstance(values, list) and values and all(
            finite(v) and abs(float(v)) <= MAX_MAGNITUDE for v in values)):
        problems.append(Problem(where, f"values must be a list of numbers, got {values!r}",
                                "write values = [40, 50] (e.g. WorldCover classes)"))
    if "at_least" in cr:
        bad = number_problem(where, "at_least", cr["at_least"], low=None, example="0.67")
        if bad:
            problems.append(bad)
    if cr.get("stat") == "share" and "values" not in cr and "at_least" not in cr:
        problems.append(Problem(where, "stat 'share' needs values = [...] or at_least = "
                                "<number>", "say which cells count, e.g. at_least = 0.67"))


def check_slope(cr: Mapping[str, Any], where: str, problems: list[Problem]) -> None:
    """A slope criterion's ``stat`` (mean or max) and ``unit``, as a profile gives them."""
    _stat_problem(cr, ("mean", "max"), where, problems)
    if "unit" in cr and cr["unit"] not in SLOPE_UNITS:
        problems.append(Problem(where, f"unknown unit {cr['unit']!r}",
                                f"use one of: {', '.join(SLOPE_UNITS)}"))
