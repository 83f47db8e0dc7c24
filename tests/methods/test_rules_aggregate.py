"""Aggregation parameters and weights against references written apart from siteplan.

The references below (OWA, WGM, TOPSIS and Shapley values) are plain Python
loops over the published formulas; none calls ``siteplan.methods.aggregate``, so an
error there cannot cancel out. Small cases are also worked out by hand.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan import SiteplanInputError
from siteplan.methods.aggregate import aggregate, shapley, topsis, wgm
from siteplan.methods.weights import ahp_weights, normalise_weights, parse_matrix
from siteplan.profiles.profile import profile_from_dict

# ------------------------------------------------------------------ plain references


def owa_ref(row, w, alpha):
    """Malczewski's OWA: sort by value (best first), u_k = w_k * v_k, sum u x / sum u."""
    n = len(row)
    v = [(k / n) ** alpha - ((k - 1) / n) ** alpha for k in range(1, n + 1)]
    ranked = sorted(range(n), key=lambda j: -row[j])
    u = [w[j] * v[k] for k, j in enumerate(ranked)]
    return sum(uk * row[j] for uk, j in zip(u, ranked, strict=True)) / sum(u)


def wgm_ref(row, w):
    """prod x_j ** w_j, where 0 ** 0 = 1 (a criterion of weight 0 cannot veto)."""
    return math.prod(1.0 if wj == 0 else x ** wj for x, wj in zip(row, w, strict=True))


def topsis_ref(row, w, sites):
    """TOPSIS closeness of ``row`` with norms and ideals from ``sites`` (all benefit)."""
    n = len(row)
    norms = [math.sqrt(sum(s[j] ** 2 for s in sites)) for j in range(n)]
    def weighted(x):
        return [w[j] * (x[j] / norms[j] if norms[j] else 0.0) for j in range(n)]
    ref = [weighted(s) for s in sites]
    best = [max(r[j] for r in ref) for j in range(n)]
    worst = [min(r[j] for r in ref) for j in range(n)]
    v = weighted(row)
    dp = math.dist(v, best)
    dm = math.dist(v, worst)
    return 1.0 if dp + dm == 0 else dm / (dp + dm)


def shapley_ref(value, n):
    """Shapley values of the set function ``value(frozenset)`` by the textbook sum."""
    phi = [0.0] * n
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            coef = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in itertools.combinations(others, size):
                phi[i] += coef * (value(frozenset(s) | {i}) - value(frozenset(s)))
    return phi


# ----------------------------------------------------------------------------- OWA


def test_owa_alpha_by_hand():
    c = np.array([[0.2, 0.9, 0.5]])
    w = np.array([0.5, 0.3, 0.2])
    # alpha = 2: v = 1/9, 3/9, 5/9 for the ranks of 0.9 (w .3), 0.5 (w .2), 0.2 (w .5):
    # u = .3/9, .6/9, 2.5/9 -> (.27 + .30 + .50) / 3.4
    assert aggregate("owa", c, w, alpha=2.0)[0] == pytest.approx(1.07 / 3.4, rel=1e-14)
    # alpha = 1 is the weighted sum: .1 + .27 + .1
    assert aggregate("owa", c, w, alpha=1.0)[0] == pytest.approx(0.47, rel=1e-14)
    # alpha = 0.5: v = sqrt(1/3), sqrt(2/3) - sqrt(1/3), 1 - sqrt(2/3)
    v = [math.sqrt(1 / 3), math.sqrt(2 / 3) - math.sqrt(1 / 3), 1 - math.sqrt(2 / 3)]
    u = [0.3 * v[0], 0.2 * v[1], 0.5 * v[2]]
    expect = (u[0] * 0.9 + u[1] * 0.5 + u[2] * 0.2) / sum(u)
    assert aggregate("owa", c, w, alpha=0.5)[0] == pytest.approx(expect, rel=1e-14)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.0, 7.0])
