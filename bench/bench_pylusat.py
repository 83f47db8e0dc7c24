"""Benchmark: siteplan against pylusat and the row-wise notebook way, same data, same criteria.

Two distance criteria on every parcel (no candidate filter, no constraint):
distance to the markets (``pois`` with ``category = pasar``, points) and to
the arterial and collector roads (lines: the bench's dense network, >10,000
short segments), each rescaled linearly (1 at 0 m, 0 at ``worst`` m: 2,000 m
and 500 m) and combined with weights 0.5 and 0.5 into a 0-100 score.

- **siteplan**: ``sp.score`` with a profile from
  ``siteplan.profiles.profile_from_dict``; a fresh layer bundle per run, so
  the feature grids and trees are built inside the time. Also with the
  saturation bound switched off (the nearest search then runs to the
  nearest feature however far, instead of stopping at ``worst``), and on the
  GEOS path alone (``SITEPLAN_NO_JIT=1``: KD-tree bounds, STRtree, GEOS
  distances; what ran before the compiled search). The first call of the
  process is reported apart: it compiles the search, or loads it from
  numba's cache.
- **STRtree.query_nearest**: the two nearest-feature queries alone, shapely's
  own bulk call (no transform, no result frame), without and with
  ``max_distance=worst`` (what siteplan's distance measure did before).
- **pylusat** 0.5: ``distance.to_point``, ``distance.to_line`` (default 30 m
  cells), ``rescale.linear`` and ``utils.weighted_sum``. It measures from
  parcel centroids and, for lines, between raster cells.
- **row-wise**: what a planner writes in a notebook,
  ``parcels.geometry.apply(lambda g: roads.distance(g).min())``, exact but one
  GEOS call per parcel and feature; timed on a random subsample
  (``--rowwise-sample``, default 2,000) and **extrapolated linearly** to N.

Each figure is the best of ``--repeat`` runs in this process. Errors are
against the exact parcel-edge distances: the least ``shapely.distance``
from the parcel polygon to any feature (every feature within the nearest
one's distance measured), in metres, and in score points (0-100) against
the score those exact distances give. "0" means the very same doubles.

Run from the repository root (pylusat: ``pip install -e '.[bench]'``)::

    python bench/bench_pylusat.py --n 100000
    python bench/bench_pylusat.py --n 10000 100000 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_scale  # noqa: E402 - the same data as bench_scale.py
from bench_scale import best_of, exact_nearest  # noqa: E402

MARKETS = {"category": ["pasar"]}
ROADS = {"road_class": ["arteri", "kolektor"]}
WORST = {"dekat_pasar": 2000.0, "akses_jalan": 500.0}
WEIGHTS = {"dekat_pasar": 0.5, "akses_jalan": 0.5}

PROFILE = {
    "name": "dua_jarak", "title": {"id": "Dua kriteria jarak", "en": "Two distance criteria"},
    "method": "wlc",
    "criteria": [
        {"name": "dekat_pasar", "measure": "distance", "layer": "pois", "where": MARKETS,
         "transform": {"type": "linear", "best": 0, "worst": WORST["dekat_pasar"]},
         "weight": WEIGHTS["dekat_pasar"]},
        {"name": "akses_jalan", "measure": "distance", "layer": "roads", "where": ROADS,
         "transform": {"type": "linear", "best": 0, "worst": WORST["akses_jalan"]},
         "weight": WEIGHTS["akses_jalan"]},
    ],
}


def exact_score(d_market: np.ndarray, d_road: np.ndarray) -> np.ndarray:
    c1 = np.clip(1.0 - d_market / WORST["dekat_pasar"], 0.0, 1.0)
    c2 = np.clip(1.0 - d_road / WORST["akses_jalan"], 0.0, 1.0)
    return 100.0 * (WEIGHTS["dekat_pasar"] * c1 + WEIGHTS["akses_jalan"] * c2)


def run_siteplan(layers, prof, *, bounded: bool, compiled: bool = True):
    import os

    import siteplan as sp
    from siteplan.measures import basic as criteria

    keep = criteria.saturation_distance
    if not bounded:  # the nearest search no longer stops at `worst`
        criteria.saturation_distance = lambda spec: None  # noqa: ARG005
    if not compiled:
        os.environ["SITEPLAN_NO_JIT"] = "1"
    try:
        return sp.score(layers.replace(), prof)  # a fresh bundle: cold caches
    finally:
        criteria.saturation_distance = keep
        os.environ.pop("SITEPLAN_NO_JIT", None)


def run_strtree(geoms, markets, roads, *, bounded: bool = False):
    out = []
    for feats, worst in ((markets, WORST["dekat_pasar"]), (roads, WORST["akses_jalan"])):
        tree = shapely.STRtree(feats)
        kw = {"max_distance": worst} if bounded else {}
        (i, _), d = tree.query_nearest(geoms, return_distance=True, all_matches=False, **kw)
        full = np.full(len(geoms), np.inf)
        full[i] = d
        out.append(full)
    return out


def run_pylusat(parcels, markets_gdf, roads_gdf, cellsize: float):
    import geopandas as gpd
    from pylusat import distance, rescale, utils

    df = gpd.GeoDataFrame(geometry=parcels.geometry)
    df["d_pasar"] = distance.to_point(parcels, markets_gdf)
    df["d_jalan"] = distance.to_line(parcels, roads_gdf, cellsize=cellsize)
    # start > end: 1 at `end` (0 m), 0 from `start` (worst) on
    rescale.linear(df, "d_pasar", "c_pasar", start=WORST["dekat_pasar"], end=0,
                   output_min=0, output_max=1)
    rescale.linear(df, "d_jalan", "c_jalan", start=WORST["akses_jalan"], end=0,
                   output_min=0, output_max=1)
    score = utils.weighted_sum(df, {"c_pasar": WEIGHTS["dekat_pasar"],
                                    "c_jalan": WEIGHTS["akses_jalan"]})
    return df, 100.0 * score.to_numpy().ravel()


def run_rowwise(sample, markets_gdf, roads_gdf):
    import pandas as pd

    d_m = sample.geometry.apply(lambda g: markets_gdf.distance(g).min())
    d_r = sample.geometry.apply(lambda g: roads_gdf.distance(g).min())
    c_m = (1 - d_m / WORST["dekat_pasar"]).clip(0, 1)
    c_r = (1 - d_r / WORST["akses_jalan"]).clip(0, 1)
    score = 100 * (WEIGHTS["dekat_pasar"] * c_m + WEIGHTS["akses_jalan"] * c_r)
    return pd.DataFrame({"d_pasar": d_m, "d_jalan": d_r, "score": score})


def errors(approx: np.ndarray, exact: np.ndarray) -> dict:
    finite = np.isfinite(approx)
    err = np.abs(approx[finite] - exact[finite])
    return {"max": float(err.max()) if len(err) else 0.0,
            "mean": float(err.mean()) if len(err) else 0.0,
            "p95": float(np.percentile(err, 95)) if len(err) else 0.0,
            "not_measured": int((~finite).sum())}


def bench(n: int, repeat: int, rowwise_sample: int, cellsize: float, seed: int) -> dict:
    import siteplan as sp
    from siteplan.profiles.profile import profile_from_dict

    path = bench_scale.ensure_gpkg(n)
    layers = bench_scale.load(path)
    parcels = layers["parcels"]
    pois, roads = layers["pois"], layers["roads"]
    markets_gdf = pois[pois["category"].isin(MARKETS["category"])]
    roads_gdf = roads[roads["road_class"].isin(ROADS["road_class"])]
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    mk = np.asarray(markets_gdf.geometry.array, dtype=object)
    rd = np.asarray(roads_gdf.geometry.array, dtype=object)
    prof = profile_from_dict(PROFILE)
    print(f"\nN = {n:,} parcels; {len(mk)} markets, {len(rd):,} arterial/collector road "
          f"segments ({len(roads):,} road segments in all)", flush=True)

    exact_m, exact_r = exact_nearest(geoms, mk), exact_nearest(geoms, rd)  # the reference
    ref_score = exact_score(exact_m, exact_r)
    rows = {}

    t0 = time.perf_counter()
    run_siteplan(layers, prof, bounded=True)
    first = time.perf_counter() - t0
    t, res = best_of(repeat, lambda: run_siteplan(layers, prof, bounded=True))
    rows["siteplan sp.score"] = {
        "seconds": t, "err_market": errors(res["m_dekat_pasar"].to_numpy(float), exact_m),
        "err_road": errors(res["m_akses_jalan"].to_numpy(float), exact_r),
        "err_score": errors(res["score"].to_numpy(float), ref_score),
        "note": f"exact; beyond `worst` not searched ({_beyond(res)} distances), score 0 "
                f"there as with the exact distance; first call of the process {first:.2f} s "
                "(compiling the search, or loading it from numba's cache)"}
    t, res = best_of(repeat, lambda: run_siteplan(layers, prof, bounded=False))
    rows["siteplan, no saturation bound"] = {
        "seconds": t, "err_market": errors(res["m_dekat_pasar"].to_numpy(float), exact_m),
        "err_road": errors(res["m_akses_jalan"].to_numpy(float), exact_r),
        "err_score": errors(res["score"].to_numpy(float), ref_score),
        "note": "exact; nearest search unbounded"}
    t, res = best_of(repeat, lambda: run_siteplan(layers, prof, bounded=True, compiled=False))
    rows["siteplan, GEOS path"] = {
        "seconds": t, "err_market": errors(res["m_dekat_pasar"].to_numpy(float), exact_m),
        "err_road": errors(res["m_akses_jalan"].to_numpy(float), exact_r),
        "err_score": errors(res["score"].to_numpy(float), ref_score),
        "note": "exact; SITEPLAN_NO_JIT=1: KD-tree bounds, STRtree and GEOS distances"}
    t, (d_m, d_r) = best_of(repeat, lambda: run_strtree(geoms, mk, rd))
    rows["STRtree.query_nearest (distances only)"] = {
        "seconds": t, "err_market": errors(d_m, exact_m), "err_road": errors(d_r, exact_r),
        "err_score": errors(exact_score(d_m, d_r), ref_score),
        "note": "exact; no transform, no result frame"}
    t, (d_m, d_r) = best_of(repeat, lambda: run_strtree(geoms, mk, rd, bounded=True))
    rows["STRtree.query_nearest, max_distance=worst"] = {
        "seconds": t, "err_market": errors(d_m, exact_m), "err_road": errors(d_r, exact_r),
        "err_score": errors(exact_score(d_m, d_r), ref_score),
        "note": "exact; what siteplan did before (inf beyond `worst`)"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pylusat's own pandas warnings are not ours
        t, (df, score) = best_of(repeat, lambda: run_pylusat(parcels, markets_gdf, roads_gdf,
                                                               cellsize))
    rows[f"pylusat (centroids, {cellsize:g} m raster)"] = {
        "seconds": t, "err_market": errors(df["d_pasar"].to_numpy(float), exact_m),
        "err_road": errors(df["d_jalan"].to_numpy(float), exact_r),
        "err_score": errors(score, ref_score), "note": "approximate"}
    k = min(rowwise_sample, n)
    pick = np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))
    sub = parcels.iloc[pick]
    t, rw = best_of(1, lambda: run_rowwise(sub, markets_gdf, roads_gdf))
    rows["row-wise geometry.apply (extrapolated)"] = {
        "seconds": t * n / k, "measured_seconds": t, "sample": k,
        "err_market": errors(rw["d_pasar"].to_numpy(float), exact_m[pick]),
        "err_road": errors(rw["d_jalan"].to_numpy(float), exact_r[pick]),
        "err_score": errors(rw["score"].to_numpy(float), ref_score[pick]),
        "note": f"exact; {t:.1f} s on {k:,} parcels x {n / k:g}"}
    _print(rows)
    return {"n": n, "markets": len(mk), "road_segments": len(rd), "rows": rows,
            "siteplan_version": sp.__version__}


def _beyond(res) -> int:
    return int(np.isinf(res["m_dekat_pasar"].to_numpy(float)).sum()
               + np.isinf(res["m_akses_jalan"].to_numpy(float)).sum())


def _print(rows: dict) -> None:
    base = rows["siteplan sp.score"]["seconds"]
    head = (f"{'method':<40} {'seconds':>8} {'x siteplan':>10}  {'market err m max/mean':>22}  "
            f"{'road err m max/mean':>20}  {'score err max/mean':>19}")
    print(head)
    print("-" * len(head))
    for name, r in rows.items():
        em, er, es = r["err_market"], r["err_road"], r["err_score"]
        print(f"{name:<40} {r['seconds']:>8.3f} {r['seconds'] / base:>10.1f}  "
              f"{em['max']:>10.3g} / {em['mean']:>9.3g}  {er['max']:>8.3g} / {er['mean']:>9.3g}"
              f"  {es['max']:>8.3g} / {es['mean']:>8.3g}")
    for name, r in rows.items():
        print(f"  {name}: {r['note']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rowwise-sample", type=int, default=2000)
    ap.add_argument("--cellsize", type=float, default=30.0, help="pylusat to_line cell (m)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    info = bench_scale.machine()
    print(f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; shapely "
          f"{info['shapely']} (GEOS {info['geos']})")
    results = [bench(n, args.repeat, args.rowwise_sample, args.cellsize, args.seed)
               for n in args.n]
    bench_scale.OUT.mkdir(parents=True, exist_ok=True)
    (bench_scale.OUT / "pylusat.json").write_text(json.dumps(
        {"machine": info, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
