"""``siteplan serve`` over real HTTP: a uvicorn subprocess on a free port of 127.0.0.1.

Expected numbers come from calling the same functions in this process
(``sp.score``, ``sp.sensitivity``, ``sp.select_sites``) on the same input.
"""

from __future__ import annotations

import json
import tomllib

import jsonschema
import numpy as np
import pandas as pd
import pytest
from cikit import require

import siteplan as sp
from siteplan.profiles.profile import builtin_profile_text
from siteplan.profiles.schema import profile_schema
from siteplan.scoring.record import record_from_dict

require("fastapi")
require("uvicorn")

from servekit import serve  # noqa: E402  (tests/ is on sys.path under pytest)

MAX_BODY_MB = 1.0


@pytest.fixture(scope="module")
def server():
    with serve("--sample", "--max-body-mb", str(MAX_BODY_MB), "--workers", "4") as srv:
        yield srv


@pytest.fixture(scope="module")
def layers():
    return sp.load_sample()


@pytest.fixture(scope="module")
def expected(layers):
    return {name: sp.score(layers, name) for name in sp.list_profiles()}


def _by_id(fc: dict) -> dict:
    return {f["properties"]["parcel_id"]: f["properties"] for f in fc["features"]}


def _assert_same_result(fc: dict, result) -> None:
    """Every row of ``result`` is in ``fc`` with the same status, reasons, score and rank."""
    got = _by_id(fc)
    assert len(fc["features"]) == len(result) == len(got)
    assert set(got) == set(result["parcel_id"])
    for col in ("status", "excluded_by", "eligible"):
        want = dict(zip(result["parcel_id"], result[col], strict=True))
        assert {k: v[col] for k, v in got.items()} == want, col
    score = result["score"].to_numpy(dtype=float)
    want_score = dict(zip(result["parcel_id"], score, strict=True))
    for pid, props in got.items():
        if np.isnan(want_score[pid]):
            assert props["score"] is None and props["rank"] is None
        else:
            assert props["score"] == pytest.approx(want_score[pid], rel=1e-12, abs=1e-12)
    want_rank = {p: int(r) for p, r in zip(result["parcel_id"], result["rank"], strict=True)
                 if not pd.isna(r)}
    assert {p: v["rank"] for p, v in got.items() if v["rank"] is not None} == want_rank
    crits = [c for c in result.columns if c.startswith("c_")]
    for c in crits:
        vals = dict(zip(result["parcel_id"], result[c].to_numpy(dtype=float), strict=True))
        for pid, props in got.items():
            if np.isnan(vals[pid]):
                assert props[c] is None
            else:
                assert props[c] == pytest.approx(vals[pid], rel=1e-12, abs=1e-12)


def _problem_text(reply) -> str:
    body = reply.json()
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in reply.text
    return body["message"] + " " + json.dumps(body.get("problems", []))


# --- endpoints ----------------------------------------------------------------------------

def test_health_names_the_layers(server, layers):
    r = server.get("/health")
    assert r.status == 200
    body = r.json()
    assert body["status"] == "ok" and body["synthetic"] is True
    assert body["layers"] == {name: len(layers[name]) for name in layers}
    assert body["limits"]["max_body_bytes"] == int(MAX_BODY_MB * 1e6)


def test_profiles_and_one_profile_as_json(server):
    r = server.get("/profiles")
    assert r.status == 200
    listed = r.json()["profiles"]
    assert [p["name"] for p in listed] == sp.list_profiles()
    for p in listed:
        assert p["title"] == dict(sp.get_profile(p["name"]).title)
    r = server.get("/profiles/wisata_religi")
    assert r.status == 200
    assert r.json() == tomllib.loads(builtin_profile_text("wisata_religi"))


def test_schema_endpoint_is_the_generated_schema(server):
    r = server.get("/schema/profile")
    assert r.status == 200
    schema = r.json()
    assert schema == profile_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in sp.list_profiles():
        jsonschema.validate(server.get(f"/profiles/{name}").json(), schema)


