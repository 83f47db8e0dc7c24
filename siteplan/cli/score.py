"""``siteplan score``: score parcels with a profile and write the result."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    EXIT_OK,
    LANGS,
    check_free,
    check_sensitivity_args,
    check_table_suffix,
    layers_from_args,
    missing_from_args,
    profile_from_arg,
    say,
    say_skipped,
    scoring_options,
    sensitivity_options,
    with_sensitivity,
)

HELP = "score parcels with a profile and write the result"
DESCRIPTION = ("Score the parcels with a profile. The output format follows OUT's extension: "
               ".gpkg (styled for QGIS), .geojson, .parquet or .csv. A layer file may name a "
               "GeoPackage layer as FILE:LAYER.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..methods.aggregate import METHODS

    scoring_options(p)
    p.add_argument("--method", choices=sorted(METHODS),
                   help="override the profile's aggregation method")
    p.add_argument("--out", required=True, type=Path, help="output file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--lang", choices=LANGS, default="id",
                   help="language of a GeoPackage's words: status, reasons for exclusion, "
                   "notes, field aliases, legend and description (default: id)")
    sensitivity_options(p)


def run(args) -> int:
    from ..outputs.formats import write_result
    from ..scoring.record import record_of
    from ..scoring.run import score

    check_table_suffix(args.out)
    check_sensitivity_args(args)
    prof = profile_from_arg(args.profile)
    check_free([args.out], args.overwrite)
    layers = layers_from_args(args)
    result = score(layers, prof, method=args.method, missing=missing_from_args(args))
    result = with_sensitivity(result, prof, args)
    write_result(result, args.out, overwrite=args.overwrite, lang=args.lang)
    rec = record_of(result)
    say_skipped(args, rec.skipped)
    c = rec.counts
    say(args, f"{args.out}: {c.scored} scored, {c.excluded} excluded, "
              f"{c.rejected} rejected, {c.not_candidate} not candidates")
    return EXIT_OK
