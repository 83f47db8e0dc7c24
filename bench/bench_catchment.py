"""Road catchment (people within 1 km along roads) for every parcel: siteplan against pandana.

The world: a jittered street grid of 100 x 100 nodes (19,800 segments, 100 m
apart), 20,000 people points with weights, and parcels of 10-30 m placed
5-40 m beside random segments.

- siteplan: ``network_catchment`` (parcels snapped to their exact place on
  their segment, people snapped to theirs).
- pandana (contraction hierarchies in C++): ``Network``, ``precompute``,
  ``set`` (people on their nearest node), ``aggregate(type="sum",
  decay="flat")``, each parcel read at its nearest node. pandana snaps to
  nodes, so its counts differ from siteplan's; its time is the reference.
- networkx: one Dijkstra per parcel on the same graph with siteplan's
  snapping, the reference for correctness (same people counted) on a random
  subset of parcels.

    python bench/bench_catchment.py                 # 2x10^4 parcels, then 10^6
    python bench/bench_catchment.py --big 0         # without the 10^6 run

Every timed side runs ``--repeat`` times in this process; the best is shown.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # netref

from netref import networkx_catchment  # noqa: E402  (tools/)

import siteplan as sp  # noqa: E402
from siteplan.layers.population import demand_points
from siteplan.measures.network import network_catchment, road_graph
from siteplan.profiles.profile import profile_from_dict

RADIUS = 1000.0
X0, Y0 = 600_000.0, 9_300_000.0


def world(side: int = 100, n_people: int = 20_000, seed: int = 0):
    """Roads and people as a siteplan bundle, and the grid's nodes for pandana."""
    rng = np.random.default_rng(seed)
    step = 100.0
    xy = np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2)
    pos = xy * step + rng.uniform(-15, 15, xy.shape) + [X0, Y0]
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    lines = shapely.linestrings(np.stack([pos[a], pos[b]], axis=1))
    roads = gpd.GeoDataFrame({"road_class": rng.choice(["lokal", "kolektor"], len(lines))},
                             geometry=lines, crs=32748)
    ext = (side - 1) * step
    p = rng.uniform(0, ext, (n_people, 2)) + [X0, Y0]
    people = gpd.GeoDataFrame({"population": rng.integers(1, 50, n_people).astype(float)},
                              geometry=shapely.points(p), crs=32748)
    return sp.load_layers(roads=roads, population=people), lines


def parcels_beside(lines: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """``n`` square parcels, each 5-40 m to the side of a random segment."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, len(lines), n)
    at = shapely.line_interpolate_point(lines[seg], rng.uniform(0, 1, n), normalized=True)
    xy = shapely.get_coordinates(at)
    start = shapely.get_coordinates(shapely.get_point(lines[seg], 0))
    end = shapely.get_coordinates(shapely.get_point(lines[seg], -1))
    d = end - start
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    side = rng.choice([-1.0, 1.0], n)[:, None]
    size = rng.uniform(10, 30, n)
    c = xy + normal * side * (rng.uniform(5, 40, n) + size / 2)[:, None]
    return shapely.box(c[:, 0] - size / 2, c[:, 1] - size / 2, c[:, 0] + size / 2,
                       c[:, 1] + size / 2)


def crit():
    return profile_from_dict({"name": "b", "criteria": [{
        "name": "c", "measure": "network_catchment", "layer": "population",
        "column": "population", "radius": RADIUS, "weight": 1,
        "transform": {"type": "linear", "best": 1, "worst": 0}}]}).criteria[0]


def siteplan_side(layers, geoms):
    out, _ = network_catchment(crit(), None, geoms, layers, "bench")
    return out


def pandana_side(layers, geoms):
    import pandana

    g = road_graph(layers)
    start = shapely.get_coordinates(shapely.get_point(g.segments, 0))
    end = shapely.get_coordinates(shapely.get_point(g.segments, -1))
    nodes = np.zeros((g.n_nodes, 2))
    nodes[g.u], nodes[g.v] = start, end
    net = pandana.Network(pd.Series(nodes[:, 0]), pd.Series(nodes[:, 1]),
                          pd.Series(g.u), pd.Series(g.v),
                          pd.DataFrame({"length": g.length}), twoway=True)
    net.precompute(RADIUS)
    pts = shapely.get_coordinates(layers["population"].geometry.array)
    ids = net.get_node_ids(pd.Series(pts[:, 0]), pd.Series(pts[:, 1]))
    net.set(ids, variable=layers["population"]["population"].reset_index(drop=True))
    per_node = net.aggregate(RADIUS, type="sum", decay="flat")
    c = shapely.get_coordinates(shapely.centroid(geoms))
    at = net.get_node_ids(pd.Series(c[:, 0]), pd.Series(c[:, 1]))
    return per_node.loc[at.to_numpy()].to_numpy()


def networkx_side(layers, geoms):
    """Same snapping as siteplan, one networkx Dijkstra (with cutoff) per parcel."""
    return networkx_catchment(layers, geoms, RADIUS)


def best_of(fn, repeat, *args):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="parcels against pandana")
    ap.add_argument("--big", type=int, default=1_000_000, help="parcels, siteplan alone")
    ap.add_argument("--check", type=int, default=300, help="parcels checked with networkx")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    layers, lines = world()
    road_graph(layers)
    demand_points(layers)
    print(f"road grid: {len(lines):,} segments; {len(layers['population']):,} people "
          f"points; catchment {RADIUS:g} m")
    geoms = parcels_beside(lines, args.n)
    t_sp, ours = best_of(siteplan_side, args.repeat, layers, geoms)
    try:
        t_pd, theirs = best_of(pandana_side, args.repeat, layers, geoms)
    except ImportError:
        t_pd, theirs = float("nan"), None
    sub = np.random.default_rng(2).choice(len(geoms), min(args.check, len(geoms)),
                                          replace=False)
    t_nx, ref = best_of(networkx_side, 1, layers, geoms[sub])
    same = np.array_equal(ours[sub], ref)
    diff = np.nanmax(np.abs(ours[sub] - ref))
    print(f"{'parcels':>9} {'siteplan s':>11} {'pandana s':>10} {'pandana/siteplan':>17} "
          f"{'networkx s/parcel':>18}")
    print(f"{args.n:>9,} {t_sp:11.2f} {t_pd:10.2f} {t_pd / t_sp:16.1f}x "
          f"{t_nx / len(sub):18.4f}")
    print(f"networkx on {len(sub)} parcels: same people counted: {same} "
          f"(largest difference {diff:g}); siteplan's 2x10^4 parcels by networkx would "
          f"take about {t_nx / len(sub) * args.n:.0f} s")
    if theirs is not None:
        rel = np.abs(theirs - ours) / np.maximum(ours, 1)
        print(f"pandana (people and parcels on their nearest node) against siteplan: "
              f"median relative difference {np.median(rel):.3f}")
    if args.big:
        big = parcels_beside(lines, args.big, seed=3)
        t_big, out = best_of(siteplan_side, 1, layers, big)
        print(f"{args.big:,} parcels: siteplan {t_big:.2f} s "
              f"({np.isnan(out).sum()} without a road within 500 m)")


if __name__ == "__main__":
    main()
