"""The p-center search: quick answers and the dominance rules, each against brute force.

``locate.solve("pcenter")`` finds the least cost level at which k sites reach every
demand row. Most levels are now decided without the full program: the greedy cover
proves "yes", rows with no common site prove "no", and the covering program on the
matrix left by the dominance rules (``models._dominance``) decides the rest. Every
answer must equal brute force over every choice of k sites.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from siteplan import locate
from siteplan.locate import models


def _brute_center(cost, k, fixed=(), excluded=()):
    """The least worst-row cost over every choice of k sites (plain itertools)."""
    free = [j for j in range(cost.shape[1]) if j not in fixed and j not in excluded]
    best = np.inf
    for pick in combinations(free, k - len(fixed)):
        cols = list(fixed) + list(pick)
        best = min(best, float(cost[:, cols].min(axis=1).max()))
    return best


def _clustered(seed, n=40, m=14):
    """Demand in three towns and sites among them: many close levels, as on a city."""
    rng = np.random.default_rng(seed)
    towns = rng.uniform(0, 5000, (3, 2))
    demand = towns[rng.integers(0, 3, n)] + rng.normal(0, 400, (n, 2))
    sites = rng.uniform(0, 5000, (m, 2))
    return np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))


def test_dominance_by_hand():
    # rows x sites; row 2 reaches a superset of row 0's sites, row 3 equals row 1
    a = np.array([[1, 1, 0, 0],
                  [0, 0, 1, 0],
                  [1, 1, 1, 0],
                  [0, 0, 1, 0]], dtype=bool)
    rows, cols = models._dominance(a)
    # rows 2 and 3 go; then among rows {0, 1}: site 1 equals site 0 (later goes),
    # site 3 reaches nothing (inside every set), site 2 stays for row 1
    assert rows.tolist() == [0, 1]
    assert cols.tolist() == [0, 2]


def test_dominance_keeps_what_no_rule_removes():
    a = np.eye(3, dtype=bool)             # each row its own site: nothing to drop
    rows, cols = models._dominance(a)
    assert rows.tolist() == [0, 1, 2] and cols.tolist() == [0, 1, 2]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_pcenter_equals_brute_force(seed, k):
    cost = _clustered(seed)
    got = locate.solve("pcenter", cost, k=k)
    assert got.objective == _brute_center(cost, k)
    assert got.k == k
    assert got.objective == pytest.approx(locate.objective_of("pcenter", cost, got.chosen))


@pytest.mark.parametrize("seed", range(4))
def test_pcenter_with_fixed_and_excluded_equals_brute_force(seed):
    cost = _clustered(seed + 20)
    got = locate.solve("pcenter", cost, k=3, fixed=[5], excluded=[0, 1])
    assert got.objective == _brute_center(cost, 3, fixed=(5,), excluded=(0, 1))
    assert 5 in got.chosen.tolist() and not {0, 1} & set(got.chosen.tolist())


@pytest.mark.parametrize("seed", range(4))
def test_quick_answers_equal_the_full_program(seed, monkeypatch):
    """The same level with every quick answer turned off (the full program at each step)."""
    cost = _clustered(seed + 40, n=60, m=18)
    quick = locate.solve("pcenter", cost, k=3)
    monkeypatch.setattr(models, "_cover_decided", lambda *_: None)
    full = locate.solve("pcenter", cost, k=3)
    assert quick.objective == full.objective == _brute_center(cost, 3)


def test_each_quick_answer_is_a_proof(monkeypatch):
    """Every level the quick check answers, brute force answers the same."""
    cost = _clustered(7)
    k = 2
    answers = []
    decided = models._cover_decided

    def spy(c, inp):
        decide = decided(c, inp)

        def recorded(r):
            got = decide(r)
            answers.append((r, got))
            return got
        return recorded
    monkeypatch.setattr(models, "_cover_decided", spy)
    locate.solve("pcenter", cost, k=k)
    assert answers
    for r, got in answers:
        can = any(cost[:, list(p)].min(axis=1).max() <= r
                  for p in combinations(range(cost.shape[1]), k))
        if got is False:
            assert not can, r
        else:
            assert got is not None and can, r
            assert len(got) <= k and cost[:, got].min(axis=1).max() <= r


def test_beyond_the_dominance_size_the_full_program_decides(monkeypatch):
    monkeypatch.setattr(models, "_DOMINANCE_CELLS", 0)
    cost = _clustered(3)
    assert locate.solve("pcenter", cost, k=2).objective == _brute_center(cost, 2)
