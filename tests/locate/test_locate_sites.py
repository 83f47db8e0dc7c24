"""The planner's location models on the sample: spopt on the same matrix, select_sites, roads."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import shapely
from clikit import siteplan

import siteplan as sp
from siteplan import SiteplanInputError, locate
from siteplan.locate.costs import demand_units, road_costs, straight_costs
from siteplan.measures.network import road_graph, snap


@pytest.fixture(scope="module")
def sample():
    layers = sp.load_sample()
    return layers, sp.score(layers, "fasilitas_publik")


def test_mclp_equals_select_sites(sample):
    """Today's joint selection and the mclp model answer the same question alike."""
    layers, res = sample
    chosen = sp.select_sites(res, layers, k=3, radius=800, min_score=55)
    plan = sp.locate_sites(res, layers, model="mclp", k=3, radius=800, min_score=55,
                           cell=None)
    assert plan.objective == pytest.approx(chosen.attrs["selection"]["people_covered"],
                                           rel=1e-9)
    assert plan.plan.gap == 0.0 and len(plan.sites) == 3


def test_sample_subset_objectives_equal_spopt(sample):
    """On the sample's demand and a subset of its candidates, spopt's optimum is siteplan's."""
    spopt_locate = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    layers, res = sample
    cand = res[res["eligible"] & (res["score"] >= 60)]
    pts, people = demand_units(layers, cell=2000)
    cost = straight_costs(pts, np.asarray(cand.geometry.array, dtype=object))
    with warnings.catch_warnings():  # PuLP's notices about its own 4.0 API
        warnings.simplefilter("ignore", DeprecationWarning)
        peer = spopt_locate.PMedian.from_cost_matrix(cost, people, 3).solve(
            pulp.PULP_CBC_CMD(msg=False))
        cover = spopt_locate.MCLP.from_cost_matrix(cost, people, 1500.0, 3).solve(
            pulp.PULP_CBC_CMD(msg=False))
    assert locate.solve("pmedian", cost, weights=people, k=3).objective == pytest.approx(
        peer.problem.objective.value(), rel=1e-9)
    assert locate.solve("mclp", cost, weights=people, k=3, radius=1500.0).objective == \
        pytest.approx(cover.problem.objective.value(), rel=1e-9)


def test_road_costs_equal_networkx(sample):
    """Metres along roads: the snapped legs plus networkx's shortest path between road ends."""
    layers, res = sample
    sites = np.asarray(res[res["eligible"]].geometry.array, dtype=object)[:6]
    pts, _ = demand_units(layers, cell=3000)
    pts = pts[:8]
    got = road_costs(layers, pts, sites)
    g = road_graph(layers)
    graph = nx.Graph()
    for a, b, w in zip(g.u, g.v, g.length, strict=True):
        if not graph.has_edge(a, b) or graph[a][b]["weight"] > w + 1e-9:
            graph.add_edge(int(a), int(b), weight=float(w) + 1e-9)
    s_seg, s_al, s_gap = snap(g, sites)
    d_seg, d_al, d_gap = snap(g, pts)
    for j in range(len(sites)):
        ends_s = {int(g.u[s_seg[j]]): s_al[j], int(g.v[s_seg[j]]): g.length[s_seg[j]] - s_al[j]}
        dist = {e: nx.single_source_dijkstra_path_length(graph, e) for e in ends_s}
        for i in range(len(pts)):
            ends_d = {int(g.u[d_seg[i]]): d_al[i],
                      int(g.v[d_seg[i]]): g.length[d_seg[i]] - d_al[i]}
            best = min(ends_s[a] + dist[a].get(b, np.inf) + ends_d[b]
                       for a in ends_s for b in ends_d)
            if s_seg[j] == d_seg[i]:
                best = min(best, abs(s_al[j] - d_al[i]))
            assert got[i, j] == pytest.approx(best + s_gap[j] + d_gap[i], rel=1e-9, abs=1e-6)
    assert (got >= straight_costs(pts, sites) - 1e-6).all()


def test_existing_fixed_excluded_spacing_groups(sample):
    layers, res = sample
    cand = res[res["eligible"] & (res["score"] >= 50)]
    ids = cand["parcel_id"].astype(str).tolist()
    plan = sp.locate_sites(res, layers, model="pmedian", k=4, min_score=50, cell=1500,
                           existing="pois", existing_where={"category": ["puskesmas"]},
                           fixed=[ids[0]], excluded=ids[1:4], min_spacing=1500,
                           per_kecamatan=False)
    chosen = plan.sites["parcel_id"].astype(str).tolist()
    assert len(chosen) == 4 and ids[0] in chosen and not set(ids[1:4]) & set(chosen)
    assert len(plan.existing) == 16 and plan.plan.k == 20
    geoms = np.asarray(plan.sites.geometry.array, dtype=object)
    d = shapely.distance(geoms[:, None], geoms[None, :])
    assert d[np.triu_indices(4, 1)].min() >= 1500
    # every unit is served by its nearest open site, new or existing
    assert plan.demand["site"].notna().all()
    assert plan.sites["people"].sum() + plan.existing["people"].sum() == pytest.approx(
        plan.demand["people"].sum())
    grouped = sp.locate_sites(res, layers, model="pcenter", k=6, cell=2000,
                              per_kecamatan=True)
    assert grouped.sites["kecamatan"].nunique() == res[res["eligible"]]["kecamatan"].nunique()


