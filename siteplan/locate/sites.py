"""The planner's location question on siteplan's own inputs: :func:`locate_sites`.

Candidate sites are the eligible parcels of a scored result (at least
``min_score``), demand is the one population model gathered into squares
(:func:`~siteplan.locate.costs.demand_units`), costs are straight-line or along
the roads, and facilities already there (a layer) are open sites that every
plan keeps. The answer is a :class:`SitePlan`: the solver's
:class:`~siteplan.locate.Plan` with the chosen parcels and the demand units
as GeoDataFrames.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError
from ..layers.features import geoms_of, select_features
from ..limits import number_problem
from ._solve import solve
from .costs import COSTS, cost_matrix, demand_units
from .models import MODELS
from .plan import Plan

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["SitePlan", "locate_sites", "existing_facilities"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SitePlan:
    """A location plan on the map: the solver's plan, the chosen parcels, the demand units.

    Attributes
    ----------
    plan
        The :class:`~siteplan.locate.Plan` (objective, bound, gap, seconds, ...);
        its columns are the candidate parcels, then the existing facilities.
    sites
        The chosen candidate parcels (rows of the result) with ``people`` (served
        by the site) and ``mean_cost`` (their people-weighted mean cost).
    existing
        The existing facilities kept open, with the same two columns.
    demand
        The demand units: points with ``people``, ``site`` (the serving site's
        ``parcel_id``, or ``existing:<n>``), ``cost`` and ``covered``.
    cost
        ``"straight"`` or ``"roads"`` (metres either way).
    """

    plan: Plan
    sites: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    cost: str

    @property
    def objective(self) -> float:
        """The model's objective (see :data:`siteplan.locate.MODELS`)."""
        return self.plan.objective


def existing_facilities(layers: Layers, existing: Any, where: Mapping[str, Sequence] | None,
                        *, context: str) -> gpd.GeoDataFrame:
    """Facilities already there: a layer name (filtered by ``where``) or a GeoDataFrame."""
    if existing is None:
        return gpd.GeoDataFrame(geometry=[], crs=layers.crs)
    if isinstance(existing, str):
        where = {k: tuple(v) if isinstance(v, list | tuple) else (v,)
                 for k, v in (where or {}).items()}
        return select_features(layers, existing, where, context=context).reset_index(drop=True)
    if isinstance(existing, gpd.GeoDataFrame):
        out = existing.to_crs(layers.crs) if existing.crs is not None else existing
        return out.reset_index(drop=True)
    raise SiteplanInputError(Problem(context, f"existing must be a layer name or a "
                                     f"GeoDataFrame, got {type(existing).__name__}",
                                     "give existing='pois' with existing_where={'category': "
                                     "['puskesmas']}, or a GeoDataFrame"))


def _capacity(value: Any, frame: pd.DataFrame, n: int, what: str, context: str) -> np.ndarray:
    if isinstance(value, str):
        if value not in frame.columns:
            raise SiteplanInputError(Problem(context, f"capacity column {value!r} is not in "
                                             f"the {what}", "name a column of numbers, or "
                                             "give one number for every site"))
        return pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float)
    return np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()


def _ids(values: Sequence, sites: gpd.GeoDataFrame, name: str, context: str) -> list[int]:
    ids = sites["parcel_id"].astype(str).to_numpy()
    pos = {v: i for i, v in enumerate(ids)}  # one entry per candidate, for the lookup
    missing = [v for v in values if str(v) not in pos]
    if missing:
        raise SiteplanInputError(Problem(context, f"{name} names parcels that are not "
                                         f"candidates: {missing[:5]}", "give parcel_id values "
                                         "of eligible parcels (scoring at least min_score)"))
    return [pos[str(v)] for v in values]


