"""Every kind of map siteplan draws, opened in Chromium with a canary in every text field.

Parcel ids, names, notes, kelurahan, profile, criterion and constraint titles,
layer and category values all carry a canary: an ``<img onerror>``, a closing
``</script>``, a backtick and a ``${...}`` template expression. Every tooltip
and popup on the page is then opened; none of them may run.
"""

from __future__ import annotations

import pytest
from test_browser import Page, browser  # noqa: F401  (the fixture)
from test_maps import world

import siteplan as sp

pytestmark = pytest.mark.browser

CANARY_IMG = '<img src=x onerror="window.__xss=1">'
CANARY_SCRIPT = "</script><script>window.__xss=2</script>"
CANARY_TICK = "`${window.__xss=3}` ${window.__xss=4}"
CANARIES = (CANARY_IMG, CANARY_SCRIPT, CANARY_TICK)

OPEN_ALL = """(name) => {
  const map = window[name];
  let opened = 0;
  map.eachLayer(l => {
    if (l.getTooltip && l.getTooltip()) { try { l.openTooltip(); opened++; } catch (e) {} }
    if (l.getPopup && l.getPopup()) { try { l.openPopup(); opened++; } catch (e) {} }
  });
  return opened;
}"""


def _hostile_world():
    data = world()
    p = data["parcels"].copy()
    p["parcel_id"] = [f"{c}{CANARIES[i % 3]}" if c != "R" else c
                      for i, c in enumerate(p["parcel_id"])]
    p["name"] = [CANARIES[i % 3] for i in range(len(p))]
    p["kelurahan"] = [CANARIES[(i + 1) % 3] for i in range(len(p))]
    p["land_use"] = [CANARY_TICK] * len(p)
    data["parcels"] = p
    data["pois"]["name"] = [CANARIES[i % 3] for i in range(len(data["pois"]))]
    data["green_spaces"]["rth_type"] = [CANARY_SCRIPT, "taman", CANARY_TICK]
    data["roads"]["name"] = [CANARY_IMG, CANARY_TICK]
    data["admin"]["nama"] = [CANARY_TICK, CANARY_IMG]
    return data


def _hostile_profile():
    from test_maps import profile

    prof = profile()
    data = {"name": prof.name, "title": {"id": CANARY_IMG, "en": CANARY_TICK},
            "candidates": {k: list(v) for k, v in prof.candidates.items()},
            "constraints": [{**{k: (dict(v) if k == "where" else v) for k, v in c.items()},
                             "title": {"id": CANARY_SCRIPT, "en": CANARY_IMG}}
                            for c in prof.constraints],
            "criteria": [{"name": c.name, "measure": c.measure, "layer": c.layer,
                          "where": {k: list(v) for k, v in c.where.items()},
                          "transform": dict(c.transform), "weight": c.weight,
                          "title": {"id": CANARY_TICK, "en": CANARY_SCRIPT},
                          **({"radius": c.radius} if c.radius else {}),
                          **({"column": c.column} if c.column else {})}
                         for c in prof.criteria]}
    for con in data["constraints"]:
        con.pop("label", None)
    from siteplan.profiles.profile import profile_from_dict

    return profile_from_dict(data)


@pytest.fixture(scope="module")
def hostile():
    layers = sp.load_layers(**_hostile_world())
    result = sp.score(layers, _hostile_profile())
    result["notes"] = [CANARIES[i % 3] for i in range(len(result))]
    return result, layers


def _check(browser, m, path):  # noqa: F811
    page = Page(browser, m, path)
    try:
        opened = page.js(OPEN_ALL, m.get_name())
        page.page.wait_for_timeout(200)
        assert opened > 0
        assert page.js("window.__xss") is None
        assert page.js("document.querySelectorAll('img[src=\"x\"]').length") == 0
        shown = page.js("document.body.innerText")
        assert CANARY_IMG in shown or CANARY_TICK in shown or CANARY_SCRIPT in shown
        assert not [e for e in page.errors if "pageerror" in e]
        return page
    finally:
        page.page.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_score_map_runs_no_canary(browser, hostile, tmp_path, lang):  # noqa: F811
    result, layers = hostile
    _check(browser, sp.render_map(result, layers, lang=lang, top=5), tmp_path / "score.html")


def test_rth_map_runs_no_canary(browser, hostile, tmp_path):  # noqa: F811
    _, layers = hostile
    gaps = sp.rth_gaps(layers, level="kelurahan")
    assert set(gaps["nama"]) == {CANARY_TICK, CANARY_IMG}
    for lang in ("id", "en"):
        _check(browser, sp.render_rth(gaps, lang=lang), tmp_path / f"rth_{lang}.html")


def test_selection_map_runs_no_canary(browser, hostile, tmp_path):  # noqa: F811
    result, layers = hostile
    chosen = sp.select_sites(result, layers, k=2, radius=500)
    assert any(any(c in pid for c in CANARIES) for pid in chosen["parcel_id"])
    for lang in ("id", "en"):
        m = sp.render_selection(chosen, m=sp.render_map(result, layers, lang=lang, top=0),
                                lang=lang)
        _check(browser, m, tmp_path / f"selection_{lang}.html")
        _check(browser, sp.render_selection(chosen, lang=lang), tmp_path / "alone.html")


def test_interactive_map_runs_no_canary(browser, hostile, tmp_path):  # noqa: F811
    result, layers = hostile
    m = sp.render_map(result, layers, lang="en", top=3, interactive=True,
                      profile=_hostile_profile())
    page = Page(browser, m, tmp_path / "interactive.html")
    try:
        page.js("() => siteplan.setWeights(Object.fromEntries(Object.keys("
                "siteplan.weights()).map((k, i) => [k, i + 1])))")
        page.js(OPEN_ALL, m.get_name())
        page.page.wait_for_timeout(200)
        assert page.js("window.__xss") is None
        assert page.js("document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert not [e for e in page.errors if "pageerror" in e]
        ids = [r["parcel_id"] for r in page.js("() => siteplan.ranking()")]
        assert any(any(c in pid for c in CANARIES) for pid in ids)   # ids stay data
    finally:
        page.page.close()


def test_allocation_map_runs_no_canary(browser, hostile, tmp_path):  # noqa: F811
    result, layers = hostile
    plan = sp.allocate({"rth": result, "taman": result}, layers, demand={"rth": 1, "taman": 1})
    assert any(any(c in pid for c in CANARIES) for pid in plan["parcel_id"])
    for lang in ("id", "en"):
        _check(browser, sp.render_allocation(plan, layers, lang=lang),
               tmp_path / f"allocation_{lang}.html")
