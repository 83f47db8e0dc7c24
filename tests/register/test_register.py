"""The site-offer register on SQLite and on a real PostGIS server: the workflow, the rules
the database enforces, concurrent writers, hostile text, a crash in the middle of writing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

import siteplan as sp
from siteplan.register import OfferConflictError, open_register
from siteplan.register.models import CLOSED, HOLDING, STATES, next_states

PARCEL = "36730400100027"          # rank 1 for sentra_kuliner on the sample
OTHER = "36730400100040"           # rank 2
HOSTILE = "Bank '; DROP TABLE offers; -- {{ 6*7 }} <script>alert(1)</script> \"q\" %s ? \\"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kuliner(sample_layers):
    return sp.score(sample_layers, "sentra_kuliner")


@pytest.fixture(scope="session")
def pg():
    """One throwaway PostGIS server for the session (tests/support/pgserver.py), stopped at
    the end."""
    from pgserver import Cluster

    cluster = Cluster()
    yield cluster
    cluster.close()


@pytest.fixture(params=["sqlite", "postgis"])
def target(request, tmp_path):
    """Where a new register goes: a file, or a fresh database on the test server."""
    if request.param == "sqlite":
        return str(tmp_path / "offers.gpkg")
    return request.getfixturevalue("pg").new_database()


@pytest.fixture
def reg(target):
    r = open_register(target)
    r.add_partner("Bank BJB", actor="ani")
    r.add_partner("Bank Indonesia Banten", actor="ani")
    yield r
    r.close()


def _raw(reg):
    """A plain connection to the register's database, as another program would have."""
    if reg._db.name == "sqlite":
        conn = sqlite3.connect(reg._db.path, isolation_level=None, timeout=30)
        return conn, sqlite3.DatabaseError, "?"
    import psycopg

    conn = psycopg.connect(reg._db.conn.info.dsn, autocommit=True)
    return conn, psycopg.Error, "%s"


# ------------------------------------------------------------------ the workflow


def test_workflow_table_is_the_documented_one():
    assert list(STATES) == ["usulan", "ditawarkan", "survei", "disepakati", "dibangun",
                            "beroperasi", "ditolak", "dibatalkan"]
    assert set(CLOSED) == {"ditolak", "dibatalkan"} and "beroperasi" in HOLDING
    assert next_states("usulan") == ["ditawarkan", "ditolak", "dibatalkan"]
    assert next_states("disepakati") == ["dibangun", "dibatalkan"]
    for closed in CLOSED + ("beroperasi",):
        assert next_states(closed) == []
    # the SQL's own checks name the states that need an agreement or a reason
    for name in ("schema_sqlite.sql", "schema_postgis.sql"):
        text = (ROOT / "siteplan" / "register" / name).read_text()
        assert "to_state <> 'disepakati'" in text
        assert "to_state NOT IN ('ditolak', 'dibatalkan')" in text
    assert [s for s in STATES if STATES[s].needs_agreement] == ["disepakati"]
    assert [s for s in STATES if STATES[s].needs_reason] == ["ditolak", "dibatalkan"]


