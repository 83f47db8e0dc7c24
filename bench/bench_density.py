"""Benchmark: exact distances at every feature density, against pylusat and the row-wise way.

On a city of N parcels (``bench_scale.py``'s GeoPackage, the sample
generator's parcels), a profile of three criteria: distance to point
features (linear, 1 at 0 m, 0 from 2,000 m), distance to line features
(linear, 0 from 500 m) and the parcel's area (linear, 0 at 250 m², 1 from
5,000 m²), weights 0.4 / 0.4 / 0.2. The features are swept together, one
density per row:

- **points**: 10, 56, 100, 1,000, 10,000 points, each the centroid of a random
  parcel moved by up to 200 m in x and y (the features follow the city);
- **lines**: 100, 1,683, 1,000, 10,000, 100,000 road segments, a random choice
  among the bench's roads cut into pieces of at most 50 m (10 m for more than
  the 22,116 such pieces there are).

56 points and 1,683 lines are the city of issue 29 (56 markets, 1,683
main-road segments), where the row-wise code took 57-79 s for 10^5 parcels.
``--holes 0.05 --multi 0.02`` gives 5 % of the parcels a hole and stores 2 %
as multipolygons, as other cities' cadastres have them.

Side by side, in one process, on the same layers:

- **siteplan**: ``sp.score`` on a fresh bundle each time (``layers.replace()``),
  so the feature grids are built inside the time; best of ``--repeat``.
- **pylusat** 0.5, as ``bench_pylusat.py`` runs it: ``distance.to_point``,
  ``distance.to_line`` (30 m cells), ``rescale.linear`` of the two
  distances and of ``parcels.area``, ``utils.weighted_sum``; best of ``--repeat``.
- **row-wise**: ``parcels.geometry.apply(lambda g: feats.distance(g).min())``
  for each feature layer, and the same linear rescaling, on a random sample
  of parcels (``--rowwise-sample``, fewer where the features are many),
  **extrapolated linearly** to N.

The error is against shapely, for every parcel: the least
``shapely.distance`` from the parcel polygon to any feature (every feature
within the nearest one's distance measured). siteplan leaves a distance
beyond its transform's ``worst`` unmeasured (inf: the score is 0 there as it
is for the exact distance); such a parcel counts as an error unless the
exact distance is beyond ``worst`` too. "0" means the very same doubles.

Run from the repository root (pylusat: ``pip install -e '.[bench]'``)::

    python bench/bench_density.py                       # N = 10^5, five densities
    python bench/bench_density.py --n 10000 --repeat 1 --rowwise-sample 50   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_scale  # noqa: E402 - the same city as bench_scale.py and bench_pylusat.py
from bench_scale import best_of, exact_nearest  # noqa: E402

POINTS = (10, 56, 100, 1_000, 10_000)
LINES = (100, 1_683, 1_000, 10_000, 100_000)
WORST = {"near_point": 2000.0, "near_line": 500.0}
AREA = {"best": 5000.0, "worst": 250.0}
WEIGHTS = {"near_point": 0.4, "near_line": 0.4, "area": 0.2}


def profile():
    from siteplan.profiles.profile import profile_from_dict

    return profile_from_dict({
        "name": "density", "title": {"id": "Kepadatan fitur", "en": "Feature density"},
        "method": "wlc",
        "criteria": [
            {"name": "near_point", "measure": "distance", "layer": "dens_points",
             "transform": {"type": "linear", "best": 0, "worst": WORST["near_point"]},
             "weight": WEIGHTS["near_point"]},
            {"name": "near_line", "measure": "distance", "layer": "dens_lines",
             "transform": {"type": "linear", "best": 0, "worst": WORST["near_line"]},
             "weight": WEIGHTS["near_line"]},
            {"name": "area", "measure": "area",
             "transform": {"type": "linear", **AREA}, "weight": WEIGHTS["area"]},
        ]})


def make_points(parcels, k: int, rng) -> np.ndarray:
    c = shapely.centroid(np.asarray(parcels.geometry.array, dtype=object))
    xy = shapely.get_coordinates(c[rng.choice(len(c), size=k, replace=False)])
    return shapely.points(xy + rng.uniform(-200.0, 200.0, size=xy.shape))


def make_lines(roads, k: int, rng) -> np.ndarray:
    step = 50.0 if k <= len(roads) else 10.0
    segs = bench_scale.dense_roads(roads, step) if step < 50.0 else roads
    g = np.asarray(segs.geometry.array, dtype=object)
    return g[np.sort(rng.choice(len(g), size=k, replace=False))]


def holed(parcels, holes: float, multi: float, rng):
    """The parcels with a hole in a share of them and a share stored as multipolygons."""
    g = np.asarray(parcels.geometry.array, dtype=object).copy()
    pick = rng.choice(len(g), int(holes * len(g)), replace=False)
    inner = shapely.buffer(g[pick], -3.0, join_style="mitre")
    ok = (shapely.get_type_id(inner) == 3) & ~shapely.is_empty(inner)
    g[pick[ok]] = shapely.polygons(shapely.get_exterior_ring(g[pick[ok]]),
                                   holes=shapely.get_exterior_ring(inner[ok])[:, None])
    pick = rng.choice(len(g), int(multi * len(g)), replace=False)
    g[pick] = shapely.multipolygons(g[pick][:, None])
    out = parcels.copy()
    out["geometry"] = g
    return out


def lin(v, best, worst):
    return np.clip((v - worst) / (best - worst), 0.0, 1.0)


def exact_score(d_p, d_l, area):
    return 100.0 * (WEIGHTS["near_point"] * lin(d_p, 0.0, WORST["near_point"])
                    + WEIGHTS["near_line"] * lin(d_l, 0.0, WORST["near_line"])
                    + WEIGHTS["area"] * lin(area, AREA["best"], AREA["worst"]))


def dist_error(got: np.ndarray, exact: np.ndarray, worst: float) -> float:
    """Largest |got - exact| where siteplan measured; inf where it wrongly stopped at worst."""
    fin = np.isfinite(got)
    wrong = (~fin) & (exact <= worst)
    if wrong.any():
        return float("inf")
    return float(np.abs(got[fin] - exact[fin]).max()) if fin.any() else 0.0


def run_pylusat(parcels, pts_gdf, lines_gdf, cellsize: float = 30.0):
    import geopandas as gpd
    from pylusat import distance, rescale, utils

    df = gpd.GeoDataFrame(geometry=parcels.geometry)
    df["d_pt"] = distance.to_point(parcels, pts_gdf)
    df["d_ln"] = distance.to_line(parcels, lines_gdf, cellsize=cellsize)
    df["area"] = parcels.geometry.area
    rescale.linear(df, "d_pt", "c_pt", start=WORST["near_point"], end=0,
                   output_min=0, output_max=1)
    rescale.linear(df, "d_ln", "c_ln", start=WORST["near_line"], end=0,
                   output_min=0, output_max=1)
    rescale.linear(df, "area", "c_area", start=AREA["worst"], end=AREA["best"],
                   output_min=0, output_max=1)
    score = utils.weighted_sum(df, {"c_pt": WEIGHTS["near_point"],
                                    "c_ln": WEIGHTS["near_line"], "c_area": WEIGHTS["area"]})
    return df, 100.0 * score.to_numpy().ravel()


def run_rowwise(sample, pts_gdf, lines_gdf):
    d_p = sample.geometry.apply(lambda g: pts_gdf.distance(g).min())
    d_l = sample.geometry.apply(lambda g: lines_gdf.distance(g).min())
    a = sample.geometry.area
    c_p = (1 - d_p / WORST["near_point"]).clip(0, 1)
    c_l = (1 - d_l / WORST["near_line"]).clip(0, 1)
    c_a = ((a - AREA["worst"]) / (AREA["best"] - AREA["worst"])).clip(0, 1)
    score = 100 * (WEIGHTS["near_point"] * c_p + WEIGHTS["near_line"] * c_l
                   + WEIGHTS["area"] * c_a)
    return d_p.to_numpy(float), d_l.to_numpy(float), score.to_numpy(float)


def bench_one(layers, n_pts: int, n_lines: int, *, repeat: int, rowwise_sample: int,
              rowwise_budget: float, seed: int, skip_rowwise: bool) -> dict:
    import geopandas as gpd

    import siteplan as sp

    parcels = layers["parcels"]
    rng = np.random.default_rng(seed)
    pts = make_points(parcels, n_pts, rng)
    lines = make_lines(layers["roads"], n_lines, rng)
    pts_gdf = gpd.GeoDataFrame(geometry=pts, crs=layers.crs)
    lines_gdf = gpd.GeoDataFrame(geometry=lines, crs=layers.crs)
    dens = layers.replace(dens_points=pts_gdf, dens_lines=lines_gdf)
    prof = profile()
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    area = shapely.area(geoms)

    ex_p, ex_l = exact_nearest(geoms, pts), exact_nearest(geoms, lines)
    ref = exact_score(ex_p, ex_l, area)

    sp.score(dens.replace(), prof)   # the first call of the process compiles or loads
    t_sp, res = best_of(repeat, lambda: sp.score(dens.replace(), prof))
    got_p = res["m_near_point"].to_numpy(float)
    got_l = res["m_near_line"].to_numpy(float)
    row = {"points": n_pts, "lines": n_lines, "siteplan_s": t_sp,
           "err_point": dist_error(got_p, ex_p, WORST["near_point"]),
           "err_line": dist_error(got_l, ex_l, WORST["near_line"]),
           "err_score": float(np.abs(res["score"].to_numpy(float) - ref).max()),
           "beyond_worst": int((~np.isfinite(got_p)).sum() + (~np.isfinite(got_l)).sum())}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pylusat's own pandas warnings are not ours
        t_py, (df, score) = best_of(repeat, lambda: run_pylusat(parcels, pts_gdf, lines_gdf))
    row.update(pylusat_s=t_py,
               pylusat_err_point=float(np.abs(df["d_pt"].to_numpy(float) - ex_p).max()),
               pylusat_err_line=float(np.abs(df["d_ln"].to_numpy(float) - ex_l).max()),
               pylusat_err_score=float(np.abs(score - ref).max()))

    if not skip_rowwise:
        # about rowwise_budget seconds: one GEOS call per parcel and feature
        k = int(min(rowwise_sample, max(10, rowwise_budget * 1e6 / (n_pts + n_lines))))
        k = min(k, len(parcels))
        pick = np.sort(rng.choice(len(parcels), size=k, replace=False))
        t_rw, (d_p, d_l, s_rw) = best_of(1, lambda: run_rowwise(parcels.iloc[pick], pts_gdf,
                                                                  lines_gdf))
        row.update(rowwise_sample=k, rowwise_measured_s=t_rw,
                   rowwise_s=t_rw * len(parcels) / k,
                   rowwise_err=float(max(np.abs(d_p - ex_p[pick]).max(),
                                         np.abs(d_l - ex_l[pick]).max())))
    _print_row(row)
    return row


HEAD = (f"{'points':>7} {'lines':>8} {'siteplan s':>10} {'pylusat s':>9} {'x pylusat':>9} "
        f"{'row-wise s':>10} {'x row-wise':>10}  {'err pt/line/score':>22}  "
        f"{'pylusat err pt/line/score':>27}")


def _print_row(r: dict) -> None:
    rw = (f"{r['rowwise_s']:>10.1f} {r['rowwise_s'] / r['siteplan_s']:>10,.0f}"
          if "rowwise_s" in r else f"{'-':>10} {'-':>10}")
    print(f"{r['points']:>7,} {r['lines']:>8,} {r['siteplan_s']:>10.3f} {r['pylusat_s']:>9.3f} "
          f"{r['pylusat_s'] / r['siteplan_s']:>9.2f} {rw}  "
          f"{r['err_point']:>6.2g} / {r['err_line']:>5.2g} / {r['err_score']:>7.2g}  "
          f"{r['pylusat_err_point']:>7.3g} / {r['pylusat_err_line']:>6.3g} / "
          f"{r['pylusat_err_score']:>6.3g}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--points", type=int, nargs="+", default=list(POINTS))
    ap.add_argument("--lines", type=int, nargs="+", default=list(LINES),
                    help="as many as --points: one density per pair")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rowwise-sample", type=int, default=500)
    ap.add_argument("--rowwise-budget", type=float, default=20.0,
                    help="fewer row-wise parcels where the features are many (about "
                         "this many seconds per density)")
    ap.add_argument("--no-rowwise", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--holes", type=float, default=0.0,
                    help="share of parcels given a hole (their ring moved 3 m in), as a "
                         "cadastre of another city has; 0.05 = 5 %%")
    ap.add_argument("--multi", type=float, default=0.0,
                    help="share of parcels stored as multipolygons (of their one part)")
    args = ap.parse_args(argv)
    if len(args.points) != len(args.lines):
        ap.error("--points and --lines pair up: give as many of each")
    info = bench_scale.machine()
    import numba

    print(f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; shapely "
          f"{info['shapely']} (GEOS {info['geos']}), numba {numba.__version__}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    layers = bench_scale.load(bench_scale.ensure_gpkg(args.n))
    if args.holes or args.multi:
        layers = layers.replace(parcels=holed(layers["parcels"], args.holes, args.multi,
                                              np.random.default_rng(args.seed)))
    import pylusat.distance  # noqa: F401 - imports are not pylusat's time
    import pylusat.rescale  # noqa: F401
    import pylusat.utils  # noqa: F401
    print(f"N = {args.n:,} parcels; errors: max |distance - shapely's| in m (and of the "
          "0-100 score); x = how many times siteplan is faster\n")
    print(HEAD)
    print("-" * len(HEAD))
    rows = [bench_one(layers, p, ln, repeat=args.repeat, rowwise_sample=args.rowwise_sample,
                      rowwise_budget=args.rowwise_budget, seed=args.seed + i,
                      skip_rowwise=args.no_rowwise)
            for i, (p, ln) in enumerate(zip(args.points, args.lines, strict=True))]
    worst_py = min(r["pylusat_s"] / r["siteplan_s"] for r in rows)
    line = f"\nleast ratio to pylusat {worst_py:.2f} (target 3)"
    if not args.no_rowwise:
        line += (f"; least to row-wise {min(r['rowwise_s'] / r['siteplan_s'] for r in rows):,.0f}"
                 " (target 1,000)")
    exact = all(r["err_point"] == 0 and r["err_line"] == 0 for r in rows)
    print(line + f"; distances exact (0 error): {exact}")
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    bench_scale.OUT.mkdir(parents=True, exist_ok=True)
    (bench_scale.OUT / f"density_{args.n}.json").write_text(json.dumps(
        {"machine": info, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
