"""Every map kind and the brief on a phone (390x844) and on a desk (1366x768), in Chromium.

A partner opens a map passed on in a chat on a phone as often as on a desk. At load:
no control covers the title box or another control, the controls cover at most a
quarter of the map, and the page never scrolls sideways. Screenshots of each go to
``tests/_artifacts/layout/`` (``scripts/screenshot_phone.py`` writes the ones in
``docs/``).
"""

from __future__ import annotations

import pytest
from test_browser import ARTIFACTS, cdn, chromium, settle

import siteplan as sp
from siteplan.register.sample import sample_register
from siteplan.render.locate_map import render_plan

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desk": (1366, 768)}
KINDS = ("score", "interactive", "rth", "selection", "allocation", "locate", "offers",
         "access", "access_en", "brief")

#: the boxes a page shows at load, with the map they sit on (in CSS pixels)
_BOXES = """() => {
  const seen = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const box = el => { const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height,
            name: (el.className.baseVal ?? el.className).toString().slice(0, 60)}; };
  const map = document.querySelector('.leaflet-container');
  const controls = [...document.querySelectorAll(
      '.leaflet-top > .leaflet-control, .leaflet-bottom > .leaflet-control')].filter(seen);
  const maps = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
    .filter(m => m && m._container);
  return {map: map ? box(map) : null, controls: controls.map(box),
          animating: maps.some(m => m._animatingZoom || (m._panAnim && m._panAnim._inProgress)),
          title: [...document.querySelectorAll('.sp-title')].filter(seen).map(box),
          scroll: document.scrollingElement.scrollWidth, width: window.innerWidth};
}"""


def _overlap(a: dict, b: dict) -> float:
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return max(w, 0.0) * max(h, 0.0)


def test_overlap_by_hand():
    a = {"x": 0, "y": 0, "w": 10, "h": 10}
    assert _overlap(a, {"x": 5, "y": 5, "w": 10, "h": 10}) == 25
    assert _overlap(a, {"x": 10, "y": 0, "w": 5, "h": 5}) == 0      # touching is not covering


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def pages(sample_layers, tmp_path_factory):
    """Each kind's page saved as HTML, drawn from the sample."""
    layers = sample_layers
    out = tmp_path_factory.mktemp("layout")
    results = {name: sp.score(layers, name) for name in ("rth", "wisata_religi",
                                                         "fasilitas_publik")}
    reg = sample_register(out / "offers.gpkg")
    offers = reg.offers()
    reg.close()
    units = sp.locate.access_now(layers, "pois", {"category": ["puskesmas"]}, radius=2000,
                                 cell=500)
    draw = {
        "score": lambda: sp.render_map(results["rth"], layers, top=5),
        "interactive": lambda: sp.render_map(results["rth"], layers, top=5,
                                             interactive=True),
        "rth": lambda: sp.render_rth(sp.rth_gaps(layers)),
        "selection": lambda: sp.render_selection(sp.select_sites(
            results["fasilitas_publik"], layers, k=5, cell=500)),
        "allocation": lambda: sp.render_allocation(sp.allocate(
            {u: results[u] for u in ("rth", "wisata_religi")}, layers,
            {"rth": 3, "wisata_religi": 2}), layers, results=results),
        "locate": lambda: render_plan(sp.locate_sites(results["rth"], layers, k=3,
                                                      cell=1500)),
        "offers": lambda: sp.render_offers(offers),
        "access": lambda: sp.render_access(units, threshold=1e-5),
        "access_en": lambda: sp.render_access(units, layers, level="kelurahan",
                                              threshold=1e-5, lang="en"),
    }
    paths = {}
    for kind, make in draw.items():
        paths[kind] = out / f"{kind}.html"
        make().save(str(paths[kind]))
    paths["brief"] = out / "brief.html"
    paths["brief"].write_text(sp.site_brief(results["rth"], layers, top=3), encoding="utf-8")
    return paths


def open_page(browser, path, size):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    router = cdn.Router()
    page.route("**/*", router.handle)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    if "leaflet" in path.read_text(encoding="utf-8")[:20000].lower():
        page.wait_for_function("document.querySelector('.leaflet-container') !== null")
    settle(page)
    return page, errors


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("kind", KINDS)
def test_controls_leave_the_title_and_the_map_visible(browser, pages, kind, size):
    page, errors = open_page(browser, pages[kind], SIZES[size])
    try:
        got = page.evaluate(_BOXES)
        (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "layout" / f"{kind}-{size}.png"))
        assert got["scroll"] <= got["width"], f"{kind} scrolls sideways on a {size}"
        # the map opens on its view at once: no zoom from folium's first view to it
        assert not got["animating"], f"the {kind} map is still zooming two frames after load"
        assert errors == []
        if kind == "brief":
            return
        boxes = got["controls"]
        assert boxes and got["map"], "no map or no control seen"
        # every map kind says what it is (and, on the sample, that the data are made up)
        assert got["title"], f"the {kind} map has no title box"
        for t in got["title"]:
            for c in boxes:
                if c["name"] != t["name"] or c["x"] != t["x"] or c["y"] != t["y"]:
                    assert _overlap(t, c) < 1, f"{c['name']} covers the title on a {size}"
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert _overlap(a, b) < 1, f"{a['name']} and {b['name']} overlap on a {size}"
        area = got["map"]["w"] * got["map"]["h"]
        covered = sum(c["w"] * c["h"] for c in boxes)
        assert covered <= area / 4, (f"controls cover {covered / area:.0%} of the {kind} map "
                                     f"on a {size}: {[c['name'] for c in boxes]}")
    finally:
        page.close()