@pytest.mark.parametrize("name", ["fasilitas_publik", "rth", "sentra_kuliner",
                                  "wisata_religi"])
def test_score_equals_python(server, expected, name):
    r = server.post("/score", {"profile": name})
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    _assert_same_result(fc, expected[name])
    info = record_from_dict(fc["siteplan"])            # the result's record, as JSON
    rec = sp.record_of(expected[name])
    assert info.profile.name == name
    assert info.counts == rec.counts
    assert info.profile.weights == pytest.approx(rec.profile.weights)
    assert info.skipped == rec.skipped and info.base_score == pytest.approx(rec.base_score)
    # EPSG:4326: Kota Serang lies near 106.15 E, 6.1 S
    xs = [pt[0] for f in fc["features"][:50] for pt in f["geometry"]["coordinates"][0]]
    ys = [pt[1] for f in fc["features"][:50] for pt in f["geometry"]["coordinates"][0]]
    assert 105.9 < min(xs) <= max(xs) < 106.4 and -6.3 < min(ys) <= max(ys) < -5.9


def test_score_method_and_top(server, layers):
    want = sp.score(layers, "sentra_kuliner", method="topsis")
    r = server.post("/score", {"profile": "sentra_kuliner", "method": "topsis", "top": 5})
    assert r.status == 200, r.text
    fc = r.json()
    assert fc["siteplan"]["profile"]["method"] == "topsis"
    best = want.loc[want["status"] == "scored"].sort_values("rank").head(5)
    assert [f["properties"]["parcel_id"] for f in fc["features"]] == list(best["parcel_id"])
    assert [f["properties"]["score"] for f in fc["features"]] == pytest.approx(
        list(best["score"]), rel=1e-12)


def test_inline_profile_is_scored_like_the_builtin(server, expected):
    data = server.get("/profiles/rth").json()
    r = server.post("/score", {"profile": data})
    assert r.status == 200, r.text
    _assert_same_result(r.json(), expected["rth"])
    # and a changed weight changes the score as in Python
    data["criteria"][0]["weight"] = 0.9
    want = sp.score(sp.load_sample(), sp.profiles.profile_from_dict(data))
    r = server.post("/score", {"profile": data})
    assert r.status == 200, r.text
    _assert_same_result(r.json(), want)


def test_posted_parcels_are_scored_and_server_layers_unchanged(server, layers, expected):
    subset = layers["parcels"].iloc[::20].to_crs(4326)
    fc_in = json.loads(subset.to_json(drop_id=True))
    want = sp.score(layers.replace(parcels=subset), "sentra_kuliner")
    r = server.post("/score", {"profile": "sentra_kuliner", "parcels": fc_in})
    assert r.status == 200, r.text
    _assert_same_result(r.json(), want)
    assert r.json()["siteplan"]["counts"]["input"] == len(subset)
    # the server still scores its own parcels
    assert server.get("/health").json()["layers"]["parcels"] == len(layers["parcels"])
    r = server.post("/score", {"profile": "sentra_kuliner"})
    _assert_same_result(r.json(), expected["sentra_kuliner"])


def test_posted_parcel_without_geometry_is_reported_not_lost(server, layers):
    subset = layers["parcels"].iloc[:40].to_crs(4326)
    fc_in = json.loads(subset.to_json(drop_id=True))
    row = int(np.flatnonzero(subset["ownership"].to_numpy() == "pemda")[0])  # a candidate
    fc_in["features"][row]["geometry"] = None
    lost = fc_in["features"][row]["properties"]["parcel_id"]
    r = server.post("/score", {"profile": "rth", "parcels": fc_in})
    assert r.status == 200, r.text
    fc = r.json()
    counts = fc["siteplan"]["counts"]
    assert counts["input"] == 40
    assert counts["rejected"] >= 1
    assert counts["scored"] + counts["excluded"] + counts["rejected"] + \
        counts["not_candidate"] == 40
    rejected = {f["properties"]["parcel_id"]: f["properties"] for f in fc["features"]
                if f["properties"]["status"] == "rejected"}
    assert lost in rejected and "geometry" in rejected[lost]["excluded_by"]


