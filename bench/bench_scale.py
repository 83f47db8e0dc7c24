"""Benchmark: load, score and map at city, province and national scale (10^4 to 10^6 parcels).

For each N this makes N synthetic parcels with siteplan's sample generator
(same seed, same Kota Serang geography; beyond ~30,000 the parcels shrink to
fit), with the context layers of the sample and a dense road network (every
road cut into segments of at most ``--road-step`` metres, the 1 km grid of
``lokal`` roads read as ``kolektor``: ~22,000 segments, ~13,000 of them
arterial or collector), and writes everything to one GeoPackage. Then each
stage runs in a fresh Python process:

- ``load``: ``sp.load_layers`` of every layer from the GeoPackage;
- ``score <profile>``: ``sp.score`` with each built-in profile (its
  ``[candidates]`` keep pemda/pemprov land, ~7.5% of parcels);
- ``score <profile> (all)``: the same profile without ``[candidates]``,
  every parcel measured;
- ``map <profile>``: ``sp.render_map(result, layers).save(...)`` (the
  profile's candidates, as render_map draws them).

Times are wall-clock seconds of the stage alone (imports, and for score and
map the loading, are done before the clock starts; caches are cold: every
STRtree, KD-tree, road graph is built inside the stage). Memory is the peak
resident set size of the stage's whole process (Python, the loaded layers and
the stage), read with ``os.wait4`` from the kernel's rusage of that child
(``ru_maxrss``; the value ``resource.getrusage(RUSAGE_CHILDREN)`` reports for
a single child), so every stage starts from a clean process.

Run from the repository root::

    python bench/bench_scale.py --n 10000 100000 1000000
    python bench/bench_scale.py --n 100000 --profiles sentra_kuliner --no-map
    python bench/bench_scale.py --n 1000000 --pyinstrument   # profile each score stage

Data and maps go to ``bench/_out/scale/`` (gitignored); the figures to
``bench/_out/scale/results.json``. ``bench_pylusat.py`` and ``bench_dask.py``
reuse the same GeoPackages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # samplegen

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "_out" / "scale"
EXTRA = ("rivers", "coastline", "flood_zones", "sawah", "heritage")
RASTERS = {"flood_hazard": "serang_flood_hazard_100m.tif", "dem": "serang_dem_30m.tif",
           "landcover": "serang_landcover_30m.tif"}
CORE = ("parcels", "green_spaces", "roads", "pois", "admin", "population")
DATA_VERSION = 1  # bump when the data recipe below changes


# ------------------------------------------------------------------------------ data

def best_of(repeat: int, fn):
    """(the least time of ``repeat`` calls of ``fn``, its last answer): shared by the benches."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def exact_nearest(geoms, feats):
    """The least shapely.distance from each geometry to any feature, every tie measured."""
    import numpy as np
    import shapely

    tree = shapely.STRtree(feats)
    near = tree.query_nearest(geoms, return_distance=True, all_matches=False)[1]
    i, j = tree.query(geoms, predicate="dwithin", distance=near * (1 + 1e-9) + 1e-6)
    out = np.full(len(geoms), np.inf)
    np.minimum.at(out, i, shapely.distance(geoms[i], feats[j]))
    return out


