"""Assemble candidate sites from neighbouring city parcels.

A profile's minimum area (1,000 m² for a sentra kuliner) can often be met by
two or three touching plots the city owns, none large enough alone.
:func:`assemble_sites` merges every group of city parcels that touch (within
``max_gap`` metres) and share ``same`` attributes into one site, keeping the
member parcel ids, so that the sites can be scored like parcels and
allocated with :func:`siteplan.allocate` (which uses each member once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .._errors import Problem, SiteplanInputError, raise_if_problems

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["assemble_sites", "SEPARATOR"]

#: between member ids in the ``members`` column
SEPARATOR = ";"


def assemble_sites(layers: Layers, *, max_gap: float = 1.0,
                   same: Sequence[str] = ("ownership",),
                   ownership: Sequence[str] | None = ("pemda", "pemprov")) -> gpd.GeoDataFrame:
    """Merge touching city parcels into candidate sites, keeping the member parcel ids.

    Parameters
    ----------
    layers
        The bundle whose ``parcels`` are assembled.
    max_gap
        Parcels at most this many metres apart count as touching (cadastral
        edges rarely meet exactly); 0 for parcels that share a boundary.
    same
        Parcel columns whose values must be equal for two parcels to merge
        (by default the ownership: a pemda plot and a pemprov plot stay apart).
    ownership
        The ``ownership`` values of the city's parcels, which are assembled;
        every other parcel is kept as it is. None assembles every parcel.

    Returns
    -------
    geopandas.GeoDataFrame
        The parcels layer with the city's parcels grouped: one row per site,
        with the parcel schema (``parcel_id``, ``ownership``, ``land_use``,
        ``kelurahan``, ``kecamatan``, ...: those of its largest member),
        ``area_m2`` the sum of its members' areas, the geometry the union of
        the members, ``members`` (the member parcel ids, largest first,
        joined by ``;``) and ``n_members``. A site of one parcel keeps that
        parcel's id; a larger site is named after its largest member with
        ``+`` the number of other members (``3673...0001+2``). Score it with
        ``sp.score(layers.replace(parcels=sites), profile)``.

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> sites = sp.assemble_sites(layers, max_gap=1.0)
    >>> int(sites["n_members"].sum()) == len(layers["parcels"])
    True
    >>> res = sp.score(layers.replace(parcels=sites), "sentra_kuliner")
    >>> bool(res["eligible"].any())
    True
    """
    problems: list[Problem] = []
    if "parcels" not in layers:
        raise SiteplanInputError(Problem("assemble_sites", "needs the 'parcels' layer",
                                         "pass parcels=... to sp.load_layers"))
    parcels = layers["parcels"]
    if not isinstance(max_gap, int | float) or isinstance(max_gap, bool) or max_gap < 0:
        problems.append(Problem("assemble_sites", f"max_gap must be >= 0 metres, got "
                                f"{max_gap!r}", "use e.g. max_gap=1.0"))
    same = [same] if isinstance(same, str) else list(same)
    missing = [c for c in same if c not in parcels.columns]
    if ownership is not None and "ownership" not in parcels.columns:
        missing.append("ownership")
    if missing:
        problems.append(Problem("assemble_sites: layer 'parcels'", f"has no column(s) "
                                f"{', '.join(dict.fromkeys(missing))}", "add them to the "
                                "parcels, or change same= / pass ownership=None"))
    ids = parcels["parcel_id"].astype(str)
    bad = ids[ids.str.contains(SEPARATOR, regex=False)]
    if len(bad):
        problems.append(Problem("assemble_sites: layer 'parcels'", f"parcel_id contains "
                                f"'{SEPARATOR}' ({', '.join(bad.iloc[:5])})",
                                f"use ids without '{SEPARATOR}', which separates members"))
    raise_if_problems(problems)

    frame = parcels.reset_index(drop=True)
    area = pd.to_numeric(frame["area_m2"], errors="coerce").to_numpy(float) \
        if "area_m2" in frame.columns else np.full(len(frame), np.nan)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    area = np.where(np.isfinite(area), area, shapely.area(geoms))
    city = np.ones(len(frame), dtype=bool) if ownership is None else frame["ownership"].astype(
        "string").str.strip().str.lower().isin([o.lower() for o in ownership]).fillna(
        False).to_numpy(bool)
    pos = np.flatnonzero(city)
    g = geoms[pos]
    i, j = shapely.STRtree(g).query(g, predicate="dwithin", distance=float(max_gap))
    keep = i < j
    for col in same:                                  # a handful of columns
        v = frame[col].astype("string").fillna("").to_numpy(dtype=str)[pos]
        keep &= v[i] == v[j]
    graph = sparse.csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])),
                              shape=(len(pos), len(pos)))
    _, comp = connected_components(graph, directed=False)
    site = np.arange(len(frame))                      # other parcels: a site of their own
    site[pos] = len(frame) + comp
    # largest member first (ties: by id); it gives the site its attributes and its id
    order = np.lexsort((ids.to_numpy(), -area, site))
    sorted_site = site[order]
    first = np.r_[True, sorted_site[1:] != sorted_site[:-1]]
    lead = order[first]                               # the largest member of each site
    label = sorted_site[first]
    grouped = pd.Series(ids.to_numpy()[order]).groupby(sorted_site, sort=True)
    members = grouped.agg(SEPARATOR.join).reindex(label).to_numpy()
    n_members = grouped.size().reindex(label).to_numpy()
    total = pd.Series(area[order]).groupby(sorted_site, sort=True).sum().reindex(
        label).to_numpy()
    union = _union_by(geoms[order], sorted_site, label)
    out = frame.drop(columns=frame.geometry.name).iloc[lead].reset_index(drop=True)
    lead_id = ids.to_numpy()[lead]
    out["parcel_id"] = np.where(n_members > 1, pd.Series(lead_id).astype(str) + "+" +
                                pd.Series(n_members - 1).astype(str), lead_id)
    out["area_m2"] = total
    out["members"] = members
    out["n_members"] = n_members.astype(int)
    return gpd.GeoDataFrame(out, geometry=union, crs=parcels.crs)


def _union_by(geoms: np.ndarray, keys: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The union of the geometries of each key (keys sorted), in the order of ``labels``."""
    counts = pd.Series(keys).value_counts().reindex(labels).to_numpy()
    out = np.empty(len(labels), dtype=object)
    single = counts == 1
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    out[single] = geoms[starts[single]]
    multi = np.flatnonzero(~single)
    if len(multi):
        # pad each multi-member site's parts into one row of a 2-D array, then union row-wise
        width = int(counts[multi].max())
        grid = np.full((len(multi), width), None, dtype=object)
        for k in range(width):                        # the members of the largest site
            has = counts[multi] > k
            grid[has, k] = geoms[starts[multi][has] + k]
        out[multi] = shapely.union_all(grid, axis=1)
    return out
