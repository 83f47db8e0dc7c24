"""Zones of raster rules on the maps: the cells that break the rule, as polygons.

A tiny world near x=620,000, y=9,320,000 (EPSG:32748) with a flood-hazard
GeoTIFF in EPSG:4326 (cells of 0.0001°) and a DEM in EPSG:32748 (10 m cells),
both written here with rasterio. Expected zones are worked by hand (which
cells break the rule) and drawn by shapely (the union of those cells' boxes,
reprojected with pyproj), never read back from siteplan.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine

import siteplan as sp
from siteplan.brief import _staticmap
from siteplan.profiles.profile import profile_from_dict
from siteplan.render import _zones
from siteplan.render import style as st

CRS = "EPSG:32748"
X0, Y0 = 620_000.0, 9_320_000.0
TO_UTM = pyproj.Transformer.from_crs(4326, CRS, always_xy=True)
LON0, LAT0 = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True).transform(X0, Y0 + 200)
DEG = 0.0001                                  # a flood cell: about 11 m
FLOOD_TITLE = {"id": "Bahaya banjir tinggi", "en": "High flood hazard"}
SLOPE_TITLE = {"id": "Lereng curam", "en": "Steep slope"}


def flood_values() -> np.ndarray:
    """20 x 20 cells; 15 break ``at_least = 0.67`` in 3 pieces joined by edges (4-connected)."""
    v = np.zeros((20, 20), dtype="float32")
    v[2:5, 2:6] = 0.8           # 12 cells
    v[5, 2] = 0.7               # joined to the block by an edge: same piece
    v[10, 10] = 0.67            # exactly at_least: breaks the rule
    v[11, 11] = 0.9             # touches (10, 10) at a corner only: a piece of its own
    v[15, 15] = 0.66            # just under: keeps it
    v[0, 0] = -9999             # nodata
    return v


FLOOD_HITS = [(r, c) for r in range(2, 5) for c in range(2, 6)] + [(5, 2), (10, 10), (11, 11)]


def dem_values() -> np.ndarray:
    """Flat, then rising 3 m per 10 m cell from column 10 on: slopes of 0, 15 and 30 %."""
    z = np.zeros((12, 16))
    z[:, 10:] = 3.0 * np.arange(1, 7)
    return z


def write(path, values, transform, crs, nodata=None):
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype=str(values.dtype), crs=crs,
                       transform=transform, nodata=nodata) as dst:
        dst.write(values, 1)
    return str(path)


def cell_boxes_utm(hits, left, top, size, crs_from=4326) -> shapely.Geometry:
    """The union of the cells' boxes, reprojected to UTM along densified edges (by hand)."""
    boxes = [shapely.box(left + c * size, top - (r + 1) * size, left + (c + 1) * size,
                         top - r * size) for r, c in hits]
    union = shapely.union_all(boxes)
    if crs_from == CRS:
        return union
    dense = shapely.segmentize(union, size / 50)
    return shapely.transform(dense, lambda xy: np.column_stack(TO_UTM.transform(xy[:, 0],
                                                                                 xy[:, 1])))


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("zones")
    flood = write(d / "flood.tif", flood_values(), Affine(DEG, 0, LON0, 0, -DEG, LAT0),
                  "EPSG:4326", nodata=-9999)
    dem = write(d / "dem.tif", dem_values(), Affine(10, 0, X0 + 300, 0, -10, Y0 + 200), CRS)
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["in_flood", "dry", "steep", "flat", "far"],
        "ownership": ["milik_kota"] * 5,
    }, geometry=[box(30, 150, 50, 170), box(150, 20, 180, 50), box(410, 120, 440, 150),
                 box(310, 120, 340, 150), box(700, 0, 730, 30)], crs=CRS)
    pois = gpd.GeoDataFrame({"category": ["pasar"]}, geometry=[shapely.Point(X0, Y0)], crs=CRS)
    layers = sp.load_layers(parcels=parcels, pois=pois, values={
        "ownership": {"milik_kota": "pemda"}}, extra={"flood_hazard": flood, "dem": dem})
    prof = profile_from_dict({
        "name": "zona", "title": {"id": "Uji zona", "en": "Zone test"},
        "candidates": {"ownership": ["pemda"]},
        "constraints": [
            {"type": "outside", "layer": "flood_hazard", "at_least": 0.67, "title": FLOOD_TITLE},
            {"type": "outside", "layer": "dem", "slope_above": 15, "slope_unit": "percent",
             "max_share": 0.1, "title": SLOPE_TITLE}],
        "criteria": [{"name": "pasar", "measure": "distance", "layer": "pois",
                      "transform": {"type": "linear", "best": 0, "worst": 2000}, "weight": 1}],
    })
    return layers, prof, sp.score(layers, prof)


