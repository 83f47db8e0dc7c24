"""How sure are we: Monte Carlo weight sensitivity and leave-one-out criteria.

Weights are judgements. :func:`sensitivity` perturbs them many times at once
(one matrix product for all draws, no loop over sites) and reports, per site,
how often it stays in the top k and where its rank falls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError
from ..limits import MAX_DRAWS, MAX_RANK_CELLS, MAX_SEED, MAX_SITES, number_problem
from ..methods.aggregate import aggregate
from .record import maybe_record

if TYPE_CHECKING:
    import geopandas as gpd

    from ..profiles.profile import Profile

__all__ = ["sensitivity", "sensitivity_problems", "dirichlet_weights", "ordinal_ranks"]


def dirichlet_weights(weights: np.ndarray, *, draws: int, spread: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Weight vectors drawn from a Dirichlet distribution centred on ``weights``.

    The concentration is set so that a criterion of average weight (1/n)
    varies with a coefficient of variation of ``spread``: for Dirichlet
    weights with parameters ``w * kappa``, var(W_i) = w_i (1 - w_i) / (kappa + 1),
    so kappa = (n - 1) / spread**2 - 1. A spread of 0 returns the weights
    unchanged in every draw.
    """
    w = np.asarray(weights, dtype=float)
    n = len(w)
    kappa = (n - 1) / spread ** 2 - 1.0 if spread ** 2 > 0 else np.inf
    if n == 1 or kappa > 1e12:  # no (or negligible) spread: the weights as they are
        return np.tile(w, (draws, 1))
    kappa = max(kappa, 1e-6)
    alpha = np.maximum(w * kappa, 1e-9)
    out = rng.dirichlet(alpha, size=draws)
    out[:, w == 0] = 0.0
    return out / out.sum(axis=1, keepdims=True)


