"""Benchmark: weigh without re-measuring, in Python and through ``siteplan serve``.

Changing only the weights (or the method) of a profile re-uses what was
measured (``siteplan.scoring._measured``). Side by side in one run:

- in Python, per built-in profile on the sample: a score measured from
  scratch (the cache cleared before each call) against the same score with
  other weights after a first run (the cache warm); ratio and whether the
  two give identical scores and ranks;
- through the service (``siteplan serve --sample``, worker processes forked
  from a warmed template): ``POST /score`` with the profile inline and new
  weights on every request (``top`` 10), sequential latency per profile, then
  4 clients each sending such requests for ``--seconds`` seconds.

Run::

    python bench/bench_weights.py                 # about a minute
    python bench/bench_weights.py --repeat 20 --seconds 10

Targets (issue 29): the second ``POST /score`` with other weights within
30 ms, 4 clients changing weights at least 50 requests/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

import siteplan as sp  # noqa: E402
from siteplan.scoring import _measured  # noqa: E402

PROFILES = sp.list_profiles()


def in_python(repeat: int) -> list[dict]:
    layers = sp.load_sample()
    rng = np.random.default_rng(1)
    rows = []
    for name in PROFILES:
        prof = sp.get_profile(name)
        sp.score(layers, prof)                       # imports, trees: not what we time
        fresh, warm, same = [], [], True
        for _ in range(repeat):
            other = prof.with_weights({c.name: float(w) for c, w in
                                       zip(prof.criteria, rng.uniform(0.1, 1, len(prof.criteria)),
                                           strict=True)})
            _measured.clear()
            t0 = time.perf_counter()
            a = sp.score(layers, other)
            fresh.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            b = sp.score(layers, other)               # everything measured is kept
            warm.append(time.perf_counter() - t0)
            same &= bool(np.array_equal(a["score"].to_numpy(float), b["score"].to_numpy(float),
                                        equal_nan=True)) and a["rank"].equals(b["rank"])
        rows.append({"profile": name, "fresh_ms": 1000 * statistics.median(fresh),
                     "reweighted_ms": 1000 * statistics.median(warm), "identical": same})
    return rows


def through_service(repeat: int, seconds: float) -> tuple[list[dict], dict]:
    from servekit import serve

    rows, tput = [], {}
    with serve("--sample", "--workers", "4") as srv:
        bodies = {name: srv.get(f"/profiles/{name}").json() for name in PROFILES}
        rng = np.random.default_rng(2)

        def body(name):
            prof = dict(bodies[name])
            prof["criteria"] = [{**c, "weight": float(rng.uniform(0.1, 1))}
                                for c in prof["criteria"]]
            prof.pop("weights", None)
            return {"profile": prof, "top": 10}

        for name in PROFILES:
            for _ in range(4):                        # every worker has seen the profile
                r = srv.post("/score", body(name))
                assert r.status == 200, r.text[:300]
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                r = srv.post("/score", body(name))
                times.append(time.perf_counter() - t0)
                assert r.status == 200, r.text[:300]
            rows.append({"profile": name, "median_ms": 1000 * statistics.median(times),
                         "p95_ms": 1000 * sorted(times)[round(0.95 * (len(times) - 1))]})
        done, stop = [0], time.perf_counter() + seconds
        lock = threading.Lock()

        def client(k):
            local = np.random.default_rng(100 + k)
            n = 0
            while time.perf_counter() < stop:
                name = PROFILES[int(local.integers(len(PROFILES)))]
                r = srv.post("/score", body(name))
                assert r.status == 200, r.text[:300]
                n += 1
            with lock:
                done[0] += n

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        tput = {"clients": 4, "seconds": time.perf_counter() - t0, "requests": done[0]}
        tput["per_second"] = tput["requests"] / tput["seconds"]
    return rows, tput


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    print("\nin Python (median of", args.repeat, "runs)")
    print(f"{'profile':18} {'fresh ms':>9} {'new weights ms':>15} {'ratio':>6} identical")
    for r in in_python(args.repeat):
        print(f"{r['profile']:18} {r['fresh_ms']:9.1f} {r['reweighted_ms']:15.1f} "
              f"{r['fresh_ms'] / r['reweighted_ms']:6.1f} {r['identical']}")
    rows, tput = through_service(args.repeat, args.seconds)
    print("\nPOST /score, profile inline with new weights each time, top 10")
    print(f"{'profile':18} {'median ms':>10} {'p95 ms':>8}")
    for r in rows:
        print(f"{r['profile']:18} {r['median_ms']:10.1f} {r['p95_ms']:8.1f}")
    print(f"\n4 clients changing weights: {tput['requests']} requests in "
          f"{tput['seconds']:.1f} s = {tput['per_second']:.1f} requests/s")


if __name__ == "__main__":
    main()
