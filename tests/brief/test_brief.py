"""site_brief: the partner meeting pack, checked as structure and text (no browser).

A tiny hand-built world (boxes near x=620,000, y=9,320,000 in EPSG:32748)
whose every number is worked out by hand below; text from data carries
canaries that must come out as text. The sample checks that every built-in
profile's criteria and constraint sources reach the brief.
"""

from __future__ import annotations

import base64
import io
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from clikit import siteplan
from test_maps import CRS, X0, XSS_IMG, XSS_SCRIPT, Y0, box, line, pt  # noqa: F401

import siteplan as sp
from siteplan.profiles.profile import profile_from_dict

XSS_JS = "Lahan `${window.__xss=3}`"
ID_B = "B<script>window.__xss=4</script>"


def world():
    """A (best), B, D scored; C too small and on the river.

    Hand figures (criterion pasar: distance to the market at (150, 50), linear
    best 0, worst 2000, weight 0.75; criterion orang: people within 1 km,
    linear best 2000, worst 0, weight 0.25; people: 1,000 on A's own box and
    500 on box (1500..1600, 0..100)):

    - A (0..100): 50 m -> 0.975; 1,000 people -> 0.5; score 85.625;
      contributions 73.125 and 12.5; 10,000 m²; 950 m from the river at x=1050.
    - B (300..420): 150 m -> 0.925; 1,000 people (200 m away) -> 0.5;
      score 81.875; 12,000 m²; 630 m from the river.
    - D (2000..2100): 1,850 m -> 0.075; 500 people (400 m away) -> 0.25;
      score 11.875.
    """
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["A", ID_B, "C", "D"],
        "name": [XSS_SCRIPT, XSS_JS, "Kebun C", ""],
        "kelurahan": [XSS_IMG, "Cipare", "Cipare", "Lopang"],
        "kecamatan": ["Serang"] * 4,
        "ownership": ["pemda"] * 4,
        "land_use": ["tanah_kosong", "kebun", "kebun", "tanah_kosong"],
        "tipe_hak": ["HP", "HPL", "HP", "HP"],
    }, geometry=[box(0, 0, 100, 100), box(300, 0, 420, 100), box(1000, 0, 1100, 50),
                 box(2000, 0, 2100, 100)], crs=CRS)
    roads = gpd.GeoDataFrame({"road_class": ["arteri", "lokal"], "name": ["Jl. Raya", "x"]},
                             geometry=[line((-100, -50), (3000, -50)),
                                       line((0, 600), (3000, 600))], crs=CRS)
    pois = gpd.GeoDataFrame({"category": ["pasar", "sekolah"],
                             "name": ["Pasar " + XSS_IMG, "SD Negeri 1"]},
                            geometry=[pt(150, 50), pt(350, 300)], crs=CRS)
    green = gpd.GeoDataFrame({"rth_type": ["taman"], "public": [True], "name": ["Taman Kota"]},
                             geometry=[box(200, 200, 260, 260)], crs=CRS)
    admin = gpd.GeoDataFrame({"kode": ["1", "2"], "nama": ["Cipare", "Lopang"],
                              "level": ["kelurahan", "kelurahan"]},
                             geometry=[box(-200, -200, 1000, 800), box(1000, -200, 2200, 800)],
                             crs=CRS)
    rivers = gpd.GeoDataFrame({"name": ["kali"]}, geometry=[line((1050, -500), (1050, 1000))],
                              crs=CRS)
    population = gpd.GeoDataFrame({"population": [1000.0, 500.0]},
                                  geometry=[box(0, 0, 100, 100), box(1500, 0, 1600, 100)],
                                  crs=CRS)
    return {"parcels": parcels, "roads": roads, "pois": pois, "green_spaces": green,
            "admin": admin, "population": population, "extra": {"rivers": rivers}}


SRC_AREA = "Perda " + XSS_SCRIPT
SRC_RIVER = "PP 38/2011 (sempadan sungai, 15 m)"
SRC_PASAR = "SNI 03-1733-2004 " + XSS_IMG


