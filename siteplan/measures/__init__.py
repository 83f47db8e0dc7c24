"""Measures: the raw value of a criterion for each parcel, and the table of them.

:data:`MEASURES` is the one list of measure names: the profile validator, the
scoring pipeline and the docs read it. Adding a measure is one
:class:`Measure` entry here pointing at a function
``f(crit, parcels, geoms, layers, context)`` that returns one value per parcel
(or ``(values, notes)``, with a note per parcel where it could not measure).

Every measure can also be used on its own, without a profile (momepy-style):

>>> import siteplan as sp
>>> s = sp.load_sample()
>>> d = sp.measures.distance(s["parcels"].head(3), s["pois"], where={"category": ["pasar"]})
>>> list(d.index) == list(s["parcels"].head(3).index)
True
>>> bool((d >= 0).all())
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError
from ..criterion import Criterion
from ..layers.features import geoms_of
from ..layers.raster import RasterLayer
from . import access, basic, network, raster
from .rth import pop_beyond_reach, rth_shortfall

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["MEASURES", "Measure", "measure_criterion", "layers_read", "unit_of", "distance",
           "count_within", "sum_within", "area", "overlap_share", "zonal", "attribute",
           "network_distance",
           "travel_time", "network_catchment", "people_within", "access_gain"]


@dataclass(frozen=True)
class Measure:
    """One measure: its function, what a criterion using it must give, its unit."""

    func: Callable[..., Any]
    # m, min, people, count, share (0-1), %, °, m², sum, value; or a function of the
    # criterion giving one of them (read through :func:`unit_of`)
    unit: str | Callable[[Criterion], str]
    needs: frozenset[str] = frozenset()         # criterion keys it requires
    allows: frozenset[str] = frozenset()        # further keys it reads
    fallbacks: tuple[str, ...] = ()             # straight-line measures it may fall back to
    reads: tuple[str, ...] = ()                 # layers it reads besides the criterion's
    default_layer: str | None = None            # the layer read when ``layer`` is not given
    # checks of the keys only this measure reads, as a profile gives them:
    # ``check(criterion_table, where, problems)`` appends a Problem for each fault
    check: Callable[[Mapping[str, Any], str, list[Problem]], None] | None = None


def _zonal(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray, layers: Layers,
          context: str) -> np.ndarray:
    """A raster's statistic over the parcel, or a polygon layer's value at its inner point."""
    # "layer" is among zonal's needs (MEASURES)
    if isinstance(layers.get(cast(str, crit.layer)), RasterLayer):
        return raster.raster_zonal(crit, parcels, geoms, layers, context)
    if crit.column is None:
        raise SiteplanInputError(Problem(context, f"measure 'zonal' on the polygon layer "
                                         f"'{crit.layer}' needs column = \"<name>\"",
                                         "name the zones' column to read"))
    return basic.zonal(crit, parcels, geoms, layers, context)


def _sum_unit(crit: Criterion) -> str:
    return "people" if crit.column == "population" else "sum"


def _zonal_unit(crit: Criterion) -> str:
    return "share" if crit.stat == "share" else "value"


def _slope_unit(crit: Criterion) -> str:
    return "°" if crit.unit == "degrees" else "%"


_LAYER = frozenset({"layer"})
_WHERE = frozenset({"where"})

#: measure name -> :class:`Measure`
MEASURES: Mapping[str, Measure] = {
    "distance": Measure(basic.distance, "m", _LAYER, _WHERE),
    "count_within": Measure(basic.count_within, "count", _LAYER | {"radius"}, _WHERE),
    "sum_within": Measure(basic.sum_within, _sum_unit, _LAYER | {"radius", "column"}, _WHERE),
    "area": Measure(basic.area, "m²"),
    "attribute": Measure(basic.attribute, "value", frozenset({"column"})),
    "overlap_share": Measure(basic.overlap_share, "share", _LAYER, _WHERE),
    "zonal": Measure(_zonal, _zonal_unit, _LAYER, _WHERE | {"column", "stat", "values",
                                                        "at_least"},
                     check=raster.check_zonal),
    "slope": Measure(raster.slope, _slope_unit, _LAYER, frozenset({"stat", "unit"}),
                     check=raster.check_slope),
    "network_distance": Measure(network.network_distance, "m", _LAYER, _WHERE,
                                ("distance",), ("roads",)),
    "travel_time": Measure(network.travel_time, "min", _LAYER, _WHERE | {"mode", "speed"},
                           ("distance",), ("roads",), check=network.check_travel_time),
    "network_catchment": Measure(network.network_catchment, "people",
                                 _LAYER | {"radius", "column"}, _WHERE,
                                 ("sum_within", "count_within"), ("roads",)),
    "rth_shortfall": Measure(rth_shortfall, "share", frozenset(), frozenset({"column",
                                                                            "level"}),
                             reads=("admin", "green_spaces")),
    "pop_beyond_reach": Measure(pop_beyond_reach, "people", frozenset({"radius"}),
                                _LAYER | _WHERE, reads=("population",),
                                default_layer="green_spaces"),
    "access_gain": Measure(access.access_gain, access.stat_unit, _LAYER | {"radius"},
                           _WHERE | {"stat", "threshold"}, reads=("population",),
                           check=access.check_access_gain),
}


def unit_of(crit: Criterion, measured_as: str | None = None) -> str:
    """The unit of a criterion's measured value, from :data:`MEASURES`.

    Parameters
    ----------
    crit
        The criterion.
    measured_as
        The measure actually used, as the record holds it (e.g.
        ``"distance (fallback: ...)"``); the criterion's own by default.

    Returns
    -------
    str
        One of ``m``, ``min``, ``people``, ``count``, ``share`` (kept as 0-1),
        ``%``, ``°``, ``m²``, ``sum`` or ``value``; :mod:`siteplan.words` says
        it in each language.

    Examples
    --------
    >>> import siteplan as sp
    >>> [unit_of(c) for c in sp.get_profile("sentra_kuliner").criteria]
    ['m', 'count', 'm', 'people', 'm²']
    """
    name = (measured_as or crit.measure).split(" ")[0] or crit.measure
    spec = MEASURES.get(name)
    if spec is None:
        return "value"
    return spec.unit(crit) if callable(spec.unit) else spec.unit


def layers_read(crit: Criterion) -> tuple[str, ...]:
    """The layers a criterion cannot be measured without (from :data:`MEASURES`).

    The criterion's own ``layer`` (or the measure's default), and the layers
    the measure always reads; a road measure with a ``fallback`` does not
    need the roads.

    Parameters
    ----------
    crit
        The criterion.

    Returns
    -------
    tuple of str
        The layer names, the criterion's own first.

    Examples
    --------
    >>> import siteplan as sp
    >>> [layers_read(c) for c in sp.get_profile("rth").criteria]
    [('admin', 'green_spaces'), ('green_spaces', 'population'), (), ()]
    """
    spec = _known(crit.measure, f"criterion '{crit.name}'")
    own = crit.layer or spec.default_layer
    names = [own] if own else []
    optional = {"roads"} if spec.fallbacks and crit.fallback else set()
    names += [n for n in spec.reads if n not in optional and n not in names]
    return tuple(names)


def _known(name: str, context: str) -> Measure:
    if name not in MEASURES:
        raise SiteplanInputError(Problem(context, f"unknown measure {name!r}",
                                         f"use one of: {', '.join(MEASURES)}"))
    return MEASURES[name]


def measure_criterion(crit: Criterion, parcels: gpd.GeoDataFrame, layers: Layers, *,
                      profile_name: str = "profile"
                      ) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Raw values of one criterion, per-parcel notes (or None), and the measure used.

    A measure with ``fallbacks`` (the road measures) uses the criterion's
    ``fallback`` when the bundle has no roads layer; the third value says
    which ran.

    Parameters
    ----------
    crit
        The criterion (from a profile's ``criteria``).
    parcels
        The parcels to measure, in the bundle's CRS.
    layers
        The bundle holding the layers the criterion reads.
    profile_name
        Named in error messages.

    Returns
    -------
    values, notes, measured_as
        One raw value per parcel (in the measure's unit, see :data:`MEASURES`),
        a note per parcel where it could not be measured (or None), and the
        measure that ran.

    Examples
    --------
    >>> import siteplan as sp
    >>> s = sp.load_sample()
    >>> crit = sp.get_profile("sentra_kuliner").criteria[0]
    >>> values, notes, used = measure_criterion(crit, s["parcels"].head(2), s)
    >>> used, len(values)
    ('network_distance', 2)
    """
    context = f"profile '{profile_name}' criterion '{crit.name}'"
    spec = _known(crit.measure, context)
    empty_roads = "roads" in layers and len(layers["roads"]) == 0
    if spec.fallbacks and ("roads" not in layers or empty_roads) and crit.fallback:
        values, notes, _ = measure_criterion(replace(crit, measure=crit.fallback), parcels,
                                             layers, profile_name=profile_name)
        why = "the roads layer is empty" if empty_roads else "no roads layer"
        return values, notes, f"{crit.fallback} (fallback: {why})"
    if spec.fallbacks and empty_roads:  # no road anywhere: nothing is reachable along roads
        return (np.full(len(parcels), np.nan),
                np.full(len(parcels), f"{crit.name}: unreachable, the roads layer is empty",
                        dtype=object), crit.measure)
    out = spec.func(crit, parcels, geoms_of(parcels), layers, context)
    values, notes = out if isinstance(out, tuple) else (out, None)
    return values, notes, crit.measure


