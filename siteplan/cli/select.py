"""``siteplan select``: choose k sites together, most people newly in reach."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    EXIT_OK,
    LANGS,
    check_free,
    check_table_suffix,
    layers_from_args,
    missing_from_args,
    profile_from_arg,
    save_map,
    say,
    say_skipped,
    scoring_options,
)

HELP = "choose k sites together, most people newly in reach"
DESCRIPTION = ("Score the parcels with a profile, then choose K eligible sites together so "
               "that the most people come within RADIUS metres of one of them (an exact "
               "integer program; a greedy pick is reported beside it). Without layer files, "
               "the embedded sample is used.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    scoring_options(p)
    p.add_argument("--k", type=int, default=5, help="number of sites (default: 5)")
    p.add_argument("--radius", type=float, default=1000.0,
                   help="reach of a facility in metres (default: 1000)")
    p.add_argument("--min-spacing", type=float, help="minimum metres between chosen sites")
    p.add_argument("--per-kecamatan", action="store_true",
                   help="at least one site in every kecamatan with an eligible site")
    p.add_argument("--min-score", type=float, help="choose only among sites scoring this or "
                   "more (0-100)")
    p.add_argument("--out", required=True, type=Path,
                   help="chosen sites (.gpkg, .geojson, .parquet or .csv)")
    p.add_argument("--map", type=Path, help="also draw the chosen sites on an HTML map")
    p.add_argument("--lang", choices=LANGS, default="id", help="map language")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def run(args) -> int:
    from .._errors import SiteplanInputError
    from ..locate.select import check_selection, select_sites
    from ..outputs.formats import write_result
    from ..render.score_map import render_map
    from ..render.selection_map import render_selection
    from ..scoring.record import attach, record_of
    from ..scoring.run import score

    check_table_suffix(args.out)
    problems = check_selection(k=args.k, radius=args.radius, min_spacing=args.min_spacing,
                               min_score=args.min_score, where="siteplan select", cli=True)
    if problems:
        raise SiteplanInputError(problems)
    prof = profile_from_arg(args.profile)
    check_free([args.out] + ([args.map] if args.map else []), args.overwrite)
    layers = layers_from_args(args)
    result = score(layers, prof, missing=missing_from_args(args))
    chosen = select_sites(result, layers, k=args.k, radius=args.radius,
                             min_spacing=args.min_spacing, per_kecamatan=args.per_kecamatan,
                             min_score=args.min_score)
    attach(chosen, record_of(result).with_(selection=chosen.attrs["selection"]))
    write_result(chosen, args.out, overwrite=args.overwrite)
    if args.map:
        m = render_map(result, layers, lang=args.lang, top=0)
        save_map(render_selection(chosen, m=m, lang=args.lang), args.map, args.overwrite)
    say_skipped(args, record_of(result).skipped)
    sel = chosen.attrs["selection"]
    say(args, f"{len(chosen)} sites chosen together: {sel['people_covered']:,.0f} people "
              f"newly within {args.radius:g} m (greedy pick: "
              f"{sel['people_covered_greedy']:,.0f}; the {args.k} best-scored: "
              f"{sel['people_covered_top_scored']:,.0f})")
    for _, r in chosen.iterrows():  # k rows
        say(args, f"  {int(r['pick'])}. {r['parcel_id']}  {r.get('kelurahan', '')}  "
                  f"score {r['score']:.1f} (rank {int(r['rank'])}), "
                  f"+{r['people_added']:,.0f} people")
    say(args, f"wrote {args.out}" + (f" and {args.map}" if args.map else ""))
    return EXIT_OK