def locate_sites(result: gpd.GeoDataFrame, layers: Layers, *, model: str = "pmedian",
                 k: int | None = 5, radius: float | None = None, cost: str = "straight",
                 cell: float | None = 500.0, existing: Any = None,
                 existing_where: Mapping[str, Sequence] | None = None,
                 capacity: Any = None, fixed: Sequence = (), excluded: Sequence = (),
                 min_spacing: float | None = None, per_kecamatan: bool = False,
                 min_score: float | None = None, prefer_score: bool = True,
                 single_source: bool = True, time_limit: float = 600.0) -> SitePlan:
    """Choose sites among the eligible parcels with a location model, solved exactly.

    Parameters
    ----------
    result
        From :func:`siteplan.score`; its eligible parcels are the candidates.
    layers
        The bundle that was scored: people from its ``population`` layer, roads
        from ``roads`` when ``cost="roads"``.
    model
        ``"pmedian"`` (shortest average trip), ``"pcenter"`` (shortest worst
        trip), ``"mclp"`` (most people within ``radius``), ``"lscp"`` (fewest
        sites reaching everyone), ``"lscpb"``, ``"cpmedian"``, ``"pdispersion"``.
    k
        New sites to choose (existing facilities come on top); ignored by
        ``lscp`` and ``lscpb``.
    radius
        Reach in metres (covering models).
    cost
        ``"straight"`` (from the parcel's edge) or ``"roads"`` (along roads).
    cell
        Demand units: people gathered into squares of this many metres
        (None: the population model's own points).
    existing, existing_where
        Facilities already there, kept open: a layer name with a filter
        (``"pois"``, ``{"category": ["puskesmas"]}``) or a GeoDataFrame.
    capacity
        ``cpmedian``: people a site can serve, a number or a column of the
        result (and of ``existing``).
    fixed, excluded
        ``parcel_id`` values that must be, or must not be, chosen.
    min_spacing
        Least straight-line metres between two chosen sites.
    per_kecamatan
        At least one chosen site in every kecamatan with a candidate.
    min_score
        Candidates score at least this (0-100).
    prefer_score
        Among equal optima, choose the better-scored parcels.
    single_source
        ``cpmedian``: each demand unit served by one site (False: its people may
        be split among sites, far faster on many units).
    time_limit
        Seconds the solver may take.

    Returns
    -------
    SitePlan
        ``.plan`` (objective, bound, gap, seconds), ``.sites``, ``.existing``,
        ``.demand``.

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> res = sp.score(layers, "fasilitas_publik")
    >>> sp_plan = sp.locate_sites(res, layers, model="pmedian", k=3, cell=2000, min_score=60)
    >>> len(sp_plan.sites), sp_plan.plan.gap
    (3, 0.0)
    """
    context = "locate_sites"
    _check_locate(model, cost, cell, min_score, context)
    needs_k = "k" in MODELS[model].needs
    cand = _candidates(result, layers, min_score, context)
    ex = existing_facilities(layers, existing, existing_where, context=context)
    m_new, m_old = len(cand), len(ex)
    geoms = np.concatenate([geoms_of(cand), geoms_of(ex)]) if m_old else geoms_of(cand)
    fixed_cols = _ids(fixed, cand, "fixed", context) + list(range(m_new, m_new + m_old))
    excluded_cols = _ids(excluded, cand, "excluded", context)
    site_cost = None
    if min_spacing is not None or model == "pdispersion":
        site_cost = cost_matrix(layers, geoms, geoms, cost="straight" if model != "pdispersion"
                                else cost, context=context)
    groups = _kecamatan_groups(cand, m_old, context) if per_kecamatan else None
    cap = None
    if capacity is not None:
        cap = np.r_[_capacity(capacity, cand, m_new, "result", context),
                    _capacity(capacity, ex, m_old, "existing facilities", context)]
    score = cand["score"].to_numpy(dtype=float)
    prefer = np.r_[score, np.full(m_old, np.nanmax(score))] if prefer_score else None
    pts, people = (np.zeros(0, dtype=object), np.zeros(0))
    if model == "pdispersion":
        matrix = site_cost
        weights = None
    else:
        pts, people, matrix = _demand(layers, geoms, cost=cost, cell=cell, context=context)
        weights = people
    k_total = None if not needs_k or k is None else k + m_old
    if needs_k and k is None:
        raise SiteplanInputError(Problem(context, f"{model} needs k", "give k=5"))
    plan = solve(model, matrix, weights=weights, k=k_total, radius=radius, capacity=cap,
                 fixed=fixed_cols, excluded=excluded_cols, site_cost=site_cost,
                 min_spacing=min_spacing, groups=groups, prefer=prefer,
                 time_limit=time_limit, single_source=single_source)
    return _site_plan(plan, cand, ex, pts, people, cost=cost, layers=layers)


