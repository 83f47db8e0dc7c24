"""The register behind ``siteplan serve --register``: tokens, roles, partners kept apart,
concurrent offers over HTTP (SQLite and a real PostGIS server), hostile text, the OpenAPI
document. Every server is a real ``siteplan serve`` subprocess."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from cikit import require

import siteplan as sp
from siteplan.register import open_register
from siteplan.register.sample import SAMPLE_PARTNERS, sample_register

require("fastapi")
require("uvicorn")

import servekit  # noqa: E402  (tests/ is on sys.path under pytest)
from servekit import free_port  # noqa: E402

PARCEL = "36730400100027"          # rank 1 for sentra_kuliner on the sample
HOSTILE = "Bank '; DROP TABLE offers; -- {{ 6*7 }} <script>alert(1)</script> \"q\" %s ? \\ ü"
BJB = "Bank BJB"


def serve(*args: str):
    """``siteplan serve ARGS`` until the block ends (up: any answer, 401 included)."""
    return servekit.serve(*args, start_timeout=240, up=(200, 400, 401))

def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """The synthetic sample's register with a token of every role (and one per partner)."""
    path = tmp_path_factory.mktemp("season") / "offers.gpkg"
    with sample_register(path) as reg:
        tokens = {"admin": reg.add_token("admin", actor="test"),
                  "planner": reg.add_token("planner", actor="test", name="ani (Bappeda)")}
        for name in SAMPLE_PARTNERS:
            tokens[name] = reg.add_token("partner", actor="test", partner=name)
        offers = reg.offers()
    return path, tokens, offers


@pytest.fixture(scope="module")
def server(season):
    path = season[0]
    with serve("--sample", "--register", str(path), "--workers", "2") as srv:
        yield srv


# ------------------------------------------------------------------ tokens


def test_tokens_are_stored_only_as_salted_hashes(season):
    path, tokens, _ = season
    secrets_ = [t.split("_", 2)[2] for t in tokens.values()]
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table'")]
        for table in tables:   # every value of every table of the register
            for row in conn.execute(f"SELECT * FROM \"{table}\""):   # the file's own names
                text = " ".join(v.hex() + " " + v.decode("latin-1") if isinstance(v, bytes)
                                else str(v) for v in row)
                for token, secret in zip(tokens.values(), secrets_, strict=True):
                    assert token not in text and secret not in text, table
        rows = conn.execute("SELECT key_id, scheme, salt, hash FROM tokens").fetchall()
    finally:
        conn.close()
    assert len(rows) == len(tokens) and len({r[2] for r in rows}) == len(rows)  # own salts
    assert all(r[1].startswith("scrypt:") and len(r[3]) == 64 for r in rows)
    for name in ("offers.gpkg", "offers.gpkg-wal"):   # nor anywhere in the file's bytes
        f = path.parent / name
        if f.exists():
            data = f.read_bytes()
            assert not any(s.encode() in data for s in secrets_)


def test_token_rules_in_the_database(tmp_path):
    with open_register(tmp_path / "o.gpkg") as reg:
        reg.add_partner(BJB, actor="a")
        with pytest.raises(sp.SiteplanInputError, match="needs its partner"):
            reg.add_token("partner", actor="a")
        with pytest.raises(sp.SiteplanInputError, match="unknown role"):
            reg.add_token("root", actor="a")
        with pytest.raises(sp.SiteplanInputError, match="not in the register"):
            reg.add_token("partner", actor="a", partner="Bank X")
        token = reg.add_token("planner", actor="a")
        assert reg.check_token(token).role == "planner"
        assert reg.check_token(token[:-2] + "AA") is None and reg.check_token("x") is None
        reg.revoke_token(token[4:16], actor="a")
        assert reg.check_token(token) is None
        with pytest.raises(sp.SiteplanInputError, match="revoked already"):
            reg.revoke_token(token[4:16], actor="a")
    conn = sqlite3.connect(tmp_path / "o.gpkg")
    try:
        for sql in ("DELETE FROM tokens", "UPDATE tokens SET role = 'admin'",
                    "INSERT INTO tokens (key_id, role, name, scheme, salt, hash, created_at, "
                    "created_by) VALUES ('abcdefabcdef', 'partner', 'x', 's', "
                    "'00000000000000000000000000000000', '" + "0" * 64 + "', 't', 'a')"):
            with pytest.raises(sqlite3.DatabaseError):
                conn.execute(sql)
    finally:
        conn.close()


