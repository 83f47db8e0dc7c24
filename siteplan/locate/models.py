"""The location models, one table: set covering, maximal covering, p-median, p-center, ...

Each entry of :data:`MODELS` turns checked inputs (a demand-by-site cost
matrix, weights, k, radius, ...) into an integer program built from sparse
blocks, solves it with HiGHS and returns the chosen columns.
:func:`siteplan.locate.solve` reads the table, so the names, what each model
needs and the error listing the known names all come from it.

Formulations (``y_j`` site j open, ``a_ij = [cost_ij <= radius]``):

- ``lscp``: min sum y_j s.t. sum_j a_ij y_j >= 1 (Toregas et al. 1971).
- ``lscpb``: with the fewest sites of ``lscp``, max sum w_i u_i s.t.
  sum_j a_ij y_j >= 1 + u_i where row i can be covered twice (Hogan & ReVelle
  1986); u_i = 1 means a backup site.
- ``mclp``: max sum w_i z_i s.t. z_i <= sum_j a_ij y_j, sum y_j = k
  (Church & ReVelle 1974), the model of :func:`siteplan.select_sites`.
- ``pmedian``: min sum w_i c_ij x_ij s.t. sum_j x_ij = 1, x_ij <= y_j,
  sum y_j = k (ReVelle & Swain 1970), x first only on each row's nearest
  sites with a variable for "beyond the list" at the next site's cost (a lower
  bound; its sites are optimal when they cost the same in the full program,
  else the short lists grow and it is solved again).
- ``cpmedian``: p-median with sum_i w_i x_ij <= C_j y_j and every demand row
  served by one site (x binary), as spopt's capacitated ``PMedian``; with
  ``single_source=False`` a row's people may be split among sites (x in
  [0, 1]), a much easier program.
- ``pcenter``: min max_i min_{j open} c_ij: the smallest cost level r at
  which k sites cover every row, searched over the matrix's distinct values
  (the level just below each level reached, else bisection). Each step proves
  its answer: the greedy cover or rows with no common site where they settle
  it, else a set-covering feasibility program, on the matrix that the
  dominance rules leave when there are no spacing or group rules (exact).
- ``pdispersion``: on a site-by-site matrix, max min_{a,b open} c_ab: the
  largest distinct cost r at which k sites can be chosen with no pair closer
  than r (y_a + y_b <= 1 for closer pairs), by bisection from a greedy
  farthest-point start; each step proves its answer (no big-M rows).

Every model honours ``fixed`` and ``excluded`` sites; those with ``k`` also
``min_spacing`` (pairs closer than it are never both open, two fixed sites excepted) and
``groups`` (at least one open site per group, e.g. per kecamatan). With
``prefer``, a second pass keeps the optimum and maximises the preference of
the chosen sites among the equal optima.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
from scipy import sparse

from .._errors import Problem, SiteplanInputError, SolverError
from ._inputs import Inputs
from ._milp import Program, Relaxed, Solved, if_integral, refine, relax, run
from .select import greedy_cover

__all__ = ["Model", "MODELS", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """What a model hands back: chosen columns, the solver's bound, gap and status."""

    chosen: np.ndarray
    bound: float
    gap: float
    status: str
    assignment: np.ndarray | None = None  # cpmedian: the solved site per demand row
    objective: float | None = None        # cpmedian split among sites: the solver's value


@dataclass(frozen=True)
class Model:
    """One location model: its solver, what it needs, its sense and its objective."""

    solve: Callable[[Inputs], Outcome]
    needs: frozenset[str]
    sense: str          # "min" or "max"
    title: str
    objective: str      # what Plan.objective measures
    square: bool = False  # cost is a site-by-site matrix


def _cover(inp: Inputs) -> sparse.csr_matrix:
    return sparse.csr_matrix(inp.cost <= inp.radius, dtype=float)


