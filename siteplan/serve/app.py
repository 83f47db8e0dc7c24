"""The HTTP/JSON service: a FastAPI app over one layer bundle, loaded once, shared read-only.

The requests' work runs in worker processes (see ``_pool``): each has the
server's layers and the caches of the built-in profiles, built once at
start; what a request caches while it runs (search trees for a filter no
built-in profile uses, say) stays in that request's view. Posted parcels
make a new bundle with :meth:`siteplan.Layers.replace`; the server's bundle
never changes. A request over its time limit gets 504 and its worker is
killed and replaced, so its work stops.

Before any work: the ``Host`` header must be an allowed name (DNS
rebinding), the body must fit the size limit, and its JSON must hold only
what siteplan can take (``_body``); the fields are checked strictly (no
``true`` for a number, no ``"5"`` for 5).
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

try:
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import Response
    from fastapi.routing import APIRoute
    from starlette.exceptions import HTTPException
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("siteplan's HTTP service needs FastAPI and uvicorn: "
                      "pip install 'siteplan[serve]'") from exc

from .._errors import Problem, SiteplanInputError
from .._version import __version__
from ..words import Lang
from ._body import BodyRefused, parse_body
from ._geojson import jsonable
from ._guard import (
    BodyLimit,
    HostCheck,
    Runner,
    ServiceError,
    error_dict,
    input_error,
    problem_dicts,
)
from ._schemas import (
    AccessRequest,
    AllocateRequest,
    ErrorBody,
    LocateRequest,
    PathRefusedError,
    ScoreRequest,
    SelectRequest,
    SensitivityRequest,
)
from ._work import layers_state, make_context, resolve_profile, run_job

if TYPE_CHECKING:
    from ._auth import Auth

__all__ = ["create_app", "ENDPOINTS", "LOOPBACK_HOSTS"]

log = logging.getLogger(__name__)

#: method and path of every endpoint (the OpenAPI document lists the same)
ENDPOINTS = (("GET", "/health"), ("GET", "/profiles"), ("GET", "/profiles/{name}"),
             ("GET", "/schema/profile"), ("POST", "/score"), ("POST", "/sensitivity"),
             ("POST", "/select"), ("POST", "/allocate"), ("POST", "/locate"),
             ("POST", "/access"), ("GET", "/map/{profile}"), ("GET", "/brief/{profile}"))

#: the names the service answers to unless told otherwise (the port is not checked)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")

_GEOJSON = "application/geo+json"
_FEATURES = {"type": "object", "required": ["type", "features"], "properties": {
    "type": {"const": "FeatureCollection"}, "features": {"type": "array"}}}

_WHEN = {400: "the Host header is not an allowed name, or Content-Length is not a number",
         404: "no built-in profile of that name",
         413: "the request body is over the server's size limit",
         422: "the request or its data cannot be used: each problem names the field, what is "
              "wrong and the fix",
         500: "internal error (the details are in the server's log)",
         501: "this siteplan has no such function or option",
         503: "the solver gave no answer on good input (e.g. within its time limit): try "
              "again with more time or a smaller problem",
         504: "the request took longer than the server's time limit; its work was stopped"}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the error answers ``codes`` (JSON bodies, see ErrorBody)."""
    return {code: {"model": ErrorBody, "description": _WHEN[code]}
            for code in (400, *codes, 500)}


_RUN = (404, 413, 422, 501, 504)  # what a request with work to run may answer
_SOLVE = (*_RUN, 503)               # ... and one that runs an optimisation solver