def test_sensitivity_equals_python(server, expected):
    r = server.post("/sensitivity", {"profile": "wisata_religi", "draws": 300, "seed": 7,
                                     "spread": 0.3, "top_k": 5})
    assert r.status == 200, r.text
    fc = r.json()
    res = expected["wisata_religi"]
    stab = sp.sensitivity(res, "wisata_religi", draws=300, seed=7, spread=0.3, top_k=5)
    got = _by_id(fc)
    for col in ("p_top_k", "rank_p05", "rank_p50", "rank_p95"):
        want = dict(zip(res["parcel_id"], stab[col].to_numpy(dtype=float), strict=True))
        for pid, w in want.items():
            assert (got[pid][col] is None) if np.isnan(w) else got[pid][col] == pytest.approx(w)
    assert fc["sensitivity"]["draws"] == 300
    loo = fc["sensitivity"]["leave_one_out"]
    assert [row["criterion"] for row in loo] == list(stab.attrs["leave_one_out"]["criterion"])


def test_select_equals_python(server, layers, expected):
    r = server.post("/select", {"profile": "wisata_religi", "k": 3, "radius": 800})
    assert r.status == 200, r.text
    fc = r.json()
    chosen = sp.select_sites(expected["wisata_religi"], layers, k=3, radius=800)
    assert sorted(f["properties"]["parcel_id"] for f in fc["features"]) == \
        sorted(chosen["parcel_id"])
    assert fc["selection"]["people_covered"] == pytest.approx(
        chosen.attrs["selection"]["people_covered"], rel=1e-9)
    # facilities already there, posted in EPSG:4326, count as in Python
    pois = layers["pois"]
    existing = pois.loc[pois["category"] == "masjid"].iloc[:5].to_crs(4326)
    r = server.post("/select", {"profile": "wisata_religi", "k": 2, "radius": 800,
                                "existing": json.loads(existing.to_json(drop_id=True))})
    assert r.status == 200, r.text
    fc = r.json()
    chosen = sp.select_sites(expected["wisata_religi"], layers, k=2, radius=800,
                             existing=existing)
    assert sorted(f["properties"]["parcel_id"] for f in fc["features"]) == \
        sorted(chosen["parcel_id"])
    assert fc["selection"]["people_covered"] == pytest.approx(
        chosen.attrs["selection"]["people_covered"], rel=1e-9)


def test_locate_equals_python(server, layers, expected):
    r = server.post("/locate", {"profile": "fasilitas_publik", "model": "pmedian", "k": 3,
                                "cell": 1500})
    assert r.status == 200, r.text
    fc = r.json()
    plan = sp.locate_sites(expected["fasilitas_publik"], layers, model="pmedian", k=3,
                           cell=1500)
    assert sorted(f["properties"]["parcel_id"] for f in fc["features"]) == \
        sorted(plan.sites["parcel_id"])
    assert fc["plan"]["objective"] == pytest.approx(plan.plan.objective, rel=1e-12)
    assert fc["plan"]["model"] == "pmedian" and fc["plan"]["status"] == plan.plan.status
    # lscp needs no k; too short a radius is bad input, said as such
    bad = server.post("/locate", {"profile": "fasilitas_publik", "model": "lscp", "k": None,
                                  "radius": 5, "cell": 1500})
    assert bad.status == 422 and "raise radius" in bad.text
    # good input and no time to solve it: 503, with what to try (documented in OpenAPI)
    late = server.post("/locate", {"profile": "fasilitas_publik", "model": "pmedian", "k": 3,
                                   "cell": 1500, "solver_time_limit": 1e-9})
    assert late.status == 503, late.text
    assert late.json()["error"] == "solver" and "raise time_limit" in late.json()["fix"]
    doc = server.get("/openapi.json").json()
    for path in ("/locate", "/select", "/allocate"):
        assert "503" in doc["paths"][path]["post"]["responses"]


