"""Data never runs: Jinja2 tags and markup in every text field come back literally.

branca renders every map element's output once more as a Jinja2 template, so a
``{{ ... }}``, ``{% ... %}`` or ``{# ... #}`` reaching a page as text would be
executed there. Every text field of the inputs (parcel ids, names, kelurahan,
kecamatan, land use, POI categories and names, green-space types and names,
road names, admin names, the profile's title and every criterion's and
constraint's title) carries one of the three tags or an ``<img onerror>``,
marked with the field it came from. Every output (each map kind from Python,
from the command line and from the service; the brief; the GeoPackage with its
QGIS style; CSV; GeoJSON) must give each back exactly as written, never its
result (``42``, ``x`` or nothing), and no page may hold the markup unescaped
(in Chromium: no image made, no handler run).
"""

from __future__ import annotations

import csv
import html
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from clikit import siteplan
from test_browser import browser  # noqa: F401  (the fixture)
from test_maps import profile, world

import siteplan as sp
from siteplan.outputs import read_result, write_result

IMG = '<img src=x onerror="window.__xss=1">'
TAGS = ("{{ 6*7 }}", "{% if true %}x{% endif %}", "{# c #}", IMG)


def hostile(field: str, i: int = 0) -> str:
    """``@field.k@TAG@``: the field it came from, then one of the three tags."""
    k = i % len(TAGS)
    return f"@{field}.{k}@{TAGS[k]}@"


def hostile_column(field: str, n: int) -> list[str]:
    return [hostile(field, i) for i in range(n)]


def decoded(page: str) -> str:
    """The page's text as a reader gets it: JSON escapes and HTML entities undone.

    Twice where text is escaped twice: popups hold escaped HTML inside JSON, and the
    interactive page's "copy as TOML" holds TOML strings inside JSON.
    """
    text = page
    for _ in range(2):
        text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
        text = re.sub(r'\\(["\\/])', r"\1", text)
    for _ in range(3):
        text = html.unescape(text)
    return text


