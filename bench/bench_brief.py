"""Time a 10-site partner meeting pack on the sample: HTML, then PDF.

Each run starts from the loaded sample and a scored result (both timed
apart), then times ``sp.site_brief`` for the 10 best sites (with a rank
stability frame, as a planner would pass it) and ``sp.write_brief_pdf``
(headless Chromium, when ``/usr/bin/chromium`` is there). The pack is the
HTML and the PDF together; the target is at most 15 s. A fresh layer bundle
is used for every run (``--repeat``), so the road graph and feature trees
are built inside the timing, as on a first call; the best run is reported.

Run from the repository root::

    python bench/bench_brief.py [--sites 10] [--repeat 3] [--profile sentra_kuliner]

The HTML and PDF of the last run go to ``bench/_out/brief/``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import siteplan as sp

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "_out" / "brief"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", default="sentra_kuliner")
    ap.add_argument("--lang", default="id")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    pdf_ok = Path("/usr/bin/chromium").is_file()
    rows = []
    for _ in range(args.repeat):
        sp.load_sample.cache_clear()
        t0 = time.perf_counter()
        layers = sp.load_sample()
        t1 = time.perf_counter()
        result = sp.score(layers, args.profile)
        stab = sp.sensitivity(result, args.profile, draws=1000, top_k=args.sites, seed=0)
        t2 = time.perf_counter()
        html = sp.site_brief(result, layers, top=args.sites, lang=args.lang, stability=stab)
        t3 = time.perf_counter()
        (OUT / "pack.html").write_text(html, encoding="utf-8")
        pdf_s = float("nan")
        if pdf_ok:
            sp.write_brief_pdf(html, OUT / "pack.pdf")
            pdf_s = time.perf_counter() - t3
        rows.append({"load": t1 - t0, "score+sensitivity": t2 - t1, "html": t3 - t2,
                     "pdf": pdf_s, "pack": (t3 - t2) + (pdf_s if pdf_ok else 0.0),
                     "html_mb": len(html.encode()) / 1e6})
    best = min(rows, key=lambda r: r["pack"])
    print(f"{args.sites}-site pack, profile {args.profile}, lang {args.lang}, "
          f"best of {args.repeat}:")
    for key, value in best.items():
        unit = "MB" if key == "html_mb" else "s"
        print(f"  {key:18s} {value:8.2f} {unit}")
    if pdf_ok:
        from pypdf import PdfReader

        n = len(PdfReader(str(OUT / "pack.pdf")).pages)
        size = (OUT / "pack.pdf").stat().st_size / 1e6
        print(f"  pdf pages          {n:8d}   ({size:.2f} MB)")
    verdict = "within" if best["pack"] <= 15 else "OVER"
    print(f"pack (HTML + PDF) {best['pack']:.2f} s: {verdict} the 15 s target")


if __name__ == "__main__":
    main()
