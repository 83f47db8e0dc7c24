"""Private helpers of :mod:`siteplan.locate.allocation`: the problem as arrays, its integer
program, the sequential greedy plan and the value of a plan.

Everything here works on candidate-use *pairs*: pair ``p`` puts candidate
``pair_cand[p]`` (a parcel, or an assembled site) to use ``pair_use[p]``. Only
eligible pairs exist. A candidate is made of member parcels (itself, unless it
is an assembled site); no parcel may be used twice, which is what "each parcel
gets at most one use" means once sites and parcels are mixed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import numpy as np
from scipy import sparse

__all__ = ["Instance", "solve_milp", "prune_for_score", "greedy_plan", "plan_value",
           "people_by_use", "max_spaced"]


@dataclass(frozen=True)
class Instance:
    """The allocation problem as arrays (see the module docstring)."""

    uses: tuple[str, ...]
    demand: np.ndarray                  # sites needed per use
    members: sparse.csr_matrix          # (parcels x candidates), 1 where a parcel is a member
    pair_use: np.ndarray                # (pairs,) index into uses
    pair_cand: np.ndarray               # (pairs,) index into candidates
    score: np.ndarray                   # (pairs,) the candidate's score for the use
    fixed: np.ndarray                   # (pairs,) bool, decided in advance
    conflicts: sparse.csr_matrix        # (pairs x pairs) same use, closer than its spacing
    groups: tuple[tuple[int, str, np.ndarray], ...]   # (use, kecamatan, pairs): >= 1 of them
    cover: tuple | None = None          # per use: (pair indices, (pairs_u x points) csr, weights)

    @property
    def n(self) -> int:
        return len(self.pair_use)

    def subset(self, keep: np.ndarray) -> tuple[Instance, np.ndarray]:
        """The instance with only the pairs in ``keep`` (bool), and their old indices."""
        old = np.flatnonzero(keep)
        new_of = np.full(self.n, -1)
        new_of[old] = np.arange(len(old))
        groups = tuple((u, k, new_of[p[keep[p]]]) for u, k, p in self.groups)
        cover: tuple | None = None
        if self.cover is not None:
            parts = []
            for idx, c, w in self.cover:
                sel = keep[idx]
                parts.append((new_of[idx[sel]], c[sel], w))
            cover = tuple(parts)
        inst = replace(self, pair_use=self.pair_use[old], pair_cand=self.pair_cand[old],
                       score=self.score[old], fixed=self.fixed[old],
                       conflicts=self.conflicts[old][:, old].tocsr(), groups=groups,
                       cover=cover)
        return inst, old


def _pair_members(inst: Instance) -> sparse.csr_matrix:
    """(parcels x pairs): 1 where the pair's candidate has the parcel as a member."""
    return inst.members[:, inst.pair_cand].tocsr()


def people_by_use(inst: Instance, chosen: np.ndarray) -> np.ndarray:
    """People covered by the chosen pairs, per use (coverage objective only)."""
    out = np.zeros(len(inst.uses))
    if inst.cover is None:
        return out
    mask = np.zeros(inst.n, dtype=bool)
    mask[np.asarray(chosen, dtype=int)] = True
    for u, (idx, c, w) in enumerate(inst.cover):
        rows = np.flatnonzero(mask[idx])
        if len(rows):
            hit = np.asarray(c[rows].sum(axis=0)).ravel() > 0
            out[u] = float(w[hit].sum())
    return out


def plan_value(inst: Instance, chosen: np.ndarray, objective: str) -> float:
    """The objective of a plan: the sum of scores, or the people newly within reach."""
    chosen = np.asarray(chosen, dtype=int)
    if objective == "score":
        return float(inst.score[chosen].sum())
    return float(people_by_use(inst, chosen).sum())


