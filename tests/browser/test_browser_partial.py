"""The title box of a map scored with partial data, in headless Chromium.

Uses the browser fixtures of ``tests/browser/test_browser.py`` (CDN assets from npm,
no network; with ``CI=true`` a missing browser fails instead of skipping).
"""

from __future__ import annotations

import pytest
from test_browser import Page, browser  # noqa: F401  (the fixture is used by name)
from test_partial_data import frames, profile

import siteplan as sp

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"window.__xss=1\">`${window.__xss=2}`"


@pytest.mark.parametrize("lang, heading", [("id", "Tidak dinilai (data tidak ada)"),
                                           ("en", "Left out (no data)")])
def test_title_box_lists_the_rules_left_out_as_text(browser, tmp_path, lang, heading):  # noqa: F811
    layers = sp.load_layers(**frames())
    prof = profile(constraints=[{"type": "outside", "layer": "flood_zones",
                                 "title": {"id": HOSTILE, "en": HOSTILE}}])
    result = sp.score(layers, prof, missing="skip")
    page = Page(browser, sp.render_map(result, layers, lang=lang), tmp_path / "map.html")
    try:
        box = page.js("document.querySelector('.sp-title .sp-skip').innerText")
        assert box.startswith(heading)
        items = page.js("[...document.querySelectorAll('.sp-title .sp-skip li')]"
                        ".map(li => li.innerText)")
        # the hostile title shows as the text it is; the criterion by its name
        assert len(items) == 2 and items[0].startswith(HOSTILE) and "flood_zones" in items[0]
        assert items[1].startswith("banjir")
        assert page.js("document.querySelectorAll('.sp-title img').length") == 0
        page.check_clean()
        assert page.js("window.__xss") is None
        page.screenshot(f"map_partial_{lang}.png")
    finally:
        page.page.close()
