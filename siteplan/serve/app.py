"""The HTTP/JSON service: a FastAPI app over one layer bundle, loaded once, shared read-only.

Every request works on its own view of the server's layers: the layers'
data is shared (nothing in siteplan writes to it), and what a request caches
while it runs (search trees for a filter no built-in profile uses, say)
stays in that request's view. The caches of the built-in profiles are built
once at start, before the first request. Posted parcels make a new bundle
with :meth:`siteplan.Layers.replace`; the server's bundle never changes.
"""

from __future__ import annotations

import inspect
import json
import logging
import tomllib
from collections import ChainMap
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Any, Literal

try:
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import HTMLResponse, Response
    from starlette.exceptions import HTTPException
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("siteplan's HTTP service needs FastAPI and uvicorn: "
                      "pip install 'siteplan[serve]'") from exc

from shapely.errors import GEOSException

from .._errors import Problem, SiteplanInputError
from .._version import __version__
from ._geojson import feature_collection, jsonable, layer_from_geojson, public_sources
from ._guard import BodyLimit, Runner, ServiceError, error_dict, input_error, problem_dicts
from ._schemas import (
    AllocateRequest,
    PathRefusedError,
    ScoreRequest,
    SelectRequest,
    SensitivityRequest,
)

__all__ = ["create_app", "ENDPOINTS"]

log = logging.getLogger(__name__)

#: method and path of every endpoint (the OpenAPI document lists the same)
ENDPOINTS = (("GET", "/health"), ("GET", "/profiles"), ("GET", "/profiles/{name}"),
             ("GET", "/schema/profile"), ("POST", "/score"), ("POST", "/sensitivity"),
             ("POST", "/select"), ("POST", "/allocate"), ("GET", "/map/{profile}"),
             ("GET", "/brief/{profile}"))

_GEOJSON = "application/geo+json"


class _Service:
    """What the endpoints share: the read-only layers, their warm caches, the workers."""

    def __init__(self, layers, *, workers: int, time_limit: float, warm: bool):
        import siteplan as sp

        self._layers = layers
        if warm:
            for name in sp.list_profiles():  # four profiles: builds the shared caches
                try:
                    sp.score(layers, name)
                except SiteplanInputError as exc:
                    log.warning("profile %s cannot run on these layers: %s", name, exc)
        cache = layers.cache
        built = cache.keys()  # a LayerCache is not iterable itself
        # the context entries built so far (search trees, road graph, ...), frozen
        self._shared = MappingProxyType({key: cache.get(key, _unbuilt) for key in built
                                         if not key.on_parcels})
        self.runner = Runner(workers=workers, time_limit=time_limit)

    def view(self):
        """The server's layers with a cache of this request's own over the shared one."""
        import siteplan as sp
        from siteplan.layers import LayerCache

        src = self._layers
        view = sp.Layers(dict(src.items()), crs=src.crs, repairs=src.repairs,
                         rejected=src.rejected, rejected_parcels=src.rejected_parcels,
                         sources=src.sources, synthetic=src.synthetic,
                         attribution=src.attribution)
        # reads fall through to the frozen shared entries; writes stay in this request's map
        object.__setattr__(view, "cache", LayerCache(ChainMap({}, self._shared)))
        return view

    def bundle(self, parcels: dict | None):
        """The layers for one request: the server's, or with the posted parcels instead."""
        if parcels is None:
            return self.view()
        gdf = layer_from_geojson(parcels, layer="parcels")
        return self._layers.replace(parcels=gdf)

    @property
    def layers(self):
        return self._layers


def _unbuilt() -> Any:
    raise RuntimeError("a listed cache entry was not there")