def _site_program(inp: Inputs, extra: int) -> Program:
    """m site variables (binary, fixed/excluded in the bounds) and ``extra`` more."""
    m = inp.m
    prog = Program.empty(m + extra)
    prog.integrality[:m] = 1
    prog.lb[inp.fixed] = 1.0
    prog.ub[inp.excluded] = 0.0
    if inp.min_spacing is not None and inp.min_spacing > 0:
        sc = inp.site_cost if inp.site_cost is not None else inp.cost
        close = np.minimum(sc, sc.T) < inp.min_spacing
        a, b = np.nonzero(np.triu(close, 1))
        ok = inp.allowed[a] & inp.allowed[b]
        a, b = a[ok], b[ok]
        # two fixed sites are given as they are; spacing binds every pair with a free site
        free = ~(np.isin(a, inp.fixed) & np.isin(b, inp.fixed))
        a, b = a[free], b[free]
        r = np.arange(len(a))
        prog.add(sparse.csr_matrix((np.ones(2 * len(a)), (np.r_[r, r], np.r_[a, b])),
                                   shape=(len(a), prog.n)), -np.inf, 1.0)
    if inp.groups is not None:
        labels = inp.groups
        n_g = int(labels.max()) + 1
        if inp.k is not None and n_g > inp.k:
            raise SiteplanInputError(Problem(
                f"locate.solve({inp.model!r})", f"groups ask for one site in each of {n_g} "
                f"groups but k={inp.k}", f"use k >= {n_g}"))
        prog.add(sparse.csr_matrix((np.ones(m), (labels, np.arange(m))), shape=(n_g, prog.n)),
                 1.0, np.inf)
    if inp.k is not None:
        row = np.zeros((1, prog.n))
        row[0, :m] = 1.0
        prog.add(row, inp.k, inp.k)
    return prog


def _infeasible(inp: Inputs) -> Problem:
    return Problem(f"locate.solve({inp.model!r})", "no set of sites meets every rule (k, "
                   "fixed, excluded, min_spacing, groups, capacity)",
                   "lower min_spacing, fix or exclude fewer sites, drop groups, or change k")


def _finish(prog: Program, inp: Inputs, first: Solved, relaxed: Relaxed | None = None
            ) -> Solved:
    if inp.prefer is None:
        return first
    pref = np.zeros(prog.n)
    pref[:inp.m] = inp.prefer - inp.prefer.min() + 1.0  # every chosen site counts
    return refine(prog, first, pref, model=inp.model, time_limit=inp.time_limit,
                  relaxed=relaxed)


def _chosen(x: np.ndarray, m: int) -> np.ndarray:
    return np.flatnonzero(x[:m] > 0.5)


def _uncoverable(inp: Inputs, a: sparse.csr_matrix, need: int = 1) -> None:
    reach = np.asarray(a[:, inp.allowed].sum(axis=1)).ravel()
    bad = np.flatnonzero((reach < need) & (inp.weights > 0))
    if len(bad):
        near = np.min(np.where(inp.allowed[None, :], inp.cost, np.inf)[bad], axis=1)
        raise SiteplanInputError(Problem(
            f"locate.solve({inp.model!r})", f"{len(bad)} demand rows have no allowed site "
            f"within radius={inp.radius:g} (rows {bad[:5].tolist()}; the farthest of them is "
            f"{np.max(near):g} from its nearest site)",
            f"raise radius to at least {np.max(near):g}, or drop those rows"))


def _lscp_program(inp: Inputs, a: sparse.csr_matrix) -> Program:
    prog = _site_program(inp, 0)
    prog.c[:] = 1.0
    rows = np.flatnonzero(inp.weights > 0)
    prog.add(a[rows], 1.0, np.inf)
    return prog


def _lscp(inp: Inputs) -> Outcome:
    a = _cover(inp)
    _uncoverable(inp, a)
    prog = _lscp_program(inp, a)
    first = run(prog, model=inp.model, time_limit=inp.time_limit, mip_gap=inp.mip_gap,
                infeasible=_infeasible(inp))
    out = _finish(prog, inp, first)
    return Outcome(_chosen(out.x, inp.m), out.bound, out.gap, out.status)


