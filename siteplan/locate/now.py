"""Who is underserved now: access of every demand unit to the facilities already there.

:func:`access_now` measures one of :data:`~siteplan.locate.ACCESS_METHODS` on
the population model's demand units and a layer of facilities (straight-line
or along roads), names each unit's kelurahan and kecamatan from the admin
layer, and :func:`equity` sums it up: the share of people below a threshold
and the mean access of the lowest decile of people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..layers.features import geoms_of
from .access import access
from .costs import cost_matrix, demand_units
from .sites import existing_facilities

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["access_now", "equity", "access_by_area", "equity_of_plan"]


def _admin_names(layers: Layers, pts: np.ndarray) -> dict[str, np.ndarray]:
    """The kelurahan and kecamatan holding each point, from the admin layer when loaded."""
    out: dict[str, np.ndarray] = {}
    if "admin" not in layers:
        return out
    admin = layers["admin"]
    if "level" not in admin.columns or "nama" not in admin.columns:
        return out
    for level in ("kelurahan", "kecamatan"):
        areas = admin[admin["level"].astype(str) == level]
        names = np.full(len(pts), None, dtype=object)
        if len(areas):
            i_pt, i_area = shapely.STRtree(geoms_of(areas)).query(pts, predicate="within")
            first = np.unique(i_pt, return_index=True)[1]
            names[i_pt[first]] = areas["nama"].astype(str).to_numpy()[i_area[first]]
        out[level] = names
    return out


def access_now(layers: Layers, facilities: Any = "pois",
               where: Mapping[str, Sequence] | None = None, *, method: str = "2sfca",
               radius: float | None = 1000.0, cost: str = "straight",
               cell: float | None = 500.0, capacity: str | float | None = None,
               weight: Any = None) -> gpd.GeoDataFrame:
    """Access of every demand unit to facilities already there, by an access measure.

    Parameters
    ----------
    layers
        The bundle: people from ``population``, roads from ``roads`` when
        ``cost="roads"``, names from ``admin``.
    facilities, where
        A layer name and a filter (``"pois"``, ``{"category": ["puskesmas"]}``),
        or a GeoDataFrame of facilities.
    method
        One of :data:`siteplan.locate.ACCESS_METHODS` except ``fca``.
    radius
        Catchment in metres.
    cost
        ``"straight"`` or ``"roads"``.
    cell
        Demand units: people gathered into squares of this many metres.
    capacity
        Supply of each facility: a column of the facilities or one number
        (default 1: facilities are counted).
    weight
        Distance decay (see :func:`siteplan.locate.access`).

    Returns
    -------
    geopandas.GeoDataFrame
        One point per demand unit: ``people``, ``access``, ``kelurahan`` and
        ``kecamatan`` (when the admin layer names them); ``attrs["siteplan_access"]``
        holds the method, radius, cost, cell, capacity and whether the data are the
        synthetic sample's (for :func:`siteplan.render_access`).

    Examples
    --------
    >>> import siteplan as sp
    >>> from siteplan.locate import access_now
    >>> units = access_now(sp.load_sample(), "pois", {"category": ["puskesmas"]},
    ...                    radius=2000, cell=1000)
    >>> bool((units["access"] >= 0).all())
    True
    """
    fac = existing_facilities(layers, facilities, where, context="access_now")
    if isinstance(capacity, str):
        supply = pd.to_numeric(fac[capacity], errors="coerce").to_numpy(dtype=float)
    else:
        supply = np.full(len(fac), 1.0 if capacity is None else float(capacity))
    pts, people = demand_units(layers, cell=cell, context="access_now")
    matrix = cost_matrix(layers, pts, geoms_of(fac), cost=cost, context="access_now")
    values = access(matrix, people, supply, method=method, radius=radius, weight=weight)
    cols = {"people": people, "access": values, **_admin_names(layers, pts)}
    out = gpd.GeoDataFrame(cols, geometry=pts, crs=layers.crs)
    # what the map and the tables say about the values (the map's title and legend read it)
    out.attrs["siteplan_access"] = {"method": method, "radius": radius, "cost": cost,
                                    "cell": cell, "capacity": capacity,
                                    "synthetic": bool(layers.synthetic)}
    return out


def equity(values: Any, people: Any, *, threshold: float) -> dict[str, float]:
    """Equity of access: the share of people below ``threshold`` and the lowest decile's mean.

    Parameters
    ----------
    values
        Access per demand unit (higher is better).
    people
        People per demand unit.
    threshold
        Access below which people count as underserved.

    Returns
    -------
    dict
        ``share_below`` (0-1), ``people_below``, ``lowest_decile_mean`` (the
        people-weighted mean access of the tenth of people with the least),
        ``mean`` (people-weighted).

    Examples
    --------
    >>> from siteplan.locate import equity
    >>> equity([0.0, 1.0, 2.0], [10, 30, 60], threshold=0.5)["share_below"]
    0.1
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(people, dtype=float)
    total = float(w.sum())
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    before = np.cumsum(w) - w
    tenth = total / 10.0
    take = np.clip(tenth - before, 0.0, w)  # people of each unit inside the lowest decile
    below = w[v < threshold].sum()
    return {"share_below": float(below / total) if total else 0.0,
            "people_below": float(below),
            "lowest_decile_mean": float((take * v).sum() / tenth) if total else 0.0,
            "mean": float((w * v).sum() / total) if total else 0.0}


