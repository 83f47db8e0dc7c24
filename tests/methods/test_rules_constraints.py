"""Every constraint type at its boundary, on tiny worlds of boxes worked out by hand.

Coordinates are whole metres (exact in floating point: areas and distances
below are exact), offset into UTM 48S. Each test names the parcel that sits
exactly on the rule's boundary and the parcels just either side of it, so
that a reversed or shifted rule fails.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

import siteplan as sp
from siteplan.methods.constraints import excluded_text, rule_ids
from siteplan.profiles.profile import profile_from_dict

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"
AREA = {"name": "luas", "measure": "area", "weight": 1,
        "transform": {"type": "linear", "best": 100_000, "worst": 0}}


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def frame(geoms, **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=CRS)


def kept(parcels: dict, *constraints, extra=None, columns=None) -> dict[str, bool]:
    """Parcel id -> whether it passes ``constraints`` (scored through ``sp.score``)."""
    ids = list(parcels)
    layers = sp.load_layers(parcels=frame(parcels.values(), parcel_id=ids, **(columns or {})),
                            extra=extra or {})
    prof = profile_from_dict({"name": "rule_test", "title": {"en": "t"},
                              "constraints": list(constraints), "criteria": [AREA]})
    res = sp.score(layers, prof).set_index("parcel_id")
    return {i: bool(res.loc[i, "eligible"]) for i in ids}


# ----------------------------------------------------------------------------- area


def test_min_area_keeps_a_parcel_of_exactly_the_value():
    parcels = {"small": box(0, 0, 100, 99),      # 9,900 m²
               "exact": box(200, 0, 300, 100),   # 10,000 m²
               "large": box(400, 0, 500, 101)}   # 10,100 m²
    assert kept(parcels, {"type": "min_area", "value": 10_000}) == \
        {"small": False, "exact": True, "large": True}


def test_max_area_keeps_a_parcel_of_exactly_the_value():
    parcels = {"small": box(0, 0, 100, 99), "exact": box(200, 0, 300, 100),
               "large": box(400, 0, 500, 101)}
    assert kept(parcels, {"type": "max_area", "value": 10_000}) == \
        {"small": True, "exact": True, "large": False}


# -------------------------------------------------------------------------- outside


def river(x, n_vertices=2):
    """A north-south river along x, from y = -500 to 500, with ``n_vertices`` vertices."""
    ys = np.linspace(-500, 500, n_vertices)
    return frame([shapely.LineString([(X0 + x, Y0 + y) for y in ys])], name=["kali"])


@pytest.mark.parametrize("n_vertices", [2, 41])   # 41: the rule cuts long lines into pieces
def test_outside_a_parcel_exactly_buffer_metres_away_keeps_the_rule(n_vertices):
    # the river runs along x = 115; each parcel's east edge sets its distance to it
    parcels = {"at_15": box(0, 0, 100, 100),       # 15 m: exactly the buffer
               "at_14": box(0, 200, 101, 300),     # 14 m: inside the buffer
               "at_16": box(0, 400, 99, 450),      # 16 m
               # 14 m from the middle of the 17th segment (y -100 to -75 with 41 vertices),
               # 17.2 m from its ends: only that segment is within the buffer
               "mid_segment": box(0, -90, 101, -85),
               "across": box(110, -300, 120, -250)}  # the river crosses it
    con = {"type": "outside", "layer": "rivers", "buffer": 15}
    assert kept(parcels, con, extra={"rivers": river(115, n_vertices)}) == \
        {"at_15": True, "at_14": False, "at_16": True, "mid_segment": False, "across": False}


def test_outside_without_buffer_touching_is_not_overlapping():
    zones = frame([box(100, 0, 200, 100)], kind=["sekolah"])
    parcels = {"edge": box(0, 0, 100, 100),          # shares the zone's west edge
               "corner": box(200, 100, 300, 200),    # shares one corner point
               "overlap": box(190, 0, 290, 100),     # 10 m of it inside the zone
               "within": box(120, 20, 180, 80),      # wholly inside the zone
               "apart": box(0, 300, 100, 400)}
    con = {"type": "outside", "layer": "zones"}
    assert kept(parcels, con, extra={"zones": zones}) == \
        {"edge": True, "corner": True, "overlap": False, "within": False, "apart": True}


def test_outside_a_line_ending_on_the_boundary_touches_and_one_crossing_overlaps():
    lines = frame([shapely.LineString([(X0 + 50, Y0 - 100), (X0 + 50, Y0)]),      # ends on A
                   shapely.LineString([(X0 + 250, Y0 - 100), (X0 + 250, Y0 + 200)])],
                  name=["a", "b"])
    parcels = {"A": box(0, 0, 100, 100), "B": box(200, 0, 300, 100)}
    assert kept(parcels, {"type": "outside", "layer": "lines"}, extra={"lines": lines}) == \
        {"A": True, "B": False}


# --------------------------------------------------------------------------- inside


def test_inside_by_the_parcel_point_on_its_surface_with_and_without_buffer():
    zone = frame([box(0, 0, 1000, 1000)], name=["kawasan"])
    # the point on the surface of a box is its centre (GEOS: middle of the widest
    # horizontal section at mid-height); the expected answers below rely on that
    assert shapely.point_on_surface(box(1040, 90, 1060, 110)).equals(
        shapely.Point(X0 + 1050, Y0 + 100))
    parcels = {"in": box(100, 100, 200, 200),
               "straddle": box(980, 500, 1000 + 10, 520),   # centre (995, 510): inside
               "centre_at_50": box(1040, 90, 1060, 110),     # centre exactly 50 m east
               "near": box(1020, 300, 1040, 320),            # centre 30 m east
               "far": box(1060, 600, 1080, 620)}             # centre 70 m east
    plain = kept(parcels, {"type": "inside", "layer": "zone"}, extra={"zone": zone})
    assert plain == {"in": True, "straddle": True, "centre_at_50": False, "near": False,
                     "far": False}
    # within the buffer includes exactly the buffer: the parcel on the boundary passes,
    # as it passes outside's rule exactly ``buffer`` metres away
    reach = kept(parcels, {"type": "inside", "layer": "zone", "buffer": 50},
                 extra={"zone": zone})
    assert reach == {"in": True, "straddle": True, "centre_at_50": True, "near": True,
                     "far": False}


# ------------------------------------------------------------------------ attribute


def _four():
    return {k: box(200 * i, 0, 200 * i + 100, 100) for i, k in enumerate("abcd")}


@pytest.mark.parametrize("bounds, expected", [
    ({"min": 10}, [False, True, True, False]),
    ({"max": 10}, [True, True, False, False]),
    ({"min": 5, "max": 15}, [True, True, True, False]),
    ({"min": 10, "max": 10}, [False, True, False, False]),
])
def test_attribute_bounds_include_the_bound_and_a_missing_number_breaks_them(bounds, expected):
    # values 5, 10, 15 and missing: a bound is inclusive; no number cannot meet a bound
    got = kept(_four(), {"type": "attribute", "column": "lebar_jalan", **bounds},
               columns={"lebar_jalan": [5.0, 10.0, 15.0, np.nan]})
    assert list(got.values()) == expected


def test_attribute_in_and_not_in_ignore_case_and_spaces():
    status = ["Pemda", " pemda ", "swasta", None]
    got_in = kept(_four(), {"type": "attribute", "column": "status", "in": ["PEMDA"]},
                  columns={"status": status})
    # a missing value is not in the list: it breaks "in" and passes "not_in"
    assert list(got_in.values()) == [True, True, False, False]
    got_not = kept(_four(), {"type": "attribute", "column": "status", "not_in": ["Swasta"]},
                   columns={"status": status})
    assert list(got_not.values()) == [True, True, False, True]


# --------------------------------------------------------------------------- raster

RX, RY = 630_000.0, 9_320_000.0   # top-left corner of the rasters, 10 m cells


def write_tif(path, values, nodata=None):
    values = np.asarray(values, dtype="float64")
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float64", crs=CRS,
                       transform=Affine(10.0, 0, RX, 0, -10.0, RY), nodata=nodata) as dst:
        dst.write(values, 1)
    return str(path)


def rbox(x1, y1, x2, y2):
    """A box in metres east and south of the raster's top-left corner."""
    return shapely.box(RX + x1, RY - y2, RX + x2, RY - y1)


