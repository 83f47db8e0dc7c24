"""sp.allocate: the integer program equals brute force on small cases, never loses to the
sequential greedy, respects fixed and excluded parcels, and names unmeetable demands.

Tiny worlds: boxes near x=620,000, y=9,320,000 (EPSG:32748). The results are
hand-built score tables (parcel_id, eligible, score, rank), so the scores are
whatever a case needs; the brute force enumerates every assignment of
{no use, use 1, use 2, ...} to every parcel with numpy and checks each rule
itself (spacing with shapely.distance, coverage with point distances).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan._errors import SiteplanInputError

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def make_layers(geoms, kec, ids=None, points=None, people=None):
    ids = ids or [f"P{i}" for i in range(len(geoms))]
    parcels = gpd.GeoDataFrame({"parcel_id": ids, "ownership": ["pemda"] * len(geoms),
                                "kecamatan": kec, "land_use": ["tanah_kosong"] * len(geoms)},
                               geometry=list(geoms), crs=CRS)
    kw = {}
    if points is not None:
        kw["population"] = gpd.GeoDataFrame({"population": people}, geometry=list(points),
                                             crs=CRS)
    return sp.load_layers(parcels=parcels, **kw)


def make_result(layers, scores):
    """A score table as sp.score returns it: NaN score = not eligible."""
    p = layers["parcels"]
    s = np.asarray(scores, dtype=float)
    ok = np.isfinite(s)
    r = gpd.GeoDataFrame({"parcel_id": p["parcel_id"].to_numpy(),
                          "kecamatan": p["kecamatan"].to_numpy(), "eligible": ok, "score": s,
                          "excluded_by": np.where(ok, "", "aturan uji")},
                         geometry=p.geometry.to_numpy(), crs=p.crs)
    r["rank"] = r["score"].rank(ascending=False, method="min")
    for col in ("members", "n_members"):        # sp.score keeps the parcels' own columns
        if col in p.columns:
            r[col] = p[col].to_numpy()
    return r


def brute_force(geoms, kec, scores, demand, *, spacing=None, per_kec=(), fixed=None,
                exclude=(), cover=None, weights=None):
    """Best value over every assignment, or None when none meets every rule.

    scores: (uses x parcels), NaN where not eligible; cover: per use a (parcels x points)
    bool matrix; weights: people per point.
    """
    n_uses, n = scores.shape
    a = np.array(list(itertools.product(range(n_uses + 1), repeat=n)))
    ok = np.ones(len(a), dtype=bool)
    for u in range(n_uses):
        on = a == u + 1
        ok &= ~(on & ~np.isfinite(scores[u])[None, :]).any(axis=1)
        ok &= on.sum(axis=1) == demand[u]
        for i, j in itertools.combinations(range(n), 2):
            s = (spacing or {}).get(u)
            if s and shapely.distance(geoms[i], geoms[j]) < s:
                ok &= ~(on[:, i] & on[:, j])
        if u in per_kec:
            for k in sorted(set(kec)):
                in_k = np.asarray(kec) == k
                ok &= on[:, in_k].any(axis=1)
    for i, u in (fixed or {}).items():
        ok &= a[:, i] == u + 1
    for i in exclude:
        ok &= a[:, i] == 0
    if not ok.any():
        return None
    a = a[ok]
    if cover is None:
        s = np.nan_to_num(scores)
        value = sum(np.where(a == u + 1, s[u][None, :], 0.0).sum(axis=1)
                    for u in range(n_uses))
    else:
        value = sum(((((a == u + 1).astype(float) @ cover[u]) > 0) * weights).sum(axis=1)
                    for u in range(n_uses))
    return float(value.max())


def check_plan(plan, scores, uses, demand, geoms, *, spacing=None, fixed=None, exclude=()):
    """Every rule, checked on the returned rows themselves."""
    idx = plan["parcel_id"].str[1:].astype(int).to_numpy()
    assert plan["parcel_id"].is_unique                       # each parcel at most once
    counts = plan["use"].value_counts()
    for u, name in enumerate(uses):
        assert counts.get(name, 0) == demand[u]              # demand met exactly
        mine = idx[plan["use"].to_numpy() == name]
        assert np.isfinite(scores[u, mine]).all()            # only eligible pairs
        np.testing.assert_allclose(plan.loc[plan["use"] == name, "score"], scores[u, mine])
        s = (spacing or {}).get(u)
        for i, j in itertools.combinations(mine, 2):
            assert not s or shapely.distance(geoms[i], geoms[j]) >= s
    for i, u in (fixed or {}).items():
        assert plan.set_index("parcel_id").loc[f"P{i}", "use"] == uses[u]
    assert not {f"P{i}" for i in exclude} & set(plan["parcel_id"])


GRID = [box(100 * (i % 3), 100 * (i // 3), 100 * (i % 3) + 40, 100 * (i // 3) + 40)
        for i in range(6)]          # 3 x 2 boxes, 60 m apart edge to edge, 84.9 m diagonally
USES = ["a", "b", "c"]


def random_case(rng, max_demand=2):
    n_uses = 3
    scores = np.round(rng.uniform(0, 100, (n_uses, 6)), 1)
    scores[rng.random((n_uses, 6)) < 0.3] = np.nan
    demand = rng.integers(0, max_demand + 1, n_uses)
    if demand.sum() == 0:
        demand[0] = 1
    kec = list(rng.choice(["K1", "K2"], 6))
    spacing = {u: float(rng.choice([70, 100, 170])) for u in range(n_uses)
               if rng.random() < 0.4}
    per_kec = [0] if rng.random() < 0.3 else []
    fixed, exclude = {}, []
    pairs = [(i, u) for u in range(n_uses) for i in range(6)
             if np.isfinite(scores[u, i]) and demand[u] > 0]
    if pairs and rng.random() < 0.35:
        i, u = pairs[rng.integers(len(pairs))]
        fixed = {int(i): int(u)}
    if rng.random() < 0.35:
        exclude = [int(i) for i in rng.choice(6, 1) if int(i) not in fixed]
    return scores, demand, kec, spacing, per_kec, fixed, exclude


@pytest.mark.parametrize("seed", range(40))
def test_milp_equals_brute_force_score(seed):
    rng = np.random.default_rng(seed)
    scores, demand, kec, spacing, per_kec, fixed, exclude = random_case(rng)
    per_kec = [u for u in per_kec if demand[u]]
    layers = make_layers(GRID, kec)
    results = {name: make_result(layers, scores[u]) for u, name in enumerate(USES)}
    best = brute_force(GRID, kec, scores, demand, spacing=spacing, per_kec=per_kec,
                       fixed=fixed, exclude=exclude)
    kw = {"min_spacing": {USES[u]: s for u, s in spacing.items() if demand[u]} or None,
          "per_kecamatan": [USES[u] for u in per_kec if demand[u]] or None,
          "fixed": {f"P{i}": USES[u] for i, u in fixed.items()} or None,
          "exclude": [f"P{i}" for i in exclude] or None}
    dem = {name: int(demand[u]) for u, name in enumerate(USES)}
    if best is None:
        with pytest.raises(SiteplanInputError, match="allocate"):
            sp.allocate(results, layers, dem, **kw)
        return
    plan = sp.allocate(results, layers, dem, **kw)
    info = plan.attrs["allocation"]
    assert info["status"] == "optimal"
    assert plan["score"].sum() == pytest.approx(best, abs=1e-6)
    assert info["value"] == pytest.approx(best, abs=1e-6)
    check_plan(plan, scores, USES, demand, GRID, spacing=spacing, fixed=fixed,
               exclude=exclude)
    greedy = info["greedy"]
    if greedy["complete"]:
        g_total = sum(r["score"] for r in greedy["plan"])
        assert g_total == pytest.approx(greedy["value"])
        assert info["value"] >= greedy["value"] - 1e-9          # never worse than greedy
        assert info["gain"] == pytest.approx(info["value"] - greedy["value"])
        g_ids = [r["parcel_id"] for r in greedy["plan"]]
        assert len(set(g_ids)) == len(g_ids)                   # greedy: each parcel once too
        for i, u in fixed.items():
            assert {"parcel_id": f"P{i}", "use": USES[u]}.items() <= next(
                r for r in greedy["plan"] if r["parcel_id"] == f"P{i}").items()


@pytest.mark.parametrize("seed", range(30))
def test_milp_equals_brute_force_coverage(seed):
    rng = np.random.default_rng(100 + seed)
    scores, demand, kec, spacing, per_kec, fixed, exclude = random_case(rng, max_demand=3)
    while demand.sum() > 4:                  # leave room, so that most cases can be met
        demand[np.argmax(demand)] -= 1
    per_kec = [u for u in per_kec if demand[u]]
    pts = [shapely.Point(X0 + x, Y0 + y) for x, y in rng.uniform(-50, 290, (12, 2))]
    people = rng.integers(1, 100, 12).astype(float)
    radius = {u: float(rng.choice([30, 80, 150])) for u in range(3)}
    cover = [np.array([[shapely.distance(g, p) <= radius[u] for p in pts] for g in GRID],
                      dtype=float) for u in range(3)]
    layers = make_layers(GRID, kec, points=pts, people=people)
    results = {name: make_result(layers, scores[u]) for u, name in enumerate(USES)}
    best = brute_force(GRID, kec, scores, demand, spacing=spacing, per_kec=per_kec,
                       fixed=fixed, exclude=exclude, cover=cover, weights=people)
    dem = {name: int(demand[u]) for u, name in enumerate(USES)}
    kw = {"objective": "coverage", "radius": {USES[u]: r for u, r in radius.items()
                                              if demand[u]},
          "per_kecamatan": [USES[u] for u in per_kec] or None,
          "min_spacing": {USES[u]: s for u, s in spacing.items() if demand[u]} or None,
          "fixed": {f"P{i}": USES[u] for i, u in fixed.items()} or None,
          "exclude": [f"P{i}" for i in exclude] or None}
    if best is None:
        with pytest.raises(SiteplanInputError, match="allocate"):
            sp.allocate(results, layers, dem, **kw)
        return
    plan = sp.allocate(results, layers, dem, **kw)
    info = plan.attrs["allocation"]
    assert info["value"] == pytest.approx(best, abs=1e-6)
    check_plan(plan, scores, USES, demand, GRID, spacing=spacing, fixed=fixed,
               exclude=exclude)
    # people_added per use sum to the people the use's sites reach, computed here
    for u, name in enumerate(USES):
        mine = plan["parcel_id"][plan["use"] == name].str[1:].astype(int).to_numpy()
        reached = float((cover[u][mine].sum(axis=0) > 0) @ people) if len(mine) else 0.0
        assert plan.loc[plan["use"] == name, "people_added"].sum() == pytest.approx(reached)
    if info["greedy"]["complete"]:
        assert info["value"] >= info["greedy"]["value"] - 1e-9


def two_parcels():
    layers = make_layers([box(0, 0, 40, 40), box(500, 0, 540, 40)], ["K1", "K1"])
    # use "u1" slightly prefers P0; "u2" needs P0 badly
    return layers, {"u1": make_result(layers, [90.0, 80.0]),
                    "u2": make_result(layers, [90.0, 10.0])}


def test_joint_plan_strictly_better_than_sequential_greedy():
    layers, results = two_parcels()
    plan = sp.allocate(results, layers, {"u1": 1, "u2": 1})
    info = plan.attrs["allocation"]
    # greedy: u1 takes its best, P0 (90); u2 gets what is left, P1 (10): 100.
    # joint: u1 on P1 (80), u2 on P0 (90): 170, a gain of 70.
    assert dict(zip(plan["parcel_id"], plan["use"], strict=True)) == {"P1": "u1", "P0": "u2"}
    assert info["value"] == pytest.approx(170.0)
    assert info["greedy"]["value"] == pytest.approx(100.0)
    assert info["gain"] == pytest.approx(70.0)
    assert info["gain_pct"] == pytest.approx(70.0)
    assert [(r["parcel_id"], r["use"]) for r in info["greedy"]["plan"]] == [("P0", "u1"),
                                                                          ("P1", "u2")]
    assert dict(zip(plan["parcel_id"], plan["greedy_use"], strict=True)) == {"P1": "u2",
                                                                           "P0": "u1"}
    # what each site would have scored for the other use
    p1 = plan.set_index("parcel_id").loc["P1"]
    assert (p1["score_u1"], p1["score_u2"], p1["rank"]) == (80.0, 10.0, 2)
    # the greedy solver returns the sequential plan itself
    g = sp.allocate(results, layers, {"u1": 1, "u2": 1}, solver="greedy")
    assert g.attrs["allocation"]["value"] == pytest.approx(100.0)
    assert g.attrs["allocation"]["gain"] == pytest.approx(0.0)


def test_fixed_and_excluded_are_respected():
    layers, results = two_parcels()
    plan = sp.allocate(results, layers, {"u1": 1, "u2": 1}, fixed={"P0": "u1"})
    assert dict(zip(plan["parcel_id"], plan["use"], strict=True)) == {"P0": "u1", "P1": "u2"}
    assert plan.set_index("parcel_id")["fixed"].to_dict() == {"P0": True, "P1": False}
    plan = sp.allocate(results, layers, {"u2": 1}, exclude=["P0"])
    assert list(plan["parcel_id"]) == ["P1"]


def test_results_in_another_crs_give_the_same_plan():
    layers, results = two_parcels()
    wgs = {k: v.to_crs(4326) for k, v in results.items()}
    plan = sp.allocate(wgs, layers, {"u1": 1, "u2": 1})
    assert dict(zip(plan["parcel_id"], plan["use"], strict=True)) == {"P1": "u1", "P0": "u2"}
    assert plan.crs == layers.crs
    assert plan.geometry.area.round(6).tolist() == [1600.0, 1600.0]


def test_people_near_an_existing_facility_count_for_nothing():
    # P0 reaches points a (100 people) and b (10); P1 reaches c (50). An existing park
    # next to a leaves P0 worth 10, so the one park goes to P1.
    geoms = [box(0, 0, 40, 40), box(500, 0, 540, 40)]
    pts = [shapely.Point(X0 + 20, Y0 + 60), shapely.Point(X0 + 20, Y0 - 20),
           shapely.Point(X0 + 520, Y0 + 60)]
    layers = make_layers(geoms, ["K1", "K1"], points=pts, people=[100.0, 10.0, 50.0])
    results = {"taman": make_result(layers, [50.0, 50.0])}
    plan = sp.allocate(results, layers, {"taman": 1}, objective="coverage", radius=30)
    assert list(plan["parcel_id"]) == ["P0"] and plan["people_added"].iloc[0] == 110.0
    park = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 20, Y0 + 80)], crs=CRS)
    plan = sp.allocate(results, layers, {"taman": 1}, objective="coverage", radius=30,
                       existing={"taman": park})
    assert list(plan["parcel_id"]) == ["P1"] and plan["people_added"].iloc[0] == 50.0
    assert plan.attrs["allocation"]["people"] == {"taman": 50.0}


def test_inputs_are_not_mutated():
    layers, results = two_parcels()
    before = {k: v.copy() for k, v in results.items()}
    demand = {"u1": 1, "u2": 1}
    fixed = {"P0": "u2"}
    sp.allocate(results, layers, demand, fixed=fixed)
    for k in results:
        assert results[k].equals(before[k])
    assert demand == {"u1": 1, "u2": 1} and fixed == {"P0": "u2"}


def test_a_parcel_in_an_assembled_site_is_not_used_twice():
    # P0 and P1 touch; "kios" is scored on parcels, "pasar" on the assembled site P0+P1
    geoms = [box(0, 0, 40, 40), box(40, 0, 80, 40), box(500, 0, 540, 40)]
    layers = make_layers(geoms, ["K1"] * 3)
    sites = sp.assemble_sites(layers, max_gap=0.0)
    assert sorted(sites["parcel_id"]) == ["P0+1", "P2"] or sorted(sites["parcel_id"]) == [
        "P1+1", "P2"]
    site_id = sites.loc[sites["n_members"] == 2, "parcel_id"].iloc[0]
    kios = make_result(layers, [90.0, np.nan, 50.0])
    s_layers = layers.replace(parcels=sites)
    pasar = make_result(s_layers, np.where(sites["n_members"] == 2, 80.0, np.nan))
    plan = sp.allocate({"kios": kios, "pasar": pasar}, layers, {"kios": 1, "pasar": 1})
    # P0 for kios (90) + the site for pasar (80) would use P0 twice: 50 + 80 instead
    assert dict(zip(plan["parcel_id"], plan["use"], strict=True)) == {"P2": "kios",
                                                                    site_id: "pasar"}
    assert plan.attrs["allocation"]["value"] == pytest.approx(130.0)
    assert plan.set_index("parcel_id").loc[site_id, "members"] in ("P0;P1", "P1;P0")


# ------------------------------------------------------------------ named errors

def test_too_few_eligible_parcels_names_the_use():
    layers, results = two_parcels()
    results["u3"] = make_result(layers, [np.nan, 55.0])
    with pytest.raises(SiteplanInputError, match=r"use 'u3': needs 2 sites but only 1 parcels"):
        sp.allocate(results, layers, {"u1": 1, "u3": 2})


def test_spacing_too_tight_names_the_use():
    layers = make_layers(GRID, ["K1"] * 6)
    results = {"a": make_result(layers, np.arange(6.0) + 50)}
    # 6 boxes in a 3 x 2 grid 60 m apart: with 150 m spacing at most 2 (the two far corners)
    with pytest.raises(SiteplanInputError, match=r"use 'a': needs 3 sites at least 150 m "
                       r"apart, but at most 2 of its 6 eligible parcels.*spacing too tight"):
        sp.allocate(results, layers, {"a": 3}, min_spacing=150)


def test_kecamatan_without_candidates_is_named():
    layers = make_layers(GRID, ["K1", "K1", "K1", "K2", "K2", "Kasemen"])
    results = {"a": make_result(layers, [50, 60, 70, 80, 90, np.nan]),
               "b": make_result(layers, [50, 60, 70, 80, 90, 10])}
    with pytest.raises(SiteplanInputError, match=r"use 'a': needs a site in kecamatan "
                       r"'Kasemen', which has no parcel eligible for it"):
        sp.allocate(results, layers, {"a": 3, "b": 1}, per_kecamatan=["a"])
    plan = sp.allocate(results, layers, {"a": 3, "b": 1}, per_kecamatan={"a": ["K1", "K2"]})
    assert set(plan.loc[plan["use"] == "a", "kecamatan"]) == {"K1", "K2"}


def test_uses_competing_for_the_same_parcels_are_named():
    layers, results = two_parcels()
    results["u3"] = make_result(layers, [70.0, 60.0])
    # each use alone can be met, but three uses on two parcels cannot
    with pytest.raises(SiteplanInputError, match=r"uses 'u1', 'u2', 'u3': compete for the "
                       r"same parcels: together they need 3 sites but only 2 parcels"):
        sp.allocate(results, layers, {"u1": 1, "u2": 1, "u3": 1})


def test_bad_arguments_are_all_reported_at_once():
    layers, results = two_parcels()
    with pytest.raises(SiteplanInputError) as err:
        sp.allocate(results, layers, {"u1": -1, "nope": 1}, objective="best", solver="x",
                    min_spacing={"u1": 0})
    text = str(err.value)
    for part in ["demand['u1']: must be a whole number", "names use 'nope'",
                 "unknown objective 'best'", "unknown solver 'x'"]:
        assert part in text
    with pytest.raises(SiteplanInputError, match=r"puts parcel 'P1' to 'u2', for which it is "
                       r"not eligible \(excluded by: aturan uji\)"):
        results["u2"] = make_result(layers, [90.0, np.nan])
        sp.allocate(results, layers, {"u1": 1, "u2": 1}, fixed={"P1": "u2"})
    with pytest.raises(SiteplanInputError, match="exclude: names ZZ"):
        sp.allocate(results, layers, {"u1": 1}, exclude=["ZZ"])
    with pytest.raises(SiteplanInputError, match="coverage'.*needs the 'population' layer"):
        sp.allocate(results, layers, {"u1": 1}, objective="coverage")


# ------------------------------------------------------------------ the sample

@pytest.fixture(scope="module")
def sample_results(sample_layers):
    return {u: sp.score(sample_layers, u) for u in ["rth", "sentra_kuliner",
                                                     "fasilitas_publik", "wisata_religi"]}


def test_sample_four_uses(sample_layers, sample_results):
    demand = {"rth": 3, "sentra_kuliner": 1, "fasilitas_publik": 2, "wisata_religi": 1}
    plan = sp.allocate(sample_results, sample_layers, demand, min_spacing={"rth": 2000})
    info = plan.attrs["allocation"]
    assert plan["use"].value_counts().to_dict() == demand
    assert plan["parcel_id"].is_unique
    assert info["status"] == "optimal" and info["value"] >= info["greedy"]["value"] - 1e-9
    # scores and ranks are those of the results, for every use
    for use, res in sample_results.items():
        r = res.set_index("parcel_id")
        got = plan.set_index("parcel_id")[f"score_{use}"]
        exp = r["score"].where(r["eligible"]).reindex(got.index)
        np.testing.assert_allclose(got.to_numpy(float), exp.to_numpy(float))
        mine = plan[plan["use"] == use]
        assert (mine["rank"].to_numpy() == r.loc[mine["parcel_id"], "rank"].to_numpy()).all()
        assert list(mine["pick"]) == list(range(1, len(mine) + 1))
        assert mine["score"].is_monotonic_decreasing
    g = plan[plan["use"] == "rth"].geometry.to_numpy()
    assert min(shapely.distance(a, b) for a, b in itertools.combinations(g, 2)) >= 2000
    assert plan.crs == sample_layers.crs


def test_public_names_survive_importing_their_modules():
    # a submodule named like a public function would replace it on the package when imported
    import importlib

    for mod in ("siteplan.locate.allocation", "siteplan.locate.assemble",
                "siteplan.render.allocation_map", "siteplan.cli.allocate"):
        importlib.import_module(mod)
    assert callable(sp.allocate) and callable(sp.assemble_sites)
    assert callable(sp.render_allocation)
