"""The linear relaxation solved first: its optimum stands when it is whole, never otherwise.

With a preference among equal optima the p-median needs its linear relaxation for the
tie-breaking pass, so it is solved first (``_milp.relax``); when its sites are whole it
is the p-median's optimum (``_milp.if_integral``) and no integer program runs. Both
are checked by hand, and the p-median against the integer-program path and brute force.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy import sparse

from siteplan import locate
from siteplan._errors import Problem
from siteplan.locate import _milp, models


def _triangle() -> _milp.Program:
    """Cover three elements with sets {0,1}, {1,2}, {0,2}: the relaxation takes half of
    each set (1.5), a whole cover needs two sets."""
    prog = _milp.Program.empty(3)
    prog.c[:] = 1.0
    prog.integrality[:] = 1
    prog.add(sparse.csr_matrix(np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=float)),
             1.0, np.inf)
    return prog


def test_a_fractional_relaxation_is_not_taken_as_the_optimum():
    prog = _triangle()
    lp = _milp.relax(prog)
    assert lp is not None and lp.value == pytest.approx(1.5)
    assert np.allclose(lp.x, 0.5)
    assert _milp.if_integral(prog, lp) is None


def test_a_whole_relaxation_is_the_optimum():
    prog = _triangle()
    # with set 2 not allowed, elements 0 and 2 each need their other set: the relaxation
    # is whole, sets 0 and 1 at a cost of 2
    prog.add(np.array([[0.0, 0.0, 1.0]]), 0.0, 0.0)
    lp = _milp.relax(prog)
    got = _milp.if_integral(prog, lp)
    assert got is not None and got.x.tolist() == [1.0, 1.0, 0.0]
    assert got.value == got.bound == 2.0 and got.gap == 0.0 and got.status == "optimal"
    full = _milp.run(prog, model="test", time_limit=10, mip_gap=0.0,
                     infeasible=Problem("test", "no cover", "none"))
    assert full.value == pytest.approx(got.value)


def test_no_relaxation_within_no_time():
    assert _milp.relax(_triangle(), time_limit=0.0) is None
    assert _milp.if_integral(_triangle(), None) is None


def _instance(seed, n=25, m=9):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1000, (n, 2))
    sites = rng.uniform(0, 1000, (m, 2))
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    return cost, rng.integers(1, 50, n).astype(float)


def _brute(cost, w, k):
    return min(float(np.sum(w * cost[:, list(p)].min(axis=1)))
               for p in combinations(range(cost.shape[1]), k))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_pmedian_with_a_preference_equals_the_integer_program_path(seed, k, monkeypatch):
    cost, w = _instance(seed)
    prefer = np.arange(cost.shape[1], dtype=float)[::-1]
    first = locate.solve("pmedian", cost, weights=w, k=k, prefer=prefer)
    monkeypatch.setattr(models, "if_integral", lambda *_: None)   # always the program
    again = locate.solve("pmedian", cost, weights=w, k=k, prefer=prefer)
    assert first.objective == pytest.approx(again.objective, rel=1e-12)
    assert first.objective == pytest.approx(_brute(cost, w, k), rel=1e-12)
    assert sorted(first.chosen.tolist()) == sorted(again.chosen.tolist())


def test_the_relaxation_often_ends_the_pmedian(monkeypatch):
    """On these instances the relaxation's optimum is whole at least once: the path runs."""
    taken = []
    whole = models.if_integral

    def spy(prog, lp):
        got = whole(prog, lp)
        taken.append(got is not None)
        return got
    monkeypatch.setattr(models, "if_integral", spy)
    for seed in range(6):
        cost, w = _instance(seed)
        locate.solve("pmedian", cost, weights=w, k=2, prefer=np.ones(cost.shape[1]))
    assert any(taken)
