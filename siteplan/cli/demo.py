"""``siteplan demo``: every built-in profile on the embedded sample."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import EXIT_OK, check_free, map_options, progress, save_map, save_text, say

HELP = "run every built-in profile on the embedded sample"
DESCRIPTION = ("Run every built-in profile on the embedded synthetic Serang sample: one HTML "
               "map per profile, a brief of its 5 best sites for a partner meeting "
               "(brief_<profile>.html), a scored GeoPackage and a CSV summary of the top "
               "sites. Run again on the same folder, it replaces what it wrote there before.")
#: sites in each profile's brief
BRIEF_TOP = 5
#: file marking a folder as the demo's own (a second run replaces what the first wrote)
MARKER = ".siteplan-demo"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, type=Path, help="folder for the outputs")
    map_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def run(args) -> int:
    import pandas as pd

    from ..brief import site_brief
    from ..layers.sample import load_sample
    from ..outputs.formats import atomic_path, write_geopackage
    from ..profiles.profile import list_profiles
    from ..render.score_map import render_map
    from ..scoring.record import record_of
    from ..scoring.run import score

    out: Path = args.out
    names = list_profiles()
    maps = [out / f"{n}.html" for n in names]
    briefs = [out / f"brief_{n}.html" for n in names]
    gpkg, summary = out / "siteplan_demo.gpkg", out / "summary.csv"
    # a folder this command wrote before is its own: a second run replaces its outputs
    marker = out / MARKER
    again = marker.is_file()
    check_free([*maps, *briefs, gpkg, summary], args.overwrite or again)
    layers = load_sample()
    results, rows = {}, []
    for name in progress(names, quiet=args.quiet, desc="profiles"):
        res = score(layers, name)
        results[name] = res
        save_map(render_map(res, layers, lang=args.lang, top=args.top),
                 out / f"{name}.html", True)
        save_text(site_brief(res, layers, top=BRIEF_TOP, lang=args.lang),
                  out / f"brief_{name}.html", True)
        top = res[res["eligible"]].sort_values("rank").head(args.top)
        cols = ["rank", "parcel_id", "name", "kelurahan", "kecamatan", "area_m2", "score"]
        part = top.reindex(columns=cols).assign(profile=name)
        part["area_m2"] = part["area_m2"].round()
        part["score"] = part["score"].astype(float).round(1)
        rows.append(part[["profile", *cols]])
    write_geopackage(results, gpkg, overwrite=True, lang=args.lang)
    with atomic_path(summary, overwrite=True) as tmp:
        pd.concat(rows, ignore_index=True).to_csv(tmp, index=False)
    with atomic_path(marker, overwrite=True) as tmp:
        tmp.write_text("written by siteplan demo; a second run replaces these outputs\n",
                       encoding="utf-8")
    say(args, f"siteplan demo on the synthetic Serang sample: {len(names)} profiles"
        + (f" (replaced the outputs of the last demo run in {out})" if again else ""))
    for name, path, brief in zip(names, maps, briefs, strict=True):
        c = record_of(results[name]).counts
        say(args, f"  map  {path}  ({c.scored} scored, {c.excluded} excluded)")
        say(args, f"  brief {brief}  (the {BRIEF_TOP} best sites, printable)")
    say(args, f"  data {gpkg}  (one styled layer per profile)")
    say(args, f"  top  {summary}")
    return EXIT_OK
