"""``siteplan serve`` against hostile requests: CRS tricks, JSON edge values, Host, OpenAPI.

Every test talks to a real uvicorn subprocess on a free port of 127.0.0.1
(``servekit``); each hostile request must get its clear 4xx JSON answer in
seconds, naming the field, and must neither reach out nor open a file.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import tomllib

import pytest

import siteplan as sp
from siteplan.profiles.profile import METHODS, builtin_profile_text
from siteplan.scoring.pipeline import MISSING_MODES

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from servekit import HOST, free_port, serve  # noqa: E402  (tests/ is on sys.path under pytest)


@pytest.fixture(scope="module")
def server():
    with serve("--sample", "--timeout", "20") as srv:
        yield srv


@pytest.fixture(scope="module")
def parcels_fc():
    layers = sp.load_sample()
    return json.loads(layers["parcels"].iloc[::60].to_crs(4326).to_json(drop_id=True))


def _error(reply, status: int) -> str:
    """The JSON error's message and problems, after checking the status and shape."""
    assert reply.status == status, reply.text[:2000]
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert isinstance(body["error"], str) and isinstance(body["message"], str)
    assert "Traceback" not in reply.text and 'File "' not in reply.text
    return body["message"] + " " + json.dumps(body.get("problems", []))


# --- point 2: a crs member never reaches out, never opens a file ----------------------------

class _Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:  # the 0.2 s poll
                continue
            self.count += 1
            try:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                             b'GEOGCS["leaked"]')
            finally:
                conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def _crs_tricks(url: str, fifo: str, plain: str) -> list[dict]:
    return [
        {"type": "link", "properties": {"href": url, "type": "proj4"}},
        {"type": "link", "properties": {"href": url + "/esriwkt", "type": "esriwkt"}},
        {"type": "name", "properties": {"name": url}},
        {"type": "name", "properties": {"name": f"+init={fifo}:x"}},
        {"type": "name", "properties": {"name": f"+init={plain}:x +type=crs"}},
        {"type": "name", "properties": {"name": fifo}},
        {"type": "name", "properties": {"name": plain}},
        {"type": "name", "properties": {"name": f"file://{plain}"}},
        {"type": "name", "properties": {"name": "/etc/passwd"}},
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32748"}},
        {"type": "EPSG", "properties": {"code": 4326}},
        {"type": "name", "properties": "EPSG:4326"},
        "EPSG:4326",
    ]


def test_crs_tricks_are_refused_without_reaching_out_or_opening_files(server, parcels_fc,
                                                                      tmp_path):
    listener = _Listener()
    fifo = tmp_path / "crs.fifo"
    os.mkfifo(fifo)  # opening it to read would block until a writer comes: a hang, not a 422
    plain = tmp_path / "crs.txt"
    plain.write_text('GEOGCS["not to be read"]')
    past = time.time() - 3 * 86400  # older than a day and than the mtime: a read updates it
    os.utime(plain, (past, plain.stat().st_mtime))
    atime = plain.stat().st_atime
    url = f"http://{HOST}:{listener.port}/crs"
    try:
        tricks = _crs_tricks(url, str(fifo), str(plain))
        for trick in tricks:
            for place in ("collection", "feature", "geometry", "existing"):
                fc = json.loads(json.dumps(parcels_fc))
                if place == "collection":
                    fc["crs"] = trick
                    body, field = {"profile": "rth", "parcels": fc}, "request parcels.crs"
                elif place == "feature":
                    fc["features"][1]["crs"] = trick
                    body, field = ({"profile": "rth", "parcels": fc},
                                   "request parcels.features[1].crs")
                elif place == "geometry":
                    fc["features"][2]["geometry"]["crs"] = trick
                    body, field = ({"profile": "rth", "parcels": fc},
                                   "request parcels.features[2].geometry.crs")
                else:
                    fc["crs"] = trick
                    body, field = ({"profile": "rth", "k": 1, "existing": fc},
                                   "request existing.crs")
                start = time.monotonic()
                r = server.post("/select" if place == "existing" else "/score", body,
                                timeout=60)
                took = time.monotonic() - start
                text = _error(r, 422)
                assert field in text, (trick, place, text)
                assert "EPSG:4326 only" in text and "drop the 'crs' member" in text
                assert "leaked" not in text
                assert took < 10, (trick, place, took)
        # the listener counts: one connection of our own, none from the server
        with socket.create_connection((HOST, listener.port), timeout=5) as own:
            own.recv(100)
        deadline = time.monotonic() + 5
        while listener.count < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        listener.close()
    assert listener.count == 1
    assert plain.stat().st_atime == atime  # nobody read the file
    with open(plain, "rb") as f:  # and reading it is seen (the check above can see a read)
        f.read()
    reads_seen = plain.stat().st_atime != atime
    if not reads_seen:
        pytest.skip("this file system does not update access times (noatime); the FIFO part "
                    "of the test still held")


