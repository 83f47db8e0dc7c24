"""``sp.score``: score the candidate parcels for one profile, on one machine or a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd

from .._errors import Problem, SiteplanInputError
from ..limits import show
from ..profiles.profile import as_profile
from .pipeline import STATUS_EXCLUDED, STATUS_REJECTED, STATUS_SCORED, score_local

if TYPE_CHECKING:
    from ..layers.bundle import Layers
    from ..profiles.profile import Profile

__all__ = ["score", "STATUS_SCORED", "STATUS_EXCLUDED", "STATUS_REJECTED"]


def score(layers: Layers, profile: Profile | str, *, method: str | None = None,
          missing: str = "error", engine: str = "local", engine_options: dict | None = None,
          register=None) -> gpd.GeoDataFrame:
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
    missing
        What to do with a constraint or criterion whose layer was not given:
        ``"error"`` (the default) names every such layer in one
        :class:`~siteplan.SiteplanInputError`; ``"skip"`` leaves the rule out
        (also a rule whose ``where`` selects no feature of its layer),
        renormalises the remaining weights, and records each skip in the
        result's record (``sp.record_of(result).skipped``: kind, name, rule,
        title, layer, reason), in every candidate's ``notes`` and on the map's
        title box.
        A profile left with no criterion is an error. An empty layer is never
        missing: it means there is nothing of that kind.
    engine
        ``"local"`` (the default; vectorised on this machine) or ``"dask"``
        (partitioned on dask-geopandas; same result).
    engine_options
        Options for the dask engine (see ``siteplan.scoring._dask.score_dask``).
    register
        A site-offer register (:func:`siteplan.open_register`): parcels held
        by an open offer are excluded, ``excluded_by`` naming the offer
        (``held: offered to Bank BJB for sentra kuliner, ditawarkan
        2026-12-01 (offer 3)``), and ``offer_id``, ``offer_state`` and
        ``offer_partner`` columns are added (see
        :func:`siteplan.register.use.hold_out`). None (the default) reads no
        register.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate parcel (those selected by the profile's
        ``[candidates]``; every parcel when it has none), on the parcels'
        index, with the parcels' own columns and:

        - ``status``: ``scored``, ``excluded`` (broke a constraint) or
          ``rejected`` (unusable geometry at load);
        - ``eligible`` (bool) and ``excluded_by`` (the rules broken, "" when
          eligible; ``rejected: <reason>`` for rejected parcels), and
          ``excluded_rules`` (their numbers in the profile, e.g. ``"1;3"``);
        - ``m_<criterion>``: the raw measure (metres, m², people, ...);
        - ``c_<criterion>``: the suitability in [0, 1];
        - ``contrib_<criterion>``: its part of the score in points, the
          Shapley value of the method's score (for WLC ``100 w c``); they add
          up to ``score - base`` (``sp.record_of(result).base_score``, 0
          for WLC);
        - ``score`` (0-100, NaN unless eligible) and ``rank`` (1 = best).

        ``result.attrs["siteplan"]`` holds a typed record of how it was made
        (:func:`siteplan.record_of`, a :class:`~siteplan.scoring.record.ScoreRecord`):
        the profile as scored, the counts (input, not candidates, scored,
        excluded, rejected), the rules left out, how each criterion was
        measured, the base score, the engine and the data sources.

    Examples
    --------
    >>> import siteplan as sp
    >>> result = sp.score(sp.load_sample(), "sentra_kuliner")
    >>> bool(result["score"].between(0, 100).all() or result["score"].isna().any())
    True
    >>> int(result.loc[result["rank"] == 1, "rank"].iloc[0])
    1

    Without the flood zones, leaving out the rules that need them:

    >>> partial = sp.load_sample().replace(flood_zones=None)
    >>> res = sp.score(partial, "fasilitas_publik", missing="skip")
    >>> sorted({x.layer for x in sp.record_of(res).skipped})
    ['flood_zones']
    """
    prof = as_profile(profile)
    if method is not None:
        prof = prof.with_method(method)
    if engine == "dask":
        from ._dask import score_dask

        result = score_dask(layers, prof, missing=missing, **(engine_options or {}))
    elif engine != "local":
        raise SiteplanInputError(Problem("score", f"unknown engine {engine!r}",
                                         "use engine=\"local\" or engine=\"dask\""))
    else:
        result = score_local(layers, prof, missing=missing)
    if register is None:
        return result
    # the register takes its held parcels out itself: scoring sits below the register
    hold_out = getattr(register, "hold_out", None)
    if not callable(hold_out):
        raise SiteplanInputError(Problem("score register", "register must be what "
                                         f"sp.open_register returns, got {show(register)}",
                                         "pass register=sp.open_register(\"offers.gpkg\")"))
    return hold_out(result)
