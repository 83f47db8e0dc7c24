"""The register's work in the service's worker processes (``siteplan serve --register``).

Each worker opens its own connection to the register at its first register
request (never in the template it is forked from). A worker killed over
its time limit in the middle of a write leaves no half offer: the database
rolls the transaction back.

The jobs get the caller (a :class:`siteplan.register.tokens.Principal`,
whose role the endpoint has checked already) and see only what it may: a
partner token sees its own partner's offers and name; another partner's
offer is answered exactly as an offer that does not exist (404).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

from .._errors import SiteplanInputError
from ._geojson import feature_collection, jsonable
from ._guard import ServiceError, error_dict, input_error
from ._work import Context, make_context, resolve_profile
from ._work import run_job as run_scoring_job

__all__ = ["make_offer_context", "run_job", "OFFER_JOBS"]

log = logging.getLogger(__name__)

_GEOJSON = "application/geo+json"
_JSON = "application/json"


def make_offer_context(arg: tuple[dict[str, Any], bool, str]) -> Context:
    """:func:`siteplan.serve._work.make_context`, plus where the register is."""
    state, warm, target = arg
    ctx = make_context((state, warm))
    ctx.register_target = target
    return ctx


def _register(ctx: Context):
    """This worker's own connection (opened at its first use, in this process)."""
    held = getattr(ctx, "_register", None)
    if held is None or held[0] != os.getpid():
        from ..register import open_register

        held = (os.getpid(), open_register(ctx.register_target, create=False))
        ctx._register = held
    return held[1]


def _body(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _plain(df):
    """Times as ISO text, every other value as JSON holds it."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            values = [None if pd.isna(v) else v.isoformat() for v in s]
        else:
            values = [jsonable(v) for v in s.astype(object)]
        # object, so that a missing text stays None (a text column would make it NaN)
        out[col] = pd.Series(values, index=out.index, dtype=object)
    return out


def _visible(reg, who) -> Any:
    """The offers the caller may read (a partner: its own partner's only)."""
    off = reg.offers()
    if who.role == "partner":
        off = off.loc[(off["partner"] == _partner_name(reg, who)).to_numpy()]
    return off.reset_index(drop=True)


def _partner_name(reg, who) -> str | None:
    parts = reg.partners()
    names = parts.loc[parts["partner_id"] == who.partner_id, "name"]
    return None if names.empty else str(names.iloc[0])


def _not_found(offer_id: int) -> ServiceError:
    # the same words whether it does not exist or is another partner's
    return ServiceError(404, "not_found", f"no offer {offer_id} here",
                        fix="list the offers you may read with GET /offers")


def _one(reg, who, offer_id: int) -> dict[str, Any]:
    off = _visible(reg, who)
    row = off.loc[(off["offer_id"] == offer_id).to_numpy()]
    if row.empty:
        raise _not_found(offer_id)
    feature = feature_collection(_plain(row))["features"][0]
    history = _plain(reg.history(offer_id)).to_dict(orient="records")
    return {"offer": feature, "history": jsonable(history)}


def offers_job(ctx: Context, who, state: str | None, partner: str | None):
    reg = _register(ctx)
    off = _visible(reg, who)
    if state is not None:
        keep = reg.offers(state=state)["offer_id"]
        off = off.loc[off["offer_id"].isin(keep).to_numpy()]
    if partner is not None:
        off = off.loc[(off["partner"] == partner).to_numpy()]
    members = {"register": {"synthetic": reg.synthetic, "count": len(off)}}
    return 200, _GEOJSON, _body(feature_collection(_plain(off.reset_index(drop=True)),
                                                   members=members))


def offer_job(ctx: Context, who, offer_id: int):
    return 200, _JSON, _body(_one(_register(ctx), who, offer_id))


def make_offer_job(ctx: Context, who, req):
    from ..scoring.run import score

    reg = _register(ctx)
    prof = resolve_profile(req.profile)
    reg._partner_id(req.partner)              # an unknown partner before any scoring
    result = score(ctx.view(), prof)
    oid = reg.offer(result, req.site, partner=req.partner, actor=who.actor, note=req.note,
                    override=req.override, state=req.state, at=req.at)
    return 201, _JSON, _body(_one(reg, who, oid))


def advance_job(ctx: Context, who, offer_id: int, req):
    reg = _register(ctx)
    _one(reg, who, offer_id)                  # 404 first
    reg.advance(offer_id, req.to, actor=who.actor, note=req.note,
                agreement_no=req.agreement_no, agreement_date=req.agreement_date, at=req.at)
    return 200, _JSON, _body(_one(reg, who, offer_id))


def partners_job(ctx: Context, who):
    reg = _register(ctx)
    parts = reg.partners()
    if who.role == "partner":
        parts = parts.loc[(parts["partner_id"] == who.partner_id).to_numpy()]
    return 200, _JSON, _body({"partners": _plain(parts).to_dict(orient="records")})


def add_partner_job(ctx: Context, who, req):
    reg = _register(ctx)
    if (reg.partners()["name"] == req.name).any():
        raise ServiceError(409, "conflict", f"a partner named {req.name!r} is in the register "
                           "already", fix="use that partner, or another name")
    pid = reg.add_partner(req.name, actor=who.actor, note=req.note)
    parts = reg.partners()
    row = parts.loc[parts["partner_id"] == pid]
    return 201, _JSON, _body({"partner": _plain(row).to_dict(orient="records")[0]})


def add_token_job(ctx: Context, who, req):
    reg = _register(ctx)
    token = reg.add_token(req.role, actor=who.actor, partner=req.partner, name=req.name)
    row = reg.tokens().iloc[[-1]]
    info = _plain(row).to_dict(orient="records")[0]
    return 201, _JSON, _body({"token": token, "shown_once": True, **info})


def tokens_job(ctx: Context, who):
    del who
    return 200, _JSON, _body({"tokens": _plain(_register(ctx).tokens()).to_dict(
        orient="records")})


OFFER_JOBS: dict[str, Callable[..., tuple[int, str, bytes]]]
OFFER_JOBS = {"offers": offers_job, "offer": offer_job, "make_offer": make_offer_job,
              "advance": advance_job, "partners": partners_job, "add_partner": add_partner_job,
              "add_token": add_token_job, "tokens": tokens_job}


def run_job(ctx: Context, name: str, kwargs: dict[str, Any]) -> tuple[int, str, bytes]:
    """The register's jobs, or the scoring jobs (``_work.run_job``); never an exception."""
    from ..register import OfferConflictError

    if name not in OFFER_JOBS:
        return run_scoring_job(ctx, name, kwargs)
    try:
        return OFFER_JOBS[name](ctx, **kwargs)
    except OfferConflictError as exc:
        body = input_error(exc)
        body["error"] = "offer_conflict"
        return 409, _JSON, _body(body)
    except ServiceError as exc:
        return exc.status, _JSON, _body(jsonable(exc.body))
    except SiteplanInputError as exc:
        return 422, _JSON, _body(input_error(exc))
    except Exception:
        log.exception("internal error in the %s job", name)
        return 500, _JSON, _body(error_dict("internal", "internal error; the server's log "
                                            "has the details",
                                            fix="tell the service's operator"))