def test_crs_naming_epsg_4326_is_accepted(server, parcels_fc):
    from siteplan.serve._geojson import CRS_NAMES

    want = server.post("/score", {"profile": "rth", "parcels": parcels_fc}).json()
    for name in CRS_NAMES:
        fc = dict(parcels_fc, crs={"type": "name", "properties": {"name": name}})
        r = server.post("/score", {"profile": "rth", "parcels": fc})
        assert r.status == 200, (name, r.text[:500])
        got = r.json()
        assert [f["properties"]["score"] for f in got["features"]] == \
            [f["properties"]["score"] for f in want["features"]]


# --- point 4: JSON that Python reads but nothing in siteplan can take ------------------------

def _nested(depth: int):
    value: object = "bottom"
    for _ in range(depth):
        value = {"x": value}
    return value


def test_deeply_nested_values_are_refused(server, parcels_fc):
    fc = json.loads(json.dumps(parcels_fc))
    fc["features"][3]["properties"]["catatan"] = _nested(500)
    raw = json.dumps({"profile": "rth", "parcels": fc})
    text = _error(server.post("/score", raw=raw.encode()), 422)
    assert "request parcels.features[3].properties.catatan" in text
    assert "deeper than 64 levels" in text and "at most 64" in text
    # deeper than Python's own parser goes: still a 422, not a 400 or 500
    raw = '{"profile": "rth", "x": ' + "[" * 200_000 + "]" * 200_000 + "}"
    text = _error(server.post("/score", raw=raw.encode()), 422)
    assert "nested too deep" in text
    # a property nested a few levels is kept as JSON text
    fc = json.loads(json.dumps(parcels_fc))
    fc["features"][0]["properties"]["catatan"] = {"a": [1, {"b": 2}]}
    r = server.post("/score", {"profile": "rth", "parcels": fc, "top": 1})
    assert r.status == 200, r.text[:500]


@pytest.mark.parametrize("case", [
    "title", "unknown-key", "unknown-key-name", "parcel-property", "parcel-id", "fixed",
    "exclude", "profile-name"])
def test_a_lone_surrogate_is_refused_naming_the_field(server, parcels_fc, case):
    lone = "ab\ud800cd"
    data = tomllib.loads(builtin_profile_text("rth"))
    path, body = "/score", {"profile": "rth"}
    if case == "title":
        data["title"]["en"] = lone
        body, field = {"profile": data}, "request profile.title.en"
    elif case == "unknown-key":
        body["catatan"] = lone
        field = "request catatan"
    elif case == "unknown-key-name":
        body[lone] = 1
        field = "request body"
    elif case == "parcel-property":
        fc = json.loads(json.dumps(parcels_fc))
        fc["features"][4]["properties"]["name"] = lone
        body["parcels"], field = fc, "request parcels.features[4].properties.name"
    elif case == "parcel-id":
        fc = json.loads(json.dumps(parcels_fc))
        fc["features"][0]["properties"]["parcel_id"] = lone
        body["parcels"], field = fc, "request parcels.features[0].properties.parcel_id"
    elif case == "fixed":
        path = "/allocate"
        body = {"profiles": ["rth"], "demand": {"rth": 1}, "fixed": {lone: "rth"}}
        field = "request fixed"
    elif case == "exclude":
        path = "/allocate"
        body = {"profiles": ["rth"], "demand": {"rth": 1}, "exclude": ["P1", lone]}
        field = "request exclude[1]"
    else:
        body = {"profile": lone}
        field = "request profile"
    raw = json.dumps(body)  # ensure_ascii: the surrogate goes as the escape \ud800
    assert "\\ud800" in raw
    text = _error(server.request("POST", path, raw=raw.encode()), 422)
    assert field in text and "lone surrogate" in text and "surrogate pair" in text


