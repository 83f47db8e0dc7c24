"""One parcel, several uses: score the same parcels with several profiles side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from .record import CompareRecord, Provenance, attach, record_of

if TYPE_CHECKING:
    from ..layers.bundle import Layers
    from ..profiles.profile import Profile

__all__ = ["compare"]


def compare(layers: Layers, profiles: Sequence[Profile | str] | None = None, *,
            missing: str = "error") -> gpd.GeoDataFrame:
    """Score the same parcels with several profiles and say which use suits each best.

    Parameters
    ----------
    layers
        From :func:`siteplan.load_layers` or :func:`siteplan.load_sample`.
    profiles
        Profiles or built-in profile names; default: every built-in profile.
    missing
        As for :func:`siteplan.score`: ``"skip"`` leaves out each profile's
        rules whose layer was not given (listed per profile in
        its record's ``skipped``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per parcel eligible for at least one profile, on the parcels'
        index: ``parcel_id``, ``score_<profile>`` and ``rank_<profile>`` (NaN
        where the parcel is not a candidate or was excluded), ``best_profile``
        and ``best_score`` (``score`` repeats it, so the table maps like a
        result). Its record (:func:`siteplan.record_of` with ``kind=None``) is a
        :class:`~siteplan.scoring.record.CompareRecord`: the profiles, the rules each
        left out, the sources.

    Examples
    --------
    >>> import siteplan as sp
    >>> table = sp.compare(sp.load_sample(), ["rth", "sentra_kuliner"])
    >>> sorted(set(table["best_profile"]))
    ['rth', 'sentra_kuliner']
    """
    from ..profiles.profile import as_profile, list_profiles
    from .run import score

    profs = [as_profile(p) for p in (profiles if profiles is not None else list_profiles())]
    names = [p.name for p in profs]
    parcels = layers["parcels"]
    table = pd.DataFrame({"parcel_id": parcels["parcel_id"]}, index=parcels.index)
    skipped = {}
    for prof in profs:
        res = score(layers, prof, missing=missing)
        skipped[prof.name] = record_of(res).skipped
        res = res[res["status"] != "rejected"]
        table[f"score_{prof.name}"] = res["score"].reindex(table.index)
        table[f"rank_{prof.name}"] = res["rank"].reindex(table.index)
    scores = table[[f"score_{n}" for n in names]].to_numpy(dtype=float)
    has = ~np.isnan(scores).all(axis=1)
    best = np.full(len(table), "", dtype=object)
    best_score = np.full(len(table), np.nan)
    if has.any():
        idx = np.nanargmax(np.where(np.isnan(scores[has]), -1, scores[has]), axis=1)
        best[has] = np.asarray(names, dtype=object)[idx]
        best_score[has] = scores[has][np.arange(has.sum()), idx]
    table["best_profile"] = best
    table["best_score"] = best_score
    out = gpd.GeoDataFrame(table.loc[has], geometry=parcels.geometry.loc[has], crs=parcels.crs)
    out["score"] = out["best_score"]
    out.attrs = {}
    return attach(out, CompareRecord(profiles=tuple(names), skipped=skipped,
                                     provenance=Provenance.of(layers)))