def _check_locate(model: str, cost: str, cell: Any, min_score: Any, context: str) -> None:
    """A known model and cost; the demand cell and min_score in bounds; all problems at once."""
    problems = []
    if model not in MODELS:
        problems.append(Problem(context, f"unknown model {model!r}",
                                f"use one of {', '.join(MODELS)}"))
    if cost not in COSTS:
        problems.append(Problem(context, f"unknown cost {cost!r}",
                                f"use one of {', '.join(COSTS)}"))
    if cell is not None:
        p = number_problem(context, "cell", cell, low=10.0, high=100_000.0, unit="m",
                           example="500")
        if p is not None:
            problems.append(p)
    if min_score is not None:
        p = number_problem(context, "min_score", min_score, high=100.0, example="50")
        if p is not None:
            problems.append(p)
    if problems:
        raise SiteplanInputError(problems)


def _candidates(result: gpd.GeoDataFrame, layers: Layers, min_score: float | None,
                context: str) -> gpd.GeoDataFrame:
    """The candidate sites: the eligible parcels scoring at least ``min_score``, in the
    layers' CRS."""
    eligible = result["eligible"].to_numpy(dtype=bool)
    keep = eligible.copy()
    if min_score is not None:
        keep &= result["score"].to_numpy(dtype=float) >= min_score
    cand = result[keep]
    if len(cand) == 0:
        raise SiteplanInputError(Problem(context, "no eligible parcel" + (
            f" scores min_score={min_score:g} or more" if min_score is not None else ""),
            "relax the profile's constraints or lower min_score"))
    if cand.crs is not None and not cand.crs.equals(layers.crs):
        cand = cand.to_crs(layers.crs)
    return cand


def _kecamatan_groups(cand: gpd.GeoDataFrame, m_old: int, context: str) -> np.ndarray:
    """Each site's kecamatan (each existing facility a group of its own), for a site in
    every kecamatan."""
    if "kecamatan" not in cand.columns:
        raise SiteplanInputError(Problem(context, "per_kecamatan needs a 'kecamatan' "
                                         "column in the result",
                                         "add kecamatan to the parcels"))
    return np.r_[cand["kecamatan"].astype(str).to_numpy(),
                 [f"\0existing {i}" for i in range(m_old)]]


def _demand(layers: Layers, geoms: np.ndarray, *, cost: str, cell: float | None,
            context: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The demand units, their people and their costs to every site; units no road
    reaches any site from are left out (with a warning)."""
    pts, people = demand_units(layers, cell=cell, context=context)
    matrix = cost_matrix(layers, pts, geoms, cost=cost, context=context)
    reach = np.isfinite(matrix).any(axis=1)
    if not reach.all():
        log.warning("locate_sites: %d demand units (%.0f people) have no road route to "
                    "any site and are left out", (~reach).sum(), people[~reach].sum())
        pts, people, matrix = pts[reach], people[reach], matrix[reach]
    return pts, people, matrix


def _site_plan(plan: Plan, cand: gpd.GeoDataFrame, ex: gpd.GeoDataFrame, pts: np.ndarray,
               people: np.ndarray, *, cost: str, layers: Layers) -> SitePlan:
    m_new = len(cand)
    labels = np.r_[cand["parcel_id"].astype(str).to_numpy(),
                   [f"existing:{i}" for i in range(len(ex))]].astype(object)
    assign = plan.assignment
    served = np.bincount(assign[assign >= 0], weights=people[assign >= 0],
                         minlength=plan.params["sites"]) if len(assign) else \
        np.zeros(plan.params["sites"])
    trip = np.bincount(assign[assign >= 0], weights=(people * plan.cost)[assign >= 0],
                       minlength=plan.params["sites"]) if len(assign) else served
    mean = np.divide(trip, served, out=np.full(len(served), np.nan), where=served > 0)
    new = plan.chosen[plan.chosen < m_new]
    sites = cand.iloc[new].copy()
    sites["people"] = served[new]
    sites["mean_cost"] = mean[new]
    old = ex.copy()
    old["people"] = served[m_new:]
    old["mean_cost"] = mean[m_new:]
    demand = gpd.GeoDataFrame({
        "people": people,
        "site": np.where(assign >= 0, labels[np.maximum(assign, 0)], None),
        "cost": plan.cost, "covered": plan.covered}, geometry=pts, crs=layers.crs)
    return SitePlan(plan, sites, old, demand, cost)