def test_owa_matches_the_plain_reference_and_its_batched_form(alpha):
    rng = np.random.default_rng(7)
    c = rng.random((9, 4))
    c[0, 1] = c[0, 2]                               # a tie
    w = rng.dirichlet(np.ones(4))
    expect = [owa_ref(list(row), list(w), alpha) for row in c]
    np.testing.assert_allclose(aggregate("owa", c, w, alpha=alpha), expect, rtol=1e-12)
    w2 = rng.dirichlet(np.ones(4))
    batched = aggregate("owa", c, np.vstack([w, w2]), alpha=alpha)
    np.testing.assert_allclose(batched[1], [owa_ref(list(r), list(w2), alpha) for r in c],
                               rtol=1e-12)


def test_a_profile_owa_alpha_reaches_the_score():
    # two attribute criteria scored by linear transforms: c = value / 10
    parcels = gpd.GeoDataFrame({"parcel_id": ["a"], "x": [2.0], "y": [9.0]},
                               geometry=[shapely.box(620_000, 9_320_000, 620_100, 9_320_100)],
                               crs="EPSG:32748")
    layers = sp.load_layers(parcels=parcels)
    crit = [{"name": k, "measure": "attribute", "column": k, "weight": wt,
             "transform": {"type": "linear", "best": 10, "worst": 0}}
            for k, wt in (("x", 3), ("y", 1))]
    prof = profile_from_dict({"name": "owa_test", "title": {"en": "t"}, "method": "owa",
                              "owa": {"alpha": 3.0}, "criteria": crit})
    # v = 1/4, 3/4 (n = 2, alpha 3: (1/2)^3 = 1/8 -> 1/8, 7/8); ranks: y 0.9 (w 1/4), x 0.2 (3/4)
    # u = 1/4 * 1/8, 3/4 * 7/8 -> (0.9 / 32 + 0.2 * 21 / 32) / (22 / 32) = 5.1 / 22
    res = sp.score(layers, prof)
    assert res["score"].iloc[0] == pytest.approx(100 * 5.1 / 22, rel=1e-12)
    assert res["score"].iloc[0] == pytest.approx(100 * owa_ref([0.2, 0.9], [0.75, 0.25], 3.0))


# ----------------------------------------------------------------------------- WGM


def test_wgm_a_zero_weight_criterion_does_not_veto():
    c = np.array([[0.0, 0.64], [0.25, 0.64]])
    np.testing.assert_allclose(wgm(c, np.array([0.0, 1.0])), [0.64, 0.64], rtol=1e-14)
    # with weight, a 0 vetoes: sqrt(0) * 0.8 and sqrt(.25) * 0.8
    np.testing.assert_allclose(wgm(c, np.array([0.5, 0.5])), [0.0, 0.4], rtol=1e-14)
    batched = wgm(c, np.array([[0.0, 1.0], [0.5, 0.5]]))
    np.testing.assert_allclose(batched, [[0.64, 0.64], [0.0, 0.4]], rtol=1e-14)


def test_wgm_matches_the_plain_reference():
    rng = np.random.default_rng(3)
    c = rng.random((8, 4))
    c[rng.random(c.shape) < 0.25] = 0.0
    w = np.array([0.0, 0.5, 0.2, 0.3])
    np.testing.assert_allclose(aggregate("wgm", c, w),
                               [wgm_ref(list(r), list(w)) for r in c], rtol=1e-12)


# -------------------------------------------------------------------------- TOPSIS


def test_topsis_scores_against_the_reference_ideals():
    # reference sites (1, 0) and (0, 1): norms 1, ideal (.5, .5), anti-ideal (0, 0);
    # the site (1, .5) is at d+ = .25, d- = sqrt(.25 + .0625) = sqrt(5) / 4
    ref = np.array([[1.0, 0.0], [0.0, 1.0]])
    got = topsis(np.array([[1.0, 0.5]]), np.array([0.5, 0.5]), reference=ref)
    assert got[0] == pytest.approx(math.sqrt(5) / (1 + math.sqrt(5)), rel=1e-14)


