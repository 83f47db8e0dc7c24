"""Aggregation: criterion suitabilities in [0, 1] and weights -> a score in [0, 1].

Every function takes an ``(n_sites, n_criteria)`` array ``c`` and weights
``w`` summing to 1, and returns ``n_sites`` values in [0, 1]. They also work
on a stack of weight vectors ``w`` of shape ``(n_draws, n_criteria)``
(returning ``(n_draws, n_sites)``), which the sensitivity analysis uses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["METHODS", "wlc", "wgm", "topsis", "owa", "owa_order_weights", "aggregate"]


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


def topsis(c: np.ndarray, w: np.ndarray) -> np.ndarray:
    """TOPSIS closeness to the ideal (Hwang & Yoon 1981).

    Columns are vector-normalised, weighted, and each site's distance to the
    best (column maximum) and worst (column minimum) site is combined as
    d- / (d+ + d-). Every criterion is a benefit criterion (higher c is
    better). A site equal to both ideals (all sites alike) gets 1.
    """
    norms = np.sqrt((c ** 2).sum(axis=0))
    r = np.divide(c, norms, out=np.zeros_like(c, dtype=float), where=norms > 0)
    w = np.asarray(w, dtype=float)
    if w.ndim == 1:
        v = r * w
        best, worst = v.max(axis=0), v.min(axis=0)
        dp = np.sqrt(((v - best) ** 2).sum(axis=1))
        dm = np.sqrt(((v - worst) ** 2).sum(axis=1))
    else:  # (draws, criteria): distances are sums over criteria of w^2 * (r - ideal)^2
        best, worst = r.max(axis=0), r.min(axis=0)
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


METHODS = {"wlc": wlc, "wgm": wgm, "topsis": topsis, "owa": owa}


def aggregate(method: str, c: np.ndarray, w: np.ndarray, *, alpha: float = 1.0) -> np.ndarray:
    """Score in [0, 1] for each site by the named method."""
    if method == "owa":
        return owa(c, w, owa_order_weights(c.shape[1], alpha))
    return METHODS[method](c, w)
