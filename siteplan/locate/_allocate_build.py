"""Private helpers of :mod:`siteplan.locate.allocation`: from score results to an
:class:`~siteplan.locate._allocate_milp.Instance`, the checks that name an unmeetable
demand before solving, and the diagnosis when the integer program finds no plan.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from .._errors import Problem, raise_if_problems
from ._allocate_milp import Instance, max_spaced, solve_milp

__all__ = ["build_instance", "diagnose", "split_members"]

_W = "allocate"
_KEEP = ("parcel_id", "name", "kelurahan", "kecamatan", "ownership", "land_use", "area_m2",
         "members", "n_members")


def split_members(frame: pd.DataFrame) -> pd.Series:
    """Each row's member parcel ids, one per line of the result (index repeated).

    A row of :func:`siteplan.assemble_sites` lists its members in ``members``
    (``;``-separated); any other row is its own single member.
    """
    ids = frame["parcel_id"].astype("string")
    if "members" not in frame.columns:
        return ids
    m = frame["members"].astype("string").fillna("").str.strip()
    m = m.where(m != "", ids)
    return m.str.split(";").explode().str.strip()


def _candidates(results, crs) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Every row of every result once (by parcel_id), and each use's score and rank on it."""
    frames, by_use = [], {}
    for use, res in results.items():
        r = res if res.crs is None or res.crs.equals(crs) else res.to_crs(crs)
        sub = pd.DataFrame({c: r[c].to_numpy() for c in _KEEP if c in r.columns})
        sub["parcel_id"] = sub["parcel_id"].astype(str)
        sub["geometry"] = np.asarray(r.geometry.array, dtype=object)
        frames.append(sub)
        by_use[use] = (sub["parcel_id"], r)
    cands = pd.concat(frames, ignore_index=True).drop_duplicates("parcel_id")
    cands = gpd.GeoDataFrame(cands.reset_index(drop=True), geometry="geometry", crs=crs)
    pos = pd.Index(cands["parcel_id"])
    scores = pd.DataFrame(index=range(len(cands)))
    for use, (ids, r) in by_use.items():
        ok = r["eligible"].fillna(False).to_numpy(dtype=bool).copy()
        s = pd.to_numeric(r["score"], errors="coerce").to_numpy(dtype=float)
        ok &= np.isfinite(s)
        s = np.where(ok, s, np.nan)
        if "rank" in r.columns:
            rank = pd.to_numeric(r["rank"], errors="coerce").to_numpy(dtype=float)
        else:
            rank = pd.Series(s).rank(ascending=False, method="min").to_numpy()
        where = pos.get_indexer(ids)
        col_s, col_r = np.full(len(cands), np.nan), np.full(len(cands), np.nan)
        col_s[where], col_r[where] = s, np.where(ok, rank, np.nan)
        scores[f"score_{use}"] = col_s
        scores[f"rank_{use}"] = col_r
    return cands, scores


