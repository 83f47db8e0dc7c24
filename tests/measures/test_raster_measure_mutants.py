"""Tests for the surviving mutants of measures/raster.py and layers/raster.py (mutation report).

The raster checks of a profile (stat, unit, values, at_least) with the exact
problems they report; and the raster layers where the first tests did not
look: a raster that cannot be read or has no band, one in a local
(engineering) CRS, rings oriented without shapely.orient_polygons (shapely
2.0), the order of geometries tied on the Hilbert curve, a chunk whose window
is exactly the limit, a window wholly beside the raster, cells of +-3.4e38,
the threshold of a parcel without valid cells, and the precision the line
integrals are built for (running sums from each parcel's own first column,
columns counted from the raster's edge, a cut at the one column line a piece
crosses). Expected values are worked out by hand or from shapely's
intersection of each parcel with each cell (the helpers of test_raster_mutants).
"""

from __future__ import annotations

import struct

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine
from test_raster_mutants import UTM, X0, Y0, N, bounds, box, layer, poly, reference, write

import siteplan.layers.raster as raster_mod
from siteplan import Problem, SiteplanInputError
from siteplan.layers.raster import Window, coverage_sum, open_raster, read_window, zonal_stats
from siteplan.limits import MAX_MAGNITUDE
from siteplan.measures.raster import check_slope, check_zonal

WHERE = "criterion 'z'"


# ------------------------------------------------------------------ profile checks


def checked(check, cr):
    problems: list = []
    check(cr, WHERE, problems)
    return problems


@pytest.mark.parametrize("cr", [{"stat": "mean"}, {"stat": "max"}, {"unit": "percent"},
                                {"unit": "degrees"}, {"stat": "mean", "unit": "degrees"}, {}])
def test_check_slope_accepts_mean_max_and_both_units(cr):
    """A slope's stat is mean or max, its unit percent or degrees: nothing to report."""
    assert checked(check_slope, cr) == []


def test_check_slope_reports_a_bad_stat_and_unit_where_they_are():
    """median is no slope stat, grad no unit: two problems, each naming the criterion."""
    assert checked(check_slope, {"stat": "median", "unit": "grad"}) == [
        Problem(WHERE, "unknown stat 'median'", "use one of: mean, max"),
        Problem(WHERE, "unknown unit 'grad'", "use one of: percent, degrees")]


def test_check_zonal_reports_a_bad_stat_where_it_is():
    assert checked(check_zonal, {"stat": "median"}) == [
        Problem(WHERE, "unknown stat 'median'",
                "use one of: mean, sum, min, max, majority, share")]


@pytest.mark.parametrize("values, ok", [
    ([40, 50], True),
    ([MAX_MAGNITUDE, -MAX_MAGNITUDE, 0.5], True),   # the bound itself is a magnitude allowed
    ((40, 50), False),            # a tuple is no list (a profile gives lists)
    ([], False),                  # no class at all
    (["tinggi"], False),
    ([40, float("inf")], False),
    ([2 * MAX_MAGNITUDE], False),  # finite but beyond the bound
])
def test_check_zonal_values_must_be_a_non_empty_list_of_bounded_numbers(values, ok):
    want = [] if ok else [Problem(WHERE, f"values must be a list of numbers, got {values!r}",
                                  "write values = [40, 50] (e.g. WorldCover classes)")]
    assert checked(check_zonal, {"stat": "share", "values": values}) == want


@pytest.mark.parametrize("at_least", [-5, 0.67, 0, -MAX_MAGNITUDE])
def test_check_zonal_at_least_may_be_any_bounded_number_even_negative(at_least):
    """at_least has no lower bound but -MAX_MAGNITUDE (e.g. a DEM 5 m below sea level)."""
    assert checked(check_zonal, {"stat": "share", "at_least": at_least}) == []


@pytest.mark.parametrize("at_least, what", [
    ("high", "at_least must be a finite number, got 'high'"),
    (float("nan"), "at_least must be a finite number, got nan"),
    (-2e15, "at_least is -2000000000000000.0, outside the bounds: it must be a number "
            ">= -1e+15 and <= 1e+15"),
])
def test_check_zonal_reports_a_bad_at_least_with_an_example(at_least, what):
    assert checked(check_zonal, {"stat": "share", "at_least": at_least}) == [
        Problem(WHERE, what, "write at_least = 0.67")]


# ------------------------------------------------------------------ opening


def test_an_unreadable_raster_is_named_with_its_fix(tmp_path):
    with pytest.raises(SiteplanInputError) as err:
        open_raster("dem", tmp_path / "missing.tif")
    (problem,) = err.value.problems
    assert problem.where == "layer 'dem' (raster missing.tif)"
    assert problem.what.startswith("cannot be read (")
    assert problem.fix == ("check the path; give a GeoTIFF or another single-band raster "
                           "GDAL reads")


