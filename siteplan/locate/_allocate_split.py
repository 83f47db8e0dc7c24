"""Private helper of :mod:`siteplan.locate.allocation`: the coverage objective solved use by use.

The people a use's sites reach are a sum over uses, and the uses share only
the rule "each parcel at most once". So: give every use its own best plan
(exactly); when no parcel is wanted twice, their union is optimal. When two
uses want the same parcel, branch: one child per claimant, in which the
parcel stays open to that use alone (and to every use that did not claim
it). A node whose sum of per-use bests is no better than the best plan found
so far (at first the sequential greedy plan) is dropped. This is exact; it
stops (and the caller falls back to the joint integer program) past a node or
time budget.

A use's own best with one or two free sites is found by enumeration (the
people two sites reach together are ``g_i + g_j - overlap_ij``, one matrix
product); with more, by a small integer program on that use alone. The joint
program's linear relaxation is weak when reaches overlap a lot (a 2 km
sentra kuliner reach covers most of the city), which is why it is slow there.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import cast

import numpy as np
from scipy import sparse

from ._allocate_milp import Instance, people_by_use, plan_value, solve_milp

__all__ = ["solve_split"]

_EMPTY = (np.zeros(0, dtype=int), sparse.csr_matrix((0, 0)), np.zeros(0))
_ENUMERATE_MAX = 2000          # candidates of one use up to which pairs are enumerated


class _OutOfTimeError(Exception):
    """A use's own program stopped at the time limit: the split cannot prove optimality."""


def _use_best(inst: Instance, u: int, closed: np.ndarray, time_limit: float):
    """The best pairs of use u alone, its parcels in ``closed`` (bool per parcel) not used.

    Fixed pairs of every use are kept (their parcels are taken). Returns
    (pairs, people) or None when the use cannot be met.
    """
    fixed_all = np.flatnonzero(inst.fixed)
    pm = inst.members[:, inst.pair_cand].T.tocsr()           # (pairs x parcels)
    taken = np.asarray(pm[fixed_all].sum(axis=0)).ravel() > 0
    on_closed = np.asarray(pm @ closed.astype(float)).ravel() > 0
    on_taken = np.asarray(pm @ taken.astype(float)).ravel() > 0
    mine = inst.pair_use == u
    fixed_u = np.flatnonzero(mine & inst.fixed)
    if (on_closed[fixed_u]).any():
        return None
    free = np.flatnonzero(mine & ~inst.fixed & ~on_closed & ~on_taken)
    if len(fixed_u):
        clash = np.asarray(inst.conflicts[fixed_u][:, free].sum(axis=0)).ravel() > 0
        free = free[~clash]
    k = int(inst.demand[u]) - len(fixed_u)
    if k < 0 or len(free) < k:
        return None
    idx, cov, w = cast(tuple, inst.cover)[u]  # a coverage instance: built with its cover
    row = np.full(inst.n, -1)
    row[idx] = np.arange(len(idx))
    left = w.astype(float).copy()
    if len(fixed_u):
        left[np.asarray(cov[row[fixed_u]].sum(axis=0)).ravel() > 0] = 0.0
    groups = [p for uu, _, p in inst.groups if uu == u and not np.isin(p, fixed_u).any()]
    in_group = np.array([np.isin(free, p) for p in groups]).reshape(len(groups), len(free))
    tb = 1e-9 * inst.score[free]
    if k == 0:
        chosen = fixed_u if not groups else None
    elif k == 1 or (k == 2 and len(free) <= _ENUMERATE_MAX):
        c = cov[row[free]]
        gain = np.asarray(c @ left).ravel() + tb
        if k == 1:
            ok = in_group.all(axis=0) if len(groups) else np.ones(len(free), dtype=bool)
            chosen = None if not ok.any() else np.r_[fixed_u, free[np.flatnonzero(ok)[
                np.argmax(gain[ok])]]]
        else:
            overlap = (c.multiply(left[None, :]) @ c.T).toarray()
            val = gain[:, None] + gain[None, :] - overlap
            ok = np.triu(np.ones((len(free), len(free)), dtype=bool), k=1)
            ok &= ~(inst.conflicts[free][:, free].toarray() > 0)
            share = pm[free] @ pm[free].T
            ok &= ~(share.toarray() > 0)
            for g in in_group:                                # a handful of kecamatan
                ok &= g[:, None] | g[None, :]
            if not ok.any():
                chosen = None
            else:
                i, j = np.unravel_index(np.argmax(np.where(ok, val, -np.inf)), val.shape)
                chosen = np.r_[fixed_u, free[[i, j]]]
    else:
        keep = np.zeros(inst.n, dtype=bool)
        keep[free] = True
        keep[fixed_all] = True
        sub, old = inst.subset(keep)
        dem = np.array([inst.demand[v] if v == u else int((sub.fixed & (sub.pair_use == v))
                        .sum()) for v in range(len(inst.uses))])
        # a subset of a coverage instance keeps its cover
        cover = tuple(c if v == u else _EMPTY for v, c in enumerate(cast(tuple, sub.cover)))
        sub = replace(sub, demand=dem, cover=cover,
                      groups=tuple(g for g in sub.groups if g[0] == u))
        x, code, _ = solve_milp(sub, "coverage", time_limit=time_limit)
        if code == 1:
            raise _OutOfTimeError
        if x is None or code != 0:
            return None
        chosen = old[x][inst.pair_use[old[x]] == u]
    if chosen is None:
        return None
    chosen = np.asarray(chosen, dtype=int)
    return chosen, float(people_by_use(inst, chosen)[u])


