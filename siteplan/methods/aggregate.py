"""Aggregation: criterion suitabilities in [0, 1] and weights -> a score in [0, 1].

Every function takes an ``(n_sites, n_criteria)`` array ``c`` and weights
``w`` summing to 1, and returns ``n_sites`` values in [0, 1]. They also work
on a stack of weight vectors ``w`` of shape ``(n_draws, n_criteria)``
(returning ``(n_draws, n_sites)``), which the sensitivity analysis uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .._errors import Problem, SiteplanInputError

__all__ = ["AGGREGATORS", "Aggregator", "METHODS", "wlc", "wgm", "topsis", "owa",
           "owa_order_weights", "aggregate", "shapley"]


def wlc(c: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted linear combination: sum_j w_j c_ij."""
    return np.asarray(w) @ c.T if np.ndim(w) == 2 else c @ np.asarray(w)


def wgm(c: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted geometric mean: prod_j c_ij ** w_j (0 when any weighted criterion is 0)."""
    c = np.clip(c, 0.0, 1.0)
    zero = c <= 0.0
    logc = np.log(np.where(zero, 1.0, c))
    w = np.asarray(w, dtype=float)
    if w.ndim == 2:
        out = np.exp(w @ logc.T)
        return np.where((w > 0).astype(float) @ zero.T.astype(float) > 0, 0.0, out)
    out = np.exp(logc @ w)
    return np.where(zero @ (w > 0) > 0, 0.0, out)


def topsis(c: np.ndarray, w: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """TOPSIS closeness to the ideal (Hwang & Yoon 1981).

    Columns are vector-normalised, weighted, and each site's distance to the
    best (column maximum) and worst (column minimum) site is combined as
    d- / (d+ + d-). Every criterion is a benefit criterion (higher c is
    better). A site equal to both ideals (all sites alike) gets 1. The norms
    and ideal points come from ``reference`` (default ``c`` itself: all the
    eligible sites), so that changed rows can be scored against the same
    ideals.
    """
    ref = c if reference is None else reference
    norms = np.sqrt((ref ** 2).sum(axis=0))
    r = np.divide(c, norms, out=np.zeros_like(c, dtype=float), where=norms > 0)
    rr = r if reference is None else np.divide(ref, norms, out=np.zeros_like(ref, dtype=float),
                                               where=norms > 0)
    w = np.asarray(w, dtype=float)
    if w.ndim == 1:
        v = r * w
        best, worst = (rr * w).max(axis=0), (rr * w).min(axis=0)
        dp = np.sqrt(((v - best) ** 2).sum(axis=1))
        dm = np.sqrt(((v - worst) ** 2).sum(axis=1))
    else:  # (draws, criteria): distances are sums over criteria of w^2 * (r - ideal)^2
        best, worst = rr.max(axis=0), rr.min(axis=0)
        dp = np.sqrt((w ** 2) @ ((r - best) ** 2).T)
        dm = np.sqrt((w ** 2) @ ((r - worst) ** 2).T)
    total = dp + dm
    return np.divide(dm, total, out=np.ones_like(total), where=total > 0)


def owa_order_weights(n: int, alpha: float = 1.0) -> np.ndarray:
    """Quantifier-guided order weights v_k = (k/n)^alpha - ((k-1)/n)^alpha (Yager 1996).

    alpha = 1 gives equal order weights (OWA equals WLC); alpha < 1 leans
    to each site's best criteria (optimistic, "or"), alpha > 1 to its worst
    (pessimistic, "and").
    """
    k = np.arange(1, n + 1)
    return (k / n) ** alpha - ((k - 1) / n) ** alpha


def owa(c: np.ndarray, w: np.ndarray, order_weights: np.ndarray | None = None) -> np.ndarray:
    """Ordered weighted averaging with criterion weights (Malczewski 2006, GIS-MCDA).

    For each site, criteria are sorted by value (highest first); the
    criterion weight u_k and order weight v_k of the k-th are combined as
    u_k v_k / sum(u v) and applied to the sorted values.
    """
    n = c.shape[1]
    v = np.full(n, 1.0 / n) if order_weights is None else np.asarray(order_weights, float)
    order = np.argsort(-c, axis=1, kind="stable")
    cs = np.take_along_axis(c, order, axis=1)
    w = np.asarray(w, dtype=float)
    if w.ndim == 1:
        u = w[order] * v
        return (u * cs).sum(axis=1) / u.sum(axis=1)
    u = w[:, order] * v  # (draws, sites, criteria)
    return (u * cs).sum(axis=2) / u.sum(axis=2)


def _owa(c: np.ndarray, w: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return owa(c, w, owa_order_weights(c.shape[1], alpha))


@dataclass(frozen=True)
class Aggregator:
    """One aggregation method: its function and the parameters it takes.

    Its name in words is in :mod:`siteplan.words` (section ``methods``).
    """

    func: Callable[..., np.ndarray]   # (c, w, **params) -> scores in [0, 1]
    params: tuple[str, ...] = ()      # of "alpha" (OWA), "reference" (TOPSIS ideal points)


#: method name -> :class:`Aggregator`; the profile validator and the CLI read it
AGGREGATORS: Mapping[str, Aggregator] = {
    "wlc": Aggregator(wlc, ()),
    "wgm": Aggregator(wgm, ()),
    "topsis": Aggregator(topsis, ("reference",)),
    "owa": Aggregator(_owa, ("alpha",)),
}
METHODS = AGGREGATORS  # the names, for ``in`` tests and listings


def aggregate(method: str, c: np.ndarray, w: np.ndarray, *, alpha: float = 1.0,
              reference: np.ndarray | None = None) -> np.ndarray:
    """Score in [0, 1] for each site by the named method."""
    if method not in AGGREGATORS:
        raise SiteplanInputError(Problem("aggregate", f"unknown method {method!r}",
                                         f"use one of: {', '.join(AGGREGATORS)}"))
    agg = AGGREGATORS[method]
    given = {"alpha": alpha, "reference": reference}
    return agg.func(c, w, **{k: given[k] for k in agg.params})


MAX_SHAPLEY_CRITERIA = 16


def shapley(method: str, c: np.ndarray, w: np.ndarray, *, alpha: float = 1.0
            ) -> tuple[np.ndarray, np.ndarray, float]:
    """Scores (0-100), Shapley contributions (points) and base score of every site.

    A coalition S of criteria is worth the site's score with the criteria
    outside S set to 0, weights and TOPSIS ideal points (from all the sites in
    ``c``) unchanged. The contributions are the exact Shapley values over all
    2^n coalitions, evaluated at once; they add up to ``score - base``, where
    ``base`` is the score of a site with every criterion at 0 (0 for WLC,
    where a contribution is ``100 w c``).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([[1.0, 0.5]]); w = np.array([0.25, 0.75])
    >>> s, phi, base = shapley("wlc", c, w)
    >>> phi.round(6).tolist(), base
    ([[25.0, 37.5]], 0.0)
    """
    n_sites, n = c.shape
    if n_sites == 0:
        return np.zeros(0), np.zeros((0, n)), 0.0
    score = aggregate(method, c, w, alpha=alpha) * 100.0
    if method == "wlc":  # linear: the Shapley value is the term itself
        return score, 100.0 * c * np.asarray(w, dtype=float), 0.0
    if n > MAX_SHAPLEY_CRITERIA:
        raise SiteplanInputError(Problem("contributions", f"{n} criteria: exact Shapley "
                                         f"values need 2^{n} evaluations",
                                         f"use at most {MAX_SHAPLEY_CRITERIA} criteria, or "
                                         "method wlc"))
    masks = np.arange(2 ** n)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)     # (2^n, n)
    value = np.empty((2 ** n, n_sites))
    for m in masks:  # 2^n whole-array evaluations
        value[m] = aggregate(method, np.where(bits[m], c, 0.0), w, alpha=alpha, reference=c)
    value *= 100.0
    size = bits.sum(axis=1)
    from math import factorial

    coef = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)])
    contrib = np.zeros((n_sites, n))
    for i in range(n):
        without = masks[~bits[:, i]]
        gain = value[without | (1 << i)] - value[without]          # (2^(n-1), sites)
        contrib[:, i] = coef[size[without]] @ gain
    return score, contrib, float(value[0, 0])
