"""sp.datasets.serang_admin: download, checksum, cache, SQL parsing and the real boundaries.

No test touches the internet: downloads (pooch's) go to a ``file://`` URL or
to an HTTP server on 127.0.0.1, and a guard refuses any other connection.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import logging
import os
import shutil
import socket
import sys
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import platformdirs
import pytest
import requests
import shapely

import siteplan as sp
from siteplan import datasets
from siteplan._errors import SiteplanInputError

SQL_NAME = "wilayah_boundaries_kel_36.73.sql"
UTM = 32748

# Kecamatan areas in km² from ../shared/data/serang/README.md
KECAMATAN_KM2 = {
    "36.73.01": ("Serang", 26.52),
    "36.73.02": ("Kasemen", 67.81),
    "36.73.03": ("Walantaka", 36.85),
    "36.73.04": ("Curug", 38.89),
    "36.73.05": ("Cipocok Jaya", 33.95),
    "36.73.06": ("Taktakan", 61.70),
}

# (lon, lat) of landmarks and the kelurahan they are in (shared README)
LANDMARKS = [
    ("Masjid Agung Banten", 106.1541, -6.0356, "Banten"),
    ("Benteng Speelwijk", 106.1479, -6.0307, "Banten"),
    ("Keraton Kaibon", 106.1580, -6.0448, "Kasunyatan"),
    ("Alun-alun Kota Serang", 106.1536, -6.1155, "Kota Baru"),
    ("Pasar Induk Rau", 106.1603, -6.1287, "Cipare"),
    ("KP3B", 106.1750, -6.1630, "Cilaku"),
]


# ------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Refuse every connection and name lookup except to the loopback interface."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo
    local = {"127.0.0.1", "localhost", "::1"}

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6) \
                and host not in local:
            raise AssertionError(f"a test tried to connect to {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in local and host is not None:
            raise AssertionError(f"a test tried to look up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    # a proxy from the environment must not take the loopback requests elsewhere
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder for each test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SITEPLAN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def sql_path(shared_data) -> Path:
    path = shared_data / "source" / SQL_NAME
    assert path.is_file(), f"{path} is missing from the shared data"
    return path


@pytest.fixture(scope="session")
def tampered_bytes(sql_path) -> bytes:
    """The real file with one coordinate digit changed: parses, but has another checksum."""
    data = sql_path.read_bytes()
    i = data.index(b"[[[-6.119497662999947") + len(b"[[[-6.11")
    assert data[i:i + 1] == b"9"
    return data[:i] + b"8" + data[i + 1:]


class _Server:
    """A bounded HTTP server on 127.0.0.1 that serves given bytes and counts requests."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.timeout = 5
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    srv = _Server()
    try:
        yield srv
    finally:
        srv.close()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# The real boundaries, parsed once from the shared copy of the pinned file.


@pytest.fixture(scope="session")
def kel(sql_path) -> gpd.GeoDataFrame:
    return datasets.serang_admin("kelurahan", source=sql_path)


@pytest.fixture(scope="session")
def kec(sql_path) -> gpd.GeoDataFrame:
    return datasets.serang_admin("kecamatan", source=sql_path)


@pytest.fixture(scope="session")
def kota(sql_path) -> gpd.GeoDataFrame:
    return datasets.serang_admin("kota", source=sql_path)


