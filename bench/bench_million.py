"""Benchmark: ``siteplan score`` on 10^6 parcels, GeoPackage to GeoPackage, against the I/O floor.

The data is ``bench_scale.py``'s GeoPackage of N parcels (made once and kept
in ``bench/_out/scale/``, git-ignored: generating 10^6 parcels takes minutes).
Each run is a fresh process, and its peak memory the kernel's ``ru_maxrss``
of that process (``os.wait4``):

- **floor**: read every layer the command reads with pyogrio through Arrow
  (``read_dataframe(..., use_arrow=True)``) and write the parcels to a new
  GeoPackage (``write_dataframe(..., use_arrow=True)``): what any tool reading
  and writing the same data pays.
- **siteplan score**: ``siteplan score --profile P --parcels F:parcels --roads
  F:roads ... --out out.gpkg`` for each built-in profile, the command line's
  own code (``siteplan.cli.main``) in a child that times its three stages:
  reading and checking the layers, scoring, writing the styled GeoPackage.

Memory is set against the parcel table's own size, the bytes of the parcels
layer read as an Arrow table (WKB geometries and attributes): "grown" is the
peak less the process's size once siteplan and its modules are imported,
set against the table as Arrow and as the GeoDataFrame pyogrio reads (the
resident memory that reading it adds, measured in the floor's process).

Run from the repository root::

    python bench/bench_million.py --n 1000000
    python bench/bench_million.py --n 10000 --profiles rth      # quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_scale  # noqa: E402 - the same data

OUT = bench_scale.OUT / "million"
#: the sample's rasters, which the built-in profiles' constraints read (same geography)
RASTERS = {"flood_hazard": "serang_flood_hazard_100m.tif", "dem": "serang_dem_30m.tif"}
LAYERS = {"parcels": "--parcels", "green_spaces": "--green-spaces", "roads": "--roads",
          "pois": "--pois", "admin": "--admin", "population": "--population"}

FLOOR = """
import json, os, sys, time
import pyogrio
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
src, dst = sys.argv[1], sys.argv[2]
layers = [name for name, *_ in pyogrio.list_layers(src)]
t = time.perf_counter()
before = rss()
frames = {"parcels": pyogrio.read_dataframe(src, layer="parcels", use_arrow=True)}
frame_bytes = rss() - before
frames.update({name: pyogrio.read_dataframe(src, layer=name, use_arrow=True)
               for name in layers if name != "parcels"})
t_read = time.perf_counter() - t
t = time.perf_counter()
pyogrio.write_dataframe(frames["parcels"], dst, layer="parcels", driver="GPKG", use_arrow=True)
t_write = time.perf_counter() - t
_, table = pyogrio.read_arrow(src, layer="parcels")
print(json.dumps({"read_s": t_read, "write_s": t_write, "parcel_table_bytes": table.nbytes,
                  "parcel_frame_bytes": frame_bytes}))
"""

SCORE = """
import json, resource, sys, time
import siteplan.cli.score as cli_score
import siteplan.outputs.formats as formats
import siteplan.scoring.run as scoring_run
from siteplan.cli import main
stages = {}
def timed(name, fn):
    def run(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
    return run
cli_score.layers_from_args = timed("read", cli_score.layers_from_args)
# the command imports these where it runs them: patched where it finds them
scoring_run.score = timed("score", scoring_run.score)
formats.write_result = timed("write", formats.write_result)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
t = time.perf_counter()
code = main(sys.argv[1:])
print(json.dumps({"seconds": time.perf_counter() - t, "stages": stages, "code": code,
                  "peak_after_imports_gb": base}))
"""


def child(code: str, args: list[str]) -> dict:
    """Run ``code`` in a fresh process; its last JSON line plus its peak RSS in GB."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            cwd=bench_scale.ROOT)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {args}")
    res = json.loads(out.decode().strip().splitlines()[-1])
    res["process_s"] = time.perf_counter() - t
    res["peak_gb"] = usage.ru_maxrss / 1e6
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--profiles", nargs="+", default=None)
    args = ap.parse_args(argv)
    import siteplan as sp

    names = args.profiles or sp.list_profiles()
    info = bench_scale.machine()
    print(f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; pyogrio "
          f"{info['pyogrio']} (GDAL {info['gdal']}); load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    src = bench_scale.ensure_gpkg(args.n)
    OUT.mkdir(parents=True, exist_ok=True)
    floor_out = OUT / f"floor_{args.n}.gpkg"
    floor_out.unlink(missing_ok=True)
    floor = child(FLOOR, [str(src), str(floor_out)])
    table_gb = floor["parcel_table_bytes"] / 1e9
    frame_gb = floor["parcel_frame_bytes"] / 1e9
    floor_s = floor["read_s"] + floor["write_s"]
    print(f"N = {args.n:,}: {src.name}; parcel table {table_gb:.2f} GB as Arrow, "
          f"{frame_gb:.2f} GB as a GeoDataFrame (resident)\n"
          f"floor (pyogrio, Arrow): read {floor['read_s']:.2f} s + write parcels "
          f"{floor['write_s']:.2f} s = {floor_s:.2f} s; process {floor['process_s']:.2f} s, "
          f"peak {floor['peak_gb']:.2f} GB", flush=True)
    rows = []
    head = (f"{'profile':<18} {'seconds':>8} {'x floor':>8} {'read':>7} {'score':>7} "
            f"{'write':>7} {'process':>8} {'peak GB':>8} {'grown GB':>9} {'x Arrow':>8} "
            f"{'x frame':>8}")
    print(head + "\n" + "-" * len(head), flush=True)
    for name in names:
        out = OUT / f"score_{args.n}_{name}.gpkg"
        cmd = ["score", "--profile", name, "--out", str(out), "--overwrite", "-q"]
        for layer, flag in LAYERS.items():
            cmd += [flag, f"{src}:{layer}"]
        for layer in bench_scale.EXTRA:
            cmd += ["--layer", f"{layer}={src}:{layer}"]
        for layer, tif in RASTERS.items():
            cmd += ["--layer", f"{layer}={bench_scale.ROOT / 'data' / 'sample' / tif}"]
        r = child(SCORE, cmd)
        st = r["stages"]
        grown = r["peak_gb"] - r["peak_after_imports_gb"]     # beyond Python and its modules
        r.update(profile=name, x_floor=r["seconds"] / floor_s, grown_gb=grown,
                 x_table=grown / table_gb, x_frame=grown / frame_gb)
        rows.append(r)
        print(f"{name:<18} {r['seconds']:>8.2f} {r['x_floor']:>8.2f} {st.get('read', 0):>7.2f} "
              f"{st.get('score', 0):>7.2f} {st.get('write', 0):>7.2f} {r['process_s']:>8.2f} "
              f"{r['peak_gb']:>8.2f} {grown:>9.2f} {r['x_table']:>8.2f} {r['x_frame']:>8.2f}",
              flush=True)
    print("targets: within 3x of the floor; peak memory at most 3x the parcel table; load "
          f"average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    (OUT / f"results_{args.n}.json").write_text(json.dumps(
        {"machine": info, "floor": floor, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