def _strings(value) -> list[str]:
    """Every string inside a parsed JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return []


def literal_fields(page: str, *, markup: bool = True) -> set[str]:
    """The fields whose tags the page shows; fails on any tag that was not given back as is.

    ``markup``: a page (HTML, XML), where the ``<img>`` may stand only escaped; data
    files and JSON answers hold it as the text it is.
    """
    if markup:
        assert "<img src=x" not in page
    text = decoded(page)
    seen = set()
    for m in re.finditer(r"@([a-z_]+(?:\.[a-z_]+)?)\.([0-9])@", text):
        tail = text[m.end():m.end() + len(TAGS[int(m.group(2))]) + 1]
        assert tail == TAGS[int(m.group(2))] + "@", (
            f"field {m.group(1)}: {m.group(0)}{TAGS[int(m.group(2))]}@ came out as "
            f"{m.group(0)}{tail!r}")
        seen.add(m.group(1))
    for evaluated in ("@42@", "@x@"):
        assert evaluated not in text
    return seen


# -------------------------------------------------------------- the tiny hostile world

def hostile_world() -> dict:
    data = world()
    p = data["parcels"].copy()
    n = len(p)
    p["parcel_id"] = [f"{c}{hostile('parcel_id', i)}" if c != "R" else c
                      for i, c in enumerate(p["parcel_id"])]
    for col in ("name", "kelurahan", "kecamatan", "land_use"):
        p[col] = hostile_column(col, n)
    data["parcels"] = p
    pois = data["pois"].copy()
    pois["name"] = hostile_column("poi.name", len(pois))
    pois["category"] = [hostile("poi.category", 0)] + list(pois["category"].iloc[1:])
    data["pois"] = pois
    green = data["green_spaces"].copy()
    green["rth_type"] = ["taman", hostile("green.rth_type", 1), "taman"]
    green["name"] = hostile_column("green.name", len(green))
    data["green_spaces"] = green
    roads = data["roads"].copy()
    roads["name"] = hostile_column("road.name", len(roads))
    data["roads"] = roads
    admin = data["admin"].copy()
    admin["nama"] = hostile_column("admin.nama", len(admin))
    data["admin"] = admin
    return data


def hostile_profile():
    prof = profile()
    crit = [{"name": c.name, "measure": c.measure, "layer": c.layer,
             "where": ({"category": [hostile("poi.category", 0)]} if c.name == "pasar"
                       else {k: list(v) for k, v in c.where.items()}),
             "transform": dict(c.transform), "weight": c.weight,
             "title": {"id": hostile("criterion.title", i), "en": hostile("criterion.title",
                                                                          i + 1)}}
            for i, c in enumerate(prof.criteria)]
    cons = []
    for i, c in enumerate(prof.constraints):
        con = {k: (dict(v) if k == "where" else v) for k, v in c.items() if k != "label"}
        con["title"] = {"id": hostile("constraint.title", i),
                        "en": hostile("constraint.title", i + 2)}
        cons.append(con)
    from siteplan.profiles.profile import profile_from_dict

    return profile_from_dict({"name": prof.name,
                              "title": {"id": hostile("profile.title", 3),
                                        "en": hostile("profile.title", 1)},
                              "candidates": {k: list(v) for k, v in prof.candidates.items()},
                              "constraints": cons, "criteria": crit})


@pytest.fixture(scope="module")
def scored():
    layers = sp.load_layers(**hostile_world())
    prof = hostile_profile()
    result = sp.score(layers, prof)
    plain = sp.score(sp.load_layers(**world()), profile())   # the same world, plain text
    assert list(result["status"]) == list(plain["status"])
    assert list(result["score"].fillna(-1)) == list(plain["score"].fillna(-1))
    return result, layers, prof


PARCEL_FIELDS = {"parcel_id", "name", "kelurahan"}


def test_the_check_catches_a_template_that_ran():
    page = "<b>@name.0@42@</b>"
    with pytest.raises(AssertionError, match="name"):
        literal_fields(page)
    assert literal_fields(json.dumps("@name.0@{{ 6*7 }}@")) == {"name"}
    assert literal_fields("@name.1@{% if true %}x{% endif %}@") == {"name"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_score_map_gives_every_tag_back(scored, lang):
    result, layers, _ = scored
    page = sp.render_map(result, layers, lang=lang, top=5).get_root().render()
    seen = literal_fields(page)
    assert PARCEL_FIELDS | {"profile.title", "criterion.title", "constraint.title"} <= seen


def test_interactive_map_gives_every_tag_back(scored):
    result, layers, prof = scored
    m = sp.render_map(result, layers, lang="en", top=3, interactive=True, profile=prof)
    seen = literal_fields(m.get_root().render())
    assert PARCEL_FIELDS | {"profile.title", "criterion.title", "constraint.title"} <= seen


def test_rth_map_gives_every_tag_back(scored):
    _, layers, _ = scored
    gaps = sp.rth_gaps(layers, level="kelurahan")
    for lang in ("id", "en"):
        assert "admin.nama" in literal_fields(sp.render_rth(gaps, lang=lang).get_root().render())


def test_access_map_gives_every_tag_back(scored):
    """Kelurahan names from the admin layer stay data on the access map, both ways drawn."""
    _, layers, _ = scored
    units = sp.locate.access_now(layers, "pois", radius=2000, cell=None)
    for lang in ("id", "en"):
        for level in (None, "kelurahan"):
            page = sp.render_access(units, layers, level=level, threshold=1e-3,
                                    lang=lang).get_root().render()
            assert "admin.nama" in literal_fields(page), (lang, level)


def test_selection_and_allocation_maps_give_every_tag_back(scored):
    result, layers, _ = scored
    chosen = sp.select_sites(result, layers, k=2, radius=500)
    page = sp.render_selection(chosen, lang="id").get_root().render()
    assert "parcel_id" in literal_fields(page) or "name" in literal_fields(page)
    plan = sp.allocate({"rth": result, "taman": result}, layers,
                       demand={"rth": 1, "taman": 1})
    page = sp.render_allocation(plan, layers, lang="id").get_root().render()
    assert {"parcel_id", "name", "kecamatan"} <= literal_fields(page)


def test_brief_gives_every_tag_back(scored):
    result, layers, _ = scored
    for lang in ("id", "en"):
        page = sp.site_brief(result, layers, top=2, lang=lang)
        assert PARCEL_FIELDS | {"criterion.title", "profile.title"} <= literal_fields(page)


@pytest.mark.parametrize("suffix", [".gpkg", ".csv", ".geojson"])
def test_files_keep_every_text_value(scored, tmp_path, suffix):
    result, _, _ = scored
    path = tmp_path / f"out{suffix}"
    write_result(result, path)
    back = read_result(path)
    for col in ("parcel_id", "name", "kelurahan", "kecamatan", "land_use"):
        assert list(back[col].astype(str)) == list(result[col].astype(str)), col
    if suffix == ".csv":           # every cell as the csv module reads it
        with path.open(encoding="utf-8", newline="") as fh:
            literal_fields("\n".join("\t".join(row) for row in csv.reader(fh)), markup=False)
    elif suffix == ".geojson":     # every string as JSON reads it
        literal_fields("\n".join(_strings(json.loads(path.read_text(encoding="utf-8")))),
                       markup=False)
    if suffix == ".gpkg":
        with sqlite3.connect(path) as con:
            rows = con.execute("SELECT styleQML FROM layer_styles").fetchall()
        assert rows
        for (qml,) in rows:
            literal_fields(qml)


# -------------------------------------------------------- command line and service

@pytest.fixture(scope="module")
def hostile_sample(tmp_path_factory):
    """The sample's vector layers with a tag in every text field, written to a GeoPackage."""
    folder = tmp_path_factory.mktemp("hostile_sample")
    sample = sp.load_sample()
    files = {}
    for name in ("parcels", "green_spaces", "roads", "pois", "admin", "rivers", "coastline",
                 "flood_zones", "sawah", "heritage"):
        gdf = sample[name].copy()
        for col in ("name", "kelurahan", "nama"):
            if col in gdf.columns:
                gdf[col] = hostile_column(f"{name}.{col}", len(gdf))
        if name == "parcels":
            gdf["parcel_id"] = gdf["parcel_id"].astype(str) + pd.Series(
                hostile_column("parcels.parcel_id", len(gdf)), index=gdf.index)
            gdf = gdf.drop(columns=["area_m2"])
        files[name] = folder / f"{name}.gpkg"
        gdf.to_file(files[name], layer=name, driver="GPKG")
    for name in ("population", "flood_hazard", "dem", "landcover"):
        files[name] = Path(sample[name].path)
    return files


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return siteplan(*args, cwd=cwd)


