"""The site-offer register: which site the city offers to which partner, in a real database.

The city gives the land and several CSR partners build, through talks that
run for months. The register keeps them: partners, offers (a site of one or
more parcels, the facility kind, the partner, a snapshot of the score), and
every move of every offer as an event that is only ever appended.

One file by default (SQLite that is also a GeoPackage: QGIS opens its
``offers`` table as a layer), or PostgreSQL with PostGIS for several users
(``postgresql://...``, needs ``pip install 'siteplan[register]'``). The rules
live in the database: a parcel is in at most one open offer, offers move only
along the workflow (:mod:`siteplan.register.models`), events are never
changed or deleted, and an excluded parcel is offered only with a recorded
reason.

Scoring, allocation, selection, maps and briefs read it:
``sp.score(layers, profile, register=reg)`` excludes held parcels with the
reason; ``sp.allocate(..., register=reg)`` fixes agreed sites and keeps held
ones out; ``reg.existing(profile)`` are the facilities built, for
``select_sites(existing=...)``; ``sp.render_offers(reg.offers(), m=m)`` draws
the offers coloured by state; ``sp.site_brief(..., register=reg)`` shows a
site's offer and its history.
"""

from __future__ import annotations

from pathlib import Path

from .._errors import Problem, SiteplanInputError
from ..limits import show
from ._core import SCHEMA_VERSION, OfferConflictError, Register
from .models import STATES, TRANSITIONS, next_states

__all__ = ["open_register", "Register", "OfferConflictError", "STATES", "TRANSITIONS",
           "next_states", "SCHEMA_VERSION", "DEFAULT_SRID"]

#: the CRS registers store geometry in unless told otherwise: UTM 48S, Kota Serang's
DEFAULT_SRID = 32748
_SCHEMES = ("postgresql://", "postgres://")


def open_register(target: str | Path, *, create: bool = True,
                  srid: int = DEFAULT_SRID) -> Register:
    """Open the site-offer register in a file or a PostgreSQL database.

    Parameters
    ----------
    target
        A file path (SQLite, also a GeoPackage; ``offers.gpkg``) or a
        ``postgresql://user@host:port/db`` URL (PostGIS must be available in
        that database; the password may come from ``~/.pgpass`` or
        ``PGPASSWORD``).
    create
        Make the tables when there are none (the default). With False a
        target without a register is an error.
    srid
        EPSG code of the CRS the offers' geometry is stored in, when the
        register is made (default 32748, UTM zone 48S); an existing register
        keeps its own.

    Returns
    -------
    Register

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> result = sp.score(layers, "sentra_kuliner")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "offers.gpkg"
    >>> with sp.open_register(path) as reg:
    ...     _ = reg.add_partner("Bank BJB", actor="bappeda")
    ...     oid = reg.offer(result, "36730400100027", partner="Bank BJB", actor="bappeda")
    ...     reg.advance(oid, "ditawarkan", actor="bappeda", note="letter 12/2026")
    ...     list(reg.history(oid)["to_state"])
    'ditawarkan'
    ['usulan', 'ditawarkan']
    """
    if isinstance(srid, bool) or not isinstance(srid, int) or not 1 <= srid <= 999_999:
        raise SiteplanInputError(Problem("open_register", f"srid must be an EPSG code, got "
                                         f"{show(srid)}", "use e.g. srid=32748"))
    if isinstance(target, str) and target.startswith(_SCHEMES):
        from ._postgis import PostgisBackend

        return Register.create_or_open(PostgisBackend(target), create=create, srid=srid)
    if not isinstance(target, str | Path) or not str(target).strip():
        raise SiteplanInputError(Problem("open_register", f"target must be a file path or a "
                                         f"postgresql:// URL, got {show(target)}",
                                         "pass e.g. \"offers.gpkg\""))
    path = Path(target)
    if path.is_dir():
        raise SiteplanInputError(Problem("open_register", f"{path} is a folder",
                                         "give a file name, e.g. offers.gpkg"))
    if not path.exists() and not create:
        raise SiteplanInputError(Problem("open_register", f"{path} does not exist",
                                         "make it with `siteplan register init` or "
                                         "create=True"))
    if not path.parent.is_dir():
        raise SiteplanInputError(Problem("open_register", f"the folder {path.parent} does not "
                                         "exist", "create it first"))
    import sqlite3

    from ._sqlite import SqliteBackend

    try:
        backend = SqliteBackend(path)
        return Register.create_or_open(backend, create=create, srid=srid)
    except sqlite3.DatabaseError as exc:
        raise SiteplanInputError(Problem("open_register", f"{path} cannot be read as a "
                                         f"register ({exc})", "give the register's file, or "
                                         "a new file name")) from None
