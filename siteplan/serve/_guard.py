"""The service's guards: body size limit, worker threads with a time limit, JSON errors."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._errors import Problem, SiteplanInputError

__all__ = ["BodyLimit", "Runner", "ServiceError", "error_body", "error_dict", "problem_dicts",
           "input_error"]

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
    """Runs request work in a pool of worker threads, each call under a time limit.

    A call that is still waiting for a thread when its time runs out never
    starts; one already running cannot be stopped (Python threads cannot be
    killed) and finishes unseen, but the pool bounds how many run at once.
    """

    def __init__(self, *, workers: int, time_limit: float):
        self.time_limit = float(time_limit)
        self.pool = ThreadPoolExecutor(max_workers=int(workers),
                                       thread_name_prefix="siteplan-serve")

    async def __call__(self, func: Callable[[], Any]) -> Any:
        future = self.pool.submit(func)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.time_limit)
        except TimeoutError:
            future.cancel()
            raise ServiceError(504, "timeout", f"the request took longer than this server's "
                               f"time limit of {self.time_limit:g} s", fix="ask for less "
                               "(fewer draws, fewer parcels), or start the server with a "
                               "larger --timeout") from None

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def input_error(exc: SiteplanInputError) -> dict[str, Any]:
    """The JSON body of a 422 for bad input data or a bad profile."""
    return {"error": "invalid_input", "message": str(exc),
            "problems": problem_dicts(exc.problems)}