def test_a_season_of_moves_is_kept_as_events(reg, kuliner):
    oid = reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani", at="2026-10-06")
    reg.advance(oid, "ditawarkan", actor="ani", note="surat 012/2026", at="2026-12-01")
    reg.advance(oid, "survei", actor="budi", at="2026-12-10")
    reg.advance(oid, "disepakati", actor="ani", agreement_no="PKS/017/2027",
                agreement_date="2027-01-15", at="2027-01-15")
    reg.advance(oid, "dibangun", actor="ani", at="2027-03-01")
    assert reg.advance(oid, "beroperasi", actor="ani", at="2027-09-01") == "beroperasi"
    h = reg.history(oid)
    assert list(h["from_state"]) == ["", "usulan", "ditawarkan", "survei", "disepakati",
                                     "dibangun"]
    assert list(h["to_state"]) == ["usulan", "ditawarkan", "survei", "disepakati", "dibangun",
                                   "beroperasi"]
    assert list(h["actor"]) == ["ani", "ani", "budi", "ani", "ani", "ani"]
    assert h["at"].iloc[1] == pd.Timestamp("2026-12-01", tz="UTC")
    assert h["agreement_no"].iloc[3] == "PKS/017/2027"
    assert h["agreement_date"].iloc[3] == "2027-01-15"
    off = reg.offers()
    assert len(off) == 1 and off["state"].iat[0] == "beroperasi" and off["holds"].iat[0]
    assert off["agreement_no"].iat[0] == "PKS/017/2027"
    assert off["since"].iat[0] == pd.Timestamp("2027-09-01", tz="UTC")
    # the snapshot: score, rank and profile when offered
    row = kuliner.loc[kuliner["parcel_id"] == PARCEL].iloc[0]
    assert off["score"].iat[0] == pytest.approx(float(row["score"]), abs=1e-9)
    assert int(off["rank"].iat[0]) == int(row["rank"]) == 1
    assert off["profile"].iat[0] == "sentra_kuliner" and len(off["profile_version"].iat[0]) == 16
    assert off["siteplan_version"].iat[0] == sp.__version__
    assert off.crs.to_epsg() == 32748
    assert off.geometry.iat[0].equals_exact(row.geometry, 1e-6)


@pytest.mark.parametrize("start,to", [
    (s, t) for s in STATES for t in STATES if t not in next_states(s)])
def test_every_move_outside_the_workflow_is_refused(tmp_path, kuliner, start, to):
    reg = open_register(tmp_path / "r.gpkg")
    reg.add_partner("Bank BJB", actor="ani")
    path = {"usulan": [], "ditawarkan": ["ditawarkan"], "survei": ["ditawarkan", "survei"],
            "disepakati": ["ditawarkan", "disepakati"],
            "dibangun": ["ditawarkan", "disepakati", "dibangun"],
            "beroperasi": ["ditawarkan", "disepakati", "dibangun", "beroperasi"],
            "ditolak": ["ditolak"], "dibatalkan": ["dibatalkan"]}[start]
    oid = reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani")
    for s in path:
        reg.advance(oid, s, actor="ani", note="reason", agreement_no="PKS/1",
                    agreement_date="2026-12-01")
    allowed = next_states(start)
    with pytest.raises(sp.SiteplanInputError, match=f"offer {oid} is '{start}'; it cannot "
                       f"move to '{to}'") as err:
        reg.advance(oid, to, actor="ani", note="reason", agreement_no="PKS/1",
                    agreement_date="2026-12-01")
    fix = err.value.problems[0].fix
    assert (", ".join(allowed) in fix) if allowed else ("final" in fix)
    assert len(reg.history(oid)) == len(path) + 1      # nothing appended
    reg.close()


def test_the_database_itself_refuses_moves_outside_the_workflow(reg, kuliner):
    oid = reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani")
    conn, error, p = _raw(reg)
    insert = ("INSERT INTO events (offer_id, at, actor, from_state, to_state) "
              f"VALUES ({p}, {p}, {p}, {p}, {p})")
    for frm, to in [("usulan", "beroperasi"), ("usulan", "disepakati"),
                    ("ditawarkan", "survei"), ("", "usulan")]:
        with pytest.raises(error, match="siteplan: |agreement"):
            conn.execute(insert, (oid, "2026-12-01T00:00:00+00:00", "x", frm, to))
    # an allowed move by hand works, and the offer's state follows it
    conn.execute(insert, (oid, "2026-12-01T00:00:00+00:00", "x", "usulan", "ditawarkan"))
    assert reg.offers()["state"].iat[0] == "ditawarkan"
    conn.close()