def test_a_version_1_register_is_upgraded_when_opened(tmp_path, monkeypatch):
    from siteplan.register import _core

    path = tmp_path / "old.gpkg"
    monkeypatch.setattr(_core, "MIGRATIONS", {})
    monkeypatch.setattr(_core, "SCHEMA_VERSION", "1")
    with open_register(path) as reg:
        reg.add_partner(BJB, actor="a")
    monkeypatch.undo()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'tokens'"
                        ).fetchone()[0] == 0
    conn.close()
    with open_register(path) as reg:
        assert reg.meta["schema_version"] == "2" and list(reg.partners()["name"]) == [BJB]
        assert reg.check_token(reg.add_token("admin", actor="a")).role == "admin"
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(sp.SiteplanInputError, match="version '3'.*pip install -U"):
        open_register(path)


def test_cli_token_add_prints_it_once_and_list_never(tmp_path):
    path = tmp_path / "cli.gpkg"
    cmd = [sys.executable, "-m", "siteplan.cli", "register"]
    subprocess.run([*cmd, "init", str(path)], check=True, capture_output=True)
    subprocess.run([*cmd, "partner", str(path), "--name", BJB, "--actor", "ani"], check=True,
                   capture_output=True)
    done = subprocess.run([*cmd, "token", "add", str(path), "--role", "partner", "--partner",
                           BJB, "--actor", "ani"], capture_output=True, text=True, check=True)
    token = done.stdout.strip()
    assert token.startswith("spt_") and "not shown again" in done.stderr
    listed = subprocess.run([*cmd, "token", "list", str(path)], capture_output=True,
                            text=True, check=True).stdout
    assert token[4:16] in listed and token not in listed and BJB in listed
    bad = subprocess.run([*cmd, "token", "add", str(path), "--role", "planner", "--partner",
                          BJB, "--actor", "ani"], capture_output=True, text=True)
    assert bad.returncode == 3 and "belongs to no partner" in bad.stderr


# ------------------------------------------------------------------ the door


def test_register_endpoints_need_a_live_token(server, season):
    tokens = season[1]
    for method, path in (("GET", "/offers"), ("GET", "/offers/1"), ("GET", "/partners"),
                         ("POST", "/offers"), ("GET", "/tokens")):
        r = server.request(method, path, {} if method == "POST" else None)
        assert r.status == 401, path
        assert r.json()["error"] == "unauthorized" and "Bearer" in r.json()["fix"]
        assert r.headers["www-authenticate"].startswith("Bearer")
    for header in ("Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer",
                   "Bearer " + tokens["planner"][:-3] + "abc"):
        r = server.get("/offers", headers={"Authorization": header})
        assert r.status == 401, header
        assert tokens["planner"][20:] not in r.text
    # today's read-only endpoints stay open on loopback; a wrong token is still refused
    assert server.get("/health").status == 200
    assert server.get("/profiles").status == 200
    assert server.get("/profiles", headers={"Authorization": "Bearer x"}).status == 401
    assert server.get("/profiles", headers=bearer(tokens[BJB])).status == 200


def test_roles(server, season):
    tokens = season[1]
    ok = {"admin": {"/partners": 201, "/tokens": 201}, "planner": {"/partners": 403,
                                                                    "/tokens": 403}}
    for role, expect in ok.items():
        r = server.post("/partners", {"name": f"PT Uji {role}"}, headers=bearer(tokens[role]))
        assert r.status == expect["/partners"], r.text
        r = server.post("/tokens", {"role": "planner", "name": f"made by {role}"},
                        headers=bearer(tokens[role]))
        assert r.status == expect["/tokens"], r.text
        if r.status == 201:
            made = r.json()
            assert made["token"].startswith("spt_") and made["shown_once"]
            assert server.get("/offers", headers=bearer(made["token"])).status == 200
            listed = server.get("/tokens", headers=bearer(tokens["admin"])).text
            assert made["token"] not in listed and made["key_id"] in listed
    r = server.post("/partners", {"name": "PT Uji admin"}, headers=bearer(tokens["admin"]))
    assert r.status == 409 and "already" in r.json()["message"]
    r = server.post("/offers/1/advance", {"to": "survei"}, headers=bearer(tokens[BJB]))
    assert r.status == 403 and "partner token may not" in r.json()["message"]


