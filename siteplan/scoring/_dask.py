"""The dask engine: score spatial partitions of the parcels in parallel, aggregate once.

``sp.score(layers, profile, engine="dask", engine_options={...})`` lands here.
The parcels are ordered along a Hilbert curve and cut into ``npartitions``
contiguous, spatially compact pieces (a dask-geopandas GeoDataFrame); every
other layer (the context: roads, POIs, population, ...) goes whole to every
worker, once. Each partition runs the local pipeline on its own parcels:
constraints, measures and transforms, which depend on one parcel and the
context only (the ``[candidates]`` filter is applied before partitioning, so
only candidates travel). Only the columns it computed travel back (the parcels'
own columns and geometry are already here); they are put back in the
parcels' order, and what depends on every candidate at once is done on them,
once: the aggregation (TOPSIS takes its ideal points over all sites), the
contributions, the rank and the counts. The result is the one
``engine="local"`` gives, row for row.

Context caches (STRtrees, KD-trees, the road graph, the RTH pieces) are
built once per worker process and bundle, and reused by all its partitions
and by later calls on the same bundle; with an in-process scheduler they are
the bundle's own cache, as for the local engine.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError
from ..layers.bundle import LayerCache, Layers
from .pipeline import (
    STATUS_REJECTED,
    STATUS_SCORED,
    aggregate_scores,
    counts_of,
    layers_of,
    put_scores,
    resolve_missing,
    score_local,
)
from .record import attach, record_of

if TYPE_CHECKING:
    from ..profiles.profile import Profile

__all__ = ["score_dask"]

_POS = "__siteplan_position__"
_SCHEDULERS = ("threads", "processes", "synchronous", "single-threaded", "sync")
_IN_PROCESS = ("threads", "synchronous", "single-threaded", "sync")

# per worker process: bundle token -> (context payload, its cache); the last few bundles
_CONTEXTS: dict[str, tuple[dict[str, Any], LayerCache]] = {}
_CONTEXTS_LOCK = threading.Lock()
_MAX_CONTEXTS = 2


def score_dask(layers: Layers, profile: Profile, *, missing: str = "error",
               npartitions: int | None = None, client: Any = None,
               scheduler: str | None = None) -> gpd.GeoDataFrame:
    """Score like :func:`siteplan.score`, partitioned on dask-geopandas.

    Called by ``sp.score(layers, profile, engine="dask", engine_options={...})``;
    ``engine_options`` are the keyword arguments below.

    Parameters
    ----------
    layers, profile, missing
        As for :func:`siteplan.score` (``profile`` already resolved). Rules
        left out for want of data are decided once, here; every partition
        leaves out the same ones (they share the context layers).
    npartitions
        Number of spatial partitions of the parcels. Default: four per
        worker thread (of ``client``, or of this machine), and none smaller
        than 2,000 parcels.
    client
        A ``dask.distributed.Client``, or the address of a dask scheduler
        (``"tcp://10.0.0.5:8786"``) to connect to (and disconnect from
        afterwards). The context layers are scattered to every worker once
        per call; the partitions go to the workers as data.
    scheduler
        Without ``client``: dask's local scheduler, ``"threads"`` (default;
        GEOS, the KD-tree and scipy's graph routines release the GIL),
        ``"processes"`` or ``"synchronous"`` (for debugging).

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows, columns, dtypes, scores, ranks and ``excluded_by`` as
        the local engine; its record's ``engine`` and ``engine_info`` say how
        it ran.
    """
    try:
        import dask
        import dask_geopandas
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise SiteplanInputError(Problem(
            "engine 'dask'", f"needs dask-geopandas ({exc.name} is not installed)",
            "pip install 'siteplan[dask]' (dask-geopandas and distributed)")) from None
    if scheduler is not None and scheduler not in _SCHEDULERS:
        raise SiteplanInputError(Problem("engine 'dask'", f"unknown scheduler {scheduler!r}",
                                         f"use one of: {', '.join(_SCHEDULERS[:3])}, or pass "
                                         "client="))
    if npartitions is not None and (isinstance(npartitions, bool)
                                    or not isinstance(npartitions, int) or npartitions < 1):
        raise SiteplanInputError(Problem("engine 'dask'", f"npartitions must be a positive "
                                         f"integer, got {npartitions!r}", "e.g. npartitions=8"))

    from ..methods.constraints import candidate_mask, no_candidate_problem

    # the profile actually run: the aggregation below needs its criteria
    used, _ = resolve_missing(profile, layers, missing)
    parcels = layers["parcels"]
    # only candidates travel: the others are counted here and never scored
    cand = np.flatnonzero(candidate_mask(parcels, profile.candidates, f"profile "
                                         f"'{profile.name}'")) if profile.candidates \
        else np.arange(len(parcels))
    if len(cand) == 0 and len(parcels):
        rejected = layers.rejected_parcels
        if rejected is None or not len(rejected) or not candidate_mask(
                rejected, profile.candidates, f"profile '{profile.name}'").any():
            frames = [parcels] + ([rejected] if rejected is not None and len(rejected) else [])
            raise SiteplanInputError(no_candidate_problem(frames, profile.candidates,
                                                          f"profile '{profile.name}'"))
    frame = _hilbert_ordered(parcels, cand)
    own_client = False
    if isinstance(client, str):
        from distributed import Client

        client = Client(client)
        own_client = True
    try:
        k = _n_partitions(len(cand), npartitions, client)
        # keep the columns' dtypes as they are (dask would make object columns pyarrow strings)
        with dask.config.set({"dataframe.convert-string": False}):
            ddf = dask_geopandas.from_geopandas(frame, npartitions=k, sort=False)
            pieces = list(dask.compute(*ddf.to_delayed(), scheduler="synchronous"))
        del frame, ddf
        payload = _payload(layers, profile)
        if client is not None:
            # data go to the workers directly, not inside the task graph
            # one object under a key of its own (a dict would be scattered key by key under
            # its own key names, which the next call with the same names releases)
            ctx = client.scatter([payload], broadcast=True, hash=False)[0]
            parts = client.scatter(pieces, hash=False)
            futures = [client.submit(_score_partition, part, ctx, profile, i == 0, missing,
                                     pure=False) for i, part in enumerate(parts)]
            results = client.gather(futures)
            where = f"distributed {client.scheduler.address}"
        else:
            chosen = scheduler or "threads"
            if chosen in _IN_PROCESS:  # the tasks share the bundle's own cache
                payload["cache"] = layers.cache
            run = dask.delayed(_score_partition, pure=False)
            results = dask.compute(*[run(part, payload, profile, i == 0, missing)
                                     for i, part in enumerate(pieces)], scheduler=chosen)
            where = chosen
    finally:
        if own_client:
            client.close()
    return _finish(list(results), layers, used, len(parcels) - len(cand),
                   {"name": "dask", "npartitions": len(pieces), "scheduler": where})


# ----------------------------------------------------------------------- partitions

def _n_partitions(n: int, asked: int | None, client: Any) -> int:
    if asked is not None:
        return max(1, min(asked, max(n, 1)))
    threads = (sum(client.nthreads().values()) if client is not None else os.cpu_count()) or 1
    return max(1, min(4 * threads, n // 2000))


def _hilbert_ordered(parcels: gpd.GeoDataFrame, rows: np.ndarray) -> gpd.GeoDataFrame:
    """The given rows of the parcels along a Hilbert curve, each with its position."""
    if len(rows) > 1:
        geoms = parcels.geometry.iloc[rows]
        bounds = geoms.total_bounds
        if np.isfinite(bounds).all():
            h = geoms.hilbert_distance(total_bounds=bounds).to_numpy()
            rows = rows[np.argsort(h, kind="stable")]
    frame = parcels.iloc[rows]
    frame[_POS] = rows
    return frame


def _payload(layers: Layers, profile: Profile) -> dict[str, Any]:
    """What a worker needs to rebuild the bundle around its parcels (Layers do not pickle).

    A profile reading the parcels layer as features (a distance to parcels of a kind, a
    setback from them) reads every parcel of the bundle from each partition.
    """
    return {
        "all_parcels": layers["parcels"] if "parcels" in layers_of(profile) else None,
        "token": layers.token,  # workers keep a bundle's context cache under its token
        "context": {name: layers[name] for name in layers if name != "parcels"},
        "crs": layers.crs,
        "rejected_parcels": layers.rejected_parcels,
        "sources": dict(layers.sources),
        "synthetic": layers.synthetic,
        "attribution": layers.attribution,
    }


def _context(payload: dict[str, Any]) -> tuple[dict[str, Any], LayerCache]:
    """This process's copy of a bundle's context and cache (kept for the last few bundles)."""
    if "cache" in payload:
        return payload, payload["cache"]
    token = payload["token"]
    with _CONTEXTS_LOCK:
        if token not in _CONTEXTS:
            while len(_CONTEXTS) >= _MAX_CONTEXTS:
                _CONTEXTS.pop(next(iter(_CONTEXTS)))
            _CONTEXTS[token] = (payload, LayerCache())
        return _CONTEXTS[token]


def _score_partition(part: gpd.GeoDataFrame, payload: dict[str, Any], profile: Profile,
                     first: bool, missing: str = "error") -> dict[str, Any]:
    """The local pipeline on one partition; the rejected parcels go with the first.

    Returns the computed columns of its candidates (with their positions in
    the layer), its rejected rows whole, its count of non-candidates and the
    provenance.
    """

    payload, shared = _context(payload)
    bundle = Layers({"parcels": part, **payload["context"]}, crs=payload["crs"],
                    rejected_parcels=payload["rejected_parcels"] if first else None,
                    sources=payload["sources"], synthetic=payload["synthetic"],
                    attribution=payload["attribution"])
    # context entries (trees, road graph, population) are shared by the partitions of this
    # process; entries built from the parcels stay the partition's own (CacheKey.on_parcels)
    bundle = bundle.as_part(shared.for_partition(), payload["all_parcels"])
    out = score_local(bundle, profile, missing=missing)
    rejected = (out["status"] == STATUS_REJECTED).to_numpy(dtype=bool)
    computed = [c for c in out.columns if c not in part.columns]
    return {"computed": pd.DataFrame(out.loc[~rejected, [_POS, *computed]]),
            "rejected": out.loc[rejected].drop(columns=_POS),
            "record": record_of(out)}


# ---------------------------------------------------------------------------- gather

def _finish(results: list[dict[str, Any]], layers: Layers, profile: Profile,
            not_candidate: int, info: dict) -> gpd.GeoDataFrame:
    """Parcel order, then what needs every candidate: aggregate, contributions, rank, counts."""

    parcels = layers["parcels"]
    frames = [r["computed"] for r in results]
    frames = [f for f in frames if len(f)] or frames[:1]
    comp = pd.concat(frames) if len(frames) > 1 else frames[0]
    comp = comp.iloc[np.argsort(comp[_POS].to_numpy(), kind="stable")]
    pos = comp[_POS].to_numpy(dtype=np.int64)
    every = len(pos) == len(parcels) and bool((pos == np.arange(len(pos))).all())
    base = parcels.copy() if every else parcels.iloc[pos].copy()  # the local `cands`
    comp = comp.drop(columns=_POS).set_axis(base.index)
    out = gpd.GeoDataFrame(pd.concat([base, comp], axis=1), geometry=parcels.geometry.name,
                           crs=parcels.crs)
    rejected = pd.concat([r["rejected"] for r in results])
    if len(rejected):  # as the local engine puts rejected parcels among the others
        out = gpd.GeoDataFrame(pd.concat([out, rejected]), geometry=parcels.geometry.name,
                               crs=parcels.crs)
        if out.index.is_monotonic_increasing is False:
            with contextlib.suppress(TypeError):
                out = out.sort_index()

    names = [c.name for c in profile.criteria]
    eligible = (out["status"] == STATUS_SCORED).to_numpy(dtype=bool)
    cvals = np.ascontiguousarray(out[[f"c_{n}" for n in names]].to_numpy(dtype=float)[eligible])
    s, contrib, base_score = aggregate_scores(profile, cvals)
    put_scores(out, eligible, names, s, contrib)

    first = results[0]["record"]
    n_rejected = 0 if layers.rejected_parcels is None else len(layers.rejected_parcels)
    n_not = not_candidate + sum(r["record"].counts.not_candidate for r in results)
    out.attrs = {}
    return attach(out, first.with_(
        counts=counts_of(out, len(parcels) + n_rejected, n_not),
        base_score=float(base_score), engine="dask", engine_info=info,
        provenance=replace(first.provenance,
                           created=datetime.now(UTC).isoformat(timespec="seconds"))))
