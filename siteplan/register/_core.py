"""The register: partners, offers, the moves of each offer, read back as tables.

One class over two databases (SQLite/GeoPackage and PostgreSQL/PostGIS).
Every statement is fixed text with placeholders; every value is a parameter.
Python checks each call first and says what to do; the database enforces the
same rules again, so a second writer, another program or a hand-written SQL
statement cannot break them either.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError, raise_if_problems
from .._version import __version__
from ..limits import show
from .models import (
    BUILT,
    FIRST_STATES,
    STATES,
    TRANSITIONS,
    date_text,
    finite_or_none,
    next_states,
    profile_version,
    text_field_problems,
    utc_text,
)
from .tokens import (
    ROLES,
    SCHEME,
    Principal,
    hash_secret,
    new_token,
    parse_token,
    verify_secret,
)

__all__ = ["Register", "OfferConflictError", "SCHEMA_VERSION", "MIGRATIONS", "principal_of"]

log = logging.getLogger(__name__)

#: the version of the tables: an older register is upgraded when opened, a newer one refused
SCHEMA_VERSION = "2"
#: version -> (the next version, its SQL file per database: ``migrate_<to>_<db>.sql``);
#: version 2 adds the service's tokens
MIGRATIONS: dict[str, str] = {"1": "2"}
_WHERE = "register"

_Q = {
    "partner_id": "SELECT id FROM partners WHERE name = ?",
    "partners": "SELECT id, name, note, created_at, created_by FROM partners ORDER BY id",
    "add_partner": "INSERT INTO partners (name, note, created_at, created_by) "
                   "VALUES (?, ?, ?, ?) RETURNING id",
    "add_parcel": "INSERT INTO offer_parcels (offer_id, parcel_id, score, rank, excluded_by, "
                  "override_reason) VALUES (?, ?, ?, ?, ?, ?)",
    "add_event": "INSERT INTO events (offer_id, at, actor, from_state, to_state, note, "
                 "agreement_no, agreement_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    "state": "SELECT o.state, (SELECT at FROM events e WHERE e.offer_id = o.id ORDER BY e.id "
             "DESC LIMIT 1) FROM offers o WHERE o.id = ?",
    "holders": "SELECT op.parcel_id, o.id, p.name, o.profile, o.state, (SELECT at FROM events "
               "e WHERE e.offer_id = o.id ORDER BY e.id DESC LIMIT 1) FROM offer_parcels op "
               "JOIN offers o ON o.id = op.offer_id JOIN partners p ON p.id = o.partner_id "
               "WHERE op.holds = ? ORDER BY op.parcel_id",
    "history": "SELECT id, offer_id, at, recorded_at, actor, from_state, to_state, note, "
               "agreement_no, agreement_date FROM events WHERE offer_id = ? ORDER BY id",
    "events": "SELECT id, offer_id, at, recorded_at, actor, from_state, to_state, note, "
              "agreement_no, agreement_date FROM events ORDER BY id",
    "meta": "SELECT key, value FROM meta",
    "add_meta": "INSERT INTO meta (key, value) VALUES (?, ?)",
    "add_state": "INSERT INTO states (name, ord, holds) VALUES (?, ?, ?)",
    "add_move": "INSERT INTO transitions (from_state, to_state) VALUES (?, ?)",
    "offer_parcels": "SELECT offer_id, parcel_id, holds, score, rank, excluded_by, "
                     "override_reason FROM offer_parcels ORDER BY offer_id, parcel_id",
}
_OFFER_COLUMNS = ["offer_id", "partner", "site", "profile", "profile_version", "method",
                  "siteplan_version", "score", "rank", "state", "since", "created_at",
                  "created_by", "note", "override_reason", "agreement_no", "agreement_date"]


class OfferConflictError(SiteplanInputError):
    """A parcel asked for is already held by another open offer (HTTP 409 in a service)."""


class Register:
    """The site-offer register: which site the city offers to which partner, and how far.

    Open one with :func:`siteplan.open_register`. Every writing call names
    its ``actor``; every change is an event appended to the offer's history.
    Use it as a context manager, or call :meth:`close`. One object per thread
    or process (each holds its own database connection).
    """

    def __init__(self, backend: Any):
        self._db = backend
        meta = dict(backend.read(_Q["meta"]))
        if meta.get("schema_version") != SCHEMA_VERSION:
            backend.close()
            raise SiteplanInputError(Problem(
                _WHERE, f"{backend.label} holds register tables of version "
                f"{meta.get('schema_version')!r}; this siteplan reads version {SCHEMA_VERSION}"
                f" (and upgrades {', '.join(sorted(MIGRATIONS))})",
                "open it with a siteplan as new as the one that wrote it (pip install -U "
                "siteplan), or export it and start a new register"))
        self.srid = int(meta["srid"])
        self.meta = meta

    # ------------------------------------------------------------------ opening
    @classmethod
    def create_or_open(cls, backend: Any, *, create: bool, srid: int,
                       synthetic: bool = False) -> Register:
        """Make the tables when the database holds none (and ``create``), then open."""
        if not backend.has_schema():
            if not create:
                backend.close()
                raise SiteplanInputError(Problem(
                    _WHERE, f"{backend.label} holds no register",
                    "make one with `siteplan register init` or open_register(..., "
                    "create=True)"))
            if not backend.is_empty() and backend.name == "sqlite":
                backend.close()
                raise SiteplanInputError(Problem(
                    _WHERE, f"{backend.label} is a database but not a siteplan register",
                    "give a new file name for the register"))
            from pyproj import CRS

            crs = CRS.from_epsg(srid)
            with backend.write() as cur:
                if not backend.has_schema():     # another writer may have made it meanwhile
                    backend.create_schema(cur)
                    backend.after_create(cur, srid, crs.to_wkt(), crs.name)
                    q = backend.sql
                    backend.run_many(cur, q(_Q["add_meta"]), [
                        ("schema_version", "1"), ("srid", str(srid)),
                        ("created", utc_text(None, _WHERE, "created")[0]),
                        ("siteplan_version", __version__),
                        ("synthetic", "true" if synthetic else "false")])
                    backend.run_many(cur, q(_Q["add_state"]), [
                        (s.name, s.ord, bool(s.holds) if backend.name == "postgis"
                         else int(s.holds)) for s in STATES.values()])
                    backend.run_many(cur, q(_Q["add_move"]), list(TRANSITIONS))
            log.info("register: made the tables in %s", backend.label)
        _upgrade(backend)
        backend.prepare()
        return cls(backend)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<siteplan Register {self._db.label} ({self._db.name})>"

    @property
    def synthetic(self) -> bool:
        """True for a register made up for the synthetic sample."""
        return self.meta.get("synthetic") == "true"

    @property
    def label(self) -> str:
        """Where the register is (a file, or the URL without its password)."""
        return self._db.label

    # ------------------------------------------------------------------ partners
    def add_partner(self, name: str, *, actor: str, note: str = "") -> int:
        """Add a CSR partner; returns its id. Names are unique."""
        raise_if_problems(text_field_problems(f"{_WHERE} add_partner", {
            "name": name, "actor": actor, "note": note}, required=("name", "actor")))
        at, _ = utc_text(None, _WHERE, "at")
        try:
            with self._db.write() as cur:
                rows = self._db.run(cur, self._db.sql(_Q["add_partner"]),
                                    (name, note, at, actor))
        except self._db.errors() as exc:
            if self._db.is_unique(exc):
                raise SiteplanInputError(Problem(f"{_WHERE} add_partner", f"a partner named "
                                                 f"{show(name)} is already in the register",
                                                 "use that partner, or another name")) from None
            raise
        return int(rows[0][0])

    def partners(self) -> pd.DataFrame:
        """Every partner: ``partner_id``, ``name``, ``note``, ``created_at``, ``created_by``."""
        rows = self._db.read(_Q["partners"])
        out = pd.DataFrame(rows, columns=["partner_id", "name", "note", "created_at",
                                          "created_by"])
        out["created_at"] = _times(out["created_at"])
        return out

    def _partner_id(self, name: Any) -> int:
        raise_if_problems(text_field_problems(f"{_WHERE} offer", {"partner": name},
                                              required=("partner",)))
        rows = self._db.read(self._db.sql(_Q["partner_id"]), (name,))
        if not rows:
            known = self.partners()["name"].tolist()
            raise SiteplanInputError(Problem(
                f"{_WHERE} offer", f"partner {show(name)} is not in the register (it has: "
                f"{', '.join(map(show, known[:20])) or 'none yet'})",
                "add it first with reg.add_partner(name, actor=...) or `siteplan register "
                "partner`"))
        return int(rows[0][0])

    # ------------------------------------------------------------------ offers
    def offer(self, result: gpd.GeoDataFrame, site: str | Sequence[str], *, partner: str,
              actor: str, note: str = "", override: str | None = None,
              state: str = "usulan", at: datetime | date | str | None = None) -> int:
        """Offer a site of a scored result to a partner; returns the new offer's id.

        Parameters
        ----------
        result
            The :func:`siteplan.score` result of the facility kind on offer (its
            profile). The offer keeps a snapshot of each parcel's score, rank
            and exclusion, the profile's name and version and siteplan's
            version. A result of :func:`siteplan.assemble_sites` parcels works
            too: a site's ``members`` are the parcels held.
        site
            One ``parcel_id`` of the result, or several (a site of several
            parcels).
        partner
            A partner's name (see :meth:`add_partner`).
        actor
            Who makes the offer.
        note
            Free text kept with the first event.
        override
            Needed, as the reason, when a parcel is excluded in ``result``;
            recorded with the offer and its parcels.
        state
            ``"usulan"`` (proposed, the default) or ``"ditawarkan"`` (offered).
        at
            When it happened (a date or time; default now).

        Raises
        ------
        OfferConflictError
            A parcel is already in another open offer (the message names it).
        SiteplanInputError
            A parcel not in the result, an excluded parcel without override,
            an unknown partner, bad text.
        """
        from ..scoring.record import profile_to_dict, record_of

        where = f"{_WHERE} offer"
        rec = record_of(result, where=f"{where} result")
        problems = text_field_problems(where, {"actor": actor, "note": note,
                                               "override": override},
                                       required=("actor",))
        if override is not None and not str(override).strip():
            problems.append(Problem(where, "override is empty", "give the reason for "
                                    "offering an excluded parcel, e.g. override=\"...\""))
        if state not in FIRST_STATES:
            problems.append(Problem(where, f"a new offer cannot start in state {show(state)}",
                                    f"use state= one of {', '.join(FIRST_STATES)}"))
        at_text, bad = utc_text(at, where, "at")
        if bad:
            problems.append(bad)
        ids = [site] if isinstance(site, str) else site
        if not isinstance(ids, Sequence | pd.Series | np.ndarray) or not len(ids):
            problems.append(Problem(where, f"site must be a parcel id or a list of them, got "
                                    f"{show(site)}", "pass e.g. site=\"36730400100027\""))
            ids = []
        else:
            problems += text_field_problems(where, {f"site[{i}]": v for i, v in
                                                    enumerate(ids)},
                                            required=[f"site[{i}]" for i in range(len(ids))])
        raise_if_problems(problems)
        ids = list(dict.fromkeys(str(i) for i in ids))
        pid = result["parcel_id"].astype(str)
        rows = result.loc[pid.isin(ids).to_numpy()]
        rows = rows.loc[~rows["parcel_id"].astype(str).duplicated().to_numpy()]
        rows = rows.iloc[np.argsort(pd.Index(ids).get_indexer(rows["parcel_id"].astype(str)),
                                    kind="stable")]       # the order the caller gave
        missing = [i for i in ids if i not in set(rows["parcel_id"].astype(str))]
        if missing:
            shown = ", ".join(map(show, missing[:10]))
            raise SiteplanInputError(Problem(where, f"parcel(s) {shown} not in the result of "
                                             f"profile '{rec.name}'",
                                             "use parcel_id values of the scored result"))
        parcels = _members(rows)
        eligible = rows["eligible"].to_numpy(dtype=bool) if "eligible" in rows else \
            np.ones(len(rows), dtype=bool)
        excluded_by = rows["excluded_by"].astype("string").fillna("").to_numpy(dtype=object) \
            if "excluded_by" in rows else np.full(len(rows), "", dtype=object)
        excluded_by = np.where(eligible, "", np.where(excluded_by == "", "excluded",
                                                      excluded_by))
        if (~eligible).any() and override is None:
            bad_ids = rows["parcel_id"].astype(str).to_numpy()[~eligible]
            raise SiteplanInputError(Problem(
                where, "excluded parcel(s) for profile '" + rec.name + "': " + "; ".join(
                    f"{i} ({w})" for i, w in zip(bad_ids[:10], excluded_by[~eligible][:10],
                                                  strict=False)),
                "offer another parcel, or give the reason to offer it anyway: "
                "override=\"...\" (--override on the command line); it is recorded"))
        partner_id = self._partner_id(partner)
        score = rows["score"].to_numpy(dtype=float) if "score" in rows else \
            np.full(len(rows), np.nan)
        rank = pd.to_numeric(rows["rank"], errors="coerce").to_numpy(dtype=float) \
            if "rank" in rows else np.full(len(rows), np.nan)
        row_of = pd.Series(np.arange(len(rows)), index=rows.index)
        j = row_of.loc[parcels.index].to_numpy()
        parcel_rows = [(p, finite_or_none(score[k]), None if not np.isfinite(rank[k]) else
                        int(rank[k]), str(excluded_by[k]),
                        override if excluded_by[k] else None)
                       for p, k in zip(parcels.to_numpy(), j, strict=True)]
        geom = rows.to_crs(self.srid).geometry.union_all() if rows.crs is not None else \
            rows.geometry.union_all()
        wkb = None if geom is None or geom.is_empty else shapely.to_wkb(geom)
        prof = rec.profile
        one = len(rows) == 1
        offer_row = (partner_id, ";".join(parcels.drop_duplicates()), prof.name,
                     profile_version(profile_to_dict(prof)), prof.method, __version__,
                     finite_or_none(score[0]) if one else None,
                     int(rank[0]) if one and np.isfinite(rank[0]) else None,
                     state, at_text, actor, note or "", override)
        q = self._db.sql
        sql = q("INSERT INTO offers (partner_id, site, profile, profile_version, method, "
                "siteplan_version, score, rank, state, created_at, created_by, note, "
                "override_reason, geom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ") + \
            self._db.geom_sql() + ") RETURNING id"
        try:
            with self._db.write() as cur:
                offer_id = int(self._db.run(cur, sql, offer_row + self._db.geom_params(
                    wkb, self.srid))[0][0])
                self._db.run_many(cur, q(_Q["add_parcel"]),
                                  [(offer_id, *r) for r in parcel_rows])
                self._db.run(cur, q(_Q["add_event"]), (offer_id, at_text, actor, "", state,
                                                       note or "", None, None))
        except self._db.errors() as exc:
            if self._db.is_unique(exc):
                raise self._conflict(list(parcels.drop_duplicates())) from None
            raise SiteplanInputError(Problem(where, f"the register refused the offer: "
                                             f"{self._db.rule_text(exc)}",
                                             "check the offer's values")) from None
        log.info("register: offer %d of %s to %s (%s)", offer_id, offer_row[1],
                 partner, state)
        return offer_id

    def _conflict(self, parcels: list[str]) -> OfferConflictError:
        held = self.held()
        held = held.loc[held["parcel_id"].isin(parcels)]
        if not len(held):
            return OfferConflictError(Problem(f"{_WHERE} offer", "another offer took one of the "
                                         "parcels at the same moment and has closed since",
                                         "try again"))
        what = "; ".join(f"parcel {r.parcel_id} is held by offer {r.offer_id} to "
                         f"{r.partner} for {r.profile} ({r.state} since "
                         f"{_day(r.since)})" for r in held.head(10).itertuples())
        return OfferConflictError(Problem(f"{_WHERE} offer", what,
                                     "choose another parcel, or close that offer first "
                                     "(ditolak or dibatalkan, with the reason)"))

    def advance(self, offer_id: int, to: str, *, actor: str, note: str = "",
                agreement_no: str | None = None, agreement_date: date | str | None = None,
                at: datetime | date | str | None = None) -> str:
        """Move an offer to its next state, appending an event; returns the new state.

        Parameters
        ----------
        offer_id
            The offer.
        to
            The next state (see :data:`siteplan.register.models.TRANSITIONS`).
        actor
            Who moves it.
        note
            Free text; the reason, required for ``ditolak`` and ``dibatalkan``.
        agreement_no, agreement_date
            The agreement (PKS, MoU) number and date, required for
            ``disepakati``.
        at
            When it happened (default now); not before the offer's last event.

        Raises
        ------
        SiteplanInputError
            An unknown offer or state, a move the workflow does not allow
            (the message names the allowed next states), a missing reason or
            agreement.
        """
        where = f"{_WHERE} advance"
        problems = text_field_problems(where, {"actor": actor, "note": note,
                                               "agreement_no": agreement_no},
                                       required=("actor",))
        if to not in STATES:
            problems.append(Problem(where, f"unknown state {show(to)}",
                                    f"use one of {', '.join(STATES)}"))
        at_text, bad = utc_text(at, where, "at")
        day, bad2 = date_text(agreement_date, where, "agreement_date")
        problems += [p for p in (bad, bad2) if p]
        if isinstance(offer_id, bool) or not isinstance(offer_id, int | np.integer):
            problems.append(Problem(where, f"offer_id must be a whole number, got "
                                    f"{show(offer_id)}", "pass the id reg.offer returned"))
        raise_if_problems(problems)
        offer_id = int(offer_id)
        current, last_at = self._state(offer_id, where)
        allowed = next_states(current)
        if to not in allowed:
            raise SiteplanInputError(Problem(
                where, f"offer {offer_id} is '{current}'; it cannot move to '{to}'",
                f"move it to one of: {', '.join(allowed)}" if allowed else
                f"'{current}' is final: make a new offer instead"))
        if STATES[to].needs_agreement and (not (agreement_no or "").strip() or day is None):
            raise SiteplanInputError(Problem(where, f"'{to}' needs the agreement's number "
                                             "and date", "pass agreement_no=\"PKS/...\" and "
                                             "agreement_date=\"2026-12-01\""))
        if STATES[to].needs_reason and not note.strip():
            raise SiteplanInputError(Problem(where, f"'{to}' needs the reason",
                                             "say why in note=\"...\""))
        if last_at is not None and pd.Timestamp(at_text) < _times(pd.Series([last_at]))[0]:
            raise SiteplanInputError(Problem(where, f"at={at_text} is before the offer's last "
                                             f"event ({_times(pd.Series([last_at]))[0]})",
                                             "give a time after it, or leave at out (now)"))
        try:
            with self._db.write() as cur:
                self._db.run(cur, self._db.sql(_Q["add_event"]), (
                    offer_id, at_text, actor, current, to, note or "", agreement_no, day))
        except self._db.errors() as exc:
            now, _ = self._state(offer_id, where)
            nxt = next_states(now)
            raise SiteplanInputError(Problem(
                where, f"the register refused moving offer {offer_id} from '{current}' to "
                f"'{to}': it is '{now}' now ({self._db.rule_text(exc)})",
                f"move it to one of: {', '.join(nxt)}" if nxt else f"'{now}' is final"
            )) from None
        log.info("register: offer %d %s -> %s by %s", offer_id, current, to, actor)
        return to

    def _state(self, offer_id: int, where: str) -> tuple[str, Any]:
        rows = self._db.read(self._db.sql(_Q["state"]), (offer_id,))
        if not rows:
            raise SiteplanInputError(Problem(where, f"no offer {offer_id} in the register",
                                             "list the offers with reg.offers() or "
                                             "`siteplan register list`"))
        return rows[0][0], rows[0][1]

    def history(self, offer_id: int) -> pd.DataFrame:
        """Every event of an offer, oldest first.

        Columns: ``event_id``, ``offer_id``, ``at``, ``recorded_at``,
        ``actor``, ``from_state`` ("" for the making of the offer),
        ``to_state``, ``note``, ``agreement_no``, ``agreement_date``.
        """
        if isinstance(offer_id, bool) or not isinstance(offer_id, int | np.integer):
            raise SiteplanInputError(Problem(f"{_WHERE} history", f"offer_id must be a whole "
                                             f"number, got {show(offer_id)}",
                                             "pass the id reg.offer returned"))
        self._state(int(offer_id), f"{_WHERE} history")
        return _events(self._db.read(self._db.sql(_Q["history"]), (int(offer_id),)))

    def events(self) -> pd.DataFrame:
        """Every event of every offer, in the order they were recorded."""
        return _events(self._db.read(_Q["events"]))

    def offer_parcels(self) -> pd.DataFrame:
        """Each offer's parcels with their snapshot (score, rank, exclusion, override)."""
        rows = self._db.read(_Q["offer_parcels"])
        out = pd.DataFrame(rows, columns=["offer_id", "parcel_id", "holds", "score", "rank",
                                          "excluded_by", "override_reason"])
        out["holds"] = out["holds"].astype(bool)
        out["score"] = out["score"].astype(float)
        out["rank"] = pd.array(out["rank"].to_numpy(dtype=object), dtype="Int64") if len(out) \
            else pd.array([], dtype="Int64")
        return out

    def offers(self, *, state: str | Iterable[str] | None = None,
               partner: str | None = None) -> gpd.GeoDataFrame:
        """The offers as a GeoDataFrame (the register's CRS), one row per offer.

        Columns: ``offer_id``, ``partner``, ``site`` (its parcel ids,
        ``;``-separated), ``profile``, ``profile_version``, ``method``,
        ``siteplan_version``, ``score`` and ``rank`` (when offered; for a
        site of one parcel or assembled site), ``state``, ``since`` (its last
        event), ``created_at``, ``created_by``, ``note``, ``override_reason``,
        ``agreement_no``, ``agreement_date``, ``holds`` (its parcels are
        taken) and the geometry.

        Parameters
        ----------
        state
            Keep offers in this state (or these states); ``"open"`` means
            every state that holds its parcels.
        partner
            Keep one partner's offers.
        """
        db = self._db
        sql = ("SELECT o.id, p.name, o.site, o.profile, o.profile_version, o.method, "
               "o.siteplan_version, o.score, o.rank, o.state, (SELECT at FROM events e WHERE "
               "e.offer_id = o.id ORDER BY e.id DESC LIMIT 1), o.created_at, o.created_by, "
               "o.note, o.override_reason, (SELECT agreement_no FROM events e WHERE "
               "e.offer_id = o.id AND e.to_state = 'disepakati' ORDER BY e.id DESC LIMIT 1), "
               "(SELECT agreement_date FROM events e WHERE e.offer_id = o.id AND "
               "e.to_state = 'disepakati' ORDER BY e.id DESC LIMIT 1), "
               + db.geom_out_sql("o.geom") + " FROM offers o JOIN partners p ON "
               "p.id = o.partner_id ORDER BY o.id")
        rows = db.read(sql)
        df = pd.DataFrame(rows, columns=[*_OFFER_COLUMNS, "geom"])
        wkb = [db.wkb_from(v) for v in df["geom"]]     # one per offer: a few hundred
        geoms = shapely.from_wkb(np.asarray(wkb, dtype=object)) if len(wkb) else \
            np.empty(0, dtype=object)
        df = df.drop(columns="geom")
        for col in ("since", "created_at"):
            df[col] = _times(df[col])
        df["agreement_date"] = df["agreement_date"].map(
            lambda d: None if d is None or d != d else str(d)).astype("string")
        df["score"] = df["score"].astype(float)
        df["rank"] = pd.array(df["rank"].to_numpy(dtype=object), dtype="Int64") if len(df) \
            else pd.array([], dtype="Int64")
        df["holds"] = df["state"].map(lambda s: STATES[s].holds).astype(bool)
        out = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index),
                               crs=self.srid)
        keep = np.ones(len(out), dtype=bool)
        if state is not None:
            wanted = {state} if isinstance(state, str) else set(state)
            unknown = wanted - set(STATES) - {"open"}
            if unknown:
                raise SiteplanInputError(Problem(f"{_WHERE} offers", f"unknown state(s) "
                                                 f"{', '.join(map(show, sorted(unknown)))}",
                                                 f"use 'open' or one of {', '.join(STATES)}"))
            if "open" in wanted:
                wanted |= {s for s, v in STATES.items() if v.holds}
            keep &= out["state"].isin(wanted).to_numpy()
        if partner is not None:
            keep &= (out["partner"] == partner).to_numpy()
        out = out.loc[keep].reset_index(drop=True)
        # what the maps say of the data: a sample register's offers carry its warning
        out.attrs["siteplan_register"] = {"synthetic": self.synthetic}
        return out

    def hold_out(self, result: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``result`` with the parcels this register holds taken out and the rest ranked
        again: what ``sp.score(..., register=reg)`` answers (see
        :func:`siteplan.register.use.hold_out`)."""
        from ._hold import take_out

        return take_out(result, self)

    def held(self) -> pd.DataFrame:
        """Every parcel held by an open offer: ``parcel_id``, ``offer_id``, ``partner``,
        ``profile``, ``state``, ``since``."""
        db = self._db
        flag = True if db.name == "postgis" else 1
        rows = db.read(db.sql(_Q["holders"]), (flag,))
        out = pd.DataFrame(rows, columns=["parcel_id", "offer_id", "partner", "profile",
                                          "state", "since"])
        out["since"] = _times(out["since"])
        return out

    def existing(self, profile: str | None = None) -> gpd.GeoDataFrame:
        """Facilities built or in use (``dibangun``, ``beroperasi``), of one profile or all.

        Pass it as ``existing=`` to :func:`siteplan.select_sites` (or
        :func:`siteplan.allocate`): people within reach of them are served
        already.
        """
        off = self.offers(state=BUILT)
        if profile is not None:
            off = off.loc[(off["profile"] == profile).to_numpy()].reset_index(drop=True)
        return off

    # ------------------------------------------------------------------ tokens
    def add_token(self, role: str, *, actor: str, partner: str | None = None,
                  name: str | None = None) -> str:
        """Make a token for the register's service; returns it, the only time it is shown.

        The register keeps the token's key, role, partner, name and a salted
        scrypt hash, never the token itself: keep it where passwords are kept.

        Parameters
        ----------
        role
            ``"admin"`` (partners and tokens, and what a planner does),
            ``"planner"`` (makes and moves offers, reads them all) or
            ``"partner"`` (reads its own partner's offers only).
        actor
            Who makes it.
        partner
            The partner of a ``"partner"`` token (required for it, refused
            for the others).
        name
            Whose token it is, kept with every event it writes (default: the
            partner's name, or the role and the token's key).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import siteplan as sp
        >>> with sp.open_register(pathlib.Path(tempfile.mkdtemp()) / "o.gpkg") as reg:
        ...     _ = reg.add_partner("Bank BJB", actor="admin")
        ...     token = reg.add_token("partner", partner="Bank BJB", actor="admin")
        ...     reg.check_token(token).partner, token in reg.tokens().to_string()
        ('Bank BJB', False)
        """
        where = f"{_WHERE} token"
        problems = text_field_problems(where, {"actor": actor, "name": name,
                                               "partner": partner}, required=("actor",))
        if role not in ROLES:
            problems.append(Problem(where, f"unknown role {show(role)}",
                                    f"use one of {', '.join(ROLES)}"))
        elif role == "partner" and partner is None:
            problems.append(Problem(where, "a partner token needs its partner",
                                    "pass partner=\"Bank BJB\" (--partner)"))
        elif role != "partner" and partner is not None:
            problems.append(Problem(where, f"a {role} token belongs to no partner",
                                    "leave partner out, or make a partner token"))
        if isinstance(name, str) and not name.strip():
            problems.append(Problem(where, "name is empty", "leave it out, or say whose "
                                    "token it is"))
        raise_if_problems(problems)
        partner_id = self._partner_id(partner) if role == "partner" else None
        key_id, secret, token = new_token()
        salt = secrets.token_bytes(16)
        digest = hash_secret(key_id, secret, salt)
        at, _ = utc_text(None, where, "at")
        label = name or (partner if role == "partner" else f"{role} {key_id}")
        with self._db.write() as cur:
            self._db.run(cur, self._db.sql(
                "INSERT INTO tokens (key_id, role, partner_id, name, scheme, salt, hash, "
                "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                (key_id, role, partner_id, label, SCHEME, salt.hex(), digest, at, actor))
        log.info("register: %s token %s made by %s", role, key_id, actor)
        return token

    def tokens(self) -> pd.DataFrame:
        """Every token, without its secret: ``key_id``, ``role``, ``partner``, ``name``,
        ``created_at``, ``created_by``, ``revoked_at``, ``revoked_by``."""
        rows = self._db.read("SELECT t.key_id, t.role, p.name, t.name, t.created_at, "
                             "t.created_by, t.revoked_at, t.revoked_by FROM tokens t LEFT "
                             "JOIN partners p ON p.id = t.partner_id ORDER BY t.id")
        out = pd.DataFrame(rows, columns=["key_id", "role", "partner", "name", "created_at",
                                          "created_by", "revoked_at", "revoked_by"])
        out["created_at"] = _times(out["created_at"])
        out["revoked_at"] = _times(out["revoked_at"])
        return out

    def revoke_token(self, key_id: str, *, actor: str) -> None:
        """Revoke a token (by its key, the 12 characters after ``spt_``); it opens nothing
        from then on. Tokens are never deleted."""
        where = f"{_WHERE} token revoke"
        raise_if_problems(text_field_problems(where, {"actor": actor, "key_id": key_id},
                                              required=("actor", "key_id")))
        at, _ = utc_text(None, where, "at")
        with self._db.write() as cur:
            rows = self._db.run(cur, self._db.sql(
                "UPDATE tokens SET revoked_at = ?, revoked_by = ? WHERE key_id = ? AND "
                "revoked_at IS NULL RETURNING id"), (at, actor, key_id))
        if not rows:
            raise SiteplanInputError(Problem(where, f"no token {show(key_id)} that is not "
                                             "revoked already", "list them with "
                                             "reg.tokens() or `siteplan register token "
                                             "list`"))
        log.info("register: token %s revoked by %s", key_id, actor)

    def token_record(self, key_id: str) -> dict[str, Any] | None:
        """The stored row of a token's key (its hash, never a secret), or None."""
        rows = self._db.read(self._db.sql(
            "SELECT t.key_id, t.role, t.name, t.partner_id, p.name, t.scheme, t.salt, "
            "t.hash, t.revoked_at FROM tokens t LEFT JOIN partners p ON p.id = t.partner_id "
            "WHERE t.key_id = ?"), (key_id,))
        if not rows:
            return None
        keys = ("key_id", "role", "name", "partner_id", "partner", "scheme", "salt", "hash",
                "revoked_at")
        return dict(zip(keys, rows[0], strict=True))

    def check_token(self, token: str) -> Principal | None:
        """Who ``token`` is (role, name, partner), or None for anything but a live token."""
        parts = parse_token(token)
        if parts is None:
            return None
        row = self.token_record(parts[0])
        if row is None or row["revoked_at"] is not None or not verify_secret(
                parts[0], parts[1], row["salt"], row["hash"], row["scheme"]):
            return None
        return principal_of(row)


def principal_of(row: dict[str, Any]) -> Principal:
    """The :class:`Principal` of a token's stored row (see :meth:`Register.token_record`)."""
    return Principal(key_id=row["key_id"], role=row["role"], name=row["name"],
                     partner_id=None if row["partner_id"] is None else int(row["partner_id"]),
                     partner=row["partner"])


def _upgrade(backend: Any) -> None:
    """Bring the tables to :data:`SCHEMA_VERSION` along :data:`MIGRATIONS`, one step per
    transaction (a second opener waits, then finds the work done)."""
    version_sql = backend.sql("SELECT value FROM meta WHERE key = ?")
    while True:
        rows = backend.read(version_sql, ("schema_version",))
        version = rows[0][0] if rows else None
        if version not in MIGRATIONS:
            return
        to = MIGRATIONS[version]
        with backend.write() as cur:
            backend.lock_schema(cur)
            now = backend.run(cur, version_sql, ("schema_version",))
            if now and now[0][0] == version:
                backend.run_script(cur, f"migrate_{to}_{backend.name}.sql")
                backend.run(cur, backend.sql("UPDATE meta SET value = ? WHERE key = ?"),
                            (to, "schema_version"))
                log.info("register: %s upgraded from version %s to %s", backend.label,
                         version, to)


def _members(rows: gpd.GeoDataFrame) -> pd.Series:
    """The parcels of each row (the ``members`` of an assembled site), on the rows' index."""
    ids = rows["parcel_id"].astype("string")
    if "members" not in rows.columns:
        return ids.astype(str)
    m = rows["members"].astype("string").fillna("").str.strip()
    m = m.where(m != "", ids)
    return m.str.split(";").explode().str.strip().astype(str)


def _times(values: pd.Series) -> pd.Series:
    """Text or datetime values as UTC timestamps."""
    if not len(values):
        return pd.Series(pd.to_datetime([], utc=True), index=values.index)
    return pd.Series(pd.to_datetime([None if v is None else str(v) if not isinstance(
        v, datetime) else v for v in values], utc=True, format="ISO8601"), index=values.index)


def _day(value: Any) -> str:
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(value)


def _events(rows: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["event_id", "offer_id", "at", "recorded_at", "actor",
                                      "from_state", "to_state", "note", "agreement_no",
                                      "agreement_date"])
    out["at"] = _times(out["at"])
    out["recorded_at"] = _times(out["recorded_at"])
    out["agreement_date"] = out["agreement_date"].map(
        lambda d: None if d is None or d != d else str(d)).astype("string")
    return out
