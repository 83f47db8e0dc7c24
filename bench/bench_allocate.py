"""Allocation on the sample: the four built-in uses with the demand of issue 17.

    python bench/bench_allocate.py [--repeat 3] [--no-coverage] [--scale N]

Scores the sample for rth, sentra_kuliner, fasilitas_publik and wisata_religi
(every eligible parcel is a candidate), then runs ``sp.allocate`` with the
demand rth=3, sentra_kuliner=1, fasilitas_publik=2, wisata_religi=1:

1. objective "score", no other rule;
2. objective "score", green spaces and public facilities at least 2 km apart;
3. a larger programme (rth 10, sentra_kuliner 5, fasilitas_publik 10,
   wisata_religi 3, every site 1 km from the next of its use);
4. objective "coverage" (people newly within each use's reach, radii from
   siteplan/data/use_reach.csv), unless --no-coverage.

With --scale N it also times the four uses on N synthetic candidates (random
40 m parcels over 20 x 20 km, 75% eligible per use, random scores; the same
demand), without and with 1 km spacing.

For each it prints the plan, its value, the sequential greedy plan's value,
the gain, and the integer program's solve time (median of --repeat runs; the
build of the problem and the greedy plan are timed apart). Figures go to
bench/_out/allocate.json too.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import siteplan as sp

USES = ["rth", "sentra_kuliner", "fasilitas_publik", "wisata_religi"]
DEMAND = {"rth": 3, "sentra_kuliner": 1, "fasilitas_publik": 2, "wisata_religi": 1}


def run(name, results, layers, demand, repeat, **kw):
    times, walls = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        plan = sp.allocate(results, layers, demand, **kw)
        walls.append(time.perf_counter() - t)
        times.append(plan.attrs["allocation"]["time_s"])
    info = plan.attrs["allocation"]
    g = info["greedy"]
    print(f"\n== {name}: {info['objective']}, {kw or 'no other rule'}")
    print(f"   {info['n_candidates']} candidates, {info['n_pairs']} candidate-use pairs, "
          f"status {info['status']}")
    print(f"   joint plan {info['value']:,.2f}; sequential greedy "
          f"{g['value'] if g['value'] is None else format(g['value'], ',.2f')}; gain "
          f"{info['gain'] if info['gain'] is None else format(info['gain'], '+,.2f')}"
          + (f" ({info['gain_pct']:+.2f}%)" if info["gain_pct"] is not None else ""))
    print(f"   solve {statistics.median(times):.3f} s (median of {repeat}); whole call "
          f"{statistics.median(walls):.3f} s")
    cols = ["use", "pick", "parcel_id", "kecamatan", "score", "rank", "greedy_use"]
    if "people_added" in plan.columns:
        cols.append("people_added")
    print(plan[cols].to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    return {"name": name, "objective": info["objective"], "options": {k: str(v) for k, v in
                                                                      kw.items()},
            "demand": demand, "value": info["value"], "greedy": g["value"],
            "gain": info["gain"], "gain_pct": info["gain_pct"], "status": info["status"],
            "solve_s": statistics.median(times), "call_s": statistics.median(walls),
            "n_pairs": info["n_pairs"],
            "plan": plan[["use", "pick", "parcel_id", "score"]].to_dict("records")}


def synthetic(n: int, seed: int = 0):
    """N random candidate parcels and four random score tables (only for timing)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    x, y = rng.uniform(620_000, 640_000, n), rng.uniform(9_310_000, 9_330_000, n)
    parcels = gpd.GeoDataFrame({"parcel_id": np.arange(n).astype(str), "ownership": "pemda",
                                "kecamatan": rng.choice(list("ABCDEF"), n)},
                               geometry=shapely.buffer(shapely.points(x, y), 20, quad_segs=2),
                               crs=32748)
    layers = sp.load_layers(parcels=parcels)
    results = {}
    for u in USES:
        ok = rng.random(n) < 0.75
        r = layers["parcels"].copy()
        r["eligible"] = ok
        r["score"] = np.where(ok, rng.uniform(0, 100, n), np.nan)
        r["rank"] = r["score"].rank(ascending=False, method="min")
        results[u] = r
    return layers, results


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-coverage", action="store_true")
    ap.add_argument("--scale", type=int, default=0, metavar="N")
    args = ap.parse_args()
    t = time.perf_counter()
    layers = sp.load_sample()
    results = {u: sp.score(layers, u) for u in USES}
    print(f"loaded and scored the sample for {len(USES)} uses in "
          f"{time.perf_counter() - t:.1f} s; eligible: "
          + ", ".join(f"{u} {int(r['eligible'].sum())}" for u, r in results.items()))
    out = [run("issue demand", results, layers, DEMAND, args.repeat),
           run("issue demand, 2 km spacing", results, layers, DEMAND, args.repeat,
               min_spacing={"rth": 2000, "fasilitas_publik": 2000}),
           run("larger programme", results, layers,
               {"rth": 10, "sentra_kuliner": 5, "fasilitas_publik": 10, "wisata_religi": 3},
               args.repeat, min_spacing=1000)]
    if not args.no_coverage:
        out.append(run("issue demand, coverage", results, layers, DEMAND, 1,
                       objective="coverage"))
    if args.scale:
        big_layers, big = synthetic(args.scale)
        out.append(run(f"{args.scale} synthetic candidates", big, big_layers, DEMAND, 1))
        out.append(run(f"{args.scale} synthetic candidates, 1 km spacing", big, big_layers,
                       DEMAND, 1, min_spacing=1000))
    target = Path(__file__).resolve().parent / "_out" / "allocate.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps({"machine": platform.platform(), "python":
                                  platform.python_version(), "runs": out}, indent=1,
                                 default=str), encoding="utf-8")
    print(f"\nwrote {target}")


if __name__ == "__main__":
    main()
