"""The compiled nearest-feature search is shapely's distance at any feature density.

From one feature to many times more features than parcels, points and
lines, with and without the saturation bound, and with grids of very coarse
and very fine cells: every distance is the double the obvious reference
(``shapely.distance`` to every feature, the least per parcel) gives.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from cikit import require

from siteplan.measures import _nearest

X0, Y0 = 620_000.0, 9_320_000.0


def reference(parcels, features, limit=None):
    d = shapely.distance(parcels[:, None], features[None, :]).min(axis=1)
    return d if limit is None else np.where(d > limit, np.inf, d)


def city(rng, n):
    """Small rectangles and rotated quads over 3 km, denser in the middle."""
    xy = np.clip(rng.normal(1500.0, 700.0, size=(n, 2)), 0.0, 3000.0) + (X0, Y0)
    w, h = rng.uniform(8.0, 60.0, size=(2, n))
    a = rng.uniform(0.0, np.pi, n) * (rng.random(n) < 0.5)
    c, s = np.cos(a), np.sin(a)
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    out = []
    for i in range(n):
        p = corners * (w[i], h[i])
        p = p @ np.array([[c[i], s[i]], [-s[i], c[i]]])
        out.append(shapely.Polygon(p + xy[i]))
    return np.array(out, dtype=object)


def features(rng, kind, k):
    xy = rng.uniform(-500.0, 3500.0, size=(k, 2)) + (X0, Y0)
    if kind == "points":
        return shapely.points(xy)
    step = rng.normal(0.0, 40.0, size=(k, 2))
    step[rng.random(k) < 0.3, 0] = 0.0          # axis-aligned pieces: ties
    return shapely.linestrings(np.stack([xy, xy + step], axis=1))


@pytest.mark.parametrize("kind", ["points", "lines"])
@pytest.mark.parametrize("k", [1, 10, 100, 1000, 5000])
def test_every_density_equals_shapely(kind, k):
    require("numba", extra="fast")
    assert _nearest.available(), "numba is installed: the compiled path must run here"
    rng = np.random.default_rng(1000 * k + (kind == "lines"))
    parcels = city(rng, 400)
    feats = features(rng, kind, k)
    for per_cell in (0.05, 1.0, 30.0):      # very coarse to very fine cells
        grid = _nearest.feature_grid(feats, per_cell=per_cell)
        for limit in (None, 250.0):
            d, unsure = _nearest.nearest(parcels, grid, limit, block=128)
            ref = reference(parcels, feats, limit)
            np.testing.assert_array_equal(d[~unsure], ref[~unsure])
            assert unsure.sum() <= 0.01 * len(parcels)