def test_agreement_and_closing_need_their_facts(reg, kuliner):
    oid = reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani", state="ditawarkan")
    with pytest.raises(sp.SiteplanInputError, match="needs the agreement's number and date"):
        reg.advance(oid, "disepakati", actor="ani", agreement_no="PKS/1")
    with pytest.raises(sp.SiteplanInputError, match="'ditolak' needs the reason"):
        reg.advance(oid, "ditolak", actor="ani", note="  ")
    with pytest.raises(sp.SiteplanInputError, match="actor is empty"):
        reg.advance(oid, "survei", actor=" ")
    with pytest.raises(sp.SiteplanInputError, match="unknown state 'built'.*usulan"):
        reg.advance(oid, "built", actor="ani")
    with pytest.raises(sp.SiteplanInputError, match="no offer 999"):
        reg.advance(999, "survei", actor="ani")
    with pytest.raises(sp.SiteplanInputError, match="before the offer's last event"):
        reg.advance(oid, "survei", actor="ani", at="2001-01-01")
    conn, error, p = _raw(reg)
    with pytest.raises(error, match="agreement_needs_number_and_date|CHECK"):
        conn.execute("INSERT INTO events (offer_id, at, actor, from_state, to_state) VALUES "
                     f"({p}, {p}, {p}, {p}, {p})", (oid, "2030-01-01T00:00:00+00:00", "x",
                                                    "ditawarkan", "disepakati"))
    with pytest.raises(error, match="closing_needs_reason|CHECK"):
        conn.execute("INSERT INTO events (offer_id, at, actor, from_state, to_state) VALUES "
                     f"({p}, {p}, {p}, {p}, {p})", (oid, "2030-01-01T00:00:00+00:00", "x",
                                                    "ditawarkan", "dibatalkan"))
    conn.close()
    assert len(reg.history(oid)) == 1


def test_history_is_never_rewritten(reg, kuliner):
    oid = reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani")
    reg.advance(oid, "ditawarkan", actor="ani")
    before = reg.history(oid)
    conn, error, p = _raw(reg)
    attempts = [
        ("UPDATE events SET note = 'rewritten'", "only appended"),
        ("UPDATE events SET to_state = 'beroperasi'", "only appended"),
        ("DELETE FROM events", "only appended"),
        ("DELETE FROM offers", "never deleted"),
        ("DELETE FROM offer_parcels", "never deleted"),
        ("DELETE FROM partners", "never deleted"),
        ("UPDATE offers SET state = 'beroperasi'", "only by appending an event"),
        ("UPDATE offers SET score = 99", "only by appending an event"),
        ("UPDATE offer_parcels SET holds = 0" if reg._db.name == "sqlite" else
         "UPDATE offer_parcels SET holds = false", "change only with its state"),
        (f"INSERT INTO offer_parcels (offer_id, parcel_id) VALUES ({oid}, 'x')",
         "only when it is made"),
    ]
    if reg._db.name == "postgis":
        attempts.append(("TRUNCATE events CASCADE", "never deleted"))
    for sql, message in attempts:
        with pytest.raises(error, match=message):
            conn.execute(sql)
    conn.close()
    pd.testing.assert_frame_equal(reg.history(oid), before)
    assert reg.offers()["state"].iat[0] == "ditawarkan"


# ------------------------------------------------------------------ one open offer per parcel


def test_a_held_parcel_cannot_be_offered_again_until_the_offer_closes(reg, kuliner):
    oid = reg.offer(kuliner, [PARCEL, OTHER], partner="Bank BJB", actor="ani",
                    state="ditawarkan", at="2026-12-01")
    with pytest.raises(OfferConflictError, match=f"parcel {OTHER} is held by offer {oid} to Bank "
                       "BJB for sentra_kuliner \\(ditawarkan since 2026-12-01\\)"):
        reg.offer(kuliner, OTHER, partner="Bank Indonesia Banten", actor="budi")
    assert len(reg.offers()) == 1
    reg.advance(oid, "ditolak", actor="ani", note="partner chose another site")
    assert reg.held().empty
    second = reg.offer(kuliner, OTHER, partner="Bank Indonesia Banten", actor="budi")
    assert list(reg.held()["offer_id"]) == [second]
    parts = reg.offer_parcels()
    assert parts.loc[parts["offer_id"] == oid, "holds"].tolist() == [False, False]