# ------------------------------------------------------------------ on their own


def _standalone(measure: str, parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame | None,
                *, where: Mapping[str, Any] | None = None, radius: float | None = None,
                column: str | None = None, roads: gpd.GeoDataFrame | None = None,
                layer_name: str = "features", population: gpd.GeoDataFrame | None = None,
                **keys: Any) -> pd.Series:
    """Run one measure on plain GeoDataFrames; a Series on the parcels' index."""
    from ..layers.bundle import Layers

    context = f"sp.measures.{measure}"
    if radius is not None or "radius" in MEASURES[measure].needs:
        from ..limits import MAX_DISTANCE, number_problem

        problem = number_problem(context, "radius", radius, strict_low=True,
                                 high=MAX_DISTANCE, unit="m", example="1000")
        if problem:
            raise SiteplanInputError(problem)
        radius = float(cast(float, radius))  # number_problem refuses None
    frames = {"parcels": parcels}
    if features is not None:
        frames[layer_name] = features
    if roads is not None:
        frames["roads"] = roads
    if population is not None:
        frames["population"] = population
    crs = parcels.crs
    bad = [n for n, f in frames.items() if not isinstance(f, RasterLayer) and (
        not isinstance(f, gpd.GeoDataFrame) or f.crs is None or f.crs != crs)]
    if bad or crs is None or not crs.is_projected:
        raise SiteplanInputError(Problem(context, "needs GeoDataFrames in one metric CRS "
                                         f"(problem with: {', '.join(bad) or 'parcels'})",
                                         "reproject them, e.g. gdf.to_crs(parcels.crs), or "
                                         "load them with sp.load_layers"))
    crit = Criterion(name=measure, measure=measure, transform={},
                     weight=1.0, layer=layer_name if features is not None else None,
                     where={k: tuple(v) for k, v in (where or {}).items()}, column=column,
                     radius=radius, **keys)
    values, _, _ = measure_criterion(crit, parcels, Layers(frames, crs=crs),
                                     profile_name="standalone")
    return pd.Series(values, index=parcels.index, name=measure)


