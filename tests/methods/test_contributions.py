"""Contributions are the Shapley values of each method's own score, checked by brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import siteplan as sp
from siteplan.methods.aggregate import AGGREGATORS, aggregate, shapley


def brute_force_shapley(method, c, w, alpha=1.0):
    """Shapley values by the textbook sum over coalitions, one site and one subset at a time."""
    n_sites, n = c.shape
    out = np.zeros((n_sites, n))

    def value(site, coalition):
        row = np.zeros((1, n))
        for j in coalition:
            row[0, j] = c[site, j]
        return 100.0 * aggregate(method, row, w, alpha=alpha, reference=c)[0]

    for site in range(n_sites):
        for i in range(n):
            others = [j for j in range(n) if j != i]
            for size in range(n):
                for coalition in itertools.combinations(others, size):
                    weight = math.factorial(size) * math.factorial(n - size - 1) / \
                        math.factorial(n)
                    out[site, i] += weight * (value(site, coalition + (i,))
                                              - value(site, coalition))
    return out


@pytest.mark.parametrize("method", list(AGGREGATORS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shapley_equals_brute_force(method, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    c = rng.random((7, n))
    c[rng.random(c.shape) < 0.15] = 0.0  # some zeros: WGM's veto
    w = rng.dirichlet(np.ones(n))
    alpha = float(rng.choice([0.5, 1.0, 2.0]))
    score, contrib, base = shapley(method, c, w, alpha=alpha)
    np.testing.assert_allclose(contrib, brute_force_shapley(method, c, w, alpha), atol=1e-9)
    np.testing.assert_allclose(score, 100 * aggregate(method, c, w, alpha=alpha), atol=1e-12)
    # efficiency: they add up to score - base, base = the score with every criterion at 0
    np.testing.assert_allclose(contrib.sum(axis=1), score - base, atol=1e-9)
    zero = 100 * aggregate(method, np.zeros((1, n)), w, alpha=alpha, reference=c)[0]
    assert base == pytest.approx(zero, abs=1e-12)


def test_wlc_contributions_are_weight_times_value():
    c = np.array([[0.2, 0.9, 0.5]])
    w = np.array([0.5, 0.3, 0.2])
    score, contrib, base = shapley("wlc", c, w)
    np.testing.assert_allclose(contrib, [[10.0, 27.0, 10.0]])
    assert base == 0.0 and score[0] == pytest.approx(47.0)


def test_wgm_by_hand():
    # two criteria, w = (0.5, 0.5), c = (0.25, 1): score = sqrt(0.25) = 0.5 -> 50 points.
    # Any coalition missing a criterion has a zero -> 0. Each criterion: half of 50.
    score, contrib, base = shapley("wgm", np.array([[0.25, 1.0]]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(contrib, [[25.0, 25.0]])
    assert base == 0.0 and score[0] == pytest.approx(50.0)


def test_result_contributions_add_up(sample_layers):
    for name in ("sentra_kuliner", "rth"):
        prof = sp.get_profile(name)
        for method in AGGREGATORS:
            result = sp.score(sample_layers, prof, method=method)
            ok = result["eligible"].to_numpy(bool)
            contrib = result.loc[ok, [f"contrib_{c.name}" for c in prof.criteria]].sum(axis=1)
            base = sp.record_of(result).base_score
            np.testing.assert_allclose(contrib + base, result.loc[ok, "score"], atol=1e-9)
