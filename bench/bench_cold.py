"""Benchmark: cold start, the first scoring of a fresh process and ``siteplan map`` warm.

- **First scoring in a fresh process**: ``sp.score(sp.load_sample(),
  "sentra_kuliner")`` in a new Python process, with siteplan's numba cache
  folder empty (the compiled nearest-feature search is compiled) and then
  again in another new process (it is loaded from the cache in the user cache
  folder, ``<cache>/siteplan/numba``). Each child points
  ``SITEPLAN_CACHE_DIR`` at a fresh folder of ``bench/_out/cold/``, runs
  a copy of the package made read-only (the sample's files linked where a
  wheel puts them), and reports whether the kernel came
  from the cache (numba's ``dispatcher.stats.cache_hits``).
- **``siteplan map`` warm**: the command line on a scored sample GeoPackage
  (``siteplan score --sample --profile sentra_kuliner``, made once), timed
  from the outside as a user runs it (process start, imports, reading,
  drawing, writing the HTML), ``--repeat`` times after one run to warm the
  disk cache; and the imports that cost most in that command
  (``python -X importtime``).

Run from the repository root::

    python bench/bench_cold.py
    python bench/bench_cold.py --repeat 3 --no-compile     # map only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "_out" / "cold"
PROFILE = "sentra_kuliner"

FIRST_SCORE = """
import json, sys, time
PROFILE = sys.argv[1]
t0 = time.perf_counter()
import siteplan as sp
from siteplan.measures import _nearest
t1 = time.perf_counter()
layers = sp.load_sample()
t2 = time.perf_counter()
sp.score(layers, PROFILE)
t3 = time.perf_counter()
st = _nearest._kernel.stats
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_score_s": t3 - t2,
                  "package": sp.__file__, "cache_dir": _nearest.cache_dir(),
                  "kernel_from_cache": sum(st.cache_hits.values()),
                  "kernel_compiled": sum(st.cache_misses.values())}))
"""


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "SITEPLAN_CACHE_DIR", "SITEPLAN_NO_JIT")}
    env.update(extra)
    return env


def siteplan_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("siteplan")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "siteplan.cli"]


def first_scoring() -> list[dict]:
    """Two fresh processes of a read-only copy of the package, one numba cache folder."""
    tmp = Path(tempfile.mkdtemp(dir=OUT, prefix="fresh_"))
    site = tmp / "site"
    shutil.copytree(ROOT / "siteplan", site / "siteplan",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (site / "siteplan" / "_sample").mkdir()
    for f in (ROOT / "data" / "sample").iterdir():   # where a wheel puts the sample
        if f.suffix in (".gpkg", ".tif"):
            (site / "siteplan" / "_sample" / f.name).symlink_to(f)
    for p in [site, *site.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    env = _env(PYTHONPATH=str(site), SITEPLAN_CACHE_DIR=str(tmp / "cache"),
               PYTHONDONTWRITEBYTECODE="1")
    rows = []
    try:
        for what in ("empty cache: compiles", "second process: from the cache"):
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", FIRST_SCORE, PROFILE], env=env, cwd=tmp,
                                 capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row.update(what=what, process_s=time.perf_counter() - t)
            rows.append(row)
            print(f"  {what:<32} process {row['process_s']:6.2f} s: import "
                  f"{row['import_s']:.2f} s, load sample {row['load_s']:.2f} s, first score "
                  f"{row['first_score_s']:.2f} s (kernel compiled {row['kernel_compiled']}, "
                  f"from cache {row['kernel_from_cache']})", flush=True)
    finally:
        for p in [site, *site.rglob("*")]:
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | stat.S_IWUSR)
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def scored_sample() -> Path:
    path = OUT / f"scored_{PROFILE}.gpkg"
    if not path.exists():
        subprocess.run([*siteplan_cmd(), "score", "--sample", "--profile", PROFILE, "--out",
                        str(path), "-q"], check=True, env=_env())
    return path


def map_warm(repeat: int) -> dict:
    scored = scored_sample()
    html = OUT / "map.html"
    cmd = [*siteplan_cmd(), "map", str(scored), "--out", str(html), "--overwrite", "-q"]
    times = []
    for i in range(repeat + 1):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, env=_env())
        dt = time.perf_counter() - t
        if i:          # the first run warms the disk cache
            times.append(dt)
    imports = import_costs(cmd)
    row = {"times_s": times, "best_s": min(times), "median_s": statistics.median(times),
           "html_mb": html.stat().st_size / 1e6, "imports": imports}
    print(f"  siteplan map, warm: best {row['best_s']:.2f} s, median {row['median_s']:.2f} s "
          f"over {repeat} runs ({', '.join(f'{t:.2f}' for t in times)}); HTML "
          f"{row['html_mb']:.1f} MB; target 1.5 s", flush=True)
    print("  imports of that command (cumulative, ms): " + ", ".join(
        f"{k} {v:.0f}" for k, v in imports.items()), flush=True)
    return row


def import_costs(cmd: list[str]) -> dict:
    """Top-level imports of the command costing 40 ms or more, cumulative ms."""
    code = f"import sys; from siteplan.cli import main; sys.exit(main({cmd[1:]!r}))"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=_env(),
                         capture_output=True, text=True, check=True)
    got = {}
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        cum, name = parts[1].strip(), parts[2]
        top = len(name) - len(name.lstrip()) == 1        # not imported by another module
        if top and cum.isdigit() and int(cum) >= 40_000:
            got[name.strip()] = int(cum) / 1000
    return dict(sorted(got.items(), key=lambda kv: -kv[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-compile", action="store_true", help="skip the first-scoring part")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores; load average {load}", flush=True)
    res = {"load_before": load}
    if not args.no_compile:
        res["first_scoring"] = first_scoring()
    res["map"] = map_warm(args.repeat)
    res["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end {res['load_after']}")
    (OUT / "results.json").write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
