"""The embedded synthetic sample: tools/samplegen.py and sp.load_sample()."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import samplegen as gen
import shapely
from geopandas.testing import assert_geodataframe_equal

import siteplan as sp
from siteplan.layers.raster import RasterLayer
from siteplan.layers.sample import ATTRIBUTION, sample_path

COMMITTED = Path(__file__).resolve().parents[2] / "data" / "sample" / "serang_sample.gpkg"

EXPECTED = {  # layer: (columns, geometry types)
    "parcels": ({"parcel_id", "ownership", "land_use", "kelurahan", "kecamatan", "name",
                 "tipe_hak", "source"}, {"Polygon"}),
    "green_spaces": ({"rth_type", "public", "name", "source"}, {"Polygon"}),
    "roads": ({"road_class", "name", "source"}, {"LineString"}),
    "pois": ({"category", "name", "source"}, {"Point"}),
    "admin": ({"kode", "nama", "level", "kecamatan", "source"}, {"Polygon"}),
    "population": ({"population", "kelurahan", "kecamatan", "source"}, {"Polygon"}),
    "rivers": ({"name", "width_m", "kind", "source"}, {"LineString"}),
    "coastline": ({"name", "source"}, {"LineString"}),
    "flood_zones": ({"name", "hazard", "source"}, {"Polygon"}),
    "sawah": ({"name", "lp2b", "source"}, {"Polygon"}),
    "heritage": ({"name", "status", "source"}, {"Polygon"}),
}
# where each landmark must fall: (kelurahan, kecamatan), from the shared README
LANDMARK_PLACES = {
    "Masjid Agung Banten": ("Banten", "Kasemen"),
    "Benteng Speelwijk": ("Banten", "Kasemen"),
    "Keraton Kaibon": ("Kasunyatan", "Kasemen"),
    "Alun-alun Kota Serang": ("Kota Baru", "Serang"),
    "Pasar Induk Rau": ("Cipare", "Serang"),
    "KP3B": ("Cilaku", "Curug"),
}
RURAL_KECAMATAN = ["Walantaka", "Curug", "Kasemen", "Taktakan"]


@pytest.fixture(scope="module")
def committed() -> dict[str, gpd.GeoDataFrame]:
    return {name: pyogrio.read_dataframe(COMMITTED, layer=name) for name in gen.LAYER_NAMES}


@pytest.fixture(scope="module")
def layers() -> sp.Layers:
    return sp.load_sample()


def _poi(layers, name, category):
    pois = layers["pois"]
    row = pois[(pois["name"] == name) & (pois["category"] == category)]
    assert len(row) == 1, (name, category)
    return row.geometry.iloc[0]


def _unit(layers, level, point):
    admin = layers["admin"]
    units = admin[(admin["level"] == level) & admin.contains(point)]
    assert len(units) == 1
    return units.iloc[0]


# ------------------------------------------------------------------ the file


def test_committed_file_is_small_and_found():
    assert COMMITTED.is_file()
    assert COMMITTED.stat().st_size < 3_000_000
    assert sample_path() == COMMITTED.resolve()


def test_rebuild_gives_the_committed_data(tmp_path, committed):
    gen._world.cache_clear()  # rebuild everything, not a cached world
    path = gen.write_sample(tmp_path / "rebuilt.gpkg")
    assert [row[0] for row in pyogrio.list_layers(path)] == list(gen.LAYER_NAMES)
    for name in gen.LAYER_NAMES:
        new = pyogrio.read_dataframe(path, layer=name)
        old = committed[name]
        assert_geodataframe_equal(new, old, check_less_precise=False)
        pd.testing.assert_frame_equal(new.drop(columns="geometry"),
                                      old.drop(columns="geometry"), check_exact=True)
        exact = shapely.equals_exact(new.geometry.to_numpy(), old.geometry.to_numpy(),
                                     tolerance=0)
        assert exact.all(), f"layer {name}: {np.count_nonzero(~exact)} geometries differ"


def test_every_layer_is_labelled_synthetic(committed):
    for name, gdf in committed.items():
        assert (gdf["source"] == gen.SOURCE).all(), name
        info = pyogrio.read_info(COMMITTED, layer=name)
        meta = info["layer_metadata"]
        assert meta["synthetic"] == "true"
        assert meta["seed"] == str(gen.DEFAULT_SEED)
        assert "SYNTHETIC" in meta["DESCRIPTION"]


def test_layer_schemas(committed):
    assert set(committed) == set(EXPECTED)
    for name, (columns, types) in EXPECTED.items():
        gdf = committed[name]
        assert set(gdf.columns) - {"geometry"} == columns, name
        assert set(gdf.geom_type) == types, name
        assert gdf.crs.to_epsg() == 32748
        assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any(), name


def test_the_generator_reads_no_file(monkeypatch):
    def refuse(*args, **_):
        raise AssertionError(f"the generator read a file: {args}")

    for module, attr in ((gpd, "read_file"), (pyogrio, "read_dataframe"), (pd, "read_csv"),
                         (json, "load")):
        monkeypatch.setattr(module, attr, refuse)
    gen._world.cache_clear()
    out = gen.generate_sample(n_parcels=200)
    assert len(out["parcels"]) == 200


# ------------------------------------------------------------- load_sample()


def test_load_sample_loads_cleanly(layers):
    assert layers is sp.load_sample()
    assert layers.synthetic is True
    assert layers.attribution == ATTRIBUTION
    assert "synthetic" in layers.attribution
    assert "cahyadsn/wilayah_boundaries" in layers.attribution
    assert layers.crs.to_epsg() == 32748
    # the GeoPackage's layers (its population per kelurahan as population_kelurahan; the
    # population layer is the raster) and the rasters beside it
    rasters = tuple(gen.RASTERS)
    assert layers.names == gen.LAYER_NAMES + ("population_kelurahan",) + rasters[1:]
    assert all(isinstance(layers[n], RasterLayer) for n in rasters)
    # nothing repaired; the one note is the river classes derived from the widths in metres
    # (the sample's rivers carry width_m, not width_class): 4 of 3-20 m, Cibanten's 30 m
    notes = layers.repairs.to_dict("records")
    assert [(n["layer"], n["problem"]) for n in notes] == [
        ("rivers", "5 features without width_class")]
    assert notes[0]["action"].endswith("(sedang 4, besar 1)")
    widths = layers["rivers"]["width_m"].to_numpy(float)
    assert sorted(layers["rivers"]["width_class"]) == sorted(
        "besar" if w > 20 else "sedang" if w > 3 else "kecil" for w in widths)
    assert len(layers.rejected) == 0
    assert set(layers.sources) == set(layers.names)


def test_layer_counts_and_values(layers):
    assert len(layers["parcels"]) == gen.DEFAULT_N_PARCELS >= 3000
    assert 100 <= len(layers["green_spaces"]) <= 200
    assert 2000 <= len(layers["roads"]) <= 8000
    assert len(layers["admin"]) == 67 + 6 + 1
    assert len(layers["population_kelurahan"]) == 67
    p = layers["parcels"]
    assert set(p["ownership"]) == {"pemda", "pemprov", "negara", "swasta", "masyarakat"}
    assert p["ownership"].value_counts().idxmax() == "masyarakat"
    assert {"permukiman", "sawah", "kebun", "tanah_kosong", "perdagangan", "industri",
            "fasilitas_umum"} <= set(p["land_use"])
    assert set(p["tipe_hak"]) <= {"HM", "HGB", "HP", "HPL", "Wakaf"}
    assert set(layers["roads"]["road_class"]) == {"arteri", "kolektor", "lokal", "lingkungan"}
    assert set(layers["green_spaces"]["rth_type"]) == {
        "taman", "hutan_kota", "pemakaman", "lapangan", "jalur_hijau", "sempadan"}
    assert layers["green_spaces"]["public"].dtype == bool
    counts = layers["pois"]["category"].value_counts()
    assert counts["pasar"] >= 5 and counts["masjid"] >= 100 and counts["sekolah"] >= 100
    assert counts["puskesmas"] >= 6 and counts["umkm"] >= 100 and counts["terminal"] >= 1


# ----------------------------------------------------------------- parcels


def test_parcel_ids_are_nib_like(layers):
    ids = layers["parcels"]["parcel_id"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"3673\d{10}").all()


def test_parcels_do_not_overlap_and_stay_on_land(layers):
    geoms = layers["parcels"].geometry.to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = i < j
    overlap = shapely.area(shapely.intersection(geoms[i[pair]], geoms[j[pair]]))
    assert (overlap == 0).all()
    admin = layers["admin"]
    kota = admin[admin["level"] == "kota"].geometry.iloc[0]
    assert shapely.covers(kota, geoms).all()  # so none in the sea
    rivers = layers["rivers"]
    hits = shapely.STRtree(geoms).query(rivers.geometry.to_numpy(), predicate="dwithin",
                                        distance=rivers["width_m"].to_numpy() / 2)
    assert hits.shape[1] == 0  # none in a river channel


def test_parcel_sizes(layers):
    p = layers["parcels"]
    area = p["area_m2"]
    assert area.min() >= 100
    assert ((area >= 10_000) & (area <= 50_000)).sum() >= 50
    median = area.groupby(p["kecamatan"]).median()
    assert median["Serang"] < median["Walantaka"] and median["Serang"] < median["Curug"]


def test_pemda_parcels(layers):
    p = layers["parcels"]
    pemda = p[p["ownership"] == "pemda"]
    assert 300 <= len(pemda) <= 500
    assert (pemda["kecamatan"].value_counts().reindex(
        [name for _, name in gen.KECAMATAN]) >= 10).all()
    assert pemda["name"].str.startswith("Aset Pemkot Kel. ").all()
    assert pemda["name"].is_unique
    masjid = _poi(layers, "Masjid Agung Banten", "wisata")
    near_banten_lama = pemda[(pemda["kecamatan"] == "Kasemen")
                             & (pemda.distance(masjid) < 1500)]
    assert len(near_banten_lama) >= 10
    assert (near_banten_lama["area_m2"] >= 1000).sum() >= 5
    centre = np.minimum(pemda.distance(_poi(layers, "Pasar Induk Rau", "pasar")),
                        pemda.distance(_poi(layers, "Alun-alun Kota Serang", "wisata")))
    assert ((centre < 1000) & (pemda["area_m2"] >= 1000)).sum() >= 5
    far = pemda.distance(_poi(layers, "Alun-alun Kota Serang", "wisata")) > 5000
    assert (far & (pemda["area_m2"] >= 10_000)).sum() >= 10
    pemprov = p[p["ownership"] == "pemprov"]
    assert (pemprov.distance(_poi(layers, "KP3B", "kantor")) < 1500).sum() >= 5


# --------------------------------------------------------------- geography


def test_landmarks_are_where_they_belong(layers):
    for name, (kelurahan, kecamatan) in LANDMARK_PLACES.items():
        category = {"Pasar Induk Rau": "pasar", "KP3B": "kantor"}.get(name, "wisata")
        point = _poi(layers, name, category)
        assert _unit(layers, "kelurahan", point)["nama"] == kelurahan, name
        assert _unit(layers, "kecamatan", point)["nama"] == kecamatan, name
    _poi(layers, "Masjid Agung Banten", "masjid")
    surosowan = _poi(layers, "Keraton Surosowan", "wisata")
    assert _unit(layers, "kecamatan", surosowan)["nama"] == "Kasemen"
    terminal = _poi(layers, "Terminal Pakupatan", "terminal")
    assert terminal.x > _poi(layers, "Alun-alun Kota Serang", "wisata").x + 2000
    heritage = layers["heritage"].union_all()
    for name in ("Masjid Agung Banten", "Benteng Speelwijk", "Keraton Kaibon"):
        assert heritage.contains(_poi(layers, name, "wisata"))


def test_landmark_and_centroid_coordinates_match_their_lon_lat():
    pyproj = pytest.importorskip("pyproj")
    to_utm = pyproj.Transformer.from_crs(4326, 32748, always_xy=True)
    for lon, lat, x, y in gen.LANDMARKS.values():
        assert np.allclose(to_utm.transform(lon, lat), (x, y), atol=0.1)
    kel = np.array([row[3:] for row in gen.KELURAHAN], dtype=float)
    ux, uy = to_utm.transform(kel[:, 0], kel[:, 1])
    assert np.allclose(ux, kel[:, 2], atol=0.1) and np.allclose(uy, kel[:, 3], atol=0.1)


def test_the_map_looks_like_kota_serang(layers):
    admin = layers["admin"]
    kec = admin[admin["level"] == "kecamatan"].set_index("nama")
    c = kec.geometry.centroid
    assert c.y.idxmax() == "Kasemen"
    assert c.x.idxmin() == "Taktakan"
    assert c.x.idxmax() == "Walantaka"
    assert c.y.idxmin() == "Curug"
    assert c.x["Cipocok Jaya"] > c.x["Serang"] and c.y["Cipocok Jaya"] < c.y["Serang"]
    real_km2 = {"Serang": 26.52, "Kasemen": 67.81, "Walantaka": 36.85, "Curug": 38.89,
                "Cipocok Jaya": 33.95, "Taktakan": 61.70}
    for name, km2 in real_km2.items():
        assert kec.geometry[name].area / 1e6 == pytest.approx(km2, rel=0.15), name
    coast = layers["coastline"].geometry.iloc[0]
    kel = admin[admin["level"] == "kelurahan"]
    assert shapely.get_coordinates(coast)[:, 1].min() > kel.geometry.centroid.y.max()
    assert coast.distance(kec.geometry["Kasemen"]) == 0
    assert coast.distance(kec.geometry["Serang"]) > 5000


def test_admin_units(layers):
    admin = layers["admin"]
    kel = admin[admin["level"] == "kelurahan"]
    assert len(kel) == 67 and kel["kode"].is_unique
    assert kel["kode"].str.fullmatch(r"36\.73\.0[1-6]\.10\d\d").all()
    assert not kel.duplicated(["nama", "kecamatan"]).any()
    codes = dict(gen.KECAMATAN)
    assert (kel["kode"].str[:8].map(codes) == kel["kecamatan"]).all()
    kota = admin[admin["level"] == "kota"].geometry.iloc[0]
    assert kel.area.sum() == pytest.approx(kota.area, rel=1e-6)  # a partition of the city
    assert kota.area / 1e6 == pytest.approx(265.7, rel=0.02)


def test_population_raster_holds_each_kelurahan_total(layers):
    """Cells are given to the kelurahan holding their centre, and add up to its total."""
    grid = gen.generate_rasters(only_population=True)["population"]
    values = grid["values"]
    ok = values != grid["nodata"]
    assert values[ok].sum() == pytest.approx(700_000, rel=1e-6)
    rows, cols = np.nonzero(ok)
    x = grid["left"] + (cols + 0.5) * grid["cell"]
    y = grid["top"] - (rows + 0.5) * grid["cell"]
    kel = layers["population_kelurahan"]
    i, j = kel.sindex.query(shapely.points(x, y), predicate="within")
    first = np.unique(i, return_index=True)[1]
    sums = np.bincount(j[first], weights=values[rows, cols][i[first]], minlength=len(kel))
    # every kelurahan's cells add up to its total, up to the cells whose centre falls on
    # the city outline's edge
    np.testing.assert_allclose(sums, kel["population"].to_numpy(float), rtol=0.02)
    # the committed file is what the generator makes
    with rasterio.open(layers["population"].path) as src:
        np.testing.assert_array_equal(src.read(1), values)


def test_population(layers):
    pop = layers["population_kelurahan"]
    assert pop["population"].sum() == pytest.approx(700_000, rel=0.01)
    assert (pop["population"] > 0).all()
    by_kec = pop.groupby("kecamatan").apply(
        lambda d: d["population"].sum() / d.area.sum(), include_groups=False)
    assert by_kec.idxmax() == "Serang"
    assert by_kec["Serang"] > 3 * max(by_kec["Kasemen"], by_kec["Walantaka"], by_kec["Curug"])


def test_road_network_is_routable(layers):
    roads = layers["roads"].geometry.to_numpy()
    tree = shapely.STRtree(roads)
    assert tree.query(roads, predicate="crosses").shape[1] == 0
    ends = np.concatenate([shapely.get_point(roads, 0), shapely.get_point(roads, -1)])
    e, s = tree.query(ends, predicate="intersects")
    at_end = (shapely.equals(ends[e], shapely.get_point(roads[s], 0))
              | shapely.equals(ends[e], shapely.get_point(roads[s], -1)))
    assert at_end.all()  # segments meet only at shared end points
    _, node = np.unique(shapely.get_coordinates(ends), axis=0, return_inverse=True)
    parent = np.arange(node.max() + 1)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in node.reshape(2, -1).T:
        parent[find(a)] = find(b)
    roots = {find(a) for a in range(len(parent))}
    assert len(roots) == 1
    names = set(layers["roads"]["name"].dropna())
    assert {"Jl. Raya Serang-Jakarta", "Jl. Raya Serang-Cilegon", "Jl. Raya Serang-Pandeglang",
            "Jl. Raya Banten"} <= names


def test_green_spaces(layers):
    green = layers["green_spaces"]
    alun = green[green["name"] == "Alun-alun Kota Serang"]
    assert len(alun) == 1 and alun["rth_type"].iloc[0] == "taman" and alun["public"].iloc[0]
    assert alun.contains(_poi(layers, "Alun-alun Kota Serang", "wisata")).iloc[0]
    assert (~green["public"]).sum() >= 10
    parks = green[green["public"] & green["rth_type"].isin(["taman", "lapangan", "hutan_kota"])]
    admin = layers["admin"]
    kel = admin[admin["level"] == "kelurahan"]
    covered = set(kel["kode"].iloc[shapely.STRtree(kel.geometry.to_numpy()).query(
        parks.geometry.to_numpy(), predicate="intersects")[1]])
    without = kel[~kel["kode"].isin(covered)]
    assert 5 <= len(without) <= 25  # some kelurahan lack public parks: the RTH story
    assert set(without["nama"]) & set(gen.RTH_POOR)


def test_extra_layers(layers):
    rivers = layers["rivers"]
    assert (rivers["width_m"] > 0).all()
    cib = rivers[rivers["name"].str.startswith("Sungai Cibanten")]
    assert len(cib) == 3 and len(rivers) > 3  # reaches and tributaries
    mouth = shapely.get_point(cib[cib["name"].str.contains("hilir")].geometry.iloc[0], -1)
    assert mouth.distance(layers["coastline"].geometry.iloc[0]) < 1.0
    admin = layers["admin"]
    kec = admin[admin["level"] == "kecamatan"].set_index("nama").geometry
    assert layers["flood_zones"].intersects(kec["Kasemen"]).sum() >= 2
    sawah = layers["sawah"].union_all()
    rural = sum(sawah.intersection(kec[name]).area for name in RURAL_KECAMATAN)
    assert rural / sawah.area > 0.9
    assert all(sawah.intersection(kec[name]).area > 1e6 for name in RURAL_KECAMATAN)
    assert 0.15 < sawah.area / kec.union_all().area < 0.45
    sawah_parcels = layers["parcels"][layers["parcels"]["land_use"] == "sawah"]
    assert shapely.covers(sawah.buffer(0.01), sawah_parcels.geometry.to_numpy()).all()
    assert len(layers["heritage"]) == 2


# --------------------------------------------------------------- generator


def test_generator_is_deterministic_and_seeded():
    a = gen.generate_parcels(1500, seed=7)
    b = gen.generate_parcels(1500, seed=7)
    assert_geodataframe_equal(a, b, check_less_precise=False)
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), tolerance=0).all()
    c = gen.generate_parcels(1500, seed=8)
    assert not a.geometry.geom_equals(c.geometry).all()
    coords = shapely.get_coordinates(a.geometry.to_numpy())
    assert np.array_equal(coords, np.round(coords, 2))


@pytest.mark.parametrize("n", [1, 57, 40_000])
def test_generate_parcels_gives_exactly_n(n):
    parcels = gen.generate_parcels(n)
    assert len(parcels) == n
    assert parcels["parcel_id"].is_unique
    assert parcels.geometry.is_valid.all()


def test_generate_parcels_rejects_nonsense():
    with pytest.raises(ValueError):
        gen.generate_parcels(0)


# ------------------------------------------- the hard-coded facts, against the source


@pytest.mark.shared
def test_hard_coded_facts_match_the_shared_data(shared_data):
    real = gpd.read_file(shared_data / "boundaries" / "kelurahan_kota_serang_cahyadsn.geojson")
    ref = pd.read_csv(shared_data / "reference" / "kelurahan_kota_serang_kode_kodepos.csv")
    ours = pd.DataFrame([row[:5] for row in gen.KELURAHAN],
                        columns=["kode", "nama", "kecamatan", "lon", "lat"]).set_index("kode")
    real = real.set_index("kode")
    assert set(ours.index) == set(real.index) == set(ref["kode_kemendagri"])
    assert (ours["nama"] == real.loc[ours.index, "nama"]).all()
    assert (ours["kecamatan"] == ref.set_index("kode_kemendagri").loc[ours.index, "kecamatan"]
            ).all()
    assert np.allclose(ours["lon"], real.loc[ours.index, "centroid_lng"], atol=1e-6)
    assert np.allclose(ours["lat"], real.loc[ours.index, "centroid_lat"], atol=1e-6)
    kota_file = shared_data / "boundaries" / "kota_serang_dissolved_from_kelurahan.geojson"
    kota = gpd.read_file(kota_file).to_crs(32748).geometry.iloc[0]
    outline = shapely.Polygon(gen.OUTLINE_XY)
    assert outline.area == pytest.approx(kota.area, rel=0.01)
    assert outline.hausdorff_distance(kota) < 400
