"""The arguments of :func:`siteplan.locate.solve`, checked once, every problem collected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, cast

import numpy as np

from .._errors import Problem, SiteplanInputError
from ..limits import MAX_MAGNITUDE, MAX_SITES, MAX_TIME_LIMIT, number_problem, show

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
    if "k" in needs:
        low = 2 if model == "pdispersion" else 1
        p = number_problem(where, "k", k, low=low, high=MAX_SITES, integer=True, example="5")
        if p is not None:
            problems.append(p)
        elif a is not None and k > m:
            problems.append(Problem(where, f"k={k} but the cost matrix has only {m} sites",
                                    f"use k <= {m}"))
    elif k is not None:
        problems.append(Problem(where, f"k={show(k)} does not apply: {model} finds the fewest "
                                "sites itself", "leave k out"))
    if "radius" in needs:
        p = number_problem(where, "radius", radius, strict_low=True, high=MAX_MAGNITUDE,
                           example="1000")
        if p is not None:
            problems.append(p)
    cap = None
    if "capacity" in needs:
        if capacity is None:
            problems.append(Problem(where, f"{model} needs capacity", "give capacity= one "
                                    "number per site (people it can serve) or one for all"))
        elif a is not None:
            cap = _vector("capacity", capacity, m, where, problems,
                          "give one capacity >= 0 per site, or one number for all")
    fx = _indices("fixed", fixed, m, where, problems) if a is not None else np.zeros(0, int)
    ex = _indices("excluded", excluded, m, where, problems) if a is not None \
        else np.zeros(0, int)
    both = np.intersect1d(fx, ex)
    if len(both):
        problems.append(Problem(where, f"sites {both[:5].tolist()} are both fixed and "
                                "excluded", "drop them from one of the two"))
    if isinstance(k, Integral) and len(fx) > k:
        problems.append(Problem(where, f"{len(fx)} fixed sites but k={k}",
                                f"use k >= {len(fx)} or fix fewer sites"))
    sc = None
    if min_spacing is not None:
        p = number_problem(where, "min_spacing", min_spacing, high=MAX_MAGNITUDE,
                           example="500")
        if p is not None:
            problems.append(p)
        if site_cost is None and not square:
            problems.append(Problem(where, "min_spacing needs site_cost, the costs between "
                                    "sites", "give site_cost= an (m, m) matrix"))
    if site_cost is not None:
        sc = _matrix("site_cost", site_cost, where, problems, square=True)
        if sc is not None and a is not None and sc.shape[0] != m:
            problems.append(Problem(where, f"site_cost is {sc.shape} but there are {m} sites",
                                    f"give an ({m}, {m}) matrix"))
    g = None
    if groups is not None and a is not None:
        labels = np.asarray(groups, dtype=object)
        if labels.shape != (m,):
            problems.append(Problem(where, f"groups must have {m} labels, got shape "
                                    f"{labels.shape}", "give one group label per site"))
        else:
            g = np.unique(labels.astype(str), return_inverse=True)[1].ravel()
    pref = None
    if prefer is not None and a is not None:
        try:
            pref = np.asarray(prefer, dtype=float)
        except (TypeError, ValueError):
            pref = np.full(1, np.nan)
        if pref.shape != (m,) or not np.isfinite(pref).all():
            problems.append(Problem(where, f"prefer must be {m} finite numbers (one per "
                                    "site, higher preferred)", "give the sites' scores"))
            pref = None
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
