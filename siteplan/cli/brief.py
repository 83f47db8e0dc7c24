"""``siteplan brief``: the partner meeting pack, one printable page per site."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    EXIT_OK,
    LANGS,
    UsageError,
    check_free,
    check_sensitivity_args,
    layers_from_args,
    missing_from_args,
    profile_from_arg,
    save_text,
    say,
    scoring_options,
    sensitivity_options,
)

HELP = "write the partner meeting pack: a printable brief per site (HTML, PDF)"
DESCRIPTION = ("Score the parcels with a profile and write a brief of the best sites (or of "
               "the sites named with --site) for a meeting with a CSR partner: a cover page "
               "and one A4 page per site with a map, the score and its criteria, the "
               "constraints and their legal sources, and the neighbourhood. --pdf also prints "
               "it with headless Chromium. Without layer files, the embedded sample is used.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    scoring_options(p)
    p.add_argument("--top", type=int, default=5, metavar="N",
                   help="brief the N best-ranked sites (default: 5)")
    p.add_argument("--site", action="append", default=[], metavar="PARCEL_ID",
                   help="brief this parcel instead (repeat; in this order)")
    p.add_argument("--out", required=True, type=Path, help="the brief as HTML (.html)")
    p.add_argument("--pdf", type=Path, help="also print it to this PDF (needs Chromium)")
    p.add_argument("--author", default="Pemerintah Kota Serang",
                   help="the PDF's author: the city's unit that issues the brief "
                   "(default: Pemerintah Kota Serang)")
    p.add_argument("--lang", choices=LANGS, default="id",
                   help="language of the brief (default: id)")
    sensitivity_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def run(args) -> int:
    from ..brief import site_brief, write_brief_pdf
    from ..scoring.run import score
    from ..scoring.stability import sensitivity

    if args.out.suffix.lower() not in {".html", ".htm"}:
        raise UsageError(f"--out must end in .html, got {args.out.name!r}")
    if args.pdf is not None and args.pdf.suffix.lower() != ".pdf":
        raise UsageError(f"--pdf must end in .pdf, got {args.pdf.name!r}")
    if args.top < 1:
        raise UsageError("--top needs a number of sites >= 1")
    check_sensitivity_args(args)
    prof = profile_from_arg(args.profile)
    check_free([args.out] + ([args.pdf] if args.pdf else []), args.overwrite)
    layers = layers_from_args(args)
    result = score(layers, prof, missing=missing_from_args(args))
    stab = None
    if args.sensitivity:
        stab = sensitivity(result, prof, draws=args.sensitivity, spread=args.spread,
                              top_k=args.top_k, seed=args.seed)
    html = site_brief(result, layers, args.site or None, top=args.top, lang=args.lang,
                         stability=stab)
    save_text(html, args.out, args.overwrite)
    n = html.count('class="page site"')
    say(args, f"brief of {n} site(s), {prof.name}: wrote {args.out}")
    if args.pdf:
        write_brief_pdf(html, args.pdf, footer=f"siteplan · {prof.name}", author=args.author)
        say(args, f"  and {args.pdf} ({n + 1} pages)")
    return EXIT_OK