def profile():
    return profile_from_dict({
        "name": "uji", "title": {"id": "Uji " + XSS_SCRIPT, "en": "Brief test"},
        "description": {"id": "Taman kecil", "en": "A small park"},
        "constraints": [
            {"type": "min_area", "value": 6000, "source": SRC_AREA,
             "title": {"id": "Terlalu kecil", "en": "Too small"}},
            {"type": "outside", "layer": "rivers", "buffer": 15, "source": SRC_RIVER,
             "title": {"id": "Di sempadan sungai", "en": "In the river setback"}},
        ],
        "criteria": [
            {"name": "pasar", "measure": "distance", "layer": "pois",
             "where": {"category": ["pasar"]}, "source": SRC_PASAR,
             "title": {"id": "Dekat pasar", "en": "Near a market"},
             "transform": {"type": "linear", "best": 0, "worst": 2000}, "weight": 3},
            {"name": "orang", "measure": "sum_within", "layer": "population",
             "column": "population", "radius": 1000,
             "title": {"id": "Penduduk 1 km", "en": "People within 1 km"},
             "transform": {"type": "linear", "best": 2000, "worst": 0}, "weight": 1},
        ],
    })


@pytest.fixture(scope="module")
def layers():
    return sp.load_layers(**world())


@pytest.fixture(scope="module")
def result(layers):
    return sp.score(layers, profile())


def pages(html: str) -> list[str]:
    """The site pages of a brief, in order."""
    return html.split('<div class="page site"')[1:]


def esc(text: str) -> str:
    from siteplan.render.words import esc1

    return esc1(text)


def test_profile_source_is_optional_text():
    prof = profile()
    assert [c.source for c in prof.criteria] == [SRC_PASAR, None]
    assert [c.get("source") for c in prof.constraints] == [SRC_AREA, SRC_RIVER]
    bad = {"name": "x", "criteria": [{"name": "a", "measure": "area", "source": 3,
                                      "transform": {"type": "linear", "best": 1, "worst": 0},
                                      "weight": 1}],
           "constraints": [{"type": "min_area", "value": 1, "source": ["PP 38/2011"]}]}
    with pytest.raises(sp.SiteplanInputError, match=r"(?s)constraint 1 \(min_area\): source "
                       r"must be text or a table.*criterion 'a': source must be text or a "
                       r"table.*got 3"):
        profile_from_dict(bad)


def test_profile_source_per_language_and_plain_text_still_read():
    both = {"id": "PP 38/2011 Pasal 10 (sempadan sungai)",
            "en": "PP 38/2011 Article 10 (river setbacks)"}
    data = {"name": "x", "criteria": [{"name": "a", "measure": "area", "source": both,
                                       "transform": {"type": "linear", "best": 1, "worst": 0},
                                       "weight": 1}],
            "constraints": [{"type": "min_area", "value": 1, "source": "UU 41/2009"}]}
    prof = profile_from_dict(data)
    assert dict(prof.criteria[0].source) == both
    assert prof.constraints[0]["source"] == "UU 41/2009"
    for bad in ({"fr": "texte"}, {}, {"id": ""}, {"id": 3}):
        with pytest.raises(sp.SiteplanInputError, match="source must be text or a table"):
            profile_from_dict({**data, "constraints": [{"type": "min_area", "value": 1,
                                                        "source": bad}]})


@pytest.mark.parametrize("name", ["fasilitas_publik", "rth", "sentra_kuliner",
                                  "wisata_religi"])
def test_every_builtin_rule_cites_its_source(name):
    prof = sp.get_profile(name)
    sources = [c.source for c in prof.criteria] + [c["source"] for c in prof.constraints]
    for src in sources:   # in Indonesian and in English
        assert set(src) == {"id", "en"}, src
        assert all(len(src[lang]) > 10 for lang in src), src
    text = " ".join(src[lang] for src in sources for lang in src)
    for con in prof.constraints:  # the regulation named where the rule has one, in both
        for lang in ("id", "en"):
            if con.get("layer") == "rivers":
                assert "PP 38/2011" in con["source"][lang]
            if con.get("layer") == "coastline":
                assert "Perpres 51/2016" in con["source"][lang]
            if con.get("layer") == "sawah":
                assert "UU 41/2009" in con["source"][lang]
    if name == "rth":
        assert "UU 26/2007" in text and "Permen PU 05/PRT/M/2008" in text


