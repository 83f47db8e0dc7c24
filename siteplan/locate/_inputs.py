"""The arguments of :func:`siteplan.locate.solve`, checked once, every problem collected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, cast

import numpy as np

from .._errors import Problem, SiteplanInputError
from ..limits import (
    MAX_ASSIGNMENTS,
    MAX_MAGNITUDE,
    MAX_SITES,
    MAX_TIME_LIMIT,
    number_problem,
    show,
)

__all__ = ["Inputs", "check_inputs", "MAX_CELLS"]

#: the most cells (demand rows x sites) one cost matrix may have
MAX_CELLS = 20_000_000


@dataclass(frozen=True)
class Inputs:
    """Checked arguments: arrays of the right shape and type, ready for a model."""

    model: str
    cost: np.ndarray           # (n, m), float, +inf unreachable
    weights: np.ndarray        # (n,)
    k: int | None
    radius: float | None
    capacity: np.ndarray | None
    fixed: np.ndarray          # column indices
    excluded: np.ndarray
    site_cost: np.ndarray | None
    min_spacing: float | None
    groups: np.ndarray | None  # (m,) labels as integers, -1 for none
    prefer: np.ndarray | None
    time_limit: float
    mip_gap: float
    single_source: bool = True

    @property
    def n(self) -> int:
        return self.cost.shape[0]

    @property
    def m(self) -> int:
        return self.cost.shape[1]

    @property
    def allowed(self) -> np.ndarray:
        ok = np.ones(self.m, dtype=bool)
        ok[self.excluded] = False
        return ok


def _matrix(name: str, value: Any, where: str, problems: list[Problem],
            square: bool = False) -> np.ndarray | None:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        problems.append(Problem(where, f"{name} must be a numeric matrix, got "
                                f"{type(value).__name__}", f"give {name} as a 2-D NumPy "
                                "array of costs (rows demand, columns sites)"))
        return None
    if a.ndim != 2 or 0 in a.shape:
        problems.append(Problem(where, f"{name} must be a non-empty 2-D matrix, got shape "
                                f"{a.shape}", f"give {name} with one row per demand unit "
                                "and one column per site"))
        return None
    if square and a.shape[0] != a.shape[1]:
        problems.append(Problem(where, f"{name} must be square (site by site), got shape "
                                f"{a.shape}", "give the costs between every pair of sites"))
        return None
    if a.size > MAX_CELLS:
        problems.append(Problem(where, f"{name} has {a.size:,} cells, more than "
                                f"{MAX_CELLS:,}", "use fewer demand units (a larger demand "
                                "cell) or fewer candidate sites"))
        return None
    bad = np.isnan(a) | (a < 0) | np.isneginf(a) | (np.isfinite(a) & (a > MAX_MAGNITUDE))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        problems.append(Problem(where, f"{name} holds {int(bad.sum())} values that are NaN, "
                                f"negative or beyond {MAX_MAGNITUDE:g} (first at row {i}, "
                                f"column {j}: {a[i, j]!r})", "give costs >= 0; +inf marks "
                                "a site that cannot be reached"))
        return None
    return a


def _vector(name: str, value: Any, size: int, where: str, problems: list[Problem],
            fix: str) -> np.ndarray | None:
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        problems.append(Problem(where, f"{name} must be numbers, got {show(value)}", fix))
        return None
    if v.ndim == 0:
        v = np.full(size, float(v))
    if v.shape != (size,):
        problems.append(Problem(where, f"{name} must have {size} values, got shape "
                                f"{v.shape}", fix))
        return None
    if not np.isfinite(v).all() or (v < 0).any() or (v > MAX_MAGNITUDE).any():
        i = int(np.flatnonzero(~np.isfinite(v) | (v < 0) | (v > MAX_MAGNITUDE))[0])
        problems.append(Problem(where, f"{name}[{i}] is {v[i]!r}; every value must be "
                                f"finite, >= 0 and <= {MAX_MAGNITUDE:g}", fix))
        return None
    return v


def _indices(name: str, value: Any, m: int, where: str, problems: list[Problem]
             ) -> np.ndarray:
    items = list(value) if isinstance(value, Sequence | np.ndarray) else [value]
    bad = [x for x in items if not isinstance(x, Integral | np.integer) or isinstance(x, bool)
           or not 0 <= int(x) < m]
    if bad:
        problems.append(Problem(where, f"{name} holds {show(bad[:5])}, not column indices "
                                f"from 0 to {m - 1}", f"give {name} as a list of site columns"))
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.asarray(items, dtype=np.int64))


def check_inputs(model: str, cost: Any, *, needs: frozenset[str], weights: Any, k: Any,
                 radius: Any, capacity: Any, fixed: Any, excluded: Any, site_cost: Any,
                 min_spacing: Any, groups: Any, prefer: Any, time_limit: Any, mip_gap: Any,
                 square: bool = False, single_source: bool = True) -> Inputs:
    """Every argument checked; one :class:`~siteplan.SiteplanInputError` with all problems."""
    where = f"locate.solve({model!r})"
    problems: list[Problem] = []
    a = _matrix("cost", cost, where, problems, square=square)
    n, m = a.shape if a is not None else (0, 0)
    w: np.ndarray | None = np.ones(n)
    if weights is not None and a is not None:
        w = _vector("weights", weights, n, where, problems,
                    "give one weight (people) >= 0 per demand row")
    sites = None if a is None else m   # the checks against the matrix need it read
    _check_k(model, k, needs, sites, where, problems)
    if "radius" in needs:
        p = number_problem(where, "radius", radius, strict_low=True, high=MAX_MAGNITUDE,
                           example="1000")
        if p is not None:
            problems.append(p)
    cap = _capacity(model, capacity, needs, sites, where, problems)
    fx, ex = _fixed_excluded(fixed, excluded, k, sites, where, problems)
    sc = _site_cost(site_cost, min_spacing, square, sites, where, problems)
    g = _groups(groups, sites, where, problems)
    pref = _prefer(prefer, sites, where, problems)
    if model in ("pmedian", "cpmedian") and a is not None and w is not None:
        _assignments(model, a, w, ex, where, problems)
    for name, value, high in (("time_limit", time_limit, MAX_TIME_LIMIT),
                              ("mip_gap", mip_gap, 1.0)):
        p = number_problem(where, name, value, high=high, example="60" if name ==
                           "time_limit" else "0")
        if p is not None:
            problems.append(p)
    if problems:
        raise SiteplanInputError(problems)
    # no problems: cost and weights were read (None comes only with a problem)
    return Inputs(model, cast(np.ndarray, a), cast(np.ndarray, w),
                  int(k) if "k" in needs else None,
                  float(radius) if "radius" in needs else None, cap, fx, ex, sc,
                  None if min_spacing is None else float(min_spacing), g, pref,
                  float(time_limit), float(mip_gap), bool(single_source))


def _assignments(model: str, a: np.ndarray, w: np.ndarray, excluded: Any, where: str,
                 problems: list[Problem]) -> None:
    """The medians assign every demand row to a site: refuse more (row, site) pairs than
    :data:`~siteplan.limits.MAX_ASSIGNMENTS` before the solver runs out of memory."""
    rows = len(w) if model == "cpmedian" else int(np.count_nonzero(w > 0))
    sites = a.shape[1] - (0 if excluded is None else len(set(np.ravel(excluded).tolist())))
    if rows * sites > MAX_ASSIGNMENTS:
        problems.append(Problem(
            where, f"{rows:,} demand rows by {sites:,} sites make {rows * sites:,} possible "
            f"assignments, more than the {MAX_ASSIGNMENTS:,} the {model} is solved for in "
            "bounded memory",
            "give fewer demand rows (sp.locate_sites: a larger demand cell, e.g. cell=500) "
            "or fewer sites (min_score, excluded)"))


# each check below takes m, the number of sites: None when the cost matrix was refused


def _check_k(model: str, k: Any, needs: frozenset[str], m: int | None, where: str,
             problems: list[Problem]) -> None:
    """k: a whole number of sites the matrix has, for the models that take one; else none."""
    if "k" in needs:
        low = 2 if model == "pdispersion" else 1
        p = number_problem(where, "k", k, low=low, high=MAX_SITES, integer=True, example="5")
        if p is not None:
            problems.append(p)
        elif m is not None and k > m:
            problems.append(Problem(where, f"k={k} but the cost matrix has only {m} sites",
                                    f"use k <= {m}"))
    elif k is not None:
        problems.append(Problem(where, f"k={show(k)} does not apply: {model} finds the fewest "
                                "sites itself", "leave k out"))


def _capacity(model: str, capacity: Any, needs: frozenset[str], m: int | None, where: str,
              problems: list[Problem]) -> np.ndarray | None:
    """The sites' capacities, for the models that need them (None otherwise)."""
    if "capacity" not in needs:
        return None
    if capacity is None:
        problems.append(Problem(where, f"{model} needs capacity", "give capacity= one "
                                "number per site (people it can serve) or one for all"))
        return None
    if m is None:
        return None
    return _vector("capacity", capacity, m, where, problems,
                   "give one capacity >= 0 per site, or one number for all")


