"""Access measures equal PySAL access's on the same inputs, and hand-worked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from siteplan import SiteplanInputError, locate

access_pkg = pytest.importorskip("access")


def _instance(seed: int, n: int = 40, m: int = 9, missing: float = 0.15):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 90, (n, m)).round(2)
    cost[rng.random((n, m)) < missing] = np.inf        # pairs with no route
    people = rng.integers(50, 5000, n).astype(float)
    supply = rng.integers(0, 8, m).astype(float)
    supply[0] = 3.0
    pts = rng.uniform(0, 60, (n, 2))
    demand_cost = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    return cost, people, supply, demand_cost


def _peer(cost, people, supply, demand_cost=None):
    """An ``access.Access`` on the same inputs: long tables with the finite pairs only."""
    i, j = np.nonzero(np.isfinite(cost))
    cost_df = pd.DataFrame({"origin": i, "dest": j, "cost": cost[i, j]})
    kw = {}
    if demand_cost is not None:
        a, b = np.nonzero(np.isfinite(demand_cost))
        kw = {"neighbor_cost_df": pd.DataFrame({"origin": a, "dest": b,
                                                "cost": demand_cost[a, b]}),
              "neighbor_cost_origin": "origin", "neighbor_cost_dest": "dest",
              "neighbor_cost_name": "cost"}
    return _quiet(
        access_pkg.Access,
        demand_df=pd.DataFrame({"geoid": np.arange(len(people)), "pop": people}),
        demand_index="geoid", demand_value="pop",
        supply_df=pd.DataFrame({"geoid": np.arange(len(supply)), "doc": supply}),
        supply_index="geoid", supply_value="doc", cost_df=cost_df, cost_origin="origin",
        cost_dest="dest", cost_name="cost", **kw)


def _theirs(frame: pd.DataFrame, n: int) -> np.ndarray:
    return frame.iloc[:, 0].reindex(np.arange(n)).to_numpy(dtype=float)


def _same(ours: np.ndarray, theirs: np.ndarray, *, missing_is: float = 0.0) -> None:
    """Equal to 1e-9 where access has a value; where it leaves a row out, ``missing_is``."""
    have = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[have], theirs[have], rtol=1e-9, atol=1e-12)
    if np.isnan(missing_is):
        assert np.isnan(ours[~have]).all()
    else:
        assert (ours[~have] == missing_is).all()


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():  # access and pandas notices about access's own code
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_floating_catchments_equal_access(seed):
    cost, people, supply, _ = _instance(seed)
    n = len(people)
    peer = _peer(cost, people, supply)
    for radius in (30.0, 60.0):
        _same(locate.access(cost, people, supply, method="2sfca", radius=radius),
              _theirs(_quiet(peer.two_stage_fca, name="a", max_cost=radius), n))
        _same(locate.access(cost, people, supply, method="gravity", radius=radius),
              _theirs(_quiet(peer.weighted_catchment, name="g", max_cost=radius), n))
    # access's default bands for E2SFCA (10, 20, 30) and 3SFCA (10, 20, 30, 60) are
    # siteplan's at thirds and sixths of radius
    _same(locate.access(cost, people, supply, method="e2sfca", radius=30.0),
          _theirs(_quiet(peer.enhanced_two_stage_fca, name="e", max_cost=30.0), n))
    _same(locate.access(cost, people, supply, method="3sfca", radius=60.0),
          _theirs(_quiet(peer.three_stage_fca, name="t", max_cost=60.0), n))


@pytest.mark.parametrize("seed", [3, 4])
def test_decay_functions_equal_access(seed):
    from access import weights

    cost, people, supply, _ = _instance(seed)
    n = len(people)
    peer = _peer(cost, people, supply)
    pairs = ((locate.gravity_weights(20, -1.5, 1), weights.gravity(20, -1.5, 1)),
             (locate.gaussian_weights(25), weights.gaussian(25)),
             (locate.step_weights({15: 1, 45: 0.5, 70: 0.1}),
              weights.step_fn({15: 1, 45: 0.5, 70: 0.1})))
    for ours_fn, their_fn in pairs:
        _same(locate.access(cost, people, supply, method="gravity", weight=ours_fn),
              _theirs(_quiet(peer.weighted_catchment, name="g", weight_fn=their_fn), n))
        _same(locate.access(cost, people, supply, method="2sfca", radius=70, weight=ours_fn),
              _theirs(_quiet(peer.two_stage_fca, name="a", max_cost=70,
                             weight_fn=their_fn), n))
        _same(locate.access(cost, people, supply, method="3sfca", radius=70, weight=ours_fn),
              _theirs(_quiet(peer.three_stage_fca, name="t", max_cost=70,
                             weight_fn=their_fn), n))


@pytest.mark.parametrize("seed", [5, 6])
def test_fca_ratio_equals_access(seed):
    cost, people, supply, demand_cost = _instance(seed)
    peer = _peer(cost, people, supply, demand_cost)
    for radius in (20.0, 45.0):
        _same(locate.access(cost, people, supply, method="fca", radius=radius,
                            demand_cost=demand_cost),
              _theirs(_quiet(peer.fca_ratio, name="f", max_cost=radius), len(people)))


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_raam_equals_access(seed):
    cost, people, supply, _ = _instance(seed, missing=0.0)
    people[3] = 0.0  # no people: no RAAM cost (access leaves the row out)
    peer = _peer(cost, people, supply)
    for tau in (60.0, 15.0):
        _same(locate.access(cost, people, supply, method="raam", tau=tau),
              _theirs(_quiet(peer.raam, name="r", tau=tau), len(people)),
              missing_is=np.nan)


def test_two_step_by_hand():
    # radius 500: site 0 reaches rows 0, 1 (30 people), site 1 rows 1, 2 (50 people)
    cost = np.array([[100., 900.], [400., 300.], [2000., 200.]])
    got = locate.access(cost, [10, 20, 30], [1, 2], method="2sfca", radius=500)
    np.testing.assert_allclose(got, [1 / 30, 1 / 30 + 2 / 50, 2 / 50])
    grav = locate.access(cost, [10, 20, 30], [1, 2], method="gravity", radius=500)
    np.testing.assert_allclose(grav, [1, 3, 2])


def test_access_bad_input():
    with pytest.raises(SiteplanInputError, match="unknown method 'g2sfca'.*2sfca"):
        locate.access(np.ones((2, 2)), [1, 1], [1, 1], method="g2sfca")
    with pytest.raises(SiteplanInputError, match="e2sfca needs radius"):
        locate.access(np.ones((2, 2)), [1, 1], [1, 1], method="e2sfca")
    with pytest.raises(SiteplanInputError, match="fca needs demand_cost"):
        locate.access(np.ones((2, 2)), [1, 1], [1, 1], method="fca", radius=1)
    with pytest.raises(SiteplanInputError, match=r"demand has shape \(3,\), expected \(2,\)"):
        locate.access(np.ones((2, 2)), [1, 1, 1], [1, 1])