@pytest.mark.parametrize(("where", "value", "bound"), [
    ("weight", "1e309", "1.7976931348623157e+308"),
    ("radius", "1e309", "1.7976931348623157e+308"),
    ("radius", "-1e400", "1.7976931348623157e+308"),
    ("radius", "NaN", "finite"),
    ("demand", str(2 ** 64), "9223372036854775807"),
    ("seed", str(2 ** 64), "9223372036854775807"),
    ("seed", str(-(2 ** 63) - 1), "-9223372036854775808"),
    ("property", "1e309", "1.7976931348623157e+308"),
    ("property", str(10 ** 40), "9223372036854775807"),
])
def test_numbers_beyond_int64_or_float_are_refused(server, parcels_fc, where, value, bound):
    data = tomllib.loads(builtin_profile_text("rth"))
    crit = next(c for c in data["criteria"] if "radius" in c)
    path = "/score"
    if where == "weight":
        data["criteria"][0]["weight"] = "@"
        body, field = {"profile": data}, f"profile.criteria[0] ('{data['criteria'][0]['name']}')"
        field += ".weight"
    elif where == "radius":
        crit["radius"] = "@"
        body, field = {"profile": data}, f"('{crit['name']}').radius"
    elif where == "demand":
        path, body, field = "/allocate", {"profiles": ["rth"], "demand": {"rth": "@"}}, \
            "request demand.rth"
    elif where == "seed":
        path, body, field = "/sensitivity", {"profile": "rth", "seed": "@"}, "request seed"
    else:
        fc = json.loads(json.dumps(parcels_fc))
        fc["features"][2]["properties"]["luas"] = "@"
        body, field = {"profile": "rth", "parcels": fc}, \
            "request parcels.features[2].properties.luas"
    raw = json.dumps(body).replace('"@"', value)
    start = time.monotonic()
    text = _error(server.request("POST", path, raw=raw.encode()), 422)
    assert time.monotonic() - start < 10
    assert field in text and bound in text


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/score", {"profile": "rth", "top": True}, "request top"),
    ("/score", {"profile": "rth", "top": "5"}, "request top"),
    ("/score", {"profile": "rth", "top": 5.0}, "request top"),
    ("/sensitivity", {"profile": "rth", "seed": False}, "request seed"),
    ("/sensitivity", {"profile": "rth", "seed": -1}, "request seed"),
    ("/sensitivity", {"profile": "rth", "draws": "100"}, "request draws"),
    ("/select", {"profile": "rth", "per_kecamatan": 1}, "request per_kecamatan"),
    ("/select", {"profile": "rth", "radius": "800"}, "request radius"),
    ("/allocate", {"profiles": ["rth"], "demand": {"rth": True}}, "request demand.rth"),
    ("/allocate", {"profiles": ["rth"], "demand": {"rth": 1}, "objective": "profit"},
     "request objective"),
    ("/score", {"profile": "rth", "missing": "ignore"}, "request missing"),
    ("/score", {"profile": "rth", "method": "WLC"}, "request method"),
])
def test_strict_types_no_coercion(server, path, body, field):
    text = _error(server.post(path, body), 422)
    value = body
    for part in field.split()[1].split("."):
        value = value[part]
    assert f"{field}: " in text and f"(got {json.dumps(value)})" in text  # field and value


def test_bodies_that_are_not_utf8_json(server):
    text = _error(server.post("/score", raw=b'{"profile": "rth\xff"}'), 422)
    assert "not UTF-8" in text
    text = _error(server.post("/score", raw=b'{"profile": "rth", "top": 1e309}'), 422)
    assert "request top" in text and "finite" in text