def build_instance(results, layers, opts: dict, *, cell: float = 100.0):
    """The allocation problem as arrays; raises when the demand is plainly unmeetable."""
    cands, scores = _candidates(results, layers.crs)
    members = split_members(cands)
    parcel_codes, parcel_ids = pd.factorize(members.to_numpy())
    mem = sparse.csr_matrix((np.ones(len(members)), (parcel_codes, members.index.to_numpy())),
                            shape=(len(parcel_ids), len(cands)))
    mem.data[:] = 1.0
    problems: list[Problem] = []
    excl = opts["exclude"]
    known = set(cands["parcel_id"]) | set(parcel_ids)
    if excl - known and "parcels" in layers:
        known |= set(layers["parcels"]["parcel_id"].astype(str)) \
            if "parcel_id" in layers["parcels"].columns else set()
    unknown = sorted(excl - known)
    if unknown:
        problems.append(Problem(f"{_W}: exclude", f"names {', '.join(unknown[:10])}, which "
                                "is no parcel of the results or the parcels layer",
                                "check the parcel ids"))
    out_parcel = np.isin(np.asarray(parcel_ids, dtype=str), list(excl))
    kept_out = (np.asarray(mem.T @ out_parcel.astype(float)).ravel() > 0) | cands[
        "parcel_id"].isin(excl).to_numpy()
    uses = tuple(opts["demand"])
    demand = np.array([opts["demand"][u] for u in uses], dtype=int)
    # the parts per use, then their concatenation
    pair_use: list[np.ndarray] | np.ndarray
    pair_cand: list[np.ndarray] | np.ndarray
    pair_score: list[np.ndarray] | np.ndarray
    pair_use, pair_cand, pair_score = [], [], []
    for u, use in enumerate(uses):                   # a handful of uses
        if not demand[u]:
            continue
        ok = np.flatnonzero(scores[f"score_{use}"].notna().to_numpy() & ~kept_out)
        pair_use.append(np.full(len(ok), u))
        pair_cand.append(ok)
        pair_score.append(scores[f"score_{use}"].to_numpy()[ok])
    pair_use = np.concatenate(pair_use) if pair_use else np.zeros(0, int)
    pair_cand = np.concatenate(pair_cand) if pair_cand else np.zeros(0, int)
    pair_score = np.concatenate(pair_score) if pair_score else np.zeros(0)
    fixed = np.zeros(len(pair_use), dtype=bool)
    fixed_cands = []
    pos = pd.Index(cands["parcel_id"])
    for pid, use in opts["fixed"].items():          # a handful of fixed parcels
        ci = pos.get_indexer([pid])[0]
        u = uses.index(use)
        hit = np.flatnonzero((pair_cand == ci) & (pair_use == u))
        if ci < 0:
            problems.append(Problem(f"{_W}: fixed", f"names parcel '{pid}', which no result "
                                    "has", "check the id (a candidate of some profile)"))
        elif not len(hit):
            problems.append(Problem(f"{_W}: fixed", f"puts parcel '{pid}' to '{use}', for "
                                    f"which it is not eligible{_why(results[use], pid)}",
                                    "fix it to a use it is eligible for, or drop it"))
        else:
            fixed[hit] = True
            fixed_cands.append(ci)
    if len(fixed_cands) > 1:
        shared = np.asarray(mem[:, fixed_cands].sum(axis=1)).ravel() > 1
        if shared.any():
            problems.append(Problem(f"{_W}: fixed", "uses parcel(s) "
                                    f"{', '.join(map(str, parcel_ids[shared][:10]))} twice "
                                    "(sites sharing a member)", "fix only one of them"))
    raise_if_problems(problems)
    geoms = np.asarray(cands.geometry.array, dtype=object)
    conflicts = _conflicts(uses, opts["spacing"], pair_use, pair_cand, geoms)
    kec = cands["kecamatan"].astype("string").fillna("").str.strip().to_numpy(dtype=str) \
        if "kecamatan" in cands.columns else np.full(len(cands), "")
    groups = tuple((uses.index(use), k, np.flatnonzero((pair_use == uses.index(use)) &
                                                       (kec[pair_cand] == k)))
                   for use, kecs in opts["per_kec"].items() for k in kecs)
    inst = Instance(uses=uses, demand=demand, members=mem, pair_use=pair_use,
                    pair_cand=pair_cand, score=pair_score, fixed=fixed, conflicts=conflicts,
                    groups=groups)
    raise_if_problems(_precheck(inst, opts, kept_out))
    if opts["objective"] == "coverage":
        inst = replace(inst, cover=_cover(inst, layers, geoms, opts, cell))
    return inst, cands, scores


def _why(result, pid: str) -> str:
    row = result.loc[result["parcel_id"].astype(str) == pid]
    if row.empty:
        return " (it is not one of the profile's candidates)"
    reason = str(row["excluded_by"].iloc[0]) if "excluded_by" in row.columns else ""
    return f" (excluded by: {reason})" if reason and reason != "nan" else ""