def _km2(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return gdf.to_crs(UTM).area.to_numpy() / 1e6


# ------------------------------------------------------- download and cache


def test_sp_datasets_is_reachable_lazily():
    assert sp.datasets is datasets
    assert callable(sp.datasets.serang_admin)


@pytest.mark.shared
def test_download_through_file_url_fills_the_cache(sql_path, cache):
    gdf = datasets.serang_admin(source=sql_path.as_uri())
    assert len(gdf) == 67
    assert _files(cache) == [SQL_NAME]
    cached = cache / SQL_NAME
    assert cached.read_bytes() == sql_path.read_bytes()
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == datasets.SERANG_KEL_SHA256


@pytest.mark.shared
def test_download_over_http_then_reuse_the_cache(sql_path, cache, server, monkeypatch):
    server.files["/kel.sql"] = sql_path.read_bytes()
    first = datasets.serang_admin(source=server.url("/kel.sql"))
    assert len(server.requests) == 1
    assert len(first) == 67
    second = datasets.serang_admin("kecamatan", source=server.url("/kel.sql"))
    assert len(server.requests) == 1, "the second call must use the cache"
    assert len(second) == 6

    # the default source (GitHub) is not contacted either while the cache is good
    def refuse(*_args, **_kwargs):
        raise AssertionError("nothing may be downloaded when the cache is good")

    monkeypatch.setattr(requests, "get", refuse)
    third = datasets.serang_admin("kota")
    assert len(third) == 1
    assert len(_files(cache)) == 1


@pytest.mark.shared
def test_fetch_returns_the_cached_path(sql_path, cache, server):
    server.files["/kel.sql"] = sql_path.read_bytes()
    path = datasets.fetch_serang_boundaries(server.url("/kel.sql"))
    assert path.parent == cache
    assert datasets.fetch_serang_boundaries(server.url("/kel.sql")) == path
    assert len(server.requests) == 1


@pytest.mark.shared
@pytest.mark.parametrize("how", ["http", "file"])
def test_a_tampered_download_is_refused_and_not_cached(how, tampered_bytes, tmp_path, cache,
                                                       server):
    if how == "http":
        server.files["/kel.sql"] = tampered_bytes
        url = server.url("/kel.sql")
    else:
        bad = tmp_path / "elsewhere" / SQL_NAME
        bad.parent.mkdir()
        bad.write_bytes(tampered_bytes)
        url = bad.as_uri()
    with pytest.raises(SiteplanInputError, match="SHA-256") as info:
        datasets.serang_admin(source=url)
    message = str(info.value)
    assert datasets.SERANG_KEL_SHA256 in message
    assert hashlib.sha256(tampered_bytes).hexdigest() in message
    assert "deleted" in message
    assert _files(cache) == [], "neither the bad file nor a temporary file may stay"


@pytest.mark.shared
def test_a_corrupt_cache_is_downloaded_again(sql_path, server):
    server.files["/kel.sql"] = sql_path.read_bytes()
    path = datasets.fetch_serang_boundaries(server.url("/kel.sql"))
    path.write_bytes(b"truncated")
    again = datasets.fetch_serang_boundaries(server.url("/kel.sql"))
    assert again == path
    assert len(server.requests) == 2
    assert path.read_bytes() == sql_path.read_bytes()


def test_offline_without_cache_says_how_to_pass_a_local_file(cache):
    # port 9 (discard) on the loopback: nothing listens, the connection is refused
    with pytest.raises(SiteplanInputError, match="could not download") as info:
        datasets.serang_admin(source="http://127.0.0.1:9/kel.sql", timeout=5)
    message = str(info.value)
    assert "source=" in message and SQL_NAME in message
    assert _files(cache) == []


def test_offline_default_source_names_the_pinned_url(monkeypatch, cache):
    def offline(*_args, **_kwargs):
        raise requests.ConnectionError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(requests, "get", offline)
    with pytest.raises(SiteplanInputError, match="could not download") as info:
        datasets.serang_admin()
    message = str(info.value)
    assert datasets.SERANG_KEL_URL in message
    assert "serang_admin(source=" in message
    assert str(cache) in message
    assert isinstance(info.value, ValueError)


def test_http_error_is_reported(server, cache):
    with pytest.raises(SiteplanInputError, match="HTTP 404"):
        datasets.serang_admin(source=server.url("/missing.sql"))
    assert _files(cache) == []


@pytest.mark.shared
def test_unwritable_cache_folder(tmp_path, monkeypatch, sql_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SITEPLAN_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(SiteplanInputError, match="SITEPLAN_CACHE_DIR"):
        datasets.serang_admin(source=sql_path.as_uri())


@pytest.mark.shared
def test_local_source_is_used_in_place(sql_path, cache):
    gdf = datasets.serang_admin(source=sql_path)
    assert len(gdf) == 67
    assert _files(cache) == []
    assert datasets.fetch_serang_boundaries(str(sql_path)) == sql_path


@pytest.mark.shared
def test_a_tampered_local_source_is_refused_unless_unchecked(tampered_bytes, tmp_path, caplog):
    bad = tmp_path / SQL_NAME
    bad.write_bytes(tampered_bytes)
    with pytest.raises(SiteplanInputError, match="sha256=None"):
        datasets.serang_admin(source=bad)
    with caplog.at_level(logging.WARNING, logger="siteplan.io.datasets"):
        gdf = datasets.serang_admin(source=bad, sha256=None)
    assert len(gdf) == 67
    assert "without checking" in caplog.text


def test_a_missing_local_source(tmp_path):
    with pytest.raises(SiteplanInputError, match="does not exist"):
        datasets.serang_admin(source=tmp_path / "nope.sql")


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("SITEPLAN_CACHE_DIR", str(tmp_path / "mine"))
    assert datasets.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("SITEPLAN_CACHE_DIR")
    # otherwise the platform's user cache folder, as platformdirs names it
    assert datasets.cache_dir() == Path(platformdirs.user_cache_dir("siteplan", appauthor=False,
                                                                    opinion=False))
    if os.name == "posix" and \
            not sys.platform.startswith("darwin"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert datasets.cache_dir() == tmp_path / "xdg" / "siteplan"
        monkeypatch.delenv("XDG_CACHE_HOME")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert datasets.cache_dir() == tmp_path / "home" / ".cache" / "siteplan"


@pytest.mark.shared
def test_pooch_stays_silent(sql_path, cache, capfd):
    """pooch logs every download to stderr; through siteplan it does not."""
    datasets.fetch_serang_boundaries(sql_path.as_uri())
    assert capfd.readouterr().err == ""
    assert (cache / SQL_NAME).is_file()


# ------------------------------------------------------------------ options


@pytest.mark.parametrize("level", ["desa", "provinsi", "", 3, None])
def test_a_bad_level_names_the_value_and_the_choices(level):
    with pytest.raises(SiteplanInputError) as info:
        datasets.serang_admin(level)
    message = str(info.value)
    assert repr(level) in message
    for choice in ("'kelurahan'", "'kecamatan'", "'kota'"):
        assert choice in message


def test_a_bad_level_fails_before_any_download(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("no download for a bad level")

    monkeypatch.setattr(datasets, "fetch_serang_boundaries", refuse)
    with pytest.raises(SiteplanInputError, match="level='desa'"):
        datasets.serang_admin("desa")


@pytest.mark.shared
def test_a_bad_crs(sql_path):
    with pytest.raises(SiteplanInputError, match="to_crs"):
        datasets.serang_admin(source=sql_path, to_crs="EPSG:not-a-code")


@pytest.mark.shared
def test_to_crs_and_attribution(sql_path):
    gdf = datasets.serang_admin("kecamatan", source=sql_path, to_crs=UTM)
    assert gdf.crs.to_epsg() == UTM
    assert gdf.is_valid.all()
    assert "cahyadsn" in gdf.attrs["attribution"] and "MIT" in gdf.attrs["attribution"]


# ------------------------------------------------------- the real boundaries


@pytest.mark.shared
def test_kelurahan_columns_codes_and_names(kel, shared_data):
    assert list(kel.columns) == ["kode", "nama", "level", "kecamatan", "geometry"]
    assert kel.crs.to_epsg() == 4326
    assert len(kel) == 67
    assert kel["kode"].is_unique and kel["kode"].is_monotonic_increasing
    assert (kel["level"] == "kelurahan").all()
    assert kel.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert kel.is_valid.all()
    with open(shared_data / "reference" / "kelurahan_kota_serang_kode_kodepos.csv",
              encoding="utf-8") as fh:
        reference = {row["kode_kemendagri"]: row for row in csv.DictReader(fh)}
    assert set(kel["kode"]) == set(reference)
    for row in kel.itertuples():
        assert row.nama == reference[row.kode]["kelurahan"]
        assert row.kecamatan == reference[row.kode]["kecamatan"]
    # the six hard-coded kecamatan names agree with the reference list
    pairs = {(r["kode_kecamatan"], r["kecamatan"]) for r in reference.values()}
    assert pairs == set(datasets.SERANG_KECAMATAN.items())


@pytest.mark.shared
def test_kecamatan_and_kota(kec, kota):
    assert list(kec.columns) == ["kode", "nama", "level", "geometry"]
    assert kec["kode"].tolist() == list(KECAMATAN_KM2)
    assert kec["nama"].tolist() == [name for name, _ in KECAMATAN_KM2.values()]
    assert (kec["level"] == "kecamatan").all()
    assert list(kota.columns) == ["kode", "nama", "level", "geometry"]
    assert kota[["kode", "nama", "level"]].values.tolist() == [["36.73", "Kota Serang", "kota"]]
    assert kec.is_valid.all() and kota.is_valid.all()
    assert kota.geom_type.iloc[0] == "Polygon"
    assert shapely.get_num_interior_rings(kota.geometry.iloc[0]) == 0


@pytest.mark.shared
def test_areas_in_utm(kel, kec, kota):
    assert _km2(kel).sum() == pytest.approx(265.72, abs=0.01)
    assert _km2(kota)[0] == pytest.approx(265.71, abs=0.01)
    for (code, (name, km2)), got in zip(KECAMATAN_KM2.items(), _km2(kec), strict=True):
        assert got == pytest.approx(km2, abs=0.05), f"{code} {name}"
    assert _km2(kec).sum() == pytest.approx(265.7, abs=0.1)


@pytest.mark.shared
def test_without_filling_gaps_the_union_keeps_its_slivers(sql_path, kota):
    plain = datasets.serang_admin("kota", source=sql_path, fill_gaps=False)
    holes = shapely.get_num_interior_rings(plain.geometry.iloc[0])
    assert holes > 100  # the slivers between neighbouring kelurahan
    gap_km2 = _km2(kota)[0] - _km2(plain)[0]
    assert 0.05 < gap_km2 < 0.15


@pytest.mark.shared
@pytest.mark.parametrize(("place", "lon", "lat", "expected"), LANDMARKS,
                         ids=[m[0] for m in LANDMARKS])
def test_landmarks_fall_in_their_kelurahan(kel, place, lon, lat, expected):
    """Proves the [lat, lng] -> (lon, lat) swap: a swapped point lands nowhere."""
    hits = kel.loc[kel.contains(shapely.Point(lon, lat)), "nama"].tolist()
    assert hits == [expected], place
    assert not kel.contains(shapely.Point(lat, lon)).any()


@pytest.mark.shared
def test_landmarks_fall_in_their_kecamatan(kec):
    rau = kec.loc[kec.contains(shapely.Point(106.1603, -6.1287)), "nama"].tolist()
    masjid = kec.loc[kec.contains(shapely.Point(106.1541, -6.0356)), "nama"].tolist()
    kp3b = kec.loc[kec.contains(shapely.Point(106.1750, -6.1630)), "nama"].tolist()
    assert (rau, masjid, kp3b) == (["Serang"], ["Kasemen"], ["Curug"])


@pytest.mark.shared
def test_same_as_the_shared_geojson(kel, shared_data):
    ref = gpd.read_file(shared_data / "boundaries" / "kelurahan_kota_serang_cahyadsn.geojson")
    ref = ref.sort_values("kode", ignore_index=True)
    assert kel["kode"].tolist() == ref["kode"].tolist()
    assert kel["nama"].tolist() == ref["nama"].tolist()
    ours, theirs = _km2(kel), _km2(ref)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3)
    # the shapes themselves, not only the areas
    diff = shapely.symmetric_difference(kel.to_crs(UTM).geometry.to_numpy(),
                                        ref.to_crs(UTM).geometry.to_numpy())
    assert (shapely.area(diff) < 1e-3 * ours * 1e6).all()


@pytest.mark.shared
def test_kecamatan_same_as_the_shared_dissolved_geojson(kec, shared_data):
    name = "kecamatan_kota_serang_dissolved_from_kelurahan.geojson"
    ref = gpd.read_file(shared_data / "boundaries" / name).sort_values("kode",
                                                                      ignore_index=True)
    assert kec["kode"].tolist() == ref["kode"].tolist()
    assert kec["nama"].tolist() == ref["nama"].tolist()
    np.testing.assert_allclose(_km2(kec), ref["luas_km2"].to_numpy(), atol=0.05)
    ours, theirs = kec.to_crs(UTM).geometry.to_numpy(), ref.to_crs(UTM).geometry.to_numpy()
    iou = shapely.area(shapely.intersection(ours, theirs)) / shapely.area(
        shapely.union(ours, theirs))
    assert (iou > 0.999).all()


@pytest.mark.shared
@pytest.mark.parametrize("level", ["kelurahan", "kecamatan", "kota"])
def test_the_result_is_an_admin_layer(sql_path, level):
    gdf = datasets.serang_admin(level, source=sql_path)
    layers = sp.load_layers(admin=gdf)
    admin = layers["admin"]
    assert len(admin) == len(gdf)
    assert layers.crs.to_epsg() == UTM
    assert (admin["level"] == level).all()
    assert len(layers.repairs) == 0
    assert admin.area.sum() / 1e6 == pytest.approx(265.7, abs=0.1)


# ------------------------------------------------------------- the SQL parser

HEADER = ("/* a licence; with a semicolon */\n"
          "DELETE FROM wilayah_boundaries WHERE kode LIKE '36.%';\n")
RING = [[-6.0, 106.0], [-6.0, 106.1], [-6.1, 106.1], [-6.1, 106.0], [-6.0, 106.0]]
HOLE = [[-6.02, 106.02], [-6.02, 106.05], [-6.05, 106.05], [-6.02, 106.02]]
FAR = [[-6.5, 106.5], [-6.5, 106.6], [-6.6, 106.6], [-6.5, 106.5]]


def _sql(*rows: str, columns: str = "kode,nama,lat,lng,path") -> str:
    return (HEADER + f"INSERT INTO wilayah_boundaries({columns}) VALUES\n\t"
            + ",\n\t".join(rows) + ";\n")


def _row(kode: str, nama: str, path) -> str:
    import json

    return f"('{kode}','{nama}',-6.05,106.05,'{json.dumps(path)}')"


def test_parser_reads_rings_polygons_and_multipolygons():
    text = _sql(_row("1.01", "ring", RING), _row("1.02", "polygon with hole", [RING, HOLE]),
                _row("1.03", "multi", [[RING], [FAR]]))
    gdf = datasets._parse_wilayah_sql(text)
    assert gdf["kode"].tolist() == ["1.01", "1.02", "1.03"]
    assert gdf.geom_type.tolist() == ["Polygon", "Polygon", "MultiPolygon"]
    ring = gdf.geometry.iloc[0]
    assert ring.bounds == pytest.approx((106.0, -6.1, 106.1, -6.0))  # (lon, lat) order
    assert shapely.get_num_interior_rings(gdf.geometry.iloc[1]) == 1
    assert gdf.geometry.iloc[1].area < ring.area
    assert gdf.crs.to_epsg() == 4326


def test_parser_unquotes_names_and_closes_rings():
    open_ring = RING[:-1]
    text = _sql(_row("1.01", "Ma''rang", open_ring), _row("1.02", "Ma\\'rang", RING))
    gdf = datasets._parse_wilayah_sql(text)
    assert gdf["nama"].tolist() == ["Ma'rang", "Ma'rang"]
    assert gdf.geometry.iloc[0].equals(gdf.geometry.iloc[1])


def test_parser_handles_several_inserts_comments_and_backquotes():
    text = (HEADER + "-- a comment; with a semicolon\n"
            "INSERT INTO `wilayah_boundaries` (`kode`,`nama`,`path`) VALUES "
            f"('1.01','a','{RING}');\n"
            "# another comment\n"
            "INSERT INTO other_table(kode) VALUES ('x');\n"
            f"insert into wilayah_boundaries(kode,nama,path) values ('1.02','b','{RING}')")
    gdf = datasets._parse_wilayah_sql(text)
    assert gdf["kode"].tolist() == ["1.01", "1.02"]


def test_parser_repairs_an_invalid_polygon_and_logs_it(caplog):
    bowtie = [[-6.0, 106.0], [-6.1, 106.1], [-6.0, 106.1], [-6.1, 106.0], [-6.0, 106.0]]
    with caplog.at_level(logging.INFO, logger="siteplan.io.datasets"):
        gdf = datasets._parse_wilayah_sql(_sql(_row("1.01", "bowtie", bowtie)))
    assert gdf.is_valid.all()
    assert gdf.geom_type.iloc[0] == "MultiPolygon"
    assert "kode 1.01" in caplog.text and "make_valid" in caplog.text


@pytest.mark.parametrize(("text", "message"), [
    (_sql("('1.01','a',-6,106,'[[[-6.0,106.0],[-6.0,106.1]'" + ")"), "not valid JSON"),
    (_sql(_row("1.01", "lng first", [[[106.0, -6.0], [106.1, -6.0], [106.1, -6.1]]])),
     r"\[lng, lat\]"),
    (_sql(_row("1.01", "deep", [[[[[-6.0, 106.0]]]]])), "nested 5 deep"),
    (_sql(_row("1.01", "words", [["a", "b"], ["c", "d"], ["e", "f"]])), "number pairs"),
    (_sql(_row("1.01", "line", [[-6.0, 106.0], [-6.1, 106.1]])), "3 or more distinct"),
    (_sql("('1.01','a',-6,106)"), "4 values for 5 columns"),
    (_sql("('1.01','a',-6,106,'[]'", columns="kode,nama,lat,lng,path"), r"expected '\)'"),
    (_sql(f"('1.01','a',-6,106,'{RING}') ('1.02')"), "',' or ';'"),
    (_sql(f"('1.01','a',-6,__import__,'{RING}')"), "a quoted string, a number or NULL"),
    (_sql(f"('1.01','a',-6,inf,'{RING}')"), "a quoted string, a number or NULL"),
    (_sql(f"('1.01','a','{RING}')", columns="kode,nama,geom"), "no column path"),
    (HEADER, "holds no INSERT"),
    ("INSERT INTO wilayah_boundaries(kode,nama,path) VALUES ('1.01','a", "never closed"),
    ("/* unclosed", "never closed"),
])
def test_parser_errors_are_clear(text, message):
    with pytest.raises(SiteplanInputError, match=message) as info:
        datasets._parse_wilayah_sql(text, name="test.sql")
    assert "test.sql" in str(info.value)


def test_parser_errors_give_the_line():
    text = _sql(_row("1.01", "ok", RING), "('1.02','bad',-6,106,'not json')")
    with pytest.raises(SiteplanInputError, match="line 5 \\(kode 1.02\\)"):
        datasets._parse_wilayah_sql(text)


def test_polygons_made_invalid_by_reprojection_are_repaired(caplog):
    bowtie = shapely.Polygon([(106.0, -6.0), (106.1, -6.1), (106.1, -6.0), (106.0, -6.1)])
    gdf = gpd.GeoDataFrame({"kode": ["1.01", "1.02"]},
                           geometry=[bowtie, shapely.box(106.0, -6.1, 106.1, -6.0)],
                           crs=4326)
    with caplog.at_level(logging.INFO, logger="siteplan.io.datasets"):
        out = datasets._reproject(gdf, gdf.crs.from_epsg(UTM))
    assert out.crs.to_epsg() == UTM
    assert out.is_valid.all()
    assert out.geom_type.tolist() == ["MultiPolygon", "Polygon"]
    assert "kode 1.01 became invalid" in caplog.text
    assert "1.02" not in caplog.text


def test_a_file_from_elsewhere_is_refused(tmp_path):
    other = tmp_path / "other.sql"
    other.write_text(_sql(_row("36.74.01.1001", "Cilegon", RING)), encoding="utf-8")
    with pytest.raises(SiteplanInputError, match="not in Kota Serang"):
        datasets.serang_admin(source=other, sha256=None)
    other.write_text(_sql(_row("36.73.01", "kecamatan", RING)), encoding="utf-8")
    with pytest.raises(SiteplanInputError, match="not kelurahan codes"):
        datasets.serang_admin(source=other, sha256=None)


@pytest.mark.shared
def test_a_copy_in_the_cache_folder_is_used_offline(sql_path, cache, monkeypatch):
    """The offline fix in the error message works: copy the file into the cache folder."""
    def offline(*_args, **_kwargs):
        raise requests.ConnectionError("offline")

    monkeypatch.setattr(requests, "get", offline)
    with pytest.raises(SiteplanInputError):
        datasets.serang_admin()
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sql_path, cache / SQL_NAME)
    assert len(datasets.serang_admin()) == 67


def test_an_oversized_download_is_cut_off(server, cache, monkeypatch):
    monkeypatch.setattr(datasets, "_MAX_BYTES", 1000)
    server.files["/big.sql"] = b"x" * 5000
    with pytest.raises(SiteplanInputError, match="larger than"):
        datasets.fetch_serang_boundaries(server.url("/big.sql"))
    assert _files(cache) == [], "pooch's temporary file is removed"