class _CheckedRequest(Request):
    """A request whose JSON body is read by ``_body.parse_body`` (refuses what cannot be used)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_body(await self.body())
        return self._json


class _Route(APIRoute):
    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request):
            return await handler(_CheckedRequest(request.scope, request.receive))

        return route


class _Service:
    """What the endpoints share: the layers (for /health) and the worker processes."""

    def __init__(self, layers, *, workers: int, time_limit: float, warm: bool,
                 start_method: str | None = None, register: str | None = None):
        self.layers = layers
        # (make the worker's context, its argument, run a job): see _pool.WorkerPool
        setup: tuple[Callable[[Any], Any], Any, Callable[..., tuple[int, str, bytes]]]
        if register is None:
            setup = (make_context, (layers_state(layers), warm), run_job)
        else:  # the workers also answer the register's endpoints
            from ._offers import make_offer_context
            from ._offers import run_job as run_offer_job

            setup = (make_offer_context, (layers_state(layers), warm, register), run_offer_job)
        self.runner = Runner(setup, workers=workers, time_limit=time_limit,
                             start_method=start_method)

    async def run(self, name: str, **kwargs: Any) -> Response:
        status, media, body = await self.runner(name, **kwargs)
        return Response(body, status_code=status, media_type=media)

    async def solve(self, name: str, req: Any) -> Response:
        """A job with a solver: its time limit at most the request's and the server's."""
        return await self.run(name, req=req, solver_time_limit=min(
            req.solver_time_limit, self.runner.time_limit))


def _json(obj: Any, *, status: int = 200, media: str = "application/json",
          headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return Response(body, status_code=status, media_type=media, headers=headers)


def _shown(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=True, default=repr)
    return text if len(text) <= limit else text[:limit] + "..."


def _problem(err: dict[str, Any]) -> Problem:
    """One pydantic error as a Problem: the field, the value given, what is wrong, the fix."""
    loc = [str(p) for p in err.get("loc", ())]
    if loc and loc[0] == "body":
        loc = loc[1:]
    where = "request " + ".".join(loc) if loc else "request body"
    kind = err.get("type", "")
    msg = str(err.get("msg"))
    if kind == "json_invalid":           # its place is a character of the text, not a field
        at = loc[0] if loc else "?"
        why = str((err.get("ctx") or {}).get("error") or "")
        return Problem("request body", f"is not valid JSON (at character {at}"
                       + (f": {why}" if why else "") + ")", "send valid JSON")
    if kind != "missing" and "input" in err:
        msg += f" (got {_shown(err['input'])})"
    fix = {"missing": "add this field",
           "extra_forbidden": "remove this field; the fields are in the OpenAPI document "
                              "(/docs)",
           "json_invalid": "send valid JSON"}.get(kind)
    if fix is None:
        fix = ("send the type the OpenAPI document (/docs) gives: no conversion is made (true "
               "is not a number, \"5\" is not 5)" if kind.endswith("_type") else
               "see the OpenAPI document (/docs) for the values allowed")
    return Problem(where, msg, fix)


def create_app(layers, *, max_body_bytes: int = 16_000_000, time_limit: float = 60.0,
               workers: int = 4, cors_origins: Sequence[str] = (),
               allowed_hosts: Sequence[str] = LOOPBACK_HOSTS, warm: bool = True,
               start_method: str | None = None, register: Any = None,
               require_tokens: bool = False) -> FastAPI:
    """The siteplan HTTP/JSON service over ``layers`` (run it with uvicorn).

    Parameters
    ----------
    layers
        A :class:`siteplan.Layers` bundle, loaded once and shared read-only by
        every request.
    max_body_bytes
        Largest request body accepted; larger ones get 413.
    time_limit
        Seconds a request may take, waiting for a worker included; longer
        ones get 504 and their work is stopped (the worker process is killed
        and replaced).
    workers
        Worker processes doing the requests' work at once (more wait their
        turn).
    cors_origins
        Origins allowed to call from a browser (CORS); none by default.
    allowed_hosts
        Names the service answers to in the ``Host`` header (the port is not
        checked); others get 400. Loopback names by default; ``*.example.org``
        allows the sub-domains, ``*`` any name (behind a proxy that checks).
    warm
        Score every built-in profile once when the workers start, so that the
        search trees and road graph are built before the first request.
    start_method
        ``"fork"`` (the default where the system can fork: the workers are
        forked from one process that loaded the layers) or ``"spawn"``.
    register
        The site-offer register (a file, a ``postgresql://`` URL or an open
        :class:`siteplan.register.Register`, made before with
        ``siteplan register init``): adds ``/offers``, ``/partners`` and
        ``/tokens``, which need a token from its database (``Authorization:
        Bearer ...``; ``siteplan register token add``).
    require_tokens
        Every endpoint needs a token (only the API's description,
        ``/openapi.json`` and ``/docs``, stays open). ``siteplan serve``
        sets it for any ``--host`` that is not a loopback address; needs a
        register, which holds the tokens.

    Returns
    -------
    fastapi.FastAPI
        The app; its OpenAPI document is at ``/openapi.json``, its docs at
        ``/docs``. The worker processes start with the app's lifespan (as
        uvicorn runs it) or at the first request, and stop with the lifespan.

    Examples
    --------
    >>> import siteplan as sp
    >>> from siteplan.serve import create_app
    >>> app = create_app(sp.load_sample(), warm=False)
    >>> "/score" in app.openapi()["paths"]
    True
    """
    target = _register_target(register, require_tokens)
    auth = _open_auth(target, require_tokens)
    svc = _Service(layers, workers=workers, time_limit=time_limit, warm=warm,
                   start_method=start_method, register=target)
    app = FastAPI(title="siteplan", version=__version__, lifespan=_lifespan(svc, auth),
                  description=_DESCRIPTION)
    app.router.route_class = _Route
    app.state.service = svc
    _add_middleware(app, auth, max_body_bytes=max_body_bytes, cors_origins=cors_origins,
                    allowed_hosts=allowed_hosts)
    _add_error_handlers(app)
    _add_info_routes(app, svc, max_body_bytes=max_body_bytes, time_limit=time_limit,
                     workers=workers, allowed_hosts=allowed_hosts)
    _add_job_routes(app, svc)
    if target is not None:
        from ._offer_routes import add_offer_routes

        add_offer_routes(app, svc)
        _document_tokens(app, require_tokens)
    return app


_DESCRIPTION = (
    "Scores Kota Serang's city-owned parcels for CSR facilities (green open space, "
    "culinary centre, public facility, religious tourism), explains every score and "
    "draws maps. Layers are the server's unless parcels are posted as GeoJSON "
    "(EPSG:4326, RFC 7946); errors are JSON with the list of problems.")


def _open_auth(target: str | None, require_tokens: bool) -> Auth | None:
    """The register's token check (None without a register); a missing or newer register
    fails now, not at the first request."""
    if target is None:
        return None
    from ._auth import Auth

    auth = Auth(target, require=require_tokens)
    auth.check()
    return auth


def _lifespan(svc: _Service, auth: Auth | None
              ) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the worker processes start with it; they, and the register's
    token check, are closed when it ends."""

    @asynccontextmanager
    async def lifespan(_app):
        import anyio.to_thread

        started_here = not svc.runner.pool.started  # else whoever started it closes it
        await anyio.to_thread.run_sync(svc.runner.start)
        try:
            yield
        finally:
            if started_here:
                svc.runner.close()
            if auth is not None:
                auth.close()

    return lifespan


