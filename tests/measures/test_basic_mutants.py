"""Tests written for the surviving mutants of siteplan/measures/basic.py (docs/mutation-report.md).

The straight-line distances, counts and sums within r, areas, overlap, zonal and attribute
values. Each expected value is worked out by hand in the docstring or comment beside
it, on a tiny world of whole-metre boxes and points (the frame of
test_rules_mutants), or is shapely's own distance where the code promises
exactly that double.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree
from test_rules_mutants import CRS, X0, Y0, box, frame

import siteplan as sp
from siteplan.criterion import Criterion
from siteplan.measures import basic

CTX = "criterion 'c'"
LINEAR = {"type": "linear", "best": 0, "worst": 100}


def crit(measure="distance", transform=LINEAR, **kw):
    return Criterion(name="c", measure=measure, transform=transform, weight=1.0, **kw)


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


def problem_of(excinfo):
    (p,) = excinfo.value.problems
    return p


# ------------------------------------------------------------------------ the GEOS search


def test_box_gap_is_the_squared_distance_between_boxes():
    """Boxes (xmin, ymin, xmax, ymax): overlapping 0; 3 apart in x 9; 4 apart in y 16;
    3 and 4 apart 3² + 4² = 25; either order of the two boxes gives the same."""
    a = np.array([[0.0, 0.0, 2.0, 2.0]] * 4)
    b = np.array([[1.0, 1.0, 5.0, 5.0], [5.0, 0.0, 6.0, 1.0], [0.0, 6.0, 1.0, 7.0],
                  [5.0, 6.0, 7.0, 9.0]])
    np.testing.assert_array_equal(basic._box_gap2(a, b), [0.0, 9.0, 16.0, 25.0])
    np.testing.assert_array_equal(basic._box_gap2(b, a), [0.0, 9.0, 16.0, 25.0])


def _search(fgeoms):
    """The inputs of basic._nearest for these features, built as basic.distance builds them."""
    xy, owner = shapely.get_coordinates(fgeoms, return_index=True)
    return fgeoms, shapely.STRtree(fgeoms), cKDTree(xy), owner, shapely.bounds(fgeoms)


def _far(n):
    # features 10 km away, only to pass 16 features (the STRtree query instead of every box)
    return [shapely.Point(10_000 + 10 * k, 10_000) for k in range(n)]


@pytest.mark.parametrize("n_far", [0, 17])
@pytest.mark.parametrize("limit", [None, 50.0])
@pytest.mark.parametrize(("d", "eps"), [(0.5, 2e-10), (10.0, 5e-9)])
def test_the_search_radius_keeps_a_feature_a_hair_nearer_than_the_first(d, eps, limit, n_far):
    """Parcel 3d x 1 at the origin; A sits d north of its middle (d + 0.5 from the centre,
    so A owns the vertex nearest the centre and gives the first bound d); B sits
    d - eps east of its right side (2.5d from the centre). B is the nearest: d - eps,
    a hair (2e-10 or 5e-9 m) under the bound, so a search radius cut by a few 1e-9
    relative would lose it. Exactly shapely's distance to B."""
    w = 3 * d
    parcel = shapely.box(0, 0, w, 1)
    a, b = shapely.Point(w / 2, 1 + d), shapely.Point(w + d - eps, 0.5)
    got = basic._nearest(np.array([parcel]), *_search(np.array([a, b, *_far(n_far)])),
                         limit=limit)
    assert got[0] == shapely.distance(parcel, b)
    assert got[0] == pytest.approx(d - eps, abs=1e-13)
    assert got[0] < d


def test_the_tree_query_reaches_east_of_a_parcel_lower_than_wide():
    """More than 16 features (the STRtree query): parcel x 100-140, y 0-10 (its ymax, 10, is
    far below its xmax). A is 6 m north of its middle (11 m from the centre: the first
    bound), B 5 m east of its right side (25 m from the centre): the nearest is B, 5 m."""
    parcel = shapely.box(100, 0, 140, 10)
    feats = np.array([shapely.Point(120, 16), shapely.Point(145, 5), *_far(17)])
    assert basic._nearest(np.array([parcel]), *_search(feats), limit=None)[0] == 5.0


