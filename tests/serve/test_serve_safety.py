"""``siteplan serve``: bad requests get a clear 4xx JSON answer; limits, CORS, concurrency.

Every test talks to a real uvicorn subprocess on a free port of 127.0.0.1.
"""

from __future__ import annotations

import copy
import http.client
import json
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from cikit import require

import siteplan as sp
from siteplan.profiles.profile import builtin_profile_text, profile_from_dict

require("fastapi")
require("uvicorn")

from servekit import serve  # noqa: E402  (tests/ is on sys.path under pytest)

LIMIT_MB = 1.0


@pytest.fixture(scope="module")
def server():
    with serve("--sample", "--max-body-mb", str(LIMIT_MB)) as srv:
        yield srv


@pytest.fixture(scope="module")
def layers():
    return sp.load_sample()


def _parcels_fc(layers, step=50):
    return json.loads(layers["parcels"].iloc[::step].to_crs(4326).to_json(drop_id=True))


def _error(reply, status: int) -> str:
    """The JSON error's message and problems, after checking the status and shape."""
    assert reply.status == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert isinstance(body["error"], str) and isinstance(body["message"], str)
    assert "Traceback" not in reply.text and 'File "' not in reply.text
    return body["message"] + " " + json.dumps(body.get("problems", []))


# --- bad profiles ---------------------------------------------------------------------------

def test_bad_inline_profile_gets_the_validators_problems(server):
    data = tomllib.loads(builtin_profile_text("sentra_kuliner"))
    data["criteria"][0]["measure"] = "teleport"
    data["criteria"][1]["transform"] = {"type": "sigmoid"}
    data["method"] = "magic"
    with pytest.raises(sp.SiteplanInputError) as info:
        profile_from_dict(copy.deepcopy(data), where="inline profile")
    r = server.post("/score", {"profile": data})
    _error(r, 422)
    body = r.json()
    assert body["error"] == "invalid_input"
    got = [(p["where"], p["what"], p["fix"]) for p in body["problems"]]
    assert got == [(p.where, p.what, p.fix) for p in info.value.problems]
    assert len(got) >= 3
    assert body["message"] == str(info.value)


def test_bad_method_and_bad_option_types(server):
    text = _error(server.post("/score", {"profile": "rth", "method": "magic"}), 422)
    assert "request method" in text and '"magic"' in text and "'wlc'" in text
    text = _error(server.post("/sensitivity", {"profile": "rth", "draws": "many"}), 422)
    assert "draws" in text
    text = _error(server.post("/sensitivity", {"profile": "rth", "draws": 10 ** 9}), 422)
    assert "draws" in text and "20000" in text
    text = _error(server.post("/score", raw=b'{"profile": "rth",'), 422)
    assert "JSON" in text
    text = _error(server.post("/score", {}), 422)
    assert "profile" in text and "required" in text


def test_numbers_out_of_range_are_input_errors(server):
    data = tomllib.loads(builtin_profile_text("rth"))
    crit = next(c for c in data["criteria"] if c["measure"] == "pop_beyond_reach")
    crit["radius"] = 1e308  # finite, but far beyond any radius the profile allows
    text = _error(server.post("/score", {"profile": data}), 422)
    assert "radius" in text and "jangkauan_taman" in text
    # JSON's non-standard Infinity (Python's json reads it) is refused with the value's path
    raw = json.dumps({"profile": data}).replace("1e+308", "Infinity")
    assert "Infinity" in raw
    text = _error(server.post("/score", raw=raw.encode()), 422)
    assert "radius" in text and "jangkauan_taman" in text and "finite" in text


# --- bad GeoJSON and CRS --------------------------------------------------------------------

def test_bad_geojson(server, layers):
    text = _error(server.post("/score", {"profile": "rth", "parcels": {"type": "Feature"}}),
                  422)
    assert "FeatureCollection" in text and "parcels" in text
    empty = {"type": "FeatureCollection", "features": []}
    assert "no features" in _error(server.post("/score", {"profile": "rth",
                                                          "parcels": empty}), 422)
    fc = _parcels_fc(layers)
    fc["features"][2]["geometry"] = {"type": "Polygon", "coordinates": [[106.1, -6.1]]}
    fc["features"][5]["geometry"] = {"type": "Polygon", "coordinates": "here"}
    text = _error(server.post("/score", {"profile": "rth", "parcels": fc}), 422)
    assert "rows 2, 5" in text
    fc = _parcels_fc(layers)
    fc["features"][1] = "not a feature"
    assert "rows 1" in _error(server.post("/score", {"profile": "rth", "parcels": fc}), 422)


