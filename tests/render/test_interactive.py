"""Interactive maps (``render_map(..., interactive=True)``) and ``Profile.with_weights``.

Structure only: the page's JSON blob, its encodings (read back here with
numpy, independently of the page's JavaScript), the profile TOML it holds,
the escaping. ``tests/browser/test_interactive_browser.py`` runs the page in Chromium.
"""

from __future__ import annotations

import base64
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from clikit import siteplan
from scipy import stats

import siteplan as sp
from siteplan._errors import SiteplanInputError
from siteplan.methods.aggregate import owa_order_weights
from siteplan.render import interactive as ia
from siteplan.render import style as st

# ------------------------------------------------------------------ Profile.with_weights

def test_with_weights_renormalises_and_keeps_the_others_relative_weight():
    prof = sp.get_profile("sentra_kuliner")
    # dekat_pasar .25, klaster_umkm .2, akses_jalan .25, penduduk_2km .2, luas .1
    new = prof.with_weights({"akses_jalan": 1.25})
    # by hand: total 0.25 + 0.2 + 1.25 + 0.2 + 0.1 = 2.0
    assert new.weights == pytest.approx({"dekat_pasar": 0.125, "klaster_umkm": 0.1,
                                         "akses_jalan": 0.625, "penduduk_2km": 0.1,
                                         "luas": 0.05}, abs=1e-15)
    assert prof.weights["akses_jalan"] == pytest.approx(0.25)          # unchanged
    full = prof.with_weights({"dekat_pasar": 2, "klaster_umkm": 0, "akses_jalan": 1,
                              "penduduk_2km": 1, "luas": 0})
    assert full.weights == pytest.approx({"dekat_pasar": 0.5, "klaster_umkm": 0.0,
                                          "akses_jalan": 0.25, "penduduk_2km": 0.25,
                                          "luas": 0.0}, abs=1e-15)
    assert full.criteria[0].measure == prof.criteria[0].measure
    assert full.method == prof.method and full.constraints == prof.constraints


def test_with_weights_refuses_unknown_names_and_bad_values():
    prof = sp.get_profile("rth")
    with pytest.raises(SiteplanInputError, match=r"no criterion named akses.*use one of: "
                       + ", ".join(c.name for c in prof.criteria)):
        prof.with_weights({"akses": 0.5})
    with pytest.raises(SiteplanInputError, match="negative"):
        prof.with_weights({prof.criteria[0].name: -1})
    with pytest.raises(SiteplanInputError, match="all weights are zero"):
        prof.with_weights({c.name: 0 for c in prof.criteria})


def test_with_weights_scores_like_a_profile_written_with_those_weights(tmp_path):
    layers = sp.load_sample()
    prof = sp.get_profile("wisata_religi")
    w = {c.name: float(i + 1) for i, c in enumerate(prof.criteria)}
    total = sum(w.values())
    text = sp.profiles.builtin_profile_text("wisata_religi")
    lines = []
    crit = None
    replaced = 0
    for line in text.splitlines():       # rewrite each criterion's weight line by hand
        if line.startswith("[[criteria]]"):
            crit = "next"
        elif crit == "next" and line.startswith("name = "):
            crit = line.split('"')[1]
        if line.startswith("weight = ") and crit not in (None, "next"):
            line = f"weight = {w[crit] / total!r}"
            replaced += 1
        lines.append(line)
    assert replaced == len(w)
    path = tmp_path / "w.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert sp.read_profile(path).weights != pytest.approx(prof.weights)
    a = sp.score(layers, prof.with_weights(w))
    b = sp.score(layers, sp.read_profile(path))
    assert a["score"].to_numpy() == pytest.approx(b["score"].to_numpy(), abs=1e-12,
                                                  nan_ok=True)


# ------------------------------------------------------------------ the page's data

@pytest.fixture(scope="module")
def tiny():
    from test_maps import profile, world

    layers = sp.load_layers(**world())
    prof = profile()
    return sp.score(layers, prof), layers, prof


@pytest.fixture(scope="module")
def sample():
    layers = sp.load_sample()
    return sp.score(layers, "sentra_kuliner"), layers


def blob(html: str) -> dict:
    found = re.findall(r'<script type="application/json" id="siteplan-data-[^"]+">(.*?)</script>',
                       html, flags=re.S)
    assert len(found) == 1
    return json.loads(found[0])


def page(m) -> str:
    return m.get_root().render()


