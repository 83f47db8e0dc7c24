"""Benchmark: ``siteplan serve`` on the sample, warm ``POST /score`` latency and throughput.

Starts ``siteplan serve --sample`` (uvicorn, 4 worker threads) on a free port
of 127.0.0.1, sends a few requests per profile to warm it, then

- latency: ``--repeat`` sequential ``POST /score`` per built-in profile; the
  time from sending the request to having read the whole GeoJSON answer;
- the same ``sp.score`` calls in this process, without HTTP, for comparison;
- throughput: 4 clients (threads, one request at a time each) sending
  ``POST /score`` for ``--seconds`` seconds, one profile, then the four
  profiles in turn; requests answered per second.

Run::

    python bench/bench_serve.py                   # about 1.5 minutes
    python bench/bench_serve.py --repeat 10 --seconds 10

Prints a table and writes ``bench/_out/serve.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from servekit import serve  # noqa: E402

PROFILES = ["fasilitas_publik", "rth", "sentra_kuliner", "wisata_religi"]


def _post(srv, profile: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    reply = srv.post("/score", {"profile": profile}, timeout=120)
    dt = time.perf_counter() - t0
    if reply.status != 200:
        raise RuntimeError(f"{profile}: {reply.status} {reply.text[:300]}")
    return dt, len(reply.body)


def latency(srv, repeat: int) -> dict:
    out = {}
    for profile in PROFILES:
        for _ in range(2):  # warm
            _post(srv, profile)
        times, size = [], 0
        for _ in range(repeat):
            dt, size = _post(srv, profile)
            times.append(dt)
        times.sort()
        out[profile] = {"median_s": statistics.median(times),
                        "p95_s": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                        "min_s": times[0], "bytes": size, "n": repeat}
    return out


def in_process(repeat: int) -> dict:
    """``sp.score`` alone in this process (warm), to tell the service's own cost."""
    import siteplan as sp

    layers = sp.load_sample()
    out = {}
    for profile in PROFILES:
        sp.score(layers, profile)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            sp.score(layers, profile)
            times.append(time.perf_counter() - t0)
        out[profile] = statistics.median(times)
    return out


def throughput(srv, profiles: list[str], clients: int, seconds: float) -> dict:
    done = [0] * clients
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        k = i
        while time.perf_counter() < stop:
            try:
                _post(srv, profiles[k % len(profiles)])
            except Exception as exc:  # report, do not hide
                errors.append(str(exc))
                return
            done[i] += 1
            k += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 300)
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    return {"profiles": profiles, "clients": clients, "requests": sum(done),
            "seconds": elapsed, "per_second": sum(done) / elapsed}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=20, help="sequential requests per profile")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each throughput run")
    p.add_argument("--clients", type=int, default=4)
    args = p.parse_args()
    t0 = time.perf_counter()
    with serve("--sample", "--workers", "4") as srv:
        started = time.perf_counter() - t0
        lat = latency(srv, args.repeat)
        runs = [throughput(srv, ["sentra_kuliner"], args.clients, args.seconds),
                throughput(srv, PROFILES, args.clients, args.seconds)]
    alone = in_process(args.repeat)
    print(f"server start (import, load sample, warm caches): {started:.1f} s")
    print(f"{'profile':18} {'median s':>9} {'p95 s':>7} {'min s':>7} {'answer KB':>10} "
          f"{'sp.score alone s':>17}")
    for name, r in lat.items():
        print(f"{name:18} {r['median_s']:9.3f} {r['p95_s']:7.3f} {r['min_s']:7.3f} "
              f"{r['bytes'] / 1e3:10.0f} {alone[name]:17.3f}")
    for run in runs:
        print(f"{run['clients']} clients, {'+'.join(run['profiles'])}: {run['requests']} "
              f"requests in {run['seconds']:.1f} s = {run['per_second']:.2f} requests/s")
    out = ROOT / "bench" / "_out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps({"start_s": started, "latency": lat,
                                                "score_alone_s": alone, "throughput": runs},
                                               indent=2))


if __name__ == "__main__":
    main()
