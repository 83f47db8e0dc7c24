"""Network catchment for every candidate: siteplan (scipy csgraph) against networkx.

networkx is the engine osmnx computes shortest paths with. Both sides use the
same graph, the same snapping and the same people (the population spread on a
100 m grid), so the figures compare the shortest-path engines:

    python bench/bench_network.py            # the sample, and a 50,000+ edge grid

Prints seconds for each side, their ratio, and the largest difference in
people counted (it should be 0 up to rounding).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # netref

from netref import networkx_catchment  # noqa: E402  (tools/)

import siteplan as sp  # noqa: E402
from siteplan.layers.population import demand_points
from siteplan.measures.network import network_catchment, road_graph
from siteplan.profiles.profile import profile_from_dict

RADIUS = 1000.0


def crit():
    return profile_from_dict({"name": "b", "criteria": [{
        "name": "c", "measure": "network_catchment", "layer": "population",
        "column": "population", "radius": RADIUS, "weight": 1,
        "transform": {"type": "linear", "best": 1, "worst": 0}}]}).criteria[0]


def grid_layers(n_side: int, seed: int = 0):
    """A jittered street grid of 2 * n_side * (n_side - 1) segments, people, candidates."""
    rng = np.random.default_rng(seed)
    step = 100.0
    x0, y0 = 600_000.0, 9_300_000.0
    xy = np.stack(np.meshgrid(np.arange(n_side), np.arange(n_side)), -1).reshape(-1, 2)
    pos = xy * step + rng.uniform(-15, 15, xy.shape) + [x0, y0]
    idx = np.arange(n_side * n_side).reshape(n_side, n_side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    lines = shapely.linestrings(np.stack([pos[a], pos[b]], axis=1))
    roads = gpd.GeoDataFrame({"road_class": rng.choice(["lokal", "kolektor"], len(lines))},
                             geometry=lines, crs=32748)
    ext = n_side * step
    cells = 20
    cx = np.arange(cells) * ext / cells + x0
    boxes = shapely.box(*np.stack(np.meshgrid(cx, cx + (y0 - x0)), -1).reshape(-1, 2).T,
                        *(np.stack(np.meshgrid(cx, cx + (y0 - x0)), -1).reshape(-1, 2).T
                          + ext / cells))
    pop = gpd.GeoDataFrame({"population": rng.integers(500, 5000, len(boxes)).astype(float)},
                           geometry=boxes, crs=32748)
    c = rng.uniform(x0, x0 + ext, (300, 2))
    parcels = gpd.GeoDataFrame({"parcel_id": [f"gx{i}" for i in range(300)]},
                               geometry=shapely.box(c[:, 0], c[:, 1] - (x0 - y0),
                                                    c[:, 0] + 30, c[:, 1] - (x0 - y0) + 30),
                               crs=32748)
    return sp.load_layers(parcels=parcels, roads=roads, population=pop)


def run(name, layers, geoms):
    c = crit()
    road_graph(layers)
    demand_points(layers)
    t = time.perf_counter()
    ours, _ = network_catchment(c, None, geoms, layers, "bench")
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    theirs = networkx_catchment(layers, geoms, RADIUS)
    t_nx = time.perf_counter() - t
    g = road_graph(layers)
    both = ~np.isnan(ours) & ~np.isnan(theirs)
    diff = np.abs(ours[both] - theirs[both]).max() if both.any() else 0.0
    print(f"{name:28} {len(g.segments):>8,} {len(geoms):>6} {t_ours:9.2f} {t_nx:9.2f} "
          f"{t_nx / t_ours:7.1f}x {diff:10.3g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--side", type=int, default=160, help="grid side (160: 50,880 edges)")
    args = ap.parse_args()
    print(f"catchment within {RADIUS:g} m along roads, every candidate")
    print(f"{'network':28} {'edges':>8} {'sites':>6} {'siteplan':>9} {'networkx':>9} "
          f"{'ratio':>8} {'max diff':>10}")
    layers = sp.load_sample()
    res = sp.score(layers, "fasilitas_publik")
    cand = res[res["eligible"]]
    run("sample (Serang, synthetic)", layers, np.asarray(cand.geometry.array))
    grid = grid_layers(args.side)
    run(f"grid {args.side}x{args.side}", grid, np.asarray(grid["parcels"].geometry.array))


if __name__ == "__main__":
    main()
