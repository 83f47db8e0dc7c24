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
from siteplan.layers.features import feature_tree, geoms_of
from siteplan.measures import _nearest
from siteplan.profiles.profile import profile_from_dict


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


# ------------------------------------------------------------------ no candidate, empty selections


def _municipal(layers):
    parcels = layers["parcels"].copy()
    parcels["ownership"] = np.where(np.arange(len(parcels)) % 3 == 0, "municipal", "private")
    return layers.replace(parcels=parcels)


@pytest.mark.parametrize("name", sp.list_profiles())
def test_no_candidate_parcel_is_a_clear_error(sample_layers, name):
    other = _municipal(sample_layers)
    with pytest.raises(sp.SiteplanInputError,
                       match=r"\[candidates\]: no parcel is a candidate \(ownership: the "
                             r"profile accepts 'pemda'.*the parcels have 'private' \(4,000\), "
                             r"'municipal' \(2,000\)\)\. Fix: recode"):
        sp.score(other, name)


MEASURE_CASES = {
    "distance": {"layer": "roads"},
    "count_within": {"layer": "pois", "radius": 1000.0},
    "sum_within": {"layer": "population", "column": "population", "radius": 1000.0},
    "area": {},
    "attribute": {"column": "area_m2"},
    "overlap_share": {"layer": "flood_zones"},
    "zonal": {"layer": "flood_hazard"},
    "slope": {"layer": "dem"},
    "network_distance": {"layer": "pois"},
    "travel_time": {"layer": "pois"},
    "network_catchment": {"layer": "population", "column": "population", "radius": 1000.0},
    "rth_shortfall": {"column": "population"},
    "pop_beyond_reach": {"radius": 500.0},
    "access_gain": {"layer": "pois", "radius": 1000.0, "threshold": 1e-5},
}


def test_the_cases_cover_every_measure():
    assert set(MEASURE_CASES) == set(sp.measures.MEASURES)


@pytest.mark.parametrize("measure", sorted(MEASURE_CASES))
def test_every_measure_takes_no_parcel(sample_layers, measure):
    from siteplan.criterion import Criterion
    from siteplan.measures import measure_criterion

    crit = Criterion(name="c", measure=measure, weight=1.0,
                     transform={"type": "linear", "best": 0, "worst": 1},
                     **MEASURE_CASES[measure])
    values, _, _ = measure_criterion(crit, sample_layers["parcels"].iloc[0:0], sample_layers)
    assert len(values) == 0


CONSTRAINT_CASES = [
    {"type": "min_area", "value": 500}, {"type": "max_area", "value": 500},
    {"type": "outside", "layer": "rivers", "buffer": 15}, {"type": "outside", "layer": "sawah"},
    {"type": "outside", "layer": "flood_hazard", "at_least": 0.67},
    {"type": "outside", "layer": "dem", "slope_above": 15, "max_share": 0.1},
    {"type": "inside", "layer": "admin"}, {"type": "inside", "layer": "admin", "buffer": 10},
    {"type": "attribute", "column": "land_use", "not_in": ["sawah"]},
    {"type": "attribute", "column": "area_m2", "min": 10},
]


def test_the_cases_cover_every_constraint_type():
    from siteplan.methods.constraints import CONSTRAINT_TYPES

    assert {c["type"] for c in CONSTRAINT_CASES} == set(CONSTRAINT_TYPES)