def test_a_partner_sees_only_its_own_offers_on_every_endpoint(server, season):
    tokens, offers = season[1], season[2]
    mine = set(offers.loc[offers["partner"] == BJB, "offer_id"])
    theirs = set(offers["offer_id"]) - mine
    others = [p for p in SAMPLE_PARTNERS if p != BJB]
    assert mine and theirs
    h = bearer(tokens[BJB])
    replies = []
    r = server.get("/offers", headers=h)
    assert r.status == 200
    assert {f["properties"]["offer_id"] for f in r.json()["features"]} == mine
    replies.append(r)
    for state in ("open", "ditawarkan", "beroperasi", "dibatalkan"):
        r = server.get(f"/offers?state={state}", headers=h)
        assert {f["properties"]["partner"] for f in r.json()["features"]} <= {BJB}
        replies.append(r)
    for other in others:    # asking for another partner's offers by name gives nothing
        from urllib.parse import quote

        r = server.get("/offers?partner=" + quote(other, safe=""), headers=h)
        assert r.status == 200 and r.json()["features"] == []
        replies.append(r)
    for oid in mine:
        r = server.get(f"/offers/{oid}", headers=h)
        assert r.status == 200 and r.json()["offer"]["properties"]["partner"] == BJB
        replies.append(r)
    absent = server.get("/offers/999999", headers=h)
    for oid in theirs:      # another partner's offer is answered as one that does not exist
        r = server.get(f"/offers/{oid}", headers=h)
        assert r.status == 404
        assert r.json() == {**absent.json(), "message": absent.json()["message"].replace(
            "999999", str(oid))}
        replies.append(r)
        for path, body in ((f"/offers/{oid}/advance", {"to": "dibatalkan", "note": "x"}),
                           ("/offers", {"profile": "rth", "site": PARCEL, "partner": BJB}),
                           ("/partners", {"name": "PT Baru"}),
                           ("/tokens", {"role": "partner", "partner": BJB})):
            r = server.post(path, body, headers=h)
            assert r.status == 403, path
            replies.append(r)
    r = server.get("/partners", headers=h)
    assert [p["name"] for p in r.json()["partners"]] == [BJB]
    replies.append(r)
    replies.append(server.get("/tokens", headers=h))
    assert replies[-1].status == 403
    # today's endpoints never read the register: no partner's name in them either
    replies.append(server.post("/score", {"profile": "sentra_kuliner", "top": 5}, headers=h))
    replies.append(server.get("/map/sentra_kuliner?top=3", headers=h))
    replies.append(server.get("/brief/sentra_kuliner?top=2", headers=h))
    replies.append(server.get("/health", headers=h))
    assert all(r.status in (200, 403, 404) for r in replies), server.log()[-3000:]
    for r in replies:
        for other in others:
            assert other not in r.text, (other, r.text[:300])


# ------------------------------------------------------------------ offers over HTTP


