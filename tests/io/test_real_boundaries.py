"""The loader on real Kota Serang data from ../shared/data/serang.

The files are read where they are (never copied into the repository): the
67 kelurahan of cahyadsn/wilayah_boundaries, the BIG RBI sawah polygons (4
invalid geometries) and Banten's kabupaten/kota (1 invalid geometry).
"""

from __future__ import annotations

import numpy as np
import pyogrio
import pytest
import shapely

import siteplan as sp

pytestmark = pytest.mark.shared

UTM = 32748


@pytest.fixture(scope="module")
def paths(shared_data):
    found = {
        "kelurahan": shared_data / "boundaries" / "kelurahan_kota_serang_cahyadsn.geojson",
        "kabkota": shared_data / "boundaries" / "banten_kabkota_cahyadsn.geojson",
        "sawah": shared_data / "landuse" / "sawah_kota_serang_big_rbi.geojson",
    }
    for path in found.values():
        assert path.is_file(), f"{path} is missing from the shared data"
    return found


def _invalid_rows(path) -> np.ndarray:
    """Rows whose raw geometry is invalid, computed without siteplan."""
    raw = pyogrio.read_dataframe(path)
    return np.flatnonzero(~shapely.is_valid(raw.geometry.to_numpy()))


@pytest.fixture(scope="module")
def layers(paths):
    return sp.load_layers(admin=paths["kelurahan"],
                          extra={"sawah": paths["sawah"], "kabkota": paths["kabkota"]})


def test_kelurahan_as_the_admin_layer(layers):
    admin = layers["admin"]
    assert len(admin) == 67
    assert layers.crs.to_epsg() == UTM
    assert admin.crs.to_epsg() == UTM
    assert admin.area.sum() / 1e6 == pytest.approx(265.7, abs=0.1)
    assert admin["kode"].is_unique
    assert {"kode", "nama", "level"} <= set(admin.columns)
    assert admin.is_valid.all()


def test_the_level_is_inferred_from_the_code_and_recorded(layers):
    admin = layers["admin"]
    assert (admin["level"] == "kelurahan").all()
    inferred = layers.repairs[(layers.repairs["layer"] == "admin")
                              & (layers.repairs["problem"] == "no level given")]
    assert len(inferred) == 67
    assert sorted(inferred["row"]) == list(range(67))


def test_sawah_invalid_geometries_are_repaired_and_reported(layers, paths):
    invalid = _invalid_rows(paths["sawah"])
    assert len(invalid) == 4
    sawah = layers["sawah"]
    assert len(sawah) == 239
    assert sawah.is_valid.all()
    assert sawah.crs.to_epsg() == UTM
    repairs = layers.repairs[layers.repairs["layer"] == "sawah"]
    assert len(repairs) == len(invalid)
    assert sorted(repairs["row"]) == invalid.tolist()
    assert repairs["action"].str.contains("make_valid").all()
    assert repairs["problem"].str.contains("Self-intersection").all()
    # nothing lost: 100.8 km² of sawah in all (shared README)
    assert sawah.area.sum() / 1e6 == pytest.approx(100.8, abs=0.1)
    assert len(layers.rejected) == 0


def test_banten_kabkota_invalid_geometry_is_repaired(layers, paths):
    invalid = _invalid_rows(paths["kabkota"])
    assert len(invalid) == 1
    kabkota = layers["kabkota"]
    assert len(kabkota) == 8
    assert kabkota.is_valid.all()
    repairs = layers.repairs[layers.repairs["layer"] == "kabkota"]
    assert repairs["row"].tolist() == invalid.tolist()
    assert repairs["action"].str.contains("make_valid").all()
    # Kota Serang is one of them, with the same area as its kelurahan (coarse outline)
    serang = kabkota.loc[kabkota["kode"] == "36.73"]
    assert len(serang) == 1
    assert serang.area.iloc[0] / 1e6 == pytest.approx(265.7, rel=0.02)


def test_banten_kabkota_as_an_admin_layer(paths):
    layers = sp.load_layers(admin=paths["kabkota"])
    admin = layers["admin"]
    assert len(admin) == 8
    assert admin.is_valid.all()
    assert admin.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    geometry_repairs = layers.repairs[layers.repairs["action"].str.contains("make_valid")]
    assert geometry_repairs["row"].tolist() == _invalid_rows(paths["kabkota"]).tolist()
    assert len(layers.rejected) == 0
