"""Take the README's screenshots of the demo map with headless Chromium.

    .venv/bin/python scripts/screenshot.py [docs/demo-map.png]
    .venv/bin/python scripts/screenshot.py --interactive [docs/interactive-map.png]

``--interactive``: the same map drawn with ``interactive=True``, road access
raised to half the weight in the panel, zoomed on the city centre.

Needs Debian's chromium and the npm assets of the browser tests
(npm ci --prefix tests/browser); the map's CDN files are served from them and
map tiles are left blank (no network), so the picture shows siteplan's own
layers on a plain background.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import siteplan as sp

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


def main(out: Path, *, interactive: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    spec = importlib.util.spec_from_file_location("cdn", ROOT / "tests" / "browser" / "cdn.py")
    cdn = importlib.util.module_from_spec(spec)
    sys.modules["cdn"] = cdn  # dataclasses look their module up there
    spec.loader.exec_module(cdn)
    layers = sp.load_sample()
    result = sp.score(layers, "sentra_kuliner")
    m = sp.render_map(result, layers, lang="id", top=10, interactive=interactive)
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "map.html"
        m.save(str(html))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 960, "height": 720 if interactive
                                              else 600})
            router = cdn.Router()
            page.route("**/*", router.handle)
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_timeout(800)
            if interactive:
                page.evaluate(f"window.{m.get_name()}.setView([-6.118, 106.152], 14, "
                              "{animate: false}) && null")
                box = page.locator(".sp-panel tr[data-j='2'] input[type=number]")
                box.fill("50")
                box.dispatch_event("change")
                box.evaluate("e => e.blur()")
                page.wait_for_timeout(800)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--interactive"]
    live = "--interactive" in sys.argv[1:]
    default = "interactive-map.png" if live else "demo-map.png"
    main(Path(args[0]) if args else ROOT / "docs" / default, interactive=live)
