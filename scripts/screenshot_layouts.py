"""Two pictures of every map kind and the brief, on a phone and on a desk, for ``docs/``.

    .venv/bin/python -m pytest tests/browser/test_phone_layout.py
    .venv/bin/python scripts/screenshot_layouts.py [docs]

The layout test opens each page in Chromium at 390x844 and 1366x768 and saves
one screenshot per page and size in ``tests/_artifacts/layout/``; this script
puts each size's screenshots side by side, labelled, as ``layout-phone.png``
and ``layout-desk.png`` (halved, in 128 colours, so they stay small).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "tests" / "_artifacts" / "layout"
KINDS = ("score", "interactive", "rth", "selection", "allocation", "locate", "offers", "access",
         "brief")


def montage(size: str, out: Path, *, columns: int) -> Path:
    """The screenshots of one size in a grid, each under its page kind's name."""
    shots = [(kind, Image.open(SHOTS / f"{kind}-{size}.png").convert("RGB")) for kind in KINDS]
    w, h = (s // 2 for s in shots[0][1].size)
    label = 22
    rows = -(-len(shots) // columns)
    sheet = Image.new("RGB", (columns * w, rows * (h + label)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (kind, shot) in enumerate(shots):
        x, y = (i % columns) * w, (i // columns) * (h + label)
        draw.text((x + 6, y + 5), kind, fill="black")
        sheet.paste(shot.resize((w, h)), (x, y + label))
    path = out / f"layout-{size}.png"
    sheet.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def main(out: Path) -> None:
    missing = [k for k in KINDS if not (SHOTS / f"{k}-phone.png").is_file()]
    if missing:
        sys.exit(f"no screenshots of {', '.join(missing)}: run "
                 "pytest tests/browser/test_phone_layout.py first")
    for size, columns in (("phone", 9), ("desk", 3)):
        print(montage(size, out, columns=columns))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
