"""Tests written for the surviving mutants of siteplan/layers/population.py (the population
model) (docs/mutation-report.md).

Tiny worlds in UTM 48S (EPSG:32748) with hand-counted people: a row of
1 km raster cells, a few points and squares, a triangle on a 100 m grid.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from test_population import CRS, X0, Y0
from test_raster import write_tif

import siteplan as sp
from siteplan import SiteplanInputError
from siteplan.layers.population import (
    amount_in,
    amount_within,
    demand_points,
    people,
    people_beyond,
    spread,
)


def _parcels(*geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"parcel_id": [f"p{i}" for i in range(len(geoms))]},
                            geometry=list(geoms), crs=CRS)


def _points(xy, values, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"population": values, **columns},
                            geometry=shapely.points(np.asarray(xy, dtype=float)), crs=CRS)


def _partition(layers: sp.Layers, parcels: gpd.GeoDataFrame) -> sp.Layers:
    """The bundle over other parcels, sharing ``layers``' context cache entries (as the dask
    engine gives each partition of the parcels, scoring/_dask.py)."""
    return layers.replace(parcels=parcels).with_cache(layers.cache.for_partition())


def _where(call) -> str:
    with pytest.raises(SiteplanInputError) as err:
        call()
    return err.value.problems[0].where


# ------------------------------------------------------------ raster demand points

ROW = np.arange(1.0, 51.0)[None, :]   # one row of 50 cells of 1 km; cell c holds c + 1 people


@pytest.fixture
def row_raster(tmp_path):
    return str(write_tif(tmp_path / "row.tif", ROW, cell=1000.0))


def _near(dx: float):
    """A 10 m parcel dx metres east of the row's west edge, in the middle of the row."""
    return shapely.box(X0 + dx, Y0 - 500, X0 + dx + 10, Y0 - 490)


def test_raster_demand_points_are_the_cells_within_the_margin_of_each_partitions_parcels(
        row_raster):
    """The margin box (10 km around the parcels) of a parcel at x = X0 + 2,100 runs from
    X0 - 7,900 to X0 + 12,110: cells 0 to 12 (1 to 13 people), each as its
    centre X0 + 500 + 1,000 c. A partition whose parcel is at X0 + 45,100 reads X0 + 35,100
    to X0 + 55,110: cells 35 to 49 (36 to 50 people); cell 34 ends at X0 + 35,000, outside.
    The points depend on the parcels, so a partition builds its own."""
    layers = sp.load_layers(parcels=_parcels(_near(2100)), population=row_raster, crs=CRS)
    pts, w = demand_points(layers)
    assert sorted(w) == list(range(1, 14))
    np.testing.assert_array_equal(shapely.get_x(pts), X0 + 500 + 1000 * (w - 1))
    np.testing.assert_array_equal(shapely.get_y(pts), Y0 - 500)
    pts, w = demand_points(_partition(layers, _parcels(_near(45100))))
    assert sorted(w) == list(range(36, 51))
    np.testing.assert_array_equal(shapely.get_x(pts), X0 + 500 + 1000 * (w - 1))


def test_raster_demand_points_without_parcels_are_every_cell(row_raster):
    """No parcels to bound the reading: all 50 cells, 1 + ... + 50 = 1,275 people."""
    layers = sp.load_layers(population=row_raster, crs=CRS)
    pts, w = demand_points(layers)
    assert sorted(w) == list(range(1, 51))
    assert w.sum() == 1275


def test_raster_cells_under_the_bowed_edge_of_the_margin_box_are_read(tmp_path):
    """Parcels 400 km x 600 km apart: the margin box's south edge (northing 8,990,000,
    x from 290 to 710 km) is a curve in degrees, furthest south at the central meridian
    (105 E). A raster in EPSG:4326 whose one row of two 0.1 x 0.01 degree cells (5 and 7
    people) lies just south of latitude -9.1369 at 104.9 to 105.1 E: the cells' north edge
    is at northing 8,990,011 or more (pyproj, checked below), 11 m inside the box, so both
    cells are within the margin and read."""
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    assert min(to_utm.transform(lon, -9.1369)[1] for lon in (104.9, 105.0, 105.1)) > 8_990_010
    path = write_tif(tmp_path / "wgs.tif", [[5.0, 7.0]], x0=104.9, y0=-9.1369, cell=0.1,
                     cell_y=0.01, crs="EPSG:4326")
    parcels = _parcels(shapely.box(300_000, 9_000_000, 300_010, 9_000_010),
                       shapely.box(699_990, 9_599_990, 700_000, 9_600_000))
    layers = sp.load_layers(parcels=parcels, population=str(path), crs=CRS)
    _, w = demand_points(layers)
    assert sorted(w) == [5.0, 7.0]


