"""render_allocation in a real browser: headless Chromium driven by Playwright.

CDN files are served from ``tests/browser/node_modules`` by ``tests/browser/cdn.py``
(as in ``tests/browser/test_browser.py``); any other request is aborted and fails the
test. Needs ``/usr/bin/chromium``; outside CI a missing browser or missing npm
assets skip these tests, with ``CI=true`` they fail.
"""

from __future__ import annotations

import pytest
from test_browser import ARTIFACTS, browser, cdn  # noqa: F401  (the fixture is used by name)

import siteplan as sp

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["id", "en"])
def test_allocation_map_opens_numbers_sites_and_runs_no_canary(browser, tmp_path, lang):  # noqa: F811
    from test_allocate_map import result, world

    layers = world()
    results = {"u1": result(layers, [90.0, 80.0, 40.0, float("nan")],
                            {"id": "Taman <script>window.__xss=2</script>", "en": "Park"}),
               "u2": result(layers, [90.0, 10.0, float("nan"), 12.345],
                            {"id": "Pasar", "en": "Market"})}
    plan = sp.allocate(results, layers, {"u1": 2, "u2": 1})
    path = tmp_path / f"plan_{lang}.html"
    sp.render_allocation(plan, layers, lang=lang).save(str(path))
    html = path.read_text(encoding="utf-8")
    router, errors = cdn.Router(), []
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    try:
        page.route("**/*", router.handle)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("window.L !== undefined && "
                               "document.querySelector('.leaflet-container') !== null")
        page.wait_for_timeout(300)
        # one numbered marker per site, numbered within each use, in the use's colour
        labels = page.evaluate("[...document.querySelectorAll('.sp-alloc')]"
                               ".map(e => [e.textContent, e.style.background])")
        assert sorted(t for t, _ in labels) == ["1", "1", "2"]
        assert len({c for _, c in labels}) == 2
        # the site polygons are drawn as SVG paths
        assert page.evaluate("document.querySelectorAll('path.leaflet-interactive').length") \
            >= len(plan)
        # the Market site's marker opens its popup with the scores for both uses
        page.locator(".sp-alloc").nth(2).click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        market = "Pasar #1" if lang == "id" else "Market #1"
        assert market in text and ("90,0" if lang == "id" else "90.0") in text
        # the site's name is a <script> canary: shown as text, never run
        assert page.evaluate("document.querySelector('.leaflet-popup-content h4')"
                             ".textContent") == "<script>window.__xss=2</script>"
        legend = page.evaluate("document.querySelector('.sp-legend').innerText")
        # the optimum 210 against the sequential plan's 182.345: 86.8 %
        assert ("182,3 (86,8% dari yang terbaik)" if lang == "id" else
                "182.3 (86.8% of the best)") in legend
        assert page.evaluate("window.__xss") is None
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"allocation_{lang}.png"))
        needed = cdn.page_assets(html)
        assert router.unserved(needed) == [] and router.aborted == []
        assert errors == []
    finally:
        page.close()