def test_make_and_advance_an_offer_with_hostile_text(server, season):
    tokens = season[1]
    admin, planner = bearer(tokens["admin"]), bearer(tokens["planner"])
    r = server.post("/partners", {"name": HOSTILE, "note": HOSTILE}, headers=admin)
    assert r.status == 201 and r.json()["partner"]["name"] == HOSTILE
    assert r.json()["partner"]["note"] == HOSTILE
    r = server.post("/tokens", {"role": "planner", "name": HOSTILE}, headers=admin)
    hostile_planner = bearer(r.json()["token"])
    assert r.json()["name"] == HOSTILE
    kuliner = sp.score(sp.load_sample(), "sentra_kuliner")
    held = set(";".join(season[2]["site"]).split(";"))
    kuliner = kuliner.loc[~kuliner["parcel_id"].isin(held)]
    free = kuliner.loc[kuliner["eligible"]].sort_values("rank")["parcel_id"].iloc[5]
    excluded = kuliner.loc[~kuliner["eligible"].astype(bool), "parcel_id"].iloc[0]
    r = server.post("/offers", {"profile": "sentra_kuliner", "site": [free, excluded],
                                "partner": HOSTILE, "note": HOSTILE, "override": HOSTILE,
                                "state": "ditawarkan", "at": "2026-12-02"},
                    headers=hostile_planner)
    assert r.status == 201, r.text
    oid = r.json()["offer"]["properties"]["offer_id"]
    assert r.headers["location"] == f"/offers/{oid}"
    props = r.json()["offer"]["properties"]
    assert props["partner"] == HOSTILE and props["note"] == HOSTILE
    assert props["override_reason"] == HOSTILE and props["state"] == "ditawarkan"
    assert props["created_by"].startswith(HOSTILE) and props["site"] == f"{free};{excluded}"
    r = server.post(f"/offers/{oid}/advance", {"to": "disepakati", "note": HOSTILE,
                                               "agreement_no": HOSTILE,
                                               "agreement_date": "2026-12-10"},
                    headers=planner)
    assert r.status == 200, r.text
    last = r.json()["history"][-1]
    assert last["note"] == HOSTILE and last["agreement_no"] == HOSTILE
    assert last["from_state"] == "ditawarkan" and last["to_state"] == "disepakati"
    assert last["actor"].startswith("ani (Bappeda) (token ")
    assert r.json()["offer"]["properties"]["agreement_no"] == HOSTILE
    # read back: the same text, and in the listing
    got = server.get(f"/offers/{oid}", headers=planner).json()
    assert got["history"][0]["note"] == HOSTILE and got["history"][0]["actor"].startswith(
        HOSTILE)
    listed = server.get("/offers?state=disepakati", headers=planner).json()
    assert HOSTILE in {f["properties"]["partner"] for f in listed["features"]}
    # a move the workflow does not allow names the allowed next states
    r = server.post(f"/offers/{oid}/advance", {"to": "usulan"}, headers=planner)
    assert r.status == 422 and "dibangun, dibatalkan" in r.json()["message"]
    r = server.post("/offers/999999/advance", {"to": "survei"}, headers=planner)
    assert r.status == 404
    # hostile parcel ids and partners are refused naming them, literally
    r = server.post("/offers", {"profile": "rth", "site": HOSTILE, "partner": BJB},
                    headers=planner)
    # named as siteplan names values (quoted, long ones cut), never escaped or run
    assert r.status == 422 and "DROP TABLE offers; -- {{ 6*7 }} <script>alert(1" in \
        json.loads(r.body)["message"]
    r = server.post("/offers", {"profile": "rth", "site": PARCEL, "partner": HOSTILE + "x"},
                    headers=planner)
    assert r.status == 422 and "not in the register" in r.json()["message"]
    r = server.post("/offers", {"profile": "/etc/passwd", "site": PARCEL, "partner": BJB},
                    headers=planner)
    assert r.status == 422


@pytest.fixture(scope="module")
def pg():
    from pgserver import Cluster

    cluster = Cluster()
    yield cluster
    cluster.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgis"])
