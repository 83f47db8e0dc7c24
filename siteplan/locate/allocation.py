"""Share the city's land among facility kinds at once (multi-objective land allocation).

Scoring each profile alone hands the same best parcel to every partner.
:func:`allocate` decides which parcel goes to which use, each parcel used at
most once and each use getting exactly the sites it needs, so that the whole
programme is as good as possible: an exact integer program over
candidate-use pairs (SciPy's HiGHS, as :func:`siteplan.select_sites` uses),
reported beside the *sequential greedy* plan in which each use in turn takes
its best remaining sites. IDRISI/TerrSet calls this MOLA.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError, SolverError, raise_if_problems
from ..limits import (
    MAX_DISTANCE,
    MAX_SITES,
    MAX_TIME_LIMIT,
    bound_text,
    finite,
    number_problem,
    show,
    text_problems,
)
from ..scoring.record import AllocationRecord, Provenance, attach, maybe_record
from ._allocate_build import build_instance, diagnose, split_members
from ._allocate_milp import greedy_plan, people_by_use, plan_value, prune_for_score, solve_milp
from ._allocate_split import solve_split

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["allocate", "OBJECTIVES", "SOLVERS"]

log = logging.getLogger(__name__)

#: objective name -> what it maximises
OBJECTIVES = {"score": "the sum of the allocated sites' scores",
              "coverage": "the people newly within reach of each use's sites"}
#: solver name -> what it does
SOLVERS = {"milp": "exact integer program (SciPy's HiGHS)",
           "greedy": "sequential greedy: each use in turn takes its best remaining sites"}

_WHERE = "allocate"


def allocate(results: Mapping[str, gpd.GeoDataFrame], layers: Layers,
             demand: Mapping[str, int], *, objective: str = "score",
             min_spacing: float | Mapping[str, float] | None = None,
             per_kecamatan: bool | Iterable[str] | Mapping[str, Iterable[str]] | None = None,
             fixed: Mapping[str, str] | None = None, exclude: Iterable[str] | None = None,
             solver: str = "milp", radius: float | Mapping[str, float] | None = None,
             existing: Mapping[str, gpd.GeoDataFrame] | None = None,
             time_limit: float = 60.0, cell: float = 100.0, register=None) -> gpd.GeoDataFrame:
    """Allocate the city's parcels among several uses at once, each parcel at most once.

    Parameters
    ----------
    results
        Use (profile) name -> its :func:`siteplan.score` result. Only eligible
        rows are allocated. Results of :func:`siteplan.assemble_sites` bundles
        may be mixed with parcel results: a site's member parcels (its
        ``members`` column) are each used at most once too.
    layers
        The bundle that was scored (its CRS; its ``population`` and
        ``parcels`` for the coverage objective and ``per_kecamatan``).
    demand
        Use -> how many sites it needs, e.g. ``{"rth": 3, "sentra_kuliner": 1}``.
        Every use must be a key of ``results``; a use of ``results`` not in
        ``demand`` gets no site but its scores are still reported. The
        sequential greedy plan takes the uses in this order.
    objective
        ``"score"`` (the sum of the allocated sites' scores) or ``"coverage"``
        (the people newly within ``radius`` of each use's sites, summed over
        the uses; people already near an ``existing`` facility of that use
        count for nothing; ties go to the higher score).
    min_spacing
        Minimum metres between two sites of the same use: one figure for all
        uses or use -> metres.
    per_kecamatan
        At least one site in every kecamatan of the city's parcels for these
        uses: True (every demanded use), a list of uses, or use -> the
        kecamatan names it must have a site in.
    fixed
        Parcel (or site) id -> use, decided in advance; each counts towards
        its use's demand and must be eligible for it.
    exclude
        Parcel ids kept out (a site is kept out when any member is).
    solver
        ``"milp"`` (exact, the default) or ``"greedy"`` (the sequential plan).
    radius
        Reach in metres for the coverage objective: one figure or use ->
        metres; by default ``siteplan/data/use_reach.csv`` (RTH 1,000 m,
        sentra kuliner 2,000 m, ...).
    existing
        Use -> facilities already there (coverage objective).
    time_limit
        Seconds the integer program may take; when it stops early the best
        plan found is returned and ``status`` says so.
    cell
        Grid size in metres for spreading polygon population into points.
    register
        A site-offer register (:func:`siteplan.open_register`): agreed offers
        (``disepakati``) of one parcel are fixed to their use, other parcels
        held by an open offer are kept out, and built or operating sites are
        ``existing`` facilities of their use (see
        :func:`siteplan.register.use.allocation_args`). Score ``results``
        without the register, so agreed sites are still eligible.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per allocated site: ``parcel_id``, ``use``, ``pick`` (1..n
        within the use, best first), ``score`` (for its use), ``rank`` (its
        rank among all eligible sites of that use), ``score_<use>`` for every
        use of ``results`` (NaN when not eligible), ``fixed``,
        ``greedy_use`` (the use the sequential greedy plan gave it, "" for
        none), ``people_added`` (coverage objective), the parcels' own
        columns and the geometry. ``attrs["allocation"]`` holds the
        objective, its value, the solver status and time, the greedy plan,
        its value and the gain of this plan over it.

    Raises
    ------
    SiteplanInputError
        For bad arguments, and when the demand cannot be met, naming the use
        and why (too few eligible parcels, spacing too tight, a kecamatan
        without candidates, uses competing for the same parcels).

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> results = {u: sp.score(layers, u) for u in ["rth", "sentra_kuliner"]}
    >>> plan = sp.allocate(results, layers, {"rth": 2, "sentra_kuliner": 1})
    >>> plan["use"].value_counts().sort_index().to_dict()
    {'rth': 2, 'sentra_kuliner': 1}
    >>> plan.attrs["allocation"]["gain"] >= 0
    True
    """
    if register is not None:
        from ..register.use import allocation_args

        fixed, exclude, existing = allocation_args(register, results, demand, fixed=fixed,
                                                   exclude=exclude, existing=existing)
    opts = _check(results, layers, demand, objective=objective, min_spacing=min_spacing,
                  per_kecamatan=per_kecamatan, fixed=fixed, exclude=exclude, solver=solver,
                  radius=radius, existing=existing, time_limit=time_limit, cell=cell)
    t0 = time.perf_counter()
    inst, cands, scores = build_instance(results, layers, opts, cell=cell)
    t_build = time.perf_counter() - t0
    greedy, shortfall = greedy_plan(inst, objective)
    t1 = time.perf_counter()
    if solver == "milp":
        chosen, status = _solve(inst, opts, greedy, shortfall, time_limit)
    else:
        if shortfall:
            raise_if_problems(diagnose(inst, opts, "the greedy plan ran out of sites"))
        chosen, status = greedy, "greedy"
    t_solve = time.perf_counter() - t1
    value = plan_value(inst, chosen, objective)
    g_value = plan_value(inst, greedy, objective) if not shortfall else None
    out = _frame(inst, cands, scores, chosen, greedy, objective=objective, layers=layers)
    info = {
        "objective": objective, "demand": {u: int(d) for u, d in opts["demand"].items()},
        "uses": list(results), "titles": opts["titles"], "solver": solver, "status": status,
        "time_s": round(t_solve, 3), "build_time_s": round(t_build, 3), "value": value,
        "n_candidates": len(cands), "n_pairs": inst.n,
        "min_spacing": opts["spacing"], "per_kecamatan": {
            u: list(k) for u, k in opts["per_kec"].items()},
        "fixed": dict(opts["fixed"]), "exclude": sorted(opts["exclude"]),
        "radius": opts["radius"] if objective == "coverage" else None,
        "greedy": {"value": g_value, "complete": not shortfall, "shortfall": shortfall,
                   "plan": [{"parcel_id": str(cands["parcel_id"].iat[inst.pair_cand[p]]),
                             "use": inst.uses[inst.pair_use[p]],
                             "score": float(inst.score[p])} for p in greedy]},
        "gain": None if g_value is None else value - g_value,
        "gain_pct": None if not g_value else 100.0 * (value - g_value) / abs(g_value),
    }
    if objective == "coverage":
        info["people"] = dict(zip(inst.uses, people_by_use(inst, chosen).tolist(),
                                  strict=True))
        info["greedy"]["people"] = dict(zip(inst.uses, people_by_use(inst, greedy).tolist(),
                                            strict=True))
    first = maybe_record(next(iter(results.values())))
    out.attrs = {"allocation": info}
    attach(out, AllocationRecord(
        profiles=tuple(str(u) for u in results), titles=opts["titles"], allocation=info,
        provenance=first.provenance if first is not None else Provenance.of(layers)))
    log.info("allocate: %s, value %.3f, greedy %s, %.2f s", status, value, g_value, t_solve)
    return out


def _solve(inst, opts, greedy, shortfall, time_limit) -> tuple[np.ndarray, str]:
    """The optimal plan and its status; the greedy plan when the solver stops without one."""
    objective = opts["objective"]
    t0 = time.perf_counter()
    if objective == "coverage":          # the joint program is slow when reaches overlap
        chosen = solve_split(inst, None if shortfall else greedy, time_limit=time_limit)
        if chosen is not None:
            return chosen, "optimal (use by use, branching on parcels two uses want)"
    left = max(time_limit - (time.perf_counter() - t0), 1.0)
    small, old = prune_for_score(inst) if objective == "score" else (inst, np.arange(inst.n))
    x, code, message = solve_milp(small, objective, time_limit=left)
    if x is None:
        if code == 2:                    # infeasible: say which use, and why
            raise_if_problems(diagnose(inst, opts, message))
        if not shortfall:
            return greedy, (f"stopped early without a plan ({message}); the sequential "
                            "greedy plan is returned")
        raise SolverError(_WHERE, f"no plan within time_limit={time_limit:g} s: {message}",
                          "raise time_limit, relax min_spacing, or use solver='greedy'")
    chosen = old[x]
    status = "optimal" if code == 0 else f"stopped early: {message}"
    if not shortfall and plan_value(inst, chosen, objective) < plan_value(
            inst, greedy, objective):    # only when HiGHS stopped early
        chosen, status = greedy, status + "; the greedy plan was better and is returned"
    return chosen, status


def _frame(inst, cands, scores, chosen, greedy, *, objective, layers) -> gpd.GeoDataFrame:
    """One row per allocated pair, best first within each use (uses in demand order)."""
    c = inst.pair_cand[chosen]
    u = inst.pair_use[chosen]
    uses = np.asarray(inst.uses, dtype=object)
    rows = cands.iloc[c].reset_index(drop=True)
    out = pd.DataFrame({"parcel_id": rows["parcel_id"].to_numpy(), "use": uses[u]})
    out["score"] = inst.score[chosen]
    rank = np.array([scores[f"rank_{name}"].iat[ci] for name, ci in zip(uses[u], c,
                                                                           strict=True)])
    out["rank"] = pd.array(np.where(np.isfinite(rank), rank, np.nan), dtype="Float64").astype(
        "Int64") if len(rank) else pd.array([], dtype="Int64")
    out["fixed"] = inst.fixed[chosen]
    g_use = pd.Series(uses[inst.pair_use[greedy]], index=inst.pair_cand[greedy])
    out["greedy_use"] = g_use.reindex(c).fillna("").to_numpy(dtype=object)
    if objective == "coverage":
        out["people_added"] = _people_added(inst, chosen)
    for col in scores.columns:
        if col.startswith("score_"):
            out[col] = scores[col].to_numpy()[c]
    extra = [k for k in cands.columns if k not in out.columns and k != "geometry"]
    out = pd.concat([out, rows[extra]], axis=1)
    order = {name: i for i, name in enumerate(inst.uses)}
    key = out["people_added"].to_numpy() if objective == "coverage" else out["score"].to_numpy()
    out = out.assign(_u=out["use"].map(order), _k=-key).sort_values(
        ["_u", "_k", "parcel_id"], kind="stable").drop(columns=["_u", "_k"])
    out.insert(2, "pick", out.groupby("use", sort=False).cumcount().to_numpy() + 1)
    geoms = cands.geometry.to_numpy()[c][out.index.to_numpy()]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=list(geoms), crs=layers.crs)


def _people_added(inst, chosen) -> np.ndarray:
    """People each site adds to its use's reach, walking each use's sites greedily."""
    added = np.zeros(len(chosen))
    for u, (idx, cov, w) in enumerate(inst.cover):      # a handful of uses
        mine = np.flatnonzero(inst.pair_use[chosen] == u)
        rows = np.searchsorted(idx, chosen[mine])
        left = w.astype(float).copy()
        todo = list(range(len(mine)))
        while todo:                                      # the use's few sites
            gains = np.asarray(cov[rows[todo]] @ left).ravel()
            best = todo[int(np.argmax(gains))]
            added[mine[best]] = float(gains.max())
            left[cov[rows[best]].indices] = 0.0
            todo.remove(best)
    return added


def _check(results, layers, demand, *, objective, min_spacing, per_kecamatan, fixed, exclude,
           solver, radius, existing, time_limit, cell=100.0) -> dict:
    """Validate every argument, collect every problem, raise once; normalised options."""
    problems: list[Problem] = []
    titles = _check_results(results, problems)
    dem = _check_demand(demand, results, problems)
    _check_choices(objective, solver, time_limit, cell, problems)
    spacing = _per_use(min_spacing, "min_spacing", dem, problems)
    rad = _per_use(radius, "radius", dem, problems) if objective == "coverage" else {}
    per_kec = _per_kecamatan(per_kecamatan, dem, layers, problems)
    fixed, excl = _check_fixed_exclude(fixed, exclude, dem, problems)
    if objective == "coverage" and "population" not in layers:
        problems.append(Problem(f"{_WHERE}: objective 'coverage'", "needs the 'population' "
                                "layer (where people live)", "pass population=... to "
                                "sp.load_layers, or use objective='score'"))
    if existing is not None and not isinstance(existing, Mapping):
        problems.append(Problem(f"{_WHERE}: existing", "must map a use to a GeoDataFrame of "
                                "facilities already there", "pass e.g. {'rth': parks}"))
    raise_if_problems(problems)
    if objective == "coverage":
        rad = {u: rad.get(u, _default_reach(u)) for u in dem}
    return {"demand": dem, "objective": objective, "spacing": spacing, "radius": rad,
            "per_kec": per_kec, "fixed": {str(k): v for k, v in fixed.items()},
            "exclude": excl, "existing": dict(existing or {}), "titles": titles}


def _check_results(results, problems: list) -> dict[str, dict[str, str]]:
    """Each use's score result (a GeoDataFrame with the score's columns); use -> its title."""
    if not isinstance(results, Mapping) or not results:
        raise SiteplanInputError(Problem(_WHERE, "results must map a use name to its "
                                         "sp.score result", "pass e.g. {'rth': sp.score("
                                         "layers, 'rth')}"))
    titles = {}
    for use, res in results.items():
        if not isinstance(res, gpd.GeoDataFrame):
            problems.append(Problem(f"{_WHERE}: results['{use}']", f"is a "
                                    f"{type(res).__name__}, not a GeoDataFrame",
                                    f"pass sp.score(layers, '{use}')"))
            continue
        missing = [c for c in ("parcel_id", "eligible", "score") if c not in res.columns]
        if missing:
            problems.append(Problem(f"{_WHERE}: results['{use}']", f"has no column(s) "
                                    f"{', '.join(missing)}", f"pass sp.score(layers, '{use}')"))
        rec = maybe_record(res)
        titles[str(use)] = dict(rec.profile.title) if rec is not None and \
            rec.kind == "score" else {"id": str(use), "en": str(use)}
    return titles


def _check_demand(demand, results, problems: list) -> dict[str, int]:
    """Use -> the whole number of sites it asks for, each use one of ``results``."""
    if not isinstance(demand, Mapping) or not demand:
        problems.append(Problem(_WHERE, f"demand must map a use to a number of sites, got "
                                f"{demand!r}", "pass e.g. {'rth': 3, 'sentra_kuliner': 1}"))
        demand = {}
    dem = {}
    for use, d in demand.items():
        if use not in results:
            problems.append(Problem(f"{_WHERE}: demand", f"names use '{use}', which has no "
                                    f"result (results has: {', '.join(map(str, results))})",
                                    f"add results['{use}'] = sp.score(layers, '{use}') or "
                                    "drop it from demand"))
        elif isinstance(d, bool) or not isinstance(d, int | np.integer) or not \
                0 <= d <= MAX_SITES:
            problems.append(Problem(f"{_WHERE}: demand['{use}']", f"must be a whole number "
                                    f"of sites from 0 to {MAX_SITES:,}, got {show(d)}",
                                    f"use e.g. {use}=2"))
        else:
            dem[use] = int(d)
    if demand and dem and not any(dem.values()):
        problems.append(Problem(f"{_WHERE}: demand", "asks for no site at all",
                                "ask at least one use for one site"))
    return dem


def _check_choices(objective, solver, time_limit, cell, problems: list) -> None:
    """A known objective and solver; time_limit and the population grid's cell in bounds."""
    if objective not in OBJECTIVES:
        problems.append(Problem(_WHERE, f"unknown objective {objective!r}",
                                f"use one of {', '.join(OBJECTIVES)}"))
    if solver not in SOLVERS:
        problems.append(Problem(_WHERE, f"unknown solver {solver!r}",
                                f"use one of {', '.join(SOLVERS)}"))
    from .select import MIN_CELL

    for bad in (number_problem(_WHERE, "time_limit", time_limit, strict_low=True,
                               high=MAX_TIME_LIMIT, unit="s", example="60"),
                number_problem(_WHERE, "cell", cell, low=MIN_CELL, high=MAX_DISTANCE, unit="m",
                               example="100")):
        if bad:
            problems.append(bad)


