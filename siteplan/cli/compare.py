"""``siteplan compare``: every profile on the same parcels, which suits each best."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    EXIT_OK,
    check_free,
    layer_options,
    layers_from_args,
    missing_from_args,
    profile_from_arg,
    say,
    say_skipped,
    skip_missing_option,
)

HELP = "all profiles on the same parcels: which suits best"
DESCRIPTION = ("Score the same parcels with every built-in profile (or those given with "
               "--profile) and say, for each parcel, which facility suits it best. Without "
               "layer files, the embedded sample is used.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, type=Path, help="folder for the outputs")
    p.add_argument("--profile", action="append", default=[], metavar="NAME_OR_TOML",
                   help="a profile to compare (repeat; default: every built-in profile)")
    layer_options(p)
    skip_missing_option(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def run(args) -> int:
    import pandas as pd

    from ..outputs.formats import atomic_path, write_result
    from ..scoring.comparison import compare
    from ..scoring.record import record_of

    out: Path = args.out
    gpkg, csv = out / "compare.gpkg", out / "compare.csv"
    check_free([gpkg, csv], args.overwrite)
    layers = layers_from_args(args)
    profiles = [profile_from_arg(p) for p in args.profile] or None
    result = compare(layers, profiles, missing=missing_from_args(args))
    write_result(result, gpkg, overwrite=args.overwrite, layer="compare")
    with atomic_path(csv, overwrite=args.overwrite) as tmp:
        pd.DataFrame(result.drop(columns="geometry")).to_csv(tmp, index=False)
    counts = result["best_profile"].value_counts()
    say(args, f"{len(result)} parcels are eligible for at least one facility; best suited:")
    rec = record_of(result, None)
    for name in rec.profiles:
        say(args, f"  {name:18} {int(counts.get(name, 0))}")
    for name, skipped in rec.skipped.items():
        say_skipped(args, skipped, name)
    say(args, f"wrote {gpkg} and {csv}")
    return EXIT_OK
