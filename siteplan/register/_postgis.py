"""The register in PostgreSQL with PostGIS, for several users (psycopg 3).

Each statement is the same text as SQLite's with ``%s`` placeholders;
values always travel as parameters. Geometry is a PostGIS ``geometry`` in
the register's SRID. Writes run in one transaction each; the partial unique
index and the triggers decide between concurrent writers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any

from .._errors import Problem, SiteplanInputError

__all__ = ["PostgisBackend", "safe_label"]

#: serialises two first opens of an empty database (an arbitrary constant key)
_INIT_LOCK = 7_311_927_027


def safe_label(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(url)
    except Exception:  # psycopg missing or an unreadable URL: show the scheme only
        return "postgresql://..."
    user, port = parts.get("user"), parts.get("port")
    return ("postgresql://" + (f"{user}@" if user else "") + str(parts.get("host", ""))
            + (f":{port}" if port else "") + "/" + str(parts.get("dbname", "")))


class PostgisBackend:
    """One connection to a register database (one per thread or process)."""

    name = "postgis"

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError as exc:
            raise SiteplanInputError(Problem(
                "open_register", f"{safe_label(url)} needs psycopg (PostgreSQL driver), which "
                "is not installed", "pip install 'siteplan[register]'")) from exc
        self.label = safe_label(url)
        self.target = url
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=15)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SiteplanInputError(Problem(
                "open_register", f"cannot connect to {self.label}: {first}",
                "check the host, port, database name and user, and that the server runs"
            )) from exc
        self._psycopg = psycopg

    # -- statements
    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def geom_sql(self) -> str:
        return "ST_SetSRID(ST_GeomFromWKB(%s), %s)"

    def geom_params(self, wkb: bytes | None, srid: int) -> tuple:
        return (wkb, srid)

    def geom_out_sql(self, column: str) -> str:
        return f"ST_AsBinary({column})"

    def wkb_from(self, value: Any) -> bytes | None:
        return None if value is None else bytes(value)

    def read(self, text: str, params: Sequence = ()) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(text, tuple(params))
            return cur.fetchall() if cur.description is not None else []

    @contextmanager
    def write(self) -> Iterator[Any]:
        with self.conn.transaction(), self.conn.cursor() as cur:
            yield cur

    def run(self, cur: Any, text: str, params: Sequence = ()) -> list[tuple]:
        cur.execute(text, tuple(params))
        return cur.fetchall() if cur.description is not None else []

    def run_many(self, cur: Any, text: str, rows: list[tuple]) -> None:
        cur.executemany(text, rows)

    # -- schema
    def has_schema(self) -> bool:
        row = self.read("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                        "current_schema() AND table_name IN ('meta', 'offers', 'events', "
                        "'offer_parcels')")
        return row[0][0] == 4

    def is_empty(self) -> bool:
        row = self.read("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                        "current_schema() AND table_name IN ('meta', 'offers', 'events', "
                        "'offer_parcels', 'partners', 'states', 'transitions')")
        return row[0][0] == 0

    def create_schema(self, cur: Any) -> None:
        self.lock_schema(cur)
        self.run_script(cur, "schema_postgis.sql")

    def lock_schema(self, cur: Any) -> None:
        """Serialise makers and upgraders of the tables (until the transaction ends)."""
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_INIT_LOCK,))

    def run_script(self, cur: Any, name: str) -> None:
        """Run one of the package's SQL files in the transaction."""
        cur.execute(resources.files(__package__).joinpath(name).read_text("utf-8"))

    def after_create(self, cur: Any, srid: int, crs_wkt: str, crs_name: str) -> None:
        del cur, srid, crs_wkt, crs_name          # PostGIS knows its CRSs

    def prepare(self) -> None:
        pass

    # -- errors
    def is_unique(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg.errors.UniqueViolation)

    def rule_text(self, exc: BaseException) -> str | None:
        errors = self._psycopg.errors
        if isinstance(exc, errors.IntegrityError | errors.RaiseException):
            diag = getattr(exc, "diag", None)
            return (getattr(diag, "message_primary", None) or str(exc)).strip()
        return None

    def errors(self) -> tuple[type[BaseException], ...]:
        return (self._psycopg.errors.IntegrityError, self._psycopg.errors.RaiseException)

    def close(self) -> None:
        self.conn.close()