def _layer_args(files: dict[str, Path]) -> list[str]:
    out = []
    for name, path in files.items():
        if name in ("parcels", "green_spaces", "roads", "pois", "admin", "population"):
            out += [f"--{name.replace('_', '-')}", str(path)]
        else:
            out += ["--layer", f"{name}={path}"]
    return out


def test_command_line_access_gives_every_tag_back(hostile_sample, tmp_path):
    areas = tmp_path / "areas.csv"
    run = _cli("access", *_layer_args(hostile_sample), "--facilities", "pois",
               "--radius", "2000", "--cell", "1500", "--areas", str(areas),
               "--out", str(tmp_path / "units.geojson"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "admin.nama" in literal_fields(run.stdout, markup=False)
    with areas.open(encoding="utf-8", newline="") as fh:       # as csv reads it back
        names = [row["kelurahan"] for row in csv.DictReader(fh)]
    tagged = re.compile(r"@admin\.nama\.(\d)@(.*)@", re.S)
    assert names and all((m := tagged.fullmatch(n)) and m.group(2) == TAGS[int(m.group(1))]
                         for n in names)
    assert "admin.nama" in literal_fields((tmp_path / "units.geojson").read_text(
        encoding="utf-8"), markup=False)


def test_command_line_maps_give_every_tag_back(hostile_sample, tmp_path):
    run = _cli("score", "--profile", "sentra_kuliner", *_layer_args(hostile_sample),
               "--out", str(tmp_path / "s.gpkg"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for extra in ([], ["--interactive"]):
        out = tmp_path / f"map{len(extra)}.html"
        run = _cli("map", str(tmp_path / "s.gpkg"), "--out", str(out), "--top", "5", *extra,
                   cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert {"parcels.parcel_id", "parcels.name"} <= literal_fields(
            out.read_text(encoding="utf-8"))


def test_service_map_and_brief_give_every_tag_back(hostile_sample):
    from servekit import serve

    with serve(*_layer_args(hostile_sample)) as server:
        for path in ("/map/sentra_kuliner?top=5", "/map/rth?lang=en&top=3",
                     "/brief/sentra_kuliner?top=2"):
            reply = server.get(path)
            assert reply.status == 200, reply.text[:500]
            assert {"parcels.parcel_id", "parcels.name"} <= literal_fields(reply.text), path
        reply = server.post("/score", {"profile": "sentra_kuliner", "top": 3})
        assert reply.status == 200, reply.text[:500]
        assert {"parcels.parcel_id", "parcels.name"} <= literal_fields(reply.text,
                                                                       markup=False)
        # the location plan and access answers: ids and kelurahan names as data
        reply = server.post("/locate", {"profile": "fasilitas_publik", "model": "pmedian",
                                        "k": 2, "cell": 1500})
        assert reply.status == 200, reply.text[:500]
        assert "parcels.parcel_id" in literal_fields(reply.text, markup=False)
        pois = gpd.read_file(hostile_sample["pois"]).to_crs(4326)
        reply = server.post("/access", {"facilities": json.loads(pois.to_json(drop_id=True)),
                                        "radius": 2000, "cell": 1500, "threshold": 0.001})
        assert reply.status == 200, reply.text[:500]
        assert "admin.nama" in literal_fields(reply.text, markup=False)
        reply = server.post("/score", {"profile": "sentra_kuliner", "top": 3})
        # the record travels with the answer; the server's folders do not
        sources = reply.json()["siteplan"]["provenance"]["sources"]
        assert {s["text"] for s in sources} >= {"parcels.gpkg", "roads.gpkg"}
        assert str(hostile_sample["parcels"].parent) not in reply.text


def test_escaping_keeps_text_and_drops_template_openers():
    from siteplan.render.words import esc1, json_data

    for tag in TAGS:
        out = esc1(tag)
        assert "{{" not in out and "{%" not in out and "{#" not in out
        assert html.unescape(out) == tag
        dumped = json_data(json.dumps({"t": tag, "nested": [{"u": tag}]}))
        assert "{{" not in dumped and "{%" not in dumped and "{#" not in dumped
        assert json.loads(dumped) == {"t": tag, "nested": [{"u": tag}]}
    frame = pd.Series(list(TAGS) + [None])
    from siteplan.render.words import esc

    assert [html.unescape(v) for v in esc(frame)] == [*TAGS, ""]


# -------------------------------------------------------------- what a reader sees

@pytest.mark.browser
@pytest.mark.parametrize("interactive", [False, True])
def test_browser_shows_every_tag_as_written(browser, scored, tmp_path, interactive):  # noqa: F811
    from test_browser import Page
    from test_browser_canaries import OPEN_ALL

    result, layers, prof = scored
    m = sp.render_map(result, layers, lang="id", top=5, interactive=interactive,
                      profile=prof if interactive else None)
    page = Page(browser, m, tmp_path / "map.html")
    try:
        assert page.js(OPEN_ALL, m.get_name()) > 0
        page.page.wait_for_timeout(200)
        shown = page.js("document.body.innerText")
        assert not [e for e in page.errors if "pageerror" in e]
        assert PARCEL_FIELDS | {"profile.title", "criterion.title"} <= literal_fields(
            shown, markup=False)         # the text a reader sees holds the markup as text
        for tag in TAGS:
            assert tag in shown
        assert page.js("window.__xss") is None
        assert page.js("document.querySelectorAll('img[src=\"x\"]').length") == 0
    finally:
        page.page.close()


def test_location_plan_and_offers_maps_give_every_tag_back(scored, tmp_path):
    """The location plan's map, and the register's offers map with hostile partner names."""
    result, layers, _ = scored
    plan = sp.locate_sites(result, layers, model="pmedian", k=2, cell=100)
    from siteplan.render.locate_map import render_plan

    page = render_plan(plan, lang="id").get_root().render()
    assert "parcel_id" in literal_fields(page) or "name" in literal_fields(page)
    reg = sp.open_register(tmp_path / "offers.gpkg")
    try:
        reg.add_partner(hostile("partner", 3), actor=hostile("actor", 0))
        site = result.loc[result["status"] == "scored", "parcel_id"].iloc[0]
        reg.offer(result, site, partner=hostile("partner", 3), actor=hostile("actor", 1),
                  note=hostile("note", 2))
        offers = reg.offers()
    finally:
        reg.close()
    for lang in ("id", "en"):
        page = sp.render_offers(offers, lang=lang).get_root().render()
        assert "partner" in literal_fields(page)


CONTEXT_FIELDS = {"road.name", "green.name", "admin.nama", "poi.name", "poi.category"}
# an unknown green-space kind is shown as written with "_" as a space (rth_type -> rth type)
GREEN_KIND = "@green.rth type.1@" + TAGS[1] + "@"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_context_layers_give_every_tag_back_when_drawn_from_the_cache(scored, lang):
    """The boundaries, green spaces, roads and POIs a bundle keeps as drawn: the second map
    of the bundle reads them from its cache, with every tag as written."""
    result, layers, _ = scored
    bundle = layers.replace()          # a new bundle: the first map fills its cache
    pages = [sp.render_map(result, bundle, lang=lang).get_root().render() for _ in range(2)]
    held = bundle.cache.keys()
    assert any(k.kind == "map_context" for k in held)
    first, again = (literal_fields(page) for page in pages)
    assert first >= CONTEXT_FIELDS
    assert again == first
    assert all(GREEN_KIND in decoded(page) for page in pages)