def test_hand_figures_hold(result):
    """The world is what the docstring says (guards the expectations below)."""
    r = result.set_index("parcel_id")
    assert r.loc["C", "status"] == "excluded"
    np.testing.assert_allclose(r.loc[["A", ID_B, "D"], "score"].astype(float),
                               [85.625, 81.875, 11.875], atol=1e-9)
    np.testing.assert_allclose(r.loc[["A", ID_B, "D"], "m_pasar"].astype(float),
                               [50, 150, 1850], atol=1e-9)


def test_structure_indonesian(result, layers):
    html = sp.site_brief(result, layers, top=3)
    assert html.startswith("<!doctype html>") and '<html lang="id">' in html
    a, b, d = pages(html)
    assert len(pages(html)) == 3
    # A: id, area, score, rank, percentile, criterion titles and values, sources
    assert "ID A<" in a
    assert "1,00 ha (10.000 m²)" in a
    assert "Skor <b>85,6</b> dari 100 · peringkat <b>1</b> dari 3" in a
    assert "lebih baik dari 66% lokasi" in a          # 2 of 3 scored below it
    assert "Dekat pasar" in a and "Penduduk 1 km" in a
    assert ">50 m<" in a and ">1.000 jiwa<" in a
    assert ">0,50<" in a                               # suitability of 1,000 people
    assert "+73,1 (75%)" in a and "+12,5 (25%)" in a   # points and weights
    assert esc(SRC_PASAR) in a and "tidak ada sumber tercatat" in a
    # each constraint with its source, its result and the value that decided it
    assert esc(SRC_AREA) in a and esc(SRC_RIVER) in a
    assert "✓ lolos</span> · 10.000 m²" in a and "✓ lolos</span> · 950 m" in a
    # neighbourhood: people within 1 / 2 km, nearest market and school by name
    assert "1.000 / 1.500 jiwa" in a
    assert esc("Pasar " + XSS_IMG) + " · 50 m garis lurus" in a
    # along the arterial road at y=-50: 50 m down, 50 m along, 100 m up to the market
    assert " · 50 m garis lurus · 200 m lewat jalan" in a
    # the school's nearest road (y=600) is not joined to the parcel's road (y=-50)
    assert "SD Negeri 1 · 320 m garis lurus · tidak terjangkau lewat jalan" in a
    # B: 12,000 m², 81.9, 630 m from the river
    assert "ID " + esc(ID_B) in b and "1,20 ha (12.000 m²)" in b
    assert "Skor <b>81,9</b>" in b and "✓ lolos</span> · 630 m" in b
    assert "SD Negeri 1 · 200 m garis lurus" in b
    # D has no name: its id is the heading
    assert ">D</h2>" in d and "Skor <b>11,9</b>" in d
    # the cover: profile, description, summary rows, synthetic warning absent
    cover = html.split('<div class="page site"')[0]
    assert esc("Uji " + XSS_SCRIPT) in cover and "Taman kecil" in cover
    assert "PERINGATAN" not in cover
    assert cover.count("<tr><td>") >= 3 and "85,6" in cover and "11,9" in cover


def test_structure_english(result, layers):
    html = sp.site_brief(result, layers, top=2, lang="en")
    a, b = pages(html)
    assert '<html lang="en">' in html
    assert "1.00 ha (10,000 m²)" in a and "Score <b>85.6</b> of 100" in a
    assert ">1,000 people<" in a and "Near a market" in a and "+73.1 (75%)" in a
    assert "✓ passes</span> · 950 m" in a and "1.20 ha (12,000 m²)" in b


def test_rth_of_the_kelurahan(result, layers):
    """Cipare: 1,200 x 1,000 m with one public taman of 60 x 60 m."""
    gaps = sp.rth_gaps(layers, level="kelurahan").set_index("nama")
    assert gaps.loc["Cipare", "area_m2"] == pytest.approx(1_200_000)
    assert gaps.loc["Cipare", "rth_public_m2"] == pytest.approx(3600)
    b = pages(sp.site_brief(result, layers, [ID_B]))[0]
    # 3,600 / 1,200,000 = 0.3 %; short by 0.2 x 1,200,000 - 3,600 = 236,400 m² = 23.6 ha
    assert "RTH publik kelurahan Cipare" in b
    assert "0,3% dari luas wilayah (target 20%, UU 26/2007); kurang 23,6 ha" in b


