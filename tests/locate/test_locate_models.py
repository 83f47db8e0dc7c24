"""Location models on plain cost matrices: objectives equal spopt's, and hand-worked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from siteplan import SiteplanInputError, locate

pulp = pytest.importorskip("pulp")


def _instance(seed: int, n: int = 30, m: int = 12):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1000, (n, 2))
    sites = rng.uniform(0, 1000, (m, 2))
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    site_cost = np.hypot(*(sites[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    weights = rng.integers(1, 20, n).astype(float)
    return cost, site_cost, weights


def _cbc():
    return pulp.PULP_CBC_CMD(msg=False)


def _spopt(name: str, cost, **kw):
    """spopt's optimum; PuLP's deprecation notices about its own 4.0 API are silenced here only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulp\.")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"spopt\.")
        return _spopt_run(name, cost, **kw)


def _spopt_run(name: str, cost, *, weights=None, k=None, radius=None, capacity=None,
               fixed=None):
    # imported here, not at collection (1.3 s): only the worker that runs these tests pays it
    spopt_locate = pytest.importorskip("spopt.locate")
    pre = None
    if fixed is not None:
        pre = np.zeros(cost.shape[1], dtype=int)
        pre[list(fixed)] = 1
    if name == "lscp":
        model = spopt_locate.LSCP.from_cost_matrix(cost, radius, predefined_facilities_arr=pre)
        model = model.solve(_cbc())
    elif name == "lscpb":
        model = spopt_locate.LSCPB.from_cost_matrix(cost, radius, _cbc(),
                                                    predefined_facilities_arr=pre).solve()
    elif name == "mclp":
        model = spopt_locate.MCLP.from_cost_matrix(cost, weights, radius, k,
                                                   predefined_facilities_arr=pre)
        model = model.solve(_cbc())
    elif name in {"pmedian", "cpmedian"}:
        model = spopt_locate.PMedian.from_cost_matrix(
            cost, weights, k, predefined_facilities_arr=pre,
            facility_capacities=None if capacity is None else np.asarray(capacity, float))
        model = model.solve(_cbc())
    elif name == "pcenter":
        model = spopt_locate.PCenter.from_cost_matrix(cost, k, predefined_facilities_arr=pre)
        model = model.solve(_cbc())
    elif name == "pdispersion":
        model = spopt_locate.PDispersion.from_cost_matrix(cost, k,
                                                          predefined_facilities_arr=pre)
        model = model.solve(_cbc())
    else:
        raise AssertionError(name)
    if name in {"pcenter", "pdispersion"}:
        # the objective is a continuous variable that CBC prints with few digits:
        # take the value of spopt's chosen sites instead
        chosen = [j for j, v in enumerate(model.fac_vars) if v.value() > 0.5]
        return locate.objective_of(name, cost, chosen)
    return float(model.problem.objective.value())


def _single_covered(cost, radius):
    """Rows within radius of exactly one site: spopt's LSCP-B counts them as backed up."""
    return int(((cost <= radius).sum(axis=1) == 1).sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [2, 4])
def test_k_models_equal_spopt(seed, k):
    cost, site_cost, w = _instance(seed)
    for name, kw in (("mclp", {"radius": 250.0}), ("pmedian", {}), ("pcenter", {})):
        ours = locate.solve(name, cost, weights=None if name == "pcenter" else w, k=k, **kw)
        theirs = _spopt(name, cost, weights=w, k=k, **kw)
        assert ours.objective == pytest.approx(theirs, rel=1e-9, abs=1e-9), name
        assert ours.k == k and ours.gap == 0.0 and ours.bound == ours.objective
        # the objective is what the chosen sites give
        assert ours.objective == pytest.approx(locate.objective_of(
            name, cost, ours.chosen, weights=None if name == "pcenter" else w, **kw))
    ours = locate.solve("pdispersion", site_cost, k=k)
    assert ours.objective == pytest.approx(_spopt("pdispersion", site_cost, k=k), rel=1e-9)


