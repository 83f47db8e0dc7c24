"""A throwaway PostgreSQL server with PostGIS for the register's tests (never a mock).

Debian's ``postgresql`` and ``postgresql-15-postgis-3`` packages
(``scripts/test.sh`` installs them). The cluster lives in a temporary folder,
made by ``initdb`` and run by ``pg_ctl`` as a non-root user (PostgreSQL
refuses root: as root the system user ``siteplan-pg`` is made when missing
and the commands run through ``runuser``), listens on a free port of
127.0.0.1 only, and is stopped and removed at the end. Outside CI a missing
PostgreSQL skips the tests; with ``CI=true`` it fails them.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cikit import require, unavailable

PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS = Path("/usr/share/postgresql/15/extension/postgis.control")
PG_USER = "siteplan-pg"
SUPERUSER = "siteplan"


def _as_user() -> list[str]:
    """The prefix that runs a command as a non-root user (empty when not root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", PG_USER], check=True, capture_output=True)
    return ["runuser", "-u", PG_USER, "--"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One PostgreSQL cluster in a temporary folder."""

    def __init__(self):
        if not (PG_BIN / "initdb").is_file():
            unavailable(f"no PostgreSQL at {PG_BIN} (apt-get install -y postgresql "
                        "postgresql-15-postgis-3)")
        if not POSTGIS.is_file():
            unavailable(f"no PostGIS ({POSTGIS} missing: apt-get install -y "
                        "postgresql-15-postgis-3)")
        self.psycopg = require("psycopg", extra="register")
        self.prefix = _as_user()
        self.root = Path(tempfile.mkdtemp(prefix="siteplan-pg-"))
        if self.prefix:
            shutil.chown(self.root, user=PG_USER)
        self.data = self.root / "data"
        self.port = free_port()
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        self.start()
        self._dbs = 0
        with self.admin() as conn:
            conn.execute("CREATE DATABASE siteplan_template")
        with self.psycopg.connect(self.url("siteplan_template"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")

    def _run(self, *args) -> subprocess.CompletedProcess:
        done = subprocess.run([*self.prefix, *map(str, args)], capture_output=True, text=True)
        if done.returncode:
            log = self.root / "server.log"
            tail = log.read_text()[-1500:] if log.is_file() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}"
                               f"\n{tail}")
        return done

    def start(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w",
                  "-t", "60", "-o", f"-p {self.port} -k {self.root} "
                  "-c listen_addresses=127.0.0.1 -c max_connections=60", "start")

    def stop(self) -> None:
        subprocess.run([*self.prefix, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                        "fast", "-w", "stop"], capture_output=True)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def kill(self) -> None:
        """SIGKILL the server and its backends, as a crash would, and wait until gone."""
        pid = self.postmaster_pid()
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                  text=True).stdout.split()
        for p in [pid, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            alive = [p for p in [pid, *map(int, children)] if Path(f"/proc/{p}").exists()
                     and "zombie" not in _status(p)]
            if not alive:
                break
            time.sleep(0.05)
        # a dead postmaster may stay a zombie (nobody reaps it here), which PostgreSQL
        # takes for a live one: its lock files go, as an administrator would remove it
        for lock in (self.data / "postmaster.pid", self.root / f".s.PGSQL.{self.port}.lock",
                     self.root / f".s.PGSQL.{self.port}"):
            lock.unlink(missing_ok=True)

    def url(self, db: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{db}"

    def admin(self):
        return self.psycopg.connect(self.url("postgres"), autocommit=True)

    def new_database(self) -> str:
        """A fresh database with PostGIS; its postgresql:// URL."""
        self._dbs += 1
        name = f"register_{self._dbs}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE siteplan_template")  # a test's name
        return self.url(name)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "zombie"
