"""One integer program, built from sparse blocks and solved by HiGHS (``scipy.optimize.milp``).

Every model in :mod:`siteplan.locate.models` fills a :class:`Program` (a
minimisation: objective vector, bounds, integrality and sparse constraint
blocks) and hands it to :func:`run`. :func:`refine` is the second, tie-breaking
pass: the first optimum is kept as a constraint and the preference is
maximised among the equal optima.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .._errors import Problem, SiteplanInputError, SolverError

__all__ = ["Program", "Solved", "Relaxed", "run", "refine", "relax", "if_integral"]


@dataclass
class Program:
    """A minimisation over ``n`` variables: ``c @ x`` with ``lb <= x <= ub`` and row blocks."""

    c: np.ndarray
    integrality: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    rows: list[tuple[sparse.csr_matrix, np.ndarray, np.ndarray]] = field(default_factory=list)

    @classmethod
    def empty(cls, n: int) -> Program:
        return cls(np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n))

    @property
    def n(self) -> int:
        return len(self.c)

    def add(self, a, lo, hi) -> None:
        """Append the rows ``lo <= a @ x <= hi`` (``a`` sparse, any number of rows)."""
        a = sparse.csr_matrix(a)
        if a.shape[0] == 0:
            return
        if a.shape[1] != self.n:
            raise ValueError(f"block has {a.shape[1]} columns, the program {self.n}")
        self.rows.append((a, np.broadcast_to(np.asarray(lo, float), a.shape[0]),
                          np.broadcast_to(np.asarray(hi, float), a.shape[0])))


@dataclass(frozen=True)
class Solved:
    """HiGHS's answer: the solution, its objective, the proved bound and gap, the status."""

    x: np.ndarray
    value: float
    bound: float
    gap: float
    status: str
    seconds: float


def _stacked(prog: Program) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    # every row block of the program in one matrix, with its lower and upper bounds
    return (sparse.vstack([r[0] for r in prog.rows], format="csr"),
            np.concatenate([r[1] for r in prog.rows]),
            np.concatenate([r[2] for r in prog.rows]))


def _constraints(prog: Program) -> list[LinearConstraint]:
    return [LinearConstraint(*_stacked(prog))] if prog.rows else []


def run(prog: Program, *, model: str, time_limit: float, mip_gap: float,
        infeasible: Problem) -> Solved:
    """Solve ``prog``; ``infeasible`` is the problem reported when no solution exists.

    An infeasible program comes from the caller's constraints (k, spacing,
    groups, capacity) and is a :class:`~siteplan.SiteplanInputError`; a time
    limit without any solution, or a solver failure, is a
    :class:`~siteplan.SolverError`.
    """
    t0 = time.perf_counter()
    res = milp(prog.c, integrality=prog.integrality, bounds=Bounds(prog.lb, prog.ub),
               constraints=_constraints(prog),
               options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_gap),
                        "disp": False})
    seconds = time.perf_counter() - t0
    if res.status == 2:
        raise SiteplanInputError(infeasible)
    if res.x is None:
        hint = ("raise time_limit, or solve a smaller problem (fewer demand units: a larger "
                "demand cell)" if res.status == 1 else "report this with the inputs")
        raise SolverError(f"locate {model!r}", str(res.message), hint)
    value = float(res.fun)
    bound = res.get("mip_dual_bound")
    bound = value if bound is None or not np.isfinite(bound) else float(bound)
    gap = res.get("mip_gap")
    gap = 0.0 if gap is None or not np.isfinite(gap) else max(float(gap), 0.0)
    status = "optimal" if res.status == 0 else str(res.message)
    return Solved(np.asarray(res.x), value, bound, gap, status, seconds)


@dataclass(frozen=True)
class Relaxed:
    """The linear relaxation's optimum: solution, value, reduced costs, seconds."""

    x: np.ndarray
    value: float
    reduced: np.ndarray
    seconds: float


