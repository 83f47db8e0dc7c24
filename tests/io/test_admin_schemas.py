"""Boundary files in every Indonesian schema, read as they are, and RTH need on each.

Four kelurahan of 1 km² each (boxes), two in Kecamatan Kasemen (Banten,
Kasunyatan), two in Kecamatan Serang (Cipare, Sumur Pecung). Public parks:
100,000 m² in Banten, 200,000 m² in Cipare; a private one of 90,000 m² in
Sumur Pecung. By hand, against the 20% public target of UU 26/2007:

=============  ======  ==============  ==================
unit           area    public share    public shortfall
=============  ======  ==============  ==================
Banten         1 km²   0.10            100,000 m²
Kasunyatan     1 km²   0               200,000 m²
Cipare         1 km²   0.20            0
Sumur Pecung   1 km²   0               200,000 m²
Kasemen        2 km²   0.05            300,000 m²
Serang         2 km²   0.10            200,000 m²
=============  ======  ==============  ==================

The BPS codes below are made up for the test (kecamatan 910 and 920 do not
exist); the Kemendagri codes are the real ones, which the files do not carry
(BPS) or carry themselves (RBI).
"""

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

import siteplan as sp
from siteplan.io.admin import ADMIN_SCHEMAS, recognise_admin, serang_codes

CRS = "EPSG:32748"
X0, Y0 = 620_000, 9_330_000
KEL = [  # name, kecamatan, Kemendagri code, BPS test code, box
    ("Banten", "Kasemen", "36.73.02.1007", "3673910001", (0, 0, 1000, 1000)),
    ("Kasunyatan", "Kasemen", "36.73.02.1010", "3673910002", (1000, 0, 2000, 1000)),
    ("Cipare", "Serang", "36.73.01.1002", "3673920001", (0, 1000, 1000, 2000)),
    ("Sumur Pecung", "Serang", "36.73.01.1003", "3673920002", (1000, 1000, 2000, 2000)),
]


def at(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def others():
    green = gpd.GeoDataFrame({"rth_type": ["taman", "taman", "taman"],
                              "public": [True, True, False]},
                             geometry=[at(0, 0, 200, 500), at(0, 1000, 500, 1400),
                                       at(1000, 1000, 1300, 1300)], crs=CRS)
    pop = gpd.GeoDataFrame({"population": [1000.0] * 4},
                           geometry=[at(*b).centroid for *_, b in KEL], crs=CRS)
    parcels = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[at(10, 10, 50, 50)], crs=CRS)
    return {"parcels": parcels, "green_spaces": green, "population": pop}


def bps_file(tmp_path):
    """BPS style, as GeoJSON in EPSG:4326 (upper-case names, id-prefixed codes)."""
    gdf = gpd.GeoDataFrame({
        "province": "BANTEN", "regency": "KOTA SERANG",
        "district": [k.upper() for _, k, *_ in KEL],
        "village": [n.upper() for n, *_ in KEL],
        "village_code": ["id" + b for *_, b, _ in KEL],
        "district_code": ["id" + b[:7] for *_, b, _ in KEL],
    }, geometry=[at(*b) for *_, b in KEL], crs=CRS).to_crs(4326)
    path = tmp_path / "desa_bps.geojson"
    gdf.to_file(path, driver="GeoJSON")
    return path


def rbi_file(tmp_path):
    """BIG RBI style, as a Shapefile in UTM 48S."""
    gdf = gpd.GeoDataFrame({
        "NAMOBJ": [n for n, *_ in KEL], "WADMKD": [n for n, *_ in KEL],
        "WADMKC": [k for _, k, *_ in KEL], "WADMKK": "Kota Serang", "WADMPR": "Banten",
        "KDEPUM": [c for _, _, c, *_ in KEL], "KDCPUM": [c[:8] for _, _, c, *_ in KEL],
    }, geometry=[at(*b) for *_, b in KEL], crs=CRS)
    path = tmp_path / "ADMINISTRASI_AR_DESAKEL.shp"
    gdf.to_file(path)
    return path


EXPECT_KEL = {"Banten": (0.10, 100_000), "Kasunyatan": (0.0, 200_000),
              "Cipare": (0.20, 0.0), "Sumur Pecung": (0.0, 200_000)}
EXPECT_KEC = {"Kasemen": (0.05, 300_000, "36.73.02"), "Serang": (0.10, 200_000, "36.73.01")}