def access_by_area(units: pd.DataFrame, level: str = "kelurahan", *,
                   threshold: float | None = None) -> pd.DataFrame:
    """Access summed up per kelurahan or kecamatan: people, their mean and lowest access.

    Parameters
    ----------
    units
        From :func:`access_now` (``people``, ``access`` and the unit's ``kelurahan`` and
        ``kecamatan``).
    level
        ``"kelurahan"`` or ``"kecamatan"``.
    threshold
        Access below which people count as underserved; when given, ``people_below`` and
        ``share_below`` are added.

    Returns
    -------
    pandas.DataFrame
        One row per area (its name as the index, areas in name order): ``people``,
        ``access_mean`` (people-weighted), ``access_min`` (of the units with people),
        ``units``; with a threshold also ``people_below`` and ``share_below`` (0-1).
        Units outside every area are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from siteplan.locate import access_by_area
    >>> units = pd.DataFrame({"people": [10, 30, 60], "access": [0.0, 1.0, 2.0],
    ...                       "kelurahan": ["A", "A", "B"]})
    >>> access_by_area(units, threshold=0.5)[["people", "access_mean", "share_below"]]
               people  access_mean  share_below
    kelurahan
    A            40.0         0.75         0.25
    B            60.0         2.00         0.00
    """
    from .._errors import Problem, SiteplanInputError

    if level not in ("kelurahan", "kecamatan"):
        raise SiteplanInputError(Problem("access_by_area", f"unknown level {level!r}",
                                         "use level=\"kelurahan\" or \"kecamatan\""))
    missing = [c for c in ("people", "access", level) if c not in units.columns]
    if missing:
        raise SiteplanInputError(Problem("access_by_area", f"units lack {missing}",
                                         "pass what access_now returns, on layers with an "
                                         "admin layer naming kelurahan and kecamatan"))
    people = pd.to_numeric(units["people"], errors="coerce").fillna(0.0).to_numpy(float)
    value = pd.to_numeric(units["access"], errors="coerce").to_numpy(float)
    area = units[level].astype("string")
    frame = pd.DataFrame({"area": area, "people": people, "weighted": people * value,
                          "lived": np.where(people > 0, value, np.nan)})
    if threshold is not None:
        frame["below"] = np.where(value < threshold, people, 0.0)
    groups = frame.dropna(subset=["area"]).groupby("area", sort=True)
    out = pd.DataFrame({"people": groups["people"].sum()})
    out["access_mean"] = groups["weighted"].sum() / out["people"].where(out["people"] > 0)
    out["access_min"] = groups["lived"].min()
    out["units"] = groups.size()
    if threshold is not None:
        out["people_below"] = groups["below"].sum()
        out["share_below"] = (out["people_below"] / out["people"].where(out["people"] > 0)
                              ).fillna(0.0)
    out.index.name = level
    return out