def _check_fixed_exclude(fixed, exclude, dem: dict, problems: list
                         ) -> tuple[dict, set[str]]:
    """Parcel -> use fixed in advance (a demanded use) and the parcels kept out, none in
    both; text that would reach messages, files and maps is refused at once."""
    texts = text_problems({"fixed": dict(fixed) if isinstance(fixed, Mapping) else fixed,
                           "exclude": [exclude] if isinstance(exclude, str) else
                           list(exclude or [])}, _WHERE)
    if texts:   # these would reach messages, files and maps: refuse before anything else
        raise SiteplanInputError(texts)
    fixed = dict(fixed or {})
    for pid, use in fixed.items():
        if use not in dem or dem[use] == 0:
            problems.append(Problem(f"{_WHERE}: fixed", f"puts parcel '{pid}' to use "
                                    f"'{use}', which demand does not ask for",
                                    "fix it to a use in demand, or add that use to demand"))
    excl = {str(x) for x in ([exclude] if isinstance(exclude, str) else (exclude or []))}
    both = sorted(excl & {str(k) for k in fixed})
    if both:
        problems.append(Problem(f"{_WHERE}: fixed and exclude", f"both name "
                                f"{', '.join(both)}", "keep each parcel in one of them"))
    return fixed, excl


def _per_use(value, name: str, dem: dict, problems: list) -> dict[str, float]:
    """One figure for every demanded use, or use -> figure; each > 0."""
    if value is None:
        return {}
    items = value.items() if isinstance(value, Mapping) else [(u, value) for u in dem]
    out = {}
    for use, v in items:
        if use not in dem:
            problems.append(Problem(f"{_WHERE}: {name}", f"names use '{use}', which demand "
                                    "does not ask for", "drop it or add the use to demand"))
        elif isinstance(v, bool) or not isinstance(v, Real) or not finite(v) or not \
                0 < v <= MAX_DISTANCE:  # type: ignore[operator]  # typeshed's Real lacks __gt__
            problems.append(Problem(f"{_WHERE}: {name}['{use}']", f"must be > 0 and <= "
                                    f"{bound_text(MAX_DISTANCE)} metres, got {show(v)}",
                                    f"use e.g. {name}=1000"))
        else:
            out[use] = float(v)
    return out