def test_wrong_crs(server, layers):
    utm = json.loads(layers["parcels"].iloc[::50].to_json(drop_id=True))  # EPSG:32748
    utm.pop("crs", None)
    text = _error(server.post("/score", {"profile": "rth", "parcels": utm}), 422)
    assert "look projected" in text and "EPSG:4326" in text
    utm["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32748"}}
    text = _error(server.post("/score", {"profile": "rth", "parcels": utm}), 422)
    assert "32748" in text and "EPSG:4326 only" in text and "parcels.crs" in text
    assert "drop the 'crs' member" in text


# --- limits ---------------------------------------------------------------------------------

def test_a_body_that_is_not_json_says_where_it_breaks(server):
    r = server.post("/score", raw=b'{"profile": "rth", bad}')
    assert r.status == 422, r.text
    problem = r.json()["problems"][0]
    assert problem["where"] == "request body" and problem["fix"] == "send valid JSON"
    # {"profile": "rth", bad}: the b of bad is character 19 (counting from 0)
    assert problem["what"].startswith("is not valid JSON (at character 19: Expecting")
    assert "got" not in problem["what"]


def test_oversized_body_gets_413(server):
    big = json.dumps({"profile": "rth", "pad": "x" * int(LIMIT_MB * 1e6 * 1.5)}).encode()
    text = _error(server.post("/score", raw=big), 413)
    assert "limit" in text and "--max-body-mb" in text
    chunks = [big[i:i + 65536] for i in range(0, len(big), 65536)]
    assert "limit" in _error(server.post_chunked("/score", chunks), 413)
    # a client that waits for "100 Continue" is refused before it sends anything
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("POST", "/score")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(big)))
        conn.putheader("Expect", "100-continue")
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413 and json.loads(resp.read())["error"] == "too_large"
    finally:
        conn.close()
    # just under the limit is read (and refused for its unknown field, not its size)
    small = json.dumps({"profile": "rth", "pad": "x" * int(LIMIT_MB * 1e6 * 0.9)}).encode()
    assert "pad" in _error(server.post("/score", raw=small), 422)


# --- paths, unknown names -------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"profile": "/etc/passwd"},
    {"profile": "../siteplan/builtin_profiles/rth.toml"},
    {"profile": "mine.toml"},
    {"profile": "C:\\data\\mine.toml"},
    {"profile": "file:///etc/passwd"},
    {"profile": "rth", "parcels": "/data/persil.gpkg"},
    {"profile": {"name": "x", "criteria": [{"name": "a", "measure": "distance",
                                            "layer": "/tmp/roads.gpkg", "weight": 1,
                                            "transform": {"type": "linear", "best": 0,
                                                          "worst": 1}}]}},
], ids=["abs", "relative", "toml", "windows", "url", "parcels", "inline-layer"])
def test_a_path_in_a_field_is_refused(server, body):
    text = _error(server.post("/score", body), 422)
    assert "path" in text or "not GeoJSON" in text
    assert "reads no file" in text


def test_paths_elsewhere_are_refused(server):
    text = _error(server.post("/select", {"profile": "rth", "existing": "/srv/poi.gpkg"}), 422)
    assert "reads no file" in text
    text = _error(server.post("/allocate", {"profiles": ["rth", "/x/y.toml"],
                                            "demand": {"rth": 1}}), 422)
    assert "reads no file" in text
    text = _error(server.post("/score", {"profile": "rth", "file": "/etc/passwd"}), 422)
    assert "file" in text and "remove this field" in text
    assert _error(server.get("/profiles/..%2F..%2Fetc%2Fpasswd"), 404)


def test_unknown_profile_is_404(server):
    for reply in (server.post("/score", {"profile": "taman_bermain"}),
                  server.post("/sensitivity", {"profile": "taman_bermain"}),
                  server.get("/profiles/taman_bermain"),
                  server.get("/map/taman_bermain")):
        text = _error(reply, 404)
        assert "taman_bermain" in text
        assert reply.json()["profiles"] == sp.list_profiles()


def test_unknown_route_and_method(server):
    assert "/nowhere" in _error(server.get("/nowhere"), 404)
    assert _error(server.get("/score"), 405)


# --- concurrency ----------------------------------------------------------------------------