def _plan_sites(plan: Any, context: str) -> gpd.GeoDataFrame:
    """The chosen sites of a plan: a SitePlan's ``sites``, or a GeoDataFrame of them."""
    from .._errors import Problem, SiteplanInputError
    from .sites import SitePlan

    if isinstance(plan, SitePlan):
        return plan.sites
    if isinstance(plan, gpd.GeoDataFrame):
        return plan
    raise SiteplanInputError(Problem(context, f"plan must be what sp.locate_sites returns or "
                                     f"a GeoDataFrame of sites, got {type(plan).__name__}",
                                     "pass sp.locate_sites(result, layers, ...)"))


def equity_of_plan(plan: Any, layers: Layers, facilities: Any = None,
                   where: Mapping[str, Sequence] | None = None, *, threshold: float,
                   method: str = "2sfca", radius: float | None = 1000.0,
                   cost: str = "straight", cell: float | None = 500.0,
                   capacity: float | None = None, weight: Any = None) -> pd.DataFrame:
    """Equity of access before and after a location plan's sites are built.

    Access (:func:`access_now`) is measured on the same demand units twice:
    to the facilities already there, then to them and the plan's chosen
    parcels (each from its edge, as :func:`siteplan.locate_sites` measures
    reach). A chosen site whose shape is already among the facilities is not
    added twice.

    Parameters
    ----------
    plan
        From :func:`siteplan.locate_sites` (its ``sites``), or a GeoDataFrame of
        the sites to add.
    layers
        The bundle (people from ``population``, names from ``admin``).
    facilities, where
        The facilities already there: a layer name and a filter, or a
        GeoDataFrame; by default the plan's ``existing`` facilities (none when
        ``plan`` is a GeoDataFrame).
    threshold
        Access below which people count as underserved.
    method, radius, cost, cell, weight
        As :func:`access_now`.
    capacity
        Every facility's supply, old and new (default 1: facilities are counted).

    Returns
    -------
    pandas.DataFrame
        Rows ``before``, ``after`` and ``change`` (after minus before); columns
        ``facilities``, ``share_below`` (0-1), ``people_below``,
        ``lowest_decile_mean`` and ``mean`` (see :func:`equity`).

    Examples
    --------
    >>> import siteplan as sp
    >>> from siteplan import locate
    >>> layers = sp.load_sample()
    >>> plan = sp.locate_sites(sp.score(layers, "fasilitas_publik"), layers, k=3, cell=1000,
    ...                        existing="pois", existing_where={"category": ["puskesmas"]})
    >>> eq = locate.equity_of_plan(plan, layers, threshold=1e-5, radius=2000, cell=1000)
    >>> bool(eq.loc["after", "share_below"] <= eq.loc["before", "share_below"])
    True
    """
    from .sites import SitePlan, existing_facilities

    context = "equity_of_plan"
    sites = _plan_sites(plan, context)
    if facilities is None:
        old = plan.existing if isinstance(plan, SitePlan) else \
            gpd.GeoDataFrame(geometry=[], crs=layers.crs)
    else:
        old = existing_facilities(layers, facilities, where, context=context)
    old = gpd.GeoDataFrame(geometry=old.geometry.to_crs(layers.crs).to_numpy(), crs=layers.crs)
    new = sites.geometry.to_crs(layers.crs).to_numpy() if sites.crs is not None else \
        sites.geometry.to_numpy()
    there = set(shapely.to_wkb(geoms_of(old)).tolist())
    new = new[~np.isin(shapely.to_wkb(new), list(there))] if there else new
    both = gpd.GeoDataFrame(geometry=np.r_[geoms_of(old), new], crs=layers.crs)
    rows = {}
    for name, fac in (("before", old), ("after", both)):
        units = access_now(layers, fac, method=method, radius=radius, cost=cost, cell=cell,
                           capacity=capacity, weight=weight)
        rows[name] = {"facilities": float(len(fac)),
                      **equity(units["access"], units["people"], threshold=threshold)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.loc["change"] = out.loc["after"] - out.loc["before"]
    return out
