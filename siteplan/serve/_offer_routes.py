"""The register's endpoints (``/offers``, ``/partners``, ``/tokens``), added by ``create_app``
when the service has a register. Every one needs a token; the role is checked here, before
any work, and what a partner may see is checked by the job (``_offers``)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, cast

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import Response

from ..register.models import STATES
from ._auth import PRINCIPAL, UNAUTHORIZED_FIX
from ._guard import ServiceError
from ._schemas import AdvanceRequest, ErrorBody, OfferRequest, PartnerRequest, TokenRequest

__all__ = ["add_offer_routes", "OFFER_ENDPOINTS"]

#: method and path of the register's endpoints (listed in the OpenAPI document with a register)
OFFER_ENDPOINTS = (("GET", "/offers"), ("POST", "/offers"), ("GET", "/offers/{offer_id}"),
                   ("POST", "/offers/{offer_id}/advance"), ("GET", "/partners"),
                   ("POST", "/partners"), ("GET", "/tokens"), ("POST", "/tokens"))

_WHEN = {400: "the Host header is not an allowed name, or Content-Length is not a number",
         401: "no token, or not a live one: send 'Authorization: Bearer <token>'",
         403: "the token's role may not do this (admin: partners and tokens; planner: offers;"
              " partner: reads its own offers)",
         404: "no such offer, or not one this token may read",
         409: "a parcel of the site is held by another open offer (named), or the partner "
              "exists already",
         413: "the request body is over the server's size limit",
         422: "the request or its data cannot be used: each problem names the field, what is "
              "wrong and the fix",
         500: "internal error (the details are in the server's log)",
         504: "the request took longer than the server's time limit; its work was stopped"}
_GEOJSON = "application/geo+json"
_STATE = Literal[("open", *STATES)]  # type: ignore[valid-type]
OfferId = Path(ge=1, le=2**62, description="the offer's id", examples=[1])
StateQuery = Annotated[_STATE | None, Query(
    description="only offers in this state ('open': every state that holds its parcels)")]
PartnerQuery = Annotated[str | None, Query(max_length=10_000,
                                           description="only this partner's offers")]

_FEATURE = {"type": "object", "required": ["type", "geometry", "properties"]}
_ONE = {"type": "object", "required": ["offer", "history"], "properties": {
    "offer": _FEATURE, "history": {"type": "array", "items": {"type": "object"}}}}


def _responses(ok: int, what: str, schema: dict[str, Any], *codes: int,
               media: str = "application/json") -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        ok: {"description": what, "content": {media: {"schema": schema}}}}
    for code in (400, 401, *codes, 413, 422, 500, 504):
        out[code] = {"model": ErrorBody, "description": _WHEN[code]}
    return out


def _caller(request: Request, *roles: str):
    """The caller's Principal when its role is one of ``roles`` (401 or 403 otherwise)."""
    who = getattr(request.state, PRINCIPAL, None)
    if who is None:
        raise ServiceError(401, "unauthorized", "the register's endpoints need a token",
                           fix=UNAUTHORIZED_FIX)
    if who.role not in roles:
        raise ServiceError(403, "forbidden", f"a {who.role} token may not "
                           f"{request.method} {request.url.path}; this needs a token of role "
                           f"{' or '.join(roles)}", fix="ask the register's admin for such a "
                           "token")
    return who


def add_offer_routes(app: FastAPI, svc: Any) -> None:
    """Add the register's endpoints to ``app``; ``svc.run`` runs their jobs in the workers."""
    readers, writers, admins = ("admin", "planner", "partner"), ("admin", "planner"), \
        ("admin",)

    async def run(name: str, **kwargs: Any) -> Response:
        status, media, body = await svc.runner(name, **kwargs)
        return Response(body, status_code=status, media_type=media)

    @app.get("/offers", summary="The offers as GeoJSON (EPSG:4326); a partner token: its own",
             response_class=Response, responses=_responses(
                 200, "one Feature per offer: partner, site, profile, state, since, score and "
                 "rank when offered, ...", {"type": "object", "required": ["type", "features"]},
                 403, media=_GEOJSON))
    async def offers(request: Request, state: StateQuery = None,
                     partner: PartnerQuery = None):
        who = _caller(request, *readers)
        return await run("offers", who=who, state=state, partner=partner)

    @app.get("/offers/{offer_id}", summary="One offer with its history (every event)",
             response_class=Response, responses=_responses(
                 200, "the offer (a GeoJSON Feature) and its events, oldest first", _ONE, 403,
                 404))
    async def offer(request: Request, offer_id: int = OfferId):
        who = _caller(request, *readers)
        return await run("offer", who=who, offer_id=offer_id)

    @app.post("/offers", status_code=201, summary="Offer a site to a partner (planner, admin)",
              response_class=Response, responses=_responses(
                  201, "the new offer and its first event (Location: /offers/ID)", _ONE, 403,
                  404, 409))
    async def make_offer(request: Request, req: OfferRequest):
        who = _caller(request, *writers)
        reply = await run("make_offer", who=who, req=req)
        if reply.status_code == 201:
            # run() builds its replies from bytes
            oid = json.loads(cast(bytes, reply.body))["offer"]["properties"]["offer_id"]
            reply.headers["Location"] = f"/offers/{int(oid)}"
        return reply

    @app.post("/offers/{offer_id}/advance", summary="Move an offer to its next state "
              "(planner, admin)", response_class=Response, responses=_responses(
                  200, "the offer and its history, the new event last", _ONE, 403, 404))
    async def advance(request: Request, req: AdvanceRequest, offer_id: int = OfferId):
        who = _caller(request, *writers)
        return await run("advance", who=who, offer_id=offer_id, req=req)

    @app.get("/partners", summary="The CSR partners (a partner token: its own only)",
             response_class=Response, responses=_responses(
                 200, "the partners", {"type": "object", "required": ["partners"]}, 403))
    async def partners(request: Request):
        who = _caller(request, *readers)
        return await run("partners", who=who)

    @app.post("/partners", status_code=201, summary="Add a CSR partner (admin)",
              response_class=Response, responses=_responses(
                  201, "the new partner", {"type": "object", "required": ["partner"]}, 403,
                  409))
    async def add_partner(request: Request, req: PartnerRequest):
        who = _caller(request, *admins)
        return await run("add_partner", who=who, req=req)

    @app.get("/tokens", summary="The tokens, without their secrets (admin)",
             response_class=Response, responses=_responses(
                 200, "key, role, partner, name, made and revoked",
                 {"type": "object", "required": ["tokens"]}, 403))
    async def tokens(request: Request):
        who = _caller(request, *admins)
        return await run("tokens", who=who)

    @app.post("/tokens", status_code=201, summary="Make a token (admin); shown this once",
              response_class=Response, responses=_responses(
                  201, "the token, shown this once; the register keeps only its hash",
                  {"type": "object", "required": ["token"]}, 403))
    async def add_token(request: Request, req: TokenRequest):
        who = _caller(request, *admins)
        return await run("add_token", who=who, req=req)