def _profile(ref: str | dict) -> Any:
    """A profile from a built-in name (404 when unknown) or an inline profile (422 when bad)."""
    import siteplan as sp
    from siteplan.profiles import profile_from_dict

    if isinstance(ref, str):
        names = sp.list_profiles()
        if ref not in names:
            raise ServiceError(404, "unknown_profile", f"no built-in profile {ref[:80]!r}",
                               profiles=names, fix="use one of the names from GET /profiles, "
                               "or send the profile itself as JSON")
        return sp.get_profile(ref)
    try:
        return profile_from_dict(ref, where="inline profile")
    except SiteplanInputError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise SiteplanInputError(Problem("inline profile", f"could not be read ({exc})",
                                         "check it against GET /schema/profile")) from None


def _score_options(method: str | None, missing: str | None) -> dict[str, Any]:
    import siteplan as sp

    options: dict[str, Any] = {}
    if method is not None:
        options["method"] = method
    if missing is not None:
        if "missing" not in inspect.signature(sp.score).parameters:
            raise ServiceError(501, "not_implemented", f"this siteplan ({__version__}) has no "
                               "'missing' option in sp.score", fix="leave 'missing' out")
        options["missing"] = missing
    return options


def _optional(name: str) -> Callable:
    """``sp.<name>`` when this siteplan has it, else a 501 answer."""
    import siteplan as sp

    try:
        return getattr(sp, name)
    except AttributeError:
        raise ServiceError(501, "not_implemented", f"this siteplan ({__version__}) has no "
                           f"sp.{name} yet", fix="update siteplan on the server") from None


def _json(obj: Any, *, status: int = 200, media: str = "application/json") -> Response:
    body = json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return Response(body, status_code=status, media_type=media)


def _best(result, top: int | None):
    if top is None:
        return result
    scored = result.loc[result["status"] == "scored"]
    return scored.sort_values("rank", kind="stable").head(top)


def _plan_json(plan: Any) -> Any:
    """Any allocation result as JSON: GeoJSON for a GeoDataFrame, records for a table."""
    import geopandas as gpd
    import pandas as pd

    attrs = {k: public_sources(v) if isinstance(v, dict) else v
             for k, v in getattr(plan, "attrs", {}).items()}
    if isinstance(plan, gpd.GeoDataFrame):
        return feature_collection(plan, members={"attrs": attrs})
    if isinstance(plan, pd.DataFrame):
        return {"rows": jsonable(plan.reset_index().to_dict(orient="records")),
                "attrs": jsonable(attrs)}
    if isinstance(plan, dict):
        return {str(k): _plan_json(v) for k, v in plan.items()}
    return jsonable(plan)


def _html_text(page: Any) -> str:
    if isinstance(page, str):
        return page
    if hasattr(page, "_repr_html_"):
        return page._repr_html_()
    return str(page)


