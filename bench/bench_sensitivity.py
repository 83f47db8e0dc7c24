"""Weight sensitivity: 1,000 draws over 10,000 candidates, time and peak memory.

    python bench/bench_sensitivity.py [--sites 10000] [--draws 1000]

Builds a scored result of N eligible sites with five criteria (random
suitabilities; the analysis only reads the c_* columns) and runs
sp.sensitivity for each aggregation method. Peak memory is what the analysis
allocates on top of its input, measured with tracemalloc (NumPy reports its
buffers to it).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import geopandas as gpd
import numpy as np
import shapely

import siteplan as sp
from siteplan.profiles.profile import profile_from_dict

NAMES = ["a", "b", "c", "d", "e"]


def fake_result(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    data = {f"c_{k}": rng.random(n) for k in NAMES}
    x = rng.uniform(600_000, 640_000, n)
    y = rng.uniform(9_300_000, 9_340_000, n)
    res = gpd.GeoDataFrame({"parcel_id": np.arange(n).astype(str), "eligible": True, **data},
                           geometry=shapely.points(x, y), crs=32748)
    res["score"] = 100 * np.mean([data[f"c_{k}"] for k in NAMES], axis=0)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--draws", type=int, default=1000)
    args = ap.parse_args()
    res = fake_result(args.sites)
    print(f"{args.draws:,} draws x {args.sites:,} sites x {len(NAMES)} criteria, spread 0.2")
    print(f"{'method':8} {'seconds':>8} {'peak MB':>8}")
    for method in ("wlc", "wgm", "topsis", "owa"):
        prof = profile_from_dict({"name": "b", "method": method, "criteria": [
            {"name": k, "measure": "area", "weight": w,
             "transform": {"type": "linear", "best": 1, "worst": 0}}
            for k, w in zip(NAMES, [0.3, 0.25, 0.2, 0.15, 0.1], strict=True)]})
        tracemalloc.start()
        t = time.perf_counter()
        stab = sp.sensitivity(res, prof, draws=args.draws, spread=0.2, top_k=10, seed=0)
        dt = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        assert abs(stab["p_top_k"].sum() - 10) < 1e-9
        print(f"{method:8} {dt:8.2f} {peak:8.0f}")


if __name__ == "__main__":
    main()
