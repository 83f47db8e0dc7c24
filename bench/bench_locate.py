"""Location models and access measures: siteplan against spopt and PySAL access, one run.

    python bench/bench_locate.py [--cell 1500] [--ks 5 10] [--repeat 3]
                                 [--dispersion-sites 60] [--spopt-limit 600]
                                 [--models pmedian ...] [--skip-access]

The instance is the sample's: the eligible parcels of ``fasilitas_publik``
(candidates) and the population model's people gathered into squares of
``--cell`` metres (demand), with straight-line metres from each square's
people-weighted centre to each parcel's edge. Both libraries get the very
same matrix. For every model at each k (lscp and lscpb once: they choose
the number of sites) it prints siteplan's time (``siteplan.locate.solve``,
median of ``--repeat``) and spopt's (``from_cost_matrix`` plus ``solve`` with
its default solver, CBC through PuLP, once), their ratio and both objectives.
p-dispersion runs on the ``--dispersion-sites`` best-scored candidates
(spopt's big-M rows grow with the square of the sites), the capacitated
p-median (every square served by one site, as spopt's; capacity 1.5 x total
people / k per site, at least 1.2 x the largest square) on squares of
``--cp-cell`` metres: single sourcing is a hard program for both solvers.
spopt runs that hit ``--spopt-limit`` seconds are shown as ">".

Access: the same demand squares against the sample's 16 puskesmas (supply 1
each), straight-line metres, radius 3 km: siteplan's ``locate.access`` and
access's ``Access`` methods, time ratio and the largest difference.
Figures go to bench/_out/locate.json too.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import siteplan as sp
from siteplan import locate
from siteplan.layers.features import geoms_of, select_features
from siteplan.locate.costs import demand_units, straight_costs


def _spopt(name, cost, w, k, radius, capacity, limit):
    import pulp
    from spopt import locate as sl

    cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
    t = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = _spopt_solve(sl, name, cost, w, k, radius, capacity, cbc)
    except RuntimeError:  # spopt's check_status: CBC stopped at the limit without a solution
        return time.perf_counter() - t, float("nan"), True
    seconds = time.perf_counter() - t
    chosen = [j for j, v in enumerate(m.fac_vars) if (v.value() or 0) > 0.5]
    if name in {"pcenter", "pdispersion"}:  # CBC prints these continuous values shortly
        value = locate.objective_of(name, cost, chosen)
    elif name == "lscpb":  # spopt counts rows only one site reaches as backed up
        value = m.problem.objective.value() - int(((cost <= radius).sum(1) == 1).sum())
    else:
        value = m.problem.objective.value()
    return seconds, float(value), m.problem.status != 1 or seconds >= limit


def _spopt_solve(sl, name, cost, w, k, radius, capacity, cbc):
    if name == "lscp":
        return sl.LSCP.from_cost_matrix(cost, radius).solve(cbc)
    if name == "lscpb":
        return sl.LSCPB.from_cost_matrix(cost, radius, cbc).solve()
    if name == "mclp":
        return sl.MCLP.from_cost_matrix(cost, w, radius, k).solve(cbc)
    if name == "pmedian":
        return sl.PMedian.from_cost_matrix(cost, w, k).solve(cbc)
    if name == "cpmedian":
        return sl.PMedian.from_cost_matrix(cost, w, k, facility_capacities=capacity).solve(cbc)
    if name == "pcenter":
        return sl.PCenter.from_cost_matrix(cost, k).solve(cbc)
    return sl.PDispersion.from_cost_matrix(cost, k).solve(cbc)


def models(args, cost, site_cost, w, cp, out):
    n, m = cost.shape
    radius_cover = float(np.ceil(cost.min(axis=1).max() / 100.0) * 100.0)
    print(f"\nlocation models: {n} demand squares ({args.cell:g} m) x {m} candidate parcels; "
          f"p-dispersion on {site_cost.shape[0]} sites; cpmedian on {cp[0].shape[0]} squares "
          f"({args.cp_cell:g} m); lscp radius {radius_cover:g} m, mclp 1,000 m")
    print(f"{'model':<12}{'k':>4}{'siteplan s':>12}{'spopt s':>12}{'ratio':>9}"
          f"{'siteplan obj':>18}{'spopt obj':>18}")
    cases = [("lscp", None), ("lscpb", None)] + [(name, k) for k in args.ks for name in
                                                 ("mclp", "pmedian", "cpmedian", "pcenter",
                                                  "pdispersion")]
    cases = [(name, k) for name, k in cases if not args.models or name in args.models]
    for name, k in cases:
        matrix = site_cost if name == "pdispersion" else cost
        weights = w
        if name == "cpmedian":
            matrix, weights = cp
        kw = {}
        if name in {"lscp", "lscpb"}:
            kw["radius"] = radius_cover
        if name == "mclp":
            kw["radius"] = 1000.0
        if name in {"mclp", "pmedian", "cpmedian"}:
            kw["weights"] = weights
        cap = None
        if name == "cpmedian":
            cap = np.full(m, max(1.5 * weights.sum() / k, 1.2 * weights.max()))
            kw["capacity"] = cap
        if k is not None:
            kw["k"] = k
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            plan = locate.solve(name, matrix, **kw)
            times.append(time.perf_counter() - t)
        ours = statistics.median(times)
        theirs, value, capped = _spopt(name, matrix, weights, k, kw.get("radius"), cap,
                                       args.spopt_limit)
        mark = ">" if capped else ""
        print(f"{name:<12}{k or '-':>4}{ours:>12.3f}{mark + f'{theirs:.2f}':>12}"
              f"{mark + f'{theirs / ours:.1f}x':>9}{plan.objective:>18,.2f}{value:>18,.2f}",
              flush=True)
        out["models"].append({"model": name, "k": k, "siteplan_s": ours, "spopt_s": theirs,
                              "spopt_capped": capped, "ratio": theirs / ours,
                              "objective": plan.objective, "spopt_objective": value,
                              "equal": bool(np.isclose(plan.objective, value, rtol=1e-9))})


def accesses(args, layers, out):
    import access as pysal_access

    pts, people = demand_units(layers, cell=500.0)
    fac = select_features(layers, "pois", {"category": ("puskesmas",)}, context="bench")
    cost = straight_costs(pts, geoms_of(fac))
    supply = np.ones(len(fac))
    xy = np.column_stack([np.asarray([p.x for p in pts]), np.asarray([p.y for p in pts])])
    dcost = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    n = len(pts)
    i, j = np.nonzero(np.isfinite(cost))
    cost_df = pd.DataFrame({"origin": i, "dest": j, "cost": cost[i, j]})
    a, b = np.nonzero(dcost <= 3000.0)
    ncost = pd.DataFrame({"origin": a, "dest": b, "cost": dcost[a, b]})
    radius = 3000.0
    print(f"\naccess: {n} demand squares (500 m) x {len(fac)} puskesmas, radius 3 km")
    print(f"{'method':<10}{'siteplan s':>12}{'access s':>12}{'ratio':>9}{'max |diff|':>14}")

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pysal_access.Access(
                demand_df=pd.DataFrame({"geoid": np.arange(n), "pop": people}),
                demand_index="geoid", demand_value="pop",
                supply_df=pd.DataFrame({"geoid": np.arange(len(fac)), "doc": supply}),
                supply_index="geoid", supply_value="doc", cost_df=cost_df,
                cost_origin="origin", cost_dest="dest", cost_name="cost",
                neighbor_cost_df=ncost, neighbor_cost_origin="origin",
                neighbor_cost_dest="dest", neighbor_cost_name="cost")

    from access import weights

    r = radius  # siteplan's default bands are access's, scaled to the radius
    e2 = weights.step_fn({r / 3: 1.0, 2 * r / 3: 0.68, r: 0.22})
    e3 = weights.step_fn({r / 6: 0.962, r / 3: 0.704, r / 2: 0.377, r: 0.042})
    calls = {"fca": lambda p: p.fca_ratio(name="x", max_cost=radius),
             "2sfca": lambda p: p.two_stage_fca(name="x", max_cost=radius),
             "e2sfca": lambda p: p.enhanced_two_stage_fca(name="x", max_cost=radius,
                                                          weight_fn=e2),
             "3sfca": lambda p: p.three_stage_fca(name="x", max_cost=radius, weight_fn=e3),
             "gravity": lambda p: p.weighted_catchment(name="x", max_cost=radius),
             "raam": lambda p: p.raam(name="x", tau=radius)}
    for method, call in calls.items():
        kw = {"radius": radius} if method != "raam" else {"tau": radius}
        if method == "fca":
            kw["demand_cost"] = dcost
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            ours = locate.access(cost, people, supply, method=method, **kw)
            times.append(time.perf_counter() - t)
        p = peer()
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = call(p)
        theirs_s = time.perf_counter() - t
        theirs = frame.iloc[:, 0].reindex(np.arange(n)).to_numpy(dtype=float)
        have = ~np.isnan(theirs)
        diff = float(np.max(np.abs(ours[have] - theirs[have]))) if have.any() else 0.0
        t_ours = statistics.median(times)
        print(f"{method:<10}{t_ours:>12.4f}{theirs_s:>12.3f}{theirs_s / t_ours:>8.0f}x"
              f"{diff:>14.2e}", flush=True)
        out["access"].append({"method": method, "siteplan_s": t_ours, "access_s": theirs_s,
                              "ratio": theirs_s / t_ours, "max_abs_diff": diff})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell", type=float, default=1500.0)
    ap.add_argument("--ks", type=int, nargs="+", default=[5, 10])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dispersion-sites", type=int, default=60)
    ap.add_argument("--cp-cell", type=float, default=3000.0)
    ap.add_argument("--spopt-limit", type=float, default=600.0)
    ap.add_argument("--skip-models", action="store_true")
    ap.add_argument("--models", nargs="+", help="only these models (default: all)")
    ap.add_argument("--skip-access", action="store_true")
    args = ap.parse_args()
    layers = sp.load_sample()
    res = sp.score(layers, "fasilitas_publik")
    cand = res[res["eligible"]]
    geoms = geoms_of(cand)
    pts, w = demand_units(layers, cell=args.cell)
    cost = straight_costs(pts, geoms)
    best = np.argsort(-cand["score"].to_numpy(), kind="stable")[:args.dispersion_sites]
    site_cost = straight_costs(geoms[best], geoms[best])
    cp_pts, cp_w = demand_units(layers, cell=args.cp_cell)
    cp = (straight_costs(cp_pts, geoms), cp_w)
    out = {"machine": platform.platform(), "python": platform.python_version(),
           "cell": args.cell, "models": [], "access": []}
    if not args.skip_models:
        models(args, cost, site_cost, w, cp, out)
    if not args.skip_access:
        accesses(args, layers, out)
    path = Path(__file__).parent / "_out" / "locate.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