@pytest.mark.parametrize("seed", [0, 3, 4])
def test_covering_models_equal_spopt(seed):
    cost, _, _ = _instance(seed)
    radius = float(np.max(cost.min(axis=1))) * 1.3  # every row coverable
    ours = locate.solve("lscp", cost, radius=radius)
    assert ours.objective == _spopt("lscp", cost, radius=radius)
    assert ours.covered.all()
    backup = locate.solve("lscpb", cost, radius=radius)
    assert backup.k == ours.k
    # spopt counts rows that only one site can reach as backed up; siteplan does not
    assert backup.objective + _single_covered(cost, radius) == \
        _spopt("lscpb", cost, radius=radius)


@pytest.mark.parametrize("seed", [5, 6])
def test_capacitated_pmedian_equals_spopt(seed):
    cost, _, w = _instance(seed, n=20, m=8)
    cap = np.full(8, w.sum() / 3 + 1.0)
    ours = locate.solve("cpmedian", cost, weights=w, k=4, capacity=cap)
    assert ours.objective == pytest.approx(_spopt("cpmedian", cost, weights=w, k=4,
                                                  capacity=cap), rel=1e-9)
    load = np.bincount(ours.assignment, weights=w, minlength=8)
    assert (load <= cap + 1e-9).all() and set(ours.assignment) <= set(ours.chosen)


def test_fixed_sites_equal_spopt_predefined():
    cost, site_cost, w = _instance(7)
    fixed = [3, 9]
    for name, kw in (("pmedian", {"weights": w}), ("mclp", {"weights": w, "radius": 250.0}),
                     ("pcenter", {})):
        ours = locate.solve(name, cost, k=4, fixed=fixed, **kw)
        assert set(fixed) <= set(ours.chosen.tolist())
        assert ours.objective == pytest.approx(_spopt(name, cost, k=4, fixed=fixed, **kw),
                                               rel=1e-9)
    ours = locate.solve("pdispersion", site_cost, k=3, fixed=fixed)
    assert ours.objective == pytest.approx(_spopt("pdispersion", site_cost, k=3,
                                                  fixed=fixed), rel=1e-9)


def test_excluded_sites_equal_spopt_without_those_columns():
    cost, _, w = _instance(8)
    excluded = [0, 1, 5]
    keep = np.setdiff1d(np.arange(cost.shape[1]), excluded)
    ours = locate.solve("pmedian", cost, weights=w, k=3, excluded=excluded)
    assert not set(excluded) & set(ours.chosen.tolist())
    assert ours.objective == pytest.approx(_spopt("pmedian", cost[:, keep], weights=w, k=3),
                                           rel=1e-9)


def test_spopt_lattice_example_shape():
    """spopt's documented example: 100 clients and 5 facilities on a 10 x 10 lattice."""
    spaghetti = pytest.importorskip("spaghetti")
    import geopandas
    from spopt.locate.util import simulated_geo_points

    with warnings.catch_warnings():  # libpysal and spaghetti warn about their own APIs
        warnings.simplefilter("ignore")
        lattice = spaghetti.regular_lattice((0, 0, 10, 10), 9, exterior=True)
        ntw = spaghetti.Network(in_data=lattice)
        streets = spaghetti.element_as_gdf(ntw, arcs=True)
        buffered = geopandas.GeoDataFrame(
            geopandas.GeoSeries(streets["geometry"].buffer(0.2).union_all()),
            crs=streets.crs, columns=["geometry"])
        clients = simulated_geo_points(buffered, needed=100, seed=5)
        facilities = simulated_geo_points(buffered, needed=5, seed=6)
        ntw.snapobservations(clients, "clients", attribute=True)
        ntw.snapobservations(facilities, "facilities", attribute=True)
        cost = ntw.allneighbordistances(sourcepattern=ntw.pointpatterns["clients"],
                                        destpattern=ntw.pointpatterns["facilities"])
    w = np.random.default_rng(0).integers(1, 12, 100).astype(float)
    assert locate.solve("lscp", cost, radius=8).objective == _spopt("lscp", cost, radius=8)
    for name, kw in (("mclp", {"radius": 7.0, "weights": w}), ("pmedian", {"weights": w}),
                     ("pcenter", {})):
        ours = locate.solve(name, cost, k=4, **kw)
        assert ours.objective == pytest.approx(_spopt(name, cost, k=4, **kw), rel=1e-9)


# hand-worked cases -------------------------------------------------------------------------

HAND = np.array([[0., 4., 9.], [3., 1., 8.], [9., 5., 1.], [8., 6., 2.]])