# --- point 7: Host header, 405, OpenAPI ------------------------------------------------------

def test_only_loopback_host_names_by_default(server):
    for host in ("localhost", f"localhost:{server.port}", "127.0.0.1", f"[::1]:{server.port}",
                 "LOCALHOST"):
        r = server.get("/health", headers={"Host": host})
        assert r.status == 200, host
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example",
                 "localhost.evil.example", "0.0.0.0", "[::2]"):
        text = _error(server.get("/health", headers={"Host": host}), 400)
        assert repr(host) in text and "--allowed-host" in text
        # also before any work or body is read
        assert _error(server.post("/score", {"profile": "rth"}, headers={"Host": host}), 400)


def test_allowed_host_option():
    with serve("--sample", "--allowed-host", "siteplan.example.org", "--allowed-host",
               "*.kota.example", "--workers", "1") as srv:
        for host in ("siteplan.example.org", "siteplan.example.org:8443", "peta.kota.example"):
            assert srv.get("/health", headers={"Host": host}).status == 200, host
        for host in ("localhost", "kota.example", "evil.example"):
            assert srv.get("/health", headers={"Host": host}).status == 400, host


def test_405_names_the_allowed_methods(server):
    r = server.get("/score")
    _error(r, 405)
    assert r.headers["allow"] == "POST"
    assert "use POST" in r.json()["fix"]
    r = server.post("/health", {})
    _error(r, 405)
    assert r.headers["allow"] == "GET"


def test_openapi_lists_errors_media_and_enums(server):
    doc = server.get("/openapi.json").json()
    paths = doc["paths"]
    for path in ("/score", "/sensitivity", "/select", "/allocate"):
        responses = paths[path]["post"]["responses"]
        assert {"200", "400", "404", "413", "422", "500", "501", "504"} <= set(responses), path
        for code in ("404", "413", "422", "504"):
            assert responses[code]["content"]["application/json"]["schema"] == \
                {"$ref": "#/components/schemas/ErrorBody"}
    for path in ("/map/{profile}", "/brief/{profile}"):
        assert {"404", "422", "504"} <= set(paths[path]["get"]["responses"])
    assert "501" in paths["/brief/{profile}"]["get"]["responses"]
    assert "404" in paths["/profiles/{name}"]["get"]["responses"]
    ok = paths["/schema/profile"]["get"]["responses"]["200"]["content"]
    assert list(ok) == ["application/schema+json"]
    assert server.get("/schema/profile").headers["content-type"].startswith(
        "application/schema+json")
    schemas = doc["components"]["schemas"]
    for model in ("ScoreRequest", "SensitivityRequest", "SelectRequest", "AllocateRequest"):
        props = schemas[model]["properties"]
        if "method" in props:
            assert props["method"]["anyOf"][0]["enum"] == list(METHODS)
            assert props["missing"]["anyOf"][0]["enum"] == list(MISSING_MODES)
    assert schemas["AllocateRequest"]["properties"]["objective"]["enum"] == \
        ["score", "coverage"]
    assert schemas["SensitivityRequest"]["properties"]["seed"]["anyOf"][0]["minimum"] == 0


# --- the command line: the URL only once bound, a taken port has its own exit code -----------

def test_a_port_in_use_is_exit_4_and_no_url_is_printed():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((HOST, 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        start = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "siteplan.cli", "serve", "--sample",
                            "--port", str(port)], capture_output=True, text=True, timeout=120)
        took = time.monotonic() - start
    assert r.returncode == 4, (r.stdout, r.stderr)
    assert "http://" not in r.stdout
    assert f"127.0.0.1:{port} is in use" in r.stderr and "--port" in r.stderr
    assert "Traceback" not in r.stderr
    assert took < 60


def test_the_url_is_printed_once_the_port_is_bound():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "siteplan.cli", "serve", "--sample",
                             "--port", str(port), "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 180)
        assert ready, "siteplan serve printed nothing in 180 s"
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line, line
        # the port is already taken (listening) when the URL is printed
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe, \
                pytest.raises(OSError):
            probe.bind((HOST, port))
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()