def create_app(layers, *, max_body_bytes: int = 16_000_000, time_limit: float = 60.0,
               workers: int = 4, cors_origins: Sequence[str] = (),
               warm: bool = True) -> FastAPI:
    """The siteplan HTTP/JSON service over ``layers`` (run it with uvicorn).

    Parameters
    ----------
    layers
        A :class:`siteplan.Layers` bundle, loaded once and shared read-only by
        every request.
    max_body_bytes
        Largest request body accepted; larger ones get 413.
    time_limit
        Seconds a request may take; longer ones get 504.
    workers
        Worker threads doing the requests' work at once (more wait their turn).
    cors_origins
        Origins allowed to call from a browser (CORS); none by default.
    warm
        Score every built-in profile once at start, so that the search trees
        and road graph are built before the first request.

    Returns
    -------
    fastapi.FastAPI
        The app; its OpenAPI document is at ``/openapi.json``, its docs at ``/docs``.

    Examples
    --------
    >>> import siteplan as sp
    >>> from siteplan.serve import create_app
    >>> app = create_app(sp.load_sample(), warm=False)
    >>> "/score" in app.openapi()["paths"]
    True
    """
    import siteplan as sp

    svc = _Service(layers, workers=workers, time_limit=time_limit, warm=warm)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        svc.runner.close()

    app = FastAPI(title="siteplan", version=__version__, lifespan=lifespan, description=(
        "Scores Kota Serang's city-owned parcels for CSR facilities (green open space, "
        "culinary centre, public facility, religious tourism), explains every score and "
        "draws maps. Layers are the server's unless parcels are posted as GeoJSON "
        "(EPSG:4326); errors are JSON with the list of problems."))
    app.state.service = svc
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])

    @app.exception_handler(SiteplanInputError)
    async def _bad_input(_request: Request, exc: SiteplanInputError):
        return _json(input_error(exc), status=422)

    @app.exception_handler(GEOSException)
    async def _geometry_refused(_request: Request, exc: GEOSException):
        # GEOS refuses what it cannot compute: coordinates or distances out of range
        problem = Problem("request", f"the geometry library refused the input ({exc})",
                          "check the posted coordinates and the profile's distances and radii")
        return _json(input_error(SiteplanInputError(problem)), status=422)

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError):
        return _json(jsonable(exc.body), status=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, PathRefusedError):
                problems.append(Problem(f"request {where}", cause.what, cause.fix))
                continue
            fix = {"missing": "add this field", "extra_forbidden": "remove this field; the "
                   "fields are in the OpenAPI document (/docs)", "json_invalid": "send valid "
                   "JSON"}.get(err.get("type"), "see the OpenAPI document (/docs)")
            problems.append(Problem(f"request {where}", str(err.get("msg")), fix))
        message = "; ".join(str(p) for p in problems)
        return _json({"error": "invalid_request", "message": message,
                      "problems": problem_dicts(problems)}, status=422)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return _json(error_dict(code, message, fix="see the endpoints in the OpenAPI document "
                                "(/docs)"), status=exc.status_code)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return _json(error_dict("internal", "internal error; the server's log has the details",
                                fix="tell the service's operator"), status=500)

    @app.get("/health", summary="Is the service up, and what does it serve")
    async def health():
        lay = svc.layers
        return _json({"status": "ok", "siteplan_version": __version__,
                      "crs": lay.crs.to_string(), "synthetic": lay.synthetic,
                      "layers": {name: len(lay[name]) for name in lay},
                      "limits": {"max_body_bytes": max_body_bytes, "time_limit_s": time_limit,
                                 "workers": workers}})

    @app.get("/profiles", summary="The built-in profiles: names and titles")
    async def profiles():
        out = []
        for name in sp.list_profiles():
            prof = sp.get_profile(name)
            out.append({"name": name, "title": dict(prof.title),
                        "description": dict(prof.description), "method": prof.method,
                        "criteria": [c.name for c in prof.criteria]})
        return _json({"profiles": out})

    @app.get("/profiles/{name}", summary="One built-in profile as JSON (send it back inline)")
    async def profile(name: str):
        from siteplan.profiles import builtin_profile_text

        _profile(name)  # 404 when unknown
        return _json(tomllib.loads(builtin_profile_text(name)))

    @app.get("/schema/profile", summary="JSON Schema of the profile format")
    async def schema():
        from siteplan.profile_schema import profile_schema

        return _json(profile_schema(), media="application/schema+json")

    @app.post("/score", summary="Score parcels with a profile (GeoJSON out, EPSG:4326)",
              response_class=Response, responses={200: {"content": {_GEOJSON: {}}}})
    async def score(req: ScoreRequest):
        prof = _profile(req.profile)
        options = _score_options(req.method, req.missing)

        def job():
            result = sp.score(svc.bundle(req.parcels), prof, **options)
            info = public_sources(result.attrs["siteplan"])
            return feature_collection(_best(result, req.top), members={"siteplan": info})

        return _json(await svc.runner(job), media=_GEOJSON)

    @app.post("/sensitivity", summary="Rank stability under perturbed weights",
              response_class=Response, responses={200: {"content": {_GEOJSON: {}}}})
    async def sensitivity(req: SensitivityRequest):
        prof = _profile(req.profile)
        options = _score_options(req.method, req.missing)

        def job():
            result = sp.score(svc.bundle(req.parcels), prof, **options)
            stab = sp.sensitivity(result, prof, draws=req.draws, spread=req.spread,
                                  top_k=req.top_k, seed=req.seed)
            joined = result.join(stab)
            settings = {"draws": req.draws, "spread": req.spread, "top_k": req.top_k,
                        "seed": req.seed, "leave_one_out": stab.attrs.get("leave_one_out")}
            return feature_collection(_best(joined, req.top), members={
                "siteplan": public_sources(result.attrs["siteplan"]),
                "sensitivity": settings})

        return _json(await svc.runner(job), media=_GEOJSON)

    @app.post("/select", summary="Choose k sites together, most people newly in reach",
              response_class=Response, responses={200: {"content": {_GEOJSON: {}}}})
    async def select(req: SelectRequest):
        prof = _profile(req.profile)
        options = _score_options(req.method, req.missing)

        def job():
            bundle = svc.bundle(req.parcels)
            existing = None if req.existing is None else layer_from_geojson(
                req.existing, layer="existing")
            result = sp.score(bundle, prof, **options)
            chosen = sp.select_sites(result, bundle, k=req.k, radius=req.radius,
                                     existing=existing, min_spacing=req.min_spacing,
                                     per_kecamatan=req.per_kecamatan,
                                     min_score=req.min_score, solver=req.solver)
            return feature_collection(chosen, members={
                "siteplan": public_sources(result.attrs["siteplan"]),
                "selection": chosen.attrs.get("selection")})

        return _json(await svc.runner(job), media=_GEOJSON)

    @app.post("/allocate", summary="Share the parcels among several uses (sp.allocate)")
    async def allocate(req: AllocateRequest):
        allocate_ = _optional("allocate")
        profs = [_profile(ref) for ref in req.profiles]
        names = [p.name for p in profs]
        problems = []
        if len(set(names)) != len(names):
            problems.append(Problem("request profiles", f"names repeat: {names}",
                                    "give each use once"))
        unknown = sorted(set(req.demand) - set(names))
        if unknown:
            problems.append(Problem("request demand", f"names no profile of the request: "
                                    f"{unknown}", f"use the profiles' names: {names}"))
        if problems:
            raise SiteplanInputError(problems)
        options = _score_options(req.method, req.missing)

        def job():
            bundle = svc.bundle(req.parcels)
            results = {p.name: sp.score(bundle, p, **options) for p in profs}
            plan = allocate_(results, bundle, demand=dict(req.demand), objective=req.objective,
                             radius=req.radius, min_spacing=req.min_spacing,
                             per_kecamatan=req.per_kecamatan, fixed=req.fixed,
                             exclude=req.exclude, solver=req.solver,
                             time_limit=min(req.solver_time_limit, svc.runner.time_limit))
            return _plan_json(plan)

        return _json(await svc.runner(job))

    @app.get("/map/{profile}", summary="The HTML map of a built-in profile on the server's "
             "layers", response_class=HTMLResponse)
    async def map_page(profile: str, lang: Literal["id", "en"] = "id",
                       top: int = Query(10, ge=0, le=100)):
        prof = _profile(profile)

        def job():
            bundle = svc.view()
            m = sp.render_map(sp.score(bundle, prof), bundle, lang=lang, top=top)
            return m.get_root().render()

        return HTMLResponse(await svc.runner(job))

    @app.get("/brief/{profile}", summary="The partner meeting brief (sp.site_brief)",
             response_class=HTMLResponse)
    async def brief(profile: str, top: int = Query(5, ge=1, le=50),
                    lang: Literal["id", "en"] = "id"):
        site_brief = _optional("site_brief")
        prof = _profile(profile)

        def job():
            bundle = svc.view()
            return _html_text(site_brief(sp.score(bundle, prof), bundle, top=top, lang=lang))

        return HTMLResponse(await svc.runner(job))

    return app
