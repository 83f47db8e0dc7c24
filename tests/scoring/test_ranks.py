"""``rank_columns`` against pandas' own ranking (``rank(method="min")`` and counts of equals)."""

import numpy as np
import pandas as pd
import pytest

from siteplan.scoring.ranks import rank_columns


def _pandas(score: np.ndarray) -> tuple[list, list]:
    s = pd.Series(score)
    rank = s.rank(ascending=False, method="min")
    shared = s.map(s.value_counts()).where(s.notna())
    return (pd.array(rank, dtype="Int64").tolist(), pd.array(shared, dtype="Int64").tolist())


@pytest.mark.parametrize("seed", range(12))
def test_ranks_and_shared_as_pandas_gives_them(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    score = np.round(rng.uniform(0, 100, n), int(rng.integers(0, 3)))   # many ties
    score[rng.random(n) < 0.2] = np.nan
    score[rng.random(n) < 0.05] = 0.0
    score[rng.random(n) < 0.05] = -0.0
    score[rng.random(n) < 0.02] = np.inf
    rank, shared = rank_columns(score)
    assert str(rank.dtype) == str(shared.dtype) == "Int64"
    assert (rank.tolist(), shared.tolist()) == _pandas(score)


def test_by_hand():
    rank, shared = rank_columns(np.array([50.0, np.nan, 70.0, 50.0, -0.0, 0.0, 70.0, 50.0]))
    assert rank.tolist() == [3, pd.NA, 1, 3, 6, 6, 1, 3]
    assert shared.tolist() == [3, pd.NA, 2, 3, 2, 2, 2, 3]


@pytest.mark.parametrize("score", [np.array([]), np.array([np.nan, np.nan])])
def test_nothing_scored(score):
    rank, shared = rank_columns(score)
    assert len(rank) == len(score) and rank.isna().all() and shared.isna().all()
