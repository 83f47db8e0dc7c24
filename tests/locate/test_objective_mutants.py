"""Tests written for the surviving mutants of the objective builders of selection and
allocation (siteplan/locate) (docs/mutation-report.md).

Each case is a few sites and a few demand points, built by hand as arrays (an
:class:`~siteplan.locate._allocate_milp.Instance`, or a coverage matrix for
:func:`~siteplan.locate.select.milp_cover`), so the solver answers in milliseconds;
the expected plan is worked out by hand in each docstring (or by enumerating
every plan with itertools).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.optimize
import shapely
from scipy import sparse
from test_allocate import X0, Y0, box, make_layers

from siteplan.locate._allocate_build import _cover
from siteplan.locate._allocate_milp import Instance, plan_value, solve_milp
from siteplan.locate.select import milp_cover


def instance(scores, *, pair_use=None, demand=(1,), cover=None, conflicts=None):
    """Pairs each on a parcel of their own (no parcel shared), no spacing, no kecamatan rule;
    ``cover``: per use (its pairs, a (pairs x points) 0/1 matrix, people per point)."""
    n = len(scores)
    pair_use = np.zeros(n, int) if pair_use is None else np.asarray(pair_use)
    if cover is not None:
        cover = tuple((np.asarray(idx), sparse.csr_matrix(np.asarray(c, float).reshape(
            len(idx), -1)), np.asarray(w, float)) for idx, c, w in cover)
    return Instance(uses=tuple("abcdef"[:len(demand)]), demand=np.asarray(demand),
                    members=sparse.identity(n, format="csr"), pair_use=pair_use,
                    pair_cand=np.arange(n), score=np.asarray(scores, float),
                    fixed=np.zeros(n, bool),
                    conflicts=sparse.csr_matrix((n, n)) if conflicts is None else conflicts,
                    groups=(), cover=cover)


def chosen_of(inst, objective):
    x, status, _ = solve_milp(inst, objective)
    assert status == 0
    return sorted(int(p) for p in x)


# ------------------------------------------------------------------ value of a plan

@pytest.mark.parametrize("objective", ["score", "coverage"])
def test_an_empty_plan_is_worth_nothing(objective):
    """No pair chosen (an empty list): no score, nobody reached: 0."""
    inst = instance([70.0, 30.0], cover=[([0, 1], [[1], [0]], [12.0])])
    assert plan_value(inst, [], objective) == 0.0


# ------------------------------------------------------------------ allocation's program

@pytest.mark.parametrize("scores", [(100.0, 0.0), (0.0, 100.0), (80.0, 40.0), (40.0, 80.0)])
def test_coverage_tie_goes_to_the_better_scored_site(scores):
    """Both pairs reach the same 10 people: the one with the higher score is chosen."""
    inst = instance(scores, cover=[([0, 1], [[1], [1]], [10.0])])
    assert chosen_of(inst, "coverage") == [int(np.argmax(scores))]


def test_coverage_people_outweigh_any_score():
    """Pair 0 (score 20) reaches 10 people, pair 1 (score 90) 5 others: one site, pair 0.

    The score only breaks ties: 10 people beat 5 whatever the scores.
    """
    inst = instance([20.0, 90.0], cover=[([0, 1], [[1, 0], [0, 1]], [10.0, 5.0])])
    assert chosen_of(inst, "coverage") == [0]


def test_a_use_that_reaches_nobody_leaves_the_next_use_its_people():
    """Use a (pairs 0, 1) reaches no point at all; use b: pair 2 (score 90) reaches 5
    people, pair 3 (score 20) 10 others. Use b takes pair 3 (10 > 5 people); use a, where
    every pair reaches nobody, takes its better score, pair 0 (60 > 50)."""
    inst = instance([60.0, 50.0, 90.0, 20.0], pair_use=[0, 0, 1, 1], demand=(1, 1),
                    cover=[([0, 1], np.zeros((2, 0)), np.zeros(0)),
                           ([2, 3], [[1, 0], [0, 1]], [5.0, 10.0])])
    assert chosen_of(inst, "coverage") == [0, 3]


# a case where two plans differ by 2 people in 50,009: a solver gap of 0.01 % would
# accept the worse one. Sites 0..6, points 0..5 (people W), two sites.
NEAR_TIE_COVER = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 1],
                           [0, 1, 1, 0, 0, 0], [1, 1, 0, 0, 1, 1], [1, 0, 0, 0, 0, 0],
                           [0, 0, 0, 1, 1, 0]])
NEAR_TIE_PEOPLE = np.array([10002.0, 10002.0, 10000.0, 10002.0, 10001.0, 10002.0])


def test_coverage_optimum_is_exact_when_plans_differ_by_a_few_people():
    """Sites 4 and 6 reach points 0, 1, 3, 4, 5: 50,009 people; sites 0 and 6 reach
    0..4: 50,007. Every pair of sites enumerated: 50,009 is the most, by 4 and 6 only."""
    def people(plan):
        return NEAR_TIE_PEOPLE[NEAR_TIE_COVER[list(plan)].any(axis=0)].sum()

    plans = list(itertools.combinations(range(7), 2))
    best = max(people(p) for p in plans)
    assert best == 50009.0 and [p for p in plans if people(p) == best] == [(4, 6)]
    inst = instance(np.full(7, 50.0), demand=(2,),
                    cover=[(np.arange(7), NEAR_TIE_COVER, NEAR_TIE_PEOPLE)])
    assert chosen_of(inst, "coverage") == [4, 6]


def test_solve_milp_passes_on_the_solvers_message():
    """Two pairs in conflict but two sites asked: infeasible, and HiGHS says so; without
    the conflict both are chosen, and HiGHS says the plan is optimal."""
    conflicts = sparse.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    x, status, message = solve_milp(instance([50.0, 60.0], demand=(2,), conflicts=conflicts),
                                    "score")
    assert x is None and status == 2 and "infeasible" in message.lower()
    x, status, message = solve_milp(instance([50.0, 60.0], demand=(2,)), "score")
    assert list(x) == [0, 1] and status == 0 and "optimal" in message.lower()


# three boxes 40 m wide on a line: 0 and 1 are 60 m apart, 1 and 2 160 m, 0 and 2 260 m
LINE = [box(0, 0, 40, 40), box(100, 0, 140, 40), box(300, 0, 340, 40)]


def closer_than(geoms, spacing):
    """Every pair of sites closer than ``spacing``, each site's zero distance to itself
    (the diagonal) included, as a matrix built from a full distance table would have it."""
    d = shapely.distance(np.asarray(geoms)[:, None], np.asarray(geoms)[None, :])
    return sparse.csr_matrix((d < spacing).astype(float))


def test_a_site_is_not_in_conflict_with_itself():
    """Spacing 100 m: 0 and 1 (60 m) conflict, 0-2 and 1-2 do not. Two sites scoring 90,
    80, 70: 0 + 1 (170) is ruled out, so 0 + 2 (160). The diagonal of the conflicts (each
    pair's zero distance to itself) must not rule a pair out."""
    inst = instance([90.0, 80.0, 70.0], demand=(2,), conflicts=closer_than(LINE, 100.0))
    assert chosen_of(inst, "score") == [0, 2]


# ------------------------------------------------------------------ allocation's cover

def test_cover_keeps_points_reached_by_different_sites_apart():
    """Ten sites: 4, 6 and 9 stand by village P (70 people), 0, 3, 5 and 7 by village Q
    (30 people), 5 km off; 1, 2 and 8 stand 10 km off, by nobody. Within 100 m: P is
    reached by exactly {4, 6, 9}, Q by exactly {0, 3, 5, 7}: two groups, 70 and 30."""
    near_p, near_q = [4, 6, 9], [0, 3, 5, 7]
    x = [0 if i in near_p else 5000 if i in near_q else 10_000 for i in range(10)]
    geoms = [box(x[i] + 20, 5 * i, x[i] + 30, 5 * i + 5) for i in range(10)]  # <= 50 m off
    pts = [shapely.Point(X0, Y0), shapely.Point(X0 + 5000, Y0)]
    layers = make_layers(geoms, ["K1"] * 10, points=pts, people=[70.0, 30.0])
    inst = instance(np.full(10, 50.0))
    idx, cov, w = _cover(inst, layers, np.asarray(geoms, dtype=object),
                         {"radius": {"a": 100.0}, "existing": {}}, 100.0)[0]
    assert list(idx) == list(range(10))
    dense = cov.toarray()
    groups = {(frozenset(np.flatnonzero(dense[:, j]).tolist()), float(w[j]))
              for j in range(dense.shape[1])}
    assert dense.shape[1] == 2 and groups == {(frozenset(near_p), 70.0),
                                              (frozenset(near_q), 30.0)}


# ------------------------------------------------------------------ selection's program

def test_milp_cover_counts_points_of_under_one_person():
    """Polygon people spread over a grid give fractional points. Site 0 reaches three
    points of 0.6 people (1.8), site 1 one point of 1.5: one site, site 0."""
    cover = sparse.csr_matrix(np.array([[1, 1, 1, 0], [0, 0, 0, 1]], dtype=float))
    chosen, status = milp_cover(cover, np.array([0.6, 0.6, 0.6, 1.5]), 1)
    assert [int(i) for i in chosen] == [0] and status == "optimal"


@pytest.mark.parametrize("tiebreak", [(100.0, 0.0), (0.0, 100.0)])
def test_milp_cover_tiebreak_decides_between_equal_reach(tiebreak):
    """Sites 0 and 1 reach the same 10 people: the one scoring 100 (not 0) is chosen."""
    cover = sparse.csr_matrix(np.array([[1.0], [1.0]]))
    chosen, _ = milp_cover(cover, np.array([10.0]), 1, tiebreak=np.array(tiebreak))
    assert [int(i) for i in chosen] == [int(np.argmax(tiebreak))]


def test_milp_cover_people_outweigh_the_tiebreak():
    """Site 0 (score 10) reaches 10 people, site 1 (score 90) 5 others: site 0."""
    cover = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))
    chosen, _ = milp_cover(cover, np.array([10.0, 5.0]), 1, tiebreak=np.array([10.0, 90.0]))
    assert [int(i) for i in chosen] == [0]


