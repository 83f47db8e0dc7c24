"""Worker processes for the service: every request's work runs in a process that can be ended.

Python threads cannot be stopped, so the service does a request's work
(reading posted GeoJSON, scoring, writing the answer) in a worker process.
When a request passes its time limit, its worker is killed (SIGKILL) and
replaced: the work really stops, and the pool is whole again.

Where the system can fork (Linux, macOS), one *template* process loads the
layers and builds the shared caches once (search trees, road graph, compiled
code), and every worker is forked from it: a replacement is ready within
milliseconds, with warm caches shared copy-on-write. The template itself is
started with ``spawn``, so it never inherits the server's threads, sockets
or event loop; it forks only while it is idle. Where there is no fork
(Windows), each worker is spawned and warms its own caches.

Worker and template processes have PROJ's network access switched off and
GDAL's remote file systems closed (:func:`no_network`).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any, cast

__all__ = ["WorkerPool", "Answer", "no_network", "TIMED_OUT", "NO_WORKER", "WORKER_DIED"]

log = logging.getLogger(__name__)

#: what a worker sends back: (HTTP status, media type, body)
Answer = tuple[int, str, bytes]

# outcomes of WorkerPool.run other than an answer
TIMED_OUT, NO_WORKER, WORKER_DIED = "timed_out", "no_worker", "worker_died"

_SPAWN = multiprocessing.get_context("spawn")
_START_TIMEOUT = 600.0  # loading and warming big layers can take minutes
_COMMAND_TIMEOUT = 60.0

#: environment of the worker processes: nothing named in data is fetched over a network
NO_NETWORK_ENV = {
    "PROJ_NETWORK": "OFF",  # PROJ: no grids or databases from the CDN
    # GDAL's /vsicurl/ opens only files with this (impossible) extension
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".siteplan-no-network",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
}


def no_network() -> None:
    """Switch off network access of PROJ and GDAL in this process (a worker's)."""
    os.environ.update(NO_NETWORK_ENV)
    try:
        import pyproj.network

        pyproj.network.set_network_enabled(False)
    except ImportError:  # pragma: no cover - pyproj is a dependency
        pass


class _Worker:
    __slots__ = ("pid", "conn", "process")

    def __init__(self, pid: int, conn: Connection, process: Any = None):
        self.pid, self.conn, self.process = pid, conn, process


class WorkerPool:
    """A fixed number of worker processes running jobs, each job under a deadline.

    Parameters
    ----------
    setup
        ``(make, argument, run)``: the worker side calls ``make(argument)``
        once (in the template, or in every spawned worker), then
        ``run(context, name, kwargs)`` for every job, with the context
        ``make`` returned; ``run`` returns the answer and never raises. All
        three must pickle (module-level functions).
    workers
        Number of worker processes.
    start_method
        ``"fork"`` (a template process forks the workers; the default where
        the system can fork) or ``"spawn"`` (each worker started fresh).
    """

    def __init__(self, setup: tuple[Callable[[Any], Any], Any, Callable[..., Answer]], *,
                 workers: int,
                 start_method: str | None = None):
        if start_method is None:
            start_method = "fork" if hasattr(os, "fork") else "spawn"
        if start_method not in ("fork", "spawn"):
            raise ValueError(f"start_method must be 'fork' or 'spawn', got {start_method!r}")
        self.size = int(workers)
        self.start_method = start_method
        self._setup = pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: dict[int, _Worker] = {}
        self._start_lock = threading.Lock()
        self._cmd_lock = threading.Lock()
        self._template: Any = None
        self._cmd: Connection | None = None
        self._started = False
        self._generation = 0  # counts the closes: a replacement for an older pool is dropped
        self._procs: list[Any] = [None, None]  # the template and its command connection
        # at exit or when the pool is dropped, the processes end with it
        weakref.finalize(self, _shutdown, self._workers, self._procs)

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the template and the workers (blocks until they are ready; once until closed)."""
        with self._start_lock:
            if self._started:
                return
            if self.start_method == "fork":
                self._start_template()
            for _ in range(self.size):
                self._idle.put(self._new_worker())
            self._started = True

    def close(self) -> None:
        """Stop every worker and the template (a job still running is killed).

        A closed pool can be started again.
        """
        with self._start_lock:
            self._generation += 1
            self._started = False
            _shutdown(self._workers, self._procs)
            self._template = self._cmd = None
            self._procs[:] = [None, None]
            while not self._idle.empty():
                self._idle.get_nowait()

    @property
    def started(self) -> bool:
        """True once :meth:`start` has run."""
        return self._started

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return sorted(self._workers)

    def _start_template(self) -> None:
        parent, child = _SPAWN.Pipe()
        proc = _SPAWN.Process(target=_template_main, args=(child, self._setup), daemon=True,
                              name="siteplan-serve-template")
        proc.start()
        child.close()
        self._template, self._cmd = proc, parent
        self._procs[:] = [proc, parent]
        if not parent.poll(_START_TIMEOUT):
            raise RuntimeError(f"the worker template did not start within {_START_TIMEOUT:g} s")
        try:
            status = parent.recv()
        except EOFError:
            raise RuntimeError("the worker template ended while starting (exit code "
                               f"{proc.exitcode}); its error is in the server's log") from None
        if status[0] != "ready":
            raise RuntimeError(f"the worker template failed to start: {status[1]}")

    def _new_worker(self) -> _Worker:
        if self.start_method == "fork":
            return self._fork_worker()
        parent, child = _SPAWN.Pipe()
        proc = _SPAWN.Process(target=_spawned_main, args=(child, self._setup), daemon=True,
                              name="siteplan-serve-worker")
        proc.start()
        child.close()
        worker = _Worker(cast(int, proc.pid), parent, proc)  # a started process has its pid
        self._workers[worker.pid] = worker
        if not parent.poll(_START_TIMEOUT) or parent.recv()[0] != "ready":
            self._kill(worker)
            raise RuntimeError("a worker process did not start")
        return worker

    def _fork_worker(self) -> _Worker:
        parent, child = _SPAWN.Pipe()
        with self._cmd_lock:
            # forking needs the template, so start() or a replacement job (both under
            # _start_lock, which close() also holds) has set the command connection
            cmd = cast(Connection, self._cmd)
            cmd.send(("fork",))
            reduction.send_handle(cmd, child.fileno(), self._template.pid)
            if not cmd.poll(_COMMAND_TIMEOUT):
                raise RuntimeError("the worker template did not answer")
            kind, pid = cmd.recv()
        child.close()
        if kind != "forked":
            raise RuntimeError(f"the worker template could not fork a worker ({pid})")
        worker = _Worker(pid, parent)
        self._workers[pid] = worker
        return worker

    def _kill(self, worker: _Worker) -> None:
        self._workers.pop(worker.pid, None)
        worker.conn.close()
        if worker.process is not None:
            worker.process.kill()
            worker.process.join(_COMMAND_TIMEOUT)
            return
        with self._cmd_lock:
            # a forked worker (no process of its own) lives only while the template does
            cmd = cast(Connection, self._cmd)
            try:
                cmd.send(("kill", worker.pid))
                if cmd.poll(_COMMAND_TIMEOUT):
                    cmd.recv()
            except (OSError, EOFError):  # the template is gone, and its workers with it
                pass

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another in its place (in a thread of its own)."""
        generation = self._generation

        def job():
            with self._start_lock:
                if generation != self._generation or not self._started:
                    return  # closed meanwhile: the worker went with the rest
                self._kill(worker)
                try:
                    self._idle.put(self._new_worker())
                except Exception:  # the pool is one worker short until the server restarts
                    log.exception("could not start a replacement worker")

        threading.Thread(target=job, name="siteplan-serve-replace", daemon=True).start()

    # --- jobs -------------------------------------------------------------------------------

    def run(self, deadline: float, name: str, kwargs: dict[str, Any]) -> Answer | str:
        """Run the job ``name`` with ``kwargs`` in a worker, before ``deadline`` (monotonic).

        Returns the worker's answer, or :data:`NO_WORKER` (no worker became
        free in time), :data:`TIMED_OUT` (the job passed the deadline; its
        worker was killed and is being replaced) or :data:`WORKER_DIED`.
        Blocks: call it from a thread.
        """
        self.start()
        try:
            worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return NO_WORKER
        try:
            worker.conn.send((name, kwargs))
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(worker)
                return TIMED_OUT
            answer = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(worker)
            return WORKER_DIED
        self._idle.put(worker)
        return answer


def _shutdown(workers: dict[int, _Worker], template: list) -> None:
    proc, cmd = template
    for worker in list(workers.values()):
        workers.pop(worker.pid, None)
        worker.conn.close()
        if worker.process is not None:
            worker.process.kill()
            worker.process.join(5)
    if cmd is not None:
        with contextlib.suppress(OSError):
            cmd.send(("stop",))
        cmd.close()
    if proc is not None:
        proc.join(10)
        if proc.exitcode is None:
            proc.kill()
            proc.join(5)


# --- the worker side --------------------------------------------------------------------------

_CONTEXT: Any = None
_RUN: Callable[..., Answer] | None = None


def _prepare(setup: bytes) -> None:
    global _CONTEXT, _RUN
    no_network()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's to handle
    make, arg, _RUN = pickle.loads(setup)
    _CONTEXT = make(arg)


def _serve(conn: Connection) -> None:
    """A worker's loop: run each job and send its answer, until the server goes away."""
    while True:
        try:
            name, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        run = cast(Callable[..., Answer], _RUN)  # set by _prepare before the loop starts
        conn.send(run(_CONTEXT, name, kwargs))


def _spawned_main(conn: Connection, setup: bytes) -> None:
    _prepare(setup)
    conn.send(("ready",))
    _serve(conn)


def _template_main(cmd: Connection, setup: bytes) -> None:
    """The template: prepare once, then fork a worker whenever the server asks."""
    children: set[int] = set()

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        try:
            _prepare(setup)
        except Exception as exc:
            cmd.send(("failed", f"{type(exc).__name__}: {exc}"))
            raise
        cmd.send(("ready",))
        while True:
            if not cmd.poll(1.0):
                _reap(children)
                continue
            try:
                message = cmd.recv()
            except (EOFError, OSError):  # the server is gone
                return
            if message[0] == "fork":
                fd = reduction.recv_handle(cmd)
                pid = os.fork()
                if pid == 0:  # the new worker
                    code = 0
                    try:
                        signal.signal(signal.SIGTERM, signal.SIG_DFL)
                        cmd.close()
                        _serve(Connection(fd))
                    except BaseException:
                        code = 1
                    finally:
                        os._exit(code)
                os.close(fd)
                children.add(pid)
                cmd.send(("forked", pid))
            elif message[0] == "kill":
                pid = message[1]
                if pid in children:  # never a process that is not ours
                    _end(pid)
                    children.discard(pid)
                cmd.send(("killed", pid))
            elif message[0] == "stop":
                return
    finally:
        for pid in children:
            _end(pid)
        sys.stdout.flush()


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _reap(children: set[int]) -> None:
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)