def netcdf(path, variables, ny=3, nx=4):
    """A netCDF classic (CDF-1) file of 2D double variables on dimensions (y, x), by hand."""
    def name(s):
        b = s.encode()
        return struct.pack(">i", len(b)) + b + b"\0" * (-len(b) % 4)

    head = b"CDF\x01" + struct.pack(">i", 0)                       # no record
    head += struct.pack(">ii", 10, 2) + name("y") + struct.pack(">i", ny) + name("x") \
        + struct.pack(">i", nx)                                    # two dimensions
    head += struct.pack(">ii", 0, 0)                               # no global attribute
    size = ny * nx * 8
    begin = len(head) + 8 + sum(len(name(v)) + 36 for v in variables)
    head += struct.pack(">ii", 11, len(variables))
    for i, v in enumerate(variables):                              # dims (0, 1), no attribute,
        head += name(v) + struct.pack(">iiiiiiii", 2, 0, 1, 0, 0, 6, size, begin + i * size)
    data = b"".join(np.arange(ny * nx, dtype=">f8").tobytes() for _ in variables)
    path.write_bytes(head + data)
    return path


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_a_netcdf_of_several_variables_has_no_band_and_is_refused(tmp_path):
    """GDAL opens a netCDF file of two variables as a container of two subdatasets, with no
    band of its own: a problem naming the layer, not a crash."""
    with pytest.raises(SiteplanInputError) as err:
        open_raster("multi", netcdf(tmp_path / "two.nc", ["a", "b"]))
    assert Problem("layer 'multi' (raster two.nc)", "has no band",
                   "give a raster with one band") in err.value.problems


def test_parcels_and_raster_in_one_local_crs_are_measured_as_they_are(tmp_path):
    """A site grid (an engineering CRS, which PROJ cannot transform to itself): nothing to
    reproject. Cells of 10 m from (0, 30); the parcel covers half of cells 1 and 2."""
    wkt = 'LOCAL_CS["site grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
    path = tmp_path / "site.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1, dtype="float64",
                       crs=rasterio.crs.CRS.from_wkt(wkt),
                       transform=Affine(10, 0, 0, 0, -10, 30)) as dst:
        dst.write(N, 1)
    r = open_raster("site", path)
    g = np.array([shapely.box(5, 20, 15, 30)], dtype=object)
    assert zonal_stats(g, pyproj.CRS.from_wkt(wkt), r, "sum")[0] == pytest.approx(1.5)


# ------------------------------------------------------------------ rings


def test_rings_are_oriented_without_shapely_orient_polygons(monkeypatch):
    """shapely 2.0 has no orient_polygons: each polygon is oriented by itself (exterior
    counter-clockwise, holes clockwise), so a clockwise parcel, a hole drawn
    counter-clockwise and a multipolygon count their cells as shapely's cell-by-cell
    intersections do; an empty parcel counts 0."""
    monkeypatch.delattr(shapely, "orient_polygons")
    cw = poly([(0.5, 0.5), (3.5, 0.5), (3.5, 2.5), (0.5, 2.5)])       # clockwise (w goes down)
    assert not cw.exterior.is_ccw
    ccw_hole = shapely.Polygon(box(0.2, 0.2, 3.8, 2.8).exterior.coords,
                               [box(1.5, 1.2, 2.5, 1.8).exterior.coords])
    assert ccw_hole.interiors[0].is_ccw
    multi = shapely.MultiPolygon([cw, box(0.1, 2.6, 0.4, 2.9)])
    parcels = [cw, ccw_hole, multi, shapely.Polygon()]
    got = coverage_sum(np.array(parcels, dtype=object), Window(N, X0, Y0, 10.0, 10.0))
    want = [reference(p, N)[0] for p in parcels[:3]] + [0.0]
    # half of the edge columns and rows: (0.5 + 2 + 3 + 2) / 2 + 2.5 + 6 + 7 + 4
    # + (4.5 + 10 + 11 + 6) / 2 = 3.75 + 19.5 + 15.75
    assert want[0] == pytest.approx(39.0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ------------------------------------------------------------------ chunks and windows

TWO_PLACES = [box(0.2, 0.2, 0.8, 0.8), box(6.2, 4.2, 6.8, 4.8)] * 15   # alternating, 30


def test_chunks_keep_the_input_order_of_geometries_tied_on_the_hilbert_curve(monkeypatch):
    """15 copies at each of two places, alternating: two chunks of 15, one per place, each
    in the order given (even indices, odd indices): a stable sort."""
    monkeypatch.setattr(raster_mod, "_CHUNK", 15)
    chunks = raster_mod._chunks(np.array(TWO_PLACES, dtype=object))
    assert sorted(c.tolist() for c in chunks) == [list(range(0, 30, 2)), list(range(1, 30, 2))]


def test_halving_keeps_the_input_order_of_geometries_tied_on_the_hilbert_curve(monkeypatch):
    """Together the two places need 9 x 7 window cells, each alone 3 x 3: with a limit of 9
    the chunk is halved once, into the two places, each in the order given."""
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 9)
    parts = raster_mod._fitting(np.array(TWO_PLACES, dtype=object), [np.arange(30)],
                                layer(8, 6))
    assert sorted(p.tolist() for p in parts) == [list(range(0, 30, 2)), list(range(1, 30, 2))]


