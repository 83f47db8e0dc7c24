"""sp.datasets against a server on 127.0.0.1 that stalls: a real timeout, not a patched one.

The server accepts the connection and reads the request, then either never answers or
sends the headers and part of the file and goes quiet. The download must give up after
about ``timeout`` seconds with siteplan's error, and leave nothing in the cache. Only the
public ``sp.datasets`` functions are called, so the tests hold whatever downloads the file.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

import siteplan as sp

SQL_NAME = "wilayah_boundaries_kel_36.73.sql"


class StallingServer:
    """One-thread TCP server on 127.0.0.1: reads each request, sends ``first`` bytes (maybe
    none), then holds the connection open without a word until the test ends."""

    def __init__(self, first: bytes = b""):
        self.first = first
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/" + SQL_NAME) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        held = []
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.requests.append(data)
            if self.first:
                conn.sendall(self.first)
            held.append(conn)   # open and silent
        for conn in held:
            conn.close()

    def close(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch, tmp_path) -> Path:
    """No proxy takes the loopback request elsewhere; an empty cache folder."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("SITEPLAN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


HEADERS_THEN_SILENCE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: 1000000\r\n\r\n" + b"-- wilayah\n" * 100)


@pytest.mark.parametrize("call", ["serang_admin", "fetch_serang_boundaries"])
def test_a_server_that_never_answers_times_out(call, loopback_only):
    server = StallingServer()
    try:
        start = time.monotonic()
        with pytest.raises(sp.SiteplanInputError) as info:
            getattr(sp.datasets, call)(source=server.url(), timeout=1)
        waited = time.monotonic() - start
    finally:
        server.close()
    message = str(info.value)
    assert "could not download" in message and server.url() in message
    assert "timeout of 1 s" in message
    assert len(server.requests) >= 1 and server.requests[0].startswith(b"GET /" +
                                                                         SQL_NAME.encode())
    # it waited for the timeout (a retry or two at most), not for ever and not at all
    assert 0.9 <= waited < 10
    assert _files(loopback_only) == []


def test_a_server_that_stalls_in_the_middle_of_the_file_times_out(loopback_only):
    server = StallingServer(HEADERS_THEN_SILENCE)
    try:
        start = time.monotonic()
        with pytest.raises(sp.SiteplanInputError) as info:
            sp.datasets.serang_admin(source=server.url(), timeout=1)
        waited = time.monotonic() - start
    finally:
        server.close()
    message = str(info.value)
    assert "could not download" in message and server.url() in message
    assert "timed out" in message.lower() or "timeout" in message.lower()
    assert 0.9 <= waited < 10
    # no half file is left to be taken for the whole one
    assert _files(loopback_only) == []