def flood_rule(prof):
    return next(c for c in prof.constraints if c["layer"] == "flood_hazard")


def slope_rule(prof):
    return next(c for c in prof.constraints if c["layer"] == "dem")


def whole():
    return box(-50, -50, 800, 300)


# ---------------------------------------------------------------- the polygons

def test_flood_zone_is_the_cells_at_or_above_the_threshold(world):
    layers, prof, _ = world
    got = _zones.zone_polygons(layers, flood_rule(prof), whole(), CRS)
    want = cell_boxes_utm(FLOOD_HITS, LON0, LAT0, DEG)
    assert len(got) == 3                     # block + its edge neighbour, two corner cells
    union = shapely.union_all(got)
    assert union.area == pytest.approx(want.area, rel=1e-9)
    assert shapely.symmetric_difference(union, want).area < 1e-6 * want.area
    # merged along straight edges: the 12-cell block plus one cell has 6 corners, not 20+
    block = got[np.argmax(shapely.area(got))]
    assert shapely.get_num_coordinates(shapely.simplify(block, 0)) == \
        shapely.get_num_coordinates(block)


def test_slope_zone_is_the_cells_steeper_than_the_rule(world):
    layers, prof, _ = world
    got = _zones.zone_polygons(layers, slope_rule(prof), whole(), CRS)
    # central differences: column 9 rises (3 - 0) / 20 m = 15 % (not above 15), columns 10
    # to 14 rise 6 / 20 m = 30 %; the outer ring of cells borders nodata (no slope)
    want = cell_boxes_utm([(r, c) for r in range(1, 11) for c in range(10, 15)],
                          X0 + 300, Y0 + 200, 10, crs_from=CRS)
    assert len(got) == 1
    assert shapely.equals(got[0], want)
    assert shapely.get_num_coordinates(got[0]) == 5           # one rectangle


def test_zone_over_a_small_area_reads_only_its_window(world):
    layers, prof, _ = world
    # around the lone cell (10, 10) only: the block's cells are not in the window
    lon, lat = LON0 + 10.5 * DEG, LAT0 - 10.5 * DEG
    x, y = TO_UTM.transform(lon, lat)
    got = _zones.zone_polygons(layers, flood_rule(prof), shapely.Point(x, y).buffer(3), CRS)
    want = cell_boxes_utm([(10, 10), (11, 11)], LON0, LAT0, DEG)
    assert shapely.union_all(got).area == pytest.approx(want.area, rel=1e-9)
    # an area where nothing breaks the rule: no zone
    assert len(_zones.zone_polygons(layers, flood_rule(prof), box(700, 0, 730, 30), CRS)) == 0


def test_excluded_parcels_are_those_the_zone_covers(world):
    layers, prof, result = world
    zone = shapely.union_all(_zones.zone_polygons(layers, flood_rule(prof), whole(), CRS))
    by = result.set_index("parcel_id")
    assert by.loc["in_flood", "status"] == "excluded" and by.loc["dry", "status"] == "scored"
    for pid, row in by.iterrows():
        covered = shapely.intersection(row.geometry, zone).area > 0
        broke = "1" in str(row["excluded_rules"] or "").split(";")
        assert covered == broke, pid
    assert by.loc["steep", "status"] == "excluded" and by.loc["flat", "status"] == "scored"


