"""Criterion weights: direct, or from an AHP pairwise comparison matrix."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError
from ..limits import MAX_CRITERIA, finite

__all__ = ["ahp_weights", "RANDOM_INDEX", "normalise_weights", "parse_matrix"]

# Saaty's random consistency index by matrix order (Saaty 1980, The Analytic
# Hierarchy Process, table 1.7; the values most software uses).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
CR_LIMIT = 0.10


#: AHP judgements lie within this factor of 1 (Saaty's scale is 1/9 to 9)
AHP_MAX = 1e6


def _entry(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if len(value) > 100:
            raise ValueError(value)
        return float(Fraction(value.strip()))
    raise ValueError(value)


def parse_matrix(matrix: Any, where: str = "AHP matrix") -> np.ndarray:
    """A pairwise comparison matrix as floats; entries may be "a/b" strings.

    Raises :class:`SiteplanInputError` unless it is square, positive and
    reciprocal (``a[j, i] == 1 / a[i, j]`` within 1%, so 0.33 stands for 1/3).
    """
    if isinstance(matrix, pd.DataFrame):
        matrix = matrix.to_numpy().tolist()
    rows = [list(r) for r in matrix] if isinstance(matrix, Sequence | np.ndarray) else None
    if not rows or any(len(r) != len(rows) for r in rows):
        shape = [len(r) for r in rows] if rows else matrix
        raise SiteplanInputError(Problem(where, f"must be square (n rows of n numbers), got "
                                         f"row lengths {shape}", "give one row and one column "
                                         "per criterion"))
    n = len(rows)
    if n > MAX_CRITERIA:
        raise SiteplanInputError(Problem(where, f"has {n} rows, over the limit of "
                                         f"{MAX_CRITERIA} criteria", "compare at most "
                                         f"{MAX_CRITERIA} criteria"))
    a = np.empty((n, n))
    bad = []
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            try:
                a[i, j] = _entry(v)
            except (ValueError, ZeroDivisionError, TypeError, OverflowError):
                text = repr(v)
                bad.append(f"[{i + 1},{j + 1}]={text if len(text) < 40 else text[:37] + '...'}")
    if bad:
        raise SiteplanInputError(Problem(where, f"entries must be numbers or 'a/b' fractions, "
                                         f"got {', '.join(bad[:5])}", "write 3 or \"1/3\""))
    problems = []
    with np.errstate(invalid="ignore"):
        nonpos = np.argwhere(~(a >= 1 / AHP_MAX) | ~(a <= AHP_MAX))
    if len(nonpos):
        cells = ", ".join(f"[{i + 1},{j + 1}]={a[i, j]:g}" for i, j in nonpos[:5])
        problems.append(Problem(where, f"entries must be positive numbers from 1/{AHP_MAX:g} "
                                f"to {AHP_MAX:g}, got {cells}",
                                "use Saaty's scale 1/9 .. 9 (1 = equally important)"))
    else:
        diag = np.flatnonzero(np.abs(np.diag(a) - 1) > 1e-9)
        if len(diag):
            problems.append(Problem(where, f"the diagonal must be 1, got "
                                    f"{', '.join(f'[{i + 1},{i + 1}]={a[i, i]:g}' for i in diag)}",
                                    "a criterion is equally important as itself: put 1"))
        prod = a * a.T
        # within 1 % inclusive (3 x 0.33 = 9 x 0.11 = 0.99), with room for binary rounding
        off = np.argwhere(np.triu(np.abs(prod - 1) > 0.01 + 1e-9, 1))
        if len(off):
            cells = ", ".join(f"[{i + 1},{j + 1}]={a[i, j]:g} and [{j + 1},{i + 1}]="
                              f"{a[j, i]:g}" for i, j in off[:5])
            problems.append(Problem(where, f"must be reciprocal (a[j,i] = 1/a[i,j]), but "
                                    f"{cells}", "write the lower triangle as 1/x of the upper"))
    if problems:
        raise SiteplanInputError(problems)
    return a


def ahp_weights(matrix: Any, *, allow_inconsistent: bool = False
                ) -> tuple[np.ndarray | pd.Series, float]:
    """AHP weights (principal eigenvector) and Saaty's consistency ratio.

    Parameters
    ----------
    matrix
        Square positive reciprocal matrix: nested lists (numbers or "a/b"
        strings), a NumPy array, or a DataFrame (then the weights are a Series
        on its index).
    allow_inconsistent
        By default a consistency ratio above 0.10 (Saaty's limit) raises
        :class:`SiteplanInputError` with the ratio in the message; True
        returns the weights anyway.

    Returns
    -------
    weights, consistency_ratio
        Weights summing to 1; CR = ((lambda_max - n) / (n - 1)) / RI(n), 0 for
        n <= 2.

    Examples
    --------
    >>> w, cr = ahp_weights([[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]])
    >>> [round(float(x), 3) for x in w], round(cr, 3)
    ([0.637, 0.258, 0.105], 0.033)
    """
    index = matrix.index if isinstance(matrix, pd.DataFrame) else None
    a = parse_matrix(matrix)
    n = len(a)
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    lam = float(values[k].real)
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    if n <= 2:
        cr = 0.0
    else:
        ri = RANDOM_INDEX.get(n, 1.59)
        cr = max(0.0, (lam - n) / (n - 1) / ri)
    if not allow_inconsistent and cr > CR_LIMIT:
        raise SiteplanInputError(Problem(
            "AHP matrix", f"consistency ratio CR = {cr:.3f} is above {CR_LIMIT:.2f}: the "
            "pairwise judgements contradict each other",
            "revise the comparisons (look for a > b, b > c but c > a), or set "
            "allow_inconsistent = true in the profile"))
    if index is not None:
        return pd.Series(w, index=index, name="weight"), cr
    return w, cr


def normalise_weights(weights: Mapping[str, Any], where: str = "weights") -> dict[str, float]:
    """Direct weights scaled to sum to 1; negative, non-numeric or all-zero weights raise.

    The weights are divided by the largest first, so any finite weights (up to
    ``1e308``) normalise without overflow; infinite, NaN and integers beyond a
    float's range are refused.
    """
    problems = []
    for name, value in weights.items():
        if not finite(value):
            text = f"an integer of {len(str(abs(value)))} digits" if isinstance(
                value, int) and not isinstance(value, bool) else repr(value)
            kind = "a finite number" if isinstance(value, Real) and not isinstance(
                value, bool) else "a number"
            problems.append(Problem(where, f"weight of '{name}' must be {kind}, got {text}",
                                    "write weight = 0.3"))
        elif value < 0:
            problems.append(Problem(where, f"weight of '{name}' is negative ({value})",
                                    "weights must be >= 0; drop a criterion instead of giving "
                                    "it a negative weight"))
    if problems:
        raise SiteplanInputError(problems)
    top = max((float(v) for v in weights.values()), default=0.0)
    if top <= 0:
        raise SiteplanInputError(Problem(where, "all weights are zero",
                                         "give at least one criterion a positive weight"))
    total = float(sum(weights.values()))
    if math.isfinite(total):
        return {k: float(v) / total for k, v in weights.items()}
    scaled = {k: float(v) / top for k, v in weights.items()}   # each in [0, 1]: no overflow
    total = sum(scaled.values())
    return {k: v / total for k, v in scaled.items()}
