"""Start ``siteplan serve`` in a subprocess on a free port of 127.0.0.1 and call it over HTTP.

Used by ``tests/serve/test_serve.py`` and ``bench/bench_serve.py``. Every wait is
bounded, and the server is always stopped when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    log_path: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def request(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 120) -> Reply:
        data = raw if raw is not None else (None if body is None else
                                            json.dumps(body).encode("utf-8"))
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        hdrs |= headers or {}
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()},
                             resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return Reply(err.code, {k.lower(): v for k, v in err.headers.items()},
                             err.read())

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw) -> Reply:
        return self.request("POST", path, body, **kw)

    def post_chunked(self, path: str, chunks: list[bytes], timeout: float = 60) -> Reply:
        """POST a body without Content-Length (chunked transfer encoding)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request("POST", path, body=iter(chunks), encode_chunked=True,
                         headers={"Content-Type": "application/json",
                                  "Transfer-Encoding": "chunked"})
            resp = conn.getresponse()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                         resp.read())
        finally:
            conn.close()


def descendants(pid: int) -> dict[int, int]:
    """Process id -> parent id of every live descendant of ``pid`` (Linux: reads /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":  # a zombie has ended
            parents[int(entry)] = int(fields[1])
    found: dict[int, int] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = ppid
                todo.append(child)
    return found


@contextlib.contextmanager
def serve(*args: str, start_timeout: float = 180, up: tuple[int, ...] = (200, 400)
          ) -> Iterator[Server]:
    """``siteplan serve ARGS --port <free>`` running until the block ends.

    The server is up when ``GET /health`` answers with a status in ``up`` (400 when
    the Host check refuses it; 401 where a token is wanted everywhere).
    """
    port = free_port()
    fd, log_path = tempfile.mkstemp(prefix="siteplan-serve-", suffix=".log")
    log = os.fdopen(fd, "w")
    proc = subprocess.Popen([sys.executable, "-m", "siteplan.cli", "serve", "--port", str(port),
                             *args], stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    server = Server(port, proc, log_path)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"siteplan serve exited with {proc.returncode}:\n"
                                   f"{server.log()}")
            try:
                # 400: up, but 127.0.0.1 is not among its --allowed-host names
                if server.get("/health", timeout=5).status in up:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"siteplan serve did not answer within {start_timeout} s:\n"
                                   f"{server.log()}")
            time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()
        os.unlink(log_path)
