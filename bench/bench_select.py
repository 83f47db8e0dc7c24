"""Benchmark: k sites chosen together (``sp.select_sites``), the textbook program, spopt.

    python bench/bench_select.py [--cases 5:1000:500 10:1000:250] [--repeat 3] [--spopt-limit 300]

On the sample (``fasilitas_publik``, every eligible parcel a candidate), for each case
``k:radius:cell``, three ways to the same maximal covering location problem, in one run:

- **siteplan**: ``sp.select_sites(result, layers, k, radius=, cell=)``, the whole call
  (demand points, coverage, the greedy comparison and the program); best of ``--repeat``.
- **textbook**: the same coverage matrix and weights as one binary x per site and one
  y per demand point (``y_j <= sum of the x_i covering j``, ``sum x = k``), solved by
  SciPy's HiGHS (``scipy.optimize.milp``) as siteplan did before it merged the points
  that the very same sites cover; once.
- **spopt**: ``spopt.locate.MCLP.from_cost_matrix`` on the same coverage (cost 0
  where a site reaches a point, 2 x radius elsewhere) solved by CBC through PuLP; once,
  with ``--spopt-limit`` seconds.

Each prints its time and the people its k sites cover (the three must agree up to the
solvers' 0.01 % optimality gap), and siteplan's time ratio to the other two.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
from scipy import sparse


def textbook(cover: sparse.csr_matrix, w: np.ndarray, k: int) -> list[int]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m = cover.shape
    keep = np.flatnonzero((np.asarray(cover.sum(axis=0)).ravel() > 0) & (w > 0))
    cov = cover[:, keep].tocsc()
    c = -np.concatenate([np.zeros(n), w[keep]])
    link = sparse.hstack([-cov.T, sparse.identity(len(keep))]).tocsr()
    count = sparse.csr_matrix(np.concatenate([np.ones(n), np.zeros(len(keep))])[None, :])
    res = milp(c, constraints=[LinearConstraint(link, -np.inf, 0.0),
                               LinearConstraint(count, k, k)],
               integrality=np.concatenate([np.ones(n), np.zeros(len(keep))]),
               bounds=Bounds(0, 1))
    return list(np.flatnonzero(res.x[:n] > 0.5))


def spopt_mclp(cover: sparse.csr_matrix, w: np.ndarray, k: int, radius: float,
               limit: float) -> list[int]:
    import pulp
    from spopt.locate import MCLP

    keep = np.flatnonzero((np.asarray(cover.sum(axis=0)).ravel() > 0) & (w > 0))
    reach = cover[:, keep].T.toarray() > 0          # demand x sites
    cost = np.where(reach, 0.0, 2.0 * radius)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(cost, w[keep], radius, k).solve(
            pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
    return [j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=["5:1000:500", "10:1000:250", "5:2000:500"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--spopt-limit", type=float, default=300.0)
    args = ap.parse_args(argv)

    import siteplan as sp
    from siteplan.locate import select as sel

    layers = sp.load_sample()
    result = sp.score(layers, "fasilitas_publik")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; load "
          f"average {os.getloadavg()[0]:.2f} at the start")
    print(f"{'k':>3} {'radius':>7} {'cell':>5} {'points':>7} {'sites':>6} {'siteplan s':>11} "
          f"{'textbook s':>11} {'x':>6} {'spopt s':>9} {'x':>6}  people covered "
          f"(siteplan / textbook / spopt)")
    for case in args.cases:
        k, radius, cell = (float(v) for v in case.split(":"))
        k = int(k)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            chosen = sp.select_sites(result, layers, k=k, radius=radius, cell=cell)
            times.append(time.perf_counter() - t)
        t_sp = min(times)
        sites = sel._candidates(result, layers, None)
        geoms = np.asarray(sites.geometry.array, dtype=object)
        pts, w = sel._demand(layers, None, radius=radius, cell=cell)
        cover = sel._coverage(geoms, pts, radius)
        t = time.perf_counter()
        tb = textbook(cover, w, k)
        t_tb = time.perf_counter() - t
        t = time.perf_counter()
        sp_ = spopt_mclp(cover, w, k, radius, args.spopt_limit)
        t_spopt = time.perf_counter() - t
        people = chosen.attrs["selection"]["people_covered"]
        print(f"{k:>3} {radius:>7g} {cell:>5g} {len(pts):>7,} {len(sites):>6} {t_sp:>11.2f} "
              f"{t_tb:>11.2f} {t_tb / t_sp:>6.1f} {t_spopt:>9.2f} {t_spopt / t_sp:>6.1f}  "
              f"{people:,.0f} / {sel._covered(cover, w, tb):,.0f} / "
              f"{sel._covered(cover, w, sp_):,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
