"""Who is underserved now: spatial access to facilities, one value per demand row.

The measures of PySAL access, on a demand-by-facility cost matrix (``inf``
marks a pair with no route, like a pair missing from access's long cost
table), with people per row and the capacity (supply) of each facility.
:data:`ACCESS_METHODS` is the table :func:`access` reads:

- ``fca``: supply within ``radius`` of a row over the people within ``radius``
  of it (needs ``demand_cost``, row by row), access's ``fca_ratio``.
- ``2sfca``: two-step floating catchment (Luo & Wang 2003): R_j = S_j /
  sum_i P_i f(c_ij), A_i = sum_j R_j f(c_ij), pairs within ``radius``; f = 1
  unless ``weight`` is given.
- ``e2sfca``: 2SFCA with distance-decay bands (Luo & Qi 2009); by default the
  bands of access (1, 0.68, 0.22) at a third, two thirds and all of ``radius``.
- ``3sfca``: three-step (Wan et al. 2012): the 2SFCA weights times the
  selection weight G_ij = f(c_ij) / sum_j' f(c_ij'); by default access's bands
  (0.962, 0.704, 0.377, 0.042) at a sixth, a third, a half and all of ``radius``.
- ``gravity``: weighted catchment, sum_j S_j f(c_ij) (access's
  ``weighted_catchment``).
- ``raam``: rational agent access model (Saxon & Snow 2020): each row's
  travel plus congestion cost once people have moved to their best
  facility, by access's own iteration (``tau`` is the cost that is worth
  the mean congestion; lower is better).

Rows that reach no facility get 0 (``raam``: NaN), where access leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from .._errors import Problem, SiteplanInputError
from ..limits import MAX_MAGNITUDE, number_problem
from ._inputs import MAX_CELLS

__all__ = ["access", "ACCESS_METHODS", "AccessMethod", "step_weights", "gravity_weights",
           "gaussian_weights"]

Weight = Callable[[np.ndarray], np.ndarray]


def step_weights(steps: Mapping[float, float]) -> Weight:
    """A step function of cost: the value of the first step whose bound is >= the cost, else 0.

    Parameters
    ----------
    steps
        Upper bound of each band -> weight (access's ``step_fn``).

    Returns
    -------
    callable
        Vectorised: an array of costs in, an array of weights out.

    Examples
    --------
    >>> from siteplan.locate import step_weights
    >>> step_weights({20: 1, 40: 0.68, 60: 0.22})([0, 20, 30, 60, 70]).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    """
    bounds = np.array(sorted(steps), dtype=float)
    values = np.array([steps[b] for b in sorted(steps)] + [0.0], dtype=float)
    if (values < 0).any():
        raise SiteplanInputError(Problem("step_weights", "a weight is negative",
                                         "give weights >= 0"))

    def f(x: Any) -> np.ndarray:
        return values[np.searchsorted(bounds, np.asarray(x, float), side="left")]
    return f


def gravity_weights(scale: float, alpha: float, min_dist: float = 0.0) -> Weight:
    """(max(cost, min_dist) / scale) ** alpha, access's ``gravity`` (alpha < 0 for decay).

    Parameters
    ----------
    scale
        Cost that weighs 1.
    alpha
        Power (negative: weight falls with cost).
    min_dist
        Costs below this count as this (no infinite weight at 0).

    Returns
    -------
    callable
        Vectorised weight function.

    Examples
    --------
    >>> from siteplan.locate import gravity_weights
    >>> gravity_weights(20, -2, 1)([0, 2, 20, 40]).round(6).tolist()
    [400.0, 100.0, 1.0, 0.25]
    """
    return lambda x: np.power(np.maximum(np.asarray(x, float), min_dist) / scale, alpha)


def gaussian_weights(sigma: float) -> Weight:
    """exp(-cost² / (2 sigma²)), access's ``gaussian`` (1 at cost 0).

    Parameters
    ----------
    sigma
        Width, in the cost's unit.

    Returns
    -------
    callable
        Vectorised weight function.

    Examples
    --------
    >>> from siteplan.locate import gaussian_weights
    >>> round(float(gaussian_weights(20)(20)), 6)
    0.606531
    """
    return lambda x: np.exp(-np.asarray(x, float) ** 2 / (2 * sigma ** 2))


@dataclass(frozen=True)
class _Args:
    cost: np.ndarray       # (n, m), inf = no pair
    demand: np.ndarray     # (n,)
    supply: np.ndarray     # (m,)
    radius: float | None
    weight: Weight | None
    demand_cost: np.ndarray | None
    tau: float
    rho: float | None
    max_cycles: int


def _within(a: _Args) -> np.ndarray:
    inside = np.isfinite(a.cost)
    return inside if a.radius is None else inside & (a.cost <= a.radius)


def _f(a: _Args, default: Callable[[], Weight] | None) -> np.ndarray:
    """f(c_ij) on every present pair (0 elsewhere); ``default`` makes the method's own f."""
    fn = a.weight or (default() if default is not None else None)
    present = np.isfinite(a.cost)
    out = np.zeros(a.cost.shape)
    if fn is None:
        out[present] = 1.0
    else:
        out[present] = fn(a.cost[present])
    return out


def _two_step(a: _Args, w: np.ndarray) -> np.ndarray:
    """sum_j R_j w_ij with R_j = S_j / sum_i P_i w_ij (0 where a site reaches no one)."""
    w = np.where(_within(a), w, 0.0)
    load = a.demand @ w
    ratio = np.divide(a.supply, load, out=np.zeros(len(load)), where=load > 0)
    return w @ ratio


def _fca(a: _Args) -> np.ndarray:
    # fca needs demand_cost and radius: access() refuses it without them
    dc = cast(np.ndarray, a.demand_cost)
    people = (dc <= cast(float, a.radius)) @ a.demand  # inf (no route) is never within
    supply = _within(a).astype(float) @ a.supply
    return np.divide(supply, people, out=np.zeros(len(people)), where=people > 0)


def _2sfca(a: _Args) -> np.ndarray:
    return _two_step(a, _f(a, None))


def _e2sfca(a: _Args) -> np.ndarray:
    r = cast(float, a.radius)  # used only without a weight, when access() requires radius
    return _two_step(a, _f(a, lambda: step_weights({r / 3: 1.0, 2 * r / 3: 0.68, r: 0.22})))


def _3sfca(a: _Args) -> np.ndarray:
    r = cast(float, a.radius)  # used only without a weight, when access() requires radius
    f = _f(a, lambda: step_weights({r / 6: 0.962, r / 3: 0.704, r / 2: 0.377, r: 0.042}))
    total = f.sum(axis=1)
    g = np.divide(f, total[:, None], out=np.zeros(f.shape), where=total[:, None] > 0)
    return _two_step(a, f * g)


def _gravity(a: _Args) -> np.ndarray:
    return np.where(_within(a), _f(a, None), 0.0) @ a.supply


def _raam(a: _Args) -> np.ndarray:
    """Access's RAAM iteration, step for step, on the rows with people and open facilities."""
    out = np.full(len(a.demand), np.nan)
    rows = np.flatnonzero(a.demand > 0)
    cols = np.flatnonzero(a.supply > 0)
    travel = a.cost[np.ix_(rows, cols)] / a.tau
    reach = np.isfinite(travel).any(axis=1)
    rho = a.rho if a.rho is not None else a.demand[rows].sum() / a.supply[cols].sum()
    rows, travel = rows[reach], travel[reach]
    if len(rows) == 0:
        return out
    out[rows] = _iterate_raam(a.demand[rows], a.supply[cols] * rho, travel, a.max_cycles)
    return out


def _iterate_raam(demand: np.ndarray, supply: np.ndarray, travel: np.ndarray,
                  max_cycles: int, *, initial_step: float = 0.2, min_step: float = 0.005,
                  half_life: float = 50.0, limit_initial: int = 20) -> np.ndarray:
    """Move people from each row's dearest facility to its cheapest, in shrinking steps."""
    n, m = travel.shape
    r = np.arange(n)
    assign = np.zeros((n, m))
    assign[r, travel.argmin(axis=1)] = demand
    total = travel
    for i in range(max_cycles):  # the iteration itself; each cycle is vectorised
        at_supply = assign.sum(axis=0)
        total = at_supply / supply + travel
        hi = np.where(assign == 0, -np.inf, total).argmax(axis=1)
        lo = total.argmin(axis=1)
        s_lo, s_hi = supply[lo], supply[hi]
        d_lo, d_hi = assign[r, lo], assign[r, hi]
        other_lo = at_supply[lo] - d_lo
        other_hi = at_supply[hi] - d_hi
        new_lo = (s_lo * s_hi) / (s_lo + s_hi) * (
            (travel[r, hi] - travel[r, lo]) + (d_lo + d_hi + other_hi) / s_hi - other_lo / s_lo)
        delta = np.minimum(new_lo - d_lo, d_hi)
        delta = np.where(hi == lo, 0, delta)
        step = max(initial_step * 0.5 ** (i / half_life), min_step)
        delta = np.minimum(delta, step * demand).astype(int)
        if i < limit_initial:
            moved = np.zeros((n, m))
            moved[r, lo] += delta
            scale = np.maximum(moved.sum(axis=0) / supply, 1)
            delta = (moved / scale).round().astype(int).sum(axis=1)
        assign[r, lo] += delta
        assign[r, hi] -= delta
    return np.where(assign > 0, total * assign, 0.0).sum(axis=1) / assign.sum(axis=1)


@dataclass(frozen=True)
class AccessMethod:
    """One access measure: its function, whether it needs ``radius`` and its title."""

    func: Callable[[_Args], np.ndarray]
    needs_radius: bool
    title: str


#: method name -> :class:`AccessMethod`; the names :func:`access` accepts
ACCESS_METHODS: dict[str, AccessMethod] = {
    "fca": AccessMethod(_fca, True, "floating catchment ratio"),
    "2sfca": AccessMethod(_2sfca, False, "two-step floating catchment"),
    "e2sfca": AccessMethod(_e2sfca, True, "enhanced two-step floating catchment"),
    "3sfca": AccessMethod(_3sfca, True, "three-step floating catchment"),
    "gravity": AccessMethod(_gravity, False, "gravity (weighted catchment)"),
    "raam": AccessMethod(_raam, False, "rational agent access model"),
}


def _array(name: str, value: Any, shape: tuple | None, problems: list[Problem],
           fix: str, allow_inf: bool = False) -> np.ndarray | None:
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        problems.append(Problem("locate.access", f"{name} must be numbers", fix))
        return None
    if shape is not None and v.ndim == 0 and len(shape) == 1:
        v = np.full(shape, float(v))
    if (shape is not None and v.shape != shape) or (shape is None and
                                                    (v.ndim != 2 or 0 in v.shape)):
        problems.append(Problem("locate.access", f"{name} has shape {v.shape}, expected "
                                f"{shape or '(rows, facilities)'}", fix))
        return None
    if v.size > MAX_CELLS:
        problems.append(Problem("locate.access", f"{name} has {v.size:,} cells, more than "
                                f"{MAX_CELLS:,}", "use fewer demand units"))
        return None
    finite = np.isfinite(v) | (allow_inf & np.isposinf(v))
    bad = ~finite | (v < 0) | (np.isfinite(v) & (v > MAX_MAGNITUDE))
    if bad.any():
        problems.append(Problem("locate.access", f"{name} holds {int(bad.sum())} values that "
                                f"are NaN, negative or too large (first: "
                                f"{v.ravel()[np.flatnonzero(bad.ravel())[0]]!r})", fix))
        return None
    return v


def access(cost: Any, demand: Any, supply: Any, *, method: str = "2sfca",
           radius: float | None = None, weight: Weight | Mapping[float, float] | None = None,
           demand_cost: Any = None, tau: float = 60.0, rho: float | None = None,
           max_cycles: int = 150) -> np.ndarray:
    """Spatial access of every demand row to facilities, by one of :data:`ACCESS_METHODS`.

    Parameters
    ----------
    cost
        (rows, facilities) costs; ``inf`` where a row has no route to a facility.
    demand
        People per row.
    supply
        Capacity per facility (one number for all, e.g. 1 to count facilities).
    method
        ``"fca"``, ``"2sfca"``, ``"e2sfca"``, ``"3sfca"``, ``"gravity"`` or ``"raam"``.
    radius
        Catchment: pairs costing more are left out (required by ``fca``,
        ``e2sfca`` and ``3sfca``).
    weight
        Distance decay: a vectorised function of cost (see :func:`step_weights`,
        :func:`gravity_weights`, :func:`gaussian_weights`) or a ``{bound: weight}``
        table of bands; the methods' defaults otherwise.
    demand_cost
        (rows, rows) costs between demand rows, for ``fca``.
    tau, rho, max_cycles
        ``raam``: the cost worth the mean congestion, the demand per unit of
        supply (default: total demand over total supply), the cycles run.

    Returns
    -------
    numpy.ndarray
        One value per demand row (higher is better, except ``raam``: a cost).

    Examples
    --------
    >>> import numpy as np
    >>> from siteplan import locate
    >>> cost = np.array([[100., 900.], [400., 300.], [2000., 200.]])
    >>> locate.access(cost, [10, 20, 30], [1, 2], method="2sfca", radius=500).round(4).tolist()
    [0.0333, 0.0733, 0.04]
    """
    problems: list[Problem] = []
    if not isinstance(method, str) or method not in ACCESS_METHODS:
        raise SiteplanInputError(Problem("locate.access", f"unknown method {method!r}",
                                         f"use one of {', '.join(ACCESS_METHODS)}"))
    entry = ACCESS_METHODS[method]
    c = _array("cost", cost, None, problems, "give costs >= 0, inf for no route",
               allow_inf=True)
    n, m = c.shape if c is not None else (0, 0)
    d = _array("demand", demand, (n,), problems, "give people >= 0 per row") \
        if c is not None else None
    s = _array("supply", supply, (m,), problems, "give a capacity >= 0 per facility") \
        if c is not None else None
    if entry.needs_radius and radius is None and not (method != "fca" and weight is not None):
        problems.append(Problem("locate.access", f"{method} needs radius",
                                "give radius= the catchment in the cost's unit"))
    if radius is not None:
        p = number_problem("locate.access", "radius", radius, strict_low=True,
                           high=MAX_MAGNITUDE, example="1000")
        if p is not None:
            problems.append(p)
    dc = None
    if method == "fca":
        if demand_cost is None:
            problems.append(Problem("locate.access", "fca needs demand_cost, the costs between "
                                    "demand rows", "give demand_cost= a (rows, rows) matrix"))
        elif c is not None:
            dc = _array("demand_cost", demand_cost, (n, n), problems,
                        "give (rows, rows) costs >= 0, inf for no route", allow_inf=True)
    if method == "raam":
        for name, value in (("tau", tau), ("rho", rho)):
            if value is not None:
                p = number_problem("locate.access", name, value, strict_low=True,
                                   high=MAX_MAGNITUDE, example="60")
                if p is not None:
                    problems.append(p)
        p = number_problem("locate.access", "max_cycles", max_cycles, low=1, high=100_000,
                           integer=True, example="150")
        if p is not None:
            problems.append(p)
    fn = step_weights(weight) if isinstance(weight, Mapping) else weight
    if fn is not None and not callable(fn):
        problems.append(Problem("locate.access", f"weight must be a function or a table of "
                                f"bands, got {type(weight).__name__}",
                                "use locate.step_weights({500: 1, 1000: 0.5})"))
    if problems:
        raise SiteplanInputError(problems)
    # no problems: every array was read (_array gives None only with a problem)
    args = _Args(cast(np.ndarray, c), cast(np.ndarray, d), cast(np.ndarray, s),
                 None if radius is None else float(radius), fn, dc, float(tau),
                 None if rho is None else float(rho), int(max_cycles))
    return entry.func(args)
