"""``siteplan access``: who is underserved now, per demand unit and per kelurahan."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    EXIT_OK,
    LANGS,
    UsageError,
    check_free,
    layer_options,
    layer_rule,
    layers_from_args,
    number_or_column,
    save_map,
    save_text,
    say,
)

HELP = "access of every place to the facilities already there (2SFCA, gravity, RAAM, ...)"
DESCRIPTION = ("Measure how well the people of every square of --cell metres reach the "
               "facilities already there (a layer, e.g. pois:category=puskesmas) with an "
               "access measure of PySAL access's family (2sfca, e2sfca, 3sfca, gravity, "
               "raam), straight-line or along roads, and sum it up per kelurahan or "
               "kecamatan: people, their mean and lowest access, and with --threshold the "
               "people below it. Without layer files, the embedded sample is used.")

#: the table formats of --out and --areas (the per-unit points and the per-area table)
_UNIT_SUFFIXES = (".gpkg", ".geojson", ".csv")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..locate import ACCESS_METHODS
    from ..locate.costs import COSTS

    layer_options(p)
    p.add_argument("--facilities", required=True, metavar="LAYER[:COLUMN=V1,V2]",
                   help="the facilities already there, e.g. pois:category=puskesmas")
    p.add_argument("--method", choices=[m for m in ACCESS_METHODS if m != "fca"],
                   default="2sfca", help="access measure (default: 2sfca)")
    p.add_argument("--radius", type=float, default=1000.0,
                   help="catchment in metres (default: 1000)")
    p.add_argument("--cost", choices=list(COSTS), default="straight",
                   help="distances straight-line or along roads (default: straight)")
    p.add_argument("--cell", type=float, default=500.0,
                   help="people gathered into squares of this many metres (default: 500)")
    p.add_argument("--capacity", help="each facility's supply: a number or a column "
                   "(default: 1, facilities are counted)")
    p.add_argument("--threshold", type=float,
                   help="access below which people count as underserved")
    p.add_argument("--by", choices=["kelurahan", "kecamatan"], default="kelurahan",
                   help="the areas the table sums up (default: kelurahan)")
    p.add_argument("--out", type=Path, help="every demand unit with its access "
                   "(.gpkg, .geojson or .csv)")
    p.add_argument("--areas", type=Path, help="the table per area (.csv)")
    p.add_argument("--map", type=Path, help="also draw access on an HTML map")
    p.add_argument("--map-by", choices=["squares", "kelurahan", "kecamatan"],
                   default="squares", help="the map's dots per square of people (default) or "
                   "fill per kelurahan or kecamatan (needs --admin)")
    p.add_argument("--lang", choices=LANGS, default="id", help="map language (default: id)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def _write_units(units, path: Path, overwrite: bool) -> None:
    """The demand units as points (GeoPackage, GeoJSON) or a table with x and y (CSV)."""
    from ..outputs.formats import atomic_path

    check_free([path], overwrite)
    with atomic_path(path, overwrite=overwrite) as tmp:
        if path.suffix.lower() == ".csv":
            table = units.drop(columns="geometry").assign(x=units.geometry.x,
                                                          y=units.geometry.y)
            table.to_csv(tmp, index=False)
        else:
            driver = "GPKG" if path.suffix.lower() == ".gpkg" else "GeoJSON"
            units.to_file(tmp, driver=driver, layer="access" if driver == "GPKG" else None)


def _draw(args, units, layers) -> None:
    """The access map, per square of people or per admin unit (--map-by)."""
    from ..render.access_map import render_access

    level = None if args.map_by == "squares" else args.map_by
    if level is not None and level not in units.columns:
        raise UsageError(f"--map-by {level} needs an admin layer naming each {level} "
                         "(--admin FILE)")
    m = render_access(units, layers, level=level, threshold=args.threshold, lang=args.lang)
    save_map(m, args.map, args.overwrite)


def run(args) -> int:
    from ..locate import access_by_area, access_now, equity

    for path, allowed in ((args.out, _UNIT_SUFFIXES), (args.areas, (".csv",)),
                          (args.map, (".html",))):
        if path is not None and path.suffix.lower() not in allowed:
            raise UsageError(f"{path.name!r} must end in one of {', '.join(allowed)}")
    outputs = [p for p in (args.out, args.areas, args.map) if p]
    check_free(outputs, args.overwrite)
    layer, where = layer_rule(args.facilities, "--facilities")
    layers = layers_from_args(args)
    if args.map and args.map_by != "squares" and "admin" not in layers:
        raise UsageError(f"--map-by {args.map_by} needs an admin layer (--admin FILE)")
    units = access_now(layers, layer, where, method=args.method, radius=args.radius,
                       cost=args.cost, cell=args.cell, capacity=number_or_column(args.capacity))
    eq = equity(units["access"], units["people"],
                threshold=0.0 if args.threshold is None else args.threshold)
    if args.out:
        _write_units(units, args.out, args.overwrite)
    say(args, f"{args.method} access of {len(units):,} demand units ({units['people'].sum():,.0f}"
              f" people) to {args.facilities}: people-weighted mean {eq['mean']:.4g}, lowest "
              f"tenth of people {eq['lowest_decile_mean']:.4g}")
    if args.threshold is not None:
        say(args, f"  below {args.threshold:g}: {eq['people_below']:,.0f} people "
                  f"({eq['share_below']:.1%})")
    if args.by in units.columns:
        table = access_by_area(units, args.by, threshold=args.threshold)
        if args.areas:
            save_text(table.to_csv(), args.areas, args.overwrite)
        worst = table.sort_values(["access_mean", "people"], ascending=[True, False]).head(5)
        say(args, f"  lowest mean access by {args.by}:")
        for name, row in worst.iterrows():  # five rows
            say(args, f"    {name}: {row['access_mean']:.4g} ({row['people']:,.0f} people)")
    elif args.areas:
        raise UsageError(f"--areas needs an admin layer naming each {args.by} "
                         "(--admin FILE)")
    if args.map:
        _draw(args, units, layers)
    if outputs:
        say(args, "wrote " + ", ".join(str(x) for x in outputs))
    return EXIT_OK