def test_topsis_sites_all_alike_score_one():
    c = np.full((3, 2), 0.4)
    np.testing.assert_array_equal(topsis(c, np.array([0.5, 0.5])), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(topsis(c, np.array([[0.5, 0.5], [0.9, 0.1]])),
                                  np.ones((2, 3)))


# ------------------------------------------------------------------------- Shapley


@pytest.mark.parametrize("method, alpha", [("owa", 2.0), ("owa", 0.5), ("wgm", 1.0),
                                           ("topsis", 1.0)])
def test_shapley_against_an_independent_brute_force(method, alpha):
    rng = np.random.default_rng(11)
    c = rng.random((5, 3))
    c[1, 0] = 0.0
    w = np.array([0.5, 0.3, 0.2])
    sites = [list(r) for r in c]

    def score(row):
        if method == "owa":
            return owa_ref(row, list(w), alpha)
        if method == "wgm":
            return wgm_ref(row, list(w))
        return topsis_ref(row, list(w), sites)

    s, contrib, base = shapley(method, c, w, alpha=alpha)
    for i, row in enumerate(sites):
        def value(members, row=row):
            return 100 * score([x if j in members else 0.0 for j, x in enumerate(row)])
        np.testing.assert_allclose(contrib[i], shapley_ref(value, 3), atol=1e-9)
        assert s[i] == pytest.approx(100 * score(row), rel=1e-12)
        assert base == pytest.approx(value(frozenset()), abs=1e-9)


# ------------------------------------------------------------------------- weights


def test_direct_weights_normalise_and_zero_is_allowed():
    assert normalise_weights({"a": 3, "b": 1, "c": 0}) == {"a": 0.75, "b": 0.25, "c": 0.0}
    with pytest.raises(SiteplanInputError, match="weight of 'b' is negative"):
        normalise_weights({"a": 1, "b": -0.5})
    with pytest.raises(SiteplanInputError, match="all weights are zero"):
        normalise_weights({"a": 0, "b": 0.0})


def test_huge_weights_normalise_without_overflow():
    # their sum overflows; divided by the largest first: 1, 1, 0.2 over 2.2
    got = normalise_weights({"a": 1e308, "b": 1e308, "c": 2e307})
    assert got == pytest.approx({"a": 1 / 2.2, "b": 1 / 2.2, "c": 0.2 / 2.2}, rel=1e-15)


def test_ahp_reciprocals_within_one_percent():
    parse_matrix([[1, 3], [0.33, 1]])            # 0.99: stands for 1/3 (as documented)
    parse_matrix([[1, 9], [0.11, 1]])            # 0.99: stands for 1/9
    with pytest.raises(SiteplanInputError, match="reciprocal"):
        parse_matrix([[1, 3], [0.35, 1]])        # 1.05: not 1/3


def test_ahp_circulant_matrix_by_hand():
    # every row is a rotation of (1, 2, 1/2): row sums 3.5, so lambda_max = 3.5 with equal
    # weights; CR = (3.5 - 3) / 2 / 0.58
    m = [[1, 2, "1/2"], ["1/2", 1, 2], [2, "1/2", 1]]
    w, cr = ahp_weights(m, allow_inconsistent=True)
    np.testing.assert_allclose(w, [1 / 3] * 3, rtol=1e-12)
    assert cr == pytest.approx(0.25 / 0.58, rel=1e-12)
    with pytest.raises(SiteplanInputError, match="CR = 0.431"):
        ahp_weights(m)
    w, cr = ahp_weights([[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]])
    np.testing.assert_allclose(w, [4 / 7, 2 / 7, 1 / 7], rtol=1e-12)
    assert cr == pytest.approx(0.0, abs=1e-12)
