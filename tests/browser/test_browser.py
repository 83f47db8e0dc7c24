"""render_map in a real browser: headless Chromium driven by Playwright.

Nothing goes to the network: the CDN scripts and styles a folium map loads are
served from ``tests/browser/node_modules`` (``npm ci --prefix tests/browser``)
by ``tests/browser/cdn.py``; tiles get a blank PNG; any other request is
aborted and fails the test. Screenshots go to ``tests/_artifacts/``.

Needs ``/usr/bin/chromium`` (never ``playwright install``). Outside CI a
missing browser or missing npm assets skip these tests; with ``CI=true`` they
fail.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

import siteplan as sp

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "_artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


def _load_cdn():
    spec = importlib.util.spec_from_file_location("siteplan_test_cdn",
                                                  HERE / "cdn.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cdn = _load_cdn()


#: resolves after the browser has laid out and painted the page twice: the map's own
#: scripts run at load, so by then every control, pin and layer is where it stays
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def settle(page) -> None:
    """Wait until the loaded page has been drawn (two animation frames, not a fixed time)."""
    page.evaluate(_TWO_FRAMES)


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (required when CI=true)")
    pytest.skip(reason)


def chromium(*, cdn_assets: bool = True):
    """Headless Chromium (a generator for module fixtures); skips or fails when it cannot run."""
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    missing = cdn.missing_assets() if cdn_assets else []
    if missing:
        _unavailable(f"npm assets missing ({missing[0]} ...): run npm ci --prefix tests/browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright (Python) is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def scored():
    from test_maps import profile, world

    layers = sp.load_layers(**world())
    return sp.score(layers, profile()), layers


class Page:
    """A saved map opened in Chromium, with what it requested and any error."""

    def __init__(self, browser, m, path: Path, viewport: tuple[int, int] = (1280, 860)):
        m.save(str(path))
        self.html = path.read_text(encoding="utf-8")
        self.map = m
        self.router = cdn.Router()
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.route("**/*", self.router.handle)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda msg: self.errors.append(
            f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function(
            "window.L !== undefined && document.querySelector('.leaflet-container') !== null")
        settle(self.page)

    def js(self, code: str, arg=None):
        return self.page.evaluate(code, arg)

    def layer(self, name: str) -> str:
        """The global JS variable of the GeoJson layer shown as ``name``."""
        from test_maps import geojsons

        return geojsons(self.map)[name].get_name()

    def count(self, name: str) -> int:
        return self.js(f"window.{self.layer(name)}.getLayers().length")

    def in_dom(self, name: str) -> int:
        return self.js(f"window.{self.layer(name)}.getLayers()"
                       ".filter(l => l._path && document.contains(l._path)).length")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path

    def check_clean(self):
        needed = cdn.page_assets(self.html)
        assert needed, "the map loads no CDN file?"
        assert self.router.unserved(needed) == [], "a needed script/style was not served"
        assert self.router.aborted == []
        assert self.errors == []


@pytest.fixture()
def opened(browser, scored, tmp_path):
    result, layers = scored
    pages = []

    def open_(name="map.html", **kwargs):
        page = Page(browser, sp.render_map(result, layers, **kwargs), tmp_path / name)
        pages.append(page)
        return page

    yield open_
    for p in pages:
        p.page.close()


def test_map_loads_draws_every_candidate_and_runs_no_canary(opened, scored):
    result, _ = scored
    p = opened()
    assert p.js("typeof window.L") == "object"
    assert p.js("document.querySelectorAll('.leaflet-container').length") >= 1
    n_scored = int((result["status"] == "scored").sum())
    n_excluded = int((result["status"] == "excluded").sum())
    assert p.count("Skor kesesuaian") == n_scored == 5
    assert p.count("Dikecualikan (tidak memenuhi syarat)") == n_excluded == 2
    assert p.in_dom("Skor kesesuaian") == n_scored                 # drawn as SVG paths
    assert p.in_dom("Dikecualikan (tidak memenuhi syarat)") == n_excluded
    assert p.js("document.querySelectorAll('.sp-rank-icon').length") == 5
    assert p.js("document.querySelector('.sp-legend').innerText").startswith(
        "Legenda\nSkor kesesuaian")       # the fold's name, then the heading
    assert p.router.tiles > 0
    p.check_clean()
    p.screenshot("map_tiny_id.png")
    assert p.js("window.__xss") is None


def _point_in(p, name: str, index: int, fx: float = 0.2, fy: float = 0.2) -> tuple[float, float]:
    """Page coordinates of a point inside feature ``index`` of a layer, away from its centre."""
    return tuple(p.js(f"""() => {{
        const lyr = window.{p.layer(name)}.getLayers()[{index}];
        const map = lyr._map, b = lyr.getBounds();
        const ll = L.latLng(b.getSouth() + {fy} * (b.getNorth() - b.getSouth()),
                            b.getWest() + {fx} * (b.getEast() - b.getWest()));
        const pt = map.latLngToContainerPoint(ll), r = map.getContainer().getBoundingClientRect();
        return [r.left + pt.x, r.top + pt.y];
    }}"""))


def test_clicking_the_top_site_opens_its_popup_with_its_score(opened, scored):
    from siteplan.render import style as st

    result, _ = scored
    best = result.set_index("parcel_id").loc["A"]
    score = st.fmt1(best["score"], 1, "id")
    p = opened()
    # void: setZoom and fitBounds return the map, which Playwright would serialise (seconds)
    p.js(f"void window.{p.map.get_name()}.fitBounds("
         f"window.{p.layer('Skor kesesuaian')}.getLayers()[0].getBounds(), {{maxZoom: 17}})")
    p.page.wait_for_timeout(400)
    x, y = _point_in(p, "Skor kesesuaian", 0)
    p.page.mouse.move(x, y)
    tip = p.page.locator(".leaflet-tooltip").first
    tip.wait_for()
    assert "#1" in tip.inner_text() and score in tip.inner_text()
    p.page.mouse.click(x, y)
    popup = p.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert f"Skor {score}" in text and "peringkat 1 dari 5" in text
    assert "Dekat pasar" in text and "Akses jalan" in text
    # the site's name is the canary <script>...: shown as text, never run
    assert p.js("document.querySelector('.leaflet-popup-content h4').textContent") == \
        "<script>window.__xss=2</script>"
    assert p.js("document.querySelectorAll('.leaflet-popup-content script').length") == 0
    p.page.wait_for_timeout(400)                     # let the popup fade in
    p.screenshot("map_tiny_popup.png")
    # the numbered marker opens the same popup
    p.js(f"window.{p.map.get_name()}.closePopup()")
    p.page.locator(".leaflet-popup-content").wait_for(state="detached")
    p.page.mouse.move(1, 1)                          # no hover tooltip left over the marker
    p.page.locator(".sp-rank", has_text="1").first.click()
    p.page.locator(".leaflet-popup-content").wait_for()
    assert f"Skor {score}" in p.page.locator(".leaflet-popup-content").inner_text()
    assert p.js("window.__xss") is None
    p.check_clean()


def test_canaries_in_tooltips_stay_text(opened):
    p = opened(lang="en")
    # E is named <img src=x onerror=...>, B has a backtick/${...} name
    hits = 0
    for i in range(p.count("Suitability score")):
        x, y = _point_in(p, "Suitability score", i, 0.5, 0.5)
        p.page.mouse.move(x, y)
        p.page.wait_for_timeout(50)
        text = p.js("Array.from(document.querySelectorAll('.leaflet-tooltip'))"
                    ".map(t => t.innerText).join(' ')")
        hits += '<img src=x onerror="window.__xss=1">' in text
        hits += "`${window.__xss=3}`" in text
    assert hits >= 2
    assert p.js("document.querySelectorAll('.leaflet-tooltip img').length") == 0
    assert p.js("window.__xss") is None
    p.check_clean()


def test_switching_a_context_layer_off_removes_it(opened):
    p = opened()
    roads = p.layer("Jalan")
    assert p.in_dom("Jalan") == 2
    box = p.page.locator(".leaflet-control-layers-overlays label", has_text="Jalan")
    box.locator("input").uncheck()
    assert p.js(f"window.{p.map.get_name()}.hasLayer(window.{roads})") is False
    assert p.in_dom("Jalan") == 0
    assert p.in_dom("Skor kesesuaian") == 5                  # the rest stays
    # a constraint zone starts hidden and can be switched on
    zone = "Batasan: Di sempadan sungai (15 m)"
    assert p.in_dom(zone) == 0
    p.page.locator(".leaflet-control-layers-overlays label", has_text="Batasan").locator(
        "input").check()
    assert p.in_dom(zone) == 1
    p.check_clean()


def test_english_map_and_screenshot(opened):
    p = opened(lang="en", top=3)
    assert "Suitability score" in p.js("document.querySelector('.sp-legend').innerText")
    assert p.js("document.querySelectorAll('.sp-rank-icon').length") == 3
    p.check_clean()
    p.screenshot("map_tiny_en.png")


def test_sample_map(browser, tmp_path):
    layers = sp.load_sample()
    result = sp.score(layers, "sentra_kuliner")
    p = Page(browser, sp.render_map(result, layers), tmp_path / "sample.html")
    try:
        n = int((result["status"] == "scored").sum())
        assert p.count(sp.render.words.TEXT["id"]["score_layer"]) == n
        assert p.js("document.querySelector('.sp-title').innerText").count("sintetis") >= 1
        p.check_clean()
        p.screenshot("map_sample_sentra_kuliner.png")
        p.js(f"void window.{p.map.get_name()}.setZoom(15)")  # void: not the map back
        p.page.wait_for_timeout(500)
        p.screenshot("map_sample_sentra_kuliner_zoom.png")
        assert p.errors == []
    finally:
        p.page.close()


@pytest.mark.parametrize("interactive", [False, True])
def test_on_a_phone_the_layer_list_and_weights_fold_away(browser, sample_layers, tmp_path,
                                                        interactive):
    layers = sample_layers
    result = sp.score(layers, "sentra_kuliner")
    m = sp.render_map(result, layers, lang="id", top=5, interactive=interactive)
    folded = ("document.querySelector('.leaflet-control-layers')"
              ".classList.contains('leaflet-control-layers-expanded')")
    panel = "(document.querySelector('.sp-panel details') || {open: null}).open"
    for size, expanded in (((1366, 768), not interactive), ((390, 844), False)):
        page = Page(browser, m, tmp_path / f"map_{size[0]}.html", viewport=size)
        try:
            assert page.js(folded) is expanded, size
            if interactive:   # the weights panel: open on a desk, folded on a phone
                assert page.js(panel) is (size[0] >= 600), size
            assert not [e for e in page.errors if "pageerror" in e]
        finally:
            page.page.close()
