"""``siteplan map``: draw the HTML map of a scored file."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import EXIT_OK, UsageError, check_free, map_options, profile_from_arg, save_map, say

HELP = "draw the HTML map of a scored file"
DESCRIPTION = "Draw the HTML map of a file written by 'siteplan score'."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scored", type=Path, help="scored file (.gpkg, .geojson, .parquet, .csv)")
    p.add_argument("--out", required=True, type=Path, help="HTML file to write")
    map_options(p, interactive=True)
    p.add_argument("--profile", metavar="NAME|FILE.toml",
                   help="with --interactive: the profile that was scored, when it is not a "
                   "built-in one (for 'copy as TOML')")
    p.add_argument("--overwrite", action="store_true", help="replace an existing map")


def run(args) -> int:
    from ..layers.sample import load_sample
    from ..outputs.formats import read_result
    from ..render.score_map import render_map
    from ..scoring.record import maybe_record

    check_free([args.out], args.overwrite)
    if args.profile and not args.interactive:
        raise UsageError("--profile is only used with --interactive")
    result = read_result(args.scored)
    rec = maybe_record(result)
    layers = load_sample() if rec is not None and rec.provenance.synthetic else None
    profile = profile_from_arg(args.profile) if args.profile else None
    save_map(render_map(result, layers, lang=args.lang, top=args.top,
                           interactive=args.interactive, profile=profile), args.out,
             args.overwrite)
    say(args, f"wrote {args.out}")
    return EXIT_OK
