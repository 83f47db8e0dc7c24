"""``siteplan allocate``: share the city's parcels among several uses at once."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    EXIT_OK,
    LANGS,
    UsageError,
    check_free,
    check_table_suffix,
    layer_options,
    layers_from_args,
    missing_from_args,
    profile_from_arg,
    save_map,
    say,
    skip_missing_option,
)

HELP = "share the parcels among several uses at once (each parcel used once)"
DESCRIPTION = ("Score the parcels for every use named in --demand, then decide which parcel "
               "goes to which use, each parcel at most once and each use getting exactly its "
               "number of sites, so that the whole programme scores best (or brings the most "
               "people within reach): an exact integer program, with the sequential greedy "
               "plan (each use in turn takes its best remaining sites) reported beside it. "
               "Without layer files, the embedded sample is used.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demand", required=True, metavar="USE=N,...",
                   help="sites each use needs, e.g. rth=3,sentra_kuliner=1,fasilitas_publik=2;"
                   " a use is a built-in profile name or a .toml file")
    layer_options(p)
    skip_missing_option(p)
    p.add_argument("--objective", choices=("score", "coverage"), default="score",
                   help="maximise the sum of scores (default) or the people newly in reach")
    p.add_argument("--radius", metavar="M|USE=M,...",
                   help="reach in metres for --objective coverage (default: per use, from "
                   "siteplan/data/use_reach.csv)")
    p.add_argument("--min-spacing", metavar="M|USE=M,...",
                   help="minimum metres between two sites of the same use")
    p.add_argument("--per-kecamatan", metavar="USE,...",
                   help="uses that need a site in every kecamatan ('all' for every use)")
    p.add_argument("--fix", action="append", default=[], metavar="PARCEL=USE",
                   help="give a parcel to a use in advance; repeat as needed")
    p.add_argument("--exclude", action="append", default=[], metavar="PARCEL[,PARCEL]",
                   help="keep parcels out; repeat as needed")
    p.add_argument("--assemble", nargs="?", type=float, const=1.0, metavar="MAX_GAP",
                   help="score sites assembled from city parcels touching within MAX_GAP "
                   "metres (default 1) instead of single parcels")
    p.add_argument("--solver", choices=("milp", "greedy"), default="milp",
                   help="exact integer program (default) or the sequential greedy plan")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds the integer program may take (default: 60)")
    p.add_argument("--out", required=True, type=Path,
                   help="the plan (.gpkg, .geojson, .parquet or .csv)")
    p.add_argument("--map", type=Path, help="also draw the plan on an HTML map")
    p.add_argument("--lang", choices=LANGS, default="id", help="map language (default: id)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def _pairs(text: str, option: str) -> list[tuple[str, str]]:
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        if "=" not in item:
            raise UsageError(f"{option} needs NAME=VALUE items separated by commas, "
                             f"got {item!r}")
        name, value = item.split("=", 1)
        out.append((name.strip(), value.strip()))
    return out


def _metres(text: str | None, option: str, names: dict[str, str]):
    if text is None:
        return None
    try:
        if "=" not in text:
            return float(text)
        return {names.get(k, k): float(v) for k, v in _pairs(text, option)}
    except ValueError as exc:
        raise UsageError(f"{option} needs metres (a number, or USE=METRES,...), got "
                         f"{text!r}") from exc


def run(args) -> int:
    from ..locate.allocation import allocate
    from ..locate.assemble import assemble_sites
    from ..outputs.formats import write_result
    from ..render.allocation_map import render_allocation
    from ..scoring.run import score

    check_table_suffix(args.out)
    demand, profiles, names = {}, {}, {}
    for key, value in _pairs(args.demand, "--demand"):
        try:
            n = int(value)
        except ValueError as exc:
            raise UsageError(f"--demand {key}= needs a whole number of sites, got "
                             f"{value!r}") from exc
        prof = profile_from_arg(key)
        profiles[prof.name], demand[prof.name], names[key] = prof, n, prof.name
    if not demand:
        raise UsageError("--demand names no use")
    check_free([args.out] + ([args.map] if args.map else []), args.overwrite)
    fixed = {pid: names.get(use, use) for pid, use in _pairs(",".join(args.fix), "--fix")}
    exclude = [x.strip() for item in args.exclude for x in item.split(",") if x.strip()]
    per_kec = None
    if args.per_kecamatan:
        per_kec = True if args.per_kecamatan.strip().lower() == "all" else [
            names.get(x.strip(), x.strip()) for x in args.per_kecamatan.split(",") if x.strip()]
    layers = layers_from_args(args)
    scored = layers
    if args.assemble is not None:
        sites = assemble_sites(layers, max_gap=args.assemble)
        scored = layers.replace(parcels=sites)
    results = {name: score(scored, prof, missing=missing_from_args(args))
               for name, prof in profiles.items()}
    plan = allocate(results, layers, demand, objective=args.objective,
                       min_spacing=_metres(args.min_spacing, "--min-spacing", names),
                       per_kecamatan=per_kec, fixed=fixed or None, exclude=exclude or None,
                       solver=args.solver, radius=_metres(args.radius, "--radius", names),
                       time_limit=args.time_limit)
    write_result(plan, args.out, overwrite=args.overwrite, layer="allocation", lang=args.lang)
    if args.map:
        save_map(render_allocation(plan, layers, lang=args.lang, results=results), args.map,
                 args.overwrite)
    info = plan.attrs["allocation"]
    unit = "score points" if args.objective == "score" else "people newly in reach"
    greedy = info["greedy"]
    share = (f" ({100 * greedy['value'] / info['value']:.1f}% of this plan)"
             if info["value"] else "")
    g_text = (f"each use choosing in turn would reach {greedy['value']:,.1f}{share}"
              if greedy["complete"] else
              f"each use choosing in turn could not meet the demand ({greedy['shortfall']})")
    say(args, f"{len(plan)} sites allocated ({info['status']}, {info['time_s']:.2f} s): "
              f"{info['value']:,.1f} {unit}; {g_text}")
    for _, r in plan.iterrows():  # one line per allocated site (a handful)
        say(args, f"  {r['use']} {int(r['pick'])}. {r['parcel_id']}  "
                  f"{r.get('kecamatan', '')}  score {r['score']:.1f} (rank {int(r['rank'])})"
                  + (" fixed" if r["fixed"] else ""))
    say(args, f"wrote {args.out}" + (f" and {args.map}" if args.map else ""))
    return EXIT_OK