def test_pmedian_by_hand():
    # {0,2}: 0 + 3 + 1 + 2*2 = 8; {1,2}: 4 + 1 + 1 + 4 = 10; {0,1}: 0 + 1 + 5 + 12 = 18
    plan = locate.solve("pmedian", HAND, weights=[1, 1, 1, 2], k=2)
    assert plan.chosen.tolist() == [0, 2] and plan.objective == 8.0
    assert plan.assignment.tolist() == [0, 0, 2, 2]
    assert plan.cost.tolist() == [0.0, 3.0, 1.0, 2.0]


def test_pcenter_and_covering_by_hand():
    assert locate.solve("pcenter", HAND, k=2).objective == 3.0   # {0,2}: worst row 1 at 3
    assert locate.solve("pcenter", HAND, k=1).objective == 6.0   # site 1: worst row 3 at 6
    assert locate.solve("lscp", HAND, radius=4).objective == 2.0
    assert locate.solve("lscp", HAND, radius=9).objective == 1.0
    # radius 4 with two sites: rows 0 and 1 reach sites 0 and 1, rows 2, 3 only site 2
    assert locate.solve("lscpb", HAND, radius=4).objective == 0.0
    assert locate.solve("mclp", HAND, radius=2, k=1, weights=[1, 1, 1, 2]).objective == 3.0


def test_pdispersion_by_hand():
    sc = np.array([[0, 5, 9], [5, 0, 3], [9, 3, 0.]])
    assert locate.solve("pdispersion", sc, k=2).chosen.tolist() == [0, 2]
    assert locate.solve("pdispersion", sc, k=3).objective == 3.0


def test_preference_breaks_ties_among_equal_optima():
    cost = np.array([[1.0, 1.0, 5.0], [5.0, 5.0, 1.0]])
    for prefer, want in (([0, 10, 0], [1, 2]), ([10, 0, 0], [0, 2])):
        plan = locate.solve("pmedian", cost, k=2, prefer=prefer)
        assert plan.chosen.tolist() == want and plan.objective == 2.0
        assert locate.solve("pcenter", cost, k=2, prefer=prefer).chosen.tolist() == want
        assert locate.solve("lscp", cost, radius=1, prefer=prefer).chosen.tolist() == want


def test_spacing_and_groups():
    cost = np.array([[1.0, 9.0, 9.0], [9.0, 1.0, 9.0], [9.0, 9.0, 1.0]])
    w = [5, 5, 1]
    sc = np.array([[0, 100, 900], [100, 0, 900], [900, 900, 0.]])
    free = locate.solve("pmedian", cost, weights=w, k=2, site_cost=sc)
    assert free.chosen.tolist() == [0, 1] and free.objective == 5 + 5 + 9
    spaced = locate.solve("pmedian", cost, weights=w, k=2, site_cost=sc, min_spacing=200)
    assert 2 in spaced.chosen.tolist() and spaced.objective == 5 + 45 + 1
    grouped = locate.solve("pmedian", cost, weights=w, k=2, groups=["a", "a", "b"])
    assert 2 in grouped.chosen.tolist() and grouped.objective == 51


def test_bad_input_names_argument_value_and_fix():
    with pytest.raises(SiteplanInputError, match="unknown model 'median'.*pmedian"):
        locate.solve("median", HAND, k=2)
    with pytest.raises(SiteplanInputError, match="k=7 but the cost matrix has only 3 sites"):
        locate.solve("pmedian", HAND, k=7)
    with pytest.raises(SiteplanInputError, match="needs capacity"):
        locate.solve("cpmedian", HAND, k=2)
    with pytest.raises(SiteplanInputError, match="radius must be a finite number"):
        locate.solve("lscp", HAND)
    with pytest.raises(SiteplanInputError, match=r"no allowed site within radius=0\.5.*raise "
                       "radius to at least 2"):
        locate.solve("lscp", HAND, radius=0.5)
    with pytest.raises(SiteplanInputError, match="both fixed and excluded"):
        locate.solve("pmedian", HAND, k=2, fixed=[1], excluded=[1])
    bad = HAND.copy()
    bad[0, 0] = np.nan
    with pytest.raises(SiteplanInputError, match="NaN, negative"):
        locate.solve("pmedian", bad, k=2)
    with pytest.raises(SiteplanInputError, match="less than the total demand"):
        locate.solve("cpmedian", HAND, k=2, capacity=1.0)
    with pytest.raises(SiteplanInputError, match="k=2 does not apply"):
        locate.solve("lscp", HAND, radius=4, k=2)


