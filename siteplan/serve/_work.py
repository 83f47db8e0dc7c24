"""The work of the service's requests, as run in a worker process (see ``_pool``).

Each job gets the worker's :class:`Context` (the server's layers and the
shared caches) and the request's validated fields, and returns the whole
answer: ``(status, media type, body bytes)``. A job never raises: bad input
becomes a 422 naming the field, anything unexpected a 500 whose details go
to the server's log only.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
from collections import ChainMap
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from shapely.errors import GEOSException

from .._errors import Problem, SiteplanInputError, SolverError
from .._version import __version__
from ..scoring.record import record_of
from ._geojson import feature_collection, jsonable, layer_from_geojson, public_record
from ._guard import ServiceError, error_dict, input_error

__all__ = ["Context", "make_context", "layers_state", "run_job", "resolve_profile", "JOBS"]

log = logging.getLogger(__name__)

_GEOJSON = "application/geo+json"
_JSON = "application/json"
_HTML = "text/html; charset=utf-8"


def layers_state(layers) -> dict[str, Any]:
    """What a worker needs to rebuild ``layers`` (a Layers bundle does not pickle)."""
    return {"layers": dict(layers.items()), "crs": layers.crs, "repairs": layers.repairs,
            "rejected": layers.rejected, "rejected_parcels": layers.rejected_parcels,
            "sources": dict(layers.sources), "synthetic": layers.synthetic,
            "attribution": layers.attribution}


def make_context(arg: tuple[dict[str, Any], bool]) -> Context:
    """The worker side's context from :func:`layers_state` and the ``warm`` flag."""
    from ..layers.bundle import Layers

    state, warm = arg
    layers = Layers(state.pop("layers"), **state)
    return Context(layers, warm=warm)


class Context:
    """The server's layers, with the caches every request shares (built once, frozen)."""

    # set by siteplan.serve._offers when the service also keeps a register
    register_target: str
    _register: tuple[int, Any]  # (process id, its own register connection)

    def __init__(self, layers, *, warm: bool):
        from ..profiles.profile import list_profiles
        from ..scoring.run import score

        self.layers = layers
        if warm:
            for name in list_profiles():  # four profiles: builds the shared caches
                try:
                    score(layers, name)
                except SiteplanInputError as exc:
                    log.warning("profile %s cannot run on these layers: %s", name, exc)
        # imported once here, not by every forked worker
        for module in ("scoring.stability", "locate.select", "locate.allocation",
                       "render.score_map", "brief"):
            importlib.import_module(f"..{module}", __package__)
        cache = layers.cache
        built = cache.keys()  # a LayerCache is not iterable itself
        # the context entries built so far (search trees, road graph, ...), frozen
        self.shared = MappingProxyType({key: cache.get(key, _unbuilt) for key in built
                                        if not key.on_parcels})

    def view(self):
        """The server's layers with a cache of this request's own over the shared one."""
        from ..layers.bundle import LayerCache

        # reads fall through to the frozen shared entries; writes stay in this request's
        # map; the token is the server's, so what the warmed template measured serves it
        return self.layers.with_cache(LayerCache(ChainMap({}, self.shared)))

    def bundle(self, parcels: Mapping | None):
        """The layers for one request: the server's, or with the posted parcels instead."""
        if parcels is None:
            return self.view()
        gdf = layer_from_geojson(parcels, layer="parcels")
        return self.layers.replace(parcels=gdf)


def _unbuilt() -> Any:
    raise RuntimeError("a listed cache entry was not there")


def resolve_profile(ref: str | dict) -> Any:
    """A profile from a built-in name (404 when unknown) or an inline profile (422 when bad)."""
    from ..profiles.profile import get_profile, list_profiles, profile_from_dict

    if isinstance(ref, str):
        names = list_profiles()
        if ref not in names:
            raise ServiceError(404, "unknown_profile", f"no built-in profile {ref[:80]!r}",
                               profiles=names, fix="use one of the names from GET /profiles, "
                               "or send the profile itself as JSON")
        return get_profile(ref)
    try:
        return profile_from_dict(ref, where="inline profile")
    except SiteplanInputError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise SiteplanInputError(Problem("inline profile", f"could not be read ({exc})",
                                         "check it against GET /schema/profile")) from None