def relax(prog: Program, time_limit: float | None = None) -> Relaxed | None:
    """``prog`` with every integrality dropped, solved by HiGHS; None unless optimal
    (also when ``time_limit`` seconds pass first)."""
    if not prog.rows:
        return None
    t0 = time.perf_counter()
    a, lo, hi = _stacked(prog)
    eq = lo == hi
    up = ~eq & np.isfinite(hi)
    down = ~eq & np.isfinite(lo)
    a_ub = sparse.vstack([a[up], -a[down]], format="csr")
    b_ub = np.concatenate([hi[up], -lo[down]])
    res = linprog(prog.c, A_ub=a_ub if a_ub.shape[0] else None,
                  b_ub=b_ub if a_ub.shape[0] else None,
                  A_eq=a[eq] if eq.any() else None, b_eq=lo[eq] if eq.any() else None,
                  bounds=np.column_stack([prog.lb, prog.ub]), method="highs",
                  options=None if time_limit is None else {"time_limit": float(time_limit)})
    if res.status != 0 or res.lower is None:
        return None
    return Relaxed(np.asarray(res.x), float(res.fun),
                   np.asarray(res.lower.marginals, dtype=float), time.perf_counter() - t0)


def if_integral(prog: Program, lp: Relaxed | None) -> Solved | None:
    """The relaxation's optimum as the program's, when its integer variables are whole.

    A relaxation's optimum that meets the integrality is feasible for the program and
    no program solution costs less, so it is optimal (gap 0). None otherwise.
    """
    if lp is None:
        return None
    ints = prog.integrality == 1
    whole = np.round(lp.x[ints])
    if np.max(np.abs(lp.x[ints] - whole), initial=0.0) > 1e-9:
        return None
    x = lp.x.copy()
    x[ints] = whole
    return Solved(x, lp.value, lp.value, 0.0, "optimal", lp.seconds)


def refine(prog: Program, first: Solved, prefer: np.ndarray, *, model: str,
           time_limit: float, relaxed: Relaxed | None = None) -> Solved:
    """Among the optima of ``prog`` (objective at most ``first.value``), maximise ``prefer @ x``.

    ``prefer`` has one entry per variable (zero for all but the sites). The
    first optimum is kept within a tolerance of 1e-9 of its size (plus HiGHS's
    feasibility tolerance), so the second pass never trades the model's own
    objective for preference. ``relaxed`` is ``prog``'s linear relaxation when the
    caller has solved it already.
    """
    tol = 1e-9 * max(1.0, abs(first.value)) + 1e-7
    ub = prog.ub.copy()
    ub[_never_optimal(prog, first.value + tol, relaxed)] = 0.0
    second = Program(-np.asarray(prefer, float), prog.integrality, prog.lb, ub,
                     list(prog.rows))
    nz = np.flatnonzero(prog.c)
    second.add(sparse.csr_matrix((prog.c[nz], (np.zeros(len(nz), int), nz)),
                                 shape=(1, prog.n)), -np.inf, first.value + tol)
    try:
        out = run(second, model=model, time_limit=time_limit, mip_gap=0.0,
                  infeasible=Problem(model, "tie-break pass infeasible", "drop prefer"))
    except (SiteplanInputError, SolverError):
        return first  # the first optimum stands; the preference could not be applied
    return Solved(out.x, first.value, first.bound, first.gap, first.status,
                  first.seconds + out.seconds)


def _never_optimal(prog: Program, ceiling: float, relaxed: Relaxed | None = None
                   ) -> np.ndarray:
    """The 0/1 variables that are 0 in every solution of ``prog`` costing at most ``ceiling``.

    Reduced-cost fixing on the linear relaxation: a variable at its lower bound 0 with
    reduced cost ``d`` raises every solution that sets it to 1 to at least the relaxation's
    value plus ``d``. Those that would pass ``ceiling`` (with a margin for the solver's
    tolerances) cannot be in any optimum, so the tie-breaking pass leaves them out; it then
    searches among the few sites that can tie, not among every site. Nothing is fixed when
    the relaxation is not solved to optimality.
    """
    none = np.zeros(prog.n, dtype=bool)
    binary = (prog.integrality == 1) & (prog.lb == 0) & (prog.ub == 1)
    if not binary.any() or not prog.rows:
        return none
    lp = relaxed if relaxed is not None else relax(prog)
    if lp is None:
        return none
    margin = 1e-6 * max(1.0, abs(ceiling))
    return binary & (lp.x < 1e-9) & (lp.value + lp.reduced > ceiling + margin)
