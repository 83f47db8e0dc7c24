"""Tests written for the mutants mutmut found alive (docs/mutation-report.md).

Each expected value is worked out by hand in the comment beside it, on a tiny
world of whole-metre boxes. pytest runs with ``filterwarnings = error``, so a
transform that warns on an extreme input fails here.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan.methods.transforms import TRANSFORMS
from siteplan.profiles.profile import profile_from_dict

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def frame(geoms, **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=CRS)


def fn(name):
    return TRANSFORMS[name][0]


def measured(parcels: dict, criterion: dict, **extra) -> dict[str, float]:
    """Parcel id -> the criterion's measured value, scored through sp.score."""
    ids = list(parcels)
    layers = sp.load_layers(parcels=frame(parcels.values(), parcel_id=ids), extra=extra)
    prof = profile_from_dict({"name": "mutants", "title": {"en": "t"},
                              "criteria": [{"name": "c", "weight": 1, **criterion}]})
    res = sp.score(layers, prof).set_index("parcel_id")
    return {i: float(res.loc[i, "m_c"]) for i in ids}


# ------------------------------------------------------------------------ transforms


def test_default_spreads_by_hand():
    # fuzzy_small, spread 5: 1 / (1 + (200/100)^5) = 1/33; fuzzy_large: 1 / (1 + 2^-5) = 32/33
    assert fn("fuzzy_small")(np.array([200.0]), midpoint=100.0)[0] == pytest.approx(1 / 33)
    assert fn("fuzzy_large")(np.array([200.0]), midpoint=100.0)[0] == pytest.approx(32 / 33)
    # gaussian, spread 0.1: exp(-0.1 * 1^2); near, spread 0.1: 1 / (1 + 0.1 * 2^2) = 1/1.4
    assert fn("fuzzy_gaussian")(np.array([11.0]), midpoint=10.0)[0] == \
        pytest.approx(np.exp(-0.1))
    assert fn("fuzzy_near")(np.array([12.0]), midpoint=10.0)[0] == pytest.approx(1 / 1.4)


X_EDGE = np.array([0.0, 1e200, np.inf, np.nan, -1e200])


@pytest.mark.parametrize(("name", "params", "expected"), [
    # 0 -> 1; (1e198)^5 overflows to inf -> 0; inf -> 0; NaN stays; negative -> as 0 -> 1
    ("fuzzy_small", {"midpoint": 100.0, "spread": 5.0}, [1.0, 0.0, 0.0, np.nan, 1.0]),
    # 0 -> 0 (0^-5 is a division by zero); (1e198)^-5 -> 0 -> 1; inf -> 1; NaN; negative -> 0
    ("fuzzy_large", {"midpoint": 100.0, "spread": 5.0}, [0.0, 1.0, 1.0, np.nan, 0.0]),
    # exp(-0.5 * 100) at 0; (1e200 - 10)^2 overflows to inf -> exp(-inf) = 0
    ("fuzzy_gaussian", {"midpoint": 10.0, "spread": 0.5},
     [np.exp(-50.0), 0.0, 0.0, np.nan, 0.0]),
    # 1 / (1 + 0.5 * 100) at 0; overflow -> 1 / inf = 0
    ("fuzzy_near", {"midpoint": 10.0, "spread": 0.5}, [1 / 51, 0.0, 0.0, np.nan, 0.0]),
])
def test_memberships_at_huge_infinite_and_missing_values_without_warnings(name, params,
                                                                         expected):
    got = fn(name)(X_EDGE.copy(), **params)   # a warning would be an error here
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


# ------------------------------------------------------------------------ overlap_share


def test_overlap_share_dissolves_overlapping_features_and_keeps_the_where_filter():
    # parcel P 10 x 10 = 100 m²; two flood zones overlapping each other over x in [-5, 5]
    # and [-2, 4]: their union covers x in [0, 5] of P, 50 m² -> 0.5 (not 50 + 40 = 0.9);
    # a third zone of another kind over the rest of P is filtered out by `where`
    zones = frame([box(-5, 0, 5, 10), box(-2, 0, 4, 10), box(5, 0, 10, 10)],
                  kind=["banjir", "banjir", "genangan"])
    got = measured({"P": box(0, 0, 10, 10), "Q": box(100, 0, 110, 10)},
                   {"measure": "overlap_share", "layer": "zones",
                    "where": {"kind": ["banjir"]},
                    "transform": {"type": "linear", "best": 0, "worst": 1}}, zones=zones)
    assert got == {"P": pytest.approx(0.5, abs=1e-12), "Q": 0.0}


# ------------------------------------------------------------------------ selection


def _cover3():
    """Three sites over four points (weights 3, 4, 4, 3): site 0 covers p1 p2 (8 people),
    site 1 covers p0 p1 (7), site 2 covers p2 p3 (7)."""
    from scipy import sparse

    a = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=float)
    return sparse.csr_matrix(a), np.array([3.0, 4.0, 4.0, 3.0])


def _conflicts(n, pairs):
    from scipy import sparse

    rows = [i for i, j in pairs] + [j for i, j in pairs]
    cols = [j for i, j in pairs] + [i for i, j in pairs]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def test_coverage_counts_a_point_exactly_at_the_radius():
    from siteplan.locate.select import _coverage

    # a site 10 x 10 at the origin; points 5 m (inside the radius), exactly 20 m and
    # 20.5 m east of its edge
    sites = np.array([box(0, 0, 10, 10)])
    pts = shapely.points([X0 + 15, X0 + 30, X0 + 30.5], [Y0 + 5] * 3)
    got = _coverage(sites, pts, 20.0).toarray()
    np.testing.assert_array_equal(got, [[1.0, 1.0, 0.0]])


def test_greedy_cover_by_hand():
    from siteplan.locate.select import greedy_cover

    cover, w = _cover3()
    # first site 0 (8 people); then sites 1 and 2 both add 3: the first index wins
    assert greedy_cover(cover, w, 2) == [0, 1]
    # the tiebreak decides between equal gains
    assert greedy_cover(cover, w, 2, tiebreak=np.array([0.0, 0.0, 1.0])) == [0, 2]
    # a site in conflict with a chosen one is not chosen
    assert greedy_cover(cover, w, 2, conflicts=_conflicts(3, [(0, 1)])) == [0, 2]
    # more sites asked than there are: every site, the last adding the rest (3)
    assert greedy_cover(cover, w, 5) == [0, 1, 2]
    # every other site in conflict with the first: one site only
    assert greedy_cover(cover, w, 3, conflicts=_conflicts(3, [(0, 1), (0, 2)])) == [0]