def _lscpb(inp: Inputs) -> Outcome:
    a = _cover(inp)
    _uncoverable(inp, a)
    base = _lscp_program(inp, a)
    p = run(base, model=inp.model, time_limit=inp.time_limit, mip_gap=0.0,
            infeasible=_infeasible(inp))
    n_sites = round(p.value)
    n, m = inp.n, inp.m
    prog = _site_program(inp, n)
    prog.integrality[m:] = 1
    twice = (np.asarray(a[:, inp.allowed].sum(axis=1)).ravel() >= 2) & (inp.weights > 0)
    prog.ub[m:][~twice] = 0.0
    prog.c[m:] = -inp.weights
    rows = np.flatnonzero(inp.weights > 0)
    block = sparse.hstack([a, -sparse.identity(n, format="csr")], format="csr")[rows]
    prog.add(block, 1.0, np.inf)
    count = np.zeros((1, prog.n))
    count[0, :m] = 1.0
    prog.add(count, n_sites, n_sites)
    first = run(prog, model=inp.model, time_limit=inp.time_limit, mip_gap=inp.mip_gap,
                infeasible=_infeasible(inp))
    out = _finish(prog, inp, first)
    return Outcome(_chosen(out.x, m), -out.bound, out.gap, out.status)


def _mclp(inp: Inputs) -> Outcome:
    a = _cover(inp)
    useful = np.flatnonzero((np.asarray(a.sum(axis=1)).ravel() > 0) & (inp.weights > 0))
    m = inp.m
    prog = _site_program(inp, len(useful))
    prog.c[m:] = -inp.weights[useful]
    block = sparse.hstack([-a[useful], sparse.identity(len(useful), format="csr")],
                          format="csr")
    prog.add(block, -np.inf, 0.0)
    first = run(prog, model=inp.model, time_limit=inp.time_limit, mip_gap=inp.mip_gap,
                infeasible=_infeasible(inp))
    out = _finish(prog, inp, first)
    return Outcome(_chosen(out.x, m), -out.bound, out.gap, out.status)


def _median_pairs(inp: Inputs, capacitated: bool) -> tuple[np.ndarray, np.ndarray,
                                                           np.ndarray]:
    """The demand rows and their usable (row, site) pairs; a row with none is an error."""
    rows = np.flatnonzero(inp.weights > 0) if not capacitated else np.arange(inp.n)
    c = inp.cost[rows]
    usable = np.isfinite(c) & inp.allowed[None, :]
    if not capacitated and len(inp.fixed):
        # a row never goes farther than its nearest fixed site
        usable &= c <= np.min(c[:, inp.fixed], axis=1)[:, None]
    none = ~usable.any(axis=1)
    if none.any():
        bad = rows[none]
        raise SiteplanInputError(Problem(
            f"locate.solve({inp.model!r})", f"{len(bad)} demand rows cannot reach any allowed "
            f"site (rows {bad[:5].tolist()}: every cost is inf or the site is excluded)",
            "drop those rows or give them a finite cost"))
    ri, sj = np.nonzero(usable)
    return rows, ri, sj


def _median_program(inp: Inputs, capacitated: bool) -> tuple[Program, np.ndarray,
                                                                 np.ndarray, np.ndarray]:
    """y (m) then one x per usable (row, site) pair; returns the program and the pairs."""
    m = inp.m
    rows, ri, sj = _median_pairs(inp, capacitated)
    c = inp.cost[rows]
    nx = len(ri)
    prog = _site_program(inp, nx)
    prog.c[m:] = inp.weights[rows][ri] * c[ri, sj]
    if capacitated and inp.single_source:
        prog.integrality[m:] = 1
    xi = m + np.arange(nx)
    prog.add(sparse.csr_matrix((np.ones(nx), (ri, xi)), shape=(len(rows), prog.n)), 1.0, 1.0)
    r = np.arange(nx)
    prog.add(sparse.csr_matrix((np.r_[np.ones(nx), -np.ones(nx)], (np.r_[r, r], np.r_[xi, sj])),
                               shape=(nx, prog.n)), -np.inf, 0.0)
    return prog, rows, ri, sj


#: sites each demand row first lists in the p-median (nearest first; grown when needed):
#: at least this many, and _PER_SITE times the sites per chosen site
_NEAREST = 16
_PER_SITE = 2


