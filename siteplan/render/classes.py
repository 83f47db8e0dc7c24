"""Score classes, one rule for every output: the HTML map's legend and the QGIS style.

Ties may leave fewer distinct scores than classes asked for; then there are as
many classes as distinct scores (mapclassify's own reduction, without its
warning). The lowest class starts at the lowest score, so a legend reads the
same range in the browser and in QGIS.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["score_classes"]


def score_classes(y, scheme: str = "quantiles", k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(upper bounds of the classes, class of each value) for the scores ``y``.

    ``y`` holds the scored sites only (no NaN). An empty ``y`` has no class;
    a single distinct score is one class.
    """
    import mapclassify

    y = np.asarray(y, dtype=float)
    n_unique = len(np.unique(y))
    if n_unique == 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    k_eff = min(k, n_unique)
    with warnings.catch_warnings():
        # mapclassify warns when ties leave fewer classes than asked; we use what it made
        warnings.simplefilter("ignore")
        if k_eff == 1:
            clf = mapclassify.UserDefined(y, [float(y.max())])
        else:
            clf = mapclassify.classify(y, scheme.replace("_", "").lower(), k=k_eff)
    return np.asarray(clf.bins, dtype=float), np.asarray(clf.yb, dtype=int)
