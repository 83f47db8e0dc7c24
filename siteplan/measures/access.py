"""The access measure: who a new facility on each parcel would serve, by 2SFCA in closed form.

``access_gain`` reads the facilities already there (``layer``/``where``) and
the population model's demand points, measures each point's two-step floating
catchment access now (Luo & Wang 2003, straight-line, every facility of
capacity 1, pairs within ``radius``), and asks for every parcel what one more
facility of capacity 1 there would change:

- R_k = S_k / (people within ``radius`` of facility k), A_i = sum of R_k over
  the facilities within ``radius`` of point i: access now.
- A new site j adds R_j = 1 / L_j, with L_j the people within ``radius`` of
  the parcel (its edge; 0 inside), to every point within ``radius`` of it.
  No other ratio changes: in 2SFCA a facility's ratio reads only the people
  in its own catchment, never the other facilities. The gain is therefore
  exact, not a marginal approximation: it equals re-running
  :func:`siteplan.locate.access` with the site added (tested so, to 1e-12).

What is summed (``stat``):

- ``underserved`` (default, people): the people within ``radius`` of the
  parcel whose access now is below ``threshold``, those a facility there
  would reach first;
- ``shortfall`` (facilities per person x people): the people-weighted part
  of the gap below ``threshold`` that the new site closes,
  sum over i within reach of P_i min(1 / L_j, max(threshold - A_i, 0)).

The people-weighted sum of the gain itself, sum P_i / L_j, is 1 for every
parcel that reaches anyone (2SFCA shares a facility's whole supply out among
the people it reaches), so it ranks nothing and is not offered.

All of it is one search of pairs (parcel, point) and bin counts: no parcel is
solved on its own. The pairs come from a KD-tree of the points around a point
inside each parcel: those within ``radius`` of it are within reach of the parcel,
those farther than ``radius`` plus the parcel's reach from that point (its
farthest vertex) are not, and only the ring between is measured exactly (the same
pairs as GEOS's ``dwithin``; parcels wider than half the radius are searched by
GEOS itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import shapely

from .._errors import Problem, SiteplanInputError
from ..layers.bundle import CacheKey
from ..layers.features import check_pairs, geoms_of, select_features, where_key
from ..layers.population import demand_points
from ..layers.raster import RasterLayer
from ..limits import MAX_DISTANCE, MAX_MAGNITUDE, number_problem

if TYPE_CHECKING:
    import geopandas as gpd
    from scipy.spatial import cKDTree

    from ..criterion import Criterion
    from ..layers.bundle import Layers

__all__ = ["access_gain", "check_access_gain", "two_step_now", "gain_of_sites", "STATS",
           "stat_unit", "pairs_within"]

#: what access_gain sums per parcel -> its unit
STATS = {"underserved": "people", "shortfall": "value"}

#: parcels measured per pair query (bounds the memory of the pairs)
_BLOCK = 20_000


def stat_unit(crit: Criterion) -> str:
    """The unit of an access_gain criterion: people (underserved) or a value (shortfall)."""
    return STATS.get(crit.stat or "underserved", "value")


def two_step_now(pairs_point: np.ndarray, pairs_facility: np.ndarray, people: np.ndarray,
                 supply: np.ndarray) -> np.ndarray:
    """2SFCA access of every point from its (point, facility) pairs within the catchment.

    Parameters
    ----------
    pairs_point, pairs_facility
        Indices of the point and the facility of each pair within reach.
    people
        People per point.
    supply
        Capacity per facility.

    Returns
    -------
    numpy.ndarray
        sum over the facilities k within reach of S_k / (people within reach of k).

    Examples
    --------
    >>> import numpy as np
    >>> two_step_now(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([10., 30.]),
    ...              np.array([1., 1.])).round(4).tolist()
    [0.025, 0.0583]
    """
    load = np.bincount(pairs_facility, weights=people[pairs_point], minlength=len(supply))
    ratio = np.divide(supply, load, out=np.zeros(len(supply)), where=load > 0)
    return np.bincount(pairs_point, weights=ratio[pairs_facility], minlength=len(people))


def gain_of_sites(pairs_site: np.ndarray, pairs_point: np.ndarray, n_sites: int,
                  people: np.ndarray, now: np.ndarray, *, threshold: float,
                  stat: str = "underserved", supply: float = 1.0) -> np.ndarray:
    """What one new facility at each site would do, from its (site, point) pairs within reach.

    Parameters
    ----------
    pairs_site, pairs_point
        Indices of the site and the demand point of each pair within reach.
    n_sites
        Number of sites (sites without a pair get 0).
    people
        People per point.
    now
        2SFCA access of every point now (:func:`two_step_now`).
    threshold
        Access below which people count as underserved.
    stat
        ``"underserved"``: people in reach with access below ``threshold``;
        ``"shortfall"``: sum of P_i min(supply / L_j, max(threshold - A_i, 0)).
    supply
        The new facility's capacity.

    Returns
    -------
    numpy.ndarray
        One value per site.

    Examples
    --------
    >>> import numpy as np
    >>> people, now = np.array([10., 30.]), np.array([0.0, 0.05])
    >>> gain_of_sites(np.array([0, 0, 1]), np.array([0, 1, 1]), 2, people, now,
    ...               threshold=0.04, stat="shortfall").tolist()
    [0.25, 0.0]
    """
    w = people[pairs_point]
    if stat == "underserved":
        return np.bincount(pairs_site, weights=np.where(now[pairs_point] < threshold, w, 0.0),
                           minlength=n_sites)
    load = np.bincount(pairs_site, weights=w, minlength=n_sites)
    ratio = np.divide(supply, load, out=np.zeros(n_sites), where=load > 0)
    gap = np.maximum(threshold - now[pairs_point], 0.0)
    return np.bincount(pairs_site, weights=w * np.minimum(ratio[pairs_site], gap),
                       minlength=n_sites)


def pairs_within(geoms: np.ndarray, pts: np.ndarray, radius: float,
                 kd: cKDTree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The (geometry, point) pairs within ``radius`` metres (GEOS distance), in bulk.

    Parameters
    ----------
    geoms
        Any geometries (none missing or empty).
    pts
        Points.
    radius
        Metres.
    kd
        A KD-tree of the points' coordinates, when one is at hand.

    Returns
    -------
    i, j
        Indices into ``geoms`` and ``pts`` of every pair with
        ``shapely.distance(geoms[i], pts[j]) <= radius``.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> g = np.array([shapely.box(0, 0, 10, 10)])
    >>> p = shapely.points([[15, 5], [25, 5], [5, 5]])
    >>> [a.tolist() for a in pairs_within(g, p, 5.0)]
    [[0, 0], [2, 0]]
    """
    if len(geoms) == 0 or len(pts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    from scipy.spatial import cKDTree  # imported when measured (siteplan map never needs it)

    kd = kd if kd is not None else cKDTree(shapely.get_coordinates(pts))
    q = shapely.get_coordinates(shapely.point_on_surface(geoms))
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    reach2 = np.zeros(len(geoms))
    np.maximum.at(reach2, owner, ((xy - q[owner]) ** 2).sum(axis=1))
    reach = np.sqrt(reach2)                  # every part of geometry i lies within it of q_i
    wide = reach > radius / 2
    out_i, out_j = [], []
    fast = np.flatnonzero(~wide)
    if len(fast):
        found = cKDTree(q[fast]).sparse_distance_matrix(
            kd, max_distance=radius + float(reach[fast].max()), output_type="ndarray")
        i, j, d = fast[found["i"]], found["j"].astype(np.int64), found["v"]
        sure = d <= radius * (1 - 1e-12)     # within reach of a point of the geometry
        ring = ~sure & (d <= radius + reach[i] * (1 + 1e-12) + 1e-9)
        exact = shapely.distance(geoms[i[ring]], pts[j[ring]]) <= radius
        out_i += [i[sure], i[ring][exact]]
        out_j += [j[sure], j[ring][exact]]
    if wide.any():
        rows = np.flatnonzero(wide)
        a, b = shapely.STRtree(pts).query(geoms[rows], predicate="dwithin", distance=radius)
        out_i.append(rows[a])
        out_j.append(b)
    return np.concatenate(out_i), np.concatenate(out_j)


def _now(layers: Layers, layer: str, where: Mapping[str, Any], radius: float,
         context: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The demand points, their people and their 2SFCA access now, cached per bundle."""
    def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pts, people = demand_points(layers, context=context)
        keep = people > 0
        pts, people = pts[keep], people[keep]
        fac = geoms_of(select_features(layers, layer, where, context=context))
        fac = fac[~(shapely.is_missing(fac) | shapely.is_empty(fac))]
        i_fac, i_pt = pairs_within(fac, pts, radius)
        now = two_step_now(i_pt, i_fac, people, np.ones(len(fac)))
        return pts, people, now

    raster = isinstance(layers.get("population"), RasterLayer)
    names = (layer, "population") + (("parcels",) if raster else ())
    key = CacheKey("access_now_2sfca", names, (where_key(where), float(radius)))
    return layers.cache.get(key, build)


def access_gain(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                layers: Layers, context: str) -> np.ndarray:
    """Who one new facility on each parcel would serve: 2SFCA gain, summed by ``stat``.

    The facilities already there are ``layer``/``where``; people come from
    the population model's demand points; reach is ``radius`` metres in a
    straight line from the parcel's edge. See the module's text for the
    formula and why it is exact.

    Examples
    --------
    >>> import numpy as np
    >>> import siteplan as sp
    >>> from siteplan.criterion import Criterion
    >>> s = sp.load_sample()
    >>> crit = Criterion("gain", "access_gain", {}, 1.0, layer="pois",
    ...                  where={"category": ("puskesmas",)}, radius=2000, threshold=1e-5)
    >>> p = s["parcels"].head(3)
    >>> v = access_gain(crit, p, np.asarray(p.geometry.array), s, "example")
    >>> bool((v >= 0).all())
    True
    """
    problems: list[Problem] = []
    given = {"stat": crit.stat, "threshold": crit.threshold}
    check_access_gain({k: v for k, v in given.items() if v is not None}, context, problems)
    p = number_problem(context, "radius", crit.radius, strict_low=True, high=MAX_DISTANCE,
                       unit="m", example="2000")
    if p is not None:
        problems.append(p)
    if problems:
        raise SiteplanInputError(problems)
    radius, threshold = float(cast(float, crit.radius)), float(cast(float, crit.threshold))
    layer = cast(str, crit.layer)  # "layer" is among the measure's needs (MEASURES)
    stat = crit.stat or "underserved"
    pts, people, now = _now(layers, layer, crit.where, radius, context)
    if stat == "underserved":  # only the underserved count: only they are searched
        below = now < threshold
        pts, people, now = pts[below], people[below], now[below]
    out = np.zeros(len(geoms))
    todo = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(todo) == 0 or len(people) == 0:
        return out
    check_pairs(shapely.STRtree(pts), geoms[todo], radius, context=context,
                layer="population")
    from scipy.spatial import cKDTree

    kd = cKDTree(shapely.get_coordinates(pts))
    for s in range(0, len(todo), _BLOCK):
        rows = todo[s:s + _BLOCK]
        i_site, i_pt = pairs_within(geoms[rows], pts, radius, kd)
        out[rows] = gain_of_sites(i_site, i_pt, len(rows), people, now, threshold=threshold,
                                  stat=stat)
    return out


def check_access_gain(cr: Mapping[str, Any], where: str, problems: list[Problem]) -> None:
    """An access_gain criterion's ``stat`` and ``threshold``, as a profile gives them."""
    stat = cr.get("stat", "underserved")
    if stat not in STATS:
        problems.append(Problem(where, f"measure 'access_gain' has no stat {stat!r}",
                                f"use stat = one of: {', '.join(STATS)}"))
    if "threshold" not in cr:
        problems.append(Problem(where, "measure 'access_gain' needs threshold = <access> "
                                "(facilities per person within reach, below which people "
                                "count as underserved)",
                                "write threshold = 1e-5 (one facility per 100,000 people)"))
        return
    bad = number_problem(where, "threshold", cr["threshold"], strict_low=True,
                         high=MAX_MAGNITUDE, example="1e-5")
    if bad:
        problems.append(bad)