@pytest.mark.parametrize("con", CONSTRAINT_CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_every_constraint_takes_no_parcel(sample_layers, con):
    from siteplan.methods.constraints import broken_rules

    assert broken_rules(sample_layers["parcels"].iloc[0:0], [con], sample_layers).shape == (0, 1)


def test_every_candidate_excluded_scores_nothing_without_a_crash(sample_layers):
    prof = profile_from_dict({
        "name": "uji", "candidates": {"ownership": ["pemda"]},
        "constraints": [{"type": "min_area", "value": 1e12}],
        "criteria": [_crit(), {"name": "banjir", "measure": "zonal", "layer": "flood_hazard",
                               "transform": {"type": "linear", "best": 0, "worst": 1},
                               "weight": 1}]})
    res = sp.score(sample_layers, prof)
    assert len(res) and not res["eligible"].any() and res["score"].isna().all()
    with pytest.raises(sp.SiteplanInputError, match="no eligible site"):
        sp.select_sites(res, sample_layers, k=2)


# ------------------------------------------------------------------ selection, sensitivity


@pytest.fixture(scope="module")
def scored(sample_layers):
    return sp.score(sample_layers, "fasilitas_publik")


def test_min_score_selects_under_copy_on_write(scored, sample_layers):
    chosen = sp.select_sites(scored, sample_layers, k=2, min_score=50)
    assert len(chosen) == 2 and (chosen["score"] >= 50).all()
    with pytest.raises(sp.SiteplanInputError, match=r"no eligible site scores min_score=99\.9"):
        sp.select_sites(scored, sample_layers, k=2, min_score=99.9)


@pytest.mark.parametrize("change, match", [
    ({"radius": float("nan")}, r"radius must be a finite number, got nan"),
    ({"radius": float("inf")}, r"radius must be a finite number, got inf"),
    ({"radius": 1e7}, r"radius is 10000000.0, .*<= 1,000,000 m"),
    ({"min_score": float("nan")}, r"min_score must be a finite number"),
    ({"min_score": 150}, r"min_score is 150, .*<= 100"),
    ({"min_spacing": float("inf")}, r"min_spacing must be a finite number"),
    ({"k": 10 ** 20}, r"k is 100000000000000000000, .*<= 100,000"),
    ({"k": 10 ** 400}, r"k is an integer of 401 digits, .*<= 100,000"),
    ({"cell": 0.001}, r"cell is 0.001, .*>= 10"),
])
def test_selection_arguments_are_bounded(scored, sample_layers, change, match):
    t0 = time.perf_counter()
    with pytest.raises(sp.SiteplanInputError, match=match):
        sp.select_sites(scored, sample_layers, **{"k": 2, **change})
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("change, match", [
    ({"seed": -1}, r"seed is -1, .*>= 0"),
    ({"seed": 2 ** 64}, r"seed is 18446744073709551616, .*<= 9,223,372,036,854,775,807"),
    ({"draws": 100_000_000_000}, r"draws is 100000000000, .*<= 100,000"),
    ({"spread": float("nan")}, r"spread must be a finite number"),
])
def test_sensitivity_settings_are_bounded(scored, change, match):
    t0 = time.perf_counter()
    with pytest.raises(sp.SiteplanInputError, match=match):
        sp.sensitivity(scored, "fasilitas_publik", **change)
    assert time.perf_counter() - t0 < 5


def test_sensitivity_bounds_draws_times_sites(scored):
    """The ranks of every draw are kept: draws x sites is bounded (MAX_RANK_CELLS)."""
    import pandas as pd

    elig = scored.loc[scored["eligible"]]
    many = pd.concat([elig] * (1100 // len(elig) + 1), ignore_index=True)
    many.attrs = scored.attrs
    draws = limits.MAX_RANK_CELLS // len(many) + 1
    assert draws <= limits.MAX_DRAWS
    t0 = time.perf_counter()
    with pytest.raises(sp.SiteplanInputError, match=rf"draws={draws:,} for {len(many):,} "
                                                    r"scored sites would rank .* over the limit"
                                                    r" of 100,000,000"):
        sp.sensitivity(many, "fasilitas_publik", draws=draws)
    assert time.perf_counter() - t0 < 5


# ------------------------------------------------------------------ allocation


def test_allocation_arguments_are_bounded(sample_layers, scored):
    results = {"fasilitas_publik": scored}
    for kwargs, match in [
        ({"demand": {"fasilitas_publik": 2 ** 64}}, r"demand\['fasilitas_publik'\]: must be a "
                                                    r"whole number of sites from 0 to 100,000"),
        ({"demand": {"fasilitas_publik": 1}, "fixed": {"a\ud800": "fasilitas_publik"}},
         r"lone surrogate \('\\ud800'"),
        ({"demand": {"fasilitas_publik": 1}, "exclude": ["\ud800"]},
         r"exclude\[0\] holds a lone surrogate"),
        ({"demand": {"fasilitas_publik": 1}, "objective": "coverage", "radius": float("inf")},
         r"radius\['fasilitas_publik'\]: must be > 0 and <= 1,000,000 metres, got inf"),
        ({"demand": {"fasilitas_publik": 1}, "time_limit": float("nan")},
         r"time_limit must be a finite number"),
    ]:
        with pytest.raises(sp.SiteplanInputError, match=match) as info:
            sp.allocate(results, sample_layers, **kwargs)
        str(info.value).encode("utf-8")


# ------------------------------------------------------------------ measures on their own, work


def test_a_standalone_radius_is_bounded(sample_layers):
    parcels = sample_layers["parcels"].head(3)
    for radius in (1e7, float("nan"), float("inf")):
        t0 = time.perf_counter()
        with pytest.raises(sp.SiteplanInputError, match=r"sp\.measures\.sum_within: radius"):
            sp.measures.sum_within(parcels, sample_layers["population_kelurahan"],
                                   radius=radius, column="population")
        assert time.perf_counter() - t0 < 5


def test_a_radius_putting_every_feature_near_every_parcel_is_refused(sample_layers):
    """20,000 points within reach of each of 6,000 parcels: 1.2e8 pairs, over MAX_PAIRS."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = sample_layers["parcels"].total_bounds
    pts = gpd.GeoDataFrame({"population": np.ones(20_000)}, crs=sample_layers.crs,
                           geometry=shapely.points(rng.uniform(x0, x1, 20_000),
                                                   rng.uniform(y0, y1, 20_000)))
    t0 = time.perf_counter()
    with pytest.raises(sp.SiteplanInputError, match=r"radius 1e\+06 m puts about 20,000 "
                                                     r"features .* over the limit of "
                                                     r"100,000,000"):
        sp.measures.count_within(sample_layers["parcels"], pts, radius=1e6)
    assert time.perf_counter() - t0 < 10
    # a radius that reaches a few of them is measured as before
    near = sp.measures.count_within(sample_layers["parcels"], pts, radius=100)
    assert near.sum() > 0


def test_a_huge_buffer_reads_only_the_raster(sample_layers):
    """A 1,000 km buffer on a 100 m raster: the window is cropped to the raster."""
    from siteplan.layers.raster import window_cells, zonal_stats

    raster = sample_layers["population"]
    geoms = geoms_of(sample_layers["parcels"].head(2))
    import shapely

    big = shapely.buffer(geoms, 1e6, quad_segs=4)
    assert window_cells(raster, tuple(shapely.total_bounds(big))) <= (
        (raster.width + 2) * (raster.height + 2))
    total = zonal_stats(big, sample_layers.crs, raster, "sum")
    whole = zonal_stats(np.array([shapely.box(*raster.bounds).buffer(1000)]),
                        sample_layers.crs, raster, "sum")
    np.testing.assert_allclose(total, whole[0], rtol=1e-9)


def test_parcels_far_from_every_layer_are_warned_about(sample_layers):
    from siteplan._errors import SiteplanDataWarning

    parcels = sample_layers["parcels"].copy()
    parcels["geometry"] = parcels.geometry.translate(5_000_000, 0)
    with pytest.warns(SiteplanDataWarning, match=r"candidate parcels lie more than 100 km from "
                                                 r"the extent of .*layer 'roads' \(454 of 454 "
                                                 r"parcels, the farthest 4,99\d km away\)") as w:
        sp.score(sample_layers.replace(parcels=parcels), "wisata_religi")
    assert w[0].filename == __file__


@pytest.mark.parametrize("gap_km", [60, 95, 200])
def test_far_parcels_are_counted_one_by_one(sample_layers, gap_km):
    """Roads moved west of the parcels: those farther than 100 km from the roads' extent
    are counted (box to box, as shapely measures it), the nearer ones are not."""
    import warnings

    import shapely

    from siteplan._errors import SiteplanDataWarning
    from siteplan.profiles.profile import profile_from_dict

    roads = sample_layers["roads"].copy()
    parcels = sample_layers["parcels"]
    roads["geometry"] = roads.geometry.translate(
        parcels.total_bounds[0] - roads.total_bounds[2] - gap_km * 1000.0, 0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = sp.score(sample_layers.replace(roads=roads), profile_from_dict({
            "name": "far", "title": {"id": "Jauh", "en": "Far"}, "method": "wlc",
            "criteria": [{"name": "near_road", "measure": "distance", "layer": "roads",
                          "transform": {"type": "linear", "best": 0, "worst": 1000},
                          "weight": 1}]}))
    cands = res[res["status"] != "rejected"]
    boxes = shapely.box(*cands.geometry.bounds.to_numpy().T)
    far = int((shapely.distance(boxes, shapely.box(*roads.total_bounds)) > 100_000).sum())
    said = [str(x.message) for x in w if issubclass(x.category, SiteplanDataWarning)
            and "lie more than" in str(x.message)]
    assert (far > 0) == (gap_km > 60) and (far < len(cands)) == (gap_km < 200)
    if far:
        assert len(said) == 1 and f"layer 'roads' ({far:,} of {len(cands):,} parcels" in said[0]
    else:
        assert not said


# ------------------------------------------------------------------ the command line


def _cli(args, capsys):
    from siteplan.cli import main

    t0 = time.perf_counter()
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err, time.perf_counter() - t0


@pytest.mark.parametrize("args, match", [
    (["select", "--sample", "--profile", "rth", "--radius", "nan"],
     r"--radius must be a finite number, got nan\. Fix: give --radius 1000"),
    (["select", "--sample", "--profile", "rth", "--radius",
      "inf"], r"--radius must be a finite number"),
    (["select", "--sample", "--profile", "rth", "--min-score",
      "1e309"], r"--min-score must be a finite"),
    (["score", "--profile", "rth", "--parcels", "p.gpkg", "--sensitivity", "100000000000"],
     r"--sensitivity is 100000000000, outside the bounds: .* <= 100,000"),
    (["score", "--profile", "rth", "--parcels", "p.gpkg", "--seed", "-1"],
     r"--seed is -1, outside the bounds: .*>= 0"),
    (["brief", "--sample", "--profile", "rth", "--sensitivity", "10", "--seed",
      "-5"], r"--seed is -5"),
])
def test_cli_bounds_exit_3_before_any_work(args, match, capsys, tmp_path):
    out = tmp_path / ("o.html" if args[0] == "brief" else "o.gpkg")
    code, err, took = _cli([*args, "--out", out], capsys)
    assert code == 3, err
    assert __import__("re").search(match, err), err
    assert took < 5 and not out.exists()


def test_cli_select_min_score_and_a_profile_with_a_huge_worst(capsys, tmp_path):
    out = tmp_path / "chosen.gpkg"
    code, err, _ = _cli(["--quiet", "select", "--sample", "--profile", "fasilitas_publik",
                         "--k", "2",
                         "--min-score", "50", "--out", out], capsys)
    assert code == 0, err
    assert out.is_file()
    from siteplan.profiles.profile import builtin_profile_text

    toml = tmp_path / "far.toml"
    toml.write_text(builtin_profile_text("wisata_religi").replace(
        "worst = 1000", "worst = 1e22", 1), encoding="utf-8")
    code, err, took = _cli(["score", "--profile", toml, "--parcels", "x.gpkg", "--out",
                            tmp_path / "s.gpkg"], capsys)
    assert code == 3 and "beyond the bound of 1,000,000 m" in err and took < 5
