"""Loading layers: every format, Indonesian aliases, validation errors, repairs."""

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import siteplan as sp

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"


def parcels_bpn(n=4):
    """Parcels with the column names of a BPN 'Peta Bidang Tanah' shapefile export."""
    return gpd.GeoDataFrame({
        "NIB": [f"3673010100{i:04d}" for i in range(n)],
        "TIPEPEMILI": ["Pemkot", "perorangan", "Badan Hukum", "PEMDA"][:n],
        "PENGGUNAAN": ["Tanah Kosong", "Permukiman", "Sawah", "kebun"][:n],
        "LUASPETA": [100.0] * n,
        "TIPEHAK": ["HP", "HM", "HGB", "HP"][:n],
        "Desa": ["Cipare"] * n,
        "KECAMATAN": ["Serang"] * n,
    }, geometry=[shapely.box(X0 + 200 * i, Y0, X0 + 200 * i + 50, Y0 + 40) for i in range(n)],
        crs=CRS)


def test_bpn_aliases_are_recognised_case_insensitively():
    layers = sp.load_layers(parcels=parcels_bpn())
    p = layers["parcels"]
    for col in ("parcel_id", "ownership", "land_use", "area_m2", "tipe_hak", "kelurahan",
                "kecamatan"):
        assert col in p.columns, col
    # ownership values normalised to the canonical vocabulary
    assert list(p["ownership"]) == ["pemda", "masyarakat", "swasta", "pemda"]
    assert list(p["land_use"]) == ["tanah kosong", "permukiman", "sawah", "kebun"]
    # area is the geometry's (50 x 40 m); the recorded LUASPETA is kept beside it
    np.testing.assert_allclose(p["area_m2"], 2000.0)
    np.testing.assert_allclose(p["area_m2_input"], 100.0)
    assert p["parcel_id"].iloc[0] == "36730101000000"


def test_other_alias_spellings():
    gdf = parcels_bpn(2).rename(columns={"NIB": "id_persil", "TIPEPEMILI": "Status_Aset",
                                         "PENGGUNAAN": "penggunaan"})
    p = sp.load_layers(parcels=gdf)["parcels"]
    assert {"parcel_id", "ownership", "land_use"} <= set(p.columns)


@pytest.mark.parametrize("ext, driver", [
    ("gpkg", "GPKG"), ("shp", "ESRI Shapefile"), ("geojson", "GeoJSON"), ("fgb", "FlatGeobuf"),
    ("parquet", None),
])
def test_every_format(tmp_path, ext, driver):
    gdf = parcels_bpn()
    path = tmp_path / f"persil.{ext}"
    if driver is None:
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, driver=driver)
    layers = sp.load_layers(parcels=path)
    p = layers["parcels"]
    assert len(p) == 4
    assert layers.crs.to_epsg() == 32748
    assert set(p["parcel_id"]) == set(gdf["NIB"])
    assert layers.sources["parcels"] == str(path)


def test_zipped_shapefile(tmp_path):
    parcels_bpn().to_file(tmp_path / "persil.shp")
    zpath = tmp_path / "persil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for part in tmp_path.glob("persil.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    assert len(sp.load_layers(parcels=zpath)["parcels"]) == 4


def test_geopackage_layer_by_name(tmp_path):
    path = tmp_path / "serang.gpkg"
    parcels_bpn().to_file(path, layer="bidang_tanah")
    roads = gpd.GeoDataFrame({"kelas_jalan": ["Arteri Primer"]}, geometry=[
        shapely.LineString([(X0, Y0 - 10), (X0 + 900, Y0 - 10)])], crs=CRS)
    roads.to_file(path, layer="jalan")
    with pytest.raises(sp.SiteplanInputError, match=r"holds 2 layers .*bidang_tanah.*jalan"):
        sp.load_layers(parcels=path)
    with pytest.raises(sp.SiteplanInputError, match=r"has no layer 'persil' \(it has"):
        sp.load_layers(parcels=(path, "persil"))
    layers = sp.load_layers(parcels=(path, "bidang_tanah"), roads=(path, "jalan"))
    assert layers["roads"]["road_class"].tolist() == ["arteri"]


def test_reprojects_to_utm_48s_from_wgs84():
    gdf = parcels_bpn().to_crs(4326)
    layers = sp.load_layers(parcels=gdf)
    assert layers.crs.to_epsg() == 32748
    np.testing.assert_allclose(layers["parcels"]["area_m2"], 2000.0, rtol=1e-6)


def test_input_frame_is_not_mutated():
    gdf = parcels_bpn()
    before = gdf.copy()
    sp.load_layers(parcels=gdf)
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(before))


def test_every_problem_collected_in_one_error():
    no_crs = parcels_bpn().set_crs(None, allow_override=True)
    dup = parcels_bpn()
    dup.loc[1, "NIB"] = dup.loc[0, "NIB"]
    # roads without road_class get the default class (issue 24); points are no roads
    roads = gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(X0, Y0)], crs=CRS)
    with pytest.raises(sp.SiteplanInputError) as info:
        sp.load_layers(parcels=no_crs, roads=roads, green_spaces=dup)
    msg = str(info.value)
    assert "layer 'parcels': has no CRS" in msg
    assert "layer 'roads': geometry must be LineString or MultiLineString" in msg
    assert "layer 'green_spaces'" in msg
    assert len(info.value.problems) >= 3