# ------------------------------------------------------------------------ distance


def _kinds_world():
    """P: the 10 x 10 box at the origin. Points T0 (kind a) at (10, 30), T1 (b) at (50, 5),
    T2 (b) at (5, 13); the layer 'zona' has 2 x 2 squares around the same points, in the
    reverse order."""
    xy = [(10, 30), (50, 5), (5, 13)]
    kinds = ["a", "b", "b"]
    titik = frame([pt(x, y) for x, y in xy], kind=kinds, jumlah=[5.0, 7.0, 11.0])
    zona = frame([box(x - 1, y - 1, x + 1, y + 1) for x, y in xy[::-1]], kind=kinds[::-1])
    layers = sp.load_layers(parcels=frame([box(0, 0, 10, 10)], parcel_id=["P"]),
                            extra={"titik": titik, "zona": zona})
    return layers, np.asarray(layers["parcels"].geometry.array, dtype=object)


@pytest.mark.parametrize("jit", [True, False])
def test_distance_per_layer_and_filter_on_one_bundle(jit, monkeypatch):
    """One bundle measured for two layers and three filters in turn (its caches shared):
    points: kind a T0 is 30 - 10 = 20 m north of P, kind b's nearest T2 13 - 10 = 3 m,
    all 3 m; the squares 1 m less: 19, 2 and 2 m."""
    if not jit:
        monkeypatch.setenv("SITEPLAN_NO_JIT", "1")
    layers, geoms = _kinds_world()
    want = {("titik", "a"): 20.0, ("titik", "b"): 3.0, ("titik", None): 3.0,
            ("zona", "a"): 19.0, ("zona", "b"): 2.0, ("zona", None): 2.0}
    for (layer, kind), d in want.items():
        where = {"kind": (kind,)} if kind else {}
        got = basic.distance(crit(layer=layer, where=where), layers["parcels"], geoms,
                             layers, CTX)
        assert got[0] == d, (layer, kind)


@pytest.mark.parametrize("jit", [True, False])
def test_distance_to_the_parcels_reads_each_partitions_own(jit, monkeypatch):
    """Two bundles of parcels sharing their context cache, as the dask engine's partitions
    do (Layers.with_cache(cache.for_partition())). Distance to the parcels of kind y: in
    the first, A (x 0-10) is 20 m from B (x 30-40), B 0; in the second, C (x 0-10) is 50 m
    from D2 (x 60-70), D1 (x 200-210) and D2 0 (each is one of them)."""
    if not jit:
        monkeypatch.setenv("SITEPLAN_NO_JIT", "1")
    first = sp.load_layers(parcels=frame([box(0, 0, 10, 10), box(30, 0, 40, 10)],
                                         parcel_id=["A", "B"], jenis=["x", "y"]))
    second = sp.load_layers(parcels=frame([box(0, 0, 10, 10), box(200, 0, 210, 10),
                                           box(60, 0, 70, 10)],
                                          parcel_id=["C", "D1", "D2"], jenis=["x", "y", "y"]))
    second = second.with_cache(first.cache.for_partition())
    c = crit(layer="parcels", where={"jenis": ("y",)})
    for layers, want in ((first, [20.0, 0.0]), (second, [50.0, 0.0, 0.0])):
        p = layers["parcels"]
        got = basic.distance(c, p, np.asarray(p.geometry.array, dtype=object), layers, CTX)
        assert got.tolist() == want