def test_a_chunk_whose_window_is_exactly_the_limit_is_not_halved(monkeypatch):
    """Two parcels in cells (0, 0) and (1, 0): columns -1..2 and rows -1..1 with the
    margin, 4 x 3 = 12 cells; the limit is inclusive (as read_window's)."""
    g = np.array([box(0.2, 0.2, 0.8, 0.8), box(1.2, 0.2, 1.8, 0.8)], dtype=object)
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 12)
    assert [p.tolist() for p in raster_mod._fitting(g, [np.arange(2)], layer(4, 3))] == [[0, 1]]
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 11)
    assert sorted(p.tolist() for p in raster_mod._fitting(g, [np.arange(2)], layer(4, 3))) \
        == [[0], [1]]


@pytest.mark.parametrize("b, col0, row0", [
    (bounds(5.2, 1.2, 5.8, 1.8), 4, 0),      # right of the 4 x 3 raster, from its edge
    (bounds(-1.8, 1.2, -1.2, 1.8), -3, 0),   # left of it, up to its edge
    (bounds(1.2, 4.2, 1.8, 4.8), 0, 3),      # below it, from its edge
    (bounds(1.2, -1.8, 1.8, -1.2), 0, -3),   # above it, up to its edge
])
def test_a_window_beside_the_raster_is_nan_and_reads_no_file(b, col0, row0):
    """layer() describes a raster without a file: a window that holds none of its cells
    needs none (3 x 3 cells, all NaN, placed by whole cells from the raster's corner)."""
    win = read_window(layer(4, 3), b)
    assert win.values.shape == (3, 3) and np.isnan(win.values).all()
    assert (win.col0, win.row0) == (col0, row0)
    assert (win.left, win.top) == (X0 + 10 * col0, Y0 - 10 * row0)


# ------------------------------------------------------------------ statistics


def test_a_cell_of_3_4e38_counts_in_min_max_and_majority(tmp_path):
    """3.4e38 is a value like any other (a float64 raster holds it): the parcel covers cell
    (0, 0) of 3.4e38 wholly and half of cell (0, 1) of 2."""
    values = N.copy()
    values[0, 0] = 3.4e38
    r = open_raster("big", write(tmp_path / "big.tif", values, Affine(10, 0, X0, 0, -10, Y0)))
    g = np.array([box(0, 0, 1.5, 1)], dtype=object)
    assert zonal_stats(g, UTM, r, "max")[0] == 3.4e38
    assert zonal_stats(g, UTM, r, "min")[0] == 2.0
    assert zonal_stats(g, UTM, r, "majority")[0] == 3.4e38


def test_a_cell_of_minus_3_4e38_counts_in_min_max_and_majority(tmp_path):
    """-3.4e38 is a usual marker of missing cells, but a float64 raster may hold it as a
    value: it counts in min as in the sum (missing cells go to exactextract as NaN)."""
    values = N.copy()
    values[0, 0] = -3.4e38
    r = open_raster("low", write(tmp_path / "low.tif", values, Affine(10, 0, X0, 0, -10, Y0)))
    g = np.array([box(0, 0, 1.5, 1)], dtype=object)
    assert zonal_stats(g, UTM, r, "sum")[0] == pytest.approx(-3.4e38)   # counted here
    assert zonal_stats(g, UTM, r, "min")[0] == -3.4e38


def test_a_parcel_with_at_most_1e_12_valid_cells_has_no_mean(tmp_path, monkeypatch):
    """The mean needs more than 1e-12 cells of valid coverage: the coverage sums are set
    (a weight of exactly 1e-12 and of 2 ** -38, totals 5e-12 and 3 * 2 ** -38), so the
    means are NaN and 3."""
    def sums(_g, _win, values=None):
        return np.array([1e-12, 2.0 ** -38]) if values is not None else \
            np.array([5e-12, 3 * 2.0 ** -38])

    r = open_raster("n", write(tmp_path / "n.tif", N, Affine(10, 0, X0, 0, -10, Y0)))
    monkeypatch.setattr(raster_mod, "coverage_sum", sums)
    g = np.array([box(0.2, 0.2, 0.8, 0.8), box(1.2, 0.2, 1.8, 0.8)], dtype=object)
    np.testing.assert_array_equal(zonal_stats(g, UTM, r, "mean"), [np.nan, 3.0])


