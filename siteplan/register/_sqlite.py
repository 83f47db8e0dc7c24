"""The register in one SQLite file that is also a GeoPackage (no SpatiaLite needed).

Geometry is stored as GeoPackage blobs (a small header before the WKB), so
QGIS and GDAL open the file's ``offers`` table as a layer. Every write takes
the database's write lock at its start (``BEGIN IMMEDIATE``) and the
partial unique index decides between two writers.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["SqliteBackend"]

_GPKG_FLAGS = 0x01            # little-endian, no envelope, not empty
_HEADER = struct.Struct("<2sBBi")


def gpkg_blob(wkb: bytes, srid: int) -> bytes:
    """A GeoPackage geometry blob: ``GP``, version 0, flags, SRS id, then the WKB."""
    return _HEADER.pack(b"GP", 0, _GPKG_FLAGS, srid) + wkb


def wkb_of(blob: bytes | None) -> bytes | None:
    """The WKB inside a GeoPackage blob (whatever envelope it carries)."""
    if blob is None:
        return None
    flags = blob[3]
    envelope = (flags >> 1) & 0x07
    size = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get(envelope, 0)
    return bytes(blob[8 + size:])


class SqliteBackend:
    """One connection to a register file (one per thread or process)."""

    name = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.label = str(self.path)
        self.target = str(self.path)
        # the service shares one connection among its threads, one call at a time (a lock)
        self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout = 60000")
        self.conn.execute("PRAGMA foreign_keys = ON")

    # -- statements
    def sql(self, text: str) -> str:
        return text

    def geom_sql(self) -> str:
        return "?"

    def geom_params(self, wkb: bytes | None, srid: int) -> tuple:
        return (None if wkb is None else gpkg_blob(wkb, srid),)

    def geom_out_sql(self, column: str) -> str:
        return column

    def wkb_from(self, value: Any) -> bytes | None:
        return wkb_of(value)

    def read(self, text: str, params: Sequence = ()) -> list[tuple]:
        return self.conn.execute(text, tuple(params)).fetchall()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the file's write lock from its start."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def run(self, cur: sqlite3.Connection, text: str, params: Sequence = ()) -> list[tuple]:
        return cur.execute(text, tuple(params)).fetchall()

    def run_many(self, cur: sqlite3.Connection, text: str, rows: list[tuple]) -> None:
        cur.executemany(text, rows)

    # -- schema
    def has_schema(self) -> bool:
        row = self.read("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                        "name IN ('meta', 'offers', 'events', 'offer_parcels')")
        return row[0][0] == 4

    def is_empty(self) -> bool:
        return self.read("SELECT count(*) FROM sqlite_master")[0][0] == 0

    def create_schema(self, cur: sqlite3.Connection) -> None:
        """Run ``schema_sqlite.sql`` inside the open transaction."""
        self.run_script(cur, "schema_sqlite.sql")

    def lock_schema(self, cur: sqlite3.Connection) -> None:
        del cur                                  # BEGIN IMMEDIATE holds the write lock

    def run_script(self, cur: sqlite3.Connection, name: str) -> None:
        """Run one of the package's SQL files statement by statement in the transaction."""
        text = resources.files(__package__).joinpath(name).read_text("utf-8")
        buf = ""
        for line in text.splitlines(keepends=True):
            buf += line
            if sqlite3.complete_statement(buf):
                cur.execute(buf)
                buf = ""

    def after_create(self, cur: sqlite3.Connection, srid: int, crs_wkt: str,
                     crs_name: str) -> None:
        """Register the offers layer and the attribute tables in the GeoPackage tables."""
        from pyproj import CRS

        wgs84 = CRS.from_epsg(4326)
        rows = [("WGS 84 geodetic", 4326, "EPSG", 4326, wgs84.to_wkt(), "longitude/latitude")]
        if srid != 4326:
            rows.append((crs_name, srid, "EPSG", srid, crs_wkt, crs_name))
        cur.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", rows)
        cur.executemany(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "srs_id) VALUES (?, ?, ?, ?, ?)",
            [("offers", "features", "offers", "siteplan site-offer register: offers", srid),
             ("partners", "attributes", "partners", "siteplan: CSR partners", None),
             ("events", "attributes", "events", "siteplan: every move of every offer",
              None)])
        cur.execute("INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, ?, ?)",
                    ("offers", "geom", "GEOMETRY", srid, 0, 0))

    def prepare(self) -> None:
        """Write-ahead log: readers do not wait for the writer."""
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")

    # -- errors
    @staticmethod
    def is_unique(exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    @staticmethod
    def rule_text(exc: BaseException) -> str | None:
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.OperationalError):
            return str(exc)
        return None

    @staticmethod
    def errors() -> tuple[type[BaseException], ...]:
        return (sqlite3.IntegrityError,)

    def close(self) -> None:
        self.conn.close()
