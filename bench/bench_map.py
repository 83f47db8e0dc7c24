"""Benchmark: sp.render_map vs GeoDataFrame.explore on 100,000 scored parcels.

Builds 100,000 synthetic parcels with siteplan's sample generator (a jittered
grid of boxes around Serang when the generator is not there), scores them with
a simple profile (every parcel a candidate, two setback rules, three
criteria), then times drawing and saving the map with ``sp.render_map`` and
with ``GeoDataFrame.explore`` on the same result, and prints seconds, HTML
size and their ratio. When ``/usr/bin/chromium`` and the npm assets of
``tests/browser`` are there, each map is also opened in headless Chromium
(CDN files served locally, tiles blank) and the time to the ``load`` event
is measured.

Run::

    python bench/bench_map.py               # 100,000 parcels
    python bench/bench_map.py --n 20000 --no-explore

Files go to ``bench/_out/`` (gitignored).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # samplegen

import geopandas as gpd
import numpy as np
import shapely

import siteplan as sp
from siteplan.profiles.profile import profile_from_dict

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]

PROFILE = {
    "name": "bench", "title": {"id": "Uji 100 ribu persil", "en": "100,000-parcel benchmark"},
    "constraints": [
        {"type": "outside", "layer": "rivers", "buffer": 15,
         "title": {"id": "Di sempadan sungai (15 m)", "en": "Within the river setback (15 m)"}},
        {"type": "outside", "layer": "flood_zones", "buffer": 0,
         "title": {"id": "Di kawasan rawan banjir", "en": "In a flood-prone zone"}},
    ],
    "criteria": [
        {"name": "akses_jalan", "title": {"id": "Akses jalan", "en": "Road access"},
         "measure": "distance", "layer": "roads", "where": {"road_class": ["arteri", "kolektor"]},
         "transform": {"type": "linear", "best": 0, "worst": 1000}, "weight": 0.4},
        {"name": "dekat_pasar", "title": {"id": "Dekat pasar", "en": "Near a market"},
         "measure": "distance", "layer": "pois", "where": {"category": ["pasar"]},
         "transform": {"type": "linear", "best": 0, "worst": 2000}, "weight": 0.35},
        {"name": "luas", "title": {"id": "Luas lahan", "en": "Land area"}, "measure": "area",
         "transform": {"type": "linear", "best": 500, "worst": 20}, "weight": 0.25},
    ],
}


def make_layers(n: int) -> sp.Layers:
    """n synthetic parcels with the sample's context layers (or a plain grid)."""
    try:
        from samplegen import generate_sample
    except ImportError:
        generate_sample = None
    if generate_sample is not None:
        raw = generate_sample(n_parcels=n)
        extra = {k: raw[k] for k in ("rivers", "coastline", "flood_zones", "sawah", "heritage")}
        core = {k: raw[k] for k in ("parcels", "green_spaces", "roads", "pois", "admin",
                                    "population")}
        return sp.load_layers(**core, extra=extra)
    return sp.load_layers(**_grid_world(n))