def test_access_equals_python(server, layers):
    from siteplan.locate import access_by_area, access_now

    pois = layers["pois"]
    there = pois.loc[pois["category"] == "puskesmas"].to_crs(4326)
    r = server.post("/access", {"facilities": json.loads(there.to_json(drop_id=True)),
                                "method": "e2sfca", "radius": 2000, "cell": 1000,
                                "threshold": 1e-5})
    assert r.status == 200, r.text
    fc = r.json()
    units = access_now(layers, there.to_crs(layers.crs), method="e2sfca", radius=2000,
                       cell=1000)
    got = np.array([f["properties"]["access"] for f in fc["features"]], dtype=float)
    np.testing.assert_allclose(got, units["access"].to_numpy(dtype=float), rtol=1e-9,
                               atol=1e-15)
    areas = access_by_area(units, threshold=1e-5)
    table = {row["kelurahan"]: row for row in fc["areas"]}
    assert set(table) == set(areas.index)
    for name, row in areas.iterrows():
        assert table[name]["people_below"] == pytest.approx(row["people_below"], rel=1e-9)
    assert 0.0 <= fc["equity"]["share_below"] <= 1.0


def test_map_is_html_in_the_language_asked(server):
    r = server.get("/map/sentra_kuliner?lang=en&top=3")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower() and "leaflet" in r.text.lower()
    assert "Culinary centre for small businesses" in r.text
    r = server.get("/map/sentra_kuliner?lang=fr")
    assert r.status == 422 and "lang" in _problem_text(r)


def test_missing_option_is_passed_to_score(server, layers):
    r = server.post("/score", {"profile": "rth", "missing": "skip"})
    assert r.status == 200, r.text
    _assert_same_result(r.json(), sp.score(layers, "rth", missing="skip"))


def test_brief_is_html(server, expected):
    r = server.get("/brief/rth?top=3&lang=en")
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith("text/html") and "<html" in r.text.lower()
    res = expected["rth"]
    best = res.loc[res["status"] == "scored"].sort_values("rank")["parcel_id"].head(3)
    assert all(str(pid) in r.text for pid in best)
    assert server.get("/brief/taman_bermain").status == 404


def test_allocate_equals_python(server, layers, expected):
    demand = {"rth": 2, "sentra_kuliner": 1}
    r = server.post("/allocate", {"profiles": ["rth", "sentra_kuliner"], "demand": demand})
    assert r.status == 200, r.text
    plan = sp.allocate({"rth": expected["rth"], "sentra_kuliner": expected["sentra_kuliner"]},
                       layers, demand=demand)
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    got = {(f["properties"]["parcel_id"], f["properties"]["use"]) for f in fc["features"]}
    assert got == set(zip(plan["parcel_id"], plan["use"], strict=True))
    assert len(got) == 3
    assert fc["attrs"]["allocation"]["objective"] == plan.attrs["allocation"]["objective"]
    # a demand naming no profile of the request is refused
    r = server.post("/allocate", {"profiles": ["rth"], "demand": {"taman": 1}})
    assert r.status == 422 and "taman" in r.json()["message"]


def test_openapi_lists_every_endpoint(server):
    from siteplan.serve import ENDPOINTS

    doc = server.get("/openapi.json").json()
    listed = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert listed == set(ENDPOINTS)
    assert {p for _, p in ENDPOINTS} == {"/health", "/profiles", "/profiles/{name}",
                                         "/schema/profile", "/score", "/sensitivity",
                                         "/select", "/allocate", "/locate", "/access",
                                         "/map/{profile}", "/brief/{profile}"}
