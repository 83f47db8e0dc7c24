"""Raster layers: exact coverage sums, zonal statistics, slope, raster rules, raster people.

Small GeoTIFFs are written by hand (known cell values); expected values are
worked out by hand or from shapely's intersection areas with each cell.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

import siteplan as sp
from siteplan.layers.population import amount_within, demand_points, spread
from siteplan.layers.raster import Window, coverage_sum, open_raster, zonal_stats
from siteplan.profiles.profile import profile_from_dict

UTM = "EPSG:32748"
X0, Y0 = 630_000.0, 9_320_000.0   # top-left corner of the hand rasters


def write_tif(path, values, *, x0=X0, y0=Y0, cell=10.0, crs=UTM, nodata=None, cell_y=None):
    values = np.asarray(values, dtype="float64")
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float64", crs=crs,
                       transform=Affine(cell, 0, x0, 0, -(cell_y or cell), y0),
                       nodata=nodata) as dst:
        dst.write(values, 1)
    return path


def cells_of(values, x0=X0, y0=Y0, cell=10.0):
    """Every cell as a box, row by row from the top, with its value."""
    rows, cols = np.indices(values.shape)
    boxes = shapely.box(x0 + cols * cell, y0 - (rows + 1) * cell, x0 + (cols + 1) * cell,
                        y0 - rows * cell).ravel()
    return boxes, np.asarray(values, dtype=float).ravel()


def reference_sum(geom, values, **grid):
    boxes, vals = cells_of(values, **grid)
    cell = grid.get("cell", 10.0)
    share = shapely.area(shapely.intersection(boxes, geom)) / cell ** 2
    return float((np.nan_to_num(vals) * share).sum())


def test_coverage_sum_equals_cell_by_cell_intersection():
    rng = np.random.default_rng(7)
    values = rng.random((30, 40)) * 100
    win = Window(values, X0, Y0, 10.0, 10.0)
    centres = shapely.points(rng.uniform(X0 - 50, X0 + 450, 25), rng.uniform(Y0 - 350, Y0 + 50,
                                                                            25))
    geoms = list(shapely.buffer(centres, rng.uniform(3, 90, 25), quad_segs=5))
    geoms.append(shapely.box(X0 + 13, Y0 - 77, X0 + 151, Y0 - 22).difference(
        shapely.box(X0 + 40, Y0 - 60, X0 + 90, Y0 - 30)))                      # a hole
    geoms.append(shapely.MultiPolygon([shapely.box(X0 + 1, Y0 - 9, X0 + 4, Y0 - 2),
                                       shapely.box(X0 + 395, Y0 - 299, X0 + 420, Y0 - 250)]))
    geoms.append(shapely.Polygon([(X0 - 30, Y0 + 30), (X0 + 200, Y0 - 100), (X0 + 20, Y0 - 5)]))
    geoms = np.array(geoms, dtype=object)
    got = coverage_sum(geoms, win)
    want = [reference_sum(g, values) for g in geoms]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-8)


def test_zonal_statistics_by_hand(tmp_path):
    # 2 x 3 cells of 10 m:   1 2 3
    #                        4 5 6
    path = write_tif(tmp_path / "v.tif", [[1, 2, 3], [4, 5, 6]])
    r = open_raster("v", path)
    # the parcel covers the right half of cell 1, all of cell 2 and the left half of cell
    # 3 in the top row, and the same in the bottom row at half height (5 m of 10)
    parcel = shapely.box(X0 + 5, Y0 - 15, X0 + 25, Y0)
    g = np.array([parcel], dtype=object)
    cov = {1: 0.5, 2: 1, 3: 0.5, 4: 0.25, 5: 0.5, 6: 0.25}
    total = sum(v * c for v, c in cov.items())                      # 0.5+2+1.5+1+2.5+1.5 = 9
    assert total == 9.0
    assert zonal_stats(g, UTM, r, "sum")[0] == pytest.approx(9.0)
    assert zonal_stats(g, UTM, r, "mean")[0] == pytest.approx(9.0 / 3.0)   # 3 cells' area
    assert zonal_stats(g, UTM, r, "min")[0] == 1.0
    assert zonal_stats(g, UTM, r, "max")[0] == 6.0
    assert zonal_stats(g, UTM, r, "majority")[0] == 2.0          # cell 2 covers most
    # share of the parcel where the value is at least 5: cells 5 (0.5) and 6 (0.25) of 3
    assert zonal_stats(g, UTM, r, "share", at_least=5)[0] == pytest.approx(0.75 / 3)
    assert zonal_stats(g, UTM, r, "share", values=[1, 3])[0] == pytest.approx(1.0 / 3)


def test_nodata_cells_are_left_out(tmp_path):
    path = write_tif(tmp_path / "n.tif", [[1, -9999], [3, 5]], nodata=-9999)
    r = open_raster("n", path)
    whole = np.array([shapely.box(X0, Y0 - 20, X0 + 20, Y0)], dtype=object)
    assert zonal_stats(whole, UTM, r, "sum")[0] == pytest.approx(9.0)
    assert zonal_stats(whole, UTM, r, "mean")[0] == pytest.approx(3.0)
    outside = np.array([shapely.box(X0 + 500, Y0 - 520, X0 + 510, Y0 - 510)], dtype=object)
    assert np.isnan(zonal_stats(outside, UTM, r, "mean")[0])
    assert zonal_stats(outside, UTM, r, "sum")[0] == 0.0


def _smooth(x, y):
    return 50 + 0.01 * (x - X0) - 0.02 * (y - Y0) + 5 * np.sin((x - X0) / 700.0)


def test_a_raster_in_degrees_gives_the_same_answer_within_half_a_percent(tmp_path):
    # the same smooth field sampled on a 10 m UTM grid and on a 0.0001 degree grid
    n = 300
    rows, cols = np.indices((n, n))
    utm_vals = _smooth(X0 + (cols + 0.5) * 10, Y0 - (rows + 0.5) * 10)
    utm = open_raster("u", write_tif(tmp_path / "u.tif", utm_vals))
    import pyproj

    to_ll = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    to_utm = pyproj.Transformer.from_crs(4326, UTM, always_xy=True)
    lon0, lat0 = to_ll.transform(X0 - 100, Y0 + 100)
    d = 0.0001
    lon = lon0 + (cols + 0.5) * d
    lat = lat0 - (rows + 0.5) * d
    ux, uy = to_utm.transform(lon, lat)
    ll = open_raster("g", write_tif(tmp_path / "g.tif", _smooth(ux, uy), x0=lon0, y0=lat0,
                                    cell=d, crs="EPSG:4326"))
    rng = np.random.default_rng(3)
    cx, cy = rng.uniform(X0 + 300, X0 + 2500, 40), rng.uniform(Y0 - 2500, Y0 - 300, 40)
    parcels = shapely.box(cx, cy, cx + rng.uniform(20, 120, 40), cy + rng.uniform(20, 120, 40))
    a = zonal_stats(parcels, UTM, utm, "mean")
    b = zonal_stats(parcels, UTM, ll, "mean")
    assert np.all(np.abs(b / a - 1) < 0.005)


def test_slope_of_a_plane(tmp_path):
    n = 60
    rows, cols = np.indices((n, n))
    plane = 0.12 * (cols * 10.0) + 3.0                 # rises 12 m per 100 m eastwards
    r = open_raster("dem", write_tif(tmp_path / "dem.tif", plane))
    layers = sp.Layers({"parcels": gpd.GeoDataFrame(
        {"parcel_id": ["a"]}, geometry=[shapely.box(X0 + 100, Y0 - 300, X0 + 200, Y0 - 200)],
        crs=UTM), "dem": r}, crs=gpd.GeoSeries([], crs=UTM).crs)
    prof = profile_from_dict({"name": "slope_test", "title": {"en": "t"}, "criteria": [
        {"name": "lereng", "measure": "slope", "layer": "dem", "weight": 1,
         "transform": {"type": "linear", "best": 0, "worst": 30}},
        {"name": "lereng_deg", "measure": "slope", "layer": "dem", "unit": "degrees",
         "stat": "max", "weight": 1, "transform": {"type": "linear", "best": 0, "worst": 30}}]})
    res = sp.score(layers, prof)
    assert res["m_lereng"].iloc[0] == pytest.approx(12.0, rel=1e-9)
    assert res["m_lereng_deg"].iloc[0] == pytest.approx(np.degrees(np.arctan(0.12)), rel=1e-9)


def test_raster_rule_keeps_parcels_out_of_hazard(tmp_path):
    # flood hazard index: the left column of 10 m cells is 0.8 (tinggi), the rest 0.2
    hazard = np.full((10, 10), 0.2)
    hazard[:, 0] = 0.8
    path = write_tif(tmp_path / "h.tif", hazard)
    parcels = gpd.GeoDataFrame({"parcel_id": ["dry", "quarter", "wet"], "ownership": "pemda"},
                               geometry=[shapely.box(X0 + 30, Y0 - 40, X0 + 60, Y0 - 10),
                                         shapely.box(X0 + 5, Y0 - 50, X0 + 25, Y0 - 30),
                                         shapely.box(X0, Y0 - 90, X0 + 10, Y0 - 60)], crs=UTM)
    layers = sp.load_layers(parcels=parcels, extra={"flood_hazard": str(path)})
    base = {"name": "hazard_test", "title": {"en": "t"}, "criteria": [
        {"name": "luas", "measure": "area", "weight": 1,
         "transform": {"type": "linear", "best": 1000, "worst": 0}}]}
    strict = profile_from_dict({**base, "constraints": [
        {"type": "outside", "layer": "flood_hazard", "at_least": 0.67}]})
    res = sp.score(layers, strict).set_index("parcel_id")
    # "quarter" has 5 m x 20 m of its 20 m x 20 m in the wet column: a quarter
    assert list(res["eligible"]) == [True, False, False]
    assert res.loc["quarter", "excluded_by"] == "outside flood_hazard >= 0.67"
    lenient = profile_from_dict({**base, "constraints": [
        {"type": "outside", "layer": "flood_hazard", "at_least": 0.67, "max_share": 0.3}]})
    assert list(sp.score(layers, lenient)["eligible"]) == [True, True, False]


def test_raster_population_counts_like_its_cells_as_polygons(tmp_path):
    rng = np.random.default_rng(11)
    people = rng.integers(0, 200, (40, 50)).astype(float)
    path = write_tif(tmp_path / "pop.tif", people, cell=100.0)
    boxes, vals = cells_of(people, cell=100.0)
    as_polygons = gpd.GeoDataFrame({"population": vals}, geometry=boxes, crs=UTM)
    cx, cy = rng.uniform(X0 + 500, X0 + 4500, 30), rng.uniform(Y0 - 3500, Y0 - 500, 30)
    parcels = gpd.GeoDataFrame({"parcel_id": [f"p{i}" for i in range(30)]},
                               geometry=shapely.box(cx, cy, cx + 40, cy + 60), crs=UTM)
    raster_layers = sp.load_layers(parcels=parcels, population=str(path))
    vector_layers = sp.load_layers(parcels=parcels, population=as_polygons)
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    for radius in (300.0, 1000.0):
        got = amount_within(geoms, radius, spread(raster_layers, "population", "population",
                                                  context="t"))
        want = amount_within(geoms, radius, spread(vector_layers, "population", "population",
                                                   context="t"))
        np.testing.assert_allclose(got, want, rtol=1e-9)
    pts, w = demand_points(raster_layers)
    assert w.sum() == pytest.approx(people.sum())
    assert len(pts) == int((people > 0).sum())


def test_load_refuses_a_raster_without_crs(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1,
                       dtype="float64", transform=Affine(10, 0, X0, 0, -10, Y0)) as dst:
        dst.write(np.ones((2, 2)), 1)
    parcels = gpd.GeoDataFrame({"parcel_id": ["a"]}, geometry=[shapely.box(X0, Y0 - 5, X0 + 5,
                                                                           Y0)], crs=UTM)
    with pytest.raises(sp.SiteplanInputError, match="layer 'dem'.*has no CRS.*Fix: assign"):
        sp.load_layers(parcels=parcels, extra={"dem": str(path)})


def test_a_raster_is_no_feature_layer(tmp_path):
    path = write_tif(tmp_path / "v.tif", [[1, 2], [3, 4]])
    parcels = gpd.GeoDataFrame({"parcel_id": ["a"]}, geometry=[shapely.box(X0, Y0 - 5, X0 + 5,
                                                                           Y0)], crs=UTM)
    layers = sp.load_layers(parcels=parcels, extra={"v": str(path)})
    prof = profile_from_dict({"name": "t", "title": {"en": "t"}, "criteria": [
        {"name": "d", "measure": "distance", "layer": "v", "weight": 1,
         "transform": {"type": "linear", "best": 0, "worst": 100}}]})
    with pytest.raises(sp.SiteplanInputError, match="'v', which is a raster.*zonal"):
        sp.score(layers, prof)


@pytest.mark.parametrize("bad, match", [
    ({"stat": "median"}, "unknown stat 'median'"),
    ({"stat": "share"}, "stat 'share' needs values"),
    ({"values": "tinggi"}, "values must be a list of numbers"),
    ({"unit": "percent"}, "'unit' does not apply to measure 'zonal'"),
])
def test_raster_keys_are_checked(bad, match):
    crit = {"name": "z", "measure": "zonal", "layer": "flood_hazard", "weight": 1,
            "transform": {"type": "linear", "best": 0, "worst": 1}, **bad}
    with pytest.raises(sp.SiteplanInputError, match=match):
        profile_from_dict({"name": "t", "title": {"en": "t"}, "criteria": [crit]})
