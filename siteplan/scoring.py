"""``score``: constrain -> measure -> transform -> weight -> aggregate -> explain."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import Problem, SiteplanInputError
from ._version import __version__
from .aggregate import aggregate
from .constraints import apply_constraints, candidate_mask, constraint_label
from .criteria import measure_explained
from .profiles import as_profile
from .transforms import apply_transform

if TYPE_CHECKING:
    from .layers import Layers
    from .profiles import Profile

__all__ = ["score", "STATUS_SCORED", "STATUS_EXCLUDED", "STATUS_REJECTED"]

log = logging.getLogger(__name__)

STATUS_SCORED = "scored"
STATUS_EXCLUDED = "excluded"
STATUS_REJECTED = "rejected"


def score(layers: Layers, profile: Profile | str, *, method: str | None = None,
          engine: str = "local", engine_options: dict | None = None) -> gpd.GeoDataFrame:
    """Score the candidate parcels for one facility profile.

    Parameters
    ----------
    layers
        From :func:`siteplan.load_layers` or :func:`siteplan.load_sample`.
    profile
        A :class:`~siteplan.Profile` or the name of a built-in one.
    method
        Override the profile's aggregation: ``"wlc"``, ``"wgm"``, ``"topsis"``
        or ``"owa"``.
    engine
        ``"local"`` (the default; vectorised on this machine) or ``"dask"``
        (partitioned on dask-geopandas; same result).
    engine_options
        Options for the dask engine (see ``siteplan._dask.score_dask``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate parcel (those selected by the profile's
        ``[candidates]``; every parcel when it has none), on the parcels'
        index, with the parcels' own columns and:

        - ``status``: ``scored``, ``excluded`` (broke a constraint) or
          ``rejected`` (unusable geometry at load);
        - ``eligible`` (bool) and ``excluded_by`` (the rules broken, "" when
          eligible; ``rejected: <reason>`` for rejected parcels);
        - ``m_<criterion>``: the raw measure (metres, m², people, ...);
        - ``c_<criterion>``: the suitability in [0, 1];
        - ``contrib_<criterion>``: its share of the score, in score points
          (they add up to ``score``);
        - ``score`` (0-100, NaN unless eligible) and ``rank`` (1 = best).

        ``result.attrs["siteplan"]`` records the profile, weights, method,
        counts (input, not candidates, scored, excluded, rejected) and the
        data sources.

    Examples
    --------
    >>> import siteplan as sp
    >>> result = sp.score(sp.load_sample(), "sentra_kuliner")
    >>> bool(result["score"].between(0, 100).all() or result["score"].isna().any())
    True
    >>> int(result.loc[result["rank"] == 1, "rank"].iloc[0])
    1
    """
    prof = as_profile(profile)
    if method is not None:
        prof = prof.with_method(method)
    if engine == "dask":
        from ._dask import score_dask

        return score_dask(layers, prof, **(engine_options or {}))
    if engine != "local":
        raise SiteplanInputError(Problem("score", f"unknown engine {engine!r}",
                                         "use engine=\"local\" or engine=\"dask\""))
    context = f"profile '{prof.name}'"
    parcels = layers["parcels"]
    rejected = layers.rejected_parcels

    cand = candidate_mask(parcels, prof.candidates, context)
    cands = parcels.loc[cand]
    n_not_candidate = int((~cand).sum())
    if rejected is not None and len(rejected):
        rej_mask = candidate_mask(rejected.drop(columns="reason"), prof.candidates, context) \
            if prof.candidates else np.ones(len(rejected), dtype=bool)
        n_not_candidate += int((~rej_mask).sum())
        rejected = rejected.loc[rej_mask]

    excluded_by = apply_constraints(cands, prof.constraints, layers, profile_name=prof.name)
    eligible = excluded_by == ""
    elig = cands.loc[eligible]

    names = [c.name for c in prof.criteria]
    raw = {}
    cvals = np.zeros((len(elig), len(names)))
    notes = np.full(len(elig), "", dtype=object)
    used = {}
    for j, crit in enumerate(prof.criteria):
        values, why, used[crit.name] = measure_explained(crit, elig, layers,
                                                         profile_name=prof.name)
        raw[crit.name] = values
        if why is not None:
            notes = np.where(why != "", notes + why + "; ", notes)
        c = apply_transform(crit.transform, values)
        missing = np.isnan(c)
        if missing.any():
            fill = crit.missing if crit.missing is not None else 0.0
            c = np.where(missing, fill, c)
            said = pd.Series(notes[missing], dtype=object).str.contains(
                f"{crit.name}:", regex=False).to_numpy(dtype=bool)
            extra = np.where(said, f"counted as {fill:g}; ",
                             f"{crit.name}: no value, counted as {fill:g}; ")
            notes[missing] = notes[missing] + extra
        cvals[:, j] = c

    s, contrib = aggregate_scores(prof, cvals)

    out = cands.copy()
    out["status"] = np.where(eligible, STATUS_SCORED, STATUS_EXCLUDED)
    out["eligible"] = eligible
    out["excluded_by"] = excluded_by.astype(str)
    for name in names:
        m = np.full(len(out), np.nan, dtype=object if raw[name].dtype == object else float)
        m[eligible] = raw[name]
        out[f"m_{name}"] = m
    for j, name in enumerate(names):
        col = np.full(len(out), np.nan)
        col[eligible] = cvals[:, j]
        out[f"c_{name}"] = col
    for j, name in enumerate(names):
        col = np.full(len(out), np.nan)
        col[eligible] = contrib[:, j]
        out[f"contrib_{name}"] = col
    sc = np.full(len(out), np.nan)
    sc[eligible] = s
    out["score"] = sc
    note_col = np.full(len(out), "", dtype=object)
    note_col[eligible] = notes
    out["notes"] = note_col.astype(str)

    if rejected is not None and len(rejected):
        rej = rejected.drop(columns="reason").copy()
        rej["status"] = STATUS_REJECTED
        rej["eligible"] = False
        rej["excluded_by"] = ("rejected: " + rejected["reason"].astype(str)).to_numpy()
        rej["notes"] = ""
        out = pd.concat([out, rej.reindex(columns=out.columns).astype(
            {"eligible": bool, "status": object, "excluded_by": object, "notes": object})])
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=parcels.crs)
        if out.index.is_monotonic_increasing is False:
            with contextlib.suppress(TypeError):
                out = out.sort_index()

    ranks = out["score"].rank(ascending=False, method="min")
    out["rank"] = pd.array(ranks, dtype="Int64")
    out.attrs["siteplan"] = _provenance(prof, layers, out, n_not_candidate, len(parcels) + (
        0 if layers.rejected_parcels is None else len(layers.rejected_parcels)), used)
    log.info("%s: %d scored, %d excluded, %d rejected", prof.name,
             (out["status"] == STATUS_SCORED).sum(), (out["status"] == STATUS_EXCLUDED).sum(),
             (out["status"] == STATUS_REJECTED).sum())
    return out


def aggregate_scores(prof: Profile, cvals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores (0-100) and per-criterion contributions of the eligible sites, all at once.

    ``cvals`` holds one row per eligible site, one column per criterion (in
    profile order). The scores depend on every row only for TOPSIS (its ideal
    points), so the dask engine calls this once on the gathered rows.
    """
    names = [c.name for c in prof.criteria]
    w = np.array([c.weight for c in prof.criteria])
    if not len(cvals):
        return np.zeros(0), np.zeros((0, len(names)))
    s = aggregate(prof.method, cvals, w, alpha=prof.owa_alpha) * 100.0
    weighted = cvals * w
    total = weighted.sum(axis=1, keepdims=True)
    share = np.divide(weighted, total, out=np.full_like(weighted, 1.0 / len(names)),
                      where=total > 0)
    return s, share * s[:, None]


def _provenance(prof: Profile, layers: Layers, out: gpd.GeoDataFrame, n_not_candidate: int,
                n_input: int, used: dict[str, str]) -> dict:
    status = out["status"].value_counts()
    return {
        "siteplan_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": prof.name,
        "title": dict(prof.title),
        "description": dict(prof.description),
        "method": prof.method,
        "owa_alpha": prof.owa_alpha,
        "weights": prof.weights,
        "consistency_ratio": prof.consistency_ratio,
        "criteria": [{"name": c.name, "measure": c.measure, "layer": c.layer,
                      "title": dict(c.title), "transform": dict(c.transform),
                      "weight": c.weight, "measured_as": used.get(c.name, c.measure),
                      "radius": c.radius, "source": c.source}
                     for c in prof.criteria],
        "constraints": [{"label": constraint_label(c), "type": c["type"],
                         "layer": c.get("layer"), "buffer": c.get("buffer"),
                         "column": c.get("column"),
                         "where": {k: list(v) for k, v in (c.get("where") or {}).items()},
                         "title": dict(c.get("title") or {}),
                         "source": c.get("source")} for c in prof.constraints],
        "candidates": {k: list(v) for k, v in prof.candidates.items()},
        "counts": {"input": int(n_input), "not_candidate": int(n_not_candidate),
                   "scored": int(status.get(STATUS_SCORED, 0)),
                   "excluded": int(status.get(STATUS_EXCLUDED, 0)),
                   "rejected": int(status.get(STATUS_REJECTED, 0))},
        "sources": dict(layers.sources),
        "synthetic": layers.synthetic,
        "attribution": layers.attribution,
        "crs": layers.crs.to_string(),
    }