def test_the_database_itself_keeps_one_open_offer_per_parcel(reg, kuliner):
    oid = reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani")
    conn, error, p = _raw(reg)
    conn.execute("INSERT INTO offers (partner_id, site, profile, profile_version, method, "
                 "siteplan_version, state, created_at, created_by) VALUES "
                 f"(1, 'x', 'rth', 'v', 'wlc', 'v', 'usulan', {p}, 'x')",
                 ("2026-12-01T00:00:00+00:00",))
    new = conn.execute("SELECT max(id) FROM offers").fetchone()[0]
    assert new != oid
    with pytest.raises(error, match="UNIQUE|one_open_offer_per_parcel|duplicate"):
        conn.execute(f"INSERT INTO offer_parcels (offer_id, parcel_id) VALUES ({p}, {p})",
                     (new, PARCEL))
    conn.close()


def _race(target: str, kuliner, n: int = 20) -> list:
    """``n`` writers, each with its own connection, offer the same parcel at once."""
    with open_register(target) as r:
        for i in range(n):
            r.add_partner(f"partner {i}", actor="ani")
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def attempt(i: int) -> None:
        with open_register(target) as mine:
            barrier.wait()
            try:
                outcomes[i] = mine.offer(kuliner, PARCEL, partner=f"partner {i}",
                                         actor=f"writer {i}")
            except OfferConflictError as exc:
                outcomes[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def test_twenty_concurrent_writers_exactly_one_wins(target, kuliner):
    outcomes = _race(target, kuliner)
    wins = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, OfferConflictError)]
    assert len(wins) == 1 and len(refused) == 19, outcomes
    with open_register(target) as r:
        held = r.held()
        winner = r.offers()
    assert list(held["parcel_id"]) == [PARCEL] and list(held["offer_id"]) == wins
    assert len(winner) == 1                      # the losers left no offer behind
    holder = winner["partner"].iat[0]
    for exc in refused:
        assert f"parcel {PARCEL} is held by offer {wins[0]} to {holder}" in str(exc)


