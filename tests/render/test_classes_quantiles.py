"""Score classes without mapclassify's import: quantiles and one class as mapclassify makes them.

``siteplan map`` and the QGIS style class scores by quantiles; siteplan
computes them itself (mapclassify compiles a function when imported, seconds
on a loaded machine). The bounds and classes must be mapclassify's to the
last bit, ties and repeated values included.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from siteplan.render.classes import score_classes


def _mapclassify(y, k):
    import mapclassify

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = len(np.unique(y))
        clf = (mapclassify.UserDefined(y, [float(y.max())]) if min(k, n) == 1
               else mapclassify.classify(y, "quantiles", k=min(k, n)))
    return np.asarray(clf.bins, dtype=float), np.asarray(clf.yb, dtype=int)


@pytest.mark.parametrize("seed", range(40))
def test_quantiles_are_mapclassifys(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    kind = seed % 4
    if kind == 0:
        y = rng.uniform(0, 100, n)
    elif kind == 1:     # heavy ties
        y = rng.integers(0, 6, n).astype(float) * 12.5
    elif kind == 2:     # scores of a real-looking spread, rounded
        y = np.round(np.clip(rng.normal(55, 20, n), 0, 100), 2)
    else:               # one value, or nearly
        y = np.full(n, 42.0)
        y[: int(rng.integers(0, 3))] = 7.0
    for k in (1, 2, 3, 5, 7, 10):
        bins, yb = score_classes(y, "quantiles", k)
        ref_bins, ref_yb = _mapclassify(y, k)
        np.testing.assert_array_equal(bins, ref_bins)
        np.testing.assert_array_equal(yb, ref_yb)


def test_map_classes_do_not_import_mapclassify():
    code = ("import sys, numpy as np\n"
            "from siteplan.render.classes import score_classes\n"
            "score_classes(np.arange(100.0), 'quantiles', 5)\n"
            "score_classes(np.full(3, 1.0), 'quantiles', 5)\n"
            "print('mapclassify' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
