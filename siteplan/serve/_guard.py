"""The service's guards: allowed hosts, body size limit, workers under a time limit, errors."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from .._errors import Problem, SiteplanInputError

__all__ = ["BodyLimit", "HostCheck", "Runner", "normal_host", "ServiceError", "error_body",
           "error_dict", "problem_dicts", "input_error"]

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """An answer other than 200: its status, error code, what is wrong and the fix."""

    def __init__(self, status: int, code: str, what: str, *, fix: str, **extra: Any):
        super().__init__(what)
        self.status, self.code = status, code
        self.body = error_dict(code, what, fix=fix, **extra)


def problem_dicts(problems) -> list[dict[str, str]]:
    """The problems of a :class:`SiteplanInputError` as JSON objects, field by field."""
    out = []
    for p in problems:
        if isinstance(p, Problem):
            out.append({"where": p.where, "what": p.what, "fix": p.fix, "text": str(p)})
        else:
            out.append({"what": str(p), "text": str(p)})
    return out


def error_dict(code: str, what: str, *, fix: str | None = None, **extra: Any) -> dict:
    """The JSON body of an error: ``error`` (a code), ``message`` (what, and the fix)."""
    message = f"{what}. Fix: {fix}" if fix else what
    return {"error": code, "message": message, **({"fix": fix} if fix else {}), **extra}


def error_body(code: str, what: str, *, fix: str | None = None, **extra: Any) -> bytes:
    return json.dumps(error_dict(code, what, fix=fix, **extra),
                      ensure_ascii=False).encode("utf-8")


class BodyLimit:
    """ASGI middleware: refuse a request body over ``limit`` bytes with 413.

    A declared ``Content-Length`` over the limit is refused without keeping
    any of the body; a body without one (chunked) is kept up to the limit and
    refused as soon as it passes it. Before answering, up to ``4 * limit``
    bytes of the refused body are read and dropped, so that a client that
    sends its whole body before reading gets the 413 instead of a broken
    connection; past that the connection is closed. A client that sent
    ``Expect: 100-continue`` (curl does for large bodies) is answered at once
    and never sends the body. Accepted bodies are handed on
    unchanged.
    """

    def __init__(self, app, *, limit: int):
        self.app, self.limit = app, int(limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length, expects = None, False
        for name, value in scope.get("headers", ()):
            if name == b"expect":
                expects = value.lower() == b"100-continue"
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return await self._refuse(send, 400, "bad_request",
                                              "Content-Length is not a number")
        if length is not None and length > self.limit:
            if not expects:  # a client waiting for "100 Continue" has sent nothing yet
                await self._drain(receive, 0)
            return await self._too_large(send, f"{length:,} bytes")
        chunks, size = [], 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.limit:
                if more:
                    await self._drain(receive, size)
                return await self._too_large(send, f"over {self.limit:,} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _drain(self, receive, size: int) -> None:
        """Read and drop the rest of a refused body, up to ``4 * limit`` bytes in all."""
        while size <= 4 * self.limit:
            message = await receive()
            if message["type"] != "http.request":
                return
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _too_large(self, send, size: str):
        mb = self.limit / 1e6
        return await self._refuse(send, 413, "too_large", (
            f"the request body is {size}, over this server's limit of {self.limit:,} bytes "
            f"({mb:g} MB)"), fix="send fewer or simpler features (e.g. simplify the "
            "geometries), or start the server with a larger --max-body-mb")

    @staticmethod
    async def _refuse(send, status: int, code: str, what: str, **extra: Any):
        body = error_body(code, what, **extra)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class Runner:
    """Runs request work in worker processes (``_pool.WorkerPool``), each call under a time limit.

    The time limit counts from the call: waiting for a free worker and the
    work itself. A call that is still waiting when its time runs out never
    starts; one that is running is stopped (its worker process is killed and
    replaced), so no work outlives its 504.
    """

    def __init__(self, setup, *, workers: int, time_limit: float,
                 start_method: str | None = None):
        from ._pool import WorkerPool

        self.time_limit = float(time_limit)
        self.pool = WorkerPool(setup, workers=workers, start_method=start_method)
        self._threads = max(64, 8 * int(workers))
        self._waiters: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker processes (else the first call does)."""
        self.pool.start()

    async def __call__(self, name: str, **kwargs: Any) -> tuple[int, str, bytes]:
        """The answer of the job ``name`` (status, media type, body) or a ServiceError."""
        from ._pool import NO_WORKER, TIMED_OUT, WORKER_DIED

        loop = asyncio.get_running_loop()
        if self._waiters is None:
            # threads that wait for the workers' answers (the work is in the worker processes)
            self._waiters = ThreadPoolExecutor(max_workers=self._threads,
                                               thread_name_prefix="siteplan-serve-wait")
        if not self.pool.started:  # starting the workers is not the request's time
            await loop.run_in_executor(self._waiters, self.pool.start)
        deadline = time.monotonic() + self.time_limit
        answer = await loop.run_in_executor(self._waiters, self.pool.run, deadline, name,
                                            kwargs)
        if answer in (TIMED_OUT, NO_WORKER):
            waited = " waiting for a free worker" if answer == NO_WORKER else ""
            raise ServiceError(504, "timeout", f"the request took longer than this server's "
                               f"time limit of {self.time_limit:g} s{waited}; its work was "
                               "stopped", fix="ask for less (fewer draws, fewer parcels, "
                               "fewer criteria), or start the server with a larger --timeout")
        if answer == WORKER_DIED:
            log.error("a worker process ended while running a %s request", name)
            raise ServiceError(500, "internal", "the worker process doing this request ended "
                               "unexpectedly (out of memory?); the server's log has the "
                               "details", fix="ask for less, or tell the service's operator")
        return cast("tuple[int, str, bytes]", answer)  # the pool's three outcomes raised above

    def close(self) -> None:
        """Stop the workers (a later call starts them again)."""
        self.pool.close()
        waiters, self._waiters = self._waiters, None
        if waiters is not None:
            waiters.shutdown(wait=False, cancel_futures=True)