def test_concurrent_writers_in_separate_processes(target, kuliner, tmp_path):
    """Processes, not threads: each its own interpreter and connection."""
    with open_register(target) as r:
        for i in range(6):
            r.add_partner(f"p{i}", actor="ani")
    kuliner.to_pickle(tmp_path / "result.pkl")
    go = tmp_path / "go"
    script = textwrap.dedent(f"""
        import pathlib, sys, time, pandas as pd
        from siteplan.register import open_register, OfferConflictError
        result = pd.read_pickle({str(tmp_path / 'result.pkl')!r})
        reg = open_register({target!r})
        pathlib.Path({str(tmp_path)!r}, "ready" + sys.argv[1]).touch()
        go = pathlib.Path({str(go)!r})
        while not go.exists():             # every writer ready: all offer at once
            time.sleep(0.001)
        try:
            print("won", reg.offer(result, {PARCEL!r}, partner="p" + sys.argv[1], actor="w"))
        except OfferConflictError as exc:
            print("refused", exc)
    """)
    import time

    procs = [subprocess.Popen([sys.executable, "-c", script, str(i)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(6)]
    deadline = time.monotonic() + 120
    while (sum((tmp_path / f"ready{i}").exists() for i in range(6)) < 6
           and all(p.poll() is None for p in procs) and time.monotonic() < deadline):
        time.sleep(0.01)
    go.touch()
    outs = [p.communicate(timeout=180) for p in procs]
    lines = [o[0].strip() for o in outs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert sum(x.startswith("won") for x in lines) == 1, lines
    assert sum(x.startswith("refused") and "is held by offer" in x for x in lines) == 5, lines


# ------------------------------------------------------------------ exclusions and overrides


def test_an_excluded_parcel_needs_an_override_with_a_reason(reg, kuliner):
    bad = kuliner.loc[~kuliner["eligible"]].iloc[0]
    pid = str(bad["parcel_id"])
    with pytest.raises(sp.SiteplanInputError, match=f"excluded parcel\\(s\\) for profile "
                       f"'sentra_kuliner': {pid} \\(") as err:
        reg.offer(kuliner, pid, partner="Bank BJB", actor="ani")
    assert "override=" in err.value.problems[0].fix
    with pytest.raises(sp.SiteplanInputError, match="override is empty"):
        reg.offer(kuliner, pid, partner="Bank BJB", actor="ani", override=" ")
    oid = reg.offer(kuliner, pid, partner="Bank BJB", actor="ani",
                    override="Walikota asked for this site")
    off = reg.offers()
    assert off["override_reason"].iat[0] == "Walikota asked for this site"
    parts = reg.offer_parcels()
    assert parts["excluded_by"].iat[0] == str(bad["excluded_by"])
    assert parts["override_reason"].iat[0] == "Walikota asked for this site"
    assert pd.isna(off["score"].iat[0]) and off["offer_id"].iat[0] == oid
    conn, error, p = _raw(reg)
    conn.execute("INSERT INTO offers (partner_id, site, profile, profile_version, method, "
                 "siteplan_version, state, created_at, created_by) VALUES "
                 f"(1, 'x', 'rth', 'v', 'wlc', 'v', 'usulan', {p}, 'x')",
                 ("2026-12-01T00:00:00+00:00",))
    new = conn.execute("SELECT max(id) FROM offers").fetchone()[0]
    with pytest.raises(error, match="excluded_needs_override|CHECK"):
        conn.execute("INSERT INTO offer_parcels (offer_id, parcel_id, excluded_by) VALUES "
                     f"({p}, 'other', 'outside sawah')", (new,))
    conn.close()


def test_bad_offers_are_clear_errors(reg, kuliner):
    with pytest.raises(sp.SiteplanInputError, match="partner 'Bank X' is not in the register "
                       "\\(it has: 'Bank BJB', 'Bank Indonesia Banten'\\)"):
        reg.offer(kuliner, PARCEL, partner="Bank X", actor="ani")
    with pytest.raises(sp.SiteplanInputError, match="parcel\\(s\\) 'nope' not in the result"):
        reg.offer(kuliner, ["nope"], partner="Bank BJB", actor="ani")
    with pytest.raises(sp.SiteplanInputError, match="cannot start in state 'disepakati'"):
        reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani", state="disepakati")
    with pytest.raises(sp.SiteplanInputError, match="site must be a parcel id"):
        reg.offer(kuliner, [], partner="Bank BJB", actor="ani")
    with pytest.raises(sp.SiteplanInputError, match="has no record"):
        reg.offer(pd.DataFrame({"parcel_id": [PARCEL]}), PARCEL, partner="Bank BJB",
                  actor="ani")
    with pytest.raises(sp.SiteplanInputError, match="already in the register"):
        reg.add_partner("Bank BJB", actor="ani")
    assert reg.offers().empty


# ------------------------------------------------------------------ hostile text


def test_hostile_text_in_every_field_comes_back_literally(reg, kuliner):
    res = kuliner.copy()
    i = res.index[res["parcel_id"] == PARCEL][0]
    res["parcel_id"] = res["parcel_id"].astype(object)
    res.loc[i, "parcel_id"] = HOSTILE + " parcel"
    ex = res.index[~res["eligible"]][0]
    reg.add_partner(HOSTILE, actor=HOSTILE + " actor", note=HOSTILE + " note")
    oid = reg.offer(res, [HOSTILE + " parcel", str(res.at[ex, "parcel_id"])], partner=HOSTILE,
                    actor=HOSTILE + " actor", note=HOSTILE + " offer", override=HOSTILE + " why")
    reg.advance(oid, "ditawarkan", actor=HOSTILE, note=HOSTILE + " n1")
    reg.advance(oid, "disepakati", actor=HOSTILE, agreement_no=HOSTILE + " pks",
                agreement_date="2026-12-01")
    partners = reg.partners()
    row = partners.loc[partners["name"] == HOSTILE].iloc[0]
    assert row["note"] == HOSTILE + " note" and row["created_by"] == HOSTILE + " actor"
    off = reg.offers().iloc[0]
    assert off["partner"] == HOSTILE
    assert off["site"].startswith(HOSTILE + " parcel;")
    parts = reg.offer_parcels()
    assert parts.loc[parts["offer_id"] == oid, "parcel_id"].tolist() == sorted(
        [HOSTILE + " parcel", str(res.at[ex, "parcel_id"])])
    assert parts["override_reason"].dropna().tolist() == [HOSTILE + " why"]
    assert off["note"] == HOSTILE + " offer" and off["override_reason"] == HOSTILE + " why"
    assert off["created_by"] == HOSTILE + " actor" and off["agreement_no"] == HOSTILE + " pks"
    h = reg.history(oid)
    assert list(h["note"]) == [HOSTILE + " offer", HOSTILE + " n1", ""]
    assert list(h["actor"]) == [HOSTILE + " actor", HOSTILE, HOSTILE]
    assert h["agreement_no"].iat[2] == HOSTILE + " pks"
    assert HOSTILE + " parcel" in set(reg.held()["parcel_id"])
    assert reg.offers(partner=HOSTILE)["offer_id"].tolist() == [oid]
    with pytest.raises(OfferConflictError, match="held by offer"):
        reg.offer(res, HOSTILE + " parcel", partner="Bank BJB", actor="x")
    # the tables are all still there
    assert len(reg.partners()) == 3 and len(reg.events()) == 3


def test_text_that_cannot_be_stored_is_refused(reg, kuliner):
    with pytest.raises(sp.SiteplanInputError, match="lone surrogate"):
        reg.add_partner("Bank \ud800", actor="ani")
    with pytest.raises(sp.SiteplanInputError, match="NUL"):
        reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani", note="a\x00b")
    with pytest.raises(sp.SiteplanInputError, match="actor must be text, got 3"):
        reg.offer(kuliner, PARCEL, partner="Bank BJB", actor=3)
    with pytest.raises(sp.SiteplanInputError, match="more than 10,000"):
        reg.add_partner("x" * 10_001, actor="ani")


# ------------------------------------------------------------------ opening and crashes


def test_opening_errors_name_the_target_and_the_fix(tmp_path):
    with pytest.raises(sp.SiteplanInputError, match="does not exist.*register init"):
        open_register(tmp_path / "none.gpkg", create=False)
    other = tmp_path / "parcels.gpkg"
    sp.load_sample()["parcels"].head(2).to_file(other)
    with pytest.raises(sp.SiteplanInputError, match="not a siteplan register"):
        open_register(other)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(sp.SiteplanInputError, match="cannot be read as a register"):
        open_register(junk)
    with pytest.raises(sp.SiteplanInputError, match="is a folder"):
        open_register(tmp_path)
    with pytest.raises(sp.SiteplanInputError, match="srid must be an EPSG code"):
        open_register(tmp_path / "x.gpkg", srid=True)
    with pytest.raises(sp.SiteplanInputError, match="cannot connect to postgresql://"
                       "nobody@127.0.0.1:1/none"):
        open_register("postgresql://nobody:secret@127.0.0.1:1/none")


def test_password_never_appears_in_messages():
    with pytest.raises(sp.SiteplanInputError) as err:
        open_register("postgresql://nobody:s3cr3t-pw@127.0.0.1:1/none")
    assert "s3cr3t-pw" not in str(err.value)


def test_the_sqlite_register_is_a_geopackage_qgis_opens(tmp_path, kuliner):
    import pyogrio

    reg = open_register(tmp_path / "offers.gpkg")
    reg.add_partner("Bank BJB", actor="ani")
    reg.offer(kuliner, PARCEL, partner="Bank BJB", actor="ani", state="ditawarkan")
    layers = dict(pyogrio.list_layers(reg._db.path))
    assert set(layers) == {"offers", "partners", "events"} and layers["offers"] is not None
    off = pyogrio.read_dataframe(reg._db.path, layer="offers")
    assert off.crs.to_epsg() == 32748 and off["state"].tolist() == ["ditawarkan"]
    assert off.geometry.iat[0].equals_exact(reg.offers().geometry.iat[0], 1e-9)
    conn = sqlite3.connect(reg._db.path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    reg.close()


_WRITER = textwrap.dedent("""
    import sys, pandas as pd
    from siteplan.register import open_register
    result = pd.read_pickle(sys.argv[2])
    ids = result.loc[result["eligible"], "parcel_id"].astype(str).tolist()
    ids = ids[: len(ids) // 2]
    reg = open_register(sys.argv[1])
    print("ready", flush=True)
    last = None
    k = 0
    while True:  # writes until it is killed, however fast the machine is
        pid = ids[k % len(ids)]
        if last is not None:
            reg.advance(last, "dibatalkan", actor="w", note="again")
        oid = reg.offer(result, [pid], partner="Bank BJB", actor="w", note="n" * 2000)
        reg.advance(oid, "ditawarkan", actor="w")
        last = oid
        k += 1
        print(k, flush=True)
""")


def _consistent(reg) -> None:
    """Every offer has its parcels and events, its state is its last event's, and its
    parcels are held exactly when its state holds."""
    off = reg.offers()
    ev = reg.events()
    parts = reg.offer_parcels()
    assert set(off["offer_id"]) == set(ev["offer_id"]) == set(parts["offer_id"])
    last = ev.groupby("offer_id")["to_state"].last()
    assert (off.set_index("offer_id")["state"] == last.reindex(off["offer_id"])).all()
    holds = off.set_index("offer_id")["holds"]
    assert (parts["holds"].to_numpy() == holds.reindex(parts["offer_id"]).to_numpy()).all()
    assert not reg.held()["parcel_id"].duplicated().any()


def test_a_writer_killed_mid_write_leaves_no_half_offer(tmp_path, kuliner):
    """SQLite: the writing process is killed (SIGKILL) while it writes."""
    import time

    path = tmp_path / "offers.gpkg"
    with open_register(path) as r:
        r.add_partner("Bank BJB", actor="ani")
    kuliner.to_pickle(tmp_path / "result.pkl")
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path),
                             str(tmp_path / "result.pkl")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    while int(proc.stdout.readline()) < 20:  # some writes done, the next one under way
        pass
    time.sleep(0.05)
    proc.kill()
    proc.communicate(timeout=30)
    with open_register(path, create=False) as r:
        assert len(r.offers()) > 0
        _consistent(r)
        left = kuliner.loc[kuliner["eligible"], "parcel_id"].astype(str)
        free = left[~left.isin(set(r.offer_parcels()["parcel_id"]))]
        r.offer(kuliner, free.iat[0], partner="Bank BJB", actor="after")
        _consistent(r)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_postgis_server_killed_mid_write_restarts_consistent(tmp_path, kuliner):
    """PostgreSQL: the server and its backends get SIGKILL while a client writes."""
    import time

    from pgserver import Cluster

    cluster = Cluster()
    try:
        url = cluster.new_database()
        with open_register(url) as r:
            r.add_partner("Bank BJB", actor="ani")
        kuliner.to_pickle(tmp_path / "result.pkl")
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, url,
                                 str(tmp_path / "result.pkl")], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.5)
        cluster.kill()
        proc.communicate(timeout=60)
        assert proc.returncode != 0               # the client saw its server die
        cluster.start()
        with open_register(url, create=False) as r:
            assert len(r.offers()) > 0
            _consistent(r)
            left = kuliner.loc[kuliner["eligible"], "parcel_id"].astype(str)
            free = left[~left.isin(set(r.offer_parcels()["parcel_id"]))]
            r.offer(kuliner, free.iat[0], partner="Bank BJB", actor="after restart")
            _consistent(r)
    finally:
        cluster.close()