def test_distance_after_a_count_on_the_same_filter():
    """With the layer's search tree already built (a count ran first), distance still reads
    the filter: kind a's only point is 20 m away although T2, of kind b, is 3 m away."""
    layers, geoms = _kinds_world()
    c = crit(layer="titik", where={"kind": ("a",)}, radius=1.0)
    assert basic.count_within(c, layers["parcels"], geoms, layers, CTX)[0] == 0.0
    assert basic.distance(c, layers["parcels"], geoms, layers, CTX)[0] == 20.0


def test_a_parcel_the_compiled_search_is_unsure_of_is_measured_by_geos():
    """The feature point lies on the triangle's edge, halfway along it as rounding allows:
    the compiled search flags the parcel (a point within rounding of its edge) and gets
    4e-11 m; GEOS's robust test puts it on the edge, 0 m, and the measure is GEOS's."""
    tri = shapely.Polygon([(620043.4427147174, 9320008.17717081),
                           (620031.7034989673, 9320033.686671887),
                           (620024.82858469, 9320015.900869392)])
    p = shapely.Point(620035.0975426302, 9320026.311361447)
    layers = sp.load_layers(parcels=frame([tri], parcel_id=["T"]),
                            extra={"titik": frame([p], kind=["a"])})
    got = basic.distance(crit(layer="titik"), layers["parcels"], np.array([tri]), layers, CTX)
    assert got[0] == shapely.distance(tri, p) == 0.0


def test_distance_to_a_layer_of_empty_geometries_is_infinite():
    """A bundle built directly (no loading to drop them) whose layer holds only an empty
    point: no feature to be near, so every parcel is inf away, on either path."""
    parcels = frame([box(0, 0, 10, 10)], parcel_id=["P"])
    layers = sp.Layers({"parcels": parcels, "titik": frame([shapely.Point()], kind=["a"])},
                       crs=parcels.crs)
    got = basic.distance(crit(layer="titik"), parcels, np.array([box(0, 0, 10, 10)]), layers,
                         CTX)
    assert got.tolist() == [np.inf]


# ------------------------------------------------------------------------ errors name the rule


@pytest.mark.parametrize("measure", ["distance", "distance_nojit", "count_within",
                                     "sum_within", "overlap_share", "zonal"])
def test_a_missing_layer_is_named_with_the_rule_that_reads_it(measure, monkeypatch):
    """Every measure that reads a layer names the rule (its context) when the layer is not
    loaded, on the compiled path of distance and without it."""
    if measure == "distance_nojit":
        monkeypatch.setenv("SITEPLAN_NO_JIT", "1")
        measure = "distance"
    layers, geoms = _kinds_world()
    c = crit(measure, layer="hilang", column="jumlah", radius=10.0)
    with pytest.raises(sp.SiteplanInputError) as err:
        getattr(basic, measure)(c, layers["parcels"], geoms, layers, CTX)
    p = problem_of(err)
    assert p.where == CTX
    assert "needs layer 'hilang'" in p.what


@pytest.mark.parametrize("measure", ["count_within", "sum_within"])
def test_too_many_pairs_are_refused_and_a_small_radius_is_not(measure, monkeypatch):
    """With the limit lowered to 2 pairs, P and Q (2 parcels) against 3 points are 6 > 2
    pairs in the worst case, so the pairs are estimated: within 1 m none (counted: 0, 0);
    within 1 km every point of each parcel, 2 x 3 = 6 > 2, refused naming the rule, the
    layer and the radius."""
    monkeypatch.setattr("siteplan.limits.MAX_PAIRS", 2)
    layers, _ = _kinds_world()
    geoms = np.array([box(0, 0, 10, 10), box(20, 0, 30, 10)])
    fn = getattr(basic, measure)
    near = fn(crit(measure, layer="titik", column="jumlah", radius=1.0), None, geoms, layers,
              CTX)
    assert near.tolist() == [0.0, 0.0]
    with pytest.raises(sp.SiteplanInputError) as err:
        fn(crit(measure, layer="titik", column="jumlah", radius=1000.0), None, geoms, layers,
           CTX)
    p = problem_of(err)
    assert p.where == CTX
    assert p.what.startswith("radius 1,000 m puts about 3 features of layer 'titik' near")