# ------------------------------------------------------------ vector demand points

def test_demand_points_of_an_empty_population_are_an_empty_geometry_array():
    """No people: no points, no weights; the points are (an empty array of) geometries."""
    empty = gpd.GeoDataFrame({"population": np.array([], dtype=float)}, geometry=[], crs=CRS)
    layers = sp.load_layers(parcels=_parcels(_near(0)), population=empty, crs=CRS)
    pts, w = demand_points(layers)
    assert (len(pts), len(w)) == (0, 0)
    assert pts.dtype == object


def test_demand_points_of_a_triangle_are_the_grid_centres_inside_it():
    """Triangle (0, 0), (320, 0), (0, 320) from (X0, Y0), 600 people, 100 m grid from its
    bounds: centres at 50, 150, 250 on each axis; inside (x + y < 320) are the six with
    x + y <= 300, each carrying 600 / 6 = 100; (250, 150), (150, 250), (250, 250) are out."""
    tri = shapely.Polygon([(X0, Y0), (X0 + 320, Y0), (X0, Y0 + 320)])
    pop = gpd.GeoDataFrame({"population": [600.0]}, geometry=[tri], crs=CRS)
    layers = sp.load_layers(parcels=_parcels(_near(0)), population=pop, crs=CRS)
    pts, w = demand_points(layers)
    got = sorted(zip(shapely.get_x(pts) - X0, shapely.get_y(pts) - Y0, strict=True))
    assert got == sorted([(50, 50), (150, 50), (250, 50), (50, 150), (150, 150), (50, 250)])
    assert list(w) == [100.0] * 6


def test_demand_points_name_who_needs_the_population():
    """Without a population layer the error names the caller, "population" by default."""
    layers = sp.load_layers(parcels=_parcels(_near(0)), crs=CRS)
    assert _where(lambda: demand_points(layers)) == "population"
    assert _where(lambda: demand_points(layers, context="road catchment")) == "road catchment"


# ------------------------------------------------------------ amount_in, amount_within

def test_amount_in_reprojects_areas_to_a_raster_in_degrees(tmp_path):
    """A 3 x 4 raster of 0.001 degree cells (about 110 m) near (X0, Y0) in EPSG:4326 holding
    1 + ... + 12 = 78 people. A UTM box around its corners (plus 500 m) holds all 78; a box
    5 km east of it holds none."""
    lon0, lat0 = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(X0, Y0)
    values = np.arange(1.0, 13.0).reshape(3, 4)
    path = write_tif(tmp_path / "wgs.tif", values, x0=lon0, y0=lat0, cell=0.001,
                     crs="EPSG:4326")
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    xs, ys = to_utm.transform([lon0, lon0 + 0.004, lon0, lon0 + 0.004],
                              [lat0, lat0, lat0 - 0.003, lat0 - 0.003])
    around = shapely.box(min(xs) - 500, min(ys) - 500, max(xs) + 500, max(ys) + 500)
    away = shapely.box(max(xs) + 5000, min(ys), max(xs) + 5500, max(ys))
    layers = sp.load_layers(parcels=_parcels(_near(0)), population=str(path), crs=CRS)
    got = amount_in(np.array([around, away], dtype=object), people(layers))
    np.testing.assert_allclose(got, [78.0, 0.0], rtol=1e-9, atol=1e-9)


def test_amount_in_once_counts_every_point_in_its_first_area():
    """Two unit-square areas sharing the edge x = X0 + 100: a point inside each (3 and 5
    people) and one on the shared edge (11 people), counted in the first area only."""
    pop = _points([(X0 + 50, Y0 + 50), (X0 + 150, Y0 + 50), (X0 + 100, Y0 + 50)],
                  [3.0, 5.0, 11.0])
    layers = sp.load_layers(parcels=_parcels(_near(0)), population=pop, crs=CRS)
    areas = shapely.box([X0, X0 + 100], Y0, [X0 + 100, X0 + 200], Y0 + 100)
    np.testing.assert_array_equal(amount_in(areas, people(layers), once=True), [14.0, 5.0])


