"""``siteplan locate``: choose sites with a location model (p-median, p-center, covering, ...)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._common import (
    EXIT_OK,
    LANGS,
    check_free,
    check_table_suffix,
    layer_rule,
    layers_from_args,
    missing_from_args,
    number_or_column,
    profile_from_arg,
    save_map,
    save_text,
    say,
    scoring_options,
)

HELP = "choose sites with a location model (pmedian, pcenter, mclp, lscp, ...)"
DESCRIPTION = ("Score the parcels with a profile, then choose sites among the eligible ones with "
               "a location model solved exactly (HiGHS): pmedian (shortest average trip), "
               "pcenter (shortest worst trip), mclp (most people within RADIUS), lscp (fewest "
               "sites reaching everyone), lscpb, cpmedian (with capacity), pdispersion (spread "
               "apart). People come from the population layer in squares of --cell metres; "
               "costs are straight-line or along roads. Without layer files, the embedded "
               "sample is used.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..locate import MODELS
    from ..locate.costs import COSTS

    scoring_options(p)
    p.add_argument("--model", choices=list(MODELS), default="pmedian",
                   help="location model (default: pmedian)")
    p.add_argument("--k", type=int, default=5, help="new sites to choose (default: 5; "
                   "lscp and lscpb find the number themselves)")
    p.add_argument("--radius", type=float, help="reach in metres (mclp, lscp, lscpb)")
    p.add_argument("--cost", choices=list(COSTS), default="straight",
                   help="distances straight-line or along roads (default: straight)")
    p.add_argument("--cell", type=float, default=500.0,
                   help="people gathered into squares of this many metres (default: 500)")
    p.add_argument("--existing", metavar="LAYER[:COLUMN=VALUE]",
                   help="facilities already there, kept open, e.g. pois:category=puskesmas")
    p.add_argument("--capacity", help="cpmedian: people a site serves, a number or a column")
    p.add_argument("--fixed", action="append", default=[], metavar="PARCEL_ID",
                   help="a parcel that must be chosen; repeat as needed")
    p.add_argument("--exclude", action="append", default=[], metavar="PARCEL_ID",
                   help="a parcel that must not be chosen; repeat as needed")
    p.add_argument("--min-spacing", type=float, help="minimum metres between chosen sites")
    p.add_argument("--per-kecamatan", action="store_true",
                   help="at least one site in every kecamatan with a candidate")
    p.add_argument("--min-score", type=float, help="candidates score this or more (0-100)")
    p.add_argument("--time-limit", type=float, default=600.0,
                   help="seconds the solver may take (default: 600)")
    p.add_argument("--access-threshold", type=float, metavar="T",
                   help="also say the people whose 2SFCA access (facilities per person in "
                   "reach) is below T, and the lowest tenth's mean access, before and after "
                   "the plan (to the --existing facilities)")
    p.add_argument("--access-radius", type=float, default=1000.0,
                   help="reach of --access-threshold in metres (default: 1000)")
    p.add_argument("--out", required=True, type=Path,
                   help="chosen sites (.gpkg, .geojson, .parquet or .csv)")
    p.add_argument("--plan", type=Path, help="also write the plan (objective, bound, gap, "
                   "each demand unit's site and cost) as JSON")
    p.add_argument("--map", type=Path, help="also draw the plan on an HTML map")
    p.add_argument("--lang", choices=LANGS, default="id", help="map language")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def run(args) -> int:
    from ..locate import locate_sites
    from ..outputs.formats import write_result
    from ..render.score_map import render_map
    from ..scoring.record import attach, record_of
    from ..scoring.run import score

    check_table_suffix(args.out)
    layer, where = layer_rule(args.existing, "--existing")
    prof = profile_from_arg(args.profile)
    outputs = [args.out] + [p for p in (args.plan, args.map) if p]
    check_free(outputs, args.overwrite)
    layers = layers_from_args(args)
    result = score(layers, prof, missing=missing_from_args(args))
    plan = locate_sites(result, layers, model=args.model,
                        k=None if args.model in {"lscp", "lscpb"} else args.k,
                        radius=args.radius, cost=args.cost, cell=args.cell, existing=layer,
                        existing_where=where, capacity=number_or_column(args.capacity),
                        fixed=args.fixed, excluded=args.exclude, min_spacing=args.min_spacing,
                        per_kecamatan=args.per_kecamatan, min_score=args.min_score,
                        time_limit=args.time_limit)
    sites = plan.sites
    eq = None
    if args.access_threshold is not None:
        from ..locate import equity_of_plan

        eq = equity_of_plan(plan, layers, threshold=args.access_threshold,
                            radius=args.access_radius, cost=args.cost, cell=args.cell)
    summary = {k: v for k, v in plan.plan.to_dict().items()
               if k not in {"assignment", "cost", "covered"}}
    attach(sites, record_of(result).with_(selection={"locate": summary}))
    write_result(sites, args.out, overwrite=args.overwrite)
    if args.plan:
        save_text(json.dumps({**plan.plan.to_dict(), "cost_measured": plan.cost,
                              "site_ids": sites["parcel_id"].astype(str).tolist(),
                              **({} if eq is None else {"equity": {
                                  k: eq.loc[k].to_dict() for k in ("before", "after")}})},
                             indent=1),
                  args.plan, args.overwrite)
    if args.map:
        from ..render.locate_map import render_plan

        m = render_map(result, layers, lang=args.lang, top=0)
        save_map(render_plan(plan, m=m, lang=args.lang), args.map, args.overwrite)
    p = plan.plan
    say(args, f"{args.model}: {len(sites)} new sites (+{len(plan.existing)} existing), "
              f"objective {p.objective:,.2f} (bound {p.bound:,.2f}, gap {p.gap:.2%}), "
              f"{p.status}, {p.seconds:.2f} s")
    for _, r in sites.iterrows():  # k rows
        say(args, f"  {r['parcel_id']}  {r.get('kelurahan', '')}  score {r['score']:.1f}, "
                  f"{r['people']:,.0f} people, mean {r['mean_cost']:,.0f} m")
    if eq is not None:
        b, a = eq.loc["before"], eq.loc["after"]
        say(args, f"  2sfca access within {args.access_radius:,.0f} m below "
                  f"{args.access_threshold:g}: {b['people_below']:,.0f} people "
                  f"({b['share_below']:.1%}) now, {a['people_below']:,.0f} "
                  f"({a['share_below']:.1%}) after the plan; lowest tenth's mean "
                  f"{b['lowest_decile_mean']:.4g} -> {a['lowest_decile_mean']:.4g}")
    say(args, "wrote " + ", ".join(str(x) for x in outputs))
    return EXIT_OK