_COMMON = """
    Parameters
    ----------
    parcels
        The parcels (any polygons), in a metric CRS.
{params}
    Returns
    -------
    pandas.Series
        {returns}, on the parcels' index.

    Examples
    --------
    >>> import siteplan as sp
    >>> s = sp.load_sample()
    >>> p = s["parcels"].head(3)
{example}
"""
_WHERE_DOC = """    where
        Keep only features whose column holds one of the values, e.g.
        ``{"category": ["pasar"]}``.
"""


def _doc(summary: str, params: str, returns: str, example: str):
    """Attach a numpydoc docstring built from the shared layout."""
    def wrap(func):
        func.__doc__ = summary + "\n" + _COMMON.format(params=params, returns=returns,
                                                       example=example)
        return func
    return wrap


@_doc("Metres from each parcel's edge to the nearest feature (0 when touching).",
      "    features\n        Points, lines or polygons in the parcels' CRS.\n" + _WHERE_DOC,
      "Distances in metres",
      "    >>> d = sp.measures.distance(p, s[\"pois\"], where={\"category\": [\"pasar\"]})\n"
      "    >>> bool((d > 0).all())\n    True")
def distance(parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *,
             where: Mapping[str, Any] | None = None) -> pd.Series:
    return _standalone("distance", parcels, features, where=where)


