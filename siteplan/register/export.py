"""The register written out for the office's records: a GeoPackage, or CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .._errors import Problem, SiteplanInputError

if TYPE_CHECKING:
    from ._core import Register

__all__ = ["export_register", "export_paths", "EXPORT_SUFFIXES"]

EXPORT_SUFFIXES = (".gpkg", ".csv")
_TABLES = ("events", "parcels", "partners")


def export_paths(out: str | Path) -> list[Path]:
    """The files :func:`export_register` writes for ``out``."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise SiteplanInputError(Problem("register export", f"{out.name} has the suffix "
                                         f"{suffix or '(none)'!r}", "name a .gpkg or .csv "
                                         "file"))
    if suffix == ".gpkg":
        return [out]
    return [out] + [out.with_name(f"{out.stem}_{t}.csv") for t in _TABLES]


def _plain_times(df: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as ISO text (UTC), so every format keeps them the same."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").astype(object)
        if isinstance(out[col].dtype, pd.DatetimeTZDtype | pd.StringDtype) or \
                out[col].dtype == object:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def export_register(reg: Register, out: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write every offer (with geometry and state), parcel, event and partner.

    Parameters
    ----------
    reg
        An open register.
    out
        A ``.gpkg`` (layers ``offers``, ``offer_parcels``, ``events``,
        ``partners``) or ``.csv`` file (the offers, geometry as WKT; the
        other tables beside it as ``NAME_events.csv``, ``NAME_parcels.csv``,
        ``NAME_partners.csv``). Times are UTC ISO text; every text as stored.
    overwrite
        Replace existing files.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    paths = export_paths(out)
    there = [p for p in paths if p.exists()]
    if there and not overwrite:
        raise SiteplanInputError(Problem("register export", f"{there[0]} exists",
                                         "pass overwrite=True (--overwrite) or another name"))
    offers = _plain_times(reg.offers())
    offers["rank"] = offers["rank"].astype("float")
    tables = {"events": _plain_times(reg.events()), "parcels": _plain_times(reg.offer_parcels()),
              "partners": _plain_times(reg.partners())}
    tables["parcels"]["rank"] = tables["parcels"]["rank"].astype("float")
    for p in there:
        p.unlink()
    if paths[0].suffix.lower() == ".gpkg":
        import pyogrio

        offers.to_file(paths[0], layer="offers", driver="GPKG")
        for name, table in tables.items():
            layer = "offer_parcels" if name == "parcels" else name
            pyogrio.write_dataframe(table, paths[0], layer=layer, driver="GPKG", append=True)
        return paths
    flat = pd.DataFrame(offers.drop(columns="geometry"))
    flat["geometry_wkt"] = offers.geometry.to_wkt().to_numpy()
    flat.to_csv(paths[0], index=False)
    for name, p in zip(_TABLES, paths[1:], strict=True):
        tables[name].to_csv(p, index=False)
    return paths