def test_amount_within_counts_points_by_exact_distance():
    """From a point at (X0, Y0), r = 1,000: 7 people at 999 m at 2.8125 degrees (half way
    between two vertices of a 64-gon buffer, whose edge is there at 1,000 cos(2.8125 deg)
    = 998.8 m) are within; 100 people at 1,001 m are not. A point 50 km away has nobody."""
    a = np.radians(2.8125)
    pop = _points([(X0 + 999 * np.cos(a), Y0 + 999 * np.sin(a)), (X0 - 1001, Y0)],
                  [7.0, 100.0])
    layers = sp.load_layers(parcels=_parcels(_near(0)), population=pop, crs=CRS)
    geoms = shapely.points([(X0, Y0), (X0 + 50_000, Y0)])
    np.testing.assert_array_equal(amount_within(geoms, 1000.0, people(layers)), [7.0, 0.0])


# ------------------------------------------------------------ people beyond the parks

SQUARE = shapely.box(X0, Y0 - 400, X0 + 400, Y0)   # 400 m x 400 m, 1,600 people
PARK = shapely.Point(X0 + 200, Y0 - 200)            # its centre


def _square_world(kind: str, tmp_path) -> sp.Layers:
    if kind == "raster":   # 40 x 40 cells of 10 m, one person each
        pop = str(write_tif(tmp_path / "ones.tif", np.ones((40, 40)), cell=10.0))
    else:
        pop = gpd.GeoDataFrame({"population": [1600.0]}, geometry=[SQUARE], crs=CRS)
    parks = gpd.GeoDataFrame({"kind": ["park"]}, geometry=[PARK], crs=CRS)
    return sp.load_layers(parcels=_parcels(_near(-1000)), population=pop, crs=CRS,
                          extra={"parks": parks})


@pytest.mark.parametrize("kind", ["raster", "polygons"])
def test_people_beyond_a_park_leave_out_a_true_circle(kind, tmp_path):
    """1,600 people spread evenly over 400 m x 400 m (0.01 per m2); beyond 100 m of the park
    at its centre live 1,600 - 0.01 pi 100^2 = 1,285.84 (the reach's 128-gon is within
    0.05 % of pi r^2, 0.13 people here)."""
    layers = _square_world(kind, tmp_path)
    beyond = people_beyond(layers, 100.0, "parks", {}, context="t")
    got = amount_in(np.array([SQUARE], dtype=object), beyond)[0]
    assert got == pytest.approx(1600 - 0.01 * np.pi * 100 ** 2, abs=0.3)


@pytest.mark.parametrize("kind", ["raster", "polygons"])
def test_people_beyond_name_the_caller_when_the_park_layer_is_missing(kind, tmp_path):
    layers = _square_world(kind, tmp_path)
    call = lambda: people_beyond(layers, 100.0, "no_such_parks", {}, context="rth reach")  # noqa: E731
    assert _where(call) == "rth reach"


def test_people_beyond_hold_only_the_pieces_outside_the_reach():
    """Park at (X0 + 25, Y0 + 25), r = 100. The 50 m square around it (100 people) and the
    point 10 m from it (5 people) are wholly within the reach and leave nothing; the square
    from X0 + 100 to X0 + 300 (200 people on 10,000 m2: 0.02 per m2) keeps its part beyond
    the reach, and the point 500 m away keeps its 9 people."""
    near_sq = shapely.box(X0, Y0, X0 + 50, Y0 + 50)
    far_sq = shapely.box(X0 + 100, Y0, X0 + 300, Y0 + 50)
    pop = gpd.GeoDataFrame(
        {"population": [100.0, 200.0, 5.0, 9.0]},
        geometry=[near_sq, far_sq, shapely.Point(X0 + 35, Y0 + 25), shapely.Point(X0 + 525, Y0)],
        crs=CRS)
    parks = gpd.GeoDataFrame({"kind": ["park"]}, geometry=[shapely.Point(X0 + 25, Y0 + 25)],
                             crs=CRS)
    layers = sp.load_layers(parcels=_parcels(_near(-1000)), population=pop, crs=CRS,
                            extra={"parks": parks})
    s = people_beyond(layers, 100.0, "parks", {}, context="t")
    order = np.argsort(s.dim)
    assert list(s.dim[order]) == [0, 2]
    point, piece = s.geoms[order]
    assert shapely.equals(point, shapely.Point(X0 + 525, Y0))
    assert list(s.density[order]) == pytest.approx([9.0, 0.02])
    assert shapely.within(piece, far_sq)
    assert shapely.distance(piece, shapely.Point(X0 + 25, Y0 + 25)) > 99.0


