"""Every built-in profile, end to end, on a real OpenStreetMap extract plus parcels of our own.

The extract is the one the PyPI package pyrosm ships (``test.osm.pbf``, a corner
of Kotka, Finland). The parcels are boxes generated inside its extent, all owned
by the city. OpenStreetMap holds no flood zones and no population, and this
extract no admin boundary: those rules must be left out and reported, and
nothing else (every other layer is there, some of them empty: nothing there).
"""

import tomllib
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm  # a test dependency only: it ships the OSM extract used here
import pytest
import shapely

import siteplan as sp
from siteplan.render import style as st

PBF = Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"
# the layers each measure reads besides the criterion's own ``layer``, as documented in
# siteplan/measures/__init__.py and siteplan/rth/need.py (rth_shortfall reads the admin
# units and green spaces; pop_beyond_reach the population and, by default, the parks)
IMPLIED = {"rth_shortfall": ["admin", "green_spaces"],
           "pop_beyond_reach": ["green_spaces", "population"]}


@pytest.fixture(scope="module")
def bundle():
    osm = sp.layers_from_osm(PBF)
    x0, y0, x1, y1 = osm["roads"].total_bounds
    # a 6 x 5 grid of city-owned parcels inside the extract, 40 to 90 m wide
    xs = np.linspace(x0 + 200, x1 - 300, 6)
    ys = np.linspace(y0 + 200, y1 - 300, 5)
    sizes = [40, 60, 90]
    uses = ["tanah_kosong", "kebun", "permukiman", "perdagangan", "lapangan"]
    geoms, ids, land = [], [], []
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            s = sizes[(i + j) % 3]
            geoms.append(shapely.box(x, y, x + s, y + s))
            ids.append(f"P{i}{j}")
            land.append(uses[(i * 5 + j) % 5])
    parcels = gpd.GeoDataFrame({"parcel_id": ids, "ownership": "pemda", "land_use": land},
                               geometry=geoms, crs=osm.crs)
    return sp.layers_from_osm(PBF, parcels=parcels)


def expected_skips(name, layers):
    """The rules of a built-in profile that cannot run on ``layers``, read from its TOML."""
    text = (resources.files("siteplan") / "builtin_profiles" / f"{name}.toml").read_text("utf-8")
    prof = tomllib.loads(text)
    out = []
    for con in prof.get("constraints", []):
        if "layer" in con and con["layer"] not in layers:
            out.append(("constraint", con["layer"]))
    for crit in prof["criteria"]:
        needed = ([crit["layer"]] if "layer" in crit else []) + IMPLIED.get(crit["measure"], [])
        absent = [n for n in needed if n not in layers]
        if absent:
            out.append(("criterion", absent[0]))
            continue
        where = crit.get("where") or {}
        if where and len(layers[crit["layer"]]):
            feats = layers[crit["layer"]]
            hit = np.ones(len(feats), bool)
            for col, allowed in where.items():
                hit &= feats[col].isin(allowed).to_numpy()
            if not hit.any():
                out.append(("criterion", crit["layer"]))
    return out


def test_the_extract_has_every_layer_osm_can_hold(bundle):
    assert set(bundle.names) == {"parcels", "green_spaces", "roads", "pois", "rivers", "water",
                                 "coastline", "heritage", "sawah"}
    assert [n for n in bundle.names if len(bundle[n]) == 0] == ["water", "coastline",
                                                                "heritage", "sawah"]


@pytest.mark.parametrize("name", sp.list_profiles())
def test_every_builtin_profile_runs_and_reports_each_skip(bundle, name):
    with pytest.raises(sp.SiteplanInputError, match="missing=\"skip\""):
        sp.score(bundle, name)
    res = sp.score(bundle, name, missing="skip")
    info = sp.record_of(res)
    got = [(x.kind, x.layer) for x in info.skipped]
    assert got == expected_skips(name, bundle)
    # flood zones are never in OpenStreetMap: every profile that reads them skips them
    text = sp.get_profile(name).source_text or ""
    assert ("flood_zones" in text) == any(layer == "flood_zones" for _, layer in got)
    # nothing lost: every parcel scored or excluded, with a score for the scored
    assert len(res) == 30 and set(res["status"]) <= {"scored", "excluded"}
    ok = res["status"] == "scored"
    assert ok.any() and res.loc[ok, "score"].between(0, 100).all()
    assert sum(info.profile.weights.values()) == pytest.approx(1.0)
    for x in info.skipped:
        assert res["notes"].str.contains(f"{x.kind} {x.name} left out", regex=False).all()
    # empty OSM layers the profile reads are reported as empty, not skipped
    read = {c.get("layer") for c in info.profile.constraints} | {
        c.layer for c in info.profile.criteria}
    assert list(info.empty_layers) == sorted(n for n in read if n in
                                             ("water", "coastline", "heritage", "sawah"))
    # the map draws, and its title box lists each rule left out, in both languages
    for lang in ("id", "en"):
        m = sp.render_map(res, bundle, lang=lang, top=5)
        title = next(c for c in m._children.values()
                     if isinstance(c, st.HtmlControl) and "sp-title" in c.class_name).content
        for x in info.skipped:
            shown = x.title.get(lang) or x.title.get("id") or x.name
            assert st.esc1(shown) in title
        assert title.count("<li>") == len(info.skipped)
        assert "OpenStreetMap" in m.get_root().render()


@pytest.mark.parametrize("name", sp.list_profiles())
def test_every_output_reads_a_result_with_skipped_rules(bundle, name, tmp_path):
    """The interactive map, the brief, the selection and allocation read the record as is.

    A result of OSM data has criteria left out; after a GeoPackage round trip it
    must carry the same record, and every output must draw from it without
    looking the profile up again by name.
    """
    from siteplan.outputs import read_result, write_result

    res = sp.score(bundle, name, missing="skip")
    rec = sp.record_of(res)
    assert rec.skipped                                  # OSM: something is always left out
    back = read_result(write_result(res, tmp_path / "hasil.gpkg"))
    assert sp.record_of(back) == rec.with_(provenance=sp.record_of(back).provenance)
    for result in (res, back):
        m = sp.render_map(result, bundle, lang="id", top=3, interactive=True)
        page = m.get_root().render()
        # the page's profile holds exactly the criteria that were scored
        for crit in rec.profile.criteria:
            assert f'"{crit.name}"' in page
        for x in rec.skipped:
            if x.kind == "criterion":
                assert f'"c_{x.name}"' not in page
        brief = sp.site_brief(result, bundle, top=1, lang="id")
        assert brief.count('class="page site"') == 1
    plan = sp.allocate({name: res}, bundle, demand={name: 1})
    assert sp.record_of(plan, None).profiles == (name,)
    sp.render_allocation(plan, bundle, lang="en").get_root().render()
