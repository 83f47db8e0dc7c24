"""Raster layers at their boundaries: batching, window arithmetic, flipped grids, slope units.

Written for the survivors of the mutation run (docs/mutation-report.md): a raster
measured in several chunks or windows (the chunk size and the window limit are
lowered on the module so that a tiny raster needs several), windows at and beyond
the raster's edge, rasters stored right-to-left or bottom-to-top, and slopes in
feet and degrees. Expected values are worked out by hand or from shapely's
intersection of each parcel with each cell.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine

import siteplan.layers.raster as raster_mod
from siteplan import SiteplanInputError
from siteplan.layers.raster import (
    RasterLayer,
    Window,
    coverage_sum,
    open_raster,
    read_window,
    slope_cells,
    window_cells,
    window_span,
    zonal_stats,
)
from siteplan.measures.raster import raster_zonal, slope

UTM = "EPSG:32748"
X0, Y0 = 630_000.0, 9_320_000.0   # top-left corner of the hand rasters
N = np.arange(1.0, 13.0).reshape(3, 4)   # 1 2 3 4 / 5 6 7 8 / 9 10 11 12, top row first


def write(path, values, transform, *, crs=UTM, count=1, nodata=None):
    values = np.asarray(values, dtype="float64")
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=count, dtype="float64", crs=crs, transform=transform,
                       nodata=nodata) as dst:
        for band in range(1, count + 1):
            dst.write(values * band, band)
    return path


def box(u0, w0, u1, w1, cell=10.0):
    """A box in cell units (u to the right, w down from the top-left corner X0, Y0)."""
    return shapely.box(X0 + cell * u0, Y0 - cell * w1, X0 + cell * u1, Y0 - cell * w0)


def poly(pts, cell=10.0):
    return shapely.Polygon([(X0 + cell * u, Y0 - cell * w) for u, w in pts])


def reference(geom, values, cell=10.0):
    """(sum, covered area in cells, min, max) of ``values`` (north-up, NaN = no data) under
    ``geom``, cell by cell with shapely."""
    rows, cols = np.indices(values.shape)
    boxes = shapely.box(X0 + cols * cell, Y0 - (rows + 1) * cell, X0 + (cols + 1) * cell,
                        Y0 - rows * cell).ravel()
    share = shapely.area(shapely.intersection(boxes, geom)) / cell ** 2
    v = values.ravel()
    ok = np.isfinite(v)
    touched = ok & (share > 1e-12)
    return ((np.where(ok, v, 0) * share).sum(), share[ok].sum(), v[touched].min(),
            v[touched].max())


def bounds(u0, w0, u1, w1):
    return (X0 + 10 * u0, Y0 - 10 * w1, X0 + 10 * u1, Y0 - 10 * w0)


def layer(width, height):
    """A raster described without a file (for window arithmetic only)."""
    return RasterLayer("v", "none.tif", pyproj.CRS(UTM), Affine(10, 0, X0, 0, -10, Y0), width,
                       height, None, "float64")


# ------------------------------------------------------------------ chunks and windows

# parcels of at most 2 x 2 cells (a window of 4 x 4 with its margin), spread over an 8 x 6
# raster; one runs past the right edge, one past the bottom, one has a hole, one lies on
# cell lines
PARCELS = [
    box(0.3, 0.2, 1.7, 1.9),
    poly([(6.1, 4.2), (7.9, 4.5), (6.5, 5.8)]),
    box(2, 1, 4, 3),
    box(4, 0, 6, 2).difference(box(4.5, 0.5, 5.5, 1.5)),
    box(7.5, 2.2, 9.0, 3.1),
    poly([(0.1, 4.1), (1.9, 4.1), (1.0, 5.9)]),
    box(3.25, 4.25, 3.75, 4.75),
    poly([(5, 3), (6, 2.2), (7, 3), (6, 3.8)]),
    box(2.5, 5.5, 3.5, 6.5),
]


@pytest.fixture
def grid(tmp_path):
    values = np.random.default_rng(3).integers(1, 50, (6, 8)).astype(float)
    values[2, 5] = np.nan                      # nodata under the diamond
    stored = np.where(np.isnan(values), -9999.0, values)
    path = write(tmp_path / "g.tif", stored, Affine(10, 0, X0, 0, -10, Y0), nodata=-9999.0)
    return open_raster("g", path), values


@pytest.mark.parametrize("chunk, limit", [(2, None), (2, 16), (None, 16), (4, 20)])
def test_chunks_and_split_windows_give_the_cell_by_cell_statistics(grid, monkeypatch, chunk,
                                                                   limit):
    r, values = grid
    if chunk:
        monkeypatch.setattr(raster_mod, "_CHUNK", chunk)
    if limit:   # every single parcel's window fits (16 cells), no two parcels' together
        monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", limit)
    g = np.array(PARCELS, dtype=object)
    ref = np.array([reference(p, values) for p in PARCELS])
    np.testing.assert_allclose(zonal_stats(g, UTM, r, "sum"), ref[:, 0], rtol=1e-9)
    np.testing.assert_allclose(zonal_stats(g, UTM, r, "mean"), ref[:, 0] / ref[:, 1],
                               rtol=1e-9)
    np.testing.assert_array_equal(zonal_stats(g, UTM, r, "min"), ref[:, 2])
    np.testing.assert_array_equal(zonal_stats(g, UTM, r, "max"), ref[:, 3])


def test_two_parcels_whose_window_is_too_large_together_are_measured_apart(tmp_path,
                                                                            monkeypatch):
    path = write(tmp_path / "n.tif", N, Affine(10, 0, X0, 0, -10, Y0))
    r = open_raster("n", path)
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 9)   # one cell and its margin: 3 x 3
    g = np.array([box(0.2, 0.2, 0.8, 0.8), box(3.5, 2.0, 4.0, 3.0)], dtype=object)
    # 0.36 cells of 1; half of cell 12
    np.testing.assert_allclose(zonal_stats(g, UTM, r, "sum"), [0.36, 6.0], rtol=1e-12)


def test_a_single_parcel_over_the_window_limit_is_named(tmp_path, monkeypatch):
    path = write(tmp_path / "n.tif", N, Affine(10, 0, X0, 0, -10, Y0))
    r = open_raster("n", path)
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 9)
    g = np.array([box(0.2, 0.2, 0.8, 0.8), box(1.5, 0.5, 3.5, 1.5)], dtype=object)
    with pytest.raises(SiteplanInputError, match=r"zonal 'sum' of layer 'n'.*would read 5 x 4"):
        zonal_stats(g, UTM, r, "sum")


# ------------------------------------------------------------------ opening


def test_open_raster_describes_the_file(tmp_path):
    path = tmp_path / "f32.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1, dtype="float32",
                       crs=UTM, transform=Affine(10, 0, X0, 0, -10, Y0), nodata=-9999) as dst:
        dst.write(N.astype("float32"), 1)
    r = open_raster("f", path)
    assert (r.nodata, r.dtype, r.synthetic, r.width, r.height) == (-9999.0, "float32", False,
                                                                    4, 3)
    assert open_raster("f", path, synthetic=True).synthetic is True
    plain = open_raster("n", write(tmp_path / "n.tif", N, Affine(10, 0, X0, 0, -10, Y0)))
    assert plain.nodata is None and plain.dtype == "float64"


@pytest.mark.parametrize("t", [Affine(10, 0.5, X0, 0, -10, Y0), Affine(10, 0, X0, 0.5, -10, Y0)])
def test_open_raster_refuses_a_rotated_grid(tmp_path, t):
    path = write(tmp_path / "rot.tif", N, t)
    with pytest.raises(SiteplanInputError, match="is rotated"):
        open_raster("rot", path)


# ------------------------------------------------------------------ window arithmetic


def test_window_span_and_cells_inside_the_raster():
    r = layer(8, 8)
    b = bounds(2.5, 3.5, 3.5, 4.5)
    assert window_span(r, b) == (1, 2, 5, 6)                  # one cell of margin
    assert window_span(r, b, margin=0) == (2, 3, 4, 5)
    assert window_cells(r, b) == 16
    assert window_cells(r, b, margin=0) == 4
    assert window_cells(r, bounds(0.5, 1.2, 2.5, 1.8)) == 5 * 3   # (-1, 0, 4, 3)
    # a point on a cell corner still spans one cell
    assert window_span(r, bounds(1, 1, 1, 1), margin=0) == (1, 1, 2, 2)


def test_window_span_crops_a_huge_or_undefined_window_to_the_raster():
    r = layer(4, 4)
    assert window_span(r, bounds(-1e6, -1e6, 1e6, 1e6)) == (-1, -1, 5, 5)
    assert window_span(r, bounds(-1e6, 1.5, 2.5, 1e6)) == (-1, 0, 4, 5)
    nan = float("nan")
    assert window_span(r, (nan, nan, nan, nan)) == (-1, -1, 0, 0)


def test_window_span_crops_only_beyond_the_limit(monkeypatch):
    r = layer(4, 4)
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 30)
    # 10 columns x 3 rows = 30 cells: kept whole, although it reaches past the raster
    assert window_span(r, bounds(2.5, 0.2, 9.5, 0.8)) == (1, -1, 11, 2)
    assert window_span(r, bounds(0.2, 2.5, 0.8, 9.5)) == (-1, 1, 2, 11)
    # 11 x 3 = 33: cropped to the raster and one cell around it
    assert window_span(r, bounds(1.5, 0.2, 9.5, 0.8)) == (0, -1, 5, 2)
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 8)
    # one column (a point) x 8 rows, no margin: 8 cells, kept
    assert window_span(r, bounds(1.5, -4.5, 1.5, 2.5), margin=0) == (1, -5, 2, 3)
    assert window_span(r, bounds(-4.5, 1.5, 2.5, 1.5), margin=0) == (-5, 1, 3, 2)


@pytest.fixture
def n_raster(tmp_path):
    return open_raster("n", write(tmp_path / "n.tif", N, Affine(10, 0, X0, 0, -10, Y0)))


def test_read_window_inside_at_the_edge_and_outside(n_raster):
    win = read_window(n_raster, bounds(1.2, 1.2, 1.8, 1.8))
    np.testing.assert_array_equal(win.values, N[0:3, 0:3])
    assert (win.left, win.top, win.col0, win.row0) == (X0, Y0, 0, 0)
    win = read_window(n_raster, bounds(1.2, 1.2, 1.8, 1.8), margin=0)
    np.testing.assert_array_equal(win.values, [[6.0]])
    # the last cell: its margin runs past the raster (NaN)
    win = read_window(n_raster, bounds(3.2, 2.2, 3.8, 2.8))
    nan = np.nan
    np.testing.assert_array_equal(win.values, [[7, 8, nan], [11, 12, nan], [nan, nan, nan]])
    assert (win.left, win.top, win.col0, win.row0) == (X0 + 20, Y0 - 10, 2, 1)
    # wholly right of the raster, its window starting at the raster's right edge
    win = read_window(n_raster, bounds(5.2, 1.2, 5.8, 1.8))
    assert win.values.shape == (3, 3) and np.isnan(win.values).all()
    assert (win.col0, win.row0) == (4, 0)


def test_read_window_limit_is_inclusive(n_raster, monkeypatch):
    b = bounds(0.5, 0.5, 2.5, 1.5)          # 5 columns x 4 rows with the margin
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 20)
    assert read_window(n_raster, b).values.shape == (4, 5)
    monkeypatch.setattr(raster_mod, "MAX_WINDOW_CELLS", 19)
    with pytest.raises(SiteplanInputError, match=r"would read 5 x 4 cells.*10 x 10 per cell"):
        read_window(n_raster, b, context="here")


def test_the_first_band_of_a_raster_with_two(tmp_path):
    r = open_raster("two", write(tmp_path / "two.tif", N, Affine(10, 0, X0, 0, -10, Y0),
                                 count=2))
    win = read_window(r, bounds(1.2, 1.2, 1.8, 1.8), margin=0)
    np.testing.assert_array_equal(win.values, [[6.0]])
    g = np.array([box(0, 0, 4, 3)], dtype=object)
    assert zonal_stats(g, UTM, r, "sum")[0] == pytest.approx(78.0)


@pytest.mark.parametrize("flip_x, flip_y, cell", [(True, False, 10.0), (False, True, 10.0),
                                                  (True, True, 10.0), (False, True, 0.5),
                                                  (True, False, 0.5)])
def test_flipped_rasters_read_like_north_up(tmp_path, flip_x, flip_y, cell):
    # the same ground as N north-up, stored right-to-left and/or bottom-to-top
    stored = N[:, ::-1] if flip_x else N
    stored = stored[::-1, :] if flip_y else stored
    t = Affine(-cell if flip_x else cell, 0, X0 + 4 * cell if flip_x else X0,
               0, cell if flip_y else -cell, Y0 - 3 * cell if flip_y else Y0)
    r = open_raster("f", write(tmp_path / "f.tif", stored, t))
    win = read_window(r, bounds(0.5 * cell / 10, 0.5 * cell / 10, 3.5 * cell / 10,
                                2.5 * cell / 10))
    np.testing.assert_array_equal(win.values[1:4, 1:5], N)
    assert win.left == pytest.approx(X0 - cell) and win.top == pytest.approx(Y0 + cell)
    parcels = [box(0.5, 0, 1.5, 1, cell), box(1.5, 0.5, 3.7, 2.2, cell),
               poly([(0.2, 0.1), (3.9, 1.4), (1.1, 2.9)], cell)]
    want = [reference(p, N, cell)[0] for p in parcels]
    assert want[0] == pytest.approx(1.5)                    # half of 1 and half of 2
    got = zonal_stats(np.array(parcels, dtype=object), UTM, r, "sum")
    np.testing.assert_allclose(got, want, rtol=1e-9)


# ------------------------------------------------------------------ statistics


def test_share_counts_cells_in_values_or_at_least(n_raster):
    g = np.array([box(0, 0, 4, 3)], dtype=object)
    # cells 2, 11 and 12 of 12
    assert zonal_stats(g, UTM, n_raster, "share", values=[2], at_least=11)[0] == \
        pytest.approx(0.25)
    assert zonal_stats(g, UTM, n_raster, "share", at_least=11, values=[2])[0] == \
        pytest.approx(0.25)


def test_missing_and_empty_parcels_sum_to_zero_and_have_no_mean(n_raster):
    g = [None, shapely.Polygon(), box(0.5, 0, 1.5, 1)]
    np.testing.assert_array_equal(zonal_stats(g, UTM, n_raster, "sum"), [0.0, 0.0, 1.5])
    np.testing.assert_array_equal(zonal_stats(g, UTM, n_raster, "mean"), [np.nan, np.nan, 1.5])
    np.testing.assert_array_equal(zonal_stats(g[:2], UTM, n_raster, "sum"), [0.0, 0.0])
    np.testing.assert_array_equal(zonal_stats(g[:2], UTM, n_raster, "max"), [np.nan, np.nan])


def test_parcels_without_a_crs_are_taken_in_the_rasters(n_raster):
    g = np.array([box(0.5, 0, 1.5, 1)], dtype=object)
    assert zonal_stats(g, None, n_raster, "sum")[0] == pytest.approx(1.5)


def test_coverage_sum_of_nothing_and_of_a_trailing_empty_parcel():
    win = Window(N, X0, Y0, 10.0, 10.0)
    assert coverage_sum(np.array([], dtype=object), win).shape == (0,)
    got = coverage_sum(np.array([shapely.Polygon()], dtype=object), win)
    np.testing.assert_array_equal(got, [0.0])
    got = coverage_sum(np.array([box(0.5, 0, 1.5, 1), shapely.Polygon()], dtype=object), win)
    np.testing.assert_allclose(got, [1.5, 0.0])


def test_coverage_sum_at_and_far_beyond_the_windows_left_edge():
    win = Window(N, X0, Y0, 10.0, 10.0)
    parcels = [
        poly([(0, 0.2), (2.5, 0.8), (0, 0.9)]),            # vertices on the left edge
        poly([(0.4, 0.1), (3.6, 0.7), (3.8, 2.9), (0.2, 2.6)]),   # starts inside column 0
        poly([(-1000, 0.3), (2.7, 1.2), (1.6, 2.8)]),        # from far left of the window
        poly([(1.2, 0.1), (3.9, 0.6), (2.5, 2.7)]),          # right of column line 1
        poly([(0.4, 0.1), (3.6, 0.7), (3.8, 0.9)]),          # one row, from column 0
    ]
    got = coverage_sum(np.array(parcels, dtype=object), win)
    want = [reference(p, N)[0] for p in parcels]
    np.testing.assert_allclose(got, want, rtol=1e-9)


# ------------------------------------------------------------------ slope


def test_slope_in_a_crs_measured_in_feet():
    ft = 0.3048006096012192                       # US survey foot (EPSG:2263)
    r = RasterLayer("dem", "none.tif", pyproj.CRS("EPSG:2263"), Affine(10, 0, 0, 0, -20, 0), 5,
                    4, None, "float64")
    rows, cols = np.indices((4, 5))
    z = 1.0 * cols + 3.0 * rows                   # metres: 1 per column, 3 per row
    win = Window(z, 0.0, 0.0, 10.0, 20.0)
    want = 100 * np.hypot(1 / (10 * ft), 3 / (20 * ft))
    np.testing.assert_allclose(slope_cells(win, r), want, rtol=1e-12)


def test_slope_of_a_geographic_dem_with_more_columns_than_rows():
    r = RasterLayer("dem", "none.tif", pyproj.CRS("EPSG:4326"), Affine(0.001, 0, 106.8, 0,
                    -0.001, -6.2), 5, 3, None, "float64")
    rows, cols = np.indices((3, 5))
    z = 2.0 * cols + 5.0 * rows
    win = Window(z, 106.8, -6.2, 0.001, 0.001)
    for i in range(3):
        lat = -6.2 - (i + 0.5) * 0.001
        dx = 0.001 * 111_320.0 * np.cos(np.radians(lat))
        want = 100 * np.hypot(2 / dx, 5 / (0.001 * 110_574.0))
        np.testing.assert_allclose(slope_cells(win, r)[i], want, rtol=1e-12)


# ------------------------------------------------------------------ measures


def test_zonal_measure_reprojects_the_parcels_to_the_raster(tmp_path):
    # a raster in degrees, parcels in UTM: the parcel is the raster's middle cell, reprojected
    tr = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    t = Affine(0.001, 0, 106.8, 0, -0.001, -6.2)
    r = open_raster("v", write(tmp_path / "deg.tif", N, t, crs="EPSG:4326"))
    cell = shapely.box(106.801, -6.202, 106.802, -6.201)     # row 1, column 1: value 6
    inner = shapely.transform(shapely.buffer(cell, -0.0002), lambda xy: np.column_stack(
        tr.transform(xy[:, 0], xy[:, 1])))
    layers = SimpleNamespace(get={"v": r}.get, crs=pyproj.CRS(UTM))
    crit = SimpleNamespace(layer="v", stat="mean", values=None, at_least=None, unit=None)
    got = raster_zonal(crit, None, np.array([inner], dtype=object), layers, "criterion 'z'")
    assert got[0] == pytest.approx(6.0)


@pytest.mark.parametrize("measure", [raster_zonal, slope])
def test_a_layer_that_is_no_raster_is_named_with_the_criterion(measure):
    layers = SimpleNamespace(get={"v": object()}.get, crs=pyproj.CRS(UTM))
    crit = SimpleNamespace(layer="v", stat=None, values=None, at_least=None, unit=None)
    with pytest.raises(SiteplanInputError, match=r"criterion 'z'.*layer 'v' is not a raster"):
        measure(crit, None, np.array([box(0, 0, 1, 1)], dtype=object), layers, "criterion 'z'")


def test_chunks_are_a_partition_of_nearby_geometries(monkeypatch):
    monkeypatch.setattr(raster_mod, "_CHUNK", 3)
    g = np.array([box(u, 0, u + 0.5, 0.5) for u in range(10)], dtype=object)
    chunks = raster_mod._chunks(g)
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    np.testing.assert_array_equal(np.sort(np.concatenate(chunks)), np.arange(10))
    assert [len(c) for c in raster_mod._chunks(g[:3])] == [3]