def test_milp_cover_finds_what_greedy_misses():
    from siteplan.locate.select import milp_cover

    cover, w = _cover3()
    # the best pair covers everyone: sites 1 and 2, 14 people (greedy: 11)
    chosen, status = milp_cover(cover, w, 2)
    assert sorted(int(i) for i in chosen) == [1, 2] and status == "optimal"
    # sites 1 and 2 in conflict: {0, 1} and {0, 2} both cover 11 people (the 1e-9 tiebreak
    # lies below HiGHS's default gap, so either may come back)
    covered = cover.toarray().astype(bool)

    def people(chosen):
        return float(w[covered[sorted(int(i) for i in chosen)].any(axis=0)].sum())

    chosen, _ = milp_cover(cover, w, 2, conflicts=_conflicts(3, [(1, 2)]))
    assert sorted(int(i) for i in chosen) in ([0, 1], [0, 2]) and people(chosen) == 11.0
    # groups: site 0 is alone in group "a", so a plan must hold it
    chosen, _ = milp_cover(cover, w, 2, groups=np.array(["a", "b", "b"]))
    assert 0 in [int(i) for i in chosen] and len(chosen) == 2 and people(chosen) == 11.0
    # one site only: site 0 (8)
    assert [int(i) for i in milp_cover(cover, w, 1)[0]] == [0]
    # every pair in conflict: no two sites can be chosen
    with pytest.raises(sp.SiteplanInputError, match="no feasible set of 2 sites"):
        milp_cover(cover, w, 2, conflicts=_conflicts(3, [(0, 1), (0, 2), (1, 2)]))


def test_milp_cover_ignores_people_nobody_reaches_and_empty_weights():
    from scipy import sparse

    from siteplan.locate.select import milp_cover

    # p2 is covered by no site (weight 100), p1 weighs 0: site 0 (p0, 5 people) is best
    cover = sparse.csr_matrix(np.array([[1, 1, 0], [0, 1, 0]], dtype=float))
    chosen, status = milp_cover(cover, np.array([5.0, 0.0, 100.0]), 1)
    assert [int(i) for i in chosen] == [0] and status == "optimal"


# ------------------------------------------------------------------------ allocation


def _instance(*, demand=(1, 1), fixed=(), conflicts=(), groups=(), cover=None):
    """Two uses (a, b), three candidates each on its own parcel, four pairs:
    0 = (a, c0) score 5, 1 = (a, c1) score 7, 2 = (b, c1) score 6, 3 = (b, c2) score 3."""
    from scipy import sparse

    from siteplan.locate._allocate_milp import Instance

    fx = np.zeros(4, bool)
    fx[list(fixed)] = True
    return Instance(uses=("a", "b"), demand=np.array(demand),
                    members=sparse.identity(3, format="csr"),
                    pair_use=np.array([0, 0, 1, 1]), pair_cand=np.array([0, 1, 1, 2]),
                    score=np.array([5.0, 7.0, 6.0, 3.0]), fixed=fx,
                    conflicts=_conflicts(4, list(conflicts)), groups=tuple(groups),
                    cover=cover)


def test_solve_milp_by_hand():
    from siteplan.locate._allocate_milp import plan_value, solve_milp

    # one use per parcel: (a, c1) + (b, c1) = 13 would put two uses on c1; the best
    # allowed plan is (a, c0) + (b, c1) = 11, not (a, c1) + (b, c2) = 10
    chosen, status, _ = solve_milp(_instance(), "score")
    assert list(chosen) == [0, 2] and status == 0
    assert plan_value(_instance(), chosen, "score") == 11.0
    # (b, c2) fixed in advance: then (a, c1) = 7 is free, 10 in all
    assert list(solve_milp(_instance(fixed=[3]), "score")[0]) == [1, 3]
    # use a must have a site in the group holding only pair 0
    assert list(solve_milp(_instance(groups=[(0, "K", np.array([0]))]), "score")[0]) == [0, 2]
    # two sites of use a, but its two pairs are too close to each other: no plan
    chosen, status, _ = solve_milp(_instance(demand=(2, 1), conflicts=[(0, 1)]), "score")
    assert chosen is None and status == 2
    # without the conflict: both a sites, and b on c2 (c1 is taken): 5 + 7 + 3
    assert list(solve_milp(_instance(demand=(2, 1)), "score")[0]) == [0, 1, 3]


def test_solve_milp_coverage_and_people_by_use_by_hand():
    from scipy import sparse

    from siteplan.locate._allocate_milp import people_by_use, plan_value, solve_milp

    # use a: c0 reaches 10 people, c1 reaches 20; use b: c1 and c2 both reach the same 5
    cover = ((np.array([0, 1]), sparse.csr_matrix(np.eye(2)), np.array([10.0, 20.0])),
             (np.array([2, 3]), sparse.csr_matrix(np.ones((2, 1))), np.array([5.0])))
    inst = _instance(cover=cover)
    chosen, status, _ = solve_milp(inst, "coverage")
    # a on c1 (20 people); b cannot share c1, so c2 (the same 5 people)
    assert list(chosen) == [1, 3] and status == 0
    np.testing.assert_array_equal(people_by_use(inst, chosen), [20.0, 5.0])
    assert plan_value(inst, chosen, "coverage") == 25.0
    assert plan_value(inst, np.array([0, 2]), "coverage") == 15.0
    assert plan_value(inst, np.array([0, 2]), "score") == 11.0
    np.testing.assert_array_equal(people_by_use(inst, np.array([], int)), [0.0, 0.0])
    np.testing.assert_array_equal(people_by_use(_instance(), np.array([1, 3])), [0.0, 0.0])
    # a plan that only has to be feasible: one pair per use, never two uses on c1
    chosen, status, _ = solve_milp(inst, "coverage", feasibility_only=True)
    assert status == 0 and sorted(inst.pair_use[chosen]) == [0, 1]
    assert list(chosen) != [1, 2]


def test_spacing_conflicts_are_strict_and_per_use():
    from siteplan.locate._allocate_build import _conflicts

    # candidates 0, 1, 2 on a line: 0 to 1 exactly 100 m apart (edge to edge), 1 to 2
    # 99.5 m; use a has a 100 m spacing, use b none
    geoms = np.array([box(0, 0, 10, 10), box(110, 0, 120, 10), box(219.5, 0, 229.5, 10)])
    pair_use = np.array([0, 0, 0, 1, 1])
    pair_cand = np.array([0, 1, 2, 1, 2])
    got = _conflicts(["a", "b"], {"a": 100.0}, pair_use, pair_cand, geoms).toarray()
    want = np.zeros((5, 5))
    want[1, 2] = want[2, 1] = 1.0           # 99.5 m < 100 m; exactly 100 m is allowed
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------ constraints