@_doc("How many features lie within ``radius`` metres of each parcel.",
      "    features\n        The features to count, in the parcels' CRS.\n    radius\n"
      "        Metres from the parcel's edge.\n" + _WHERE_DOC, "Counts",
      "    >>> n = sp.measures.count_within(p, s[\"pois\"], radius=2000)\n"
      "    >>> bool((n >= 0).all())\n    True")
def count_within(parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *, radius: float,
                 where: Mapping[str, Any] | None = None) -> pd.Series:
    return _standalone("count_within", parcels, features, where=where, radius=radius)


@_doc("Sum of ``column`` within ``radius`` metres (polygons and lines areally weighted).",
      "    features\n        Features carrying ``column``, in the parcels' CRS.\n    radius\n"
      "        Metres from the parcel's edge.\n    column\n        The numeric column to sum.\n"
      + _WHERE_DOC, "Sums",
      "    >>> people = sp.measures.sum_within(p, s[\"population\"], radius=1000,\n"
      "    ...                                 column=\"population\")\n"
      "    >>> bool((people > 0).all())\n    True")
def sum_within(parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *, radius: float,
               column: str, where: Mapping[str, Any] | None = None) -> pd.Series:
    return _standalone("sum_within", parcels, features, where=where, radius=radius,
                       column=column)


@_doc("People (column ``population``) within ``radius`` metres of each parcel.",
      "    population\n        Points or polygons with a ``population`` column.\n    radius\n"
      "        Metres from the parcel's edge.\n", "People",
      "    >>> people = sp.measures.people_within(p, s[\"population\"], radius=1000)\n"
      "    >>> bool((people > 0).all())\n    True")
def people_within(parcels: gpd.GeoDataFrame, population: gpd.GeoDataFrame, *,
                  radius: float) -> pd.Series:
    return sum_within(parcels, population, radius=radius, column="population")


@_doc("Each parcel's area in m².", "", "Areas in m²",
      "    >>> a = sp.measures.area(p)\n    >>> bool((a > 0).all())\n    True")
def area(parcels: gpd.GeoDataFrame) -> pd.Series:
    return _standalone("area", parcels, None)


@_doc("The share (0-1) of each parcel covered by the features (overlaps counted once).",
      "    features\n        Polygons in the parcels' CRS.\n" + _WHERE_DOC, "Shares in [0, 1]",
      "    >>> f = sp.measures.overlap_share(p, s[\"flood_zones\"])\n"
      "    >>> bool(f.between(0, 1).all())\n    True")
def overlap_share(parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *,
                  where: Mapping[str, Any] | None = None) -> pd.Series:
    return _standalone("overlap_share", parcels, features, where=where)


@_doc("The ``column`` of the zone holding each parcel's inner point (NaN outside all).",
      "    zones\n        Polygons in the parcels' CRS.\n    column\n        The zones' column.\n",
      "Values of the zones",
      "    >>> kel = sp.measures.zonal(p, s[\"admin\"], column=\"nama\")\n"
      "    >>> bool(kel.notna().all())\n    True")
def zonal(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, column: str) -> pd.Series:
    return _standalone("zonal", parcels, zones, column=column)


@_doc("A numeric column of the parcels, checked (text that is no number is an error).",
      "    column\n        The parcels' column.\n", "The values",
      "    >>> v = sp.measures.attribute(p, column=\"area_m2\")\n"
      "    >>> bool((v > 0).all())\n    True")