def _add_middleware(app: FastAPI, auth: Auth | None, *, max_body_bytes: int,
                    cors_origins: Sequence[str], allowed_hosts: Sequence[str]) -> None:
    """The checks before any route, outermost first: the Host header, CORS, the token,
    the body's size."""
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    if auth is not None:  # inside CORS (a browser's preflight carries no token)
        from ._auth import TokenGate

        app.add_middleware(TokenGate, auth=auth, open_paths=tuple(
            p for p in (app.openapi_url, app.docs_url, app.redoc_url,
                        app.swagger_ui_oauth2_redirect_url) if p),
            token_paths=("/offers", "/partners", "/tokens"))
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization"])
    app.add_middleware(HostCheck, allowed=list(allowed_hosts))  # outermost: first check


def _add_error_handlers(app: FastAPI) -> None:
    """Every error answered as siteplan's JSON error body (see ErrorBody)."""
    app.exception_handler(SiteplanInputError)(_bad_input)
    app.exception_handler(ServiceError)(_service_error)
    app.exception_handler(RequestValidationError)(_bad_request)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(Exception)(_internal)


async def _bad_input(_request: Request, exc: SiteplanInputError) -> Response:
    """422 with the problems of input siteplan cannot use."""
    return _json(input_error(exc), status=422)


async def _service_error(_request: Request, exc: ServiceError) -> Response:
    """The service's own error answer (a 401 also names the bearer scheme)."""
    headers = {"WWW-Authenticate": 'Bearer realm="siteplan"'} if exc.status == 401 \
        else None
    return _json(jsonable(exc.body), status=exc.status, headers=headers)


