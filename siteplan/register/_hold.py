"""Taking the parcels a register holds out of a score result (``sp.score(register=)``).

Apart from :mod:`.use` so that the register (``Register.hold_out``) and the
checked public helpers both reach it without importing each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._core import Register

__all__ = ["take_out", "held_reasons", "HELD_PREFIX", "held_words"]

#: the start of ``excluded_by`` for a parcel held by an open offer
HELD_PREFIX = "held: "


def held_reasons(register: Register) -> pd.DataFrame:
    """Every held parcel with the reason it is held, on ``parcel_id``.

    Columns ``offer_id``, ``partner``, ``profile``, ``state``, ``since`` and
    ``reason`` ("held: offered to Bank BJB for sentra kuliner, ditawarkan
    2026-12-01 (offer 3)").
    """
    held = register.held()
    day = held["since"].dt.strftime("%Y-%m-%d").fillna("")
    reason = (HELD_PREFIX + "offered to " + held["partner"].astype(str) + " for "
              + held["profile"].astype(str).str.replace("_", " ", regex=False) + ", "
              + held["state"].astype(str) + " " + day + " (offer "
              + held["offer_id"].astype(str) + ")")
    return held.assign(reason=reason).drop_duplicates("parcel_id").set_index("parcel_id")


def held_words(result: pd.DataFrame, lang: str) -> pd.Series:
    """Why each row is held by an offer, in the language ("" where it is not held).

    Read from the row's ``offer_id``, ``offer_state`` and ``offer_partner`` and
    the reason :func:`held_reasons` wrote into ``excluded_by`` (its use and
    date), once per distinct offer: "ditahan oleh penawaran 3 kepada Bank BJB
    untuk sentra kuliner (ditawarkan sejak 1 Desember 2026)".
    """
    from datetime import date

    from ..words import fmt_date, words
    from .words import state_word

    n = len(result)
    out = pd.Series([""] * n, dtype=object)
    if not {"offer_id", "offer_state", "offer_partner", "excluded_by"} <= set(result.columns):
        return out
    oid = pd.array(result["offer_id"], dtype="Int64")
    why = result["excluded_by"].astype("string").fillna("").to_numpy(dtype=object)
    held = ~pd.isna(oid) & pd.Series(why).str.contains(HELD_PREFIX, regex=False).to_numpy()
    if not held.any():
        return out
    keys = pd.DataFrame({"id": np.asarray(oid[held], dtype=np.int64),
                         "state": result["offer_state"].astype(str).to_numpy()[held],
                         "partner": result["offer_partner"].astype(str).to_numpy()[held],
                         "why": why[held]})
    offers = keys.drop_duplicates().reset_index(drop=True)
    said = []
    for k in offers.itertuples(index=False):        # one per offer: a handful
        text = str(k.why)[str(k.why).index(HELD_PREFIX):]
        head = f"{HELD_PREFIX}offered to {k.partner} for "
        use, _, rest = text[len(head):].rpartition(f", {k.state} ") if text.startswith(
            head) else ("", "", "")
        day = rest.split(" (offer", 1)[0]
        try:
            when = fmt_date(date.fromisoformat(day), lang)
        except ValueError:
            when = day
        said.append(str(words(lang)["register"]["held"]).format(
            id=k.id, state=state_word(k.state, lang), partner=k.partner, use=use or "–",
            date=when))
    offers["said"] = said
    out[held] = keys.merge(offers, how="left", on=list(keys.columns))["said"].to_numpy()
    return out


def _row_holder(result: pd.DataFrame, held: pd.DataFrame) -> pd.Series:
    """For each row of ``result``: the parcel id (of it or a member) that is held, or NA."""
    ids = result["parcel_id"].astype("string")
    if "members" in result.columns:
        m = result["members"].astype("string").fillna("").str.strip()
        ids = m.where(m != "", ids)
    one = ids.str.split(";").explode().str.strip()
    hit = one[one.isin(held.index)]
    first = hit.groupby(level=0).first()
    return first.reindex(result.index)


def take_out(result: gpd.GeoDataFrame, register: Register) -> gpd.GeoDataFrame:
    """:func:`siteplan.register.use.hold_out` without its check of ``register``."""
    from ..scoring.pipeline import STATUS_EXCLUDED, aggregate_scores, counts_of, put_scores
    from ..scoring.record import attach, record_of

    reg = register
    rec = record_of(result, where="score result")
    held = held_reasons(reg)
    holder = _row_holder(result, held)
    is_held = holder.notna().to_numpy(dtype=bool)
    out = result.copy()
    h = held.reindex(holder.astype(object).where(holder.notna(), None))
    out["offer_id"] = pd.array(h["offer_id"].to_numpy(dtype=object), dtype="Int64")
    out["offer_state"] = h["state"].fillna("").astype(str).to_numpy()
    out["offer_partner"] = h["partner"].fillna("").astype(str).to_numpy()
    if not is_held.any():
        return attach(out, rec)
    before = out["excluded_by"].astype(str).to_numpy(dtype=object)
    reason = h["reason"].fillna("").astype(str).to_numpy(dtype=object)
    joined = np.where(before == "", reason, before + "; " + reason)
    out["excluded_by"] = pd.array(np.where(is_held, joined, before), dtype=out[
        "excluded_by"].dtype)
    was = out["eligible"].to_numpy(dtype=bool)
    status = out["status"].astype(object).to_numpy()
    out["status"] = pd.array(np.where(is_held & was, STATUS_EXCLUDED, status),
                             dtype=out["status"].dtype)
    eligible = was & ~is_held
    out["eligible"] = eligible
    names = [c.name for c in rec.profile.criteria]
    for name in names:
        for col in (f"m_{name}", f"c_{name}"):
            if col in out.columns:
                values = out[col].to_numpy(copy=True)
                values[is_held] = np.nan
                out[col] = values
    cvals = out.loc[eligible, [f"c_{n}" for n in names]].to_numpy(dtype=float)
    s, contrib, base = aggregate_scores(rec.profile, cvals) if len(cvals) else \
        (np.empty(0), np.empty((0, len(names))), rec.base_score)
    put_scores(out, eligible, names, s, contrib, rank=True)
    n_input, n_not = rec.counts.input, rec.counts.not_candidate
    return attach(out, rec.with_(counts=counts_of(out, n_input, n_not),
                                 base_score=float(base)))