def test_no_candidate_problem_counts_every_value_by_hand():
    import pandas as pd

    from siteplan.methods.constraints import no_candidate_problem

    # ownership over two frames (parcels and those rejected at load), spaces stripped:
    # 'milik desa' 3, 'swasta' 2, missing 1; a frame without the column is skipped
    frames = [pd.DataFrame({"ownership": ["milik desa", " milik desa", "swasta", None],
                            "status": ["x", "x", "y", "y"]}),
              pd.DataFrame({"ownership": ["milik desa ", "swasta"], "status": ["x", "x"]}),
              pd.DataFrame({"other": [1]})]
    p = no_candidate_problem(frames, {"ownership": ("pemda", "aset"), "status": ("aktif",)},
                             "profile 'p'")
    assert p.where == "profile 'p' [candidates]"
    assert p.what == ("no parcel is a candidate (ownership: the profile accepts 'pemda', "
                      "'aset'; the parcels have 'milik desa' (3), 'swasta' (2), "
                      "'<empty>' (1); status: the profile accepts 'aktif'; the parcels have "
                      "'x' (4), 'y' (2))")
    assert ("e.g. sp.load_layers(..., values={'ownership': {'milik desa': 'pemda'}}), or "
            "accept your values") in p.fix
    # on the command line the value with a space is quoted as a shell word
    assert "e.g. --value ownership:'milik desa'=pemda, or accept" in p.cli


def test_no_candidate_problem_with_many_values_or_none():
    import pandas as pd

    from siteplan.methods.constraints import no_candidate_problem

    # 14 values counted 14, 13, ..., 1 times: the 12 most common shown, then "and 2 more"
    values = [f"v{i:02d}" for i in range(14) for _ in range(14 - i)]
    p = no_candidate_problem([pd.DataFrame({"kind": values})], {"kind": ("ok",)}, "c")
    assert "'v00' (14), 'v01' (13)" in p.what and "'v11' (3) and 2 more)" in p.what
    assert "'v12'" not in p.what
    # exactly 12 values: all shown, nothing more
    p = no_candidate_problem([pd.DataFrame({"kind": values[:-3]})], {"kind": ("ok",)}, "c")
    assert "'v11' (3))" in p.what and "more" not in p.what
    # no parcel has a value at all
    p = no_candidate_problem([pd.DataFrame({"kind": [None, None]})], {"kind": ("ok",)}, "c")
    assert p.what == ("no parcel is a candidate (kind: the profile accepts 'ok'; the parcels "
                      "have '<empty>' (2))")
    assert "{'kind': {'<your value>': 'ok'}}" in p.fix
    p = no_candidate_problem([pd.DataFrame({"kind": pd.Series([], dtype=object)})],
                             {"kind": ("ok",)}, "c")
    assert "the parcels have no value)" in p.what


def test_apply_constraints_names_the_broken_rules():
    import siteplan.methods.constraints as con

    # A is 100 m², B 400 m² and 5 m from a river: min_area 200 breaks A, max_area 300 and
    # a 10 m river setback break B
    parcels = frame([box(0, 0, 10, 10), box(100, 0, 120, 20)], parcel_id=["A", "B"])
    river = frame([shapely.LineString([(X0 + 125, Y0 - 50), (X0 + 125, Y0 + 50)])])
    layers = sp.load_layers(parcels=parcels, extra={"sungai": river})
    prof = profile_from_dict({"name": "p", "title": {"en": "t"},
                              "constraints": [{"type": "min_area", "value": 200},
                                              {"type": "max_area", "value": 300},
                                              {"type": "outside", "layer": "sungai",
                                               "buffer": 10}],
                              "criteria": [{"name": "c", "measure": "area", "weight": 1,
                                            "transform": {"type": "linear", "best": 1,
                                                          "worst": 0}}]})
    got = con.apply_constraints(layers["parcels"], prof.constraints, layers)
    labels = [con.constraint_label(c) for c in prof.constraints]
    assert list(got) == [labels[0], labels[1] + "; " + labels[2]] and all(labels)
    # an unknown rule is named with the profile and the rule's place
    bogus = [{"type": "bogus"}]
    with pytest.raises(sp.SiteplanInputError,
                       match=r"profile 'profile' constraint 1 \(bogus\): unknown constraint"):
        con.apply_constraints(layers["parcels"], bogus, layers)
    with pytest.raises(sp.SiteplanInputError, match=r"profile 'kuliner' constraint 1 "):
        con.apply_constraints(layers["parcels"], bogus, layers, profile_name="kuliner")


# ------------------------------------------------------------------------ zonal


def test_zonal_on_polygons_reads_the_zone_at_the_inner_point():
    # zones: 'rendah' value 3 over x 0-50, 'tinggi' value 7 over x 60-100, a third zone of
    # another kind over x 100-150 filtered out by `where`; P lies in the first, Q in the
    # second, R in the filtered one (NaN: no zone), S in none
    zones = frame([box(0, 0, 50, 50), box(60, 0, 100, 50), box(100, 0, 150, 50)],
                  kelas=["rendah", "tinggi", "rendah"], nilai=[3.0, 7.0, 9.0],
                  jenis=["rtrw", "rtrw", "lama"])
    parcels = {"P": box(10, 10, 20, 20), "Q": box(70, 10, 80, 20), "R": box(120, 10, 130, 20),
               "S": box(300, 10, 310, 20)}
    crit = {"measure": "zonal", "layer": "zona", "where": {"jenis": ["rtrw"]}}
    got = measured(parcels, {**crit, "column": "nilai",
                             "transform": {"type": "linear", "best": 10, "worst": 0}},
                   zona=zones)
    assert got["P"] == 3.0 and got["Q"] == 7.0
    assert np.isnan(got["R"]) and np.isnan(got["S"])
    ids = list(parcels)
    layers = sp.load_layers(parcels=frame(parcels.values(), parcel_id=ids),
                            extra={"zona": zones})
    prof = profile_from_dict({"name": "z", "title": {"en": "t"}, "criteria": [{
        "name": "c", "weight": 1, **crit, "column": "kelas",
        "transform": {"type": "categorical", "table": {"rendah": 1.0, "tinggi": 0.5}}}]})
    res = sp.score(layers, prof).set_index("parcel_id")
    assert list(res.loc[["P", "Q"], "m_c"]) == ["rendah", "tinggi"]
    assert res["m_c"].loc[["R", "S"]].isna().all()


