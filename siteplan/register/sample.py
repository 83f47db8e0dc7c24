"""A small register for the synthetic sample: a season of offers to the city's CSR partners.

Made up, like the sample itself: the partners are the ones named in the
city's programme, the offers, dates, letters and agreement numbers are
invented. The register is marked synthetic (``reg.synthetic``) and every
partner's note says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

    from ._core import Register

__all__ = ["sample_register", "SAMPLE_PARTNERS", "SAMPLE_SEASON"]

SAMPLE_PARTNERS = ("PIK 2 / Agung Sedayu Group", "Bank Indonesia Banten", "Bank BJB",
                   "PT Serang Sosor")
_NOTE = "synthetic sample: not real data of Kota Serang"
_ACTOR = "siteplan sample (synthetic)"

#: (partner, profile, the site's place among the profile's free sites, moves: (state, date,
#: note, agreement number))
SAMPLE_SEASON = (
    ("Bank BJB", "sentra_kuliner", 0, [("usulan", "2026-10-06", "", None),
                                       ("ditawarkan", "2026-12-01", "surat 012/2026", None)]),
    ("PIK 2 / Agung Sedayu Group", "rth", 0, [
        ("ditawarkan", "2026-07-01", "", None), ("survei", "2026-08-12", "", None),
        ("disepakati", "2026-10-20", "", "PKS/017/BAPPEDA/X/2026")]),
    ("Bank Indonesia Banten", "fasilitas_publik", 0, [
        ("ditawarkan", "2026-02-02", "", None),
        ("disepakati", "2026-03-16", "", "MoU/003/BI-BTN/2026"),
        ("dibangun", "2026-05-04", "", None), ("beroperasi", "2026-11-09", "", None)]),
    ("PT Serang Sosor", "wisata_religi", 0, [
        ("usulan", "2026-04-14", "", None),
        ("ditolak", "2026-06-30", "mitra memilih lokasi lain", None)]),
    ("Bank BJB", "rth", 1, [
        ("ditawarkan", "2026-05-11", "", None),
        ("dibatalkan", "2026-09-01", "lahan diperlukan untuk jalan", None)]),
)


def sample_register(path: str | Path, *, layers=None,
                    results: Mapping[str, gpd.GeoDataFrame] | None = None) -> Register:
    """Make the synthetic sample's register in a new file and return it, open.

    Parameters
    ----------
    path
        A new file (SQLite/GeoPackage), or a ``postgresql://`` URL of an
        empty database.
    layers
        The sample (default :func:`siteplan.load_sample`).
    results
        Profile -> its score on ``layers`` (scored here when not given).

    Returns
    -------
    Register
        Four partners and five offers: one offered, one agreed, one in use,
        one declined, one cancelled.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> reg = sample_register(pathlib.Path(tempfile.mkdtemp()) / "offers.gpkg")
    >>> reg.synthetic, sorted(reg.offers()["state"])
    (True, ['beroperasi', 'dibatalkan', 'disepakati', 'ditawarkan', 'ditolak'])
    >>> reg.close()
    """
    from ..layers.sample import load_sample
    from ..scoring.run import score
    from . import DEFAULT_SRID
    from ._core import Register
    from ._sqlite import SqliteBackend

    if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
        from ._postgis import PostgisBackend

        reg = Register.create_or_open(PostgisBackend(path), create=True, srid=DEFAULT_SRID,
                                      synthetic=True)
    else:
        p = Path(path)
        if p.exists():
            from .._errors import Problem, SiteplanInputError

            raise SiteplanInputError(Problem("sample_register", f"{p} exists",
                                             "give a new file name"))
        reg = Register.create_or_open(SqliteBackend(p), create=True, srid=DEFAULT_SRID,
                                      synthetic=True)
    layers = load_sample() if layers is None else layers
    results = dict(results or {})
    used: set[str] = set()
    for name in SAMPLE_PARTNERS:
        reg.add_partner(name, actor=_ACTOR, note=_NOTE)
    for partner, profile, place, moves in SAMPLE_SEASON:     # five offers
        if profile not in results:
            results[profile] = score(layers, profile)
        res = results[profile]
        order = res.loc[res["eligible"].to_numpy(dtype=bool)].sort_values("rank",
                                                                          kind="stable")
        free = order.loc[~order["parcel_id"].astype(str).isin(used).to_numpy()]
        pid = str(free["parcel_id"].iloc[place])
        used.add(pid)
        first, day, note, _ = moves[0]
        oid = reg.offer(res, pid, partner=partner, actor=_ACTOR, state=first, at=day,
                        note=note)
        for state, day, note, number in moves[1:]:
            reg.advance(oid, state, actor=_ACTOR, note=note, at=day, agreement_no=number,
                        agreement_date=day if number else None)
    return reg