def dense_roads(roads, step: float = 50.0):
    """Roads as a network of short segments (at most ``step`` m), ``lokal`` read as ``kolektor``.

    The generator's 1 km grid of ``lokal`` roads becomes ``kolektor`` (at the
    scale of a province such roads are collectors), and every road is cut at
    its vertices after ``shapely.segmentize(step)``: survey centrelines and
    OpenStreetMap ways come in such short pieces, and it gives more than
    10,000 arterial/collector segments for the distance criteria.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    cls = roads["road_class"].to_numpy(dtype=object).copy()
    cls[cls == "lokal"] = "kolektor"
    lines = shapely.segmentize(np.asarray(roads.geometry.array, dtype=object), step)
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    segs = shapely.linestrings(np.stack([xy[:-1][same], xy[1:][same]], axis=1))
    owner = idx[:-1][same]
    out = gpd.GeoDataFrame({"road_class": cls[owner],
                            "name": roads["name"].to_numpy(dtype=object)[owner]},
                           geometry=segs, crs=roads.crs)
    return out[shapely.length(segs) > 0].reset_index(drop=True)


def ensure_gpkg(n: int, *, seed: int | None = None, road_step: float = 50.0,
                out: Path = OUT, quiet: bool = False) -> Path:
    """The GeoPackage of N parcels (made once, then reused)."""
    from samplegen import DEFAULT_SEED

    seed = DEFAULT_SEED if seed is None else seed
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"serang_{n}_{seed}_{road_step:g}.gpkg"
    stamp = path.with_suffix(".json")
    want = {"n": n, "seed": seed, "road_step": road_step, "version": DATA_VERSION}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()).get("recipe") == want:
        return path
    import pyogrio
    from samplegen import generate_sample

    t = time.perf_counter()
    raw = generate_sample(seed=seed, n_parcels=n)
    raw["roads"] = dense_roads(raw["roads"], road_step)
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    if path.exists():
        path.unlink()
    for name, gdf in raw.items():
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG")
    t_write = time.perf_counter() - t
    roads = raw["roads"]
    info = {"recipe": want, "generate_s": round(t_gen, 2), "write_s": round(t_write, 2),
            "size_mb": round(path.stat().st_size / 1e6, 1),
            "layers": {k: len(v) for k, v in raw.items()},
            "arterial_collector_segments": int(roads["road_class"].isin(
                ["arteri", "kolektor"]).sum())}
    stamp.write_text(json.dumps(info, indent=1))
    if not quiet:
        print(f"  made {path.name}: generate {t_gen:.1f} s, write {t_write:.1f} s, "
              f"{info['size_mb']} MB", flush=True)
    return path


def data_info(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


def load(path: Path):
    """``sp.load_layers`` of every layer of a bench GeoPackage."""
    import siteplan as sp

    # the sample's rasters cover the same city: the built-in profiles' flood-hazard and
    # slope rules read them
    rasters = {k: str(ROOT / "data" / "sample" / f) for k, f in RASTERS.items()}
    return sp.load_layers(**{k: (str(path), k) for k in CORE},
                          extra={**{k: (str(path), k) for k in EXTRA}, **rasters})


def profile(name: str):
    """A built-in profile; ``name:all`` is the same profile without ``[candidates]``."""
    import dataclasses

    import siteplan as sp

    base, _, variant = name.partition(":")
    prof = sp.get_profile(base)
    return dataclasses.replace(prof, candidates={}) if variant == "all" else prof


# ------------------------------------------------------------------ stages (children)

def _peak_gb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


def _stage(kind: str, path: Path, prof_name: str | None, pyinstrument: bool) -> dict:
    import scipy.sparse.csgraph  # noqa: F401 - imports are not the stage's time
    import scipy.spatial  # noqa: F401

    import siteplan as sp
    from siteplan import measures, pipeline, render, rth, scoring, select  # noqa: F401
    from siteplan.render import score_map  # noqa: F401

    if kind == "load":
        t = time.perf_counter()
        layers = load(path)
        return {"seconds": time.perf_counter() - t, "parcels": len(layers["parcels"])}
    layers = load(path)
    prof = profile(prof_name)
    before = _peak_gb()
    if kind == "score":
        profiler = None
        if pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.005)
            profiler.start()
        t = time.perf_counter()
        result = sp.score(layers, prof)
        seconds = time.perf_counter() - t
        if profiler is not None:
            profiler.stop()
            text = profiler.output_text(color=False, show_all=False)
            (OUT / f"profile_{len(layers['parcels'])}_{prof_name.replace(':', '_')}.txt"
             ).write_text(text)
        return {"seconds": seconds, "candidates": len(result),
                "eligible": int(result["eligible"].sum()), "peak_before_gb": before}
    result = sp.score(layers, prof)
    before = _peak_gb()
    out = OUT / f"map_{len(layers['parcels'])}_{prof_name}.html"
    t = time.perf_counter()
    sp.render_map(result, layers).save(str(out))
    return {"seconds": time.perf_counter() - t, "candidates": len(result),
            "eligible": int(result["eligible"].sum()), "html_mb": out.stat().st_size / 1e6,
            "peak_before_gb": before}


def run_stage(kind: str, path: Path, prof_name: str | None = None, *,
              pyinstrument: bool = False) -> dict:
    """One stage in a fresh process; its figures plus the process's peak RSS (GB)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_stage", kind, "--_gpkg",
           str(path)]
    if prof_name:
        cmd += ["--_profile", prof_name]
    if pyinstrument:
        cmd += ["--pyinstrument"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT)
    stdout = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}"}
    res = json.loads(stdout.decode().strip().splitlines()[-1])
    res["peak_gb"] = usage.ru_maxrss / 1e6  # KiB -> GB
    return res