def test_text_from_data_is_escaped(result, layers):
    html = sp.site_brief(result, layers, top=3, lang="en")
    for raw in (XSS_IMG, XSS_SCRIPT, XSS_JS, ID_B):
        assert raw not in html
    assert "<script" not in html.lower()                 # the brief runs nothing at all
    assert "onerror=" not in html.replace("onerror=&quot;", "")
    assert esc(XSS_JS) in html and "`" not in html and "${" not in html
    assert "Content-Security-Policy" in html


def test_parcel_ids_in_the_given_order(result, layers):
    html = sp.site_brief(result, layers, ["D", "A"])
    d, a = pages(html)
    assert ">D</h2>" in d and "ID A<" in a
    assert "Lokasi 1 dari 2" in d


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"parcel_ids": ["A", "nope"]}, r"not in the result: nope"),
    ({"parcel_ids": ["C"]}, r"not scored: C \(min_area 6000 m²; outside rivers \+15 m\)"),
    ({"parcel_ids": "A"}, r"pass a list of parcel ids"),
    ({"top": 0}, r"top must be a whole number >= 1"),
    ({"lang": "fr"}, r"unknown language 'fr'"),
    ({"stability": pd.DataFrame({"p_top_k": [1.0]})}, r"needs the columns p_top_k"),
])
def test_bad_arguments_are_named(result, layers, kwargs, match):
    with pytest.raises(sp.SiteplanInputError, match=match):
        sp.site_brief(result, layers, **kwargs)


def test_not_a_result(layers):
    with pytest.raises(sp.SiteplanInputError, match="site_brief result: has no record"):
        sp.site_brief(layers["parcels"], layers)


def test_stability_shown(result, layers):
    stab = pd.DataFrame({"p_top_k": [0.873, 0.5, 0.0, 0.1], "rank_p05": [1, 1, np.nan, 2],
                         "rank_p50": [1, 2, np.nan, 3], "rank_p95": [3, 3, np.nan, 3]},
                        index=result.index)
    stab.attrs.update(top_k=2, draws=1000, spread=0.2)
    html = sp.site_brief(result, layers, ["A"], stability=stab)
    a = pages(html)[0]
    assert ("Dalam 1.000 simulasi bobot (sebaran 0,20), lokasi ini masuk 2 besar pada "
            "<b>87%</b> simulasi; peringkatnya antara 1 dan 3") in a
    assert "Peluang tetap di 2 besar" in html.split('<div class="page site"')[0]
    # without stability the page says nothing about it (and tells no one to run code)
    plain = pages(sp.site_brief(result, layers, ["A"]))[0]
    assert "Seberapa yakin" not in plain and "sp.sensitivity" not in plain
    assert "stability=" not in plain


def test_caller_objects_unchanged(result, layers):
    before = result.copy()
    attrs = repr(result.attrs)
    sp.site_brief(result, layers, top=2)
    pd.testing.assert_frame_equal(result, before)
    assert repr(result.attrs) == attrs


def test_maps_are_png_of_the_site(result, layers):
    import matplotlib.image as mpimg

    html = sp.site_brief(result, layers, ["A"])
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == 2                                  # the overview and the site map
    img = mpimg.imread(io.BytesIO(base64.b64decode(uris[1])), format="png")
    assert img.shape[0] == img.shape[1] > 400              # square, print resolution
    rgb = (img[..., :3] * 255).round()
    red = (rgb[..., 0] > 180) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
    assert red.sum() > 20                                  # the parcel, drawn in red


def test_sample_every_profile_lists_titles_and_sources(sample_layers):
    for name in sp.list_profiles():
        result = sp.score(sample_layers, name)
        rec = sp.record_of(result)
        html = sp.site_brief(result, sample_layers, top=2, lang="en")
        top = result.sort_values("rank").head(2)
        assert "synthetic sample data" in html and "1 January 2026" in html
        for page, (_, row) in zip(pages(html), top.iterrows(), strict=True):
            assert f"ID {row['parcel_id']}" in page
            area = row["area_m2"]   # the parcel's own area, as the maps show it
            assert f"({area:,.0f} m²)" in page
            assert f"Score <b>{row['score']:.1f}</b>" in page
            for crit in rec.profile.criteria:
                assert esc(crit.title["en"]) in page
                assert esc(crit.source["en"]) in page
                assert esc(crit.source["id"]) not in page
            for con in rec.profile.constraints:
                assert esc(con["source"]["en"]) in page


