"""Score classes, one rule for every output: the HTML map's legend and the QGIS style.

Ties may leave fewer distinct scores than classes asked for; then there are as
many classes as distinct scores (mapclassify's own reduction, without its
warning). The lowest class starts at the lowest score, so a legend reads the
same range in the browser and in QGIS.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..words import fmt1

__all__ = ["score_classes", "class_labels", "ramp", "RDPU_9"]

# ColorBrewer RdPu, 9 classes (light to dark). The score ramp avoids greens
# and blues, which the green-space and water/constraint layers use.
RDPU_9 = ("#fff7f3", "#fde0dd", "#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e",
          "#7a0177", "#49006a")


def ramp(k: int) -> list[str]:
    """``k`` colours light to dark, skipping RdPu's two near-white shades."""
    if k <= 0:
        return []
    usable = RDPU_9[2:]
    if k == 1:
        return [usable[len(usable) // 2 + 1]]
    idx = np.round(np.linspace(0, len(usable) - 1, k)).astype(int)
    return [usable[i] for i in idx]


def class_labels(low, bins, lang: str, decimals: int = 1) -> list[str]:
    """Each class's range in the language's numbers, one decimal: ``"9,0 – 14,1"``.

    ``low`` is each class's lowest score (the lowest score, then the bins
    below), ``bins`` each class's upper bound; a class of one value reads
    that value. The HTML legend and the QGIS style read the same labels.

    Examples
    --------
    >>> class_labels([9.0, 14.1], [14.1, 14.1], "id")
    ['9,0 – 14,1', '14,1']
    >>> class_labels([1234.56], [2000.0], "en")
    ['1,234.6 – 2,000.0']
    """
    out = []
    for lo_v, hi_v in zip(low, bins, strict=True):
        lo, hi = fmt1(float(lo_v), decimals, lang), fmt1(float(hi_v), decimals, lang)
        out.append(hi if lo == hi else f"{lo} – {hi}")
    return out


def score_classes(y, scheme: str = "quantiles", k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(upper bounds of the classes, class of each value) for the scores ``y``.

    ``y`` holds the scored sites only (no NaN). An empty ``y`` has no class;
    a single distinct score is one class. Quantiles (the default) and a single
    class are computed here, as mapclassify computes them, without importing
    mapclassify (seconds on some machines: it compiles a function at import);
    the other schemes use mapclassify.
    """
    y = np.asarray(y, dtype=float).ravel()
    n_unique = len(np.unique(y))
    if n_unique == 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    k_eff = min(k, n_unique)
    if k_eff == 1:      # mapclassify.UserDefined(y, [max]): one class
        return np.array([float(y.max())]), np.zeros(len(y), dtype=int)
    if scheme.replace("_", "").lower() == "quantiles":
        bins = _quantile_bins(y, k_eff)
        return bins, _bin1d(y, bins)
    import mapclassify

    with warnings.catch_warnings():
        # mapclassify warns when ties leave fewer classes than asked; we use what it made
        warnings.simplefilter("ignore")
        clf = mapclassify.classify(y, scheme.replace("_", "").lower(), k=k_eff)
    return np.asarray(clf.bins, dtype=float), np.asarray(clf.yb, dtype=int)


def _quantile_bins(y: np.ndarray, k: int) -> np.ndarray:
    # mapclassify.classifiers.quantile: scipy's scoreatpercentile ('fraction') at 100/k,
    # 200/k, ... 100, operation for operation, then the distinct values
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    s = np.sort(y)
    q = []
    for per in p:
        idx = per / 100.0 * (len(s) - 1)
        i = int(idx)
        if i == idx:
            q.append(s[i])
        else:
            w0, w1 = (i + 1) - idx, idx - i
            q.append((s[i] * w0 + s[i + 1] * w1) / (w0 + w1))
    return np.unique(np.array(q, dtype=float))


def _bin1d(y: np.ndarray, bins: np.ndarray) -> np.ndarray:
    # mapclassify.classifiers.bin1d: class j holds bins[j-1] < y <= bins[j]; 0 below
    left = np.concatenate([[-np.inf], bins[:-1]])
    out = np.zeros(y.shape, dtype=int)
    for j in range(len(bins) - 1, -1, -1):
        out += (y > left[j]) * (y <= bins[j]) * j
    return out