def test_slope_above_is_strict(tmp_path):
    # a plane rising 2.5 m per 10 m cell eastwards: a slope of exactly 25 % everywhere
    # (central and one-sided differences alike, all exact in binary), atan(0.25) = 14.036°
    cols = np.indices((30, 30))[1]
    dem = write_tif(tmp_path / "dem.tif", 2.5 * cols + 3.0)
    parcels = {"p": rbox(100, 100, 200, 200)}

    def passes(**rule):
        return kept(parcels, {"type": "outside", "layer": "dem", **rule},
                    extra={"dem": dem})["p"]

    assert passes(slope_above=25)              # 25 % is not above 25 %
    assert not passes(slope_above=24.9)
    assert passes(slope_above=14.1, slope_unit="degrees")
    assert not passes(slope_above=14, slope_unit="degrees")


def test_raster_share_exactly_at_max_share_passes_and_no_data_is_no_hazard(tmp_path):
    # hazard index: the west column of cells is 0.8, the rest 0.2; the east two are no-data
    hazard = np.full((10, 10), 0.2)
    hazard[:, 0] = 0.8
    hazard[:, 8:] = -9999.0
    path = write_tif(tmp_path / "hazard.tif", hazard, nodata=-9999.0)
    parcels = {"quarter": rbox(5, 30, 25, 50),    # 5 m of its 20 m width in the wet column
               "dry": rbox(30, 10, 60, 40),
               "no_data": rbox(82, 10, 98, 40)}   # only no-data cells under it
    rule = {"type": "outside", "layer": "flood_hazard", "at_least": 0.67}
    extra = {"flood_hazard": path}
    assert kept(parcels, {**rule, "max_share": 0.25}, extra=extra) == \
        {"quarter": True, "dry": True, "no_data": True}
    assert kept(parcels, {**rule, "max_share": 0.24}, extra=extra) == \
        {"quarter": False, "dry": True, "no_data": True}