def _fixed_excluded(fixed: Any, excluded: Any, k: Any, m: int | None, where: str,
                    problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """The fixed and the excluded site columns: none in both, no more fixed than k."""
    fx = _indices("fixed", fixed, m, where, problems) if m is not None else np.zeros(0, int)
    ex = _indices("excluded", excluded, m, where, problems) if m is not None \
        else np.zeros(0, int)
    both = np.intersect1d(fx, ex)
    if len(both):
        problems.append(Problem(where, f"sites {both[:5].tolist()} are both fixed and "
                                "excluded", "drop them from one of the two"))
    if isinstance(k, Integral) and len(fx) > k:
        problems.append(Problem(where, f"{len(fx)} fixed sites but k={k}",
                                f"use k >= {len(fx)} or fix fewer sites"))
    return fx, ex


def _site_cost(site_cost: Any, min_spacing: Any, square: bool, m: int | None, where: str,
               problems: list[Problem]) -> np.ndarray | None:
    """min_spacing and the site-by-site costs it is measured on."""
    if min_spacing is not None:
        p = number_problem(where, "min_spacing", min_spacing, high=MAX_MAGNITUDE,
                           example="500")
        if p is not None:
            problems.append(p)
        if site_cost is None and not square:
            problems.append(Problem(where, "min_spacing needs site_cost, the costs between "
                                    "sites", "give site_cost= an (m, m) matrix"))
    if site_cost is None:
        return None
    sc = _matrix("site_cost", site_cost, where, problems, square=True)
    if sc is not None and m is not None and sc.shape[0] != m:
        problems.append(Problem(where, f"site_cost is {sc.shape} but there are {m} sites",
                                f"give an ({m}, {m}) matrix"))
    return sc


def _groups(groups: Any, m: int | None, where: str, problems: list[Problem]
            ) -> np.ndarray | None:
    """One group label per site, as integers."""
    if groups is None or m is None:
        return None
    labels = np.asarray(groups, dtype=object)
    if labels.shape != (m,):
        problems.append(Problem(where, f"groups must have {m} labels, got shape "
                                f"{labels.shape}", "give one group label per site"))
        return None
    return np.unique(labels.astype(str), return_inverse=True)[1].ravel()


def _prefer(prefer: Any, m: int | None, where: str, problems: list[Problem]
            ) -> np.ndarray | None:
    """One finite preference per site (higher preferred), for choosing among equal optima."""
    if prefer is None or m is None:
        return None
    try:
        pref = np.asarray(prefer, dtype=float)
    except (TypeError, ValueError):
        pref = np.full(1, np.nan)
    if pref.shape != (m,) or not np.isfinite(pref).all():
        problems.append(Problem(where, f"prefer must be {m} finite numbers (one per "
                                "site, higher preferred)", "give the sites' scores"))
        return None
    return pref
