"""The scoring pipeline: constrain -> measure -> transform -> weight -> aggregate -> explain.

One pipeline for both engines: the local engine runs :func:`score_local`; the
dask engine runs it on each partition and finishes with :func:`aggregate_scores`
on the gathered rows.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from ._version import __version__
from .aggregate import shapley
from .constraints import broken_rules, candidate_mask, constraint_label, excluded_text, rule_ids
from .measures import measure_criterion
from .transforms import apply_transform

if TYPE_CHECKING:
    from .layers import Layers
    from .profiles import Profile

__all__ = ["score_local", "aggregate_scores", "put_scores", "STATUS_SCORED", "STATUS_EXCLUDED",
           "STATUS_REJECTED"]

log = logging.getLogger(__name__)

STATUS_SCORED = "scored"
STATUS_EXCLUDED = "excluded"
STATUS_REJECTED = "rejected"


def score_local(layers: Layers, prof: Profile) -> gpd.GeoDataFrame:
    """The whole pipeline for one profile on this machine (see :func:`siteplan.score`)."""
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

    broken = broken_rules(cands, prof.constraints, layers, profile_name=prof.name)
    excluded_by = excluded_text(broken, [constraint_label(c) for c in prof.constraints])
    eligible = ~broken.any(axis=1)
    elig = cands.loc[eligible]

    names = [c.name for c in prof.criteria]
    raw = {}
    cvals = np.zeros((len(elig), len(names)))
    notes = np.full(len(elig), "", dtype=object)
    used = {}
    for j, crit in enumerate(prof.criteria):
        values, why, used[crit.name] = measure_criterion(crit, elig, layers,
                                                         profile_name=prof.name)
        raw[crit.name] = values
        if why is not None:
            notes = np.where(why != "", notes + why + "; ", notes)
        c = apply_transform(crit.transform, values)
        missing = np.isnan(c)
        if missing.any():
            fill = crit.missing if crit.missing is not None else 0.0
            c = np.where(missing, fill, c)
            said = (why[missing] != "") if why is not None else np.zeros(missing.sum(), bool)
            extra = np.where(said, f"counted as {fill:g}; ",
                             f"{crit.name}: no value, counted as {fill:g}; ")
            notes[missing] = notes[missing] + extra
        cvals[:, j] = c

    s, contrib, base = aggregate_scores(prof, cvals)

    out = cands.copy()
    out["status"] = np.where(eligible, STATUS_SCORED, STATUS_EXCLUDED)
    out["eligible"] = eligible
    out["excluded_by"] = excluded_by.astype(str)
    out["excluded_rules"] = rule_ids(broken).astype(str)
    for name in names:
        m = np.full(len(out), np.nan, dtype=object if raw[name].dtype == object else float)
        m[eligible] = raw[name]
        out[f"m_{name}"] = m
    for j, name in enumerate(names):
        col = np.full(len(out), np.nan)
        col[eligible] = cvals[:, j]
        out[f"c_{name}"] = col
    put_scores(out, eligible, names, s, contrib, rank=False)
    note_col = np.full(len(out), "", dtype=object)
    note_col[eligible] = notes
    out["notes"] = note_col.astype(str)

    if rejected is not None and len(rejected):
        rej = rejected.drop(columns="reason").copy()
        rej["status"] = STATUS_REJECTED
        rej["eligible"] = False
        rej["excluded_by"] = ("rejected: " + rejected["reason"].astype(str)).to_numpy()
        rej["excluded_rules"] = ""
        rej["notes"] = ""
        out = pd.concat([out, rej.reindex(columns=out.columns).astype(
            {"eligible": bool, "status": object, "excluded_by": object, "excluded_rules": object,
             "notes": object})])
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=parcels.crs)
        if out.index.is_monotonic_increasing is False:
            with contextlib.suppress(TypeError):
                out = out.sort_index()

    ranks = out["score"].rank(ascending=False, method="min")
    out["rank"] = pd.array(ranks, dtype="Int64")
    out.attrs["siteplan"] = _provenance(prof, layers, out, n_not_candidate, len(parcels) + (
        0 if layers.rejected_parcels is None else len(layers.rejected_parcels)), used, base)
    log.info("%s: %d scored, %d excluded, %d rejected", prof.name,
             (out["status"] == STATUS_SCORED).sum(), (out["status"] == STATUS_EXCLUDED).sum(),
             (out["status"] == STATUS_REJECTED).sum())
    return out


def put_scores(out: pd.DataFrame, eligible: np.ndarray, names: list[str], s: np.ndarray,
               contrib: np.ndarray, *, rank: bool = True) -> None:
    """Write ``contrib_*``, ``score`` (and ``rank``) of the eligible rows into ``out``."""
    for j, name in enumerate(names):
        col = np.full(len(out), np.nan)
        col[eligible] = contrib[:, j]
        out[f"contrib_{name}"] = col
    sc = np.full(len(out), np.nan)
    sc[eligible] = s
    out["score"] = sc
    if rank:
        out["rank"] = pd.array(out["score"].rank(ascending=False, method="min"), dtype="Int64")


def aggregate_scores(prof: Profile, cvals: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, float]:
    """Scores (0-100), per-criterion contributions and base score of the eligible sites.

    ``cvals`` holds one row per eligible site, one column per criterion (in
    profile order). Contributions are the Shapley values of the method's own
    score (see :func:`siteplan.aggregate.shapley`); they add up to
    ``score - base``. The scores depend on every row only for TOPSIS (its
    ideal points), so the dask engine calls this once on the gathered rows.
    """
    w = np.array([c.weight for c in prof.criteria])
    return shapley(prof.method, cvals, w, alpha=prof.owa_alpha)


def _provenance(prof: Profile, layers: Layers, out: gpd.GeoDataFrame, n_not_candidate: int,
                n_input: int, used: dict[str, str], base: float = 0.0) -> dict:
    status = out["status"].value_counts()
    return {
        "siteplan_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": prof.name,
        "title": dict(prof.title),
        "method": prof.method,
        "owa_alpha": prof.owa_alpha,
        "weights": prof.weights,
        "base_score": float(base),
        "consistency_ratio": prof.consistency_ratio,
        "criteria": [{"name": c.name, "measure": c.measure, "layer": c.layer,
                      "title": dict(c.title), "transform": dict(c.transform),
                      "weight": c.weight, "measured_as": used.get(c.name, c.measure)}
                     for c in prof.criteria],
        "constraints": [{"label": constraint_label(c), "type": c["type"],
                         "layer": c.get("layer"), "buffer": c.get("buffer"),
                         "where": {k: list(v) for k, v in (c.get("where") or {}).items()},
                         "title": dict(c.get("title") or {})} for c in prof.constraints],
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