def decode_varints(text: str) -> list[int]:
    """Zigzag LEB128, decoded one byte at a time (independent of the encoder)."""
    out, value, shift = [], 0, 0
    for byte in base64.b64decode(text):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            out.append(value // 2 if value % 2 == 0 else -(value + 1) // 2)
            value, shift = 0, 0
    assert shift == 0
    return out


@pytest.mark.parametrize("values", [[0], [1, -1, 63, -64, 64, -65], [2 ** 40, -(2 ** 40) - 3],
                                    list(range(-300, 300, 7))])
def test_varints_round_trip(values):
    assert decode_varints(base64.b64encode(ia.varints(values)).decode()) == values


def test_blob_holds_every_scored_site_best_first_with_its_values(sample):
    result, layers = sample
    m = sp.render_map(result, layers, interactive=True)
    data = blob(page(m))
    # best first, equal scores by the tie rule (parcel_id), as siteplan.scoring.ranks.best_first
    scored = result[result["status"] == "scored"].sort_values(["rank", "parcel_id"],
                                                              kind="stable")
    prof = sp.get_profile("sentra_kuliner")
    names = [c.name for c in prof.criteria]
    assert data["n"] == len(scored) == 300
    assert data["ids"] == scored["parcel_id"].tolist()
    # each site's place among them under the tie rule, for the page's own re-ranking
    ids = np.array(data["ids"], dtype=object)
    assert decode_varints(data["tie"]) == np.argsort(np.argsort(ids)).tolist()
    c = np.frombuffer(base64.b64decode(data["c"]), dtype="<f8").reshape(data["n"], len(names))
    assert np.array_equal(c, scored[[f"c_{n}" for n in names]].to_numpy(float))  # exact
    assert [x["name"] for x in data["criteria"]] == names
    assert data["weights"] == pytest.approx([prof.weights[n] for n in names], abs=1e-15)
    assert data["method"] == "wlc" and data["methods"] == ["wlc", "wgm", "owa", "topsis"]
    assert data["owa_v"] == pytest.approx(owa_order_weights(len(names), 1.0).tolist())
    assert data["area"] == pytest.approx(scored["area_m2"].round(1).tolist())
    kel = data["kel"]
    assert [kel["values"][i] for i in kel["codes"]] == scored["kelurahan"].tolist()
    assert data["top"] == 10 and data["lang"] == "id"
    assert data["words"]["panel_title"] == "Atur bobot kriteria"
    # the scored layer is an empty GeoJson that the page fills; nothing else carries sites
    from test_maps import geojsons

    gj = geojsons(m)[st.TEXT["id"]["score_layer"]]
    assert gj.data["features"] == []


def test_shapes_and_marker_points_decode_to_the_sites(tiny):
    result, layers, prof = tiny
    m = sp.render_map(result, layers, interactive=True, profile=prof, simplify=0)
    data = blob(page(m))
    scored = result[result["status"] == "scored"].sort_values("rank", kind="stable")
    g4326 = scored.geometry.to_crs(4326)
    geom = data["geom"]
    parts, rings = decode_varints(geom["parts"]), decode_varints(geom["rings"])
    verts, xy = decode_varints(geom["verts"]), decode_varints(geom["xy"])
    xs, ys = np.cumsum(xy[0::2]), np.cumsum(xy[1::2])
    assert parts == [1] * len(scored) and rings == [1] * len(scored)
    assert verts == [4] * len(scored)                      # boxes; closing vertex left out
    for i, poly in enumerate(g4326):
        ring = np.column_stack([xs[4 * i:4 * i + 4], ys[4 * i:4 * i + 4]]) / geom["scale"]
        expected = np.asarray(poly.exterior.coords)[:-1]
        assert np.abs(ring - expected).max() < 0.6e-6
    pts = decode_varints(data["pt"])
    px, py = np.cumsum(pts[0::2]) / 1e6, np.cumsum(pts[1::2]) / 1e6
    surface = gpd.GeoSeries(shapely.point_on_surface(scored.geometry.array), crs=scored.crs) \
        .to_crs(4326)
    assert np.abs(px - surface.x.to_numpy()).max() < 0.6e-6
    assert np.abs(py - surface.y.to_numpy()).max() < 0.6e-6
    assert data["nopt"] == []


def test_multipolygon_with_hole_encodes_every_ring():
    outer = shapely.box(0, 0, 10, 10)
    holed = shapely.Polygon(outer.exterior.coords, [shapely.box(2, 2, 4, 4).exterior.coords])
    geoms = np.array([shapely.MultiPolygon([holed, shapely.box(20, 0, 21, 1)]),
                      shapely.Polygon(), shapely.box(5, 5, 6, 7)], dtype=object)
    enc = ia.encode_polygons(geoms, 0)
    assert decode_varints(enc["parts"]) == [2, 0, 1]
    assert decode_varints(enc["rings"]) == [2, 1, 1]
    assert decode_varints(enc["verts"]) == [4, 4, 4, 4]
    xy = decode_varints(enc["xy"])
    xs, ys = np.cumsum(xy[0::2]), np.cumsum(xy[1::2])
    expected = np.concatenate([np.asarray(r.coords)[:-1] for r in (
        holed.exterior, holed.interiors[0], shapely.box(20, 0, 21, 1).exterior,
        shapely.box(5, 5, 6, 7).exterior)])
    assert np.array_equal(np.column_stack([xs, ys]), expected)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 7])