async def _bad_request(_request: Request, exc: RequestValidationError) -> Response:
    """422 for a request the fields' checks refused, every problem listed."""
    problems = _request_problems(exc)
    message = "; ".join(str(p) for p in problems)
    return _json({"error": "invalid_request", "message": message,
                  "problems": problem_dicts(problems)}, status=422)


def _request_problems(exc: RequestValidationError) -> list[Problem]:
    """The problems of a refused request: the body's reader's own, else one per field."""
    cause = exc.__cause__
    if isinstance(cause, BodyRefused):
        return [Problem(cause.where, cause.what, cause.fix)]
    problems = []
    for err in exc.errors():
        refused = (err.get("ctx") or {}).get("error")
        if isinstance(refused, PathRefusedError):
            where = ".".join(str(p) for p in err.get("loc", ()))
            problems.append(Problem(f"request {where}", refused.what, refused.fix))
        else:
            problems.append(_problem(err))
    return problems


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """404, 405 and other HTTP errors as JSON, naming the method and path."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = f"{request.method} {request.url.path}: {exc.detail}"
    fix = "see the endpoints in the OpenAPI document (/docs)"
    if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
        fix = f"use {exc.headers['Allow']} here; {fix}"
    return _json(error_dict(code, message, fix=fix), status=exc.status_code,
                 headers=exc.headers)


async def _internal(request: Request, exc: Exception) -> Response:
    """500 without details; the traceback goes to the server's log."""
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(error_dict("internal", "internal error; the server's log has the details",
                            fix="tell the service's operator"), status=500)


def _add_info_routes(app: FastAPI, svc: _Service, *, max_body_bytes: int, time_limit: float,
                     workers: int, allowed_hosts: Sequence[str]) -> None:
    """The endpoints answered in the server's process: /health, the built-in profiles and
    the profile format's JSON Schema."""
    from ..profiles.profile import get_profile, list_profiles

    @app.get("/health", summary="Is the service up, and what does it serve",
             responses=_errors())
    async def health():
        lay = svc.layers
        return _json({"status": "ok", "siteplan_version": __version__,
                      "crs": lay.crs.to_string(), "synthetic": lay.synthetic,
                      "layers": {name: len(lay[name]) for name in lay},
                      "limits": {"max_body_bytes": max_body_bytes, "time_limit_s": time_limit,
                                 "workers": workers},
                      "allowed_hosts": list(allowed_hosts)})

    @app.get("/profiles", summary="The built-in profiles: names and titles",
             responses=_errors())
    async def profiles():
        out = []
        for name in list_profiles():
            prof = get_profile(name)
            out.append({"name": name, "title": dict(prof.title),
                        "description": dict(prof.description), "method": prof.method,
                        "criteria": [c.name for c in prof.criteria]})
        return _json({"profiles": out})

    @app.get("/profiles/{name}", summary="One built-in profile as JSON (send it back inline)",
             responses=_errors(404, 422))
    async def profile(name: str):
        from ..profiles.profile import builtin_profile_text

        resolve_profile(name)  # 404 when unknown
        return _json(tomllib.loads(builtin_profile_text(name)))

    @app.get("/schema/profile", summary="JSON Schema of the profile format",
             response_class=Response, responses={
                 200: {"description": "the JSON Schema (draft 2020-12)",
                       "content": {"application/schema+json": {"schema": {"type": "object"}}}},
                 **_errors()})
    async def schema():
        from ..profiles.schema import profile_schema

        return _json(profile_schema(), media="application/schema+json")