# ------------------------------------------------------------------------ sum, area, overlap


def test_sum_within_keeps_the_filter():
    """Within 25 m of P: T0 (20 m, 5) and T2 (3 m, 11), not T1 (40 m, 7): kind a 5, kind b
    11, all 16."""
    layers, geoms = _kinds_world()
    for kind, want in (("a", 5.0), ("b", 11.0), (None, 16.0)):
        where = {"kind": (kind,)} if kind else {}
        c = crit("sum_within", layer="titik", column="jumlah", radius=25.0, where=where)
        assert basic.sum_within(c, layers["parcels"], geoms, layers, CTX)[0] == want, kind


def test_area_of_boxes():
    """10 x 20 = 200 m², 0.5 x 3 = 1.5 m²."""
    geoms = np.array([box(0, 0, 10, 20), box(0, 0, 0.5, 3)])
    np.testing.assert_array_equal(basic.area(None, None, geoms, None, CTX), [200.0, 1.5])


def _overlap(parcels, zones):
    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["P"]),
                            extra={"zona": frame(zones)})
    return basic.overlap_share(crit("overlap_share", layer="zona"), None,
                               np.array(parcels, dtype=object), layers, CTX)


def test_overlap_share_by_hand():
    """A 10 x 10 box with its left half covered (two overlapping zones, counted once): 0.5;
    a 1 x 0.5 box (0.5 m², under 1 m²) with its left half covered: 0.5; an empty parcel
    (no area): 0."""
    zones = [box(-5, 0, 5, 10), box(0, 0, 5, 5), box(20, 0, 20.5, 0.5)]
    got = _overlap([box(0, 0, 10, 10), box(20, 0, 21, 0.5), shapely.Polygon()], zones)
    assert got.tolist() == [0.5, 0.5, 0.0]


def test_overlap_share_of_parcels_no_zone_touches_is_zero():
    """Both parcels 100 m from the only zone: nothing covered, 0 and 0."""
    got = _overlap([box(100, 100, 110, 110), box(200, 0, 210, 10)], [box(0, 0, 10, 10)])
    assert got.tolist() == [0.0, 0.0]


def test_overlap_share_of_a_parcel_wholly_inside_a_zone_is_one():
    """An irregular pentagon inside a 300 m square zone is covered whole: share 1 (its
    intersection's area, summed in another vertex order, is one ulp over its own)."""
    ring = [(620054.4502515729, 9320130.260738831), (620042.6064939969, 9320120.80390227),
            (620016.9887414818, 9320112.744584104), (620021.4087491418, 9320108.633361112),
            (620048.131914154, 9320080.807088243)]
    got = _overlap([shapely.Polygon(ring)], [box(-100, -100, 200, 200)])
    assert got.tolist() == [1.0]


# ------------------------------------------------------------------------ zonal


def _zonal(zones, parcels, column, **kw):
    layers = sp.load_layers(parcels=frame([box(0, 0, 1, 1)], parcel_id=["P"]),
                            extra={"zona": zones})
    return basic.zonal(crit("zonal", layer="zona", column=column, **kw), None,
                       np.array(parcels, dtype=object), layers, CTX)


def test_zonal_reads_the_zone_holding_the_inner_point_not_its_box():
    """A right triangle (0,0)-(100,0)-(0,100) of value 3: the box 10-20 lies in it (3); the
    box 80-90 lies in its bounding box but beyond its long side (x + y > 100): NaN, as a
    box far away. Values are floats."""
    zones = frame([shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0, Y0 + 100)])], nilai=[3.0])
    got = _zonal(zones, [box(10, 10, 20, 20), box(80, 80, 90, 90), box(500, 0, 510, 10)],
                 "nilai")
    assert got.dtype == np.float64
    assert got[0] == 3.0 and np.isnan(got[1]) and np.isnan(got[2])