def _per_kecamatan(value, dem: dict, layers, problems: list) -> dict[str, tuple[str, ...]]:
    """use -> the kecamatan it needs a site in."""
    if value is None or value is False:
        return {}
    if value is True:
        value = [u for u, d in dem.items() if d]
    if isinstance(value, str):
        value = [value]
    parcels = layers.get("parcels")
    if parcels is None or "kecamatan" not in parcels.columns:
        problems.append(Problem(f"{_WHERE}: per_kecamatan", "needs a 'kecamatan' column in "
                                "the parcels layer", "add kecamatan to the parcels"))
        return {}
    city = tuple(sorted(parcels["kecamatan"].dropna().astype(str).str.strip().unique()))
    city = tuple(k for k in city if k)
    items = value.items() if isinstance(value, Mapping) else [(u, city) for u in value]
    out = {}
    for use, kecs in items:
        if use not in dem or not dem[use]:
            problems.append(Problem(f"{_WHERE}: per_kecamatan", f"names use '{use}', which "
                                    "demand does not ask for", "drop it or add it to demand"))
            continue
        kecs = (kecs,) if isinstance(kecs, str) else tuple(str(k) for k in kecs)
        unknown = [k for k in kecs if k not in city]
        if unknown:
            problems.append(Problem(f"{_WHERE}: per_kecamatan['{use}']", f"names kecamatan "
                                    f"{', '.join(unknown)}, which no parcel is in (the parcels "
                                    f"are in: {', '.join(city)})", "fix the names"))
        if len(kecs) > dem[use]:
            problems.append(Problem(f"{_WHERE}: use '{use}'", f"needs a site in each of "
                                    f"{len(kecs)} kecamatan but demand asks for only "
                                    f"{dem[use]}", f"ask for {len(kecs)} or more sites, or "
                                    "name fewer kecamatan"))
        out[use] = kecs
    return out


def _default_reach(use: str) -> float:
    from importlib import resources

    table = pd.read_csv(resources.files("siteplan").joinpath("data", "use_reach.csv"),
                        comment="#", dtype={"use": str})
    row = table.loc[table["use"] == use]
    if row.empty:
        row = table.loc[table["use"] == "*"]
    return float(row["radius_m"].iloc[0])


# re-exported for the map and the CLI (split a site's members)
members_of = split_members
