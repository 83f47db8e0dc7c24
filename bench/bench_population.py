"""People within 2 km: the population model on a raster and on polygons, against references.

    python bench/bench_population.py [--n 100000] [--polygons 2000] [--candidates 600]

1. A 100 m population raster over the city (the sample's, 700,000 people) and
   N parcels (the sample generator's, scaled to N): people within 2 km of every
   parcel by siteplan's exact line integral, against the same cells treated as
   polygons and areally weighted by shapely (the exact area-weighted value) on
   a random subset, and against exactextract's coverage sum on that subset.
2. 2,000 population polygons (Voronoi cells of random points in the city, each
   with the people the raster puts in it) and 600 of the sample's parcels at
   2 km: siteplan's vector spread, cold (its pieces and tree built inside).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # samplegen

import siteplan as sp  # noqa: E402
from siteplan.layers.population import Spread, amount_within, spread  # noqa: E402
from siteplan.layers.raster import read_window  # noqa: E402


def best(f, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--polygons", type=int, default=2000)
    ap.add_argument("--candidates", type=int, default=600)
    ap.add_argument("--check", type=int, default=300, help="parcels checked against references")
    args = ap.parse_args()
    from samplegen import generate_parcels

    sample = sp.load_sample()
    pop = sample["population"]
    parcels = generate_parcels(args.n, 20261127)
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    layers = sp.Layers({"parcels": parcels, "population": pop}, crs=sample.crs)
    s = spread(layers, "population", "population", context="bench")
    t_raster, got = best(lambda: amount_within(geoms, 2000.0, s), repeat=2)
    print(f"raster 100 m, {args.n:,} parcels, people within 2 km: {t_raster:.2f} s "
          f"({len(geoms) / t_raster:,.0f} parcels/s)")

    # references on a subset: the cells as polygons (shapely areal weighting), exactextract
    win = read_window(pop, pop.bounds, margin=0)
    rows, cols = np.nonzero(np.isfinite(win.values))
    cells = shapely.box(win.left + cols * win.cell_x, win.top - (rows + 1) * win.cell_y,
                        win.left + (cols + 1) * win.cell_x, win.top - rows * win.cell_y)
    vals = win.values[rows, cols]
    poly = gpd.GeoDataFrame({"population": vals}, geometry=cells, crs=sample.crs)
    vec = spread(sp.Layers({"parcels": parcels, "population": poly}, crs=sample.crs),
                 "population", "population", context="bench")
    pick = np.random.default_rng(0).choice(len(geoms), args.check, replace=False)
    t_ref, ref = best(lambda: amount_within(geoms[pick], 2000.0, vec), repeat=1)
    err = np.abs(got[pick] / ref - 1)
    print(f"  against the cells as polygons (shapely intersections, {args.check} parcels, "
          f"{t_ref:.2f} s = {t_ref / args.check * args.n:,.0f} s for all): max relative "
          f"difference {err.max():.2e}, mean {err.mean():.2e}")
    from exactextract import exact_extract

    buffers = gpd.GeoDataFrame(geometry=shapely.buffer(geoms[pick], 2000.0, quad_segs=16),
                               crs=sample.crs)
    t_ee, ee = best(lambda: exact_extract(pop.path, buffers, ["sum"], output="pandas"),
                    repeat=1)
    ee = ee["sum"].to_numpy(dtype=float)
    print(f"  against exactextract ({args.check} parcels, {t_ee:.2f} s = "
          f"{t_ee / args.check * args.n:,.0f} s for all): max relative difference "
          f"{np.abs(got[pick] / ee - 1).max():.2e}; siteplan is "
          f"{t_ee / args.check * args.n / t_raster:,.0f}x faster")

    # polygons: census-block-like Voronoi cells of random points in the city, each holding
    # the people the raster puts in it (exact coverage sums)
    outline = shapely.union_all(np.asarray(sample["admin"].geometry.array, dtype=object)[
        (sample["admin"]["level"] == "kota").to_numpy()])
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = outline.bounds
    pts = shapely.points(rng.uniform(x0, x1, 4 * args.polygons),
                         rng.uniform(y0, y1, 4 * args.polygons))
    pts = pts[shapely.contains(outline, pts)][:args.polygons]
    vor = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts)))
    cellsv = shapely.intersection(vor, outline)
    from siteplan.layers.raster import zonal_stats

    people = zonal_stats(cellsv, sample.crs, pop, "sum")
    blocks = gpd.GeoDataFrame({"population": people}, geometry=cellsv, crs=sample.crs)
    cand = sample["parcels"].sample(args.candidates, random_state=0)
    cg = np.asarray(cand.geometry.array, dtype=object)
    lay = sp.Layers({"parcels": cand, "population": blocks}, crs=sample.crs)

    def vector():
        fresh = sp.Layers({"parcels": cand, "population": blocks}, crs=sample.crs)
        return amount_within(cg, 2000.0, spread(fresh, "population", "population",
                                                context="bench"))

    t_vec, v = best(vector)
    sv: Spread = spread(lay, "population", "population", context="bench")
    print(f"{len(blocks):,} population polygons, {len(cg)} candidates, 2 km: {t_vec:.3f} s "
          f"(cold, spread built inside; {len(sv.geoms):,} pieces); total counted "
          f"{v.sum():,.0f}")


if __name__ == "__main__":
    main()