@pytest.mark.parametrize("sizes", [(50, 30, 20), (20, 30, 50), (30, 50, 20), (30, 20, 50)])
def test_zonal_reads_the_first_of_overlapping_zones_in_the_layers_order(sizes):
    """Three nested squares from the origin (sides given in the layer's order, values 1, 2,
    3 in that order) all hold the inner point of the parcel 5-15: the first zone of the
    layer is read (1), whatever their sizes and whatever order the search tree lists them
    in; a second parcel 25-28 lies only in the squares wider than 28 m: the first of those."""
    zones = frame([box(0, 0, s, s) for s in sizes], nilai=[1.0, 2.0, 3.0])
    got = _zonal(zones, [box(5, 5, 15, 15), box(25, 25, 28, 28)], "nilai")
    wide = [v for s, v in zip(sizes, (1.0, 2.0, 3.0), strict=True) if s > 28]
    assert got[0] == 1.0
    assert got[1] == wide[0]


def test_zonal_text_outside_every_zone_is_nan():
    """Text values: the parcel in the zone reads 'rendah', the one outside NaN (a float)."""
    zones = frame([box(0, 0, 50, 50)], kelas=["rendah"])
    got = _zonal(zones, [box(10, 10, 20, 20), box(80, 80, 90, 90)], "kelas")
    assert got[0] == "rendah"
    assert isinstance(got[1], float) and np.isnan(got[1])


def test_zonal_names_the_missing_column_its_layer_and_the_fix():
    zones = frame([box(0, 0, 50, 50)], kelas=["rendah"])
    with pytest.raises(sp.SiteplanInputError) as err:
        _zonal(zones, [box(10, 10, 20, 20)], "nilai")
    p = problem_of(err)
    assert (p.where, p.fix) == (CTX, "fix 'column' in the profile")
    assert p.what.startswith("reads column 'nilai' of layer 'zona', which it does not have")


# ------------------------------------------------------------------------ attribute


def _attribute(values, transform=LINEAR, column="lantai"):
    parcels = gpd.GeoDataFrame({"lantai": values}, geometry=[box(0, 0, 1, 1)] * len(values),
                               crs=CRS)
    return basic.attribute(crit("attribute", transform, column=column), parcels, None, None,
                           CTX)


def test_attribute_categorical_reads_the_values_as_they_are():
    """A categorical rule reads the column's values themselves, as Python objects."""
    got = _attribute([3, 7], {"type": "categorical", "table": {"3": 1.0}})
    assert got.dtype == object and got.tolist() == [3, 7]


@pytest.mark.parametrize(("values", "want"), [
    ([3, 7], [3.0, 7.0]),
    ([3, None, 7], [3.0, np.nan, 7.0]),                # missing stays missing (not 0)
    (["3", None, "dua"], [3.0, np.nan, np.nan]),       # with a gap, text is missing too
    (np.array([0.5, np.nan], dtype=np.float32), [0.5, np.nan]),
])
def test_attribute_numbers_with_and_without_gaps(values, want):
    got = _attribute(values)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_attribute_text_in_a_full_column_is_refused_naming_the_parcels():
    """No gap, but 'dua' is no number: refused, naming the rule, the parcels and the row."""
    with pytest.raises(sp.SiteplanInputError) as err:
        _attribute(["3", "dua"])
    p = problem_of(err)
    assert p.where == CTX
    assert p.what == "column 'lantai' of layer 'parcels' must be numeric, but holds 'dua' (row 1)"


def test_attribute_missing_column_names_the_parcels_and_the_fix():
    with pytest.raises(sp.SiteplanInputError) as err:
        _attribute([3, 7], column="tinggi")
    p = problem_of(err)
    assert (p.where, p.fix) == (CTX, "add the column to the parcels or fix the profile")
    assert p.what.startswith("reads column 'tinggi' of layer 'parcels', which it does not have")