def _listed_median(inp: Inputs, listed: np.ndarray
                   ) -> tuple[Program, np.ndarray, np.ndarray, np.ndarray]:
    """The p-median with row i's x only on its ``listed[i]`` nearest usable sites, and a
    variable f_i costing its next nearest site's cost for "any site beyond the list".

    Any choice of sites costs at least as much in the full p-median as here (a row
    served beyond its list pays at least f_i's cost there), so this program's optimum
    is a lower bound; a choice that costs the same in the full p-median is optimal.
    Returns the program, the demand rows, per row whether it has an f variable, and
    f's cost.
    """
    m = inp.m
    rows, ri, sj = _median_pairs(inp, capacitated=False)
    c = inp.cost[rows]
    usable = np.zeros(c.shape, dtype=bool)
    usable[ri, sj] = True
    key = np.where(usable, c, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    n_use = usable.sum(axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(c.shape[1])[None, :], axis=1)
    keep = usable & (rank < listed[:, None])
    beyond = n_use > listed
    ranked = np.take_along_axis(key, order, axis=1)       # each row's costs, nearest first
    far = np.take_along_axis(ranked, np.minimum(listed, c.shape[1] - 1)[:, None],
                             axis=1)[:, 0]
    ki, kj = np.nonzero(keep)
    fi = np.flatnonzero(beyond)
    nx, nf = len(ki), len(fi)
    prog = _site_program(inp, nx + nf)
    w = inp.weights[rows]
    prog.c[m:m + nx] = w[ki] * c[ki, kj]
    prog.c[m + nx:] = w[fi] * far[fi]
    xi = m + np.arange(nx)
    fv = m + nx + np.arange(nf)
    prog.add(sparse.csr_matrix((np.ones(nx + nf), (np.r_[ki, fi], np.r_[xi, fv])),
                               shape=(len(rows), prog.n)), 1.0, 1.0)
    r = np.arange(nx)
    prog.add(sparse.csr_matrix((np.r_[np.ones(nx), -np.ones(nx)], (np.r_[r, r], np.r_[xi, kj])),
                               shape=(nx, prog.n)), -np.inf, 0.0)
    return prog, rows, beyond, far


def _true_median(inp: Inputs, rows: np.ndarray, chosen: np.ndarray) -> tuple[float,
                                                                            np.ndarray]:
    """The p-median cost of ``chosen`` (each row at its nearest chosen site) and each row's
    cost."""
    near = np.min(inp.cost[np.ix_(rows, chosen)], axis=1) if len(chosen) else \
        np.full(len(rows), np.inf)
    return float(np.sum(inp.weights[rows] * near)), near


def _pmedian(inp: Inputs) -> Outcome:
    """Solved on each row's nearest sites first; the lists grow until the answer is proved.

    Each round solves :func:`_listed_median` (a lower bound of the p-median); when its
    chosen sites cost the same in the full p-median they are optimal, else every row
    served beyond its list (or paying for "beyond") gets a list twice as long. The
    last round, with every usable site listed, is the full p-median.
    """
    rows = np.flatnonzero(inp.weights > 0)
    per_site = _PER_SITE * inp.m // max(inp.k or 1, 1)
    listed = np.full(len(rows), max(_NEAREST, per_site))
    while True:  # a few rounds: each doubles some lists, the full program ends it
        prog, rows, beyond, far = _listed_median(inp, listed)
        # with a preference the tie-breaking pass needs the linear relaxation anyway, so
        # it is solved first: the p-median's is often whole, and then it is the optimum
        lp = relax(prog, inp.time_limit) if inp.prefer is not None else None
        first = if_integral(prog, lp) or run(prog, model=inp.model,
                                             time_limit=inp.time_limit, mip_gap=inp.mip_gap,
                                             infeasible=_infeasible(inp))
        chosen = _chosen(first.x, inp.m)
        value, near = _true_median(inp, rows, chosen)
        tol = 1e-9 * max(1.0, abs(first.value)) + 1e-7
        if value <= first.value + tol or not beyond.any():
            out = _finish(prog, inp, first, lp)
            if out is not first:
                again, _ = _true_median(inp, rows, _chosen(out.x, inp.m))
                if again > first.value + tol and beyond.any():  # the tie-break left the lists
                    listed[beyond] = np.iinfo(np.int64).max // 2
                    continue
            return Outcome(_chosen(out.x, inp.m), out.bound, out.gap, out.status)
        # the rows whose nearest chosen site costs more than "beyond" did: lists too short
        grow = beyond & (near > far)
        grow = grow if grow.any() else beyond
        closer = np.sum(np.where(inp.allowed[None, :], inp.cost[rows[grow]], np.inf)
                        < near[grow, None], axis=1)
        listed[grow] = np.maximum(2 * listed[grow], 2 * (closer + 1))


def _cpmedian(inp: Inputs) -> Outcome:
    # the capacitated p-median needs capacity and k: check_inputs refuses it without them
    cap = cast(np.ndarray, inp.capacity)
    k = cast(int, inp.k)
    total = float(inp.weights.sum())
    free = np.sort(cap[inp.allowed & ~np.isin(np.arange(inp.m), inp.fixed)])[::-1]
    best = float(cap[inp.fixed].sum() + free[:max(k - len(inp.fixed), 0)].sum())
    if best < total:
        raise SiteplanInputError(Problem(
            f"locate.solve({inp.model!r})", f"the {inp.k} sites of largest capacity hold "
            f"{best:g}, less than the total demand {total:g}",
            "raise capacity, raise k, or exclude fewer sites"))
    prog, rows, ri, sj = _median_program(inp, capacitated=True)
    m = inp.m
    xi = m + np.arange(len(ri))
    capa = sparse.csr_matrix((np.r_[inp.weights[rows][ri], -cap],
                              (np.r_[sj, np.arange(m)], np.r_[xi, np.arange(m)])),
                             shape=(m, prog.n))
    prog.add(capa, -np.inf, 0.0)
    first = run(prog, model=inp.model, time_limit=inp.time_limit, mip_gap=inp.mip_gap,
                infeasible=_infeasible(inp))
    out = _finish(prog, inp, first)
    assign = np.full(inp.n, -1, dtype=np.int64)
    share = out.x[m:]
    order = np.lexsort((-share, ri))  # each row's largest share first
    lead = order[np.r_[True, ri[order][1:] != ri[order][:-1]]]
    assign[rows[ri[lead]]] = sj[lead]
    value = None if inp.single_source else float(np.sum(prog.c[m:] * share))
    return Outcome(_chosen(out.x, m), out.bound, out.gap, out.status, assign, value)


def _greedy_center(c: np.ndarray, inp: Inputs) -> float | None:
    """The worst cost of k sites added one at a time, each cutting the worst cost most."""
    if inp.k is None or inp.min_spacing or inp.groups is not None:
        return None
    cur = np.min(c[:, inp.fixed], axis=1) if len(inp.fixed) else np.full(len(c), np.inf)
    free = inp.allowed.copy()
    free[inp.fixed] = False
    for _ in range(inp.k - len(inp.fixed)):  # k steps, each over every site at once
        worst = np.max(np.minimum(cur[:, None], c), axis=0)
        worst[~free] = np.inf
        j = int(np.argmin(worst))
        if not np.isfinite(worst[j]):
            break
        free[j] = False
        cur = np.minimum(cur, c[:, j])
    return float(cur.max()) if np.isfinite(cur).all() else None


#: the most rows, or sites, that :func:`_dominance` reduces; its products are square in
#: each (1,500 random rows and sites, each reaching about a fifth: 0.2 s); the full
#: program decides larger ones
_DOMINANCE_CELLS = 1500


def _dominance(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns of a covering matrix left after the two dominance rules.

    A row whose reaching sites include all those of another row is met whenever that
    row is; a site that reaches a subset of another site's rows can give way to it. Both
    rules keep the answer of "do k sites reach every row?" and are applied in turn until
    neither removes anything (equal rows or sites keep the first). Set counts are exact
    in float32 products below 2^24 rows or sites.
    """
    rows = np.arange(a.shape[0])
    cols = np.arange(a.shape[1])
    while True:
        removed = False
        for axis in (0, 1):            # rows, then sites
            b = a[np.ix_(rows, cols)].astype(np.float32)
            b = b if axis == 0 else b.T
            size = b.sum(axis=1)
            within = (b @ b.T) >= size[:, None] - 0.5   # within[p, q]: p's set inside q's
            np.fill_diagonal(within, False)
            same = within & within.T
            idx = np.arange(len(size))
            earlier_same = same & (idx[:, None] < idx[None, :])
            if axis == 0:   # a row is dropped when another row's set lies inside it
                drop = (within & ~same).any(axis=0) | earlier_same.any(axis=0)
                rows = rows[~drop]
            else:           # a site is dropped when its set lies inside another's
                drop = (within & ~same).any(axis=1) | earlier_same.any(axis=0)
                cols = cols[~drop]
            removed |= bool(drop.any())
        if not removed:
            return rows, cols


def _cover_decided(c: np.ndarray, inp: Inputs
                   ) -> Callable[[float], np.ndarray | Literal[False] | None] | None:
    """A quick answer to "can k sites reach every row within r?", None where it cannot tell.

    Yes (the sites, fixed ones included) when the greedy cover (``select.greedy_cover``:
    each pick the site reaching most rows still unreached) reaches every row with the k
    sites; no when more than k rows (after those the fixed sites reach) have no reaching site in
    common, as each needs a site of its own. Otherwise, when the rows and sites left
    are few enough, the covering program decides on the matrix that the dominance
    rules leave (:func:`_dominance`: tens of rows and sites where hundreds came in).
    Only for k sites with no spacing or groups rule, where any k allowed sites are a
    valid choice.
    """
    if inp.k is None or inp.min_spacing or inp.groups is not None:
        return None
    free = inp.allowed.copy()
    free[inp.fixed] = False
    k_free = inp.k - len(np.unique(inp.fixed))
    if k_free < 0 or int(free.sum()) < k_free:
        return None
    fixed_cost = (np.min(c[:, inp.fixed], axis=1) if len(inp.fixed)
                  else np.full(len(c), np.inf))
    free_at = np.flatnonzero(free)
    free_cost = c[:, free_at]

    def decide(r: float) -> np.ndarray | Literal[False] | None:
        need = fixed_cost > r
        near = free_cost[need] <= r                 # rows left x free sites
        reach = sparse.csr_matrix(near)
        by_site = reach.T.tocsr()
        picked = greedy_cover(by_site, np.ones(reach.shape[0]), k_free)
        reached = np.zeros(reach.shape[0], dtype=bool)
        reached[by_site[picked].indices] = True
        if reached.all():
            return np.union1d(inp.fixed, free_at[picked]).astype(np.int64)
        # rows with no reaching site in common, fewest reaching sites first
        degree = np.diff(reach.indptr).astype(float)
        blocked = np.zeros(reach.shape[0], dtype=bool)
        taken = np.zeros(reach.shape[1], dtype=bool)
        apart = 0
        while apart <= k_free:
            i = int(np.argmin(np.where(blocked, np.inf, degree)))
            if blocked[i]:
                break
            apart += 1
            taken[reach.indices[reach.indptr[i]:reach.indptr[i + 1]]] = True
            blocked |= (reach @ taken.astype(np.int64)) > 0
            blocked[i] = True
        if apart > k_free:
            return False
        if max(near.shape) > _DOMINANCE_CELLS:
            return None
        keep_rows, keep_cols = _dominance(near)
        prog = Program.empty(len(keep_cols))
        prog.integrality[:] = 1
        prog.add(sparse.csr_matrix(near[np.ix_(keep_rows, keep_cols)], dtype=float),
                 1.0, np.inf)
        prog.add(np.ones((1, len(keep_cols))), 0.0, float(k_free))
        try:
            got = run(prog, model=inp.model, time_limit=inp.time_limit, mip_gap=0.0,
                      infeasible=_infeasible(inp))
        except SiteplanInputError:
            return False
        return np.union1d(inp.fixed, free_at[keep_cols[got.x > 0.5]]).astype(np.int64)
    return decide


def _lowest_reached(n: int, top: int, reached: Callable[[int], int | None]) -> int | None:
    """The first of ``n`` sorted levels that k sites can reach (None when not even the last).

    ``reached(i)`` is the level the sites found within level i reach (at most i), or None
    when no sites can. ``top`` is a heuristic's level, tried first. Sites found at a
    level often reach lower than asked, so after each level reached the one just below
    is tried (one proof when those sites are optimal); else, or after three such steps
    in a row, the search halves the levels left.
    """
    lo, hi = 0, n - 1
    first = reached(min(top, hi))
    if first is None and top < hi:
        first = reached(hi)
    if first is None:
        return None
    hi, streak = first, 1
    while lo < hi:
        probe = hi - 1 if 0 < streak < 4 else (lo + hi) // 2
        at = reached(probe)
        if at is None:
            lo, streak = probe + 1, 0
        else:
            hi, streak = at, streak + 1
    return hi


def _pcenter(inp: Inputs) -> Outcome:
    m = inp.m
    rows = np.flatnonzero(inp.weights > 0)
    c = np.where(inp.allowed[None, :], inp.cost[rows], np.inf)
    nearest = c.min(axis=1)
    if not np.isfinite(nearest).all():
        bad = rows[~np.isfinite(nearest)]
        raise SiteplanInputError(Problem(
            f"locate.solve({inp.model!r})", f"{len(bad)} demand rows cannot reach any allowed "
            f"site (rows {bad[:5].tolist()})", "drop those rows or give them a finite cost"))
    levels = np.unique(c[np.isfinite(c)])
    levels = levels[levels >= nearest.max()]

    def program(r: float, objective: np.ndarray | None = None) -> Solved | None:
        prog = _site_program(inp, 0)
        if objective is not None:
            prog.c[:] = objective
        prog.add(sparse.csr_matrix(c <= r, dtype=float), 1.0, np.inf)
        try:
            return run(prog, model=inp.model, time_limit=inp.time_limit, mip_gap=0.0,
                       infeasible=_infeasible(inp))
        except SiteplanInputError:
            return None

    quick = _cover_decided(c, inp)
    solved: dict[int, Solved] = {}

    def reached(i: int) -> int | None:
        """The level that sites found within levels[i] reach (at most i); None if none can."""
        known = quick(float(levels[i])) if quick is not None else None
        if known is False:
            return None
        got = None
        if known is None:
            got = program(float(levels[i]))
            if got is None:
                return None
            known = _chosen(got.x, m)
        at = int(np.searchsorted(levels, np.max(np.min(c[:, known], axis=1)), side="left"))
        if at > i:   # never by construction; the search would not end
            raise SolverError(f"locate {inp.model!r}", f"sites found within {levels[i]:g} "
                              f"reach only within {levels[at]:g}", "report this with the inputs")
        if got is not None:
            solved[at] = got
        return at

    guess = _greedy_center(c, inp)
    top = len(levels) - 1 if guess is None else int(np.searchsorted(levels, guess, "left"))
    hi = _lowest_reached(len(levels), top, reached)
    if hi is None:
        raise SiteplanInputError(_infeasible(inp))
    best = None
    if inp.prefer is not None:
        best = program(float(levels[hi]), -(inp.prefer - inp.prefer.min() + 1.0))
    best = best or solved.get(hi) or program(float(levels[hi]))
    if best is None:
        raise SiteplanInputError(_infeasible(inp))
    return Outcome(_chosen(best.x, m), float(levels[hi]), 0.0, best.status)


def _greedy_dispersion(d: np.ndarray, inp: Inputs) -> float | None:
    """The least pair cost of k sites added one at a time, each the farthest from those chosen."""
    if inp.min_spacing or inp.groups is not None:
        return None
    free = inp.allowed.copy()
    chosen = list(inp.fixed)
    if not chosen:
        a, b = np.unravel_index(np.argmax(np.where(np.outer(free, free), np.where(
            np.isfinite(d), d, -1.0), -1.0)), d.shape)
        chosen = [int(a), int(b)]
    free[chosen] = False
    near = np.min(d[:, chosen], axis=1)
    # a model with k: check_inputs has it
    while len(chosen) < cast(int, inp.k):  # k steps, each over every site at once
        j = int(np.argmax(np.where(free, near, -np.inf)))
        if not free[j]:
            return None
        chosen.append(j)
        free[j] = False
        near = np.minimum(near, d[:, j])
    sub = d[np.ix_(chosen, chosen)]
    return float(np.min(sub[np.triu_indices(len(chosen), 1)]))


def _pdispersion(inp: Inputs) -> Outcome:
    """The largest level r at which k sites can all be r or more apart, by bisection.

    Each step is a packing program: sum y = k and y_a + y_b <= 1 for every
    pair closer than r (fixed, excluded, spacing and groups as everywhere).
    """
    m = inp.m
    d = np.minimum(inp.cost, inp.cost.T)
    pair = np.triu(np.ones((m, m), dtype=bool), 1) & inp.allowed[:, None] \
        & inp.allowed[None, :]
    levels = np.unique(d[pair & np.isfinite(d)])
    if len(levels) == 0:
        raise SiteplanInputError(Problem(f"locate.solve({inp.model!r})", "no two allowed sites "
                                         "have a finite cost between them",
                                         "exclude fewer sites"))

    def feasible(r: float, objective: np.ndarray | None = None) -> Solved | None:
        prog = _site_program(inp, 0)
        if objective is not None:
            prog.c[:] = objective
        a, b = np.nonzero(pair & (d < r))
        free = ~(np.isin(a, inp.fixed) & np.isin(b, inp.fixed))
        if not free.all():
            return None  # two fixed sites are closer than r
        i = np.arange(len(a))
        prog.add(sparse.csr_matrix((np.ones(2 * len(a)), (np.r_[i, i], np.r_[a, b])),
                                   shape=(len(a), m)), -np.inf, 1.0)
        try:
            return run(prog, model=inp.model, time_limit=inp.time_limit, mip_gap=0.0,
                       infeasible=_infeasible(inp))
        except SiteplanInputError:
            return None

    lo, hi = 0, len(levels) - 1  # levels[lo] is feasible; find the last feasible level
    guess = _greedy_dispersion(d, inp)
    if guess is not None:
        lo = int(np.searchsorted(levels, guess, side="left"))
    best = feasible(levels[lo])
    if best is None and lo > 0:
        lo = 0
        best = feasible(levels[lo])
    if best is None:
        raise SiteplanInputError(_infeasible(inp))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        got = feasible(levels[mid])
        if got is None:
            hi = mid - 1
        else:
            lo, best = mid, got
    if inp.prefer is not None:
        best = feasible(levels[lo], -(inp.prefer - inp.prefer.min() + 1.0)) or best
    return Outcome(_chosen(best.x, m), float(levels[lo]), 0.0, best.status)


_K = frozenset({"k"})
#: model name -> :class:`Model`; the names :func:`siteplan.locate.solve` accepts
MODELS: dict[str, Model] = {
    "lscp": Model(_lscp, frozenset({"radius"}), "min", "location set covering",
                  "number of sites that put every demand row within radius"),
    "lscpb": Model(_lscpb, frozenset({"radius"}), "max", "set covering with backup coverage",
                   "weight (default: count) of demand rows within radius of two or more "
                   "sites, with the fewest sites of lscp"),
    "mclp": Model(_mclp, _K | {"radius"}, "max", "maximal covering location",
                  "weight of demand rows within radius of a chosen site"),
    "pmedian": Model(_pmedian, _K, "min", "p-median",
                     "sum over demand rows of weight times cost to the nearest chosen site"),
    "cpmedian": Model(_cpmedian, _K | {"capacity"}, "min", "capacitated p-median",
                      "sum of weight times cost, each row served by one site within its "
                      "capacity"),
    "pcenter": Model(_pcenter, _K, "min", "p-center",
                     "largest cost from a demand row (weight > 0) to its nearest chosen site"),
    "pdispersion": Model(_pdispersion, _K, "max", "p-dispersion",
                         "smallest cost between two chosen sites (site-by-site matrix)",
                         square=True),
}