def solve_milp(inst: Instance, objective: str, *, time_limit: float = 60.0,
               feasibility_only: bool = False) -> tuple[np.ndarray | None, int, str]:
    """Solve the allocation as an integer program (SciPy's HiGHS).

    Binary x_p per pair; for the coverage objective also y_j in [0, 1] per
    (use, group of demand points). Maximise the sum of scores (or of people
    covered, with the score as a tie-break worth less than one person)
    subject to: at most one use per member parcel, exactly the demand per
    use, no two pairs of a use closer than its spacing, at least one pair in
    each required (use, kecamatan), fixed pairs at 1.

    Returns the chosen pair indices (None when no plan was found), SciPy's
    status code (0 optimal, 1 limit reached, 2 infeasible) and its message.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = inst.n
    n_uses = len(inst.uses)
    cover = inst.cover if (objective == "coverage" and not feasibility_only) else None
    m_y = sum(c.shape[1] for _, c, _ in cover) if cover else 0
    nv = n + m_y

    def pad(a: sparse.spmatrix) -> sparse.csr_matrix:
        a = sparse.csr_matrix(a)
        return sparse.hstack([a, sparse.csr_matrix((a.shape[0], m_y))]).tocsr() if m_y else a

    rows: list[LinearConstraint] = []
    pm = _pair_members(inst)
    shared = np.asarray(pm.sum(axis=1)).ravel() > 1
    if shared.any():
        rows.append(LinearConstraint(pad(pm[shared]), -np.inf, 1.0))
    d = sparse.csr_matrix((np.ones(n), (inst.pair_use, np.arange(n))), shape=(n_uses, n))
    rows.append(LinearConstraint(pad(d), inst.demand.astype(float), inst.demand.astype(float)))
    if inst.conflicts.nnz:
        pairs = sparse.triu(inst.conflicts, k=1).tocoo()
        r = np.arange(len(pairs.row))
        a = sparse.csr_matrix((np.ones(2 * len(r)), (np.concatenate([r, r]),
                              np.concatenate([pairs.row, pairs.col]))), shape=(len(r), n))
        if len(r):
            rows.append(LinearConstraint(pad(a), -np.inf, 1.0))
    if inst.groups:
        gi = np.concatenate([np.full(len(p), i) for i, (_, _, p) in enumerate(inst.groups)])
        gj = np.concatenate([p for _, _, p in inst.groups])
        g = sparse.csr_matrix((np.ones(len(gi)), (gi, gj)), shape=(len(inst.groups), n))
        rows.append(LinearConstraint(pad(g), 1.0, np.inf))
    c = np.zeros(nv)
    if feasibility_only:
        pass
    elif objective == "score":
        c[:n] = -inst.score
    else:
        c[:n] = -1e-9 * inst.score          # tie-break: the better-scored site, same people
        offset = n
        for idx, cov, w in cast(tuple, cover):  # the coverage objective: built with its cover
            k = cov.shape[1]
            if not k:
                continue
            c[offset:offset + k] = -w
            # y_j - sum_{p covers j} x_p <= 0
            a = sparse.csr_matrix((-cov.T.tocoo().data,
                                   (cov.T.tocoo().row, idx[cov.T.tocoo().col])), shape=(k, n))
            a = sparse.hstack([a, sparse.csr_matrix((k, offset - n)), sparse.identity(k),
                               sparse.csr_matrix((k, nv - offset - k))]).tocsr()
            rows.append(LinearConstraint(a, -np.inf, 0.0))
            offset += k
    lb = np.zeros(nv)
    lb[:n] = inst.fixed.astype(float)
    integrality = np.concatenate([np.ones(n), np.zeros(m_y)])
    res = milp(c, constraints=rows, integrality=integrality, bounds=Bounds(lb, np.ones(nv)),
               options={"time_limit": time_limit, "mip_rel_gap": 0.0})
    if res.x is None:
        return None, int(res.status), str(res.message)
    return np.flatnonzero(res.x[:n] > 0.5), int(res.status), str(res.message)


def prune_for_score(inst: Instance) -> tuple[Instance, np.ndarray]:
    """Drop pairs that no optimal plan of the score objective needs; (instance, old indices).

    For a use without spacing or kecamatan rules, some optimal plan uses only
    its K best pairs, K = (D - 1) b + 1 (+ its fixed pairs), where D is the
    total demand and b the most pairs of the use one candidate can block
    (1 for plain parcels; more when assembled sites share members): the
    other D - 1 chosen sites block at most (D - 1) b of those K, so a site of
    the use ranked below them can be swapped for a free one scoring at least
    as much. Uses with spacing or kecamatan rules keep every pair.
    """
    total = int(inst.demand.sum())
    ruled = set(inst.pair_use[inst.conflicts.nonzero()[0]].tolist()) | {
        u for u, _, _ in inst.groups}
    pm = _pair_members(inst)
    share = (pm.T @ pm).tocsc()                        # (pairs x pairs): share a member
    keep = np.ones(inst.n, dtype=bool)
    for u in range(len(inst.uses)):                    # a handful of uses
        idx = np.flatnonzero(inst.pair_use == u)
        if u in ruled or not len(idx):
            continue
        b = int(np.diff(share[:, idx].tocsr().indptr).max(initial=1))
        k = (total - 1) * max(b, 1) + 1 + int(inst.fixed[idx].sum())
        if len(idx) <= k:
            continue
        order = idx[np.argsort(-inst.score[idx], kind="stable")]
        keep[order[k:]] = False
    keep |= inst.fixed
    return inst.subset(keep)


def max_spaced(inst: Instance, use: int, *, time_limit: float = 30.0) -> int:
    """The most sites of one use that can be chosen together under its spacing (and fixed)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    keep = inst.pair_use == use
    sub, _ = inst.subset(keep)
    n = sub.n
    rows = []
    pm = _pair_members(sub)
    shared = np.asarray(pm.sum(axis=1)).ravel() > 1
    if shared.any():
        rows.append(LinearConstraint(pm[shared], -np.inf, 1.0))
    pairs = sparse.triu(sub.conflicts, k=1).tocoo()
    if len(pairs.row):
        r = np.arange(len(pairs.row))
        rows.append(LinearConstraint(sparse.csr_matrix(
            (np.ones(2 * len(r)), (np.concatenate([r, r]), np.concatenate([pairs.row,
                                                                          pairs.col]))),
            shape=(len(r), n)), -np.inf, 1.0))
    res = milp(-np.ones(n), constraints=rows, integrality=np.ones(n),
               bounds=Bounds(sub.fixed.astype(float), np.ones(n)),
               options={"time_limit": time_limit})
    return int(round(-res.fun)) if res.x is not None else 0


