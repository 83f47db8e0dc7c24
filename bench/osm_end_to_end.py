"""Every built-in profile end to end on an OpenStreetMap extract with parcels of another source.

The extract is the one the PyPI package pyrosm ships (``test.osm.pbf``, a
corner of Kotka, Finland). OpenStreetMap has no cadastral parcels and no
people, so both are our own, written as a city's GIS office would hand them
over: parcels with ``ID``, ``owner`` (``municipal``, ``provincial``,
``private``) and ``landuse`` (``vacant``, ``garden``, ...), and people per
building from the extract's own building footprints (one person per 40 m² of
a dwelling's footprint). Nothing is renamed by hand: the column and value
mappings of :func:`siteplan.layers_from_osm` (``columns=``, ``values=``) and
of the command line (``--column``, ``--value``) do it.

For each built-in profile: ``sp.score(..., missing="skip")``, the score map,
the interactive map, the brief (HTML), ``sp.select_sites`` and
``sp.allocate`` with its map; then the same through the command line
(``siteplan score|map|brief|select|allocate --osm ...``). Each step prints
what it produced; a step that fails prints its error and the script exits 1.

Run from the repository root (pyrosm comes with the ``test`` extra)::

    python bench/osm_end_to_end.py [--out bench/_out/osm_end_to_end] [--no-cli]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import siteplan as sp
from siteplan.scoring.ranks import best_first

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "_out" / "osm_end_to_end"

#: the parcels' own values and what siteplan calls them
OWNERS = ("municipal", "municipal", "provincial", "private")
USES = ("vacant", "garden", "residential", "commercial", "field")
COLUMNS = {"parcels": {"owner": "ownership", "landuse": "land_use"}}
VALUES = {"ownership": {"municipal": "pemda", "provincial": "pemprov", "private": "swasta"},
          "land_use": {"vacant": "tanah_kosong", "garden": "kebun", "residential": "permukiman",
                       "commercial": "perdagangan", "field": "lapangan"}}
DWELLINGS = ("residential", "yes", "house", "apartments", "terrace", "detached")
M2_PER_PERSON = 40.0


def pbf() -> Path:
    """pyrosm's ``test.osm.pbf``."""
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"