def test_score_breaks_ties(sample):
    """With a radius everyone reaches, every set of one site is optimal: the best-scored wins."""
    layers, res = sample
    plan = sp.locate_sites(res, layers, model="mclp", k=1, radius=100_000, cell=3000)
    assert plan.sites["score"].iloc[0] == res["score"].max()


def test_locate_sites_bad_input(sample):
    layers, res = sample
    with pytest.raises(SiteplanInputError, match="unknown model 'median'"):
        sp.locate_sites(res, layers, model="median")
    with pytest.raises(SiteplanInputError, match="unknown cost 'walk'.*straight, roads"):
        sp.locate_sites(res, layers, cost="walk")
    with pytest.raises(SiteplanInputError, match="fixed names parcels that are not "
                       "candidates: \\['nope'\\]"):
        sp.locate_sites(res, layers, k=2, fixed=["nope"], cell=3000)
    with pytest.raises(SiteplanInputError, match="min_score is 120"):
        sp.locate_sites(res, layers, min_score=120)


def test_access_now_and_equity(sample):
    layers, _ = sample
    units = locate.access_now(layers, "pois", {"category": ["puskesmas"]}, method="2sfca",
                              radius=2000, cell=1000)
    assert units["people"].sum() == pytest.approx(700_000, rel=1e-6)
    assert {"kelurahan", "kecamatan"} <= set(units.columns)
    # 2SFCA conserves supply: people x access sums to the facilities that reach someone
    assert (units["people"] * units["access"]).sum() <= 16 + 1e-9
    eq = locate.equity(units["access"], units["people"], threshold=1e-12)
    assert 0 < eq["share_below"] < 1 and eq["lowest_decile_mean"] == 0.0
    hand = locate.equity([0.0, 1.0, 2.0], [10, 30, 60], threshold=1.5)
    assert hand == {"share_below": 0.4, "people_below": 40.0, "lowest_decile_mean": 0.0,
                    "mean": 1.5}


def test_render_plan(sample):
    from siteplan.render.locate_map import render_plan

    layers, res = sample
    plan = sp.locate_sites(res, layers, k=2, cell=3000)
    m = render_plan(plan, lang="en")
    html = m.get_root().render()
    assert "Location plan (pmedian)" in html and "P2" in html
    # the title box says what the plan does and whom it serves, in the reader's words;
    # the sample's plan carries the synthetic-data warning; a folded legend names the symbols
    served = plan.demand.loc[plan.demand["site"].notna()]
    people = served["people"].sum()
    mean = (served["people"] * served["cost"]).sum() / people
    # the title box's HTML reaches the page inside a script, as JSON with <, > and · escaped
    caption = (f"shortest average trip \\u00b7 2 sites chosen\\u003cbr\\u003e"
               f"{people:,.0f} people served, mean trip {mean:,.0f} m")
    assert caption in html
    assert "sp-box sp-title" in html and "Synthetic sample data" in html
    assert "square of people no site serves" in html and "fitBounds" in html
    id_html = render_plan(plan, lang="id").get_root().render()
    assert "jarak rata-rata terpendek \\u00b7 2 lokasi terpilih" in id_html
    assert f"{people:,.0f}".replace(",", ".") + " penduduk terlayani" in id_html


def test_cli_locate(tmp_path):
    out = tmp_path / "sites.csv"
    run = siteplan("locate", "--sample", "--profile",
                   "fasilitas_publik", "--model", "pcenter", "--k", "2", "--cell", "3000",
                   "--out", str(out), "--plan", str(tmp_path / "plan.json"))
    assert run.returncode == 0, run.stderr
    assert "pcenter: 2 new sites" in run.stdout and out.exists()
    bad = siteplan("locate", "--sample", "--profile",
                   "fasilitas_publik", "--model", "lscp", "--radius", "5", "--cell",
                   "3000", "--out", str(tmp_path / "x.csv"))
    assert bad.returncode == 3 and "raise radius to at least" in bad.stderr


def test_cli_says_the_solver_gave_no_answer_with_its_own_exit_code(tmp_path):
    """Good input and no time to solve it (--time-limit 0): exit 6, not 'bad input' (3) nor
    'internal error' (1); the message says what to try and no output is written."""
    out = tmp_path / "sites.csv"
    run = siteplan("locate", "--sample", "--profile",
                   "fasilitas_publik", "--model", "pmedian", "--k", "3", "--cell", "3000",
                   "--time-limit", "0", "--out", str(out))
    assert run.returncode == 6, run.stderr
    assert "the solver gave no answer" in run.stderr and "raise time_limit" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def test_a_solver_without_an_answer_is_a_solver_error_not_bad_input(sample):
    layers, res = sample
    with pytest.raises(sp.SolverError, match="select_sites: the solver gave no answer") as err:
        sp.select_sites(res, layers, k=3, min_spacing=500, time_limit=0)
    assert not isinstance(err.value, sp.SiteplanInputError)
    assert isinstance(err.value, RuntimeError) and "raise time_limit" in err.value.hint
    assert sp.locate.SiteplanSolverError is sp.SolverError   # the name it had before
