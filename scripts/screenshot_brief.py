"""Take the README's screenshot of one page of a site brief with headless Chromium.

    .venv/bin/python scripts/screenshot_brief.py [docs/brief-page.png]

The page of the best sentra kuliner site on the sample, in Indonesian, with
rank stability from 1,000 weight draws, as the browser shows it on screen.
The brief loads nothing from the network. The picture is reduced to 256
colours to keep it small.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import siteplan as sp

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


def main(out: Path) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    layers = sp.load_sample()
    result = sp.score(layers, "sentra_kuliner")
    stab = sp.sensitivity(result, "sentra_kuliner", draws=1000, top_k=10, seed=0)
    html = sp.site_brief(result, layers, top=3, lang="id", stability=stab)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "brief.html"
        path.write_text(html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 900, "height": 1200},
                                    device_scale_factor=1.2)
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("file:", "data:")) else r.abort())
            page.goto(path.as_uri(), wait_until="load")
            png = page.locator("#site-1").screenshot()
            browser.close()
    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, dither=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "brief-page.png")