def test_zonal_on_a_raster_weights_cells_by_the_share_covered(tmp_path):
    from affine import Affine

    # 10 m cells, top-left at (rx, ry): row 0 holds 1 2 3, row 1 holds 4, no-data, 6
    rx, ry = X0 + 1000, Y0 + 1000
    path = _write_raster(tmp_path / "r.tif", [[1.0, 2.0, 3.0], [4.0, -1.0, 6.0]], crs=CRS,
                         transform=Affine(10.0, 0, rx, 0, -10.0, ry), nodata=-1.0)
    # P: the east half of cell 1 and all of cell 2 in row 0 (x 5-20 m, y 0-10 m down);
    # Q: the first two cells of row 1, the second of them no-data
    parcels = {"P": shapely.box(rx + 5, ry - 10, rx + 20, ry),
               "Q": shapely.box(rx, ry - 20, rx + 20, ry - 10)}
    expect = {"mean": ((0.5 * 1 + 2) / 1.5, 4.0), "sum": (0.5 * 1 + 2, 4.0),
              "min": (1.0, 4.0), "max": (2.0, 4.0), "majority": (2.0, 4.0)}
    for stat, (p_want, q_want) in expect.items():
        got = measured(parcels, {"measure": "zonal", "layer": "r", "stat": stat,
                                 "transform": {"type": "linear", "best": 10, "worst": 0}},
                       r=path)
        assert got["P"] == pytest.approx(p_want, rel=1e-12), stat
        assert got["Q"] == pytest.approx(q_want, rel=1e-12), stat
    # without a stat: the mean
    got = measured(parcels, {"measure": "zonal", "layer": "r",
                             "transform": {"type": "linear", "best": 10, "worst": 0}}, r=path)
    assert got["P"] == pytest.approx(expect["mean"][0], rel=1e-12)
    # share of the parcel whose cells are 2 (or at least 2): 1 of P's 1.5 cells; none of
    # Q's one valid cell (4 is not 2, but 4 >= 2)
    for rule, q_want in (({"values": [2]}, 0.0), ({"at_least": 2}, 1.0)):
        got = measured(parcels, {"measure": "zonal", "layer": "r", "stat": "share", **rule,
                                 "transform": {"type": "linear", "best": 1, "worst": 0}},
                       r=path)
        assert got["P"] == pytest.approx(2 / 3, rel=1e-12), rule
        assert got["Q"] == pytest.approx(q_want, rel=1e-12), rule


def test_a_raster_layer_counts_its_cells_and_names_itself(tmp_path):
    from affine import Affine

    path = _write_raster(tmp_path / "dem.tif", np.zeros((2, 3)), crs=CRS,
                         transform=Affine(30.0, 0, X0, 0, -30.0, Y0))
    layers = sp.load_layers(parcels=frame([box(0, 0, 10, 10)], parcel_id=["p"]),
                            extra={"dem": path})
    r = layers["dem"]
    assert len(r) == 6
    assert repr(r) == "<RasterLayer dem: 3 x 2 cells of 30 x 30, EPSG:32748, dem.tif>"


# ------------------------------------------------------------------------ population


def _people_layers(pop):
    return sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["x"]), population=pop,
                          extra={"taman": frame([box(0, 0, 10, 10)], jenis=["taman"])})


def test_amount_in_by_area_length_and_whole_points():
    from siteplan.layers.population import _make, amount_in

    # a 10 x 10 block of 100 people (1 per m²), a 10 m street of 10 people (1 per m), a
    # point of 7 people at (30, 30)
    geoms = np.array([box(0, 0, 10, 10), shapely.LineString([(X0, Y0 + 20), (X0 + 10, Y0 + 20)]),
                      shapely.Point(X0 + 30, Y0 + 30)])
    s = _make(geoms, np.array([100.0, 10.0, 7.0]), "t")
    areas = np.array([box(5, 0, 15, 10),       # half the block: 50
                      box(-5, -5, 20, 15),     # the whole block (inside): 100
                      box(5, 15, 15, 25),      # half the street: 5
                      box(25, 25, 30, 35),     # the point, on this area's east edge
                      box(30, 25, 35, 35)])    # and on this one's west edge
    np.testing.assert_allclose(amount_in(areas, s), [50, 100, 5, 7, 7], rtol=1e-12)
    # once: a point on the edge of two areas counts in the first only
    np.testing.assert_allclose(amount_in(areas, s, once=True), [50, 100, 5, 7, 0],
                               rtol=1e-12)


def test_features_of_zero_size_hold_nobody_and_are_reported(caplog):
    from siteplan.layers.population import _make, amount_in

    def flat(x):
        return shapely.LineString([(X0 + x, Y0), (X0 + x, Y0)])     # zero length

    # zero-length lines of 5, 1 and 0 people, a 0.5 m line of 2, a block of 100, a point
    # of 3: the first two are lost (6 people), the empty one holds nobody to lose
    geoms = np.array([flat(0), flat(1), flat(2),
                      shapely.LineString([(X0, Y0 + 5), (X0 + 0.5, Y0 + 5)]),
                      box(0, 10, 10, 20), shapely.Point(X0 + 3, Y0 + 3)])
    with caplog.at_level("WARNING", logger="siteplan.layers.population"):
        s = _make(geoms, np.array([5.0, 1.0, 0.0, 2.0, 100.0, 3.0]), "pop")
    assert "layer 'pop': 2 features of zero size hold 6, which is not counted" in caplog.text
    # the 0.5 m line counts whole (2), the block (100) and the point (3); the lost ones 0
    assert amount_in(np.array([box(-1, -1, 11, 21)]), s)[0] == pytest.approx(105.0)


def test_amount_within_counts_a_point_exactly_at_the_radius():
    from siteplan.layers.population import _make, amount_within

    # points 20 m and 20.5 m east of a 10 m parcel's edge (3 and 4 people), radius 20
    s = _make(shapely.points([X0 + 30, X0 + 30.5], [Y0 + 5] * 2), np.array([3.0, 4.0]), "t")
    assert amount_within(np.array([box(0, 0, 10, 10)]), 20.0, s)[0] == 3.0
    assert amount_within(np.array([box(0, 0, 10, 10)]), 20.5, s)[0] == 7.0
    assert len(amount_within(np.empty(0, dtype=object), 20.0, s)) == 0
    # a block of 100 people over x 30-40 (1 per m² over 10 m of depth): a 25 m buffer of
    # the parcel reaches x <= 35 along the straight side: 5 m x 10 m = 50 people
    b = _make(np.array([box(30, 0, 40, 10)]), np.array([100.0]), "t")
    assert amount_within(np.array([box(0, 0, 10, 10)]), 25.0, b)[0] == pytest.approx(50.0)


def test_people_beyond_the_reach_of_parks():
    from siteplan.layers.population import amount_in, people_beyond

    # a strip of 1,000 people over x 0-100, y 0-10 (1 per m²); a park over x 0-10: 40 m
    # around it reaches x 50 along the strip, so 500 people live beyond it
    pop = frame([box(0, 0, 100, 10)], population=[1000.0])
    layers = _people_layers(pop)
    s = people_beyond(layers, 40.0, "taman", {"jenis": ("taman",)}, context="t")
    assert amount_in(np.array([box(-500, -500, 500, 500)]), s)[0] == pytest.approx(500.0)
    # no park of that kind: everyone is beyond
    s = people_beyond(layers, 40.0, "taman", {"jenis": ("hutan",)}, context="t")
    assert amount_in(np.array([box(-500, -500, 500, 500)]), s)[0] == pytest.approx(1000.0)
    # people as points: those within 40 m of the park are left out
    pts = frame([shapely.Point(X0 + 45, Y0 + 5), shapely.Point(X0 + 60, Y0 + 5)],
                population=[3.0, 4.0])
    layers = _people_layers(pts)
    s = people_beyond(layers, 40.0, "taman", {"jenis": ("taman",)}, context="t")
    assert amount_in(np.array([box(-500, -500, 500, 500)]), s)[0] == 4.0