def make_city(folder: Path) -> dict[str, Path]:
    """Write the parcels and the people of our own beside the extract; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    roads = sp.layers_from_osm(pbf())["roads"]
    x0, y0, x1, y1 = roads.total_bounds
    geoms, ids, owner, use = [], [], [], []
    for i, x in enumerate(np.linspace(x0 + 150, x1 - 250, 8)):   # an 8 x 6 grid of plots
        for j, y in enumerate(np.linspace(y0 + 150, y1 - 250, 6)):
            w = (35, 55, 80, 120)[(i + 2 * j) % 4]
            geoms.append(shapely.box(x, y, x + w, y + 0.8 * w))
            ids.append(1000 + len(ids))
            owner.append(OWNERS[(i + j) % 4])
            use.append(USES[(3 * i + j) % 5])
    parcels = gpd.GeoDataFrame({"ID": ids, "owner": owner, "landuse": use}, geometry=geoms,
                               crs=roads.crs)
    paths = {"parcels": folder / "plots.gpkg", "population": folder / "people.gpkg"}
    parcels.to_file(paths["parcels"])
    houses = gpd.read_file(pbf(), layer="multipolygons", where="building IS NOT NULL",
                           columns=["building"], on_invalid="ignore")
    houses = houses[houses.geometry.notna() & houses["building"].isin(DWELLINGS)]
    houses = houses.to_crs(roads.crs)
    houses["population"] = np.maximum(np.round(houses.area / M2_PER_PERSON), 1.0)
    houses[["population", "geometry"]].to_file(paths["population"])
    return paths


def load(paths: dict[str, Path]):
    """The bundle: the extract's layers, our parcels and people, mapped to siteplan's names."""
    return sp.layers_from_osm(pbf(), parcels=str(paths["parcels"]),
                              extra={"population": str(paths["population"])},
                              columns=COLUMNS, values=VALUES)


def cli_mapping() -> list[str]:
    """The same mappings as command-line options."""
    out = []
    for layer, cols in COLUMNS.items():
        out += [a for name, to in cols.items() for a in ("--column", f"{layer}:{name}={to}")]
    for col, vals in VALUES.items():
        out += [a for v, to in vals.items() for a in ("--value", f"{col}:{v}={to}")]
    return out


def cli(*args) -> subprocess.CompletedProcess:
    """``siteplan ARGS`` in a child process."""
    return subprocess.run([sys.executable, "-m", "siteplan.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=900)


def run_python(layers, name: str, folder: Path) -> dict:
    """One profile through the Python API; what each step produced."""
    out: dict = {}
    res = sp.score(layers, name, missing="skip")
    rec = sp.record_of(res)
    out["score"] = res
    out["counts"] = res["status"].value_counts().to_dict()
    out["skipped"] = [(x.kind, x.name, x.layer) for x in rec.skipped]
    best = res.loc[best_first(res)[:1]]
    out["best"] = (best["parcel_id"].iloc[0], float(best["score"].iloc[0])) if len(best) else None
    for kind, kw in (("map", {}), ("interactive", {"interactive": True})):
        path = folder / f"{name}_{kind}.html"
        sp.render_map(res, layers, top=5, **kw).save(str(path))
        out[kind] = path
    path = folder / f"brief_{name}.html"
    path.write_text(sp.site_brief(res, layers, top=2, lang="en"), encoding="utf-8")
    out["brief"] = path
    chosen = sp.select_sites(res, layers, k=2, radius=800)
    out["select"] = chosen
    plan = sp.allocate({name: res}, layers, {name: 2})
    path = folder / f"allocation_{name}.html"
    sp.render_allocation(plan, layers, lang="en", results={name: res}).save(str(path))
    out["allocate"], out["allocation_map"] = plan, path
    return out


def run_cli(paths: dict[str, Path], name: str, folder: Path, cli=cli) -> dict:
    """One profile through the command line; each command's completed process and files.

    ``cli`` runs one command (default: a child process, as a user runs it).
    """
    layers = ["--parcels", paths["parcels"], "--population", paths["population"],
              "--osm", pbf(), *cli_mapping(), "--skip-missing"]
    f = {k: folder / f"cli_{name}_{k}" for k in ("scored.gpkg", "map.html", "interactive.html",
                                                "brief.html", "select.gpkg", "select.html")}
    runs = {
        "score": cli("score", "--profile", name, *layers, "--out", f["scored.gpkg"],
                     "--overwrite"),
    }
    runs["map"] = cli("map", f["scored.gpkg"], "--out", f["map.html"], "--overwrite")
    runs["interactive"] = cli("map", f["scored.gpkg"], "--out", f["interactive.html"],
                              "--interactive", "--overwrite")
    runs["brief"] = cli("brief", "--profile", name, *layers, "--top", "2", "--out",
                        f["brief.html"], "--overwrite")
    runs["select"] = cli("select", "--profile", name, *layers, "--k", "2", "--radius", "800",
                         "--out", f["select.gpkg"], "--map", f["select.html"], "--overwrite")
    return {"runs": runs, "files": f}


def run_cli_allocate(paths: dict[str, Path], folder: Path, cli=cli) -> dict:
    """Every built-in profile at once: one site each (``cli`` as in :func:`run_cli`)."""
    f = {"plan": folder / "cli_allocation.gpkg", "map": folder / "cli_allocation.html"}
    demand = ",".join(f"{n}=1" for n in sp.list_profiles())
    run = cli("allocate", "--demand", demand, "--parcels", paths["parcels"], "--population",
              paths["population"], "--osm", pbf(), *cli_mapping(), "--skip-missing", "--out",
              f["plan"], "--map", f["map"], "--overwrite")
    return {"run": run, "files": f}


def _kb(path: Path) -> str:
    return f"{path.stat().st_size / 1024:,.0f} kB" if path.exists() else "missing"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--no-cli", action="store_true", help="the Python API only")
    args = ap.parse_args()
    folder = args.out
    t = time.perf_counter()
    paths = make_city(folder)
    layers = load(paths)
    parcels = gpd.read_file(paths["parcels"])
    print(f"extract {pbf().name}: {layers!r} ({time.perf_counter() - t:.1f} s)")
    print(f"our parcels: {len(parcels)} with columns {list(parcels.columns)}, owners "
          f"{parcels['owner'].value_counts().to_dict()}; read as "
          f"{layers['parcels']['ownership'].value_counts().to_dict()}")
    print(f"our people: {layers['population']['population'].sum():,.0f} in "
          f"{len(layers['population'])} dwellings")
    failed = 0
    for name in sp.list_profiles():
        print(f"\n== {name}")
        t = time.perf_counter()
        try:
            got = run_python(layers, name, folder)
        except Exception as exc:   # a benchmark reports every failure and goes on
            print(f"  python: FAILED {type(exc).__name__}: {exc}")
            failed += 1
        else:
            print(f"  score: {got['counts']}; best {got['best']}; left out {got['skipped']}")
            print(f"  maps: {_kb(got['map'])}, interactive {_kb(got['interactive'])}; "
                  f"brief {_kb(got['brief'])}")
            sel = got["select"]
            print(f"  select: {list(sel['parcel_id'])}, people newly in reach "
                  f"{[round(x) for x in sel['people_added']] if 'people_added' in sel else '-'}")
            plan = got["allocate"]
            print(f"  allocate: {list(plan['parcel_id'])}; map {_kb(got['allocation_map'])} "
                  f"({time.perf_counter() - t:.1f} s)")
        if args.no_cli:
            continue
        t = time.perf_counter()
        out = run_cli(paths, name, folder)
        for cmd, r in out["runs"].items():
            last = (r.stdout.strip().splitlines() or r.stderr.strip().splitlines() or [""])[-1]
            print(f"  cli {cmd}: exit {r.returncode}; {last[:110]}")
            failed += r.returncode != 0
        print("  cli files: " + ", ".join(f"{k} {_kb(p)}" for k, p in out["files"].items())
              + f" ({time.perf_counter() - t:.1f} s)")
    if not args.no_cli:
        got = run_cli_allocate(paths, folder)
        r = got["run"]
        last = (r.stdout.strip().splitlines() or r.stderr.strip().splitlines() or [""])[-1]
        print(f"\n== every profile at once\n  cli allocate: exit {r.returncode}; {last[:140]}")
        failed += r.returncode != 0
    print(f"\n{failed} step(s) failed; files in {folder}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