def test_milp_cover_says_when_the_solver_stopped_early(monkeypatch):
    """HiGHS stopped by its time limit with a set in hand (status 1): the set is returned
    with HiGHS's own message, not "optimal". The stop is simulated: the real solver runs,
    and its answer is handed back as a stopped one."""
    real = scipy.optimize.milp
    message = "Time limit reached. (HiGHS Status 13: Time limit reached)"

    def stopped(*args, **kwargs):
        res = real(*args, **kwargs)
        res.status, res.message = 1, message
        return res

    monkeypatch.setattr(scipy.optimize, "milp", stopped)
    cover = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))
    chosen, status = milp_cover(cover, np.array([10.0, 5.0]), 1)
    assert [int(i) for i in chosen] == [0] and status == message


def test_milp_cover_a_site_is_not_in_conflict_with_itself():
    """The three boxes of LINE reach 10, 8 and 7 people of their own; spacing 100 m rules
    out 0 + 1 only: two sites, 0 + 2 (17 people), the diagonal ruling out no site."""
    cover = sparse.csr_matrix(np.eye(3))
    chosen, status = milp_cover(cover, np.array([10.0, 8.0, 7.0]), 2,
                                conflicts=closer_than(LINE, 100.0))
    assert sorted(int(i) for i in chosen) == [0, 2] and status == "optimal"