def greedy_plan(inst: Instance, objective: str) -> tuple[np.ndarray, dict[str, int]]:
    """The sequential plan: fixed pairs first, then each use in turn takes its best sites.

    A use first takes the best remaining site in each kecamatan it must have
    (kecamatan with the best site first), then the best remaining sites until
    its demand is met, never closer to its own sites than its spacing and
    never on a parcel already taken. "Best" is the highest score, or, for the
    coverage objective, the most people not yet within reach of the use's
    sites (ties to the higher score). Returns the chosen pairs and, per use,
    how many sites it could not get (0 when the demand is met).
    """
    n_parcels = inst.members.shape[0]
    members_t = inst.members.T.tocsr()               # (candidates x parcels)
    used = np.zeros(n_parcels, dtype=bool)
    fixed = np.flatnonzero(inst.fixed)
    for p in fixed:                                  # a handful of fixed sites
        used[members_t[inst.pair_cand[p]].indices] = True
    chosen: list[np.integer] = list(fixed)  # numpy's integers, as indices of the pairs
    shortfall: dict[str, int] = {}
    for u, name in enumerate(inst.uses):             # a handful of uses
        mine = _greedy_use(inst, u, objective, members_t=members_t, used=used, fixed=fixed)
        short = int(inst.demand[u] - len(mine))
        if short:
            shortfall[name] = short
        new = [p for p in mine if p not in chosen]
        chosen.extend(new)
        for p in new:
            used[members_t[inst.pair_cand[p]].indices] = True
    return np.asarray(sorted(chosen), dtype=int), shortfall


