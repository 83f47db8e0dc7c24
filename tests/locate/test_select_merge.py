"""The covering program merges points covered by the very same sites, and its answer
stays the best set (checked against every set of k sites, by brute force)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy import sparse

from siteplan.locate.select import _merge_equal_columns, milp_cover


def _cover(columns: list[list[int]], n_sites: int) -> sparse.csc_matrix:
    rows = [i for col in columns for i in col]
    cols = [j for j, col in enumerate(columns) for _ in col]
    return sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_sites, len(columns)))


def _as_sets(cov: sparse.csc_matrix, w: np.ndarray) -> dict[frozenset, float]:
    cov = cov.tocsc()
    out: dict[frozenset, float] = {}
    for j in range(cov.shape[1]):
        key = frozenset(cov.indices[cov.indptr[j]:cov.indptr[j + 1]].tolist())
        out[key] = out.get(key, 0.0) + float(w[j])
    return out


def test_equal_columns_merge_and_their_people_add_up():
    # points: {0,1} x3 (2 + 3 + 4 people), {1} x2 (1 + 5), {2} (7), {0,2} (6)
    cov = _cover([[0, 1], [1], [0, 1], [2], [1], [1, 0], [0, 2]], 3)
    w = np.array([2.0, 1.0, 3.0, 7.0, 5.0, 4.0, 6.0])
    merged, mw = _merge_equal_columns(cov, w)
    assert merged.shape == (3, 4)
    got = _as_sets(merged, mw)
    assert len(got) == 4                       # one column per distinct set
    assert got == {frozenset({0, 1}): 9.0, frozenset({1}): 6.0, frozenset({2}): 7.0,
                   frozenset({0, 2}): 6.0}
    assert mw.sum() == pytest.approx(w.sum())


def test_columns_whose_sums_collide_but_whose_sites_differ_stay_apart():
    # with zero salt every column's sums are 0: all collide, and the site-by-site
    # comparison with the first column alone may merge
    cov = _cover([[0, 1], [0, 2], [0, 1], [1], [0, 1, 2], [2, 0]], 3)
    w = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    merged, mw = _merge_equal_columns(cov, w, salt=np.zeros((2, 3), dtype=np.int64))
    sets = []
    m = merged.tocsc()
    for j in range(m.shape[1]):
        sets.append((frozenset(m.indices[m.indptr[j]:m.indptr[j + 1]].tolist()), mw[j]))
    # the columns equal to the first merge with it; every other keeps its own sites
    assert (frozenset({0, 1}), 5.0) in sets
    assert (frozenset({1}), 8.0) in sets and (frozenset({0, 1, 2}), 16.0) in sets
    assert sorted(p for s, p in sets if s == frozenset({0, 2})) == [2.0, 32.0]
    assert len(sets) == 5 and mw.sum() == w.sum()


def test_same_sum_with_another_degree_is_not_merged():
    # salt chosen so that site 2's numbers equal sites 0 and 1 together
    salt = np.array([[1, 2, 3], [10, 20, 30]], dtype=np.int64)
    cov = _cover([[0, 1], [2], [0, 1]], 3)
    merged, mw = _merge_equal_columns(cov, np.array([1.0, 2.0, 3.0]), salt=salt)
    got = _as_sets(merged, mw)
    assert got == {frozenset({0, 1}): 4.0, frozenset({2}): 2.0}
    assert merged.shape[1] == 2


def _best_by_brute_force(cover: np.ndarray, w: np.ndarray, k: int) -> float:
    best = -1.0
    for chosen in combinations(range(cover.shape[0]), k):
        best = max(best, float(w[cover[list(chosen)].any(axis=0)].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_merged_program_reaches_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n_sites, n_pts, k = int(rng.integers(4, 9)), int(rng.integers(5, 40)), int(rng.integers(1, 4))
    # few distinct site sets, repeated: most points share their set with another
    sets = rng.random((int(rng.integers(2, 7)), n_sites)) < 0.35
    dense = sets[rng.integers(0, len(sets), size=n_pts)].T        # sites x points
    w = rng.integers(1, 20, size=n_pts).astype(float)
    cover = sparse.csr_matrix(dense.astype(float))
    chosen, status = milp_cover(cover, w, k)
    assert status == "optimal" and len(chosen) == min(k, n_sites)
    got = float(w[dense[chosen].any(axis=0)].sum())
    assert got == pytest.approx(_best_by_brute_force(dense, w, min(k, n_sites)), abs=1e-6)
