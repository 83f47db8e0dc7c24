"""``siteplan.locate.solve``: a location model on a plain cost matrix, answered as a Plan."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from .._errors import Problem, SiteplanInputError
from ._inputs import Inputs, check_inputs
from .models import MODELS, Outcome
from .plan import Plan

__all__ = ["solve", "objective_of"]

log = logging.getLogger(__name__)


def objective_of(model: str, cost: np.ndarray, chosen: np.ndarray, *,
                 weights: np.ndarray | None = None, radius: float | None = None,
                 assignment: np.ndarray | None = None) -> float:
    """The objective of ``model`` for the sites ``chosen``, computed directly from the costs.

    ``assignment`` (one column per row) is used by ``cpmedian``; the other
    models serve each row from its nearest chosen site.
    """
    cost = np.asarray(cost, dtype=float)
    chosen = np.asarray(chosen, dtype=np.int64)
    w = np.ones(cost.shape[0]) if weights is None else np.asarray(weights, float)
    if model == "pdispersion":
        d = np.minimum(cost, cost.T)[np.ix_(chosen, chosen)]
        return float(np.min(d[np.triu_indices(len(chosen), 1)]))
    if model == "lscp":
        return float(len(chosen))
    sub = cost[:, chosen]
    if model in {"lscpb", "mclp"}:
        times = (sub <= radius).sum(axis=1)
        return float(w[times >= (2 if model == "lscpb" else 1)].sum())
    if model == "cpmedian":
        d = cost[np.arange(cost.shape[0]), assignment]
        return float(np.sum(w * d))
    near = sub.min(axis=1)
    if model == "pcenter":
        return float(near[w > 0].max())
    on = w > 0
    return float(np.sum(w[on] * near[on]))


def _plan(inp: Inputs, out: Outcome, seconds: float) -> Plan:
    model = MODELS[inp.model]
    chosen = out.chosen
    if model.square:
        n = 0
        assign, cost, covered = np.zeros(0, int), np.zeros(0), np.zeros(0, bool)
    else:
        n = inp.n
        assign = out.assignment if out.assignment is not None else \
            chosen[np.argmin(inp.cost[:, chosen], axis=1)]
        cost = inp.cost[np.arange(n), assign]
        cost = np.where(np.isfinite(cost), cost, np.nan)
        assign = np.where(np.isnan(cost), -1, assign)
        covered = (cost <= inp.radius) if inp.radius is not None else ~np.isnan(cost)
    objective = out.objective if out.objective is not None else objective_of(
        inp.model, inp.cost, chosen, weights=inp.weights, radius=inp.radius,
        assignment=out.assignment)
    if out.status == "optimal":
        bound, gap = objective, 0.0
    else:
        bound, gap = out.bound, out.gap
    secondary = None if inp.prefer is None else float(inp.prefer[chosen].sum())
    params = {"k": inp.k, "radius": inp.radius, "fixed": tuple(inp.fixed.tolist()),
              "excluded": tuple(inp.excluded.tolist()), "min_spacing": inp.min_spacing,
              "groups": inp.groups is not None, "capacity": inp.capacity is not None,
              "rows": n, "sites": inp.m}
    return Plan(inp.model, chosen, assign, cost, covered, objective, bound, gap, seconds,
                out.status, secondary, params)


def solve(model: str, cost: Any, *, weights: Any = None, k: int | None = None,
          radius: float | None = None, capacity: Any = None, fixed: Any = (),
          excluded: Any = (), site_cost: Any = None, min_spacing: float | None = None,
          groups: Any = None, prefer: Any = None, time_limit: float = 600.0,
          mip_gap: float = 0.0, single_source: bool = True) -> Plan:
    """Solve one location model exactly (HiGHS) on a demand-by-site cost matrix.

    Parameters
    ----------
    model
        A name of :data:`siteplan.locate.MODELS`: ``"lscp"``, ``"lscpb"``,
        ``"mclp"``, ``"pmedian"``, ``"cpmedian"``, ``"pcenter"`` or
        ``"pdispersion"`` (whose ``cost`` is site by site).
    cost
        (rows, sites) costs, metres or minutes; ``inf`` marks a site a row
        cannot reach.
    weights
        People (or any demand) per row; 1 each by default. Rows of weight 0
        need no service (they are left out of ``lscp`` and ``pcenter`` too).
    k
        Number of sites (``mclp``, the medians, ``pcenter``, ``pdispersion``).
    radius
        Reach of a site, in the cost's unit (the covering models).
    capacity
        Demand each site can serve (``cpmedian``): one number per site or one for all.
    fixed, excluded
        Site columns that must be, or must not be, chosen; fixed sites count in ``k``.
    site_cost, min_spacing
        Site-by-site costs and the least cost between two chosen sites.
    groups
        One label per site: at least one site is chosen in every group (e.g. kecamatan).
    prefer
        One number per site (e.g. the suitability score): among equal optima,
        the chosen sites with the largest sum.
    time_limit
        Seconds HiGHS may take per solve.
    mip_gap
        Relative gap at which HiGHS may stop (0: proved optimal).
    single_source
        ``cpmedian``: every row served by one site (spopt's model, default); False
        lets a row's people be split among sites (``assignment`` is then the
        site with the largest share), which solves far faster.

    Returns
    -------
    Plan
        ``.chosen`` (column indices), ``.objective``, ``.bound``, ``.gap``,
        ``.assignment`` and ``.cost`` per row, ``.seconds``.

    Examples
    --------
    >>> import numpy as np
    >>> from siteplan import locate
    >>> cost = np.array([[0., 4., 9.], [3., 1., 8.], [9., 5., 1.], [8., 6., 2.]])
    >>> plan = locate.solve("pmedian", cost, weights=[1, 1, 1, 2], k=2)
    >>> plan.chosen.tolist(), plan.objective
    ([0, 2], 8.0)
    >>> locate.solve("lscp", cost, radius=4).objective
    2.0
    """
    if not isinstance(model, str) or model not in MODELS:
        raise SiteplanInputError(Problem("locate.solve", f"unknown model {model!r}",
                                         f"use one of {', '.join(MODELS)}"))
    t0 = time.perf_counter()
    entry = MODELS[model]
    inp = check_inputs(model, cost, needs=entry.needs, weights=weights, k=k, radius=radius,
                       capacity=capacity, fixed=fixed, excluded=excluded, site_cost=site_cost,
                       min_spacing=min_spacing, groups=groups, prefer=prefer,
                       time_limit=time_limit, mip_gap=mip_gap, square=entry.square,
                       single_source=single_source)
    out = entry.solve(inp)
    plan = _plan(inp, out, time.perf_counter() - t0)
    log.info("locate %s: objective %s, %d sites, %.3f s", model, plan.objective, plan.k,
             plan.seconds)
    return plan