def test_plan_is_frozen_and_serialisable():
    import dataclasses
    import json

    plan = locate.solve("pmedian", HAND, k=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.objective = 0.0
    with pytest.raises(ValueError, match="read-only"):
        plan.chosen[0] = 1
    assert json.loads(json.dumps(plan.to_dict()))["chosen"] == [0, 2]


def test_solver_limit_is_its_own_error_or_an_honest_plan():
    """A time limit is not bad input: a SiteplanSolverError, or a plan that says it stopped."""
    cost, _, w = _instance(11, n=150, m=60)
    try:
        plan = locate.solve("cpmedian", cost, weights=w, k=6, capacity=w.sum() / 4,
                            time_limit=0.01)
    except locate.SiteplanSolverError as exc:
        assert "cpmedian" in str(exc) and "time_limit" in str(exc)
        assert not isinstance(exc, SiteplanInputError)
    else:
        assert plan.status != "optimal" or plan.gap == 0.0
        assert plan.bound <= plan.objective + 1e-9


def test_capacitated_split_by_hand():
    # k=2, total demand 5: rows 0-1 (weight 1) near site 0, rows 2-3 (weights 1, 2) near 2
    split = locate.solve("cpmedian", HAND, weights=[1, 1, 1, 2], k=2, capacity=2.5,
                         single_source=False)
    # {0, 2}: row 3 puts 1.5 at site 2 (cost 2) and 0.5 at site 0 (cost 8): 0 + 3 + 1 + 3 + 4
    assert split.chosen.tolist() == [0, 2] and split.objective == pytest.approx(11.0)
    with pytest.raises(SiteplanInputError, match="no set of sites meets every rule"):
        locate.solve("cpmedian", HAND, weights=[1, 1, 1, 2], k=2, capacity=2.5)  # 3 + 2
    whole = locate.solve("cpmedian", HAND, weights=[1, 1, 1, 2], k=2, capacity=3)
    assert whole.objective == 8.0 and whole.assignment.tolist() == [0, 0, 2, 2]


def _brute_pmedian(cost, w, k, fixed=(), excluded=(), site_cost=None, spacing=0.0):
    """The least p-median cost over every choice of k sites (plain itertools)."""
    from itertools import combinations

    free = [j for j in range(cost.shape[1]) if j not in fixed and j not in excluded]
    best = np.inf
    for rest in combinations(free, k - len(fixed)):
        pick = list(fixed) + list(rest)
        if site_cost is not None and any(site_cost[a, b] < spacing
                                         for a, b in combinations(pick, 2)):
            continue
        best = min(best, float(w @ cost[:, pick].min(axis=1)))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
@pytest.mark.parametrize("k", [2, 3])
def test_pmedian_on_short_lists_stays_optimal(monkeypatch, seed, k):
    """The p-median first solves each row on its nearest sites only: with lists of one
    or two sites it needs several rounds, and still ends at spopt's (and brute force's)
    optimum, with fixed and excluded sites, spacing and a preference among equal optima."""
    from siteplan.locate import models

    rounds = []
    real = models.run
    monkeypatch.setattr(models, "run", lambda prog, **kw: rounds.append(prog.n) or
                        real(prog, **kw))
    monkeypatch.setattr(models, "_NEAREST", 1)
    monkeypatch.setattr(models, "_PER_SITE", 0)
    cost, site_cost, w = _instance(seed, n=25, m=14)
    ours = locate.solve("pmedian", cost, weights=w, k=k)
    assert ours.objective == pytest.approx(_spopt("pmedian", cost, weights=w, k=k), rel=1e-9)
    assert ours.objective == pytest.approx(_brute_pmedian(cost, w, k), rel=1e-12)
    assert ours.bound == pytest.approx(ours.objective, rel=1e-9) and ours.gap == 0.0
    assert len(rounds) >= 2                                  # the lists had to grow
    assert rounds[0] < 14 + 25 * 14                          # the first round was smaller
    fixed, excluded = [3], [int(np.argmin(cost.sum(axis=0)))]
    if excluded[0] in fixed:
        excluded = [(fixed[0] + 1) % 14]
    got = locate.solve("pmedian", cost, weights=w, k=k, fixed=fixed, excluded=excluded)
    assert got.objective == pytest.approx(_brute_pmedian(cost, w, k, fixed, excluded),
                                          rel=1e-12)
    prefer = np.arange(14.0)
    got = locate.solve("pmedian", cost, weights=w, k=k, prefer=prefer)
    assert got.objective == pytest.approx(ours.objective, rel=1e-12)
    spaced = locate.solve("pmedian", cost, weights=w, k=k, site_cost=site_cost,
                          min_spacing=300.0)
    assert spaced.objective == pytest.approx(_brute_pmedian(cost, w, k, site_cost=site_cost,
                                                            spacing=300.0), rel=1e-12)


def _brute_ties(cost, w, k, prefer, value):
    """Over every choice of k sites: the best objective (``value`` of the chosen columns,
    lower is better), and the sums of ``prefer`` of the choices reaching it."""
    from itertools import combinations

    scored = [(value(cost[:, list(pick)], w), float(np.sum(prefer[list(pick)])))
              for pick in combinations(range(cost.shape[1]), k)]
    best = min(v for v, _ in scored)
    return best, [p for v, p in scored if v <= best + 1e-9]


@pytest.mark.parametrize("model", ["pmedian", "mclp"])
def test_the_preference_is_the_best_among_every_equal_optimum(model):
    """Whole-number costs on a small scale give many equal optima; the tie-breaking pass
    (which leaves out the sites the linear relaxation proves cannot be in any optimum)
    must still end on the best-preferred of them, as brute force over every choice finds."""
    n, m, k = 14, 9, 3
    mattered = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        cost = rng.integers(0, 3, size=(n, m)).astype(float)
        cost[:, :3] += 1.0                      # three poorer sites, left out by the bound
        w = np.ones(n) if model == "pmedian" else rng.integers(1, 4, size=n).astype(float)
        prefer = rng.permutation(m).astype(float)
        if model == "pmedian":
            def value(c, w):
                return float(w @ c.min(axis=1))
            kw = {}
        else:
            def value(c, w):             # people left out of reach: lower is better
                return float(w @ (c.min(axis=1) > 1.0))
            kw = {"radius": 1.0}
        best, tied = _brute_ties(cost, w, k, prefer, value)
        plan = locate.solve(model, cost, weights=w, k=k, prefer=prefer, **kw)
        assert value(cost[:, plan.chosen], w) == pytest.approx(best, abs=1e-9), seed
        assert float(prefer[plan.chosen].sum()) == max(tied), seed
        mattered += len(set(tied)) > 1
    assert mattered >= 3      # in most instances the preference had a choice to make


def test_a_median_too_large_for_memory_is_refused_before_solving(monkeypatch):
    """More (row, site) pairs than MAX_ASSIGNMENTS: a clear error naming the sizes and the
    fix, at once, before the solver allocates anything; one pair fewer is solved."""
    from siteplan.locate import _inputs

    monkeypatch.setattr(_inputs, "MAX_ASSIGNMENTS", 5 * 4 - 1)      # 5 rows x 4 sites = 20
    cost = np.arange(20.0).reshape(5, 4)
    with pytest.raises(SiteplanInputError) as err:
        locate.solve("pmedian", cost, k=2)
    text = str(err.value)
    assert "5 demand rows by 4 sites make 20 possible assignments, more than the 19" in text
    assert "a larger demand cell" in text
    # rows of weight 0 and excluded sites are not assigned: 4 x 4 = 16 pairs pass
    plan = locate.solve("pmedian", cost, weights=[1, 1, 1, 1, 0], k=2)
    # site 0 is each row's cheapest: 0 + 4 + 8 + 12
    assert plan.objective == pytest.approx(24.0) and 0 in plan.chosen
    assert locate.solve("cpmedian", cost, k=2, capacity=10, excluded=[0]).k == 2
    with pytest.raises(SiteplanInputError, match="more than the 19"):
        locate.solve("cpmedian", cost, k=2, capacity=10)
    # the covering models build no assignment: the same matrix is solved
    assert locate.solve("mclp", cost, k=2, radius=5.0).k == 2