def test_twenty_concurrent_offers_of_one_parcel_one_wins(backend, tmp_path, request):
    target = str(tmp_path / "offers.gpkg") if backend == "sqlite" else \
        request.getfixturevalue("pg").new_database()
    with open_register(target) as reg:
        partners = ["Bank BJB", "Bank Indonesia Banten", "PT Serang Sosor"]
        for name in partners:
            reg.add_partner(name, actor="test")
        token = reg.add_token("planner", actor="test")
    with serve("--sample", "--register", target, "--workers", "4") as srv:
        replies = [None] * 20
        gate = threading.Barrier(20)

        def post(i: int) -> None:
            gate.wait()
            replies[i] = srv.post("/offers", {"profile": "sentra_kuliner", "site": PARCEL,
                                              "partner": partners[i % 3],
                                              "note": f"attempt {i}"}, headers=bearer(token))

        threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        statuses = sorted(r.status for r in replies)
        assert statuses == [201] + [409] * 19, [r.text[:200] for r in replies]
        won = next(r for r in replies if r.status == 201).json()["offer"]["properties"]
        holder = f"held by offer {won['offer_id']} to {won['partner']} for sentra_kuliner"
        for r in replies:
            if r.status == 409:
                body = r.json()
                assert body["error"] == "offer_conflict" and holder in body["message"]
                assert PARCEL in body["problems"][0]["what"]
    with open_register(target) as reg:
        assert len(reg.offers()) == 1 and len(reg.events()) == 1
        assert list(reg.held()["parcel_id"]) == [PARCEL]
        if backend == "postgis":   # the hashes, not the token, in PostgreSQL too
            import psycopg

            with psycopg.connect(target) as conn:
                rows = conn.execute("SELECT key_id, salt, hash FROM tokens").fetchall()
            assert len(rows) == 1 and token.split("_", 2)[2] not in " ".join(rows[0])
            assert reg.meta["schema_version"] == "2"


# ------------------------------------------------------------------ other machines


def test_a_non_loopback_host_needs_a_register_and_tokens_everywhere(season):
    path, tokens, _ = season
    cmd = [sys.executable, "-m", "siteplan.cli", "serve", "--sample", "--host", "0.0.0.0",
           "--port", str(free_port())]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--register" in done.stderr
    with serve("--sample", "--host", "0.0.0.0", "--register", str(path), "--workers",
               "1") as srv:
        for method, p in (("GET", "/health"), ("GET", "/profiles"), ("GET", "/profiles/rth"),
                          ("GET", "/schema/profile"), ("POST", "/score"),
                          ("GET", "/map/rth"), ("GET", "/brief/rth"), ("GET", "/offers"),
                          ("GET", "/nowhere")):
            body = {"profile": "rth", "top": 1} if method == "POST" else None
            r = srv.request(method, p, body)
            assert r.status == 401, p
            r = srv.request(method, p, body, headers=bearer(tokens[BJB]))
            assert r.status == (404 if p == "/nowhere" else 200), p
        assert srv.get("/openapi.json").status == 200    # the API's description, no data
        doc = srv.get("/openapi.json").json()
        assert doc["paths"]["/health"]["get"]["security"] == [{"bearer": []}]
        assert "every endpoint needs a token" in srv.log()


def test_create_app_refuses_required_tokens_without_a_register():
    from siteplan.serve import create_app

    with pytest.raises(sp.SiteplanInputError, match="require_tokens needs a register"):
        create_app(sp.load_sample(), warm=False, require_tokens=True)
    with pytest.raises(sp.SiteplanInputError, match="does not exist"):
        create_app(sp.load_sample(), warm=False, register=str(Path(tempfile.gettempdir())
                                                              / "no-such-register.gpkg"))


# ------------------------------------------------------------------ the document


def test_openapi_lists_the_register_endpoints_and_their_answers(server):
    from siteplan.serve import ENDPOINTS
    from siteplan.serve._offer_routes import OFFER_ENDPOINTS

    doc = server.get("/openapi.json").json()
    listed = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert listed == set(ENDPOINTS) | set(OFFER_ENDPOINTS)
    paths = doc["paths"]
    for method, path in OFFER_ENDPOINTS:
        op = paths[path][method.lower()]
        assert {"401", "403", "422", "500"} <= set(op["responses"]), path
        assert op["security"] == [{"bearer": []}]
    assert "409" in paths["/offers"]["post"]["responses"]
    assert "201" in paths["/offers"]["post"]["responses"]
    assert "404" in paths["/offers/{offer_id}"]["get"]["responses"]
    assert "404" in paths["/offers/{offer_id}/advance"]["post"]["responses"]
    assert paths["/score"]["post"]["security"] == [{}, {"bearer": []}]   # open on loopback
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
