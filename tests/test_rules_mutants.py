"""Tests written for the mutants mutmut found alive (docs/mutation-report.md).

Each expected value is worked out by hand in the comment beside it, on a tiny
world of whole-metre boxes. pytest runs with ``filterwarnings = error``, so a
transform that warns on an extreme input fails here.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan.profiles import profile_from_dict
from siteplan.transforms import TRANSFORMS

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def frame(geoms, **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=CRS)


def fn(name):
    return TRANSFORMS[name][0]


def measured(parcels: dict, criterion: dict, **extra) -> dict[str, float]:
    """Parcel id -> the criterion's measured value, scored through sp.score."""
    ids = list(parcels)
    layers = sp.load_layers(parcels=frame(parcels.values(), parcel_id=ids), extra=extra)
    prof = profile_from_dict({"name": "mutants", "title": {"en": "t"},
                              "criteria": [{"name": "c", "weight": 1, **criterion}]})
    res = sp.score(layers, prof).set_index("parcel_id")
    return {i: float(res.loc[i, "m_c"]) for i in ids}


# ------------------------------------------------------------------------ transforms


def test_default_spreads_by_hand():
    # fuzzy_small, spread 5: 1 / (1 + (200/100)^5) = 1/33; fuzzy_large: 1 / (1 + 2^-5) = 32/33
    assert fn("fuzzy_small")(np.array([200.0]), midpoint=100.0)[0] == pytest.approx(1 / 33)
    assert fn("fuzzy_large")(np.array([200.0]), midpoint=100.0)[0] == pytest.approx(32 / 33)
    # gaussian, spread 0.1: exp(-0.1 * 1^2); near, spread 0.1: 1 / (1 + 0.1 * 2^2) = 1/1.4
    assert fn("fuzzy_gaussian")(np.array([11.0]), midpoint=10.0)[0] == \
        pytest.approx(np.exp(-0.1))
    assert fn("fuzzy_near")(np.array([12.0]), midpoint=10.0)[0] == pytest.approx(1 / 1.4)


X_EDGE = np.array([0.0, 1e200, np.inf, np.nan, -1e200])


@pytest.mark.parametrize(("name", "params", "expected"), [
    # 0 -> 1; (1e198)^5 overflows to inf -> 0; inf -> 0; NaN stays; negative -> as 0 -> 1
    ("fuzzy_small", {"midpoint": 100.0, "spread": 5.0}, [1.0, 0.0, 0.0, np.nan, 1.0]),
    # 0 -> 0 (0^-5 is a division by zero); (1e198)^-5 -> 0 -> 1; inf -> 1; NaN; negative -> 0
    ("fuzzy_large", {"midpoint": 100.0, "spread": 5.0}, [0.0, 1.0, 1.0, np.nan, 0.0]),
    # exp(-0.5 * 100) at 0; (1e200 - 10)^2 overflows to inf -> exp(-inf) = 0
    ("fuzzy_gaussian", {"midpoint": 10.0, "spread": 0.5},
     [np.exp(-50.0), 0.0, 0.0, np.nan, 0.0]),
    # 1 / (1 + 0.5 * 100) at 0; overflow -> 1 / inf = 0
    ("fuzzy_near", {"midpoint": 10.0, "spread": 0.5}, [1 / 51, 0.0, 0.0, np.nan, 0.0]),
])
def test_memberships_at_huge_infinite_and_missing_values_without_warnings(name, params,
                                                                         expected):
    got = fn(name)(X_EDGE.copy(), **params)   # a warning would be an error here
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


# ------------------------------------------------------------------------ overlap_share


def test_overlap_share_dissolves_overlapping_features_and_keeps_the_where_filter():
    # parcel P 10 x 10 = 100 m²; two flood zones overlapping each other over x in [-5, 5]
    # and [-2, 4]: their union covers x in [0, 5] of P, 50 m² -> 0.5 (not 50 + 40 = 0.9);
    # a third zone of another kind over the rest of P is filtered out by `where`
    zones = frame([box(-5, 0, 5, 10), box(-2, 0, 4, 10), box(5, 0, 10, 10)],
                  kind=["banjir", "banjir", "genangan"])
    got = measured({"P": box(0, 0, 10, 10), "Q": box(100, 0, 110, 10)},
                   {"measure": "overlap_share", "layer": "zones",
                    "where": {"kind": ["banjir"]},
                    "transform": {"type": "linear", "best": 0, "worst": 1}}, zones=zones)
    assert got == {"P": pytest.approx(0.5, abs=1e-12), "Q": 0.0}