def test_shipped_percentiles_give_mapclassify_quantiles(k):
    import mapclassify  # here, not at collection: it compiles a function when imported
    rng = np.random.default_rng(k)
    y = np.round(rng.uniform(0, 100, 97), 1)       # with ties
    pcts = ia._percents(k)[k]
    bins = np.unique([stats.scoreatpercentile(y, p) for p in pcts])
    assert np.array_equal(bins, mapclassify.Quantiles(y, k=k).bins)


def test_toml_template_is_the_profile_with_the_pages_weights(sample, tmp_path):
    result, layers = sample
    data = blob(page(sp.render_map(result, layers, interactive=True, lang="en")))
    names = [c["name"] for c in data["criteria"]]
    text = data["toml"].replace("\x01method\x01", "topsis")
    for j, w in enumerate([3, 0, 1, 1, 5]):
        text = text.replace(f"\x01w{j}\x01", str(w))
    assert "\x01" not in text
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    back = sp.read_profile(path)
    assert back.method == "topsis"
    assert [back.weights[n] for n in names] == pytest.approx([0.3, 0, 0.1, 0.1, 0.5])
    prof = sp.get_profile("sentra_kuliner")
    assert back.criteria[0].where == prof.criteria[0].where
    assert back.constraints == prof.constraints and back.candidates == prof.candidates


@pytest.mark.parametrize("name", sp.list_profiles())
def test_profile_to_toml_round_trip(name, tmp_path):
    from dataclasses import replace

    prof = sp.get_profile(name)
    path = tmp_path / f"{name}.toml"
    path.write_text(sp.profile_to_toml(prof), encoding="utf-8")
    back = sp.read_profile(path)
    assert back.weights == pytest.approx(prof.weights, abs=1e-15)

    def bare(p):
        return replace(p, criteria=tuple(replace(c, weight=0.0) for c in p.criteria),
                       consistency_ratio=None, source_path=None)

    assert bare(back) == bare(prof)
    odd = replace(prof, title={"id": 'kutip " \\ \n baris', "en": "x"}, owa_alpha=2.5,
                  allow_inconsistent=True)
    path.write_text(sp.profile_to_toml(odd), encoding="utf-8")
    again = sp.read_profile(path)
    assert again.title["id"] == 'kutip " \\ \n baris'
    assert again.owa_alpha == 2.5 and again.allow_inconsistent is True


def test_data_text_stays_data(tiny):
    from test_maps import XSS_IMG, XSS_JS, XSS_SCRIPT

    result, layers, prof = tiny
    html = page(sp.render_map(result, layers, interactive=True, profile=prof))
    found = re.search(r'<script type="application/json" id="siteplan-data-[^"]+">(.*?)</script>',
                      html, flags=re.S)
    raw = found.group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert XSS_SCRIPT in data["names"] and XSS_JS in data["names"]   # kept as data
    assert XSS_IMG in data["kel"]["values"]
    assert data["criteria"][0]["title"] == "Dekat pasar " + XSS_IMG
    assert XSS_SCRIPT not in html and XSS_IMG not in html
    script = (ia.resources.files("siteplan") / "static" / "interactive.js") \
        .read_text("utf-8")
    assert script in html and "</script" not in script.lower()


