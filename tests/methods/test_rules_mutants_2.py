"""More tests for the mutants mutmut found alive (docs/mutation-report.md).

Transform checks at their exact boundaries (a midpoint, spread or half distance of
exactly 0 refused, a small positive one accepted; a parameter exactly at its bound
accepted, one beyond refused), the bounds on the parameters in the measure's unit
against the others, and the messages that name the field, its unit and the fix.
Constraint rules: their profile checks at the bounds, their labels, the candidate
columns, the errors naming the rule, and ``outside`` on tiny worlds of whole-metre
boxes and lines (no buffer, a buffer of 1 m, long lines cut into pieces, pieces cached
per layer and filter). Every expected value is worked out by hand in the comment
beside it.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan.limits import MAX_DISTANCE, MAX_MAGNITUDE
from siteplan.methods.constraints import (
    CONSTRAINT_TYPES,
    broken_rules,
    candidate_mask,
    constraint_label,
    no_candidate_problem,
)
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


# ------------------------------------------------------------------------ constraints

from test_rules_mutants import CRS, X0, Y0, box, frame  # noqa: E402, F401  (the tiny world)


def broken(parcels: dict, *rules, extra=None, columns=None) -> dict[str, list[bool]]:
    """Parcel id -> which of ``rules`` it breaks (constraints.broken_rules on loaded layers)."""
    layers = sp.load_layers(parcels=frame(parcels.values(), parcel_id=list(parcels),
                                          **(columns or {})), extra=extra or {})
    out = broken_rules(layers["parcels"], list(rules), layers)
    return {i: out[k].tolist() for k, i in enumerate(parcels)}


def rule_problems(kind, con):
    found: list = []
    CONSTRAINT_TYPES[kind].check(con, "w", found)
    return [(p.where, p.what) for p in found]


def test_rule_checks_at_their_bounds_show_the_value_given():
    # value > 0 strictly: 0 is refused (its value shown), 0.5 and exactly 1e15 are taken
    assert rule_problems("min_area", {"value": 0}) == \
        [("w", "needs value = <m²> > 0 and <= 1e+15, got 0")]
    assert rule_problems("min_area", {}) == [("w", "needs value = <m²> > 0 and <= 1e+15")]
    assert rule_problems("max_area", {"value": 0.5}) == []
    assert rule_problems("max_area", {"value": MAX_MAGNITUDE}) == []
    # a buffer from 0 to exactly 1,000,000 m
    for buffer in (0, 1_000_000):
        assert rule_problems("inside", {"layer": "zona", "buffer": buffer}) == []
    assert [w for _, w in rule_problems("outside", {"layer": "zona", "buffer": 1_000_001})] == \
        ["buffer must be metres >= 0 and <= 1,000,000 (the bound siteplan.limits.MAX_DISTANCE)"
         ", got 1000001"]
    # min and max of an attribute: any number within 1e15 of 0, both ends included
    assert rule_problems("attribute", {"column": "c", "min": -MAX_MAGNITUDE,
                                       "max": MAX_MAGNITUDE}) == []
    assert rule_problems("attribute", {"column": "c", "min": -1e16}) == \
        [("w", "min must be a number within 1e+15 of 0, got -1e+16")]


def test_in_and_not_in_must_be_lists_of_plain_values():
    assert rule_problems("attribute", {"column": "c", "in": ["pemda", 3, 1.5, True]}) == []
    assert rule_problems("attribute", {"column": "c", "in": "pemda"}) == \
        [("w", "in must be a list of values, got 'pemda'")]
    assert rule_problems("attribute", {"column": "c", "not_in": [["sawah"]]}) == \
        [("w", "not_in must be a list of values, got [['sawah']]")]


def test_outside_checks_its_layer_and_every_raster_key_given():
    assert rule_problems("outside", {"layer": 5}) == \
        [("w", "needs layer = \"<layer name>\", got 5")]
    # all five raster keys given, one of them wrong
    con = {"layer": "lc", "at_least": 1, "values": [3], "slope_above": 5,
           "slope_unit": "percent", "max_share": 2}
    assert rule_problems("outside", con) == [("w", "max_share must be a share from 0 to 1, "
                                                   "got 2")]
    assert rule_problems("outside", {**con, "max_share": 1}) == []


def test_labels_name_the_rule_its_filter_unit_and_share():
    assert constraint_label({"type": "inside", "layer": "zona"}) == "inside zona"
    assert constraint_label({"type": "inside", "layer": "zona", "buffer": 5,
                             "where": {"kind": ["a", "b"], "jenis": ["x"]}}) == \
        "inside zona kind=['a', 'b'] jenis=['x'] +5 m"
    assert constraint_label({"type": "outside", "layer": "sungai",
                             "where": {"kind": ["a"], "jenis": ["x"]}}) == \
        "outside sungai kind=['a'] jenis=['x'] +0 m"
    assert constraint_label({"type": "outside", "layer": "dem", "slope_above": 15}) == \
        "outside dem slope > 15 percent"
    assert constraint_label({"type": "outside", "layer": "dem", "slope_above": 15,
                             "slope_unit": "degrees"}) == "outside dem slope > 15 degrees"
    assert constraint_label({"type": "outside", "layer": "lc", "values": [3, 4]}) == \
        "outside lc in [3, 4]"
    # max_share 0.1 is 10 % of the parcel; 0 says nothing
    assert constraint_label({"type": "outside", "layer": "lc", "at_least": 0.67,
                             "max_share": 0.1}) == "outside lc >= 0.67 (up to 10% of the parcel)"
    assert constraint_label({"type": "outside", "layer": "lc", "at_least": 0.67,
                             "max_share": 0}) == "outside lc >= 0.67"


def test_candidate_mask_needs_every_column_and_reads_missing_as_no():
    parcels = frame([box(0, 0, 1, 1)] * 4, parcel_id=["a", "b", "c", "d"],
                    status=["pemda", "pemda", "swasta", None],
                    guna=["kosong", "sawah", "kosong", "kosong"])
    cands = {"status": ("Pemda",), "guna": ("kosong",)}
    assert candidate_mask(parcels, cands, "ctx").tolist() == [True, False, False, False]
    assert candidate_mask(parcels, {"status": ("pemda",)}, "ctx").tolist() == \
        [True, True, False, False]
    with pytest.raises(sp.SiteplanInputError) as info:
        candidate_mask(parcels, {"milik": ("pemda",)}, "ctx")
    assert "which the parcels do not have (they have: parcel_id, status, guna)" in \
        str(info.value)


def test_no_candidate_problem_with_thirteen_values_shows_one_more():
    import pandas as pd

    values = [f"v{i:02d}" for i in range(13)]
    p = no_candidate_problem([pd.DataFrame({"kind": values})], {"kind": ("ok",)}, "c")
    assert p.what.endswith("'v11' (1) and 1 more)")


def test_errors_of_a_rule_name_the_profile_rule_and_the_fix():
    parcels = {"A": box(0, 0, 10, 10)}
    with pytest.raises(sp.SiteplanInputError) as info:
        broken(parcels, {"type": "attribute", "column": "lantai", "min": 1})
    text = str(info.value)
    # (the loader adds area_m2 to the parcels)
    assert text == "profile 'profile' constraint 1 (attribute): reads column 'lantai' of " \
        "layer 'parcels', which it does not have (it has: parcel_id, area_m2). Fix: fix " \
        "'column' or add it to the parcels"
    for kind in ("inside", "outside"):
        with pytest.raises(sp.SiteplanInputError) as info:
            broken(parcels, {"type": "min_area", "value": 1}, {"type": kind, "layer": "zona"})
        assert f"profile 'profile' constraint 2 ({kind}): needs layer 'zona'" in \
            str(info.value)


def test_outside_without_buffer_reads_the_shape_and_the_where_filter():
    # an L-shaped zone (0-20 x 0-20 without its north-east quarter) of kind "a", and a
    # box of kind "b": A lies in the arm, B in the missing quarter (inside the zone's box
    # only), C inside the "b" box only
    zone = shapely.Polygon([(X0, Y0), (X0 + 20, Y0), (X0 + 20, Y0 + 10), (X0 + 10, Y0 + 10),
                            (X0 + 10, Y0 + 20), (X0, Y0 + 20)])
    zones = frame([zone, box(100, 0, 120, 20)], kind=["a", "b"])
    parcels = {"A": box(2, 2, 4, 4), "B": box(14, 14, 16, 16), "C": box(105, 5, 110, 10)}
    got = broken(parcels, {"type": "outside", "layer": "zona", "where": {"kind": ["a"]}},
                 extra={"zona": zones})
    assert got == {"A": [True], "B": [False], "C": [False]}


def test_outside_with_a_buffer_of_one_metre_and_long_lines_cut_in_pieces():
    # rivers: a line of 34 vertices 1 m apart along y = 0 (x 0..33), one of 33 along y = 100
    # (x 0..32); a 200 x 200 m pond of 21 vertices (one every 40 m). P is 5 m west of the
    # first vertex, Q 5 m east of the last, R 95 m inside the pond, S 45 m from everything,
    # T 0.5 m north of the second river
    line34 = shapely.LineString([(X0 + x, Y0) for x in range(34)])
    line33 = shapely.LineString([(X0 + x, Y0 + 100) for x in range(33)])
    pond = shapely.segmentize(box(200, -100, 400, 100), 40)
    assert shapely.get_num_coordinates(pond) == 21
    rivers = frame([line34, line33, pond], kind=["sungai", "sungai", "kolam"])
    parcels = {"P": box(-10, -5, -5, 5), "Q": box(38, -5, 43, 5), "R": box(295, -5, 305, 5),
               "S": box(-10, 50, -5, 55), "T": box(10, 100.5, 20, 110)}
    got = broken(parcels, {"type": "outside", "layer": "air", "buffer": 6},
                 {"type": "outside", "layer": "air", "buffer": 1},
                 extra={"air": rivers})
    # P and Q are 5 m (< 6) from a line's end; T is 0.5 m (< 1) from the second river
    assert got == {"P": [True, False], "Q": [True, False], "R": [True, True],
                   "S": [False, False], "T": [True, True]}


def test_outside_pieces_are_kept_apart_by_layer_and_filter():
    # the same rule with a buffer on one layer under two filters, and on two layers with no
    # filter: each reads its own features (Q is 5 m from the pond only)
    river = shapely.LineString([(X0 + x, Y0) for x in range(34)])
    pond = box(100, 0, 110, 10)
    air = frame([river, pond], kind=["sungai", "kolam"])
    danau = frame([box(1000, 0, 1010, 10)])
    parcels = {"Q": box(115, 0, 125, 10)}
    got = broken(parcels,
                 {"type": "outside", "layer": "air", "buffer": 6, "where": {"kind": ["sungai"]}},
                 {"type": "outside", "layer": "air", "buffer": 6, "where": {"kind": ["kolam"]}},
                 {"type": "outside", "layer": "danau", "buffer": 6},
                 {"type": "outside", "layer": "air", "buffer": 6},
                 extra={"air": air, "danau": danau})
    assert got == {"Q": [False, True, False, True]}


def test_outside_a_raster_by_class_and_a_rule_that_names_no_cells(tmp_path):
    from test_rules_constraints import rbox, write_tif

    from siteplan.methods.constraints import raster_rule

    assert raster_rule({"layer": "lc", "values": [3]}, "c") == (None, [3], None)
    assert raster_rule({"layer": "lc", "at_least": 2}, "c") == (2, None, None)
    # land classes in 10 m cells: the west column 3, the next 4, the rest 1; A lies on one
    # cell of class 3, B on one of class 4, C on one of class 1
    classes = np.ones((10, 10))
    classes[:, 0], classes[:, 1] = 3, 4
    lc = write_tif(tmp_path / "lc.tif", classes)
    parcels = {"A": rbox(0, 0, 10, 10), "B": rbox(10, 0, 20, 10), "C": rbox(30, 0, 40, 10)}
    got = broken(parcels, {"type": "outside", "layer": "lc", "values": [3]},
                 {"type": "outside", "layer": "lc", "values": [3, 4]}, extra={"lc": lc})
    assert got == {"A": [True, True], "B": [False, True], "C": [False, False]}
    with pytest.raises(sp.SiteplanInputError) as info:
        broken(parcels, {"type": "outside", "layer": "lc", "max_share": 0.1}, extra={"lc": lc})
    assert str(info.value).startswith("profile 'profile' constraint 1 (outside): 'outside' "
                                      "the raster 'lc' needs at_least, values or slope_above")


@pytest.mark.parametrize("kind", ["inside", "outside"])
def test_a_buffer_over_the_pair_limit_is_named_with_the_rule_and_the_fix(kind, monkeypatch):
    # two parcels inside two overlapping zones: with a 50 m buffer each parcel has both
    # zones near it, 2 x 2 = 4 pairs, over a limit of 3; without a buffer nothing is counted
    monkeypatch.setattr("siteplan.limits.MAX_PAIRS", 3)
    zones = frame([box(0, 0, 100, 100), box(0, 0, 50, 50)])
    parcels = {"A": box(10, 10, 20, 20), "B": box(30, 30, 40, 40)}
    with pytest.raises(sp.SiteplanInputError) as info:
        broken(parcels, {"type": kind, "layer": "zona", "buffer": 50}, extra={"zona": zones})
    assert str(info.value) == (
        f"profile 'profile' constraint 1 ({kind}): buffer 50 m puts about 2 features of layer "
        "'zona' near each of 2 parcels, about 4 pairs, over the limit of 3 "
        "(siteplan.limits.MAX_PAIRS). Fix: use a smaller buffer, or fewer features (a 'where' "
        "filter)")
    got = broken(parcels, {"type": kind, "layer": "zona"}, extra={"zona": zones})
    assert got == {"A": [kind == "outside"], "B": [kind == "outside"]}