def _conflicts(uses, spacing, pair_use, pair_cand, geoms) -> sparse.csr_matrix:
    """(pairs x pairs): 1 where two pairs of one use are closer than its spacing."""
    n = len(pair_use)
    ii, jj = [np.zeros(0, int)], [np.zeros(0, int)]
    for use, s in spacing.items():                   # a handful of uses
        idx = np.flatnonzero(pair_use == uses.index(use))
        g = geoms[pair_cand[idx]]
        i, j = shapely.STRtree(g).query(g, predicate="dwithin", distance=s)
        keep = (i != j) & (shapely.distance(g[i], g[j]) < s)
        ii.append(idx[i[keep]])
        jj.append(idx[j[keep]])
    i, j = np.concatenate(ii), np.concatenate(jj)
    return sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))


def _cover(inst, layers, geoms, opts, cell) -> tuple:
    """Per use: (its pairs, (pairs x point groups) coverage, people per group)."""
    from ..layers.population import demand_points

    pts, w0 = demand_points(layers, cell=cell)
    tree = shapely.STRtree(pts)
    rng = np.random.default_rng(0)
    out = []
    for u, use in enumerate(inst.uses):              # a handful of uses
        idx = np.flatnonzero(inst.pair_use == u)
        r = opts["radius"].get(use, 1000.0)
        w = w0.astype(float).copy()
        ex = opts["existing"].get(use)
        if ex is not None and len(ex):
            ex = ex.to_crs(layers.crs) if ex.crs is not None else ex
            served, _ = shapely.STRtree(np.asarray(ex.geometry.array, dtype=object)).query(
                pts, predicate="dwithin", distance=r)
            w[np.unique(served)] = 0.0
        i_site, i_pt = tree.query(geoms[inst.pair_cand[idx]], predicate="dwithin", distance=r)
        keep = w[i_pt] > 0
        i_site, i_pt = i_site[keep], i_pt[keep]
        cov = sparse.csr_matrix((np.ones(len(i_site), dtype=np.int64), (i_site, i_pt)),
                                shape=(len(idx), len(pts))).tocsc()
        used = np.flatnonzero(np.diff(cov.indptr) > 0)
        cov = cov[:, used]
        # points reached by exactly the same sites are one group: hash each column exactly
        keys = np.stack([cov.T @ rng.integers(1, 2**40, len(idx)) for _ in range(2)], axis=1)
        _, first, inv = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        weights = np.bincount(inv.ravel(), weights=w[used], minlength=len(first))
        out.append((idx, cov[:, first].astype(float).tocsr(), weights))
    return tuple(out)


def _available(inst: Instance, u: int) -> np.ndarray:
    """Pairs of use u not on a parcel fixed to another use."""
    others = np.flatnonzero(inst.fixed & (inst.pair_use != u))
    taken = np.asarray(inst.members[:, inst.pair_cand[others]].sum(axis=1)).ravel() > 0
    mine = inst.pair_use == u
    clash = np.asarray(inst.members[:, inst.pair_cand].T @ taken.astype(float)).ravel() > 0
    return mine & (~clash | inst.fixed)