def test_twenty_concurrent_scores_are_all_right(server, layers):
    jobs = [(name, method) for name in sp.list_profiles() for method in
            ("wlc", "wgm", "topsis", "owa", None)]
    assert len(jobs) == 20
    want = {(n, m): sp.score(layers, n, method=m) for n, m in jobs}

    def call(job):
        name, method = job
        body = {"profile": name} | ({"method": method} if method else {})
        return server.post("/score", body, timeout=300)

    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(call, jobs))
    for job, reply in zip(jobs, replies, strict=True):
        assert reply.status == 200, (job, reply.text[:300])
        got = {f["properties"]["parcel_id"]: f["properties"]["score"]
               for f in reply.json()["features"]}
        res = want[job]
        exp = dict(zip(res["parcel_id"], res["score"].to_numpy(dtype=float), strict=True))
        assert got.keys() == exp.keys()
        for pid, value in exp.items():
            assert (got[pid] is None) if np.isnan(value) else \
                got[pid] == pytest.approx(value, rel=1e-12, abs=1e-12), job


# --- network exposure -----------------------------------------------------------------------

def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            addr, hexport = fields[1].rsplit(":", 1)
            if int(hexport, 16) == port and fields[3] == "0A":  # LISTEN
                found.add(addr)
    return found


def test_listens_on_loopback_only_by_default(server):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp on this system")
    assert _listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1


def test_no_cors_unless_asked(server):
    r = server.get("/health", headers={"Origin": "https://portal.example"})
    assert r.status == 200 and "access-control-allow-origin" not in r.headers
    r = server.request("OPTIONS", "/score", headers={
        "Origin": "https://portal.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_origin_and_time_limit():
    with serve("--sample", "--cors", "https://portal.example", "--timeout", "0.05") as srv:
        r = srv.request("OPTIONS", "/score", headers={
            "Origin": "https://portal.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert r.status == 200
        assert r.headers["access-control-allow-origin"] == "https://portal.example"
        r = srv.request("OPTIONS", "/score", headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
        assert r.headers.get("access-control-allow-origin") != "https://elsewhere.example"
        r = srv.post("/sensitivity", {"profile": "fasilitas_publik", "draws": 20000},
                     headers={"Origin": "https://portal.example"})
        text = _error(r, 504)
        assert "0.05 s" in text and r.json()["error"] == "timeout"
        assert r.headers["access-control-allow-origin"] == "https://portal.example"
        assert srv.get("/health").status == 200


# --- command line and imports ---------------------------------------------------------------

def test_serve_usage_errors():
    def run(*args):
        return subprocess.run([sys.executable, "-m", "siteplan.cli", "serve", *args],
                              capture_output=True, text=True, timeout=120)

    r = run()
    assert r.returncode == 2 and "--sample" in r.stderr
    r = run("--sample", "--parcels", "persil.gpkg")
    assert r.returncode == 2 and "not both" in r.stderr
    r = run("--sample", "--port", "70000")
    assert r.returncode == 2 and "--port" in r.stderr
    r = run("--help")
    assert r.returncode == 0 and "127.0.0.1" in r.stdout and "--cors" in r.stdout


def test_import_siteplan_does_not_import_fastapi():
    code = ("import sys, siteplan as sp, siteplan.cli\n"
            "siteplan.cli._build_parser(every=True)\n"
            "sp.score(sp.load_sample(), 'wisata_religi')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'fastapi', 'uvicorn', 'starlette', 'pydantic'})\n"
            "assert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr


def test_a_request_writes_nothing_to_the_shared_layers():
    """What one request caches stays in its own view; the server's bundle is untouched."""
    from siteplan.serve._work import Context

    layers = sp.load_sample()
    ctx = Context(layers, warm=True)  # what each worker process holds
    built = layers.cache.keys()  # a LayerCache is not iterable itself
    before = {k: layers.cache.get(k, lambda: None) for k in built}
    parcels = layers["parcels"].copy()
    prof = profile_from_dict({"name": "dekat_sekolah", "criteria": [{
        "name": "sekolah", "measure": "distance", "layer": "pois",
        "where": {"category": ["sekolah"]}, "weight": 1,
        "transform": {"type": "linear", "best": 0, "worst": 800}}]})
    view = ctx.view()
    res = sp.score(view, prof)
    assert res["score"].notna().any()
    own = set(view.cache.keys()) - set(before)
    assert own  # the new filter's search trees, in this request's view only
    assert set(layers.cache.keys()) == set(before)
    assert all(layers.cache.get(k, lambda: None) is v for k, v in before.items())
    assert layers["parcels"].equals(parcels)
    assert not set(ctx.view().cache.keys()) & own  # the next request starts clean