# ------------------------------------------------------------------------ weights


def _problem(fn, *args):
    with pytest.raises(sp.SiteplanInputError) as info:
        fn(*args)
    return str(info.value)


def test_parse_matrix_shapes_and_sizes():
    import pandas as pd

    from siteplan.limits import MAX_CRITERIA
    from siteplan.methods.weights import parse_matrix

    assert "must be square (n rows of n numbers), got row lengths [2, 1]" in \
        _problem(parse_matrix, [[1, 2], [1]])
    assert "got row lengths []" in _problem(parse_matrix, [])
    assert "got row lengths 5" in _problem(parse_matrix, 5)
    np.testing.assert_array_equal(parse_matrix(pd.DataFrame([[1, 2], [0.5, 1]])),
                                  [[1, 2], [0.5, 1]])
    # exactly MAX_CRITERIA rows are allowed, one more is not
    assert parse_matrix(np.ones((MAX_CRITERIA, MAX_CRITERIA))).shape == (MAX_CRITERIA,) * 2
    assert (f"has {MAX_CRITERIA + 1} rows, over the limit of {MAX_CRITERIA} criteria" in
            _problem(parse_matrix, np.ones((MAX_CRITERIA + 1, MAX_CRITERIA + 1)).tolist()))


def test_parse_matrix_names_the_first_five_bad_entries():
    from siteplan.methods.weights import parse_matrix

    # a 100-character fraction is read; 101 characters are not
    assert parse_matrix([[1, "1/3" + " " * 97], ["3", 1]])[0, 1] == pytest.approx(1 / 3)
    long39, long40 = "x" * 37, "y" * 38        # their reprs are 39 and 40 characters
    m = [[1, long39, long40], ["1/3" + " " * 98, 1, None], [True, "a/b", 1]]
    text = _problem(parse_matrix, m)
    assert ("entries must be numbers or 'a/b' fractions, got [1,2]='" + long39 + "', "
            "[1,3]='" + "y" * 36 + "..., [2,1]='1/3" + " " * 33 + "..., [2,3]=None, "
            "[3,1]=True") in text
    assert "[3,2]" not in text


def test_parse_matrix_scale_diagonal_and_reciprocals():
    from siteplan.methods.weights import parse_matrix

    # the ends of the scale are allowed: 1e-6 and 1e6
    assert parse_matrix([[1, 1e6], [1e-6, 1]])[0, 1] == 1e6
    text = _problem(parse_matrix, [[0, -1, 2e6], [1, 1, 1e-7], [np.nan, 1, 1]])
    assert ("entries must be positive numbers from 1/1e+06 to 1e+06, got [1,1]=0, [1,2]=-1, "
            "[1,3]=2e+06, [2,3]=1e-07, [3,1]=nan") in text
    # the diagonal alone is wrong: one problem, no reciprocal one for the diagonal
    text = _problem(parse_matrix, [[1, 2], [0.5, 2]])
    assert "the diagonal must be 1, got [2,2]=2" in text and "reciprocal" not in text
    # within 1 %: 3 x 0.33 = 0.99 is read as 1/3; every pair of a 4 x 4 matrix off: the
    # first five named, row by row
    assert parse_matrix([[1, 3], [0.33, 1]])[1, 0] == 0.33
    m = [[1, 2, 2, 2], [2, 1, 2, 2], [2, 2, 1, 2], [2, 2, 2, 1]]
    text = _problem(parse_matrix, m)
    assert ("must be reciprocal (a[j,i] = 1/a[i,j]), but [1,2]=2 and [2,1]=2, [1,3]=2 and "
            "[3,1]=2, [1,4]=2 and [4,1]=2, [2,3]=2 and [3,2]=2, [2,4]=2 and [4,2]=2") in text
    assert "[3,4]" not in text and "diagonal" not in text


def test_ahp_weights_of_two_criteria_and_of_a_dataframe():
    import pandas as pd

    from siteplan.methods.weights import ahp_weights

    # two criteria are always consistent: CR = 0; 3 : 1 gives 0.75 and 0.25
    w, cr = ahp_weights([[1, 3], ["1/3", 1]])
    assert cr == 0.0 and w == pytest.approx([0.75, 0.25])
    frame_ = pd.DataFrame([[1, 3], [1 / 3, 1]], index=["jalan", "pasar"],
                          columns=["jalan", "pasar"])
    w, cr = ahp_weights(frame_)
    assert isinstance(w, pd.Series) and w.name == "weight"
    assert list(w.index) == ["jalan", "pasar"] and w.to_numpy() == pytest.approx([0.75, 0.25])


def _write_raster(path, values, *, crs, transform, nodata=None):
    import rasterio

    values = np.asarray(values, dtype="float64")
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float64", crs=crs,
                       transform=transform, nodata=nodata) as dst:
        dst.write(values, 1)
    return str(path)


def test_demand_points_of_a_population_raster(tmp_path):
    from affine import Affine

    from siteplan.layers.population import demand_points

    # 100 m cells, top-left at (X0, Y0 + 200): 5 people top-left, 7 bottom-right, the
    # others empty or no-data; the people sit at their cells' centres
    path = _write_raster(tmp_path / "pop.tif", [[5.0, 0.0], [-1.0, 7.0]], crs=CRS,
                         transform=Affine(100.0, 0, X0, 0, -100.0, Y0 + 200), nodata=-1.0)
    near = sp.load_layers(parcels=frame([box(0, 0, 10, 10)], parcel_id=["p"]),
                          population=path)
    pts, w = demand_points(near)
    np.testing.assert_array_equal(w, [5.0, 7.0])
    np.testing.assert_allclose(shapely.get_coordinates(pts),
                               [[X0 + 50, Y0 + 150], [X0 + 150, Y0 + 50]], atol=1e-9)
    # parcels 30 km away: only cells within 10 km of their extent are read, so none
    far = sp.load_layers(parcels=frame([box(30_000, 0, 30_010, 10)], parcel_id=["p"]),
                         population=path)
    pts, w = demand_points(far)
    assert len(pts) == 0 and len(w) == 0