def test_options_checked(tiny, sample):
    result, layers, prof = tiny
    with pytest.raises(SiteplanInputError, match="scheme='quantiles' or"):
        sp.render_map(result, layers, interactive=True, profile=prof, scheme="fisher_jenks")
    # the result's record holds its profile: no need to pass it again, no lookup by name
    own = blob(sp.render_map(result, layers, interactive=True).get_root().render())
    given = blob(sp.render_map(result, layers, interactive=True,
                               profile=prof).get_root().render())
    own.pop("map"), given.pop("map")     # the map's own element name differs
    assert own == given
    bare = result.copy()
    bare.attrs = {}
    with pytest.raises(SiteplanInputError, match=r"no record of the profile.*profile="):
        sp.render_map(bare, layers, interactive=True)
    with pytest.raises(SiteplanInputError, match="interactive='yes' must be True or False"):
        sp.render_map(result, layers, interactive="yes", profile=prof)
    res2, layers2 = sample
    with pytest.raises(SiteplanInputError, match="does not fit profile 'uji'"):
        sp.render_map(res2, layers2, interactive=True, profile=prof)
    bent = res2.copy()
    bent.attrs = res2.attrs
    first = bent.index[bent["status"] == "scored"][0]
    bent.loc[first, "c_luas"] = 1 - bent.loc[first, "c_luas"] if bent.loc[
        first, "c_luas"] != 0.5 else 0.9
    with pytest.raises(SiteplanInputError, match="scores do not follow from its c_"):
        sp.render_map(bent, layers2, interactive=True)
    # equal intervals are fine, and nothing of the result was changed
    before = res2.copy()
    sp.render_map(res2, layers2, interactive=True, scheme="equal_interval")
    assert res2.equals(before)


def test_method_and_weights_of_the_result_are_the_pages(sample):
    result, layers = sample
    prof = sp.get_profile("sentra_kuliner").with_weights({"luas": 2.0})
    res = sp.score(layers, prof, method="owa")
    data = blob(page(sp.render_map(res, layers, interactive=True, profile=prof)))
    assert data["method"] == "owa"
    names = [c["name"] for c in data["criteria"]]
    assert data["weights"] == pytest.approx([prof.weights[n] for n in names], abs=1e-15)


def test_cli_map_interactive(sample, tmp_path):
    result, layers = sample
    from siteplan.outputs import write_result

    scored = tmp_path / "hasil.gpkg"
    write_result(result, scored)
    out = tmp_path / "peta.html"
    run = siteplan("map", scored, "--out", out, "--interactive", "--lang", "en")
    assert run.returncode == 0, run.stderr
    data = blob(out.read_text(encoding="utf-8"))
    assert data["n"] == int((result["status"] == "scored").sum()) and data["lang"] == "en"
    plain = tmp_path / "plain.html"
    run = siteplan("map", scored, "--out", plain)
    assert run.returncode == 0 and "siteplan-data-" not in plain.read_text(encoding="utf-8")


def test_cli_map_interactive_with_a_profile_file(tiny, tmp_path):
    from siteplan.outputs import write_result

    result, _, prof = tiny
    scored = tmp_path / "uji.gpkg"
    write_result(result, scored)
    toml = tmp_path / "uji.toml"
    toml.write_text(sp.profile_to_toml(prof), encoding="utf-8")

    def cli(*args):
        return siteplan("map", scored, *args)

    run = cli("--out", str(tmp_path / "a.html"), "--interactive")   # the file's record
    assert run.returncode == 0, run.stderr
    assert blob((tmp_path / "a.html").read_text(encoding="utf-8"))["n"] == 5
    run = cli("--out", str(tmp_path / "b.html"), "--profile", str(toml))
    assert run.returncode == 2 and "only used with --interactive" in run.stderr
    run = cli("--out", str(tmp_path / "c.html"), "--interactive", "--profile", str(toml))
    assert run.returncode == 0, run.stderr
    assert blob((tmp_path / "c.html").read_text(encoding="utf-8"))["n"] == 5


def test_stability_and_words_in_english(sample):
    result, layers = sample
    stab = sp.sensitivity(result, "sentra_kuliner", draws=50, seed=1)
    data = blob(page(sp.render_map(result, layers, interactive=True, stability=stab,
                                   lang="en", top=5)))
    scored = result[result["status"] == "scored"].sort_values("rank", kind="stable")
    assert data["stab"] == pytest.approx(stab.loc[scored.index, "p_top_k"].tolist())
    assert data["top_k"] == 10 and data["top"] == 5
    assert data["words"]["panel_title"] == "Tune the criterion weights"
    assert data["words"]["score"] == "Score" and data["classes"]["name"] == "quantiles"
    assert data["criteria"][0]["title"] == sp.get_profile("sentra_kuliner").criteria[0] \
        .title["en"]


def test_no_eligible_site(tiny):
    from test_maps import profile

    _, layers, _ = tiny
    prof = profile(constraints=[{"type": "min_area", "value": 1e9}])
    result = sp.score(layers, prof)
    assert not (result["status"] == "scored").any()
    data = blob(page(sp.render_map(result, layers, interactive=True, profile=prof)))
    assert data["n"] == 0 and data["ids"] == [] and data["c"] == ""
    assert decode_varints(data["geom"]["parts"]) == []
