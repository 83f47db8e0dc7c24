"""More tests for the mutants mutmut found alive (docs/mutation-report.md).

Transform checks at their exact boundaries (a midpoint, spread or half distance of
exactly 0 refused, a small positive one accepted; a parameter exactly at its bound
accepted, one beyond refused), the bounds on the parameters in the measure's unit
against the others, and the messages that name the field, its unit and the fix.
Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import numpy as np
import pytest

from siteplan.limits import MAX_DISTANCE, MAX_MAGNITUDE
from siteplan.methods.transforms import (
    TRANSFORMS,
    apply_transform,
    check_transform,
    saturation_distance,
)


def problems(spec, **kw):
    return [(p.where, p.what, p.fix) for p in check_transform(spec, "w", **kw)]


def whats(spec, **kw):
    return [p.what for p in check_transform(spec, "w", **kw)]


# ------------------------------------------------------------------------ curve parameters


@pytest.mark.parametrize("kind", ["fuzzy_small", "fuzzy_large"])
def test_a_ratio_membership_refuses_a_midpoint_of_zero_and_takes_half(kind):
    # (x / midpoint) ** spread needs midpoint > 0: 0 and -1 are refused, 0.5 is fine
    for bad in (0, -1):
        assert whats({"type": kind, "midpoint": bad}) == \
            [f"{kind} midpoint must be > 0, got {bad}"]
    assert problems({"type": kind, "midpoint": 0.5}) == []


@pytest.mark.parametrize("kind", ["fuzzy_gaussian", "fuzzy_near"])
def test_a_bell_membership_takes_a_midpoint_of_zero_or_below(kind):
    # (x - midpoint) ** 2 works for any midpoint: a bell around 0 or -5 m is fine
    assert problems({"type": kind, "midpoint": 0}) == []
    assert problems({"type": kind, "midpoint": -5}) == []


@pytest.mark.parametrize("kind", ["fuzzy_small", "fuzzy_large", "fuzzy_gaussian",
                                  "fuzzy_near"])
def test_a_spread_of_zero_is_refused_and_half_is_taken(kind):
    assert whats({"type": kind, "midpoint": 10, "spread": 0}) == \
        [f"{kind} spread must be > 0, got 0"]
    assert problems({"type": kind, "midpoint": 10, "spread": 0.5}) == []


def test_a_half_distance_of_zero_is_refused_and_half_a_metre_is_taken():
    for bad in (0, -3):
        assert whats({"type": "decay", "half_distance": bad}) == \
            ["decay half_distance must be > 0"]
    assert problems({"type": "decay", "half_distance": 0.5}) == []


def test_linear_alone_is_clipped_to_zero_and_one():
    # best 100, worst 500: (x - 500) / -400 is 1.25 at 0, 0.5 at 300, -1 at 900
    got = TRANSFORMS["linear"][0](np.array([0.0, 300.0, 900.0, 2000.0]), best=100.0,
                                  worst=500.0)
    np.testing.assert_array_equal(got, [1.0, 0.5, 0.0, 0.0])


def test_linear_with_best_equal_to_worst_never_saturates():
    # such a table is refused by the check; unchecked, (x - 5) / 0 is +inf beyond worst,
    # clipped to 1: nothing is 0 beyond worst, so there is no distance to stop at
    assert saturation_distance({"type": "linear", "best": 5, "worst": 5}) is None
    assert saturation_distance({"type": "linear", "best": 4, "worst": 5}) == 5.0


def test_apply_transform_reads_none_as_missing():
    # a list with None: read as float, None is NaN and stays NaN
    got = apply_transform({"type": "linear", "best": 0, "worst": 10}, [0, None, 5])
    np.testing.assert_array_equal(got, [1.0, np.nan, 0.5])
    got = apply_transform({"type": "threshold", "breaks": [3], "values": [1.0, 0.0]},
                          [2, None, 3])
    np.testing.assert_array_equal(got, [1.0, np.nan, 0.0])


def test_categorical_matches_each_value_by_its_own_text():
    # 2 and 1.5 in one list: 2 is "2" (not "2.0", as it would be in a float array)
    spec = {"type": "categorical", "table": {"2": 1.0, "1.5": 0.25}}
    np.testing.assert_array_equal(apply_transform(spec, [2, 1.5, 3]), [1.0, 0.25, 0.0])


# ------------------------------------------------------------------------ categorical table


def test_categorical_table_must_be_a_non_empty_table():
    msg = "categorical 'table' must map values to numbers in [0, 1]"
    for table in ({}, [], "pemda", 1):
        assert whats({"type": "categorical", "table": table}) == [msg], table


def test_categorical_default_must_lie_in_zero_one():
    spec = {"type": "categorical", "table": {"a": 1.0}}
    assert problems({**spec, "default": 1}) == []
    assert problems({**spec, "default": 0}) == []
    assert whats({**spec, "default": 2}) == \
        ["categorical values must be numbers in [0, 1], got {'default': 2}"]
    # a default far beyond any bound is still a value outside [0, 1], not a magnitude
    assert whats({**spec, "default": 1e16}) == \
        ["categorical values must be numbers in [0, 1], got {'default': 1e+16}"]


# ------------------------------------------------------------------------ magnitudes


def test_a_location_parameter_is_bounded_by_the_measure_and_the_others_by_max_magnitude():
    m = "transform parameter 'worst' is 2000000, beyond the bound of 1,000,000 m"
    fix = "use a value within 1,000,000 m of 0 (see siteplan.limits)"
    assert problems({"type": "linear", "best": 0, "worst": 2_000_000},
                    bound=MAX_DISTANCE, unit="m") == [("w", m, fix)]
    # exactly at the bound is fine
    assert problems({"type": "linear", "best": 0, "worst": 1_000_000},
                    bound=MAX_DISTANCE, unit="m") == []
    assert problems({"type": "linear", "best": -1_000_000, "worst": 0},
                    bound=MAX_DISTANCE, unit="m") == []
    # a spread is no distance: bounded by MAX_MAGNITUDE (1e15), not by the 1,000,000 m,
    # and its message carries no unit
    assert problems({"type": "fuzzy_near", "midpoint": 0, "spread": 2_000_000},
                    bound=MAX_DISTANCE, unit="m") == []
    assert problems({"type": "fuzzy_near", "midpoint": 0, "spread": MAX_MAGNITUDE},
                    bound=MAX_DISTANCE, unit="m") == []
    assert problems({"type": "fuzzy_near", "midpoint": 0, "spread": 1e16},
                    bound=MAX_DISTANCE, unit="m") == \
        [("w", "transform parameter 'spread' is 1e+16, beyond the bound of 1e+15",
          "use a value within 1e+15 of 0 (see siteplan.limits)")]
    # without a unit a location parameter's message has none either
    assert whats({"type": "linear", "best": 0, "worst": 2_000_000}, bound=MAX_DISTANCE) == \
        ["transform parameter 'worst' is 2000000, beyond the bound of 1,000,000"]


def test_every_parameter_beyond_its_bound_is_named():
    assert whats({"type": "linear", "best": -2_000_000, "worst": 3_000_000},
                 bound=MAX_DISTANCE, unit="m") == \
        ["transform parameter 'best' is -2000000, beyond the bound of 1,000,000 m",
         "transform parameter 'worst' is 3000000, beyond the bound of 1,000,000 m"]


def test_threshold_breaks_are_bounded_and_its_values_checked_to_lie_in_zero_one():
    # breaks are distances: each is checked (once per list), even after the values
    spec = {"type": "threshold", "values": [1.0, 0.5, 0.0], "breaks": [0, 2_000_000]}
    assert whats(spec, bound=MAX_DISTANCE, unit="m") == \
        ["transform parameter 'breaks' is 2000000, beyond the bound of 1,000,000 m"]
    spec = {"type": "threshold", "values": [1.0, 0.5, 0.0],
            "breaks": [2_000_000, 3_000_000]}
    assert whats(spec, bound=MAX_DISTANCE, unit="m") == \
        ["transform parameter 'breaks' is 2000000, beyond the bound of 1,000,000 m"]
    # a huge value is a value outside [0, 1], not a magnitude
    spec = {"type": "threshold", "breaks": [0, 10], "values": [1.0, 0.5, 1e16]}
    assert whats(spec, bound=MAX_DISTANCE, unit="m") == \
        ["threshold values must lie in [0, 1], got [1.0, 0.5, 1e+16]"]


def test_unknown_parameters_are_named_with_the_ones_allowed():
    assert problems({"type": "decay", "half_distance": 5, "radius": 9}) == \
        [("w", "transform 'decay' has unknown parameter(s) radius",
          "use only: half_distance, max_distance")]
    assert problems({"type": "linear", "best": 0, "worst": 5, "spread": 1})[0][2] == \
        "use only: best, worst"