class HostCheck:
    """ASGI middleware: answer 400 to a request whose ``Host`` is not an allowed name.

    A web page cannot make a browser send another site's name in ``Host``,
    so checking it stops DNS rebinding (a page whose name is made to resolve
    to 127.0.0.1 driving the loopback service). ``allowed`` holds host names
    (``localhost``, ``127.0.0.1``, ``[::1]``), ``*.example.org`` for any
    sub-domain, or ``*`` for any host; the port in ``Host`` is not checked.
    """

    def __init__(self, app, *, allowed: Sequence[str]):
        self.app = app
        self.allowed = tuple(normal_host(h) for h in allowed)
        self.any = "*" in self.allowed

    def allows(self, host: str) -> bool:
        if self.any:
            return True
        name = normal_host(host)
        return any(name == h or (h.startswith("*.") and name.endswith(h[1:]))
                   for h in self.allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.any:
            return await self.app(scope, receive, send)
        host = next((v for k, v in scope.get("headers", ()) if k == b"host"), b"")
        text = host.decode("latin-1")
        if not self.allows(text):
            shown = ", ".join(self.allowed)
            return await BodyLimit._refuse(send, 400, "host_not_allowed", (
                f"the Host header {text[:100]!r} is not a name this server answers to "
                f"(allowed: {shown})"), fix="call the service by one of the allowed names; "
                "the operator can allow more with --allowed-host NAME (create_app("
                "allowed_hosts=...))", allowed_hosts=list(self.allowed))
        return await self.app(scope, receive, send)


def normal_host(host: str) -> str:
    """``host`` without its port, lower case: ``LocalHost:8000`` -> ``localhost``."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        end = host.find("]")
        return host[:end + 1] if end > 0 else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    elif host.count(":") > 1:  # a bare IPv6 address
        host = f"[{host}]"
    return host.rstrip(".")


def input_error(exc: SiteplanInputError) -> dict[str, Any]:
    """The JSON body of a 422 for bad input data or a bad profile."""
    return {"error": "invalid_input", "message": str(exc),
            "problems": problem_dicts(exc.problems)}