# ------------------------------------------------------------------ exact coverage


def test_a_parcels_sum_takes_no_rounding_from_huge_cells_left_of_it():
    """Columns 0-3 hold 1e12, columns 4-7 small whole numbers: the parcels over columns 5-7
    sum to shapely's cell-by-cell values within 1e-9 (running sums start at each parcel's own
    first column; from the window's, their rounding would be about 1e12 * 1e-16 per edge)."""
    values = np.tile(np.r_[np.full(4, 1e12), [3.0, 1.0, 4.0, 2.0]], (3, 1))
    values[1, 4:] = [2.0, 7.0, 1.0, 8.0]
    parcels = [poly([(5.13, 0.31), (7.77, 1.07), (6.41, 2.93)]),
               poly([(5.71, 0.37), (7.29, 0.51), (7.63, 2.83), (5.07, 1.59)])]
    got = coverage_sum(np.array(parcels, dtype=object), Window(values, X0, Y0, 10.0, 10.0))
    want = [reference(p, values)[0] for p in parcels]
    assert min(want) > 10 and max(want) < 100          # only the small cells
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_a_nearly_vertical_edge_across_a_column_line_keeps_its_precision():
    """The right edge leans by 2e-7 cells over 3 rows, crossing column line 51 in row 1:
    that row's piece spans 7e-8 of a column, so it is cut at the line (G is linear on each
    side) rather than integrated as a difference of H (about 1e9 here, whose rounding divided
    by 7e-8 would be about 1e-7 of the result). Values up to 1e6 over 52 columns."""
    values = np.random.default_rng(2).integers(1, 10 ** 6, (3, 52)).astype(float)
    parcel = poly([(0.5, 0.1), (50.9999999, 0.1), (51.0000001, 2.9), (0.5, 2.9)])
    got = coverage_sum(np.array([parcel], dtype=object), Window(values, X0, Y0, 10.0, 10.0))
    np.testing.assert_allclose(got, [reference(parcel, values)[0]], rtol=1e-9)


def test_a_parcel_far_down_a_tall_raster_keeps_its_precision(tmp_path):
    """A raster of 3 x 1,000,000 cells of 10 m (sparse: only its last block is written, all
    2.0); a parcel 1 mm wide in row 999,998 sums to 2 x its area in cells. Its columns are
    counted from the raster's left edge, not 1e7 m away (whose rounding, 2e-9 m, would be
    1e-6 of the width)."""
    rows = 1_000_000
    path = tmp_path / "tall.tif"
    with rasterio.open(path, "w", driver="GTiff", width=3, height=rows, count=1,
                       dtype="float64", crs=UTM, transform=Affine(10, 0, X0, 0, -10, Y0),
                       tiled=True, blockxsize=16, blockysize=16, sparse_ok=True) as dst:
        dst.write(np.full((16, 3), 2.0), 1, window=rasterio.windows.Window(0, rows - 16, 3, 16))
    r = open_raster("tall", path)
    parcel = box(1.3, rows - 1.8, 1.3001, rows - 1.3)
    got = zonal_stats(np.array([parcel], dtype=object), UTM, r, "sum")
    np.testing.assert_allclose(got, [2.0 * shapely.area(parcel) / 100.0], rtol=1e-9)


def test_a_raster_whose_geotransform_gives_no_cell_size_is_refused(tmp_path):
    """A cell 0 units high has no place on the map: refused when opened, naming the layer and
    the fix, instead of dividing by zero when a window is read. (GDAL itself drops a
    geotransform of width 0 and the CRS with it: that raster is refused for its CRS.)"""
    path = write(tmp_path / "flat.tif", N, Affine(10, 0, X0, 0, 0, Y0))
    with pytest.raises(SiteplanInputError, match=r"layer 'flat' .*geotransform gives no cell "
                                                 r"size.*Fix: fix the geotransform"):
        open_raster("flat", path)


def test_a_raster_of_one_unit_cells_opens(tmp_path):
    """Cells of 1 x 1 m are a cell size like any other (only 0 is refused)."""
    path = write(tmp_path / "metre.tif", N, Affine(1, 0, X0, 0, -1, Y0))
    r = open_raster("metre", path)
    assert (r.transform.a, r.transform.e) == (1.0, -1.0)