def _precheck(inst: Instance, opts, kept_out) -> list[Problem]:
    problems = []
    for u, use in enumerate(inst.uses):
        d = int(inst.demand[u])
        if not d:
            continue
        avail = _available(inst, u)
        n_fixed = int((inst.fixed & (inst.pair_use == u)).sum())
        if n_fixed > d:
            problems.append(Problem(f"{_W}: use '{use}'", f"has {n_fixed} parcels fixed to it "
                                    f"but demand asks for {d}", f"ask for {n_fixed} or fix "
                                    "fewer"))
        if avail.sum() < d:
            why = []
            if kept_out.any():
                why.append("after exclude")
            if (inst.fixed & (inst.pair_use != u)).any():
                why.append("after the parcels fixed to other uses")
            problems.append(Problem(
                f"{_W}: use '{use}'", f"needs {d} sites but only {int(avail.sum())} parcels "
                f"are eligible for it{' (' + ', '.join(why) + ')' if why else ''}",
                f"lower demand['{use}'], relax the profile's constraints, or merge neighbouring "
                "parcels with sp.assemble_sites"))
        for uu, k, p in inst.groups:
            if uu == u and not avail[p].any():
                problems.append(Problem(f"{_W}: use '{use}'", f"needs a site in kecamatan "
                                        f"'{k}', which has no parcel eligible for it",
                                        f"drop '{k}' from per_kecamatan['{use}'] or relax the "
                                        "profile"))
        fx = np.flatnonzero(inst.fixed & (inst.pair_use == u))
        if len(fx) > 1 and inst.conflicts[fx][:, fx].nnz:
            problems.append(Problem(f"{_W}: use '{use}'", "has parcels fixed to it closer "
                                    f"than min_spacing ({opts['spacing'].get(use):g} m)",
                                    "lower min_spacing or fix fewer parcels"))
    return problems


def _feasible(inst: Instance, use_idx: list[int]) -> bool:
    keep = np.isin(inst.pair_use, use_idx) | inst.fixed
    sub, _ = inst.subset(keep)
    dem = np.array([inst.demand[u] if u in use_idx else int((sub.fixed & (sub.pair_use == u))
                    .sum()) for u in range(len(inst.uses))])
    groups = tuple(g for g in sub.groups if g[0] in use_idx)
    x, _, _ = solve_milp(replace(sub, demand=dem, groups=groups), "score",
                         feasibility_only=True)
    return x is not None


def diagnose(inst: Instance, opts, message: str) -> list[Problem]:
    """Why no plan exists: the use (or uses) that cannot be met, and why."""
    problems = []
    demanded = [u for u in range(len(inst.uses)) if inst.demand[u]]
    for u in demanded:
        use, d = inst.uses[u], int(inst.demand[u])
        if _feasible(inst, [u]):
            continue
        s = opts["spacing"].get(use)
        n_ok = int(_available(inst, u).sum())
        most = max_spaced(inst, u) if s else d
        if most < d:
            problems.append(Problem(f"{_W}: use '{use}'", f"needs {d} sites at least {s:g} m "
                                    f"apart, but at most {most} of its {n_ok} "
                                    "eligible parcels are that far apart (spacing too tight)",
                                    f"lower min_spacing['{use}'] or demand['{use}']"))
        elif use in opts["per_kec"]:
            what = "with its min_spacing" if s else "with its fixed parcels"
            problems.append(Problem(f"{_W}: use '{use}'", f"cannot have a site in every one of "
                                    f"{', '.join(opts['per_kec'][use])} {what}",
                                    "drop per_kecamatan for it, lower min_spacing, or fix "
                                    "fewer parcels"))
        else:
            problems.append(Problem(f"{_W}: use '{use}'", f"cannot get {d} sites ({message})",
                                    "lower its demand or relax its constraints"))
    if problems:
        return problems
    if len(demanded) <= 6:
        for size in range(2, len(demanded) + 1):
            for combo in combinations(demanded, size):
                if _feasible(inst, list(combo)):
                    continue
                names = [inst.uses[u] for u in combo]
                need = int(inst.demand[list(combo)].sum())
                pool = np.isin(inst.pair_use, combo)
                n_pool = len(np.unique(inst.pair_cand[pool]))
                what = (f"together they need {need} sites but only {n_pool} parcels are "
                        "eligible for any of them" if n_pool < need else
                        f"together they need {need} sites, which cannot all be placed with "
                        "one use per parcel and their spacing and kecamatan rules")
                return [Problem(f"{_W}: uses {', '.join(repr(n) for n in names)}",
                                f"compete for the same parcels: {what}",
                                "lower the demand of one of them, or relax their profiles")]
    return [Problem(_W, f"no allocation meets every demand ({message})",
                    "lower the demands or relax min_spacing and per_kecamatan")]
