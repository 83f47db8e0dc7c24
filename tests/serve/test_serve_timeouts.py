"""A request over the time limit really stops: its worker process is killed and replaced.

The pool is tested on its own (both start methods, with a busy job that
never ends by itself) and through ``siteplan serve``: four requests slow by
nature (an inline profile of 90 criteria) time out, their workers are gone,
and the next requests are answered.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor

import pytest

from siteplan.profiles.profile import builtin_profile_text

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from servekit import descendants, serve  # noqa: E402  (tests/ is on sys.path under pytest)

from siteplan.serve._pool import NO_NETWORK_ENV, NO_WORKER, TIMED_OUT, WorkerPool  # noqa: E402

LINUX = sys.platform.startswith("linux")


def _run(_ctx, name: str, kwargs: dict) -> tuple[int, str, bytes]:
    """The jobs of these tests, run in the pool's worker processes."""
    if name == "sleep":  # a core kept busy for kwargs["seconds"]
        end = time.monotonic() + kwargs["seconds"]
        while time.monotonic() < end:
            pass
        return 200, "application/json", b"{}"
    if name == "pid":
        return 200, "application/json", json.dumps({"pid": os.getpid()}).encode()
    if name == "network":
        import pyproj.network

        return 200, "application/json", json.dumps({
            "proj": pyproj.network.is_network_enabled(),
            "env": {k: os.environ.get(k) for k in NO_NETWORK_ENV}}).encode()
    raise AssertionError(name)


def _pid(answer) -> int:
    return json.loads(answer[2])["pid"]


def _alive(pid: int) -> bool:
    if LINUX:  # a zombie has ended too
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(check, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


START_METHODS = ["spawn"] + (["fork"] if hasattr(os, "fork") else [])


@pytest.mark.parametrize("start_method", START_METHODS)
def test_pool_kills_a_job_past_its_deadline_and_replaces_the_worker(start_method):
    pool = WorkerPool((dict, {}, _run), workers=2, start_method=start_method)
    try:
        pool.start()
        before = set(pool.pids)
        assert len(before) == 2 and all(_alive(p) for p in before)
        start = time.monotonic()
        # a job that would keep a core busy for 10 minutes
        assert pool.run(time.monotonic() + 0.5, "sleep", {"seconds": 600}) == TIMED_OUT
        assert time.monotonic() - start < 3
        assert _wait_for(lambda: len(pool.pids) == 2 and set(pool.pids) != before)
        killed = before - set(pool.pids)
        assert len(killed) == 1
        assert _wait_for(lambda: not any(_alive(p) for p in killed), 10)
        # both workers answer again
        answers = [pool.run(time.monotonic() + 60, "pid", {}) for _ in range(4)]
        assert all(a[0] == 200 for a in answers)
        assert {_pid(a) for a in answers} <= set(pool.pids)
        # every worker has PROJ's network off and GDAL's remote files closed
        net = json.loads(pool.run(time.monotonic() + 60, "network", {})[2])
        assert net == {"proj": False, "env": NO_NETWORK_ENV}
    finally:
        pool.close()
    assert not any(_alive(p) for p in before | set(pool.pids))


def test_pool_waiting_for_a_worker_counts_against_the_deadline():
    pool = WorkerPool((dict, {}, _run), workers=1, start_method=START_METHODS[-1])
    try:
        pool.start()
        with ThreadPoolExecutor(2) as threads:
            busy = threads.submit(pool.run, time.monotonic() + 2, "sleep", {"seconds": 600})
            time.sleep(0.3)
            start = time.monotonic()
            assert pool.run(time.monotonic() + 0.5, "pid", {}) == NO_WORKER
            assert time.monotonic() - start < 1.5
            assert busy.result(30) == TIMED_OUT
        assert pool.run(time.monotonic() + 60, "pid", {})[0] == 200
    finally:
        pool.close()


def _slow_profile(n: int = 90) -> dict:
    """A valid inline profile that takes seconds to score: public-facility criteria, n times."""
    data = tomllib.loads(builtin_profile_text("fasilitas_publik"))
    base = data["criteria"]
    crits = []
    for i in range(n):
        crit = copy.deepcopy(base[i % len(base)])
        crit["name"] = f"{crit['name']}_{i}"
        crits.append(crit)
    data["criteria"], data["name"] = crits, "lambat"
    return data


@pytest.mark.skipif(not LINUX, reason="finds the worker processes in /proc")
def test_timed_out_requests_stop_and_normal_requests_are_still_answered():
    limit = 5.0  # the slow request needs about 10 s on an idle machine, a normal one < 1 s
    with serve("--sample", "--workers", "4", "--timeout", str(limit)) as srv:
        assert srv.post("/score", {"profile": "rth", "top": 3}).status == 200
        procs = descendants(srv.proc.pid)
        # the server's children: the workers' template (and multiprocessing's resource tracker)
        template = [p for p, parent in procs.items() if parent == srv.proc.pid
                    and list(procs.values()).count(p) == 4]
        assert len(template) == 1, procs
        workers = {p for p, parent in procs.items() if parent == template[0]}
        assert len(workers) == 4

        slow = {"profile": _slow_profile(), "draws": 20000}
        start = time.monotonic()
        with ThreadPoolExecutor(4) as threads:
            replies = list(threads.map(lambda _: srv.post("/sensitivity", slow, timeout=60),
                                       range(4)))
        took = time.monotonic() - start
        for r in replies:
            assert r.status == 504, r.text[:500]
            assert r.json()["error"] == "timeout" and "work was stopped" in r.json()["message"]
        assert took < limit + 5, took
        # the four workers that ran them are gone, four new ones are there
        assert _wait_for(lambda: not any(_alive(p) for p in workers), 10)
        assert _wait_for(lambda: len(set(descendants(template[0])) - workers) == 4, 30)

        # normal requests are answered, each well within the limit
        start = time.monotonic()
        with ThreadPoolExecutor(4) as threads:
            replies = list(threads.map(
                lambda name: srv.post("/score", {"profile": name, "top": 3}, timeout=60),
                ["rth", "sentra_kuliner", "wisata_religi", "fasilitas_publik"] * 2))
        normal = time.monotonic() - start
        assert [r.status for r in replies] == [200] * 8, [r.text[:200] for r in replies]
        assert normal < 2 * limit, normal
        print(f"\n4 slow requests: 504 after {took:.2f} s (limit {limit:g} s); "
              f"8 normal requests afterwards answered in {normal:.2f} s")