def _grid_world(n: int) -> dict:
    """A jittered grid of boxes in EPSG:32748 around Serang, with roads, a market, a river."""
    rng = np.random.default_rng(0)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0, y0 = 620_000.0, 9_320_000.0
    x = x0 + (i % side) * 40.0 + rng.uniform(-3, 3, n)
    y = y0 + (i // side) * 40.0 + rng.uniform(-3, 3, n)
    w, h = rng.uniform(15, 34, n), rng.uniform(15, 34, n)
    parcels = gpd.GeoDataFrame({"parcel_id": [f"P{k:06d}" for k in range(n)],
                                "ownership": "pemda", "kelurahan": "Cipare"},
                               geometry=shapely.box(x, y, x + w, y + h), crs="EPSG:32748")
    span = side * 40.0
    roads = gpd.GeoDataFrame({"road_class": ["arteri", "kolektor"]}, geometry=[
        shapely.LineString([(x0, y0 + span / 2), (x0 + span, y0 + span / 2)]),
        shapely.LineString([(x0 + span / 3, y0), (x0 + span / 3, y0 + span)])], crs="EPSG:32748")
    pois = gpd.GeoDataFrame({"category": ["pasar"], "name": ["Pasar"]},
                            geometry=[shapely.Point(x0 + span / 2, y0 + span / 2)],
                            crs="EPSG:32748")
    rivers = gpd.GeoDataFrame(geometry=[shapely.LineString(
        [(x0 + 2 * span / 3, y0), (x0 + 2 * span / 3 + 200, y0 + span)])], crs="EPSG:32748")
    flood = gpd.GeoDataFrame(geometry=[shapely.Point(x0, y0).buffer(span / 8)],
                             crs="EPSG:32748")
    return {"parcels": parcels, "roads": roads, "pois": pois,
            "extra": {"rivers": rivers, "flood_zones": flood}}


def _cdn():
    path = ROOT / "tests" / "browser" / "cdn.py"
    spec = importlib.util.spec_from_file_location("siteplan_test_cdn", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def open_in_chromium(paths: dict[str, Path], timeout_s: float) -> dict[str, str]:
    """Seconds from navigation to the ``load`` event, per map (or why not measured)."""
    if not Path(CHROMIUM).is_file():
        return dict.fromkeys(paths, "no chromium")
    cdn = _cdn()
    if cdn.missing_assets():
        return dict.fromkeys(paths, "no npm assets (npm ci --prefix tests/browser)")
    from playwright.sync_api import Error, sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, path in paths.items():
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            router, errors = cdn.Router(), []
            page.route("**/*", router.handle)
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            t = time.perf_counter()
            try:
                page.goto(path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
                loaded = time.perf_counter() - t
                n = page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path, "
                                  ".leaflet-overlay-pane canvas').length")
                ok = page.evaluate("typeof window.L") == "object" and not errors
                out[name] = f"{loaded:.1f}" + ("" if ok else " (JS error)") + f", {n} paths"
            except Error as err:
                out[name] = f"failed: {str(err).splitlines()[0][:60]}"
            page.close()
        browser.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of parcels")
    ap.add_argument("--detail", type=int, default=5000, help="render_map(detail=...)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "_out")
    ap.add_argument("--no-explore", action="store_true", help="skip GeoDataFrame.explore")
    ap.add_argument("--no-full", action="store_true",
                    help="skip render_map(detail=n), every site with its own popup")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--browser-timeout", type=float, default=300)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    layers = make_layers(args.n)
    t_layers = time.perf_counter() - t
    t = time.perf_counter()
    result = sp.score(layers, profile_from_dict(PROFILE))
    t_score = time.perf_counter() - t
    counts = result["status"].value_counts().to_dict()
    print(f"{len(result):,} candidates ({counts}); layers {t_layers:.1f} s, "
          f"score {t_score:.1f} s")

    runs: dict[str, tuple[float, float, Path]] = {}

    def run(name: str, draw, file: str) -> None:
        path = args.out / file
        t0 = time.perf_counter()
        m = draw()
        t1 = time.perf_counter()
        m.save(str(path))
        t2 = time.perf_counter()
        runs[name] = (t1 - t0, t2 - t1, path)
        print(f"  {name}: {t1 - t0:.1f} s + save {t2 - t1:.1f} s, "
              f"{path.stat().st_size / 1e6:.1f} MB", flush=True)

    run(f"render_map(detail={args.detail:,})",
        lambda: sp.render_map(result, layers, detail=args.detail), "render_map.html")
    if not args.no_full and args.n > args.detail:
        run(f"render_map(detail={args.n:,})",
            lambda: sp.render_map(result, layers, detail=args.n), "render_map_full.html")
    if not args.no_explore:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # explore's own warnings are not ours
            run("GeoDataFrame.explore", lambda: result.explore(
                column="score", scheme="quantiles", k=5, cmap="RdPu"), "explore.html")

    loads = {} if args.no_browser else open_in_chromium(
        {k: v[2] for k, v in runs.items()}, args.browser_timeout)
    ref = runs.get("GeoDataFrame.explore")
    head = f"{'map':<28} {'draw s':>7} {'save s':>7} {'total s':>8} {'HTML MB':>8} " \
           f"{'size/explore':>12} {'time/explore':>12}  browser load s"
    print()
    print(head)
    print("-" * len(head))
    for name, (draw, save, path) in runs.items():
        size = path.stat().st_size
        size_ratio = f"{size / ref[2].stat().st_size:.2f}" if ref else "-"
        time_ratio = f"{(draw + save) / (ref[0] + ref[1]):.2f}" if ref else "-"
        print(f"{name:<28} {draw:>7.1f} {save:>7.1f} {draw + save:>8.1f} {size / 1e6:>8.1f} "
              f"{size_ratio:>12} {time_ratio:>12}  {loads.get(name, '-')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
