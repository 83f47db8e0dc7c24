"""Transforms at their edges: the boundary values, zero, infinity and NaN, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteplan.methods.transforms import apply_transform, check_transform, saturation_distance

INF, NAN = np.inf, np.nan


def t(spec, values):
    assert check_transform(spec, "test") == []
    return apply_transform(spec, np.asarray(values, dtype=float))


def test_decay_is_not_cut_exactly_at_max_distance():
    # 0.5 ** (x / 100): 1 at 0, 0.5 at 100, 0.125 at 300; 0 only beyond 300
    spec = {"type": "decay", "half_distance": 100, "max_distance": 300}
    just_beyond = np.nextafter(300.0, INF)
    np.testing.assert_array_equal(t(spec, [0, 100, 300, just_beyond, INF, NAN]),
                                  [1, 0.5, 0.125, 0, 0, NAN])
    # without max_distance it only tends to 0
    np.testing.assert_array_equal(t({"type": "decay", "half_distance": 100}, [200, 1000, INF]),
                                  [0.25, 0.5 ** 10, 0])


def test_fuzzy_memberships_at_zero_infinity_and_nan():
    small = {"type": "fuzzy_small", "midpoint": 200, "spread": 3}
    large = {"type": "fuzzy_large", "midpoint": 200, "spread": 3}
    # 1 / (1 + (x / 200) ** 3): x = 400 gives 1 / 9
    np.testing.assert_allclose(t(small, [0, 200, 400, INF]), [1, 0.5, 1 / 9, 0], rtol=1e-15)
    np.testing.assert_allclose(t(large, [0, 200, 400, INF]), [0, 0.5, 8 / 9, 1], rtol=1e-15)
    for spec in (small, large, {"type": "fuzzy_gaussian", "midpoint": 5},
                 {"type": "fuzzy_near", "midpoint": 5}, {"type": "linear", "best": 0,
                                                         "worst": 9}):
        assert np.isnan(t(spec, [NAN])[0]), spec["type"]


def test_linear_at_best_worst_and_beyond():
    spec = {"type": "linear", "best": 100, "worst": 500}
    np.testing.assert_array_equal(t(spec, [0, 100, 300, 500, 900, INF]), [1, 1, 0.5, 0, 0, 0])


def test_threshold_at_each_break_and_nan():
    spec = {"type": "threshold", "breaks": [300, 1000], "values": [1.0, 0.5, 0.0]}
    below = np.nextafter(300.0, -INF)
    np.testing.assert_array_equal(t(spec, [below, 300, np.nextafter(1000.0, -INF), 1000, INF,
                                           NAN]), [1, 0.5, 0.5, 0, 0, NAN])


def test_categorical_without_default_gives_zero_to_other_values():
    spec = {"type": "categorical", "table": {"tanah_kosong": 1.0, "Kebun": 0.5}}
    assert check_transform(spec, "x") == []
    got = apply_transform(spec, ["kebun", " KEBUN ", "tanah_kosong", "sawah", "", None])
    np.testing.assert_array_equal(got, [0.5, 0.5, 1.0, 0, 0, 0])
    # numbers are matched by their text
    got = apply_transform({"type": "categorical", "table": {"1": 1.0, "2": 0.25}}, [2, 1, 3])
    np.testing.assert_array_equal(got, [0.25, 1.0, 0])


@pytest.mark.parametrize("spec, expected", [
    ({"type": "linear", "best": 0, "worst": 800}, 800.0),
    ({"type": "linear", "best": 800, "worst": 0}, None),           # increasing: never 0
    ({"type": "decay", "half_distance": 50, "max_distance": 900}, 900.0),
    ({"type": "decay", "half_distance": 50}, None),
    ({"type": "threshold", "breaks": [300, 1000], "values": [1, 0.5, 0]}, 1000.0),
    ({"type": "threshold", "breaks": [300, 1000], "values": [1, 0, 0]}, 300.0),
    ({"type": "threshold", "breaks": [300, 1000], "values": [0, 0, 0]}, 0.0),
    ({"type": "threshold", "breaks": [300, 1000], "values": [0, 1, 0]}, None),  # not monotone
    ({"type": "threshold", "breaks": [300, 1000], "values": [1, 0.5, 0.2]}, None),
    ({"type": "fuzzy_small", "midpoint": 10}, None),
])
def test_saturation_distance_by_hand(spec, expected):
    assert saturation_distance(spec) == expected


transform_specs = st.one_of(
    st.builds(lambda a, b: {"type": "linear", "best": min(a, b), "worst": max(a, b) + 1},
              st.integers(0, 5000), st.integers(0, 5000)),
    st.builds(lambda a, b: {"type": "linear", "best": max(a, b) + 1, "worst": min(a, b)},
              st.integers(0, 5000), st.integers(0, 5000)),
    st.builds(lambda h, m: {"type": "decay", "half_distance": h, "max_distance": m},
              st.integers(1, 5000), st.integers(0, 5000)),
    st.builds(lambda b, v: {"type": "threshold", "breaks": sorted(b), "values": v},
              st.lists(st.integers(0, 5000), min_size=2, max_size=2),
              st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=3, max_size=3)),
)


@settings(max_examples=150, deadline=None)
@given(spec=transform_specs, beyond=st.floats(0, 1e6, exclude_min=True))
def test_nothing_scores_beyond_the_saturation_distance(spec, beyond):
    # the measures stop searching at saturation_distance: that is only right when the
    # transform is 0 for every raw value beyond it
    s = saturation_distance(spec)
    if s is None:
        return
    x = max(s + beyond, np.nextafter(s, INF))     # strictly beyond, also for tiny ``beyond``
    assert t(spec, [np.nextafter(s, INF), x, INF]).tolist() == [0, 0, 0]
