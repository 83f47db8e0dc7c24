"""Interactive maps in a real browser: headless Chromium driven by Playwright.

The page re-scores in JavaScript; every check here compares it with Python:
``sp.score`` of the same profile with the weights set in the page
(``Profile.with_weights``) and the method set, mapclassify's classes of those
scores, Shapley values brute-forced over every subset of criteria, the TOML
copied to the clipboard read back with ``sp.read_profile``.

Nothing goes to the network (see ``tests/browser/cdn.py``). Needs
``/usr/bin/chromium``; outside CI a missing browser or npm assets skip these
tests, with ``CI=true`` they fail.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_browser import ARTIFACTS, browser, cdn  # noqa: F401 (the fixture)

import siteplan as sp
from siteplan.methods.aggregate import aggregate
from siteplan.render import style as st
from siteplan.scoring.ranks import best_first

pytestmark = pytest.mark.browser

METHODS = ("wlc", "wgm", "owa", "topsis")
PROFILE = "sentra_kuliner"


class Opened:
    """A saved interactive map open in Chromium (clipboard allowed), with any error."""

    def __init__(self, browser, m, path, *, fragment: str = ""):  # noqa: F811
        m.save(str(path))
        self.map, self.path = m, path
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 860},
                                           permissions=["clipboard-read", "clipboard-write"])
        self.router = cdn.Router()
        self.page = self.context.new_page()
        self.page.route("**/*", self.router.handle)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda msg: self.errors.append(
            f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
        self.goto(path.as_uri() + fragment)

    def goto(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        self.page.wait_for_function("window.siteplan !== undefined")

    def js(self, code: str, arg=None):
        return self.page.evaluate(code, arg)

    def var(self, kind, name: str) -> str:
        found = [c for c in self.map._children.values()
                 if isinstance(c, kind) and getattr(c, "layer_name", None) == name]
        assert len(found) == 1, name
        return found[0].get_name()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def sample():
    layers = sp.load_sample()
    result = sp.score(layers, PROFILE)
    scored = result[result["status"] == "scored"]
    pts = gpd.GeoSeries(shapely.point_on_surface(scored.geometry.array), crs=scored.crs,
                        index=scored["parcel_id"]).to_crs(4326)
    return result, layers, pts


@pytest.fixture(scope="module")
def opened(browser, sample, tmp_path_factory):  # noqa: F811
    result, layers, _ = sample
    path = tmp_path_factory.mktemp("interactive") / "sample.html"
    page = Opened(browser, sp.render_map(result, layers, interactive=True), path)
    yield page
    assert page.errors == [] and page.router.aborted == []
    page.close()


def python_scores(layers, weights, method):
    res = sp.score(layers, sp.get_profile(PROFILE).with_weights(weights), method=method)
    return res[res["status"] == "scored"].set_index("parcel_id")


def check_ranking(got, py) -> None:
    ids = [r["parcel_id"] for r in got]
    assert len(ids) == len(set(ids)) == len(py)
    js_score = np.array([r["score"] for r in got])
    py_score = py.loc[ids, "score"].to_numpy(float)
    assert np.abs(js_score - py_score).max() <= 1e-9
    assert (np.diff(py_score) <= 1e-9).all()                 # the page's order is Python's
    js_rank = np.array([r["rank"] for r in got])
    assert np.array_equal(js_rank, py.loc[ids, "rank"].to_numpy(int))
    js_shared = np.array([r["rank_shared"] for r in got])
    assert np.array_equal(js_shared, py.loc[ids, "rank_shared"].to_numpy(int))


def check_markers(p, py, pts, top=10) -> None:
    group = p.var(folium.FeatureGroup, st.TEXT["id"]["top_layer"].format(n=top))
    shown = p.js(f"window.{group}.getLayers().map(l => [l.getLatLng().lat, l.getLatLng().lng,"
                 " l.getElement().textContent])")
    assert len(shown) == top
    best = py.sort_values("rank", kind="stable")
    limit = best["rank"].iloc[top - 1]
    for lat, lng, label in shown:
        near = np.hypot(pts.x - lng, pts.y - lat)
        site = near.idxmin()
        assert near.min() < 1e-6
        assert int(label) == py.loc[site, "rank"] <= limit       # a top site, its rank shown
    if best["rank"].iloc[top] > limit:                            # no tie across the cut
        sites = {pts.index[np.argmin(np.hypot(pts.x - lng, pts.y - lat))]
                 for lat, lng, _ in shown}
        assert sites == set(best.index[:top])


@pytest.mark.parametrize("method", METHODS)
def test_twenty_weight_vectors_score_and_rank_as_python(opened, sample, method):
    result, layers, pts = sample
    p = opened
    p.js("siteplan.reset()")
    names = [c.name for c in sp.get_profile(PROFILE).criteria]
    rng = np.random.default_rng(16 + METHODS.index(method))
    assert p.js("m => siteplan.setMethod(m)", method) == method
    for draw in range(20):
        w = rng.dirichlet(np.ones(len(names))) * rng.uniform(0.2, 30)
        if draw % 4 == 3:
            w[rng.integers(len(names))] = 0.0                     # a criterion switched off
        given = dict(zip(names, w.tolist(), strict=True))
        p.js("w => siteplan.setWeights(w)", given)
        py = python_scores(layers, given, method)
        assert p.js("siteplan.method()") == method
        assert p.js("siteplan.weights()") == pytest.approx(
            sp.get_profile(PROFILE).with_weights(given).weights, abs=1e-15)
        check_ranking(p.js("siteplan.ranking()"), py)
        if draw % 5 == 0:
            check_markers(p, py, pts)
    p.js("siteplan.reset()")


@pytest.mark.parametrize("method", ["wgm", "topsis"])
def test_classes_colours_and_legend_follow(opened, sample, method):
    import mapclassify  # here, not at collection: it compiles a function when imported
    result, layers, _ = sample
    p = opened
    names = [c.name for c in sp.get_profile(PROFILE).criteria]
    given = dict(zip(names, [0.05, 0.5, 0.05, 0.3, 0.1], strict=True))
    p.js("m => siteplan.setMethod(m)", method)
    p.js("w => siteplan.setWeights(w)", given)
    py = python_scores(layers, given, method)
    y = py["score"].to_numpy(float)
    with warnings.catch_warnings():   # ties: mapclassify says it makes fewer classes
        warnings.simplefilter("ignore", UserWarning)
        clf = mapclassify.Quantiles(y, k=min(5, len(np.unique(y))))
    colors = [c.lower() for c in st.ramp(len(clf.bins))]
    layer = p.var(folium.GeoJson, st.TEXT["id"]["score_layer"])
    fills = p.js(f"window.{layer}.getLayers().map(l => [l.feature.id, l.options.fillColor])")
    ids = [r["parcel_id"] for r in p.js("siteplan.ranking()")]
    blob_ids = p.js(f"JSON.parse(document.getElementById('siteplan-data-{p.map.get_name()}')"
                    ".textContent).ids")
    expected = dict(zip(py.index, np.asarray(clf.yb), strict=True))
    assert len(fills) == len(py)
    for fid, fill in fills:
        assert fill.lower() == colors[expected[blob_ids[int(fid)]]]
    legend = p.js("Array.from(document.querySelectorAll('.sp-legend details > .r .c'))"
                  ".map(e => e.textContent)")
    counts = [int(t.strip("()").replace(".", "")) for t in legend[:len(clf.bins)]]
    assert counts == list(np.bincount(clf.yb, minlength=len(clf.bins))[::-1])
    assert p.js("document.querySelector('.sp-title .t2').textContent").endswith(method.upper())
    assert sorted(ids) == sorted(py.index)
    p.js("siteplan.reset()")


def _shapley(c_all, i, w, method, alpha=1.0):
    """Brute force over every subset: coalition value = score with the others at 0."""
    m = len(w)
    norms = np.sqrt((c_all ** 2).sum(axis=0))
    r_all = np.divide(c_all, norms, out=np.zeros_like(c_all), where=norms > 0)
    best, worst = (r_all * w).max(axis=0), (r_all * w).min(axis=0)

    def value(members) -> float:
        row = np.zeros(m)
        row[list(members)] = c_all[i, list(members)]
        if method == "topsis":                     # ideal points of all sites, unchanged
            v = np.divide(row, norms, out=np.zeros(m), where=norms > 0) * w
            dp, dm = np.linalg.norm(v - best), np.linalg.norm(v - worst)
            return 100 * (dm / (dp + dm) if dp + dm > 0 else 1.0)
        return 100 * float(aggregate(method, row[None, :], w, alpha=alpha)[0])

    phi = np.zeros(m)
    for j in range(m):
        others = [k for k in range(m) if k != j]
        for size in range(m):
            coef = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            for s in itertools.combinations(others, size):
                phi[j] += coef * (value((*s, j)) - value(s))
    return phi, value(()), value(tuple(range(m)))


@pytest.mark.parametrize("method", METHODS)
def test_contributions_are_shapley_values(opened, sample, method):
    result, layers, _ = sample
    p = opened
    prof = sp.get_profile(PROFILE)
    names = [c.name for c in prof.criteria]
    given = dict(zip(names, [0.3, 0.1, 0.2, 0.25, 0.15], strict=True))
    p.js("m => siteplan.setMethod(m)", method)
    p.js("w => siteplan.setWeights(w)", given)
    py = python_scores(layers, given, method)
    c_all = py[[f"c_{n}" for n in names]].to_numpy(float)
    w = np.array([prof.with_weights(given).weights[n] for n in names])
    for pid in list(py.sort_values("rank").index[:3]) + [py.index[len(py) // 2]]:
        got = p.js("id => siteplan.explain(id)", pid)
        phi, base, full = _shapley(c_all, py.index.get_loc(pid), w, method)
        assert got["score"] == pytest.approx(py.loc[pid, "score"], abs=1e-9)
        assert full == pytest.approx(py.loc[pid, "score"], abs=1e-9)
        assert [got["contributions"][n] for n in names] == pytest.approx(phi, abs=1e-9)
        assert got["base"] == pytest.approx(base, abs=1e-9)
        assert base + sum(phi) == pytest.approx(py.loc[pid, "score"], abs=1e-9)
        # and sp.score's own contributions (siteplan.methods.aggregate.shapley) are the same
        assert [got["contributions"][n] for n in names] == pytest.approx(
            py.loc[pid, [f"contrib_{n}" for n in names]].to_numpy(float).tolist(), abs=1e-9)
        if method == "wlc":
            assert phi == pytest.approx(100 * w * c_all[py.index.get_loc(pid)], abs=1e-9)
    p.js("siteplan.reset()")


def test_copy_as_toml_reads_back_with_the_same_weights(opened, tmp_path):
    p = opened
    names = [c.name for c in sp.get_profile(PROFILE).criteria]
    p.js("siteplan.setMethod('owa')")
    p.js("w => siteplan.setWeights(w)", dict(zip(names, [1, 2, 3, 0, 7], strict=True)))
    p.page.locator(".sp-panel .sp-copy").click()
    p.page.wait_for_function("document.querySelector('.sp-panel .sp-msg').textContent !== ''")
    assert p.js("document.querySelector('.sp-panel .sp-msg').textContent") == \
        st.TEXT["id"]["ia_copied"]
    text = p.js("navigator.clipboard.readText()")
    assert text == p.js("document.querySelector('.sp-panel .sp-toml').value")
    path = tmp_path / "copied.toml"
    path.write_text(text, encoding="utf-8")
    back = sp.read_profile(path)
    assert back.method == "owa"
    assert back.weights == pytest.approx(p.js("siteplan.weights()"), abs=1e-15)
    assert back.weights["luas"] == pytest.approx(7 / 13)
    p.js("siteplan.reset()")


def test_url_fragment_reopens_the_same_view(opened, browser):  # noqa: F811
    p = opened
    names = [c.name for c in sp.get_profile(PROFILE).criteria]
    p.js("siteplan.setMethod('topsis')")
    p.js("w => siteplan.setWeights(w)", dict(zip(names, [0.7, 0.01, 2.5, 1, 0.3],
                                                 strict=True)))
    p.page.wait_for_function(                                  # written once, after 250 ms
        "location.hash.includes('w.luas=' + "
        "encodeURIComponent(+siteplan.weights().luas.toPrecision(15)))")
    url = p.js("location.href")
    assert "#" in url and "w.luas=" in url and "m=topsis" in url
    # weights at 15 significant digits: 0.2, never 0.19999999999999998
    digits = [v.split("=")[1].replace("0.", "", 1).lstrip("0")
              for v in url.split("#")[1].split("&") if v.startswith("w.")]
    assert all(len(d) <= 15 for d in digits), url
    weights, ranking = p.js("siteplan.weights()"), p.js("siteplan.ranking()")
    again = Opened(browser, p.map, p.path, fragment="#" + url.split("#", 1)[1])
    try:
        assert again.js("siteplan.method()") == "topsis"
        assert again.js("siteplan.weights()") == pytest.approx(weights, abs=1e-15)
        other = again.js("siteplan.ranking()")
        assert [r["parcel_id"] for r in other] == [r["parcel_id"] for r in ranking]
        assert [r["score"] for r in other] == pytest.approx([r["score"] for r in ranking],
                                                            abs=1e-12)
        assert again.js("document.querySelector('.sp-panel select').value") == "topsis"
        again.goto(p.path.as_uri())                              # no fragment: the profile
        assert again.js("siteplan.method()") == "wlc"
        assert again.js("siteplan.weights()") == pytest.approx(
            sp.get_profile(PROFILE).weights, abs=1e-15)
        assert again.errors == []
    finally:
        again.close()
    p.js("siteplan.reset()")
    p.page.wait_for_function("location.hash === ''")
    assert "#" not in p.js("location.href")


def test_panel_controls(opened):
    p = opened
    p.js("siteplan.reset()")
    prof = sp.get_profile(PROFILE)
    names = [c.name for c in prof.criteria]
    box = p.page.locator(".sp-panel tr[data-j='0'] input.sp-pct")
    box.fill("50")
    box.dispatch_event("change")
    w = p.js("siteplan.weights()")
    assert w[names[0]] == pytest.approx(0.5, abs=1e-12)
    rest = sum(prof.weights[n] for n in names[1:])
    for n in names[1:]:                                   # the others keep their proportions
        assert w[n] == pytest.approx(prof.weights[n] / rest * 0.5, abs=1e-12)
    texts = p.js("Array.from(document.querySelectorAll('.sp-panel input.sp-pct'))"
                 ".map(e => e.value)")
    assert texts[0] == "50,0"                  # the Indonesian page's decimal comma
    shown = [float(t.replace(",", ".")) for t in texts]
    assert sum(shown) == pytest.approx(100.0, abs=1e-9) and shown[0] == 50.0
    box.fill("40.5")                           # a decimal point is read too
    box.dispatch_event("change")
    assert p.js("siteplan.weights()")[names[0]] == pytest.approx(0.405, abs=1e-12)
    p.page.locator(".sp-panel tr[data-j='4'] input[type=range]").fill("0")
    p.page.wait_for_function(f"siteplan.weights().{names[4]} === 0")   # next frame
    p.page.locator(".sp-panel select").select_option("wgm")
    assert p.js("siteplan.method()") == "wgm"
    p.page.locator(".sp-panel .sp-reset").click()
    assert p.js("siteplan.method()") == "wlc"
    assert p.js("siteplan.weights()") == pytest.approx(prof.weights, abs=1e-15)
    def error(call: str, arg) -> str | None:
        return p.js(f"a => {{ try {{ siteplan.{call}(a); return null; }} "
                    "catch (e) { return e.message; } }", arg)

    assert error("setWeights", {"nope": 1}) == \
        "tidak ada kriteria nope; pilih dari: " + ", ".join(names)
    assert error("setWeights", {"luas": -1}) == "bobot 'luas' harus angka >= 0, bukan -1"
    assert error("setWeights", dict.fromkeys(names, 0)).startswith("semua bobot 0")
    assert error("setMethod", "ahp").startswith("metode ahp tidak dikenal")
    assert p.js("siteplan.weights()") == pytest.approx(prof.weights, abs=1e-15)


def test_popup_of_the_best_site_follows_the_method(browser, tmp_path):  # noqa: F811
    from test_maps import profile, world

    layers = sp.load_layers(**world())
    prof = profile()
    result = sp.score(layers, prof)
    p = Opened(browser, sp.render_map(result, layers, interactive=True, profile=prof,
                                      lang="en"), tmp_path / "tiny_popup.html")
    try:
        scored = result.set_index("parcel_id")
        best = scored["rank"].idxmin()
        p.page.locator(".sp-rank-icon", has_text="1").first.click()
        pop = p.page.locator(".leaflet-popup-content")
        pop.wait_for()
        text = pop.inner_text()
        assert f"Score {st.fmt1(scored.loc[best, 'score'], 1, 'en')}" in text
        assert "rank 1 of 5" in text and best in text
        # each criterion's measured value beside its points: A is 50 m from the pasar
        # (150, 50) and 50 m from the arteri (y = -50), as on the static map
        assert "Measured" in text
        assert re.search(r"Near a market\s+50 m\s", text) and re.search(r"Road access\s+50 m\s",
                                                                         text)
        # the points said in plain words; WLC has no base score to name
        assert "Points: how much of the score each criterion brings (its Shapley value)." in text
        assert "every criterion at 0" not in text
        p.js("siteplan.setMethod('topsis')")                     # the open popup follows
        again = sp.score(layers, prof, method="topsis").set_index("parcel_id")
        text = pop.inner_text()
        assert "how much of the score each criterion brings (its Shapley value); the score " \
            "with every criterion at 0: " in text
        assert f"Score {st.fmt1(again.loc[best, 'score'], 1, 'en')}" in text
        assert f"rank {int(again.loc[best, 'rank'])} of 5" in text
        p.page.wait_for_timeout(300)
        ARTIFACTS.mkdir(exist_ok=True)
        p.page.screenshot(path=str(ARTIFACTS / "interactive_popup.png"))
        assert p.errors == [] and p.router.aborted == []
    finally:
        p.close()


def test_canaries_stay_text(browser, tmp_path):  # noqa: F811
    from test_maps import XSS_IMG, XSS_JS, XSS_SCRIPT, profile, world

    layers = sp.load_layers(**world())
    prof = profile()
    result = sp.score(layers, prof)
    p = Opened(browser, sp.render_map(result, layers, interactive=True, profile=prof,
                                      lang="en"), tmp_path / "tiny.html")
    try:
        layer = p.var(folium.GeoJson, st.TEXT["en"]["score_layer"])
        texts = p.js(f"""() => window.{layer}.getLayers().map(l => {{
            const c = l.getBounds().getCenter();
            l.fire('mouseover', {{latlng: c}}, true);
            const tip = Array.from(document.querySelectorAll('.leaflet-tooltip'))
                .map(t => t.innerText).join(' ');
            l.fire('click', {{latlng: c}}, true);
            const pop = document.querySelector('.leaflet-popup-content');
            return [tip, pop ? pop.innerText : '', pop ? pop.querySelector('h4').textContent
                    : ''];
        }})""")
        assert len(texts) == 5
        heads = {h for _, _, h in texts}
        assert XSS_SCRIPT in heads and XSS_JS.strip() in heads and XSS_IMG in heads
        assert any(XSS_IMG in pop for _, pop, _ in texts)               # kelurahan of A
        assert any("`${window.__xss=3}`" in tip for tip, _, _ in texts)
        panel = p.js("document.querySelector('.sp-panel').innerText")
        assert "Dekat pasar" not in panel or "Near a market" in panel
        assert p.js("document.querySelectorAll('.sp-panel img, .leaflet-popup-content img,"
                    " .leaflet-tooltip img, .leaflet-popup-content script').length") == 0
        assert p.js("window.__xss") is None
        # the page's escaping and number format are the Python ones
        samples = [XSS_IMG, XSS_SCRIPT, XSS_JS, "a\tb\x00c & 'd'", "${x}`"]
        assert p.js("s => s.map(siteplanInteractive.esc)", samples) == \
            [st.esc1(s) for s in samples]
        values = [0, 0.05, 1234.5, -0.04, 2.5, 3.5, 1e6 + 0.25, -98765.4321]
        for lang in ("id", "en"):
            for dec in (0, 1, 2):
                got = p.js("a => a[0].map(x => siteplanInteractive.fmt(x, a[1], a[2]))",
                           [values, dec, lang])
                assert got == [st.fmt1(v, dec, lang) for v in values], (lang, dec)
        assert p.errors == [] and p.router.aborted == []
    finally:
        p.close()


def test_screenshot_of_the_panel(opened, sample):
    """The panel as a planner sees it after new weights: drawn on screen, its boxes showing
    the weights in percent, the map's top markers Python's best sites for those weights,
    and the picture of the panel not blank (saved for a person to look at)."""
    import io

    from PIL import Image

    _, layers, pts = sample
    p = opened
    names = [c.name for c in sp.get_profile(PROFILE).criteria]
    given = dict(zip(names, [0.15, 0.1, 0.45, 0.2, 0.1], strict=True))
    p.js("w => siteplan.setWeights(w)", given)
    panel = p.page.locator(".sp-panel")
    assert panel.is_visible()
    box = panel.bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 150
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 1280
    shown = p.js("Array.from(document.querySelectorAll('.sp-panel input.sp-pct'))"
                 ".map(e => parseFloat(e.value.replace(',', '.')))")
    assert shown == pytest.approx([15, 10, 45, 20, 10], abs=1e-9)
    labels = p.js("Array.from(document.querySelectorAll('.sp-panel tr[data-j]'))"
                  ".map(r => r.innerText)")
    assert len(labels) == len(names)
    py = python_scores(layers, given, "wlc")
    check_ranking(p.js("siteplan.ranking()"), py)
    check_markers(p, py, pts)
    ARTIFACTS.mkdir(exist_ok=True)
    p.page.screenshot(path=str(ARTIFACTS / "interactive_panel.png"))
    # the panel's pixels: text and controls on its background, not one flat colour
    picture = Image.open(io.BytesIO(p.page.screenshot(clip=box))).convert("RGB")
    pixels = np.asarray(picture).reshape(-1, 3)
    assert picture.size[0] >= 150 and len(np.unique(pixels, axis=0)) > 20
    p.js("siteplan.reset()")


def test_a_map_without_eligible_sites_still_works(browser, tmp_path):  # noqa: F811
    from test_maps import profile, world

    layers = sp.load_layers(**world())
    prof = profile(constraints=[{"type": "min_area", "value": 1e9}])
    result = sp.score(layers, prof)
    p = Opened(browser, sp.render_map(result, layers, interactive=True, profile=prof),
               tmp_path / "empty.html")
    try:
        assert p.js("siteplan.ranking()") == []
        assert p.js("siteplan.setWeights({pasar: 1, jalan: 1})") == {"pasar": 0.5,
                                                                      "jalan": 0.5}
        assert p.js("siteplan.setMethod('topsis')") == "topsis"
        assert p.errors == [] and p.router.aborted == []
    finally:
        p.close()


def tie_world():
    """Sites in mirrored pairs around one market (the same distances to the last bit), so
    scores tie; the first row of each pair has the later parcel_id."""
    x0, y0, crs = 620_000.0, 9_320_000.0, "EPSG:32748"

    def box(x1, y1, x2, y2):
        return shapely.box(x0 + x1, y0 + y1, x0 + x2, y0 + y2)

    parcels = gpd.GeoDataFrame({
        "parcel_id": ["Z-near", "A-near", "M-mid", "K-mid", "B-far", "Y-far", "C-far", "solo"],
        "ownership": ["pemda"] * 8,
    }, geometry=[box(100, -20, 140, 20), box(-140, -20, -100, 20),   # 100 m from the market
                 box(300, -20, 340, 20), box(-340, -20, -300, 20),   # 300 m
                 box(2000, 0, 2040, 40), box(-2040, 0, -2000, 40),   # beyond 1,500 m: 0
                 box(0, 2000, 40, 2040),
                 box(0, 180, 40, 220)], crs=crs)                     # 180 m: alone
    pois = gpd.GeoDataFrame({"category": ["pasar", "masjid"]},
                            geometry=[shapely.Point(x0, y0), shapely.Point(x0, y0 + 3000)],
                            crs=crs)
    prof = sp.profiles.profile_from_dict({
        "name": "seri", "title": {"id": "Seri", "en": "Ties"},
        "candidates": {"ownership": ["pemda"]},
        "criteria": [
            {"name": "pasar", "measure": "distance", "layer": "pois",
             "where": {"category": ["pasar"]}, "weight": 2,
             "transform": {"type": "linear", "best": 0, "worst": 1500}},
            {"name": "masjid", "measure": "distance", "layer": "pois",
             "where": {"category": ["masjid"]}, "weight": 1,
             "transform": {"type": "linear", "best": 0, "worst": 500}}],
    })
    return sp.load_layers(parcels=parcels, pois=pois), prof


def test_shared_ranks_and_the_tie_rule_as_python(browser, tmp_path):  # noqa: F811
    layers, prof = tie_world()
    result = sp.score(layers, prof)
    py = result.set_index("parcel_id")
    # by hand: the masjid is beyond 500 m of every site (0 for all), so the market decides:
    # two at 100 m, then solo (180 m), two at 300 m, three beyond 1,500 m
    assert py["rank"].to_dict() == {"Z-near": 1, "A-near": 1, "solo": 3, "M-mid": 4,
                                    "K-mid": 4, "B-far": 6, "Y-far": 6, "C-far": 6}
    assert py["rank_shared"].to_dict() == {"Z-near": 2, "A-near": 2, "solo": 1, "M-mid": 2,
                                           "K-mid": 2, "B-far": 3, "Y-far": 3, "C-far": 3}
    p = Opened(browser, sp.render_map(result, layers, interactive=True, profile=prof,
                                      lang="en", top=4), tmp_path / "ties.html")
    try:
        got = p.js("siteplan.ranking()")
        check_ranking(got, py)
        # equal scores in the order of TIE_RULE (parcel_id), as siteplan.scoring.ranks.best_first
        assert [r["parcel_id"] for r in got] == list(result.loc[best_first(result),
                                                                "parcel_id"])
        assert sorted(p.js("siteplan.topSites()")) == ["A-near", "K-mid", "Z-near", "solo"]
        # the popup says who shares the rank, in Python's words
        layer = p.var(folium.GeoJson, st.TEXT["en"]["score_layer"])
        pops = p.js(f"""() => window.{layer}.getLayers().map(l => {{
            l.fire('click', {{latlng: l.getBounds().getCenter()}}, true);
            const pop = document.querySelector('.leaflet-popup-content');
            return pop ? pop.innerText : ''; }})""")
        assert len(pops) == 8
        for text in pops:
            pid = next(pid for pid in py.index if pid in text)
            n = int(py.loc[pid, "rank_shared"])
            rank = int(py.loc[pid, "rank"])
            if n > 1:
                assert f"rank {rank} (shared by {n} sites) of 8" in text, text
            else:
                assert f"rank {rank} of 8" in text and "shared" not in text, text
        # new weights: the ties stay ties, in Python's count
        p.js("w => siteplan.setWeights(w)", {"pasar": 1.0, "masjid": 3.0})
        again = sp.score(layers, prof.with_weights({"pasar": 1.0, "masjid": 3.0}))
        check_ranking(p.js("siteplan.ranking()"), again.set_index("parcel_id"))
        assert p.errors == [] and p.router.aborted == []
    finally:
        p.close()
