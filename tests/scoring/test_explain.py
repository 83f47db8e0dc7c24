"""sp.explain: one site's criteria, measured values, suitability and points, worked by hand.

The tiny world of tests/render/test_maps.py: a market at (150, 50), an arterial
road along y = -50; profile "uji" weighs the market 3 and the road 1 (0.75
and 0.25), both linear (market 0-3,000 m, road 0-600 m).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_maps import XSS_IMG, profile, world

import siteplan as sp
from siteplan.methods.aggregate import METHODS
from siteplan.scoring.explanation import COLUMNS


@pytest.fixture(scope="module")
def layers():
    return sp.load_layers(**world())


@pytest.fixture(scope="module")
def result(layers):
    return sp.score(layers, profile())


def test_module_and_function_do_not_collide():
    import siteplan.scoring.explanation  # noqa: F401
    import siteplan.scoring.stability  # noqa: F401

    assert callable(sp.explain) and sp.explain.__module__ == "siteplan.scoring.explanation"
    assert sp.sensitivity.__module__ == "siteplan.scoring.stability"


@pytest.mark.parametrize("pid, market, road", [
    # A: box (0,0)-(100,100): 50 m to the market, 50 m to the road
    ("A", 50.0, 50.0),
    # B: box (300,0)-(400,100): 150 m to the market
    ("B", 150.0, 50.0),
    # E: box (2000,0)-(2100,100): 1,850 m to the market
    ("E", 1850.0, 50.0),
])
def test_hand_worked_site(result, pid, market, road):
    why = sp.explain(result, pid, lang="en")
    assert list(why.columns) == list(COLUMNS)
    assert list(why.index) == ["pasar", "jalan"]          # WLC: no base row
    c_market, c_road = 1 - market / 3000, 1 - road / 600
    assert why.loc["pasar", "value"] == pytest.approx(market)
    assert why.loc["jalan", "value"] == pytest.approx(road)
    assert why.loc["pasar", "suitability"] == pytest.approx(c_market)
    assert why.loc["jalan", "suitability"] == pytest.approx(c_road)
    assert why["weight"].tolist() == pytest.approx([0.75, 0.25])
    assert why.loc["pasar", "points"] == pytest.approx(75 * c_market)
    assert why.loc["jalan", "points"] == pytest.approx(25 * c_road)
    assert why["points"].sum() == pytest.approx(75 * c_market + 25 * c_road)
    assert why.attrs["score"] == pytest.approx(why["points"].sum(), abs=1e-9)
    assert why.loc["jalan", "criterion"] == "Road access"
    assert (why["unit"] == "m").all()


def test_words_and_numbers_in_the_language(result):
    en = sp.explain(result, "E", lang="en")
    idn = sp.explain(result, "E", lang="id")
    assert en.loc["pasar", "measured"] == "1,850 m"
    assert idn.loc["pasar", "measured"] == "1.850 m"
    assert idn.loc["jalan", "criterion"] == "Akses jalan"
    # text from the profile stays text in the table; pandas escapes it in HTML
    assert idn.loc["pasar", "criterion"] == "Dekat pasar " + XSS_IMG
    assert XSS_IMG not in idn._repr_html_()
    assert en.attrs["parcel_id"] == "E" and en.attrs["rank"] == 4
    assert en.attrs["method"] == "wlc" and en.attrs["lang"] == "en"


def test_source_in_the_language(layers, result):
    prof = profile(criteria=[
        {"name": "pasar", "measure": "distance", "layer": "pois",
         "where": {"category": ["pasar"]}, "title": {"id": "Pasar", "en": "Market"},
         "transform": {"type": "linear", "best": 0, "worst": 3000}, "weight": 1,
         "source": "SNI 03-1733-2004"}])
    res = sp.score(layers, prof)
    assert sp.explain(res, "A").loc["pasar", "source"] == "SNI 03-1733-2004"
    assert sp.explain(result, "A")["source"].tolist() == ["", ""]   # no source given


def test_excluded_and_rejected_have_no_points(result):
    why = sp.explain(result, "D", lang="en")             # 400 m² < 1,000 m²
    assert why["points"].isna().all() and why["suitability"].isna().all()
    assert (why["measured"] == "–").all()
    assert why.attrs["status"] == "excluded" and why.attrs["excluded_by"]
    assert math.isnan(why.attrs["score"]) and why.attrs["rank"] is None
    assert sp.explain(result, "R").attrs["status"] == "rejected"


def test_beyond_the_search_is_said_so(layers):
    far = profile(criteria=[
        {"name": "pasar", "measure": "distance", "layer": "pois",
         "where": {"category": ["pasar"]}, "title": {"id": "Pasar", "en": "Market"},
         "transform": {"type": "linear", "best": 0, "worst": 1000}, "weight": 1}])
    res = sp.score(layers, far)
    why = sp.explain(res, "E", lang="en")       # 1,850 m: past the 1,000 m where it is 0
    assert why.loc["pasar", "points"] == 0
    assert np.isinf(why.loc["pasar", "value"])     # the search stops where it is 0
    assert why.loc["pasar", "measured"] == "more than 1,000 m"


@pytest.mark.parametrize("method", list(METHODS))
def test_points_add_up_to_the_score_for_every_method(layers, method):
    res = sp.score(layers, profile(), method=method)
    base = sp.record_of(res).base_score
    for pid in res.loc[res["eligible"], "parcel_id"]:
        why = sp.explain(res, pid)
        assert why["points"].sum() == pytest.approx(why.attrs["score"], abs=1e-9)
        assert ("base" in why.index) == (base != 0.0)
    if base != 0.0:
        assert why.loc["base", "points"] == pytest.approx(base)
        assert why.loc["base", "criterion"] == f"Nilai dasar metode {method.upper()}"


@pytest.mark.parametrize("name", sp.list_profiles())
def test_sample_profiles_add_up(sample_layers, name):
    res = sp.score(sample_layers, name)
    top = res.sort_values("rank").head(3)
    for pid in top["parcel_id"]:
        why = sp.explain(res, pid, lang="en")
        assert why["points"].sum() == pytest.approx(float(
            top.loc[top["parcel_id"] == pid, "score"].iloc[0]), abs=1e-9)
        assert why["measured"].str.len().gt(0).all()


def test_a_result_read_back_from_a_file(result, tmp_path):
    path = sp.outputs.write_result(result, tmp_path / "uji.gpkg")
    back = sp.outputs.read_result(path)
    a, b = sp.explain(result, "B"), sp.explain(back, "B")
    assert a["points"].tolist() == pytest.approx(b["points"].tolist())
    assert a["criterion"].tolist() == b["criterion"].tolist()


def test_numbers_given_for_text_ids(sample_layers):
    res = sp.score(sample_layers, "sentra_kuliner")
    pid = res.sort_values("rank")["parcel_id"].iloc[0]
    assert sp.explain(res, int(pid)).attrs["parcel_id"] == pid


@pytest.mark.parametrize("args, match", [
    (("nope",), "parcel_id 'nope' is not in the result"),
    (("A",), "unknown language"),
])
def test_clear_errors(result, args, match):
    kwargs = {"lang": "fr"} if match == "unknown language" else {}
    with pytest.raises(sp.SiteplanInputError, match=match):
        sp.explain(result, *args, **kwargs)


def test_a_table_without_a_record(result):
    bare = result.copy()
    bare.attrs.clear()
    with pytest.raises(sp.SiteplanInputError, match="no record"):
        sp.explain(bare, "A")