def ordinal_ranks(scores: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Ranks 1..n of each row of ``scores`` (highest first); ties go by ``tiebreak``.

    Every row holds each rank exactly once, so exactly k sites are in the top k.
    """
    scores = np.atleast_2d(scores)
    # sort by score descending, then by the tie-break key ascending
    order = np.lexsort((np.broadcast_to(tiebreak, scores.shape), -scores), axis=-1)
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)
    return ranks


def sensitivity_problems(*, draws: Any = 1000, spread: Any = 0.2, top_k: Any = 10,
                         seed: Any = 0, where: str = "sensitivity",
                         names: dict[str, str] | None = None) -> list[Problem]:
    """What is wrong with the settings of :func:`sensitivity` (each bounded, see
    :mod:`siteplan.limits`); the command line checks them before scoring, under
    its own option ``names``."""
    name = {"draws": "draws", "spread": "spread", "top_k": "top_k", "seed": "seed",
            **(names or {})}
    checks = [number_problem(where, name["draws"], draws, low=1, high=MAX_DRAWS,
                             integer=True, example="1000"),
              number_problem(where, name["spread"], spread, high=10.0, example="0.2"),
              number_problem(where, name["top_k"], top_k, low=1, high=MAX_SITES,
                             integer=True, example="10")]
    if seed is not None:
        checks.append(number_problem(where, name["seed"], seed, high=MAX_SEED, integer=True,
                                     example="0 (any whole number from 0; the same seed "
                                     "gives the same draws)"))
    return [c for c in checks if c is not None]


def sensitivity(result: gpd.GeoDataFrame, profile: Profile | str, *, draws: int = 1000,
                spread: float = 0.2, top_k: int = 10, seed: int | None = 0,
                chunk: int = 250) -> pd.DataFrame:
    """Rank stability of the scored sites under perturbed weights.

    Parameters
    ----------
    result
        From :func:`siteplan.score` with the same profile (its ``c_*`` columns
        are reused; nothing is measured again).
    profile
        The profile (or built-in name) whose weights are perturbed.
    draws
        Number of weight vectors drawn: 1 to :data:`~siteplan.limits.MAX_DRAWS`
        (100,000), and at most :data:`~siteplan.limits.MAX_RANK_CELLS` draws
        times scored sites (the ranks are kept in memory).
    spread
        Coefficient of variation of an average-weight criterion (0 = fixed
        weights); see :func:`dirichlet_weights`.
    top_k
        The k of ``p_top_k``.
    seed
        Seed for ``numpy.random.default_rng`` (a whole number from 0 to
        2**63 - 1, or None for fresh entropy): the same seed gives the same
        numbers.
    chunk
        Draws handled per matrix product (bounds the memory).

    Returns
    -------
    pandas.DataFrame
        Aligned to ``result`` (NaN for sites not scored): ``p_top_k`` (share
        of draws in which the site is in the top k), ``rank_p05``,
        ``rank_p50``, ``rank_p95`` (rank percentiles over the draws). Its
        ``attrs["leave_one_out"]`` is a table, per criterion, of how the
        ranking changes when that criterion is left out (weights of the others
        rescaled): Spearman correlation with the full ranking, how many of the
        top k stay, and the new best site.

    Examples
    --------
    >>> import siteplan as sp
    >>> res = sp.score(sp.load_sample(), "wisata_religi")
    >>> stab = sp.sensitivity(res, "wisata_religi", draws=200, seed=1)
    >>> float(stab["p_top_k"].sum())
    10.0
    """
    from ..profiles.profile import as_profile
    from .pipeline import drop_rules

    prof = as_profile(profile)
    rec = maybe_record(result)
    skipped = rec.skipped if rec is not None and rec.kind == "score" else ()
    if skipped:  # scored with missing="skip": perturb the weights of what was scored
        prof = drop_rules(prof, {x.name for x in skipped if x.kind == "criterion"},
                          {x.rule for x in skipped if x.kind == "constraint"})
    problems = sensitivity_problems(draws=draws, spread=spread, top_k=top_k, seed=seed)
    names = [c.name for c in prof.criteria]
    missing = [f"c_{n}" for n in names if f"c_{n}" not in result.columns]
    if missing:
        problems.append(Problem("sensitivity", f"the result has no column(s) "
                                f"{', '.join(missing)} for profile '{prof.name}'",
                                "pass the result of sp.score with the same profile"))
    if problems:
        raise SiteplanInputError(problems)

    ok = result["eligible"].to_numpy(dtype=bool) if "eligible" in result else \
        result["score"].notna().to_numpy()
    c = result.loc[ok, [f"c_{n}" for n in names]].to_numpy(dtype=float)
    n_sites = len(c)
    if draws * n_sites > MAX_RANK_CELLS:
        most = max(MAX_RANK_CELLS // max(n_sites, 1), 1)
        raise SiteplanInputError(Problem(
            "sensitivity", f"draws={draws:,} for {n_sites:,} scored sites would rank "
            f"{draws * n_sites:,} site-draws, over the limit of {MAX_RANK_CELLS:,} "
            "(siteplan.limits.MAX_RANK_CELLS)", f"use at most {most:,} draws"))
    out = pd.DataFrame(np.nan, index=result.index,
                       columns=["p_top_k", "rank_p05", "rank_p50", "rank_p95"])
    out.attrs["top_k"] = top_k
    out.attrs["draws"] = draws
    out.attrs["spread"] = spread
    if n_sites == 0:
        out.attrs["leave_one_out"] = pd.DataFrame()
        return out
    w = np.array([cr.weight for cr in prof.criteria])
    rng = np.random.default_rng(seed)
    weights = dirichlet_weights(w, draws=draws, spread=float(spread), rng=rng)
    # tie-break by the full-weight score, then by position: stable for equal scores
    base = aggregate(prof.method, c, w, alpha=prof.owa_alpha)
    tiebreak = np.argsort(np.lexsort((np.arange(n_sites), -base)))
    ranks = np.empty((draws, n_sites), dtype=np.int32)
    for start in range(0, draws, chunk):
        stop = min(start + chunk, draws)
        s = aggregate(prof.method, c, weights[start:stop], alpha=prof.owa_alpha)
        ranks[start:stop] = ordinal_ranks(np.atleast_2d(s), tiebreak)
    out.loc[ok, "p_top_k"] = (ranks <= top_k).mean(axis=0)
    q = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    out.loc[ok, "rank_p05"] = q[0]
    out.loc[ok, "rank_p50"] = q[1]
    out.loc[ok, "rank_p95"] = q[2]
    out.attrs["leave_one_out"] = _leave_one_out(prof, c, w, base, tiebreak, top_k=top_k,
                                                scored=result.loc[ok])
    return out


def _leave_one_out(prof, c, w, base, tiebreak, *, top_k, scored) -> pd.DataFrame:
    full = ordinal_ranks(base[None, :], tiebreak)[0]
    top = set(np.flatnonzero(full <= top_k))
    ids = scored["parcel_id"].to_numpy() if "parcel_id" in scored else scored.index.to_numpy()
    rows = []
    for j, crit in enumerate(prof.criteria):
        wj = w.copy()
        wj[j] = 0.0
        if wj.sum() == 0:
            continue
        wj = wj / wj.sum()
        r = ordinal_ranks(aggregate(prof.method, c, wj, alpha=prof.owa_alpha)[None, :],
                          tiebreak)[0]
        rho = np.corrcoef(full, r)[0, 1] if len(full) > 1 else 1.0
        rows.append({"criterion": crit.name, "weight": crit.weight,
                     "spearman": float(rho),
                     "top_k_kept": len(top & set(np.flatnonzero(r <= top_k))),
                     "best_site": ids[np.argmin(r)],
                     "best_unchanged": bool(np.argmin(r) == np.argmin(full))})
    return pd.DataFrame(rows)
