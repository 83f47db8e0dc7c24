"""Choose a set of sites jointly: the most people newly brought within reach.

A city choosing five sites wants the best five together, not five neighbours
of the best spot. :func:`select_sites` solves the maximal covering location
problem (Church & ReVelle 1974) as an integer program with SciPy's HiGHS
solver (``scipy.optimize.milp``), and also reports what a greedy pick would
have covered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

from .._errors import Problem, SiteplanInputError, SolverError
from ..layers.population import demand_points
from ..limits import MAX_DISTANCE, MAX_SITES, number_problem

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["select_sites", "demand_points", "greedy_cover", "milp_cover", "check_selection",
           "MIN_CELL"]

log = logging.getLogger(__name__)


def _coverage(sites: np.ndarray, pts: np.ndarray, radius: float) -> sparse.csr_matrix:
    """Sparse (sites x points) matrix: 1 where the point is within ``radius`` of the site."""
    tree = shapely.STRtree(pts)
    i_site, i_pt = tree.query(sites, predicate="dwithin", distance=radius)
    data = np.ones(len(i_site), dtype=float)
    return sparse.csr_matrix((data, (i_site, i_pt)), shape=(len(sites), len(pts)))


def greedy_cover(cover: sparse.csr_matrix, weights: np.ndarray, k: int, *,
                 conflicts: sparse.csr_matrix | None = None,
                 tiebreak: np.ndarray | None = None) -> list[int]:
    """Pick k sites one at a time, each adding the most people not yet covered."""
    n = cover.shape[0]
    uncovered = weights.astype(float).copy()
    allowed = np.ones(n, dtype=bool)
    chosen: list[int] = []
    tb = np.zeros(n) if tiebreak is None else tiebreak * 1e-9
    for _ in range(min(k, n)):
        gain = cover @ uncovered + tb
        gain[~allowed] = -np.inf
        best = int(np.argmax(gain))
        if not np.isfinite(gain[best]):
            break
        chosen.append(best)
        allowed[best] = False
        if conflicts is not None:
            allowed[conflicts[best].indices] = False
        uncovered[cover[best].indices] = 0.0
    return chosen


def _merge_equal_columns(cov: sparse.csc_matrix, w: np.ndarray, *,
                         salt: np.ndarray | None = None
                         ) -> tuple[sparse.csc_matrix, np.ndarray]:
    """Points that the very same sites cover merged into one, their people summed.

    In the covering program such points are covered together or not at all, so
    one variable with their summed weight gives the same optimum with fewer
    variables (the sample's 21,500 demand points at ``cell=500`` are 3,563
    distinct site sets). Every column must hold at least one site (``milp_cover``
    passes only such points). Columns are grouped by two random 64-bit sums of
    their sites, then compared site by site; a column whose sums match another's
    but whose sites differ stays on its own, so the merge is exact whatever the
    sums (``salt``, two numbers per site, replaces the random ones: the tests
    give zeros, so that every column's sums collide).
    """
    cov = cov.tocsc()
    cov.sum_duplicates()                   # sorted site indices within each column
    m = cov.shape[1]
    deg = np.diff(cov.indptr)
    if salt is None:
        salt = np.random.default_rng(20260).integers(0, np.iinfo(np.int64).max,
                                                     size=(2, cov.shape[0]), dtype=np.int64)
    keys = np.stack([np.add.reduceat(salt[r][cov.indices].astype(np.uint64), cov.indptr[:-1])
                     for r in range(2)], axis=1)
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    rep = first[group]                     # each column's representative
    col = np.repeat(np.arange(m), deg)
    same_deg = deg == deg[rep]
    # a column of another degree compares its first site only (it differs anyway)
    pos = cov.indptr[rep[col]] + np.where(same_deg[col], np.arange(cov.nnz) - cov.indptr[col], 0)
    differs = (np.bincount(col, weights=cov.indices != cov.indices[pos]) > 0
               ) | ~same_deg
    if differs.any():                      # a collision of both sums: keep those apart
        group = group.copy()
        group[differs] = m + np.arange(int(differs.sum()))
        _, first, group = np.unique(group, return_index=True, return_inverse=True)
    return cov[:, first].tocsc(), np.bincount(group, weights=w)


def milp_cover(cover: sparse.csr_matrix, weights: np.ndarray, k: int, *,
               conflicts: sparse.csr_matrix | None = None,
               groups: np.ndarray | None = None,
               tiebreak: np.ndarray | None = None, time_limit: float = 60.0
               ) -> tuple[list[np.intp], str]:
    """Maximal covering location problem as an integer program (HiGHS via SciPy).

    Variables x_i (site chosen, binary) and y_j (point covered, 0..1):
    maximise sum_j w_j y_j subject to y_j <= sum_{i covers j} x_i,
    sum_i x_i = k, x_i + x_l <= 1 for conflicting pairs, and at least one
    site per group when ``groups`` is given. Points covered by the very same
    sites share one y (their people summed), which leaves the optimum as it is.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m = cover.shape
    useful = np.flatnonzero((np.asarray(cover.sum(axis=0)).ravel() > 0) & (weights > 0))
    cov, w = _merge_equal_columns(cover[:, useful].tocsc(), weights[useful])
    nv = n + len(w)
    tb = np.zeros(n) if tiebreak is None else tiebreak * 1e-9
    c = -np.concatenate([tb, w])
    rows = []
    # y_j - sum_i a_ij x_i <= 0
    a = sparse.hstack([-cov.T, sparse.identity(len(w))]).tocsr()
    rows.append(LinearConstraint(a, -np.inf, 0.0))
    kk = min(k, n)
    rows.append(LinearConstraint(sparse.csr_matrix(
        np.concatenate([np.ones(n), np.zeros(len(w))])[None, :]), kk, kk))
    if conflicts is not None and conflicts.nnz:
        pairs = sparse.triu(conflicts, k=1).tocoo()
        r = np.arange(len(pairs.row))
        p = sparse.csr_matrix((np.ones(2 * len(r)), (np.concatenate([r, r]),
                              np.concatenate([pairs.row, pairs.col]))), shape=(len(r), nv))
        rows.append(LinearConstraint(p, -np.inf, 1.0))
    if groups is not None:
        labels, inv = np.unique(groups, return_inverse=True)
        g = sparse.csr_matrix((np.ones(n), (inv, np.arange(n))), shape=(len(labels), nv))
        rows.append(LinearConstraint(g, 1.0, np.inf))
    integrality = np.concatenate([np.ones(n), np.zeros(len(w))])
    res = milp(c, constraints=rows, integrality=integrality, bounds=Bounds(0, 1),
               options={"time_limit": time_limit})
    if res.status == 2:                  # infeasible: the rules leave no set of kk sites
        raise SiteplanInputError(Problem("select_sites", f"no feasible set of {kk} sites "
                                         f"({res.message})", "lower min_spacing, drop "
                                         "per_kecamatan, or choose fewer sites"))
    if res.x is None:                    # the solver stopped without a set (time limit)
        raise SolverError("select_sites", str(res.message), "raise time_limit, or choose "
                          "fewer candidate sites (a higher min_score)")
    x = res.x[:n]
    chosen = list(np.flatnonzero(x > 0.5))
    return chosen, ("optimal" if res.status == 0 else str(res.message))


#: the smallest grid (metres) for spreading polygon population into points
MIN_CELL = 10.0


def check_selection(*, k: Any = 1, radius: Any = 1000.0, min_spacing: Any = None,
                    min_score: Any = None, cell: Any = 100.0, where: str = "select_sites",
                    cli: bool = False) -> list[Problem]:
    """Problems with the arguments of a selection (each bounded, see :mod:`siteplan.limits`).

    With ``cli`` the fields are named as the command line's options (``--min-score``).
    """
    def name(field: str) -> str:
        return f"--{field.replace('_', '-')}" if cli else field

    checks = [number_problem(where, name("k"), k, low=1, high=MAX_SITES, integer=True,
                             example="5"),
              number_problem(where, name("radius"), radius, strict_low=True,
                             high=MAX_DISTANCE, unit="m", example="1000"),
              number_problem(where, name("cell"), cell, low=MIN_CELL, high=MAX_DISTANCE,
                             unit="m", example="100")]
    if min_spacing is not None:
        checks.append(number_problem(where, name("min_spacing"), min_spacing,
                                     high=MAX_DISTANCE, unit="m", example="500"))
    if min_score is not None:
        checks.append(number_problem(where, name("min_score"), min_score, high=100.0,
                                     example="50 (a score from 0 to 100)"))
    return [c for c in checks if c is not None]


def select_sites(result: gpd.GeoDataFrame, layers: Layers, k: int = 5, *,
                 radius: float = 1000.0, existing: gpd.GeoDataFrame | None = None,
                 min_spacing: float | None = None, per_kecamatan: bool = False,
                 min_score: float | None = None, solver: str = "milp",
                 cell: float = 100.0, register=None,
                 time_limit: float = 60.0) -> gpd.GeoDataFrame:
    """Choose ``k`` eligible sites together, maximising the people newly within reach.

    Parameters
    ----------
    result
        From :func:`siteplan.score`; only eligible sites are chosen from.
    layers
        The bundle that was scored; its ``population`` layer gives the people.
    k
        Number of sites.
    radius
        Reach of a facility in metres (from the parcel's edge).
    existing
        Facilities already there (any geometry, in any CRS): people within
        ``radius`` of them are already served and count for nothing.
    min_spacing
        Minimum distance in metres between two chosen sites.
    per_kecamatan
        Choose at least one site in every kecamatan that has an eligible site
        (needs ``k`` at least that number).
    min_score
        Choose only among sites scoring at least this (0-100); by default every
        eligible site may be chosen, however it scored.
    solver
        ``"milp"`` (exact integer program, the default) or ``"greedy"``. The
        greedy comparison in ``attrs["selection"]`` honours ``min_spacing`` but
        not ``per_kecamatan``.
    cell
        Grid size in metres for spreading polygon population into points.
    register
        A site-offer register (:func:`siteplan.open_register`): its sites of
        the result's profile that are built or in use (``dibangun``,
        ``beroperasi``) count as ``existing`` too.
    time_limit
        Seconds the ``"milp"`` solver may take. Stopped with a set, the set
        is returned and ``attrs["selection"]`` says it stopped early; stopped
        without one, :class:`siteplan.SolverError` is raised.

    Returns
    -------
    geopandas.GeoDataFrame
        The chosen rows of ``result`` with ``pick`` (1..k, in the order a greedy
        walk through the chosen set adds most people) and ``people_added``;
        ``attrs["selection"]`` has the people covered by the set, by a greedy
        pick and by the k best-scored sites, and the solver status.

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> res = sp.score(layers, "fasilitas_publik")
    >>> chosen = sp.select_sites(res, layers, k=3, radius=1000)
    >>> len(chosen)
    3
    """
    _check_select(k=k, radius=radius, min_spacing=min_spacing, min_score=min_score,
                  cell=cell, solver=solver, time_limit=time_limit)
    if register is not None:
        from ..register.use import existing_for

        existing = existing_for(register, result, existing)
    sites = _candidates(result, layers, min_score)
    geoms = np.asarray(sites.geometry.array, dtype=object)
    pts, w = _demand(layers, existing, radius=radius, cell=cell)
    cover = _coverage(geoms, pts, radius)
    conflicts = _conflicts(geoms, min_spacing) if min_spacing else None
    groups = _kecamatan_groups(sites, k) if per_kecamatan else None
    score = sites["score"].to_numpy(dtype=float)
    greedy = greedy_cover(cover, w, k, conflicts=conflicts, tiebreak=score)
    chosen: list[int] | list[np.intp]  # the greedy's ints, or the program's numpy indices
    if solver == "milp":
        chosen, status = milp_cover(cover, w, k, conflicts=conflicts, groups=groups,
                                    tiebreak=score, time_limit=float(time_limit))
    else:
        chosen, status = greedy, "greedy"
    # order the chosen set greedily, so pick 1 adds the most people, and so on
    order = greedy_cover(cover[chosen], w, len(chosen), tiebreak=score[chosen])
    ordered = [chosen[i] for i in order]
    added, running = [], 0.0
    for n_done in range(1, len(ordered) + 1):
        now = _covered(cover, w, ordered[:n_done])
        added.append(now - running)
        running = now
    top_scored = list(np.argsort(-score, kind="stable")[:k])
    out = sites.iloc[ordered].copy()
    out["pick"] = np.arange(1, len(ordered) + 1)
    out["people_added"] = added
    out.attrs = dict(result.attrs)
    out.attrs["selection"] = {
        "k": k, "radius": radius, "min_spacing": min_spacing, "min_score": min_score,
        "per_kecamatan": per_kecamatan,
        "solver": solver, "status": status, "people_covered": _covered(cover, w, chosen),
        "people_covered_greedy": _covered(cover, w, greedy),
        "people_covered_top_scored": _covered(cover, w, top_scored),
        "people_total": float(w.sum()),
    }
    log.info("select_sites: %s", out.attrs["selection"])
    return out


def _check_select(*, k: Any, radius: Any, min_spacing: Any, min_score: Any, cell: Any,
                  solver: Any, time_limit: Any) -> None:
    """Every argument of :func:`select_sites` checked, every problem raised at once."""
    problems = check_selection(k=k, radius=radius, min_spacing=min_spacing,
                               min_score=min_score, cell=cell)
    if solver not in {"milp", "greedy"}:
        problems.append(Problem("select_sites", f"unknown solver {solver!r}",
                                "use 'milp' or 'greedy'"))
    if (bad := number_problem("select_sites", "time_limit", time_limit, low=0.0,
                              example="60 (seconds)")) is not None:
        problems.append(bad)
    if problems:
        raise SiteplanInputError(problems)


def _candidates(result: gpd.GeoDataFrame, layers: Layers, min_score: float | None
                ) -> gpd.GeoDataFrame:
    """The sites to choose from: the eligible rows scoring at least ``min_score``, in the
    layers' CRS."""
    eligible = result["eligible"].to_numpy(dtype=bool)
    # a new array: what pandas hands out may be read-only (copy-on-write)
    keep = eligible if min_score is None else \
        eligible & (result["score"].to_numpy(dtype=float) >= min_score)
    sites = result[keep]
    if len(sites) == 0:
        if min_score is not None and eligible.any():
            best = float(np.nanmax(result["score"].to_numpy(dtype=float)[eligible]))
            raise SiteplanInputError(Problem("select_sites", f"no eligible site scores "
                                             f"min_score={min_score:g} or more (the best "
                                             f"scores {best:.1f})", "lower min_score"))
        raise SiteplanInputError(Problem("select_sites", "the result has no eligible site",
                                         "relax the profile's constraints"))
    if sites.crs is not None and not sites.crs.equals(layers.crs):
        sites = sites.to_crs(layers.crs)
    return sites


def _demand(layers: Layers, existing: gpd.GeoDataFrame | None, *, radius: float,
            cell: float) -> tuple[np.ndarray, np.ndarray]:
    """The population's points and people, those within ``radius`` of an existing
    facility counting for nothing."""
    pts, w = demand_points(layers, cell=cell, context="select_sites")
    w = w.copy()
    if existing is not None and len(existing):
        ex = existing.to_crs(layers.crs) if existing.crs is not None else existing
        served, _ = shapely.STRtree(np.asarray(ex.geometry.array, dtype=object)).query(
            pts, predicate="dwithin", distance=radius)
        w[np.unique(served)] = 0.0
    return pts, w


def _conflicts(geoms: np.ndarray, min_spacing: float) -> sparse.csr_matrix:
    """Sparse (sites x sites) matrix: 1 where two sites are closer than ``min_spacing``."""
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="dwithin", distance=min_spacing)
    keep = (i != j) & (shapely.distance(geoms[i], geoms[j]) < min_spacing)
    return sparse.csr_matrix((np.ones(keep.sum()), (i[keep], j[keep])),
                             shape=(len(geoms), len(geoms)))


def _kecamatan_groups(sites: gpd.GeoDataFrame, k: int) -> np.ndarray:
    """Each site's kecamatan, for a site in every kecamatan (which k must allow)."""
    if "kecamatan" not in sites.columns:
        raise SiteplanInputError(Problem("select_sites", "per_kecamatan needs a "
                                         "'kecamatan' column in the result",
                                         "add kecamatan to the parcels"))
    groups = sites["kecamatan"].astype(str).to_numpy()
    n_groups = len(np.unique(groups))
    if n_groups > k:
        raise SiteplanInputError(Problem("select_sites", f"per_kecamatan needs k >= "
                                         f"{n_groups} (kecamatan with eligible sites), "
                                         f"got k={k}", f"use k={n_groups} or more"))
    return groups


def _covered(cover: sparse.csr_matrix, w: np.ndarray, ids) -> float:
    """People within reach of the sites ``ids``."""
    if len(ids) == 0:
        return 0.0
    hit = np.asarray(cover[list(ids)].sum(axis=0)).ravel() > 0
    return float(w[hit].sum())