# ---------------------------------------------------------------- the score map

def features_utm(gj: folium.GeoJson) -> shapely.Geometry:
    geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in gj.data["features"]]
    return gpd.GeoSeries(geoms, crs=4326).to_crs(CRS).union_all()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_score_map_draws_raster_zones_as_layers(world, lang):
    layers, prof, result = world
    m = sp.render_map(result, layers, lang=lang)
    layers_by_name = {c.layer_name: c for c in m._children.values()
                      if isinstance(c, folium.GeoJson)}
    word = "Batasan" if lang == "id" else "Constraint"
    flood = layers_by_name[f"{word}: {FLOOD_TITLE[lang]}"]
    slope = layers_by_name[f"{word}: {SLOPE_TITLE[lang]}"]
    assert not flood.show and not slope.show                   # hidden at first, as setbacks
    want = cell_boxes_utm(FLOOD_HITS, LON0, LAT0, DEG)
    got = features_utm(flood)
    assert got.area == pytest.approx(want.area, rel=2e-3)      # 6 decimals, 1 m simplify
    assert shapely.symmetric_difference(got, want).area < 0.01 * want.area
    assert {f["properties"]["t"] for f in flood.data["features"]} == {FLOOD_TITLE[lang]}
    style = flood.style_function(flood.data["features"][0])
    assert style["fillColor"] == st.CONSTRAINTS[0]
    assert slope.style_function(slope.data["features"][0])["fillColor"] == st.CONSTRAINTS[1]
    legend = next(c.content for c in m._children.values()
                  if isinstance(c, st.HtmlControl) and "sp-legend" in c.class_name)
    assert FLOOD_TITLE[lang] in legend and SLOPE_TITLE[lang] in legend
    # every coordinate is in EPSG:4326 near the world
    xy = shapely.get_coordinates(shapely.from_geojson(json.dumps(
        flood.data["features"][0]["geometry"])))
    assert np.abs(xy[:, 0] - LON0).max() < 0.01 and np.abs(xy[:, 1] - LAT0).max() < 0.01


def test_score_map_without_constraints_context_draws_no_zone(world):
    layers, _, result = world
    m = sp.render_map(result, layers, context=["roads"])
    assert not [c for c in m._children.values()
                if isinstance(c, folium.GeoJson) and ":" in c.layer_name]


# ---------------------------------------------------------------- the brief

def test_brief_draws_and_names_raster_zones(world):
    layers, prof, result = world
    html = sp.site_brief(result, layers, ["dry"], lang="en")
    legend = html[html.index('class="legend"'):]
    legend = legend[:legend.index("</div>")]
    assert FLOOD_TITLE["en"] in legend and SLOPE_TITLE["en"] in legend
    # the site map hatches the flood cells in the rule's colour: the image changes with it
    site = box(30, 150, 50, 170)
    with_zone = _staticmap.site_png(layers, site, rings=[60], zones=[flood_rule(prof)],
                                    north="N")
    without = _staticmap.site_png(layers, site, rings=[60], zones=[], north="N")
    assert with_zone != without
    colour = np.array([int(st.CONSTRAINTS[0][i:i + 2], 16) for i in (1, 3, 5)])
    assert _pixels(with_zone, colour) > 50 and _pixels(without, colour) == 0


def _pixels(png: bytes, rgb: np.ndarray) -> int:
    """How many pixels are near the colour ``rgb``."""
    import io

    from matplotlib.image import imread

    img = imread(io.BytesIO(png))[..., :3] * 255
    return int((np.abs(img - rgb).max(axis=-1) < 30).sum())