def _greedy_use(inst: Instance, u: int, objective: str, *, members_t: sparse.csr_matrix,
                used: np.ndarray, fixed: np.ndarray) -> list:
    """Use ``u``'s turn of the sequential plan: its fixed pairs, then a site in each
    kecamatan it must have, then its best remaining sites up to its demand (its pairs)."""
    idx = np.flatnonzero(inst.pair_use == u)
    mine = [p for p in fixed if inst.pair_use[p] == u]
    blocked = np.asarray(members_t[inst.pair_cand[idx]] @ used).ravel() > 0
    allowed = ~blocked & ~inst.fixed[idx]
    for p in mine:
        allowed &= ~(inst.conflicts[p, idx].toarray().ravel() > 0)
    uncovered, cov_u = None, None
    if objective == "coverage" and inst.cover is not None:
        uncovered, cov_u = _uncovered(inst, inst.cover[u], idx, mine)

    def value(cand: np.ndarray, idx=idx, uncovered=uncovered, cov_u=cov_u):
        if uncovered is None:
            return inst.score[idx[cand]]
        return np.asarray(cov_u[cand] @ uncovered).ravel() + 1e-9 * inst.score[idx[cand]]

    def take(local: int, idx=idx, allowed=allowed, uncovered=uncovered,
             cov_u=cov_u, mine=mine) -> None:
        p = idx[local]
        mine.append(p)
        allowed[local] = False
        allowed &= ~(inst.conflicts[p, idx].toarray().ravel() > 0)
        # a parcel is used once: drop this use's other candidates sharing a member
        parcels = members_t[inst.pair_cand[p]].indices
        allowed &= ~(np.asarray(inst.members[parcels][:, inst.pair_cand[idx]].sum(axis=0))
                     .ravel() > 0)
        if uncovered is not None:
            uncovered[cov_u[local].indices] = 0.0

    local_of = np.full(inst.n, -1)
    local_of[idx] = np.arange(len(idx))
    for group in _kecamatan_todo(inst, u, mine):     # a handful of kecamatan
        loc = local_of[group]
        loc = loc[allowed[loc]]
        if len(loc) and len(mine) < inst.demand[u]:
            take(int(loc[np.argmax(value(loc))]))
    while len(mine) < inst.demand[u]:                # at most the demand of the use
        loc = np.flatnonzero(allowed)
        if not len(loc):
            break
        take(int(loc[np.argmax(value(loc))]))
    return mine


def _uncovered(inst: Instance, cover_u: tuple, idx: np.ndarray, mine: list
                ) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Coverage objective: the people a use's sites ``mine`` leave out of reach (its
    ``cover_u``), and the reach of each of its candidate pairs ``idx``."""
    cidx, cov, w = cover_u
    row_of = np.full(inst.n, -1)
    row_of[cidx] = np.arange(len(cidx))
    cov_u = cov[row_of[idx]] if len(idx) else cov[:0]
    uncovered = w.astype(float).copy()
    for p in mine:
        uncovered[cov_u[np.searchsorted(idx, p)].indices] = 0.0
    return uncovered, cov_u


def _kecamatan_todo(inst: Instance, u: int, mine: list) -> list[np.ndarray]:
    """The pairs of each kecamatan use ``u`` must have a site in and has none among
    ``mine`` yet, the kecamatan with the best-scored pair first."""
    have = {k for uu, k, p in inst.groups if uu == u and np.isin(p, mine).any()}
    todo = [(k, p) for uu, k, p in inst.groups if uu == u and k not in have]
    best_first = sorted(todo, key=lambda kp: -float(np.max(
        inst.score[kp[1]], initial=-np.inf)))
    return [group for _k, group in best_first]