@pytest.mark.parametrize("kind", ["raster", "points"])
def test_people_beyond_the_parcels_follow_each_partitions_parcels(kind, tmp_path):
    """Three 100 m cells in a row holding 10, 0 and 20 people (as cells, or as points at the
    cells' centres); the parcels as the park layer, r = 1. Beyond the parcel covering the
    first cell (1 m inside its edges) live the 20 of the third; a partition whose parcel
    covers the third cell has the 10 of the first beyond it."""
    values = np.array([[10.0, 0.0, 20.0]])
    if kind == "raster":
        pop = str(write_tif(tmp_path / "three.tif", values, cell=100.0))
    else:
        pop = _points([(X0 + 50, Y0 - 50), (X0 + 250, Y0 - 50)], [10.0, 20.0])
    cell = [shapely.box(X0 + 100 * c + 1, Y0 - 99, X0 + 100 * c + 99, Y0 - 1) for c in (0, 2)]
    layers = sp.load_layers(parcels=_parcels(cell[0]), population=pop, crs=CRS)
    row = np.array([shapely.box(X0, Y0 - 100, X0 + 300, Y0)], dtype=object)
    first = amount_in(row, people_beyond(layers, 1.0, "parcels", {}, context="t"))[0]
    part = _partition(layers, _parcels(cell[1]))
    third = amount_in(row, people_beyond(part, 1.0, "parcels", {}, context="t"))[0]
    # a raster cell keeps the four corners of 1 m outside the rounded reach: 0.86 m2
    assert (first, third) == (pytest.approx(20.0, abs=0.01), pytest.approx(10.0, abs=0.01))


# ------------------------------------------------------------ spread

def test_spread_is_one_per_layer_column_and_filter():
    """Two points holding a = 1, 2 and b = 10, 20 (kinds x, y); another layer holding
    a = 100, 200. Each (layer, column, filter) spreads its own values: a point's density
    is its value."""
    stuff = _points([(X0, Y0), (X0 + 100, Y0)], [0.0, 0.0], a=[1.0, 2.0], b=[10.0, 20.0],
                    kind=["x", "y"]).drop(columns="population")
    other = stuff.assign(a=[100.0, 200.0])
    layers = sp.load_layers(parcels=_parcels(_near(-1000)), crs=CRS,
                            extra={"stuff": stuff, "other": other})
    assert list(spread(layers, "stuff", "a", context="t").density) == [1.0, 2.0]
    assert list(spread(layers, "stuff", "b", context="t").density) == [10.0, 20.0]
    assert list(spread(layers, "stuff", "a", {"kind": ["y"]}, context="t").density) == [2.0]
    assert list(spread(layers, "other", "a", context="t").density) == [100.0, 200.0]


def test_spread_of_the_parcels_follows_each_partitions_parcels():
    """A 10 m x 10 m parcel holding 3 spreads 3 / 100 per m2; a partition's parcel of the
    same size holding 4 spreads 4 / 100."""
    first = _parcels(_near(0)).assign(value=[3.0])
    layers = sp.load_layers(parcels=first, crs=CRS)
    assert list(spread(layers, "parcels", "value", context="t").density) == [0.03]
    part = _partition(layers, _parcels(_near(5000)).assign(value=[4.0]))
    assert list(spread(part, "parcels", "value", context="t").density) == [0.04]


def test_spread_names_the_caller_of_a_bad_filter():
    layers = sp.load_layers(parcels=_parcels(_near(0)),
                            population=_points([(X0, Y0)], [1.0]), crs=CRS)
    call = lambda: spread(layers, "population", "population", {"no_such": ["x"]},  # noqa: E731
                          context="sum_within 'people'")
    assert _where(call) == "sum_within 'people'"