# ------------------------------------------------------------------------------ main

def machine() -> dict:
    import geopandas
    import numpy
    import pandas
    import pyogrio
    import shapely

    import siteplan

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1),
            "python": platform.python_version(), "siteplan": siteplan.__version__,
            "shapely": shapely.__version__, "geos": shapely.geos_version_string,
            "geopandas": geopandas.__version__, "pandas": pandas.__version__,
            "numpy": numpy.__version__, "pyogrio": pyogrio.__version__,
            "gdal": pyogrio.__gdal_version_string__}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--profiles", nargs="+", default=None,
                    help="built-in profiles (default: all)")
    ap.add_argument("--no-all", action="store_true",
                    help="skip the variants without [candidates]")
    ap.add_argument("--no-map", action="store_true")
    ap.add_argument("--map-profiles", nargs="+", default=None,
                    help="profiles to map (default: the same as --profiles)")
    ap.add_argument("--road-step", type=float, default=50.0)
    ap.add_argument("--pyinstrument", action="store_true",
                    help="profile each score stage into bench/_out/scale/profile_*.txt")
    ap.add_argument("--_stage", help=argparse.SUPPRESS)
    ap.add_argument("--_gpkg", help=argparse.SUPPRESS)
    ap.add_argument("--_profile", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._stage:
        res = _stage(args._stage, Path(args._gpkg), args._profile, args.pyinstrument)
        print(json.dumps(res))
        return 0

    import siteplan as sp

    names = args.profiles or sp.list_profiles()
    maps = [] if args.no_map else (args.map_profiles or names)
    info = machine()
    print(f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; Python "
          f"{info['python']}, shapely {info['shapely']} (GEOS {info['geos']}), geopandas "
          f"{info['geopandas']}, pandas {info['pandas']}")
    rows = []
    for n in args.n:
        path = ensure_gpkg(n, road_step=args.road_step)
        d = data_info(path)
        print(f"\nN = {n:,}: {path.name}, {d['size_mb']} MB; roads "
              f"{d['layers']['roads']:,} segments ({d['arterial_collector_segments']:,} "
              f"arterial/collector)", flush=True)
        stages = [("load", None)] + [("score", p) for p in names]
        if not args.no_all:
            stages += [("score", f"{p}:all") for p in names]
        stages += [("map", p) for p in maps]
        for kind, prof_name in stages:
            res = run_stage(kind, path, prof_name, pyinstrument=args.pyinstrument)
            label = kind if prof_name is None else f"{kind} {prof_name.replace(':all', ' (all)')}"
            row = {"n": n, "stage": label, **res}
            rows.append(row)
            print("  " + _fmt(row), flush=True)
    print("\n" + _table(rows))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
    return 0


HEAD = (f"{'N':>9}  {'stage':<34} {'candidates':>10} {'eligible':>9} {'seconds':>8} "
        f"{'peak GB':>8}  note")


def _fmt(row: dict) -> str:
    if "error" in row:
        return f"{row['n']:>9,}  {row['stage']:<34} {row['error']}"
    cand = f"{row['candidates']:,}" if "candidates" in row else f"{row.get('parcels', 0):,}"
    elig = f"{row['eligible']:,}" if "eligible" in row else ""
    note = f"{row['html_mb']:.1f} MB HTML" if "html_mb" in row else ""
    if "peak_before_gb" in row:
        note += f"{'; ' if note else ''}{row['peak_before_gb']:.2f} GB after load"
    return (f"{row['n']:>9,}  {row['stage']:<34} {cand:>10} {elig:>9} {row['seconds']:>8.2f} "
            f"{row['peak_gb']:>8.2f}  {note}")


def _table(rows: list[dict]) -> str:
    return "\n".join([HEAD, "-" * len(HEAD)] + [_fmt(r) for r in rows])


if __name__ == "__main__":
    sys.exit(main())