def attribute(parcels: gpd.GeoDataFrame, *, column: str) -> pd.Series:
    return _standalone("attribute", parcels, None, column=column)


_ROADS_DOC = ("    roads\n        Lines with a ``road_class`` column (arteri, kolektor, lokal, "
              "lingkungan), in the parcels' CRS.\n")


@_doc("Metres along ``roads`` from each parcel to the nearest feature.",
      "    features\n        The destinations, in the parcels' CRS.\n" + _ROADS_DOC + _WHERE_DOC,
      "Metres along roads (the snap legs included; NaN where unreachable)",
      "    >>> d = sp.measures.network_distance(p, s[\"pois\"], roads=s[\"roads\"],\n"
      "    ...                                  where={\"category\": [\"pasar\"]})\n"
      "    >>> bool((d.dropna() > 0).all())\n    True")
def network_distance(parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *,
                     roads: gpd.GeoDataFrame, where: Mapping[str, Any] | None = None
                     ) -> pd.Series:
    return _standalone("network_distance", parcels, features, where=where, roads=roads)


@_doc("Minutes along ``roads`` to the nearest feature, at the class speeds.",
      "    features\n        The destinations, in the parcels' CRS.\n" + _ROADS_DOC + _WHERE_DOC,
      "Minutes (NaN where unreachable)",
      "    >>> t = sp.measures.travel_time(p, s[\"pois\"], roads=s[\"roads\"],\n"
      "    ...                             where={\"category\": [\"pasar\"]})\n"
      "    >>> bool((t.dropna() > 0).all())\n    True")
def travel_time(parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *,
                roads: gpd.GeoDataFrame, where: Mapping[str, Any] | None = None) -> pd.Series:
    return _standalone("travel_time", parcels, features, where=where, roads=roads)


@_doc("People (column ``population``) within ``radius`` metres along ``roads``.",
      "    population\n        Points or polygons with a ``population`` column.\n" + _ROADS_DOC
      + "    radius\n        Metres along roads.\n", "People (NaN where no road is near)",
      "    >>> n = sp.measures.network_catchment(p, s[\"population\"], roads=s[\"roads\"],\n"
      "    ...                                   radius=1000)\n"
      "    >>> bool((n.dropna() >= 0).all())\n    True")
def network_catchment(parcels: gpd.GeoDataFrame, population: gpd.GeoDataFrame, *,
                      roads: gpd.GeoDataFrame, radius: float) -> pd.Series:
    return _standalone("network_catchment", parcels, population, roads=roads, radius=radius,
                       column="population", layer_name="population")


@_doc("People within ``radius`` of each parcel whose 2SFCA access to ``facilities`` is below "
      "``threshold`` (``stat=\"underserved\"``), or the part of their gap one new facility "
      "there closes (``stat=\"shortfall\"``): the profile measure ``access_gain``.",
      "    facilities\n        The facilities already there, in the parcels' CRS.\n"
      "    population\n        Points or polygons with a ``population`` column.\n"
      "    radius\n        Reach in metres, straight-line from the parcel's edge.\n"
      "    threshold\n        Access (facilities per person in reach) below which people "
      "are underserved.\n    stat\n        ``\"underserved\"`` (people) or ``\"shortfall\"``.\n"
      + _WHERE_DOC, "People (or the gap closed)",
      "    >>> n = sp.measures.access_gain(p, s[\"pois\"], s[\"population\"], radius=2000,\n"
      "    ...                             threshold=1e-5,\n"
      "    ...                             where={\"category\": [\"puskesmas\"]})\n"
      "    >>> bool((n >= 0).all())\n    True")
def access_gain(parcels: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                population: gpd.GeoDataFrame, *, radius: float, threshold: float,
                stat: str = "underserved", where: Mapping[str, Any] | None = None
                ) -> pd.Series:
    problems: list[Problem] = []
    access.check_access_gain({"threshold": threshold, "stat": stat},
                             "sp.measures.access_gain", problems)
    if problems:
        raise SiteplanInputError(problems)
    return _standalone("access_gain", parcels, facilities, where=where, radius=radius,
                       population=population, threshold=float(threshold), stat=stat)
