"""Ranks of scored sites, how many share each, and the one rule that orders ties.

Sites with the very same score share a rank (``rank``: 1 = best, the lowest
rank of the tie, as ``pandas.Series.rank(method="min")``), and ``rank_shared``
says how many sites share it. Wherever siteplan takes "the top N" (numbered
sites on maps, the sites of a brief, the demo's tables), sites are ordered by
score, best first, and sites of equal score by :data:`TIE_RULE`: their
``parcel_id`` as text, in ascending order. The rule needs nothing but the
result, does not depend on the order of the rows, and prefers no kind of site.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["rank_columns", "best_first", "tie_key", "TIE_RULE"]

#: how sites of equal score are ordered for "the top N" (a fact; words are in render/)
TIE_RULE = "parcel_id"


def rank_columns(score: np.ndarray | pd.Series) -> tuple[pd.api.extensions.ExtensionArray,
                                                         pd.api.extensions.ExtensionArray]:
    """``rank`` (1 = best; tied scores share the lowest rank) and ``rank_shared`` (how many
    sites hold that rank), both Int64 with NA where there is no score.

    Examples
    --------
    >>> rank, shared = rank_columns(np.array([80.0, 90.0, 80.0, np.nan, 70.0]))
    >>> rank.tolist(), shared.tolist()
    ([2, 1, 2, <NA>, 4], [2, 1, 2, <NA>, 1])
    """
    v = np.asarray(score, dtype=float)
    absent = np.isnan(v)
    rows = np.flatnonzero(~absent) if absent.any() else None
    x = v if rows is None else v[rows]
    rank = np.zeros(len(v), dtype=np.int64)
    shared = np.zeros(len(v), dtype=np.int64)
    if len(x):
        # one sort; a run of equal scores (0.0 equals -0.0) shares the rank one above the
        # count of higher scores
        order = np.argsort(x)
        ordered = x[order]
        starts = np.ones(len(x), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        first = np.flatnonzero(starts)
        size = np.diff(first, append=len(x))
        at = order if rows is None else rows[order]
        rank[at] = np.repeat(len(x) - (first + size) + 1, size)
        shared[at] = np.repeat(size, size)
    return pd.arrays.IntegerArray(rank, absent), pd.arrays.IntegerArray(shared, absent.copy())


def tie_key(frame: pd.DataFrame) -> np.ndarray:
    """Each row's place under :data:`TIE_RULE` (0 first): ``parcel_id`` as text, ascending;
    rows of a frame without ``parcel_id`` keep their order."""
    if TIE_RULE not in frame.columns:
        return np.arange(len(frame))
    ids = frame[TIE_RULE].astype("string").fillna("").to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    key = np.empty(len(frame), dtype=np.int64)
    key[order] = np.arange(len(frame))
    return key


def best_first(frame: pd.DataFrame) -> pd.Index:
    """The labels of the scored rows, best score first, ties by :data:`TIE_RULE`.

    Examples
    --------
    >>> f = pd.DataFrame({"parcel_id": ["b", "a", "c"], "score": [50.0, 50.0, 60.0]})
    >>> list(best_first(f))
    [2, 1, 0]
    """
    score = pd.to_numeric(frame["score"], errors="coerce").to_numpy(dtype=float)
    ok = np.flatnonzero(~np.isnan(score))
    order = np.lexsort((tie_key(frame)[ok], -score[ok]))
    return frame.index[ok[order]]