@pytest.mark.parametrize("make, match", [
    (lambda g: g.set_crs(None, allow_override=True), r"layer 'parcels': has no CRS.*set_crs"),
    (lambda g: g.drop(columns="NIB"), r"required column 'parcel_id'.*nib, id_persil"),
    (lambda g: g.iloc[0:0], r"layer 'parcels': is empty \(0 features\)"),
    (lambda g: g.assign(NIB=["1", "1", "2", "2"]),
     r"column 'parcel_id' has 2 duplicated values: '1', '2'.*make every parcel_id unique"),
    (lambda g: g.set_geometry(g.geometry.centroid),
     r"geometry must be Polygon or MultiPolygon, but 4 Point found"),
    (lambda g: g.assign(LUASPETA=["100", "seratus", "100", "1O0"]),
     r"column 'area_m2' must hold numbers, but rows 1, 3 hold 'seratus', '1O0'"),
    (lambda g: g.assign(NIB=["1", None, "3", "4"]), r"column 'parcel_id' is empty in rows 1"),
])
def test_validation_errors_name_layer_column_value_fix(make, match):
    with pytest.raises(sp.SiteplanInputError, match=match) as info:
        sp.load_layers(parcels=make(parcels_bpn()))
    assert "Fix:" in str(info.value)


def test_swapped_and_wrong_unit_crs_are_caught():
    g = parcels_bpn().to_crs(4326)
    swapped = g.set_geometry(shapely.transform(g.geometry.values, lambda c: c[:, ::-1]))
    with pytest.raises(sp.SiteplanInputError, match=r"look like \(lat, lon\)"):
        sp.load_layers(parcels=swapped)
    metres_as_degrees = parcels_bpn().set_crs(4326, allow_override=True)
    with pytest.raises(sp.SiteplanInputError, match="they look like metres"):
        sp.load_layers(parcels=metres_as_degrees)


def test_repairs_are_reported_and_unusable_rows_rejected():
    g = parcels_bpn()
    bowtie = shapely.Polygon([(X0, Y0 + 500), (X0 + 100, Y0 + 600), (X0 + 100, Y0 + 500),
                              (X0, Y0 + 600), (X0, Y0 + 500)])
    g.loc[1, "geometry"] = bowtie
    g.loc[2, "geometry"] = None
    with pytest.warns(RuntimeWarning, match="invalid value"):  # shapely warns when built
        g.loc[3, "geometry"] = shapely.Polygon([(X0, Y0), (np.nan, Y0 + 5), (X0 + 5, Y0)])
    layers = sp.load_layers(parcels=g)
    rep = layers.repairs
    assert len(rep) == 1
    assert rep.iloc[0]["feature_id"] == g.loc[1, "NIB"]
    assert "Self-intersection" in rep.iloc[0]["problem"]
    assert rep.iloc[0]["action"] == "repaired with shapely.make_valid"
    fixed = layers["parcels"].set_index("parcel_id").loc[g.loc[1, "NIB"], "geometry"]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    assert fixed.area == pytest.approx(5000.0)  # two triangles of 2,500 m²
    rej = layers.rejected.set_index("feature_id")["reason"]
    assert rej[g.loc[2, "NIB"]] == "null geometry"
    assert rej[g.loc[3, "NIB"]] == "coordinates that are NaN or infinite"
    assert len(layers["parcels"]) + len(layers.rejected) == 4


def test_missing_file_and_garbage_file(tmp_path):
    with pytest.raises(sp.SiteplanInputError, match=r"file '.*nope.gpkg' does not exist"):
        sp.load_layers(parcels=tmp_path / "nope.gpkg")
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(sp.SiteplanInputError, match=r"is empty \(0 bytes\)"):
        sp.load_layers(parcels=empty)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises(sp.SiteplanInputError, match="cannot be read"):
        sp.load_layers(parcels=junk)


def test_pois_given_as_areas_become_points_with_a_repair():
    parcels = parcels_bpn()
    pois = gpd.GeoDataFrame({"kategori": ["Pasar"]}, geometry=[
        shapely.box(X0, Y0, X0 + 60, Y0 + 60)], crs=CRS)
    layers = sp.load_layers(parcels=parcels, pois=pois)
    assert layers["pois"].geom_type.tolist() == ["Point"]
    assert layers["pois"]["category"].tolist() == ["pasar"]
    assert "representative point" in layers.repairs.iloc[0]["action"]


def test_layers_bundle_is_immutable_and_replaceable():
    layers = sp.load_layers(parcels=parcels_bpn())
    with pytest.raises(AttributeError):
        layers.crs = None
    roads = gpd.GeoDataFrame({"road_class": ["lokal"]}, geometry=[
        shapely.LineString([(X0, Y0), (X0 + 9, Y0)])], crs=CRS)
    more = layers.replace(roads=roads)
    assert "roads" in more and "roads" not in layers
    with pytest.raises(sp.SiteplanInputError, match="layer 'pois' is not in this bundle"):
        layers["pois"]