def solve_split(inst: Instance, start: np.ndarray | None, *, time_limit: float = 60.0,
                node_limit: int = 200) -> np.ndarray | None:
    """The optimal coverage plan by per-use bests and branching; None past the budget.

    ``start`` is a complete plan (the sequential greedy) to beat, or None.
    """
    t0 = time.perf_counter()
    n_parcels = inst.members.shape[0]
    pm = inst.members[:, inst.pair_cand].tocsc()             # (parcels x pairs)
    best = start
    best_val = plan_value(inst, start, "coverage") if start is not None else -np.inf
    uses = [int(u) for u in np.flatnonzero(inst.demand)]
    cache: dict = {}
    stack: list[frozenset] = [frozenset()]                   # (use, parcel) pairs closed
    nodes = 0
    while stack:
        nodes += 1
        if nodes > node_limit or time.perf_counter() - t0 > time_limit:
            return None
        closed = stack.pop()
        sols = []
        for u in uses:                                       # a handful of uses
            key = (u, frozenset(p for v, p in closed if v == u))
            if key not in cache:
                mask = np.zeros(n_parcels, dtype=bool)
                mask[list(key[1])] = True
                left = time_limit - (time.perf_counter() - t0)
                try:
                    cache[key] = _use_best(inst, u, mask, max(left, 0.5))
                except _OutOfTimeError:
                    return None
            sols.append(cache[key])
        if any(s is None for s in sols):
            continue
        bound = sum(v for _, v in sols)
        if bound <= best_val + 1e-9:
            continue
        chosen = np.unique(np.concatenate([np.flatnonzero(inst.fixed)] +
                                          [p for p, _ in sols]))
        count = np.asarray(pm[:, chosen].sum(axis=1)).ravel()
        if count.max(initial=0) <= 1:
            best, best_val = chosen, bound
            continue
        parcel = int(np.flatnonzero(count > 1)[0])
        claim = sorted({int(inst.pair_use[p]) for p in chosen
                        if pm[parcel, p] > 0 and not inst.fixed[p]})
        for u in claim:                                      # the uses that want it
            stack.append(closed | {(v, parcel) for v in claim if v != u})
    return best
