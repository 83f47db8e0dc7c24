"""Benchmark: interactive maps (``render_map(..., interactive=True)``).

1. Re-score and redraw in headless Chromium: a map of about 10,000 scored
   sites (siteplan's sample generator, every parcel a candidate, the profile
   of ``bench_map.py``) is opened and, for each method, ``siteplan.setWeights``
   is called with random weights. Two times per change are measured inside the
   page with ``performance.now()``: the call itself (score, rank, re-class,
   re-colour the changed shapes, move the numbered markers, legend, panel,
   URL) and the time until the next frame after it has been drawn (two
   ``requestAnimationFrame`` callbacks later), once the page has settled
   (network idle and one more second). Target: at most 200 ms.
2. Size of the HTML of an interactive map of 100,000 parcels (target: under
   25 MB), with the time to draw and save it; ``--open-large`` also opens it
   in Chromium and times the load and one change.

Run::

    python bench/bench_interactive.py                  # 10,000 sites; 100,000 parcels
    python bench/bench_interactive.py --sites 2000 --large 20000

Files go to ``bench/_out/`` (gitignored). CDN files are served from
``tests/browser/node_modules`` (``npm ci --prefix tests/browser``), tiles blank.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import siteplan as sp
from siteplan.profiles.profile import profile_from_dict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_map import ARGS, CHROMIUM, PROFILE, _cdn, make_layers  # noqa: E402

METHODS = ("wlc", "wgm", "owa", "topsis")

TIMED = """async (w) => {
    const t0 = performance.now();
    siteplan.setWeights(w);
    const t1 = performance.now();
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return [t1 - t0, performance.now() - t0, siteplan.timing()];
}"""


def scored_map(n_parcels: int, out: Path, name: str):
    t = time.perf_counter()
    layers = make_layers(n_parcels)
    result = sp.score(layers, profile_from_dict(PROFILE))
    t_score = time.perf_counter() - t
    prof = profile_from_dict(PROFILE)
    t = time.perf_counter()
    m = sp.render_map(result, layers, interactive=True, profile=prof)
    t_draw = time.perf_counter() - t
    path = out / name
    t = time.perf_counter()
    m.save(str(path))
    t_save = time.perf_counter() - t
    n = int((result["status"] == "scored").sum())
    print(f"{n_parcels:,} parcels, {n:,} scored sites: layers + score {t_score:.1f} s, "
          f"render_map(interactive=True) {t_draw:.1f} s, save {t_save:.1f} s, "
          f"{path.stat().st_size / 1e6:.1f} MB", flush=True)
    return path, n, prof


def open_page(p, path: Path, timeout_s: float):
    cdn = _cdn()
    page = p.new_page(viewport={"width": 1280, "height": 860})
    router, errors = cdn.Router(), []
    page.route("**/*", router.handle)
    page.on("pageerror", lambda e: errors.append(str(e)))
    t = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
    page.wait_for_function("window.siteplan !== undefined", timeout=timeout_s * 1000)
    loaded = time.perf_counter() - t
    page.wait_for_load_state("networkidle")     # tiles in, first frames drawn: then time
    page.wait_for_timeout(1000)
    return page, loaded, errors


def time_changes(page, prof, changes: int, seed: int,
                 verbose: bool = False) -> dict[str, tuple[list, list]]:
    names = [c.name for c in prof.criteria]
    rng = np.random.default_rng(seed)
    out = {}
    for method in METHODS:
        page.evaluate("m => siteplan.setMethod(m)", method)
        calls, frames = [], []
        for _ in range(changes):
            w = dict(zip(names, rng.dirichlet(np.ones(len(names))).tolist(), strict=True))
            call, frame, parts = page.evaluate(TIMED, w)
            if verbose:
                print(method, f"{call:.1f} {frame:.1f}", parts)
            calls.append(call)
            frames.append(frame)
        out[method] = (calls, frames)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=10_000,
                    help="scored sites wanted in the timed map (default 10,000)")
    ap.add_argument("--large", type=int, default=100_000,
                    help="parcels in the map whose size is measured (0: skip)")
    ap.add_argument("--changes", type=int, default=15, help="weight changes per method")
    ap.add_argument("--open-large", action="store_true",
                    help="also open the large map in Chromium (slow)")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--verbose", action="store_true", help="print every change's parts")
    ap.add_argument("--out", type=Path, default=HERE / "_out")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    # about 3.3% of the generator's parcels fall in a setback or flood zone
    path, n, prof = scored_map(int(np.ceil(args.sites / 0.965)), args.out,
                               "interactive_small.html")
    large = scored_map(args.large, args.out, "interactive_large.html") if args.large else None
    if large:
        size = large[0].stat().st_size / 1e6
        print(f"interactive map of {args.large:,} parcels: {size:.1f} MB "
              f"({'under' if size < 25 else 'OVER'} 25 MB)")

    if not Path(CHROMIUM).is_file() or _cdn().missing_assets():
        print("no Chromium or npm assets: browser timings skipped")
        return 0
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page, loaded, errors = open_page(browser, path, args.timeout)
        print(f"\n{n:,} sites: page loaded in {loaded:.1f} s")
        head = f"{'method':<8} {'call median':>12} {'call max':>9} {'to frame median':>16} " \
               f"{'to frame max':>13}  (ms, {args.changes} changes)"
        print(head)
        print("-" * len(head))
        worst = 0.0
        timed = time_changes(page, prof, args.changes, 16, args.verbose)
        for method, (calls, frames) in timed.items():
            worst = max(worst, max(frames))
            print(f"{method:<8} {np.median(calls):>12.1f} {max(calls):>9.1f} "
                  f"{np.median(frames):>16.1f} {max(frames):>13.1f}")
        print(f"slowest change to the next frame: {worst:.0f} ms "
              f"({'within' if worst <= 200 else 'OVER'} 200 ms)")
        if errors:
            print("page errors:", errors)
        page.close()
        if large and args.open_large:
            page, loaded, errors = open_page(browser, large[0], args.timeout)
            call, frame, _ = page.evaluate(TIMED, {c.name: 1.0 + i for i, c in
                                                enumerate(large[2].criteria)})
            print(f"{large[1]:,} sites: page loaded in {loaded:.1f} s; one change "
                  f"{call:.0f} ms, to the next frame {frame:.0f} ms")
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