@pytest.mark.parametrize("make", [bps_file, rbi_file], ids=["bps", "rbi"])
def test_rth_gaps_on_each_schema_at_both_levels(tmp_path, make):
    path = make(tmp_path)
    layers = sp.load_layers(**others(), admin=path)
    admin = layers["admin"]
    # read as it is: the file's own columns stay, siteplan's are added
    assert {"village", "NAMOBJ"} & set(admin.columns)
    assert set(admin["level"]) == {"kelurahan"}
    note = layers.repairs[layers.repairs["layer"] == "admin"]["problem"].str.cat()
    assert ("BPS" in note) if make is bps_file else ("RBI" in note)

    kel = sp.rth_gaps(layers, level="kelurahan")
    assert len(kel) == 4
    names = kel["nama"].str.title()
    for name, (share, short) in EXPECT_KEL.items():
        row = kel[names == name].iloc[0]
        assert row["public_share"] == pytest.approx(share, abs=1e-9)
        assert row["public_shortfall_m2"] == pytest.approx(short, abs=1e-3)
        code = next(c for n, _, c, *_ in KEL if n == name)
        assert row["kode"] == code  # both schemas carry the Kemendagri code
        if make is bps_file:  # ... and a BPS file its own code as well
            assert row["kode_bps"] == next(b for n, *_, b, _ in KEL if n == name)
        # the kecamatan comes from the schema's own column
        assert row["kecamatan"].title() == next(k for n, k, *_ in KEL if n == name)

    kec = sp.rth_gaps(layers, level="kecamatan")
    assert len(kec) == 2
    for name, (share, short, code) in EXPECT_KEC.items():
        row = kec[kec["nama"].str.title() == name].iloc[0]
        assert row["public_share"] == pytest.approx(share, abs=1e-9)
        assert row["public_shortfall_m2"] == pytest.approx(short, abs=1e-3)
        assert row["kode"] == code
        if make is bps_file:
            assert row["kode_bps"] == {"Kasemen": "3673910", "Serang": "3673920"}[name]


def frame(**cols):
    n = len(next(iter(cols.values())))
    return gpd.GeoDataFrame(cols, geometry=[box(i, 0, i + 1, 1) for i in range(n)], crs=CRS)


def test_hdx_cod_ab_kelurahan_and_kecamatan_files():
    kel = frame(ADM4_EN=["Kasunyatan"], ADM4_PCODE=["ID3673910002"], ADM3_EN=["Kasemen"],
                ADM3_PCODE=["ID3673910"], ADM2_EN=["Kota Serang"], ADM1_EN=["Banten"])
    out, found = recognise_admin(kel)
    assert found["schema"] == "hdx" and found["level"] == "kelurahan"
    assert out[["nama", "kecamatan", "kode", "kode_bps"]].values.tolist() == [
        ["Kasunyatan", "Kasemen", "36.73.02.1010", "3673910002"]]
    kec = frame(ADM3_EN=["Cipocok Jaya", "Nowhere"], ADM3_PCODE=["ID3673930", "ID9999999"],
                ADM2_EN=["Kota Serang"] * 2, ADM1_EN=["Banten"] * 2)
    out, found = recognise_admin(kec)
    assert found["level"] == "kecamatan" and "kecamatan" not in out.columns
    assert out["kode"].tolist() == ["36.73.05", None]  # found by name, or not at all
    assert list(kel.columns) == ["ADM4_EN", "ADM4_PCODE", "ADM3_EN", "ADM3_PCODE", "ADM2_EN",
                                 "ADM1_EN", "geometry"]  # the caller's frame is untouched


def test_an_rbi_kecamatan_file_is_read_at_kecamatan_level():
    kec = frame(NAMOBJ=["Kasemen"], WADMKC=["Kasemen"], WADMKK=["Kota Serang"],
                WADMPR=["Banten"], KDCPUM=["36.73.02"])
    out, found = recognise_admin(kec)
    assert (found["schema"], found["level"]) == ("rbi", "kecamatan")
    assert out[["nama", "kode", "level"]].values.tolist() == [["Kasemen", "36.73.02",
                                                               "kecamatan"]]


def test_kemendagri_and_unknown_schemas_are_left_as_they_are():
    kemendagri = frame(kode=["36.73.02.1007"], nama=["Banten"])
    out, found = recognise_admin(kemendagri)
    assert found is None and out is kemendagri
    layers = sp.load_layers(**others(), admin=kemendagri)
    assert layers["admin"]["level"].tolist() == ["kelurahan"]
    assert list(ADMIN_SCHEMAS) == ["rbi", "hdx", "bps", "kemendagri"]


def test_a_name_the_table_does_not_know_keeps_no_code():
    out, _ = recognise_admin(frame(village=["Atlantis", "Banten"], district=["Kasemen"] * 2,
                                   regency=["Kota Serang"] * 2))
    assert out["kode"].tolist() == [None, "36.73.02.1007"]
    # Sukawana is a kelurahan of both Serang and Curug: the kecamatan decides
    out, _ = recognise_admin(frame(village=["SUKAWANA", "Sukawana"],
                                   district=["Serang", "CURUG"], regency=["x", "x"]))
    assert out["kode"].tolist() == ["36.73.01.1008", "36.73.04.1007"]


def test_code_table_matches_the_real_kelurahan_boundaries(shared_data):
    table = serang_codes()
    path = shared_data / "boundaries" / "kelurahan_kota_serang_cahyadsn.geojson"
    real = {f["properties"]["kode"]: f["properties"]["nama"]
            for f in json.loads(path.read_text(encoding="utf-8"))["features"]}
    assert len(table) == len(real) == 67
    assert dict(zip(table["kode_kemendagri"], table["kelurahan"], strict=True)) == real
    kec = pd.read_csv(shared_data / "reference" / "kelurahan_kota_serang_kode_kodepos.csv",
                      dtype=str)
    assert dict(zip(table["kode_kemendagri"], table["kecamatan"], strict=True)) == dict(
        zip(kec["kode_kemendagri"], kec["kecamatan"], strict=True))
    assert table["kode_bps"].isna().all()  # not known: see siteplan/data/README.md

