"""Transforms, AHP weights and aggregation, checked by hand and against pymcdm."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import siteplan as sp
from siteplan.methods.aggregate import owa, owa_order_weights, topsis, wgm, wlc
from siteplan.methods.transforms import apply_transform, check_transform, saturation_distance


def t(spec, values):
    assert check_transform(spec, "test") == []
    return apply_transform(spec, np.asarray(values, dtype=float))


def test_linear_both_directions():
    np.testing.assert_allclose(t({"type": "linear", "best": 0, "worst": 1000},
                                 [0, 250, 1000, 1500, np.inf]), [1, 0.75, 0, 0, 0])
    np.testing.assert_allclose(t({"type": "linear", "best": 5000, "worst": 1000},
                                 [500, 1000, 3000, 5000, 9000]), [0, 0, 0.5, 1, 1])


def test_fuzzy_memberships_by_hand():
    # fuzzy_small at x = midpoint is 0.5; at x = 2*mid with spread 2: 1/(1+4) = 0.2
    np.testing.assert_allclose(t({"type": "fuzzy_small", "midpoint": 100, "spread": 2},
                                 [0, 100, 200]), [1, 0.5, 0.2])
    # fuzzy_large: 1/(1+(x/m)^-s): at 2*mid with spread 2: 1/(1+1/4) = 0.8
    np.testing.assert_allclose(t({"type": "fuzzy_large", "midpoint": 3, "spread": 2},
                                 [0, 3, 6]), [0, 0.5, 0.8])
    # gaussian: exp(-0.01 * 10^2) = exp(-1)
    np.testing.assert_allclose(t({"type": "fuzzy_gaussian", "midpoint": 50, "spread": 0.01},
                                 [50, 60]), [1, np.exp(-1)])
    # near: 1/(1 + 0.01 * 10^2) = 0.5
    np.testing.assert_allclose(t({"type": "fuzzy_near", "midpoint": 50, "spread": 0.01},
                                 [50, 40]), [1, 0.5])


def test_decay_threshold_categorical():
    np.testing.assert_allclose(t({"type": "decay", "half_distance": 1000, "max_distance": 3000},
                                 [0, 1000, 2000, 3001]), [1, 0.5, 0.25, 0])
    np.testing.assert_allclose(t({"type": "threshold", "breaks": [300, 1000],
                                  "values": [1.0, 0.5, 0.0]}, [0, 299, 300, 999, 1000, 5000]),
                               [1, 1, 0.5, 0.5, 0, 0])
    spec = {"type": "categorical", "table": {"tanah_kosong": 1.0, "kebun": 0.5}, "default": 0.1}
    assert check_transform(spec, "x") == []
    np.testing.assert_allclose(apply_transform(spec, ["Tanah_Kosong", "kebun", "sawah", None]),
                               [1.0, 0.5, 0.1, 0.1])


def test_saturation_distance():
    assert saturation_distance({"type": "linear", "best": 0, "worst": 800}) == 800
    assert saturation_distance({"type": "linear", "best": 800, "worst": 0}) is None
    assert saturation_distance({"type": "decay", "half_distance": 5, "max_distance": 9}) == 9
    assert saturation_distance({"type": "threshold", "breaks": [300, 1000],
                                "values": [1, 0.5, 0]}) == 1000


@pytest.mark.parametrize("spec, match", [
    ({"type": "sigmoid"}, "unknown transform type 'sigmoid'"),
    ({"type": "linear", "best": 0}, "needs worst"),
    ({"type": "linear", "best": 0, "worst": "far"}, "'worst' must be a number"),
    ({"type": "linear", "best": 5, "worst": 5}, "best == worst"),
    ({"type": "threshold", "breaks": [1], "values": [1]}, "one more value than breaks"),
    ({"type": "categorical", "table": {"a": 2}}, r"in \[0, 1\]"),
    ({"type": "fuzzy_small", "midpoint": 10, "width": 3}, "unknown parameter"),
])
def test_bad_transforms_are_named(spec, match):
    problems = check_transform(spec, "criterion 'x' transform")
    assert problems
    assert any(__import__("re").search(match, str(p)) for p in problems)


def test_ahp_published_example():
    # the textbook 3x3 matrix; by hand: lambda_max = 3.0385, CI = 0.0193, RI(3) = 0.58,
    # CR = 0.033, principal eigenvector normalised to 0.637 / 0.258 / 0.105
    w, cr = sp.ahp_weights([[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]])
    np.testing.assert_allclose(w, [0.637, 0.258, 0.105], atol=0.0005)
    assert cr == pytest.approx(0.033, abs=0.001)


def test_ahp_against_pymcdm():
    from pymcdm.weights.subjective import AHP

    rng = np.random.default_rng(3)
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    for n in (3, 4, 5, 7):
        a = np.ones((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                a[i, j] = rng.choice(scale)
                a[j, i] = 1 / a[i, j]
        w, cr = sp.ahp_weights(a, allow_inconsistent=True)  # random judgements
        ref = AHP(matrix=a)
        np.testing.assert_allclose(w, ref(), atol=1e-9)
        # pymcdm uses Tummala & Ling's random index (0.5799 ...) where siteplan uses
        # Saaty's rounded table (0.58 ...): equal to within that rounding
        assert cr == pytest.approx(ref.get_cr(), rel=0.01)


def test_ahp_consistent_matrix_has_cr_zero():
    # built from weights 4:2:1 -> perfectly consistent
    w, cr = sp.ahp_weights([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    np.testing.assert_allclose(w, [4 / 7, 2 / 7, 1 / 7])
    assert cr == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("matrix, match", [
    ([[1, 2], [0.5, 1], [1, 1]], "must be square"),
    ([[1, 0], [0, 1]], "must be positive"),
    ([[1, 3], [3, 1]], "must be reciprocal"),
    ([[2, 3], ["1/3", 1]], "diagonal must be 1"),
    ([[1, "x"], [1, 1]], "numbers or 'a/b' fractions"),
])
def test_ahp_bad_matrices(matrix, match):
    with pytest.raises(sp.SiteplanInputError, match=match):
        sp.ahp_weights(matrix)


def test_ahp_inconsistent_refused_by_default_with_cr():
    bad = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]
    w, cr = sp.ahp_weights(bad, allow_inconsistent=True)
    assert cr > 0.1
    np.testing.assert_allclose(w, [1 / 3] * 3)  # a perfect cycle: no criterion wins
    with pytest.raises(sp.SiteplanInputError, match=rf"CR = {cr:.3f} is above 0.10"):
        sp.ahp_weights(bad)


def test_topsis_against_pymcdm():
    from pymcdm import normalizations
    from pymcdm.methods import TOPSIS

    rng = np.random.default_rng(7)
    for _ in range(20):
        c = rng.random((30, 5))
        w = rng.random(5)
        w /= w.sum()
        ref = TOPSIS(normalization_function=normalizations.vector_normalization)(
            c, w, np.ones(5))
        np.testing.assert_allclose(topsis(c, w), ref, atol=1e-12)


def test_wlc_wgm_owa_by_hand():
    c = np.array([[1.0, 0.5], [0.2, 0.0]])
    w = np.array([0.75, 0.25])
    np.testing.assert_allclose(wlc(c, w), [0.875, 0.15])
    np.testing.assert_allclose(wgm(c, w), [0.5 ** 0.25, 0.0])
    # alpha = 1: equal order weights -> OWA equals WLC
    np.testing.assert_allclose(owa(c, w, owa_order_weights(2, 1.0)), wlc(c, w))
    # alpha large -> all order weight on the worst criterion -> the minimum
    np.testing.assert_allclose(owa(c, w, owa_order_weights(2, 200.0)), [0.5, 0.0], atol=1e-9)


unit = arrays(float, st.tuples(st.integers(1, 12), st.integers(1, 5)),
              elements=st.floats(0, 1, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(c=unit, data=st.data())
def test_aggregates_stay_in_unit_interval_and_match_batched(c, data):
    k = c.shape[1]
    w = np.asarray(data.draw(arrays(float, k, elements=st.floats(0.01, 1))))
    w = w / w.sum()
    for f in (wlc, wgm, topsis, owa):
        s = f(c, w)
        assert np.all((s >= -1e-12) & (s <= 1 + 1e-12))
        batched = f(c, np.vstack([w, w]))
        np.testing.assert_allclose(batched[0], s, atol=1e-12)