def test_demand_points_of_a_raster_in_degrees(tmp_path):
    import pyproj
    from affine import Affine

    from siteplan.layers.population import demand_points

    # a 2 x 2 raster of 0.001 degree cells in EPSG:4326 over Kota Serang; the parcels in
    # UTM 48S; the centres come back in UTM, as pyproj transforms them
    lon0, lat0 = 106.15, -6.10
    path = _write_raster(tmp_path / "pop4326.tif", [[1.0, 2.0], [3.0, 0.0]], crs="EPSG:4326",
                         transform=Affine(0.001, 0, lon0, 0, -0.001, lat0))
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    px, py = to_utm.transform(lon0 + 0.001, lat0 - 0.001)
    parcel = shapely.box(px, py, px + 10, py + 10)
    layers = sp.load_layers(parcels=frame([parcel], parcel_id=["p"]), population=path)
    pts, w = demand_points(layers)
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])
    x, y = to_utm.transform([lon0 + 0.0005, lon0 + 0.0015, lon0 + 0.0005],
                            [lat0 - 0.0005, lat0 - 0.0005, lat0 - 0.0015])
    np.testing.assert_allclose(shapely.get_coordinates(pts), np.column_stack([x, y]),
                               atol=1e-6)
    # parcels 30 km east: the window is found in degrees too, and holds no cell
    far = sp.load_layers(parcels=frame([shapely.box(px + 30_000, py, px + 30_010, py + 10)],
                                       parcel_id=["p"]), population=path)
    assert len(demand_points(far)[0]) == 0


def test_greedy_cover_counts_a_covered_person_once():
    from scipy import sparse

    from siteplan.locate.select import greedy_cover

    # site 0 covers p0 (10 people) and p3 (1): 11, first; site 1 covers p0 and p1 (0.5):
    # after site 0 it adds only 0.5, less than site 2's p2 (1.2)
    a = np.array([[1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 0]], dtype=float)
    assert greedy_cover(sparse.csr_matrix(a), np.array([10.0, 0.5, 1.2, 1.0]), 2) == [0, 2]


def test_milp_cover_is_an_integer_program_and_counts_people_of_weight_one():
    from itertools import combinations

    from scipy import sparse

    from siteplan.locate.select import milp_cover

    # four sites over four people of weight 1: two sites reach 3 people at best (by
    # brute force over the 6 pairs), while the linear relaxation would take half of
    # every site for 3.5 (and choose none)
    a = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 0], [1, 1, 0, 0]], dtype=float)
    best = max(int(a[list(p)].max(axis=0).sum()) for p in combinations(range(4), 2))
    chosen, status = milp_cover(sparse.csr_matrix(a), np.ones(4), 2)
    assert len(chosen) == 2 and status == "optimal"
    assert int(a[[int(i) for i in chosen]].max(axis=0).sum()) == best == 3


def test_allocation_cover_default_radius_existing_sites_and_grid():
    from siteplan.locate._allocate_build import _cover
    from siteplan.locate._allocate_milp import Instance

    # one use, one candidate C at the origin (10 x 10); people: 4 at 995 m east of C's
    # edge, 6 at 1,005 m; an existing site 200 m north of the 4 serves them (radius 1 km)
    people = frame([shapely.Point(X0 + 1005, Y0 + 5), shapely.Point(X0 + 1015, Y0 + 5)],
                   population=[4.0, 6.0])
    layers = sp.load_layers(parcels=frame([box(0, 0, 10, 10)], parcel_id=["C"]),
                            population=people)
    inst = Instance(uses=("rth",), demand=np.array([1]), members=None,
                    pair_use=np.array([0]), pair_cand=np.array([0]), score=np.array([1.0]),
                    fixed=np.array([False]), conflicts=None, groups=())
    geoms = np.array([box(0, 0, 10, 10)])
    opts = {"radius": {}, "existing": {}}
    (idx, cov, w), = _cover(inst, layers, geoms, opts, 100.0)
    # the default radius, 1 km: the 4 people only
    assert list(idx) == [0] and cov.toarray().tolist() == [[1.0]] and list(w) == [4.0]
    # an existing site in degrees within 1 km of them: nobody is newly reached
    import geopandas as gpd

    ex = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 1005, Y0 + 205)], crs=CRS).to_crs(4326)
    (idx, cov, w), = _cover(inst, layers, geoms, {"radius": {}, "existing": {"rth": ex}},
                            100.0)
    assert cov.shape[1] == 0 and len(w) == 0
    # an existing site without a CRS is taken in the layers' CRS: 200 m north of the 4
    ex = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 1005, Y0 + 205)])
    (idx, cov, w), = _cover(inst, layers, geoms, {"radius": {}, "existing": {"rth": ex}},
                            100.0)
    assert cov.shape[1] == 0
    # one person counts: a person of weight 1 beside the 4 joins their group
    one = frame([shapely.Point(X0 + 1005, Y0 + 5), shapely.Point(X0 + 1006, Y0 + 5)],
                population=[4.0, 1.0])
    layers1 = sp.load_layers(parcels=frame([box(0, 0, 10, 10)], parcel_id=["C"]),
                             population=one)
    assert list(_cover(inst, layers1, geoms, opts, 100.0)[0][2]) == [5.0]


def test_allocation_cover_spreads_polygon_people_on_the_given_grid():
    from siteplan.locate._allocate_build import _cover
    from siteplan.locate._allocate_milp import Instance

    # 200 people over a 200 x 100 m block east of C (10 x 10 at the origin), C reaching
    # 70 m: on a 50 m grid the centres (35, 25) and (35, 75) are 29.2 and 69.6 m away
    # (25 people each), (85, 25) 76.5 m; on a 100 m grid (60, 50) is 64 m away (100)
    block = frame([box(10, 0, 210, 100)], population=[200.0])
    layers = sp.load_layers(parcels=frame([box(0, 0, 10, 10)], parcel_id=["C"]),
                            population=block)
    inst = Instance(uses=("rth",), demand=np.array([1]), members=None,
                    pair_use=np.array([0]), pair_cand=np.array([0]), score=np.array([1.0]),
                    fixed=np.array([False]), conflicts=None, groups=())
    opts = {"radius": {"rth": 70.0}, "existing": {}}
    geoms = np.array([box(0, 0, 10, 10)])
    assert _cover(inst, layers, geoms, opts, 50.0)[0][2].tolist() == [50.0]
    assert _cover(inst, layers, geoms, opts, 100.0)[0][2].tolist() == [100.0]


# ------------------------------------------------------------------------ more rules


def _profile_error(con):
    with pytest.raises(sp.SiteplanInputError) as info:
        profile_from_dict({"name": "p", "title": {"en": "t"}, "constraints": [con],
                           "criteria": [{"name": "c", "measure": "area", "weight": 1,
                                         "transform": {"type": "linear", "best": 1,
                                                       "worst": 0}}]})
    return str(info.value)


def test_a_rule_check_shows_the_value_given_and_none_when_it_is_missing():
    text = _profile_error({"type": "min_area", "value": -5})
    assert "(min_area): needs value = <m²> > 0 and <= 1e+15, got -5. Fix:" in text
    text = _profile_error({"type": "min_area"})
    assert "(min_area): needs value = <m²> > 0 and <= 1e+15. Fix:" in text
    # a good rule passes its checks
    assert profile_from_dict({"name": "p", "title": {"en": "t"},
                              "constraints": [{"type": "min_area", "value": 5}],
                              "criteria": [{"name": "c", "measure": "area", "weight": 1,
                                            "transform": {"type": "linear", "best": 1,
                                                          "worst": 0}}]}).constraints