def test_cli_brief(tmp_path):
    out = tmp_path / "pack.html"

    def run(*args):
        return siteplan("brief", "--sample", *args)

    r = run("--profile", "wisata_religi", "--top", "2", "--out", out, "--lang", "en",
            "--sensitivity", "100", "--top-k", "5")
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert len(pages(html)) == 2 and "Religious-tourism facility" in html
    assert "Chance of staying in the top 5" in html and "In 100 weight draws" in html
    assert "Perpres 51/2016" in html
    r = run("--profile", "wisata_religi", "--out", out)
    assert r.returncode == 5 and "--overwrite" in r.stderr
    r = run("--profile", "rth", "--out", tmp_path / "pack.pdf")
    assert r.returncode == 2 and ".html" in r.stderr
    r = run("--profile", "rth", "--site", "no-such-id", "--out", tmp_path / "x.html")
    assert r.returncode == 3 and "no-such-id" in r.stderr


def test_few_layers_still_brief():
    """Parcels and rivers only: no roads, POIs, green space, admin or population."""
    few = sp.load_layers(parcels=world()["parcels"], extra={"rivers": world()["extra"][
        "rivers"]})
    prof = profile_from_dict({
        "name": "luas", "constraints": [{"type": "outside", "layer": "rivers", "buffer": 15}],
        "criteria": [{"name": "luas", "measure": "area", "weight": 1,
                      "transform": {"type": "linear", "best": 12000, "worst": 0}}]})
    result = sp.score(few, prof)
    b = pages(sp.site_brief(result, few, top=1, lang="en"))[0]
    assert "ID " + esc(ID_B) in b and "Score <b>100.0</b>" in b   # 12,000 m² is the best
    # market, school, puskesmas (no POI layer) and park (no green spaces): not given, which
    # is not "none in the data" (issue 24)
    assert b.count("unknown (no points-of-interest layer was given)") == 3
    assert b.count("unknown (no green-space layer was given)") == 1
    assert "none in the data" not in b
    assert "cannot be computed (no admin, green-space, population layer was given)" in b
    assert "along roads" not in b
    assert "no source recorded" in b                               # neither rule cites one
    assert "–" in b.split("People within")[1].split("</tr>")[0]   # no population layer


def test_attribute_rule_shows_the_parcels_value(sample_layers):
    result = sp.score(sample_layers, "rth")     # not_in perdagangan, industri on land_use
    page = pages(sp.site_brief(result, sample_layers, top=1, lang="en"))[0]
    use = result.sort_values("rank").iloc[0]["land_use"]
    words = {"tanah_kosong": "vacant land", "kebun": "garden / plantation",
             "lapangan": "sports field", "fasilitas_umum": "public facility",
             "permukiman": "housing"}
    assert f"✓ passes</span> · {words[use]}</td>" in page


def test_road_distance_is_to_the_facility_named():
    """The nearest market in a straight line sits on a road cut off from the parcel's.

    Pasar Seberang at (50, 450): 350 m above A, on the lokal road at y=600,
    which does not meet A's arterial road at y=-50. Pasar Jauh at (900, -20):
    800 m from A, beside A's road (50 + 800 + 30 = 880 m along it). The brief
    names Pasar Seberang, so its road distance must be Pasar Seberang's (none),
    not Pasar Jauh's 880 m.
    """
    w = world()
    w["pois"] = gpd.GeoDataFrame({"category": ["pasar", "pasar"],
                                  "name": ["Pasar Seberang", "Pasar Jauh"]},
                                 geometry=[pt(50, 450), pt(900, -20)], crs=CRS)
    few = sp.load_layers(**w)
    result = sp.score(few, profile())
    a = pages(sp.site_brief(result, few, ["A"], lang="en"))[0]
    assert ("Pasar Seberang · 350 m in a straight line · not reachable along roads") in a
    assert "880 m" not in a