# ---------------------------------------------------------------- reasons and rule ids


def test_rule_ids_and_texts_name_every_broken_rule_in_profile_order():
    broken = np.array([[True, False, True], [False, False, False], [False, True, False],
                       [True, True, True]])
    assert list(rule_ids(broken)) == ["1;3", "", "2", "1;2;3"]
    assert list(excluded_text(broken, ["r1", "r2", "r3"])) == ["r1; r3", "", "r2",
                                                               "r1; r2; r3"]


def test_a_parcel_breaking_two_rules_lists_both():
    zones = frame([box(0, 0, 1000, 1000)], kind=["sawah"])
    layers = sp.load_layers(parcels=frame([box(10, 10, 20, 20), box(2000, 0, 2100, 100)],
                                          parcel_id=["both", "none"]),
                            extra={"zones": zones})
    prof = profile_from_dict({"name": "rule_test", "title": {"en": "t"}, "criteria": [AREA],
                              "constraints": [{"type": "min_area", "value": 1000},
                                              {"type": "outside", "layer": "zones"}]})
    res = sp.score(layers, prof).set_index("parcel_id")
    assert res.loc["both", "excluded_rules"] == "1;2"
    assert res.loc["both", "excluded_by"] == "min_area 1000 m²; outside zones +0 m"
    assert res.loc["none", "excluded_rules"] == "" and res.loc["none", "eligible"]