def test_threshold_breaks_must_be_a_list():
    from siteplan.methods.transforms import check_transform

    for breaks in ((100, 200), 5, "ab"):
        problems = check_transform({"type": "threshold", "breaks": breaks,
                                    "values": [1, 0.5, 0]}, "w")
        assert [p.what for p in problems] == \
            ["threshold 'breaks' and 'values' must be lists of numbers"], breaks
    assert check_transform({"type": "threshold", "breaks": [100, 200],
                            "values": [1, 0.5, 0]}, "w") == []


def test_inside_reads_the_features_themselves_with_where_and_no_buffer_by_default():
    import siteplan.methods.constraints as con

    # an L-shaped zone: the square 0-20 x 0-20 without its north-east quarter; parcels
    # (their point on the surface) in the arm (A), in the missing quarter (B, inside the
    # zone's box only), 0.5 m east of the zone (C); a second zone of another kind over B
    zone = shapely.Polygon([(X0, Y0), (X0 + 20, Y0), (X0 + 20, Y0 + 10), (X0 + 10, Y0 + 10),
                            (X0 + 10, Y0 + 20), (X0, Y0 + 20)])
    zones = frame([zone, box(10, 10, 20, 20)], kind=["kawasan", "lain"])
    parcels = {"A": box(2, 2, 4, 4), "B": box(14, 14, 16, 16), "C": box(20.5, 2, 21.5, 3)}
    rule = {"type": "inside", "layer": "zona", "where": {"kind": ["kawasan"]}}
    from test_rules_constraints import kept

    assert kept(parcels, rule, extra={"zona": zones}) == {"A": True, "B": False, "C": False}
    # with a 1 m buffer C is within reach
    assert kept(parcels, {**rule, "buffer": 1}, extra={"zona": zones})["C"] is True
    assert con.constraint_label({**rule, "buffer": 5}).endswith(" +5 m")
    assert not con.constraint_label(rule).endswith(" m")


def test_fuzzy_large_below_one_midpoint_and_near_zero():
    # x = 0.5 with midpoint 1: 1 / (1 + 0.5^-5) = 1/33; x = 1e-200: (1e-200)^-5 overflows
    # to inf, so 0 (quietly)
    got = TRANSFORMS["fuzzy_large"][0](np.array([0.5, 1e-200]), midpoint=1.0, spread=5.0)
    np.testing.assert_allclose(got, [1 / 33, 0.0], rtol=1e-12, atol=0)


def test_topsis_with_a_reference_and_a_criterion_all_zero():
    from siteplan.methods.aggregate import topsis

    # the second criterion is 0 everywhere in the reference: its column is left at 0 (no
    # division by zero); the first, normalised by the reference's norm 5 (3, 4): the
    # sites 3 and 4 of c score against ideals 0.6 and 0.8 -> 0 and 1
    ref = np.array([[3.0, 0.0], [4.0, 0.0]])
    got = topsis(np.array([[3.0, 0.0], [4.0, 0.0]]), np.array([0.5, 0.5]), reference=ref)
    np.testing.assert_allclose(got, [0.0, 1.0], atol=1e-12)


# ------------------------------------------------------------------------ distance (GEOS path)

X3, Y3 = 600_000.0, 50_000.0     # UTM 48N just north of the equator: x far larger than y


def box3(x1, y1, x2, y2):
    return shapely.box(X3 + x1, Y3 + y1, X3 + x2, Y3 + y2)


@pytest.mark.parametrize("n_far", [0, 17])    # few features (every box tested) and many
def test_distance_to_polygons_finds_the_nearest_edge_not_the_nearest_corner(n_far):
    # P (10 x 10 at the origin): zone A is a 2 km long strip 5 m north of it, its corners
    # 1 km away; zone B's corner is the vertex nearest P's centre but B is sqrt(128) m away.
    # R is exactly 20 m east of zone C, and the search goes no further than worst = 20 m.
    # Polygon features are measured by GEOS, in UTM 48N metres (EPSG:32648).
    zones = [box3(-1000, 15, 1000, 16), box3(18, 18, 20, 20), box3(5000, 5000, 5010, 5010)]
    zones += [box3(20_000 + 100 * k, 0, 20_010 + 100 * k, 10) for k in range(n_far)]
    parcels = gpd.GeoDataFrame({"parcel_id": ["P", "R"]},
                               geometry=[box3(0, 0, 10, 10), box3(5030, 5000, 5040, 5010)],
                               crs="EPSG:32648")
    layers = sp.load_layers(parcels=parcels,
                            extra={"zona": gpd.GeoDataFrame(geometry=zones, crs="EPSG:32648")})
    assert layers.crs.to_epsg() == 32648
    prof = profile_from_dict({"name": "d", "title": {"en": "t"}, "criteria": [{
        "name": "c", "weight": 1, "measure": "distance", "layer": "zona",
        "transform": {"type": "linear", "best": 0, "worst": 20}}]})
    res = sp.score(layers, prof).set_index("parcel_id")
    assert res.loc["P", "m_c"] == 5.0
    assert res.loc["R", "m_c"] == 20.0


def test_people_beyond_the_parks_on_a_raster_on_lines_and_per_radius(tmp_path):
    from affine import Affine

    from siteplan.layers.population import amount_in, people_beyond

    everywhere = np.array([box(-5000, -5000, 5000, 5000)])
    park = {"taman": frame([box(0, 0, 10, 100)], jenis=["taman"])}
    # a raster row of three 100 m cells holding 100, 200 and 300 people over x 0-300; 40 m
    # around the park reaches x 50, half the first cell: 50 + 200 + 300 live beyond
    path = _write_raster(tmp_path / "pop.tif", [[100.0, 200.0, 300.0]], crs=CRS,
                         transform=Affine(100.0, 0, X0, 0, -100.0, Y0 + 100))
    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["x"]),
                            population=path, extra=park)
    s = people_beyond(layers, 40.0, "taman", {"jenis": ("taman",)}, context="t")
    assert amount_in(everywhere, s)[0] == pytest.approx(550.0, rel=1e-9)
    s = people_beyond(layers, 40.0, "taman", {"jenis": ("hutan",)}, context="t")
    assert amount_in(everywhere, s)[0] == pytest.approx(600.0, rel=1e-9)
    # each radius is its own answer (not the one cached for another radius)
    # (with a block of 0.5 m² holding 10 people far from the park: it counts whole)
    strip = frame([box(0, 0, 100, 10), box(500, 0, 500.5, 1)], population=[1000.0, 10.0])
    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["x"]),
                            population=strip, extra=park)
    for radius, beyond in ((40.0, 510.0), (60.0, 310.0), (40.0, 510.0)):
        s = people_beyond(layers, radius, "taman", {"jenis": ("taman",)}, context="t")
        assert amount_in(everywhere, s)[0] == pytest.approx(beyond), radius


