"""The register read by scoring, selection and allocation: held parcels, agreed and built sites.

Each helper turns the register into what a stage already takes (an
exclusion with its reason, ``fixed``/``exclude``/``existing`` arguments), so
a stage given no register works exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from .._errors import Problem, SiteplanInputError
from ..limits import show
from ._hold import HELD_PREFIX, held_reasons, held_words, take_out
from .models import AGREED, BUILT

if TYPE_CHECKING:
    from ._core import Register

__all__ = ["hold_out", "held_reasons", "held_words", "allocation_args", "existing_for",
           "HELD_PREFIX"]



def _check(register: Any, where: str) -> Register:
    from ._core import Register

    if not isinstance(register, Register):
        raise SiteplanInputError(Problem(where, f"register must be what sp.open_register "
                                         f"returns, got {show(register)}",
                                         "pass register=sp.open_register(\"offers.gpkg\")"))
    return register


def hold_out(result: gpd.GeoDataFrame, register: Register) -> gpd.GeoDataFrame:
    """The result with every parcel held by an open offer excluded, with the reason.

    A held row becomes ``status`` ``excluded``, not ``eligible``, its
    ``excluded_by`` names the offer (the profile's own broken rules, if
    any, stay before it), its measures, suitabilities and score are cleared,
    and the remaining sites are scored and ranked again (TOPSIS's ideal
    points come from the sites left). New columns ``offer_id``,
    ``offer_state`` and ``offer_partner`` say which offer holds a row.
    The record's counts follow.

    Parameters
    ----------
    result
        From :func:`siteplan.score`.
    register
        From :func:`siteplan.open_register`.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame (``result`` is not changed).
    """
    return take_out(result, _check(register, "score register"))


def existing_for(register: Register, result: gpd.GeoDataFrame,
                 existing: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame | None:
    """Facilities already there for the result's facility kind: ``existing`` and the
    register's sites of that profile that are built or in use."""
    from ..scoring.record import maybe_record

    reg = _check(register, "select_sites register")
    rec = maybe_record(result)
    built = reg.existing(None if rec is None or rec.kind != "score" else rec.name)
    if not len(built):
        return existing
    if existing is None or not len(existing):
        return built
    ex = existing.to_crs(built.crs) if existing.crs is not None else existing.set_crs(
        built.crs)
    return gpd.GeoDataFrame(geometry=pd.concat([ex.geometry, built.geometry],
                                               ignore_index=True), crs=built.crs)


def allocation_args(register: Register, results: Mapping[str, gpd.GeoDataFrame],
                    demand: Mapping[str, int], *, fixed: Mapping[str, str] | None = None,
                    exclude: Iterable[str] | None = None,
                    existing: Mapping[str, gpd.GeoDataFrame] | None = None
                    ) -> tuple[dict[str, str], list[str], dict[str, gpd.GeoDataFrame]]:
    """``fixed``, ``exclude`` and ``existing`` for :func:`siteplan.allocate`, with the register's.

    An agreed offer (``disepakati``) of one parcel whose profile is a use with
    demand, and whose parcel is eligible for it, is fixed to that use (up to
    the use's demand); every other parcel held by an open offer is kept out;
    built and operating sites are existing facilities of their use.
    The caller's own arguments are kept.
    """
    reg = _check(register, "allocate register")
    fixed = {str(k): v for k, v in dict(fixed or {}).items()}
    excl = [exclude] if isinstance(exclude, str) else [str(x) for x in (exclude or [])]
    offers = reg.offers(state="open")
    held = reg.held()
    parts = reg.offer_parcels()
    size = parts.groupby("offer_id")["parcel_id"].agg(["count", "first"])
    offers = offers.assign(n_parcels=size["count"].reindex(offers["offer_id"]).to_numpy(),
                           parcel=size["first"].reindex(offers["offer_id"]).to_numpy())
    agreed = offers.loc[(offers["state"].isin(AGREED) & (offers["n_parcels"] == 1)).to_numpy()]
    for use in set(agreed["profile"]):                      # a few uses
        want = int(demand.get(use, 0) or 0) if isinstance(demand, Mapping) else 0
        res = results.get(use) if isinstance(results, Mapping) else None
        if not want or res is None:
            continue
        ok = set(res.loc[res["eligible"].to_numpy(dtype=bool), "parcel_id"].astype(str))
        sites = agreed.loc[(agreed["profile"] == use).to_numpy()].sort_values("offer_id")
        sites = sites.loc[sites["parcel"].astype(str).isin(ok).to_numpy()]
        room = want - sum(1 for u in fixed.values() if u == use)
        for pid in sites["parcel"].astype(str).head(max(room, 0)):
            if pid not in fixed and pid not in excl:
                fixed[pid] = use
    keep_out = held.loc[~held["parcel_id"].astype(str).isin(list(fixed)), "parcel_id"]
    excl = list(dict.fromkeys(excl + keep_out.astype(str).tolist()))
    ex = dict(existing or {})
    built = reg.offers(state=BUILT)
    for use in set(built["profile"]) & set(results if isinstance(results, Mapping) else ()):
        mine = built.loc[(built["profile"] == use).to_numpy()]
        if use in ex and ex[use] is not None and len(ex[use]):
            other = ex[use].to_crs(mine.crs) if ex[use].crs is not None else ex[use]
            mine = gpd.GeoDataFrame(geometry=pd.concat([other.geometry, mine.geometry],
                                                       ignore_index=True), crs=mine.crs)
        ex[use] = mine
    return fixed, excl, ex
