"""The ``siteplan`` command, for GIS staff producing maps and GeoPackages in batch.

Exit codes: 0 done, 2 bad usage, 3 bad input data or profile, 1 anything
else. Errors go to stderr in one or two lines, without a traceback unless
``--debug`` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ._errors import Problem, SiteplanInputError
from ._version import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3

LAYER_OPTIONS = ("parcels", "green_spaces", "roads", "pois", "admin", "population")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # bad usage: exit 2 with a short message
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="siteplan", description=(
        "Score Kota Serang's city-owned parcels for CSR facilities (green open space, "
        "culinary centre, public facility, religious tourism), and write maps and GIS files."),
        epilog="Run 'siteplan COMMAND --help' for the options of a command.")
    p.add_argument("--version", action="version", version=f"siteplan {__version__}")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    d = sub.add_parser("demo", help="run every built-in profile on the embedded sample",
                       description="Run every built-in profile on the embedded synthetic "
                       "Serang sample: one HTML map per profile, a scored GeoPackage and a "
                       "CSV summary of the top sites.")
    d.add_argument("--out", required=True, type=Path, help="folder for the outputs")
    _map_options(d)
    d.add_argument("--overwrite", action="store_true", help="replace existing outputs")

    pr = sub.add_parser("profiles", help="list, show or export the built-in profiles",
                        description="Without arguments: list the built-in profiles. "
                        "'show NAME' prints one; 'export NAME FILE.toml' writes a copy to edit.")
    pr.add_argument("action", nargs="?", choices=["list", "show", "export"], default="list")
    pr.add_argument("name", nargs="?", help="profile name (show, export)")
    pr.add_argument("file", nargs="?", type=Path, help="TOML file to write (export)")
    pr.add_argument("--overwrite", action="store_true", help="replace an existing file")

    s = sub.add_parser("score", help="score parcels with a profile and write the result",
                       description="Score the parcels with a profile. The output format "
                       "follows OUT's extension: .gpkg (styled for QGIS), .geojson, "
                       ".parquet or .csv. A layer file may name a GeoPackage layer as "
                       "FILE:LAYER.")
    s.add_argument("--profile", required=True, help="built-in profile name or a .toml file")
    _layer_options(s, parcels_required=True)
    s.add_argument("--method", choices=["wlc", "wgm", "topsis", "owa"],
                   help="override the profile's aggregation method")
    s.add_argument("--out", required=True, type=Path, help="output file")
    s.add_argument("--overwrite", action="store_true", help="replace an existing output")
    _sensitivity_options(s)

    se = sub.add_parser("select", help="choose k sites together, most people newly in reach",
                        description="Score the parcels with a profile, then choose K eligible "
                        "sites together so that the most people come within RADIUS metres of "
                        "one of them (an exact integer program; a greedy pick is reported "
                        "beside it). Without layer files, the embedded sample is used.")
    se.add_argument("--profile", required=True, help="built-in profile name or a .toml file")
    _layer_options(se, parcels_required=False)
    se.add_argument("--k", type=int, default=5, help="number of sites (default: 5)")
    se.add_argument("--radius", type=float, default=1000.0,
                    help="reach of a facility in metres (default: 1000)")
    se.add_argument("--min-spacing", type=float, help="minimum metres between chosen sites")
    se.add_argument("--per-kecamatan", action="store_true",
                    help="at least one site in every kecamatan with an eligible site")
    se.add_argument("--min-score", type=float, help="choose only among sites scoring this or "
                    "more (0-100)")
    se.add_argument("--out", required=True, type=Path,
                    help="chosen sites (.gpkg, .geojson, .parquet or .csv)")
    se.add_argument("--map", type=Path, help="also draw the chosen sites on an HTML map")
    se.add_argument("--lang", choices=["id", "en"], default="id", help="map language")
    se.add_argument("--overwrite", action="store_true", help="replace existing outputs")

    m = sub.add_parser("map", help="draw the HTML map of a scored file",
                       description="Draw the HTML map of a file written by 'siteplan score'.")
    m.add_argument("scored", type=Path, help="scored file (.gpkg, .geojson, .parquet, .csv)")
    m.add_argument("--out", required=True, type=Path, help="HTML file to write")
    _map_options(m)
    m.add_argument("--overwrite", action="store_true", help="replace an existing map")

    c = sub.add_parser("compare", help="all profiles on the same parcels: which suits best",
                       description="Score the same parcels with every built-in profile and "
                       "say, for each parcel, which facility suits it best. Without layer "
                       "files, the embedded sample is used.")
    c.add_argument("--out", required=True, type=Path, help="folder for the outputs")
    _layer_options(c, parcels_required=False)
    c.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    return p


def _sensitivity_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sensitivity", type=int, default=0, metavar="DRAWS",
                   help="add rank stability from DRAWS perturbed weight sets (e.g. 1000): "
                   "columns p_top_k, rank_p05, rank_p50, rank_p95")
    p.add_argument("--spread", type=float, default=0.2,
                   help="how much the weights vary in the sensitivity draws (default: 0.2)")
    p.add_argument("--top-k", type=int, default=10,
                   help="the k of p_top_k, share of draws in the top k (default: 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the draws (default: 0)")


def _with_sensitivity(result, prof, args):
    import siteplan as sp

    if not args.sensitivity:
        return result
    if args.sensitivity < 0:
        raise _UsageError("--sensitivity needs a positive number of draws")
    stab = sp.sensitivity(result, prof, draws=args.sensitivity, spread=args.spread,
                          top_k=args.top_k, seed=args.seed)
    out = result.join(stab)
    out.attrs = dict(result.attrs)
    out.attrs["siteplan"] = {**result.attrs["siteplan"], "sensitivity": {
        "draws": args.sensitivity, "spread": args.spread, "top_k": args.top_k,
        "seed": args.seed}}
    return out


def _map_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=["id", "en"], default="id",
                   help="language of the map labels (default: id)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="number the N best sites on the map (default: 10)")


def _layer_options(p: argparse.ArgumentParser, *, parcels_required: bool) -> None:
    p.add_argument("--parcels", required=parcels_required, help="parcel layer file")
    for name in LAYER_OPTIONS[1:]:
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, help=f"{name} layer file")
    p.add_argument("--layer", action="append", default=[], metavar="NAME=FILE",
                   help="another layer a profile uses (rivers, flood_zones, sawah, ...); "
                   "repeat as needed")


def _source(text: str):
    """``FILE`` or ``FILE:LAYER`` for a GeoPackage layer."""
    path = Path(text)
    if not path.exists() and ":" in text:
        head, layer = text.rsplit(":", 1)
        if Path(head).exists():
            return (head, layer)
    return text


def _layers_from_args(args) -> object:
    import siteplan as sp

    given = {name: _source(getattr(args, name)) for name in LAYER_OPTIONS
             if getattr(args, name, None)}
    extra = {}
    for item in args.layer:
        if "=" not in item:
            raise _UsageError(f"--layer needs NAME=FILE, got {item!r}")
        name, file = item.split("=", 1)
        extra[name.strip()] = _source(file.strip())
    if not given and not extra:
        return sp.load_sample()
    if "parcels" not in given:
        raise _UsageError("--parcels is needed when other layer files are given")
    return sp.load_layers(**given, extra=extra)


class _UsageError(Exception):
    pass


def _progress(items, *, quiet: bool, desc: str):
    if quiet or not sys.stderr.isatty():
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # progress bars are a nicety
        return items
    return tqdm(items, desc=desc, unit="profile", file=sys.stderr)


def _say(args, text: str) -> None:
    if not args.quiet:
        print(text)


def _check_free(paths: Sequence[Path], overwrite: bool) -> None:
    taken = [str(p) for p in paths if p.exists()]
    if taken and not overwrite:
        raise SiteplanInputError(Problem("output", f"{', '.join(taken)} already exist(s)",
                                         "choose another --out, or add --overwrite"))


def _save_map(m, path: Path, overwrite: bool) -> None:
    from .outputs import atomic_path

    with atomic_path(path, overwrite=overwrite) as tmp:
        m.save(str(tmp))


def _cmd_demo(args) -> int:
    import pandas as pd

    import siteplan as sp

    from .outputs import write_geopackage

    out: Path = args.out
    names = sp.list_profiles()
    maps = [out / f"{n}.html" for n in names]
    gpkg, summary = out / "siteplan_demo.gpkg", out / "summary.csv"
    _check_free([*maps, gpkg, summary], args.overwrite)
    layers = sp.load_sample()
    results, rows = {}, []
    for name in _progress(names, quiet=args.quiet, desc="profiles"):
        res = sp.score(layers, name)
        results[name] = res
        _save_map(sp.render_map(res, layers, lang=args.lang, top=args.top),
                  out / f"{name}.html", True)
        top = res[res["eligible"]].sort_values("rank").head(args.top)
        for _, r in top.iterrows():  # a few rows per profile for the summary table
            rows.append({"profile": name, "rank": int(r["rank"]), "parcel_id": r["parcel_id"],
                         "name": r.get("name"), "kelurahan": r.get("kelurahan"),
                         "kecamatan": r.get("kecamatan"), "area_m2": round(r["area_m2"]),
                         "score": round(float(r["score"]), 1)})
    write_geopackage(results, gpkg, overwrite=True, lang=args.lang)
    from .outputs import atomic_path

    with atomic_path(summary, overwrite=True) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    _say(args, f"siteplan demo on the synthetic Serang sample: {len(names)} profiles")
    for name, path in zip(names, maps, strict=True):
        c = results[name].attrs["siteplan"]["counts"]
        _say(args, f"  map  {path}  ({c['scored']} scored, {c['excluded']} excluded)")
    _say(args, f"  data {gpkg}  (one styled layer per profile)")
    _say(args, f"  top  {summary}")
    return EXIT_OK


def _cmd_profiles(args) -> int:
    import siteplan as sp

    from .profiles import builtin_profile_text

    if args.action == "list":
        for name in sp.list_profiles():
            prof = sp.get_profile(name)
            _say(args, f"{name:18} {prof.label('id')}  ({prof.label('en')})")
        return EXIT_OK
    if not args.name:
        raise _UsageError(f"'profiles {args.action}' needs a profile name")
    text = builtin_profile_text(args.name)
    if args.action == "show":
        print(text, end="")
        return EXIT_OK
    if args.file is None:
        raise _UsageError("'profiles export' needs NAME and FILE.toml")
    from .outputs import atomic_path

    with atomic_path(args.file, overwrite=args.overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    _say(args, f"wrote {args.file}: edit it, then: siteplan score --profile {args.file} ...")
    return EXIT_OK


def _profile_from_arg(text: str):
    import siteplan as sp

    if text.lower().endswith(".toml") or Path(text).is_file():
        return sp.read_profile(text)
    return sp.get_profile(text)


def _cmd_score(args) -> int:
    import siteplan as sp

    from .outputs import FORMATS, write_result

    if args.out.suffix.lower() not in FORMATS:
        raise _UsageError(f"--out must end in .gpkg, .geojson, .parquet or .csv, got "
                          f"{args.out.name!r}")
    prof = _profile_from_arg(args.profile)
    _check_free([args.out], args.overwrite)
    layers = _layers_from_args(args)
    result = sp.score(layers, prof, method=args.method)
    result = _with_sensitivity(result, prof, args)
    write_result(result, args.out, overwrite=args.overwrite)
    c = result.attrs["siteplan"]["counts"]
    _say(args, f"{args.out}: {c['scored']} scored, {c['excluded']} excluded, "
               f"{c['rejected']} rejected, {c['not_candidate']} not candidates")
    return EXIT_OK


def _cmd_map(args) -> int:
    import siteplan as sp

    from .outputs import read_result

    _check_free([args.out], args.overwrite)
    result = read_result(args.scored)
    info = result.attrs.get("siteplan", {})
    layers = sp.load_sample() if info.get("synthetic") else None
    _save_map(sp.render_map(result, layers, lang=args.lang, top=args.top), args.out,
              args.overwrite)
    _say(args, f"wrote {args.out}")
    return EXIT_OK


def _cmd_compare(args) -> int:
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    import siteplan as sp

    from .outputs import atomic_path, write_result

    out: Path = args.out
    gpkg, csv = out / "compare.gpkg", out / "compare.csv"
    _check_free([gpkg, csv], args.overwrite)
    layers = _layers_from_args(args)
    parcels = layers["parcels"]
    table = pd.DataFrame({"parcel_id": parcels["parcel_id"]}, index=parcels.index)
    names = sp.list_profiles()
    for name in _progress(names, quiet=args.quiet, desc="profiles"):
        res = sp.score(layers, name)
        res = res[res["status"] != "rejected"]
        table[f"score_{name}"] = res["score"].reindex(table.index)
        table[f"rank_{name}"] = res["rank"].reindex(table.index)
    scores = table[[f"score_{n}" for n in names]].to_numpy(dtype=float)
    has = ~np.isnan(scores).all(axis=1)
    best = np.full(len(table), "", dtype=object)
    best_score = np.full(len(table), np.nan)
    if has.any():
        idx = np.nanargmax(np.where(np.isnan(scores[has]), -1, scores[has]), axis=1)
        best[has] = np.asarray(names, dtype=object)[idx]
        best_score[has] = scores[has][np.arange(has.sum()), idx]
    table["best_profile"] = best
    table["best_score"] = best_score
    keep = has
    result = gpd.GeoDataFrame(table.loc[keep], geometry=parcels.geometry.loc[keep],
                              crs=parcels.crs)
    result["score"] = result["best_score"]
    result.attrs["siteplan"] = {"profile": "compare", "profiles": names,
                                "sources": dict(layers.sources), "synthetic": layers.synthetic,
                                "crs": layers.crs.to_string(), "siteplan_version": __version__}
    write_result(result, gpkg, overwrite=args.overwrite, layer="compare")
    with atomic_path(csv, overwrite=args.overwrite) as tmp:
        pd.DataFrame(result.drop(columns="geometry")).to_csv(tmp, index=False)
    counts = result["best_profile"].value_counts()
    _say(args, f"{len(result)} parcels are eligible for at least one facility; best suited:")
    for name in names:
        _say(args, f"  {name:18} {int(counts.get(name, 0))}")
    _say(args, f"wrote {gpkg} and {csv}")
    return EXIT_OK


def _cmd_select(args) -> int:
    import siteplan as sp

    from .outputs import FORMATS, write_result

    if args.out.suffix.lower() not in FORMATS:
        raise _UsageError(f"--out must end in .gpkg, .geojson, .parquet or .csv, got "
                          f"{args.out.name!r}")
    prof = _profile_from_arg(args.profile)
    _check_free([args.out] + ([args.map] if args.map else []), args.overwrite)
    layers = _layers_from_args(args)
    result = sp.score(layers, prof)
    chosen = sp.select_sites(result, layers, k=args.k, radius=args.radius,
                             min_spacing=args.min_spacing, per_kecamatan=args.per_kecamatan,
                             min_score=args.min_score)
    chosen.attrs["siteplan"] = {**result.attrs["siteplan"],
                                "selection": chosen.attrs["selection"]}
    write_result(chosen, args.out, overwrite=args.overwrite)
    if args.map:
        from .select import draw_selection

        m = sp.render_map(result, layers, lang=args.lang, top=0)
        _save_map(draw_selection(chosen, m=m, lang=args.lang), args.map, args.overwrite)
    sel = chosen.attrs["selection"]
    _say(args, f"{len(chosen)} sites chosen together: {sel['people_covered']:,.0f} people "
               f"newly within {args.radius:g} m (greedy pick: "
               f"{sel['people_covered_greedy']:,.0f}; the {args.k} best-scored: "
               f"{sel['people_covered_top_scored']:,.0f})")
    for _, r in chosen.iterrows():  # k rows
        _say(args, f"  {int(r['pick'])}. {r['parcel_id']}  {r.get('kelurahan', '')}  "
                   f"score {r['score']:.1f} (rank {int(r['rank'])}), "
                   f"+{r['people_added']:,.0f} people")
    _say(args, f"wrote {args.out}" + (f" and {args.map}" if args.map else ""))
    return EXIT_OK


COMMANDS = {"select": _cmd_select, "demo": _cmd_demo, "profiles": _cmd_profiles,
            "score": _cmd_score,
            "map": _cmd_map, "compare": _cmd_compare}


def _short(message: str) -> str:
    lines = message.strip().splitlines()
    if len(lines) <= 2:
        return "\n".join(lines)
    first = lines[0]
    rest = "; ".join(line.strip() for line in lines[1:])
    return f"{first}\n  {rest[:600]}{' ...' if len(rest) > 600 else ''}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format="siteplan: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except _UsageError as exc:
        if args.debug:
            raise
        parser.print_usage(sys.stderr)
        print(f"siteplan: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SiteplanInputError as exc:
        if args.debug:
            raise
        print(f"siteplan: error: {_short(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("siteplan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: short message, traceback with --debug
        if args.debug:
            raise
        print(f"siteplan: internal error: {type(exc).__name__}: {exc} (run again with --debug "
              "for the traceback)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