def test_population_errors_name_their_context():
    from siteplan.layers.population import people, people_beyond, spread

    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["x"]))
    with pytest.raises(sp.SiteplanInputError, match=r"^population: needs the 'population'"):
        people(layers)
    with pytest.raises(sp.SiteplanInputError, match=r"^kriteria 'p': needs the 'population'"):
        people_beyond(layers, 10.0, "taman", {}, context="kriteria 'p'")
    shops = frame([shapely.Point(X0, Y0)], omzet=["banyak"])
    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["x"]),
                            population=frame([box(0, 0, 10, 10)], population=[5.0]),
                            extra={"umkm": shops})
    with pytest.raises(sp.SiteplanInputError) as info:
        spread(layers, "umkm", "omzet", context="kriteria 'p'")
    assert "kriteria 'p'" in str(info.value) and "umkm" in str(info.value)
    with pytest.raises(sp.SiteplanInputError) as info:
        people_beyond(layers, 10.0, "taman", {}, context="kriteria 'p'")
    assert "kriteria 'p'" in str(info.value)


# ------------------------------------------------------------------------ more aggregation


def test_owa_breaks_ties_between_criteria_in_their_profile_order():
    from siteplan.methods.aggregate import owa, owa_order_weights

    assert owa_order_weights(4) == pytest.approx([0.25] * 4)       # alpha 1 by default
    # 20 criteria on three levels (many ties), unequal weights, alpha 2: the k-th best
    # value takes order weight v_k; among equal values the criterion listed first ranks
    # first. Worked out in plain Python below, with a stable sort of (-value, position).
    rng = np.random.default_rng(3)
    c = rng.choice([0.2, 0.5, 0.8], size=(30, 20))
    w = rng.uniform(0.1, 1.0, 20)
    v = owa_order_weights(20, 2.0)
    want = []
    for row in c:
        ranked = sorted(range(20), key=lambda j: (-row[j], j))
        u = [w[j] * v[k] for k, j in enumerate(ranked)]
        want.append(sum(uk * row[j] for uk, j in zip(u, ranked, strict=True)) / sum(u))
    np.testing.assert_allclose(owa(c, w, v), want, rtol=1e-12)


# ------------------------------------------------------------------------ slope


def test_slope_of_a_dem_in_degrees(tmp_path):
    import pyproj
    from affine import Affine

    # a DEM in EPSG:4326 of 0.001 degree cells, rising 1 m per cell eastwards; at the middle
    # row (latitude -6.0015) a cell is 0.001 * 111,320 * cos(6.0015 deg) m wide, so the
    # slope there is 100 / that width per cent (the north-south rise is 0)
    lon0, lat0 = 106.15, -6.0
    dem = _write_raster(tmp_path / "dem4326.tif", np.tile([0.0, 1.0, 2.0], (3, 1)),
                        crs="EPSG:4326", transform=Affine(0.001, 0, lon0, 0, -0.001, lat0))
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    cx, cy = to_utm.transform(lon0 + 0.0015, lat0 - 0.0015)    # the middle cell's centre
    p = shapely.box(cx - 5, cy - 5, cx + 5, cy + 5)
    got = measured({"P": p}, {"measure": "slope", "layer": "dem",
                              "transform": {"type": "linear", "best": 0, "worst": 30}},
                   dem=dem)
    width = 0.001 * 111_320.0 * np.cos(np.radians(6.0015))
    assert got["P"] == pytest.approx(100.0 / width, rel=1e-9)


# ------------------------------------------------------------------------ attribute rule


def test_attribute_rule_keeps_every_bound_and_reads_text_as_missing():
    from test_rules_constraints import kept

    import siteplan.methods.constraints as con

    parcels = {"A": box(0, 0, 10, 10), "B": box(20, 0, 30, 10), "C": box(40, 0, 50, 10)}
    # A breaks min (3 < 5) though its status is allowed; B breaks `in`; C's lantai is
    # text, so not a number: it breaks min
    cols = {"lantai": [3, 7, "dua"], "status": ["kosong", "sewa", "kosong"]}
    rule = {"type": "attribute", "column": "lantai", "min": 5}
    assert kept(parcels, rule, columns=cols) == {"A": False, "B": True, "C": False}
    both = [rule, {"type": "attribute", "column": "status", "in": ["kosong"]}]
    assert kept(parcels, *both, columns=cols) == {"A": False, "B": False, "C": False}
    # one rule with several bounds breaks when any of them breaks: B's 7 is not in [9]
    # though it is >= 5; A's status is not in [x] but not in [kosong] either
    assert kept(parcels, {"type": "attribute", "column": "lantai", "in": [9], "min": 5},
                columns=cols)["B"] is False
    assert kept(parcels, {"type": "attribute", "column": "status", "in": ["sewa"],
                          "not_in": ["x"]}, columns=cols) == {"A": False, "B": True,
                                                               "C": False}
    one = {"type": "attribute", "column": "lantai", "min": 5, "max": 9, "in": [3, 7],
           "not_in": [9]}
    assert con.constraint_label(one) == "attribute lantai in [3, 7] not_in [9] min 5 max 9"


# ------------------------------------------------------------------------ population grid


def test_polygon_and_multipoint_people_by_hand():
    from siteplan.layers.population import amount_in, demand_points, people

    # a 200 x 100 m block of 200 people: two 100 m grid centres inside, 100 each, at
    # (50, 50) and (150, 50); a block with no number holds nobody; a multipoint of two
    # points shares its 10 people
    pop = frame([box(0, 0, 200, 100), box(300, 0, 310, 10),
                 shapely.MultiPoint([(X0 + 400, Y0), (X0 + 410, Y0)])],
                population=[200.0, np.nan, 10.0])
    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["x"]),
                            population=pop)
    pts, w = demand_points(layers)
    got = sorted(zip(shapely.get_coordinates(pts).round(6).tolist(), w.tolist(), strict=True))
    assert got == sorted([([X0 + 400, Y0], 5.0), ([X0 + 410, Y0], 5.0),
                          ([X0 + 50, Y0 + 50], 100.0), ([X0 + 150, Y0 + 50], 100.0),
                          ([X0 + 305, Y0 + 5], 0.0)])
    # points: (400, 0) inside an L-shaped area, (410, 0) in the notch of its box
    two = frame([shapely.Point(X0 + 400, Y0), shapely.Point(X0 + 410, Y0)], population=[5.0, 7.0])
    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["x"]), population=two)
    ell = shapely.Polygon([(X0 + 395, Y0 - 5), (X0 + 415, Y0 - 5), (X0 + 415, Y0 - 4),
                           (X0 + 405, Y0 - 4), (X0 + 405, Y0 + 5), (X0 + 395, Y0 + 5)])
    assert amount_in(np.array([ell]), people(layers))[0] == 5.0
