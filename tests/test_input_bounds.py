"""Hostile and edge input: every number bounded, every text writable, every empty case named.

Each case expects a :class:`siteplan.SiteplanInputError` that names the field,
the value and the bound, within seconds (the bounds are in
:mod:`siteplan.limits`).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import siteplan as sp
from siteplan import limits
from siteplan.features import feature_tree, geoms_of
from siteplan.measures import _nearest
from siteplan.profiles import profile_from_dict


def _crit(**change):
    crit = {"name": "jalan", "measure": "distance", "layer": "roads",
            "transform": {"type": "linear", "best": 0, "worst": 1000}, "weight": 1}
    crit.update(change)
    return crit


def _profile(*criteria, **top):
    return {"name": "uji", "criteria": list(criteria) or [_crit()], **top}


def _refused(data, match):
    t0 = time.perf_counter()
    with pytest.raises(sp.SiteplanInputError, match=match) as info:
        profile_from_dict(data)
    assert time.perf_counter() - t0 < 5
    str(info.value).encode("utf-8")        # the message itself can be written anywhere
    return info.value


# ------------------------------------------------------------------ profile magnitudes


@pytest.mark.parametrize("worst", [1e21, 1e22, 1e300, float("inf"), 10 ** 400])
def test_a_distance_transform_beyond_the_maximum_is_refused(worst):
    _refused(_profile(_crit(transform={"type": "linear", "best": 0, "worst": worst})),
             r"criterion 'jalan' transform: transform parameter 'worst' .*"
             r"(1,000,000 m|finite)")


@pytest.mark.parametrize("key", ["midpoint", "half_distance"])
def test_every_distance_parameter_is_bounded(key):
    spec = {"fuzzy_small": {"type": "fuzzy_small", "midpoint": 2e6},
            "decay": {"type": "decay", "half_distance": 2e6}}
    kind = "fuzzy_small" if key == "midpoint" else "decay"
    _refused(_profile(_crit(transform=spec[kind])),
             rf"'{key}' is 2000000.0, beyond the bound of 1,000,000 m")


def test_travel_time_is_bounded_in_minutes_and_people_are_not_bounded_as_metres():
    _refused(_profile(_crit(measure="travel_time",
                            transform={"type": "linear", "best": 0, "worst": 1e6})),
             "beyond the bound of 20,000 min")
    prof = profile_from_dict(_profile(_crit(
        measure="sum_within", layer="population", column="population", radius=1000,
        transform={"type": "linear", "best": 5e6, "worst": 0})))
    assert prof.criteria[0].transform["best"] == 5e6


@pytest.mark.parametrize("radius", [1e7, 1e309, float("nan"), 10 ** 30, -5, 0])
def test_radius_is_a_finite_distance_within_the_maximum(radius):
    _refused(_profile(_crit(measure="sum_within", layer="population", column="population",
                            radius=radius)),
             r"criterion 'jalan': radius (is .* it must be a number > 0 and <= 1,000,000 m|"
             r"must be a finite number)")


@pytest.mark.parametrize("buffer", [2e6, 1e309, 10 ** 30])
def test_constraint_buffer_is_bounded(buffer):
    _refused(_profile(constraints=[{"type": "outside", "layer": "rivers", "buffer": buffer}]),
             r"constraint 1 \(outside\): buffer must be metres >= 0 and <= 1,000,000")


@pytest.mark.parametrize("alpha", [1e309, 0, 1000.0, 10 ** 400, "2"])
def test_owa_alpha_is_bounded(alpha):
    _refused(_profile(method="owa", owa={"alpha": alpha}), r"\[owa\]: alpha .*(100|finite)")
    prof = profile_from_dict(_profile())
    with pytest.raises(sp.SiteplanInputError, match=r"owa alpha"):
        prof.with_method("owa", alpha=alpha)


@pytest.mark.parametrize("weight", [1e309, float("nan"), 10 ** 400])
def test_weights_beyond_float_are_refused(weight):
    _refused(_profile(_crit(weight=weight)), r"weight of 'jalan' must be a finite number")


def test_missing_is_a_share():
    _refused(_profile(_crit(missing=5)), r"missing is 5, outside the bounds: .* <= 1")


@pytest.mark.parametrize("key, n", [("criteria", 101), ("criteria", 5000),
                                    ("constraints", 101)])
def test_the_number_of_criteria_and_constraints_is_bounded(key, n):
    if key == "criteria":
        data = _profile(*[_crit(name=f"c{i}") for i in range(n)])
    else:
        data = _profile(constraints=[{"type": "min_area", "value": 10}] * n)
    _refused(data, rf"has {n:,} {key}, over the limit of 100")


def test_ahp_judgements_are_bounded():
    crits = [{k: v for k, v in _crit(name=n).items() if k != "weight"} for n in ("a", "b")]
    _refused(_profile(*crits, weights={"order": ["a", "b"], "ahp": [[1, 1e300], [1e-300, 1]]}),
             r"entries must be positive numbers from 1/1e\+06 to 1e\+06")


@pytest.mark.parametrize("place", ["title", "source", "key", "where", "constraint_title"])
def test_a_lone_surrogate_anywhere_in_a_profile_is_refused(place):
    bad = "taman\ud800"
    data = _profile()
    if place == "title":
        data["title"] = {"id": bad, "en": "park"}
    elif place == "source":
        data["criteria"][0]["source"] = bad
    elif place == "key":
        data["criteria"][0][bad] = 1
    elif place == "where":
        data["criteria"][0]["where"] = {"road_class": [bad]}
    else:
        data["constraints"] = [{"type": "min_area", "value": 10, "title": bad}]
    err = _refused(data, r"lone surrogate \('\\ud800'")
    assert "\ud800" not in str(err)


def test_all_weights_at_the_top_of_float_score_as_equal_weights(sample_layers):
    flood = {"name": "banjir", "layer": "flood_zones"}
    big = profile_from_dict(_profile(_crit(weight=1e308), _crit(**flood, weight=1e308)))
    assert [c.weight for c in big.criteria] == [0.5, 0.5]
    one = profile_from_dict(_profile(_crit(weight=1), _crit(**flood, weight=1)))
    a = sp.score(sample_layers, big)
    b = sp.score(sample_layers, one)
    assert a["score"].max() > 0
    np.testing.assert_array_equal(a["score"].to_numpy(), b["score"].to_numpy())
    again = one.with_weights({"jalan": 1.7e308, "banjir": 1.7e308})
    assert [c.weight for c in again.criteria] == [0.5, 0.5]


# ------------------------------------------------------------------ the compiled search


def test_the_compiled_search_ends_for_any_reach(sample_layers):
    """A reach past int64 cells once spun for ever; the cell bounds are clamped now."""
    if not _nearest.available():
        pytest.skip("numba is not available")
    geoms = geoms_of(sample_layers["parcels"])[:200]
    _, _, feats = feature_tree(sample_layers, "roads", {}, context="test")
    grid = _nearest.feature_grid(feats)
    want, _ = _nearest.nearest(geoms, grid, None)
    got = {}

    def run():
        for limit in (1e21, 1e22, 1e300, np.inf):
            got[limit] = _nearest.nearest(geoms, grid, limit)[0]

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the compiled search did not end with a huge reach"
    for d in got.values():
        np.testing.assert_array_equal(d, want)


def test_the_bounds_are_documented():
    doc = limits.__doc__
    for name in ("MAX_DISTANCE", "MAX_MINUTES", "MAX_CRITERIA", "MAX_CONSTRAINTS",
                 "MAX_DRAWS", "MAX_SEED", "OWA_ALPHA", "MAX_PAIRS", "MAX_WINDOW_CELLS"):
        assert name in doc
