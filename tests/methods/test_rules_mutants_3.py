"""Tests written for the surviving mutants of siteplan/methods (constraints, transforms,
aggregation, weights) (docs/mutation-report.md).

Weights: the messages naming a weight that is not a finite number, no weights at all,
the default names of the AHP errors, more than five entries off the scale, Saaty's
random index beyond 15 criteria and the consistency limit taken inclusively.
Aggregation: the default OWA alpha of 1 (OWA is then WLC), Shapley values of WLC for
any number of criteria, the criteria limit taken inclusively, no sites, and TOPSIS
leaving a criterion of norm 0 at 0. Transforms: every parameter check names its place.
Constraints: the profile checks built by ``_rules``, the share allowed on a raster, a
raster in another CRS, long lines counted by their pieces against the pair limit, and
a rule on the parcels layer per partition. Every expected value is worked out by hand
in the comment beside it (or, for an eigenvalue, by power iteration in plain numpy).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from test_rules_mutants import X0, Y0, _write_raster, box, frame
from test_rules_mutants_2 import broken

import siteplan as sp
from siteplan.methods import aggregate as agg
from siteplan.methods import weights as wts

# ------------------------------------------------------------------------ weights


def _problems(fn, *args, **kw):
    with pytest.raises(sp.SiteplanInputError) as info:
        fn(*args, **kw)
    return [(p.where, p.what) for p in info.value.problems]


@pytest.mark.parametrize(("value", "said"), [
    # a float out of range: a finite number is wanted, the value shown by its repr
    (math.inf, "must be a finite number, got inf"),
    (-math.inf, "must be a finite number, got -inf"),
    # an integer beyond a float's range (10^400 has 401 digits): shown by its length
    (10 ** 400, "must be a finite number, got an integer of 401 digits"),
    # not a number at all (a text, a bool): a number is wanted
    ("x", "must be a number, got 'x'"),
    (True, "must be a number, got True"),
])
def test_a_weight_that_is_not_a_finite_number_is_named_with_what_is_wanted(value, said):
    # "weights" is where the problem lies unless the caller names another place
    assert _problems(wts.normalise_weights, {"jalan": 1, "pasar": value}) == \
        [("weights", f"weight of 'pasar' {said}")]


def test_no_weights_at_all_are_all_zero():
    assert _problems(wts.normalise_weights, {}) == [("weights", "all weights are zero")]


def test_ahp_errors_name_the_ahp_matrix_by_default():
    assert [w for w, _ in _problems(wts.parse_matrix, [[1, 2], [1]])] == ["AHP matrix"]
    assert [w for w, _ in _problems(wts.ahp_weights, [[1, 2], [1]])] == ["AHP matrix"]


def test_parse_matrix_names_only_the_first_five_entries_off_the_scale():
    # six entries of 0 (row by row: [1,1] [1,2] [1,3] [2,1] [2,2] [2,3]): five are named
    (_, what), = _problems(wts.parse_matrix, [[0, 0, 0], [0, 0, 0], [1, 1, 1]])
    assert what.endswith("got [1,1]=0, [1,2]=0, [1,3]=0, [2,1]=0, [2,2]=0")


def _perron(a, steps=500):
    """The largest eigenvalue of a positive matrix by power iteration."""
    v = np.ones(len(a))
    for _ in range(steps):
        v = a @ v
        v = v / v.sum()
    return float((a @ v)[0] / v[0]), v


def test_ahp_beyond_fifteen_criteria_takes_the_random_index_of_fifteen():
    # 16 criteria, all equal but the first judged 9 times the second: lambda_max from
    # power iteration; Saaty's table stops at 15 (RI 1.59), which serves for 16 too
    a = np.ones((16, 16))
    a[0, 1], a[1, 0] = 9.0, 1 / 9
    lam, v = _perron(a)
    want = (lam - 16) / 15 / 1.59
    assert want > 0.01   # inconsistent enough that the index matters
    w, cr = wts.ahp_weights(a, allow_inconsistent=True)
    assert cr == pytest.approx(want, rel=1e-9)
    np.testing.assert_allclose(w, v, rtol=1e-9)


def test_a_consistency_ratio_exactly_at_the_limit_is_accepted(monkeypatch):
    # two criteria have CR = 0 exactly; with the limit set to 0 a CR of 0 is at it, not
    # above, and passes; a 3 x 3 matrix with 2, 2 and 1/2 (CR > 0) is above it
    monkeypatch.setattr(wts, "CR_LIMIT", 0.0)
    w, cr = wts.ahp_weights([[1, 3], ["1/3", 1]])
    assert cr == 0.0 and w == pytest.approx([0.75, 0.25])
    with pytest.raises(sp.SiteplanInputError, match="consistency ratio"):
        wts.ahp_weights([[1, 2, "1/2"], ["1/2", 1, 2], [2, "1/2", 1]])


# ------------------------------------------------------------------------ aggregation

C2 = np.array([[1.0, 0.0], [0.2, 0.6]])
W2 = np.array([0.25, 0.75])
WLC2 = [0.25, 0.2 * 0.25 + 0.6 * 0.75]           # 0.25 and 0.5


def test_owa_alpha_is_one_by_default_and_then_equals_wlc():
    # alpha 1: equal order weights, u = w / 2, so OWA = sum(w c) / sum(w) = WLC; alpha 2
    # (order weights 1/4, 3/4) would give site 0 0.0625 / 0.625 = 0.1 instead of 0.25
    np.testing.assert_allclose(agg.aggregate("owa", C2, W2), WLC2, rtol=1e-12)
    np.testing.assert_allclose(agg.AGGREGATORS["owa"].func(C2, W2), WLC2, rtol=1e-12)
    np.testing.assert_allclose(agg.aggregate("owa", C2, W2, alpha=2.0)[0], 0.1, rtol=1e-12)
    # OWA of alpha 1 is linear: its Shapley values are the terms 100 w c, base 0
    score, phi, base = agg.shapley("owa", C2, W2)
    np.testing.assert_allclose(score, [25.0, 50.0], rtol=1e-12)
    np.testing.assert_allclose(phi, [[25.0, 0.0], [5.0, 45.0]], atol=1e-9)
    assert base == pytest.approx(0.0, abs=1e-12)


def test_shapley_of_wlc_takes_any_number_of_criteria():
    # 17 criteria (over the limit of 16 for the other methods): WLC's contributions
    # are its terms 100 w_j c_j, no coalitions needed
    c = np.linspace(0.0, 1.0, 17)[None, :]
    w = np.full(17, 1 / 17)
    score, phi, base = agg.shapley("wlc", c, w)
    np.testing.assert_allclose(phi[0], 100 * c[0] / 17, rtol=1e-12)
    np.testing.assert_allclose(score, [50.0], rtol=1e-12)     # the mean of 0 .. 1 is 0.5
    assert base == 0.0
    with pytest.raises(sp.SiteplanInputError, match="17 criteria"):
        agg.shapley("wgm", c, w)


def test_shapley_takes_exactly_the_largest_number_of_criteria(monkeypatch):
    # with the limit set to 2: two criteria are computed, three refused. WGM of 0.25 and
    # 1 with weights 1/2: sqrt(0.25) = 0.5 -> 50; a coalition missing either is vetoed to
    # 0, so the two share the 50 points equally
    monkeypatch.setattr(agg, "MAX_SHAPLEY_CRITERIA", 2)
    score, phi, base = agg.shapley("wgm", np.array([[0.25, 1.0]]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(score, [50.0], rtol=1e-12)
    np.testing.assert_allclose(phi, [[25.0, 25.0]], rtol=1e-12)
    assert base == 0.0
    with pytest.raises(sp.SiteplanInputError, match="3 criteria"):
        agg.shapley("wgm", np.full((1, 3), 0.5), np.full(3, 1 / 3))


def test_shapley_of_no_sites_is_empty_with_base_zero():
    score, phi, base = agg.shapley("wgm", np.zeros((0, 3)), np.full(3, 1 / 3))
    assert score.shape == (0,) and phi.shape == (0, 3) and base == 0.0


def test_topsis_leaves_a_criterion_of_norm_zero_at_zero_whatever_memory_holds():
    # the reference sites (3, 0), (4, 0), (0, 0): the second criterion is 0 everywhere,
    # norm 0, and must count 0 for every site; the first, norm 5: weighted 0.3, 0.4, 0 with
    # ideals best 0.4, worst 0. Site (3, 0): d+ = 0.1, d- = 0.3 -> 0.75; (4, 0) -> 1;
    # (0, 0) -> 0. Freed arrays of 5.0 lie about in numpy's memory cache, so a division
    # that leaves the zero-norm cells unwritten would read 5 there.
    ref = np.array([[3.0, 0.0], [4.0, 0.0], [0.0, 0.0]])
    for c, want in ((ref[:2].copy(), [0.75, 1.0]), (ref.copy(), [0.75, 1.0, 0.0])):
        junk = [np.full(shape, 5.0) for shape in (c.shape, ref.shape) for _ in range(3)]
        del junk
        np.testing.assert_allclose(agg.topsis(c, np.array([0.5, 0.5]), reference=ref),
                                   want, atol=1e-12)


# ------------------------------------------------------------------------ transforms


@pytest.mark.parametrize("spec", [
    {"type": "categorical", "table": {}},                                 # an empty table
    {"type": "threshold", "breaks": [2, 1], "values": [0, 0.5, 1]},      # breaks decrease
    {"type": "linear", "best": 1, "worst": 1},                           # best == worst
])
def test_every_parameter_check_names_where_the_transform_is(spec):
    from siteplan.methods.transforms import check_transform

    found = check_transform(spec, "criterion 'jalan' transform")
    assert len(found) == 1 and found[0].where == "criterion 'jalan' transform"


# ------------------------------------------------------------------------ constraints


def test_a_rule_check_names_the_value_given_only_when_it_is_given():
    from siteplan.methods.constraints import _rules

    check = _rules((lambda c: c.get("n", 0) > 0, "n", "n must be > 0", "write n = 1"),
                   (lambda c: "m" in c, "m", "needs m", "write m = 1"))

    def run(con):
        found: list = []
        check(con, "w", found)
        return [(p.where, p.what, p.fix) for p in found]

    assert run({"n": 3, "m": 1}) == []
    # n given and wrong: its value shown; n missing (read as 0): nothing to show
    assert run({"n": -2, "m": 1}) == [("w", "n must be > 0, got -2", "write n = 1")]
    assert run({"m": 1}) == [("w", "n must be > 0", "write n = 1")]
    assert run({"n": 1}) == [("w", "needs m", "write m = 1")]


def test_outside_a_raster_allows_a_share_within_a_billionth_of_max_share(tmp_path):
    from test_rules_constraints import rbox, write_tif

    # 10 m cells, the west column of class 3: A covers one class-3 cell and one class-1
    # cell, so half of it (0.5) is on class 3. max_share 0.5 - 1e-9 is the rounding room
    # of 0.5 (kept); 0.49 is not (broken)
    classes = np.ones((4, 4))
    classes[:, 0] = 3
    lc = write_tif(tmp_path / "lc.tif", classes)
    got = broken({"A": rbox(0, 0, 20, 10)},
                 {"type": "outside", "layer": "lc", "values": [3], "max_share": 0.5 - 1e-9},
                 {"type": "outside", "layer": "lc", "values": [3], "max_share": 0.49},
                 extra={"lc": lc})
    assert got == {"A": [False, True]}


def test_outside_a_raster_in_degrees_reads_the_parcels_where_they_are(tmp_path):
    import pyproj
    from affine import Affine

    # a raster in EPSG:4326 of 0.001 degree cells (about 110 m), centred on the tiny
    # world's origin: the five western columns of class 3, the rest 1. A lies 50-60 m
    # west of the origin (in a class-3 cell), B 50-60 m east (class 1)
    lon, lat = pyproj.Transformer.from_crs("EPSG:32748", "EPSG:4326",
                                           always_xy=True).transform(X0, Y0)
    classes = np.ones((10, 10))
    classes[:, :5] = 3
    lc = _write_raster(tmp_path / "lc.tif", classes, crs="EPSG:4326",
                       transform=Affine(0.001, 0, lon - 0.005, 0, -0.001, lat + 0.005))
    got = broken({"A": box(-60, -5, -50, 5), "B": box(50, -5, 60, 5)},
                 {"type": "outside", "layer": "lc", "values": [3]}, extra={"lc": lc})
    assert got == {"A": [True], "B": [False]}


@pytest.mark.parametrize(("n_vertices", "parcel", "buffer", "pieces"), [
    # 34 vertices 1 m apart: pieces of 16 segments from vertices 0, 16, 32 (0-16, 16-32,
    # 32-33); a 100 m buffer reaches all three
    (34, (10, 1, 11, 2), 100, 3),
    # 18 vertices: 0-16 and 16-17, both within 100 m
    (18, (10, 1, 11, 2), 100, 2),
    # 17 vertices (16 segments) stay one piece
    (17, (10, 1, 11, 2), 100, 1),
    # 34 vertices, a parcel over x 24-25, 0.5 m north: 8.02 m from the first piece's end
    # (16, 0), so within 8 m of the second and third pieces only (7.02 m from (32, 0))
    (34, (24, 0.5, 25, 1), 8, 2),
])
def test_a_long_line_counts_its_pieces_against_the_pair_limit(monkeypatch, n_vertices, parcel,
                                                              buffer, pieces):
    # with a limit of 0 pairs, every setback search is refused and names how many pieces
    # of the line (the features the search pairs with the parcel) lie within the buffer
    monkeypatch.setattr("siteplan.limits.MAX_PAIRS", 0)
    line = shapely.LineString([(X0 + x, Y0) for x in range(n_vertices)])
    with pytest.raises(sp.SiteplanInputError) as info:
        broken({"P": box(*parcel)}, {"type": "outside", "layer": "air", "buffer": buffer},
               extra={"air": frame([line])})
    assert f"buffer {buffer} m puts about {pieces} features of layer 'air' near each of 1 " \
        "parcels" in str(info.value)


def test_a_setback_from_parcels_reads_each_partitions_own_parcels():
    from siteplan.methods.constraints import broken_rules

    # keep 20 m away from rice fields (sawah) among the parcels. Each set of parcels holds
    # a sawah parcel and a vacant one 5 m east of it: both break the rule (the sawah
    # parcel lies 0 m from itself). The second set shares the first's context cache, as
    # the partitions of the dask engine do, and must still read its own parcels.
    rule = {"type": "outside", "layer": "parcels", "buffer": 20, "where": {"guna": ["sawah"]}}

    def parcels(x):
        return frame([box(x, 0, x + 10, 10), box(x + 15, 0, x + 25, 10)],
                     parcel_id=["s", "k"], guna=["sawah", "kosong"])

    one = sp.load_layers(parcels=parcels(0))
    assert broken_rules(one["parcels"], [rule], one).tolist() == [[True], [True]]
    two = one.replace(parcels=parcels(1000)).with_cache(one.cache.for_partition())
    assert broken_rules(two["parcels"], [rule], two).tolist() == [[True], [True]]