def _geojson_ok(what: str, *, solver: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of an endpoint answering GeoJSON features (and the run's errors;
    with ``solver``, also the 503 of a solver without an answer)."""
    return {200: {"description": what, "content": {_GEOJSON: {"schema": _FEATURES}}},
            **_errors(*(_SOLVE if solver else _RUN))}


def _html_ok(what: str, *codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of an endpoint answering an HTML page (and the errors ``codes``)."""
    # the errors are JSON: the route's class is Response, the page's type is given here
    return {200: {"description": what,
                  "content": {"text/html": {"schema": {"type": "string"}}}},
            **_errors(*codes)}


def _add_job_routes(app: FastAPI, svc: _Service) -> None:
    """The endpoints whose work runs in the worker processes: scoring, sensitivity,
    selection, allocation, the map and the brief."""

    @app.post("/score", summary="Score parcels with a profile (GeoJSON out, EPSG:4326)",
              response_class=Response, responses=_geojson_ok(
                  "every candidate parcel (or the best 'top') with its score, rank, status "
                  "and criteria"))
    async def score(req: ScoreRequest):
        return await svc.run("score", req=req)

    @app.post("/sensitivity", summary="Rank stability under perturbed weights",
              response_class=Response, responses=_geojson_ok(
                  "the scored parcels with p_top_k and rank percentiles"))
    async def sensitivity(req: SensitivityRequest):
        return await svc.run("sensitivity", req=req)

    @app.post("/select", summary="Choose k sites together, most people newly in reach",
              response_class=Response, responses=_geojson_ok("the chosen sites",
                                                              solver=True))
    async def select(req: SelectRequest):
        return await svc.run("select", req=req)

    @app.post("/allocate", summary="Share the parcels among several uses (sp.allocate)",
              response_class=Response, responses={
                  200: {"description": "the plan: GeoJSON of the allocated parcels",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                  **_errors(*_SOLVE)})
    async def allocate(req: AllocateRequest):
        return await svc.solve("allocate", req)

    @app.post("/locate", summary="Choose sites with a location model (sp.locate_sites)",
              response_class=Response, responses=_geojson_ok(
                  "the chosen sites with the people each serves; the plan's objective, "
                  "bound, gap and status in 'plan'", solver=True))
    async def locate(req: LocateRequest):
        return await svc.solve("locate", req)

    @app.post("/access", summary="Access of every square of people to the facilities there",
              response_class=Response, responses=_geojson_ok(
                  "one point per square of people with its access; the table per area in "
                  "'areas' and the equity figures in 'equity'"))
    async def access(req: AccessRequest):
        return await svc.run("access", req=req)

    @app.get("/map/{profile}", summary="The HTML map of a built-in profile on the server's "
             "layers", response_class=Response, responses=_html_ok(
                 "the map, a self-contained HTML page", 404, 422, 504))
    async def map_page(profile: str, lang: Lang = "id",
                       top: int = Query(10, ge=0, le=100)):
        return await svc.run("map", profile=profile, lang=lang, top=top)

    @app.get("/brief/{profile}", summary="The partner meeting brief (sp.site_brief)",
             response_class=Response, responses=_html_ok(
                 "the brief, an HTML page", 404, 422, 501, 504))
    async def brief(profile: str, top: int = Query(5, ge=1, le=50),
                    lang: Lang = "id"):
        return await svc.run("brief", profile=profile, lang=lang, top=top)


def _register_target(register: Any, require_tokens: bool) -> str | None:
    """Where the register is (a path or URL) from what ``create_app`` was given."""
    from pathlib import Path

    if register is None:
        if require_tokens:
            raise SiteplanInputError(Problem(
                "create_app", "require_tokens needs a register: the tokens are in its "
                "database", "pass register=\"offers.gpkg\" (siteplan serve --register "
                "FILE_OR_URL), or serve on a loopback --host"))
        return None
    if isinstance(register, Path):
        return str(register)
    if isinstance(register, str) and register.strip():
        return register
    db = getattr(register, "_db", None)
    if db is not None and getattr(db, "target", None):
        return str(db.target)
    raise SiteplanInputError(Problem("create_app", f"register must be a file, a "
                                     f"postgresql:// URL or a Register, got "
                                     f"{type(register).__name__}",
                                     "pass register=\"offers.gpkg\""))


def _document_tokens(app: FastAPI, required: bool) -> None:
    """The bearer tokens in the OpenAPI document: required by the register's endpoints (and,
    with ``required``, by every endpoint), optional elsewhere."""
    from ._offer_routes import OFFER_ENDPOINTS

    base = app.openapi
    register_paths = {p for _, p in OFFER_ENDPOINTS}

    def openapi() -> dict[str, Any]:
        doc = base()
        if "bearer" in doc.get("components", {}).get("securitySchemes", {}):
            return doc
        doc.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
            "type": "http", "scheme": "bearer", "description": "a token of the register "
            "(siteplan register token add): spt_<key>_<secret>"}
        for path, ops in doc.get("paths", {}).items():
            for op in ops.values():
                op["security"] = [{"bearer": []}] if required or path in register_paths \
                    else [{}, {"bearer": []}]
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