def _score_options(method: str | None, missing: str | None) -> dict[str, Any]:
    from ..scoring.run import score

    options: dict[str, Any] = {}
    if method is not None:
        options["method"] = method
    if missing is not None:
        if "missing" not in inspect.signature(score).parameters:
            raise ServiceError(501, "not_implemented", f"this siteplan ({__version__}) has no "
                               "'missing' option in score", fix="leave 'missing' out")
        options["missing"] = missing
    return options


def _best(result, top: int | None):
    if top is None:
        return result
    scored = result.loc[result["status"] == "scored"]
    return scored.sort_values("rank", kind="stable").head(top)


def _plan_json(plan: Any) -> Any:
    """Any allocation result as JSON: GeoJSON for a GeoDataFrame, records for a table."""
    import geopandas as gpd
    import pandas as pd

    attrs = {k: public_record(v) if k == "siteplan" else v
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


def _body(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")


# --- the jobs ---------------------------------------------------------------------------------

def score_job(ctx: Context, req) -> tuple[int, str, bytes]:
    from ..scoring.run import score

    prof = resolve_profile(req.profile)
    options = _score_options(req.method, req.missing)
    result = score(ctx.bundle(req.parcels), prof, **options)
    info = public_record(record_of(result))
    return 200, _GEOJSON, _body(feature_collection(_best(result, req.top),
                                                   members={"siteplan": info}))


def sensitivity_job(ctx: Context, req) -> tuple[int, str, bytes]:
    from ..scoring.run import score
    from ..scoring.stability import sensitivity

    prof = resolve_profile(req.profile)
    options = _score_options(req.method, req.missing)
    result = score(ctx.bundle(req.parcels), prof, **options)
    stab = sensitivity(result, prof, draws=req.draws, spread=req.spread, top_k=req.top_k,
                          seed=req.seed)
    joined = result.join(stab)
    settings = {"draws": req.draws, "spread": req.spread, "top_k": req.top_k, "seed": req.seed,
                "leave_one_out": stab.attrs.get("leave_one_out")}
    return 200, _GEOJSON, _body(feature_collection(_best(joined, req.top), members={
        "siteplan": public_record(record_of(result)), "sensitivity": settings}))


def select_job(ctx: Context, req) -> tuple[int, str, bytes]:
    from ..locate.select import select_sites
    from ..scoring.run import score

    prof = resolve_profile(req.profile)
    options = _score_options(req.method, req.missing)
    bundle = ctx.bundle(req.parcels)
    existing = None if req.existing is None else layer_from_geojson(req.existing,
                                                                   layer="existing")
    result = score(bundle, prof, **options)
    chosen = select_sites(result, bundle, k=req.k, radius=req.radius, existing=existing,
                             min_spacing=req.min_spacing, per_kecamatan=req.per_kecamatan,
                             min_score=req.min_score, solver=req.solver)
    return 200, _GEOJSON, _body(feature_collection(chosen, members={
        "siteplan": public_record(record_of(result)),
        "selection": chosen.attrs.get("selection")}))


def allocate_job(ctx: Context, req, solver_time_limit: float) -> tuple[int, str, bytes]:
    from ..locate.allocation import allocate as allocate_
    from ..scoring.run import score
    profs = [resolve_profile(ref) for ref in req.profiles]
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
    bundle = ctx.bundle(req.parcels)
    results = {p.name: score(bundle, p, **options) for p in profs}
    plan = allocate_(results, bundle, demand=dict(req.demand), objective=req.objective,
                     radius=req.radius, min_spacing=req.min_spacing,
                     per_kecamatan=req.per_kecamatan, fixed=req.fixed, exclude=req.exclude,
                     solver=req.solver, time_limit=solver_time_limit)
    return 200, _JSON, _body(_plan_json(plan))


def map_job(ctx: Context, profile: str, lang: str, top: int) -> tuple[int, str, bytes]:
    from ..render.score_map import render_map
    from ..scoring.run import score

    prof = resolve_profile(profile)
    bundle = ctx.view()
    m = render_map(score(bundle, prof), bundle, lang=lang, top=top)
    return 200, _HTML, m.get_root().render().encode("utf-8")


def brief_job(ctx: Context, profile: str, lang: str, top: int) -> tuple[int, str, bytes]:
    from ..brief import site_brief
    from ..scoring.run import score
    prof = resolve_profile(profile)
    bundle = ctx.view()
    page = site_brief(score(bundle, prof), bundle, top=top, lang=lang)
    return 200, _HTML, _html_text(page).encode("utf-8")


def locate_job(ctx: Context, req, solver_time_limit: float) -> tuple[int, str, bytes]:
    from ..locate.sites import locate_sites
    from ..scoring.run import score

    prof = resolve_profile(req.profile)
    bundle = ctx.bundle(req.parcels)
    existing = None if req.existing is None else layer_from_geojson(req.existing,
                                                                   layer="existing")
    result = score(bundle, prof, **_score_options(req.method, req.missing))
    plan = locate_sites(result, bundle, model=req.model, k=req.k, radius=req.radius,
                        cost=req.cost, cell=req.cell, existing=existing,
                        capacity=req.capacity, min_spacing=req.min_spacing,
                        per_kecamatan=req.per_kecamatan, min_score=req.min_score,
                        time_limit=solver_time_limit)
    summary = {k: v for k, v in plan.plan.to_dict().items()
               if k not in {"assignment", "cost", "covered"}}
    return 200, _GEOJSON, _body(feature_collection(plan.sites, members={
        "siteplan": public_record(record_of(result)), "plan": summary,
        "cost_measured": plan.cost}))


def access_job(ctx: Context, req) -> tuple[int, str, bytes]:
    from ..locate.now import access_by_area, access_now, equity

    facilities = layer_from_geojson(req.facilities, layer="facilities")
    units = access_now(ctx.view(), facilities, method=req.method, radius=req.radius,
                       cost=req.cost, cell=req.cell, capacity=req.capacity)
    eq = equity(units["access"], units["people"],
                threshold=0.0 if req.threshold is None else req.threshold)
    areas = access_by_area(units, req.by, threshold=req.threshold) \
        if req.by in units.columns else None
    table = [] if areas is None else [
        {req.by: str(name), **{k: (None if v != v else float(v)) for k, v in row.items()}}
        for name, row in areas.iterrows()]  # one row per kelurahan (a few dozen)
    return 200, _GEOJSON, _body(feature_collection(units, members={
        "equity": eq if req.threshold is not None else {
            k: eq[k] for k in ("mean", "lowest_decile_mean")},
        "areas": table}))


JOBS: dict[str, Callable[..., tuple[int, str, bytes]]] = {
    "score": score_job, "sensitivity": sensitivity_job, "select": select_job,
    "allocate": allocate_job, "map": map_job, "brief": brief_job, "locate": locate_job,
    "access": access_job}


def run_job(ctx: Context, name: str, kwargs: dict[str, Any]) -> tuple[int, str, bytes]:
    """Run one job; every outcome is an answer (status, media type, body), never an exception."""
    try:
        return JOBS[name](ctx, **kwargs)
    except SiteplanInputError as exc:
        return 422, _JSON, _body(input_error(exc))
    except ServiceError as exc:
        return exc.status, _JSON, _body(jsonable(exc.body))
    except SolverError as exc:      # good input, no answer in time: try again with more
        return 503, _JSON, _body(error_dict("solver", f"{exc.where}: the solver gave no "
                                            f"answer ({exc.status})", fix=exc.hint))
    except GEOSException as exc:
        # GEOS refuses what it cannot compute: coordinates or distances out of range
        problem = Problem("request", f"the geometry library refused the input ({exc})",
                          "check the posted coordinates and the profile's distances and radii")
        return 422, _JSON, _body(input_error(SiteplanInputError(problem)))
    except MemoryError:
        problem = Problem("request", "needs more memory than this server has",
                          "ask for less: fewer parcels, smaller radii or distances, fewer "
                          "draws")
        return 422, _JSON, _body(input_error(SiteplanInputError(problem)))
    except Exception:
        log.exception("internal error in the %s job", name)
        return 500, _JSON, _body(error_dict("internal", "internal error; the server's log "
                                            "has the details",
                                            fix="tell the service's operator"))
