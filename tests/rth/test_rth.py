"""RTH need per kelurahan and the rth criteria, on tiny worlds worked out by hand.

All tiny worlds are in EPSG:32748 around (X0, Y0); ``box(x1, y1, x2, y2)`` is
in metres from there. Buffers are rounded rectangles: a w x h box buffered by
r covers w*h + 2*(w + h)*r + pi*r² (siteplan draws 128-gon circles, within
0.05% of pi r², so the checks use rel=1e-3).
"""

import html
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import siteplan as sp
from siteplan import rth
from siteplan.profiles.profile import Criterion, profile_from_dict
from siteplan.render.rth_map import BELOW as RTH_BELOW
from siteplan.render.rth_map import MET as RTH_MET
from siteplan.render.rth_map import rth_classes


def _rth_measure(crit, geoms, layers, context):
    """One RTH criterion measured through the measure table, as the pipeline does."""
    return sp.measures.MEASURES[crit.measure].func(crit, None, geoms, layers, context)

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def gdf(rows, geoms):
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS)


def rounded_rect(w, h, r):
    return w * h + 2 * (w + h) * r + math.pi * r**2


def crit(measure, **kw):
    return Criterion(name="x", measure=measure, transform={"type": "linear", "best": 1,
                                                           "worst": 0}, weight=1.0, **kw)


# --------------------------------------------------------------- green counted once


@pytest.fixture()
def green_world():
    admin = gdf({"kode": ["36.73.01.1001"], "nama": ["A"], "level": ["kelurahan"]},
                [box(0, 0, 1000, 1000)])                        # 1,000,000 m²
    green = gdf({"rth_type": ["taman", "taman", "lapangan", "hutan_kota", "pemakaman"],
                 "public": [True, True, False, True, True]}, [
        box(0, 0, 100, 100),      # taman 10,000
        box(50, 0, 150, 100),     # taman, overlaps the first by 50 x 100 = 5,000
        box(100, 0, 200, 100),    # private lapangan, 5,000 of it under public taman
        box(0, 100, 100, 200),    # hutan kota 10,000
        box(0, 150, 100, 250),    # pemakaman, 5,000 of it under hutan kota (earlier type)
    ])
    pop = gdf({"population": [10_000.0]}, [box(0, 0, 1000, 1000)])
    return sp.load_layers(admin=admin, green_spaces=green, population=pop)


def test_green_counted_once_public_first(green_world):
    g = sp.rth_gaps(green_world)
    row = g.iloc[0]
    # taman: union of the two = 150 x 100 = 15,000 (not 20,000)
    assert row["rth_public_taman_m2"] == pytest.approx(15_000)
    assert row["rth_public_hutan_kota_m2"] == pytest.approx(10_000)
    # pemakaman 10,000 less the 5,000 hutan kota already holds
    assert row["rth_public_pemakaman_m2"] == pytest.approx(5_000)
    # private lapangan 10,000 less the 5,000 under public taman
    assert row["rth_private_lapangan_m2"] == pytest.approx(5_000)
    assert row["rth_public_m2"] == pytest.approx(30_000)       # 15,000 + 10,000 + 5,000
    assert row["rth_private_m2"] == pytest.approx(5_000)
    assert row["rth_total_m2"] == pytest.approx(35_000)
    assert row["area_m2"] == pytest.approx(1_000_000)
    assert row["public_share"] == pytest.approx(0.03)           # 30,000 / 1,000,000
    assert row["total_share"] == pytest.approx(0.035)
    assert row["public_share_short"] == pytest.approx(0.17)     # 0.20 - 0.03
    # shortfall: 20% of 1,000,000 = 200,000 - 30,000 = 170,000 m² = 17 ha
    assert row["public_shortfall_m2"] == pytest.approx(170_000)
    assert row["public_shortfall_ha"] == pytest.approx(17.0)
    # total: 30% = 300,000 - 35,000 = 265,000 m² = 26.5 ha
    assert row["total_shortfall_m2"] == pytest.approx(265_000)
    assert row["total_shortfall_ha"] == pytest.approx(26.5)
    # per person: 30,000 m² / 10,000 people = 3.0 against 1.0+0.5+0.3+0.2+0.3+1.2 = 3.5;
    # short by (3.5 - 3.0) x 10,000 = 5,000 m²
    assert row["population"] == pytest.approx(10_000)
    assert row["public_m2_per_person"] == pytest.approx(3.0)
    assert row["norm_m2_per_person"] == pytest.approx(3.5)
    assert row["per_person_shortfall_m2"] == pytest.approx(5_000)
    # per-type columns add up to the totals
    pub = [c for c in g.columns if c.startswith("rth_public_") and c != "rth_public_m2"]
    assert g[pub].sum(axis=1).iloc[0] == pytest.approx(30_000)
    assert row["need_rank"] == 1


def test_inputs_are_not_mutated(green_world):
    before = {k: v.copy() for k, v in green_world.items()}
    g = sp.rth_gaps(green_world)
    g["nama"] = "changed"   # the caller's copy, not the cache
    for k, v in green_world.items():
        pd.testing.assert_frame_equal(pd.DataFrame(v), pd.DataFrame(before[k]))
    assert sp.rth_gaps(green_world)["nama"].iloc[0] == "A"


# ----------------------------------------------------------- admin overlap and sliver


@pytest.fixture()
def admin_world():
    # rows deliberately out of kode order: the rule follows kode, not row order
    admin = gdf({"kode": ["36.73.01.1002", "36.73.01.1001", "36.73.02.1001"],
                 "nama": ["K2", "K1", "K3"]}, [
        box(990, 0, 2000, 1000),     # K2: overlaps K1 on 990..1000 (10 x 1000 = 10,000 m²)
        box(0, 0, 1000, 1000),       # K1: keeps the overlap (lower kode)
        box(0, 1005, 2000, 2000),    # K3: a 5 m sliver (y 1000..1005, 10,000 m²) below it
    ])
    green = gdf({"rth_type": ["taman", "taman", "taman"], "public": [True, True, False]}, [
        box(985, 0, 995, 100),       # 1,000 m², half in the overlap: all of it counts to K1
        box(100, 1000, 200, 1005),   # 500 m² in the sliver: no unit's
        box(0, 1900, 100, 2000),     # private 10,000 m² in K3
    ])
    pop = gdf({"population": [4000.0]}, [box(0, 0, 2000, 2000)])   # 0.001 people/m²
    return sp.load_layers(admin=admin, green_spaces=green, population=pop)


def test_admin_overlap_counted_once_and_sliver(admin_world):
    g = sp.rth_gaps(admin_world).set_index("nama")
    assert list(sp.rth_gaps(admin_world).index) == [0, 1, 2]   # the admin index
    # K1 1,000 x 1,000; K2 1,010 x 1,000 less the 10,000 K1 keeps; K3 2,000 x 995
    assert g.loc["K1", "area_m2"] == pytest.approx(1_000_000)
    assert g.loc["K2", "area_m2"] == pytest.approx(1_000_000)
    assert g.loc["K3", "area_m2"] == pytest.approx(1_990_000)
    union = shapely.union_all(admin_world["admin"].geometry.to_numpy()).area
    assert g["area_m2"].sum() == pytest.approx(union)             # 3,990,000
    assert union == pytest.approx(3_990_000)
    assert g.loc["K1", "rth_public_m2"] == pytest.approx(1_000)
    assert g.loc["K2", "rth_public_m2"] == pytest.approx(0, abs=1e-6)
    assert g.loc["K3", "rth_private_m2"] == pytest.approx(10_000)
    assert g["rth_total_m2"].sum() == pytest.approx(11_000)      # the sliver's 500 is no one's
    # people: 0.001 per m²: 1,000 + 1,000 + 1,990 (10 live in the sliver)
    assert g.loc[["K1", "K2", "K3"], "population"].tolist() == pytest.approx([1000, 1000, 1990])
    # shortfall: K1 200,000 - 1,000 = 199,000 m² = 19.9 ha; K2 20 ha; K3 0.2 x 1,990,000
    # = 398,000 m² = 39.8 ha. Rank by shortfall: K3, K2, K1.
    assert g.loc["K1", "public_shortfall_ha"] == pytest.approx(19.9)
    assert g.loc["K2", "public_shortfall_ha"] == pytest.approx(20.0)
    assert g.loc["K3", "public_shortfall_ha"] == pytest.approx(39.8)
    assert g.loc[["K3", "K2", "K1"], "need_rank"].tolist() == [1, 2, 3]


def test_kecamatan_and_kota_dissolved_from_kelurahan(admin_world):
    kec = sp.rth_gaps(admin_world, level="kecamatan")
    # no 'kecamatan' column: grouped by the code's kecamatan part, named from Kemendagri
    assert kec["kode"].tolist() == ["36.73.01", "36.73.02"]
    assert kec["nama"].tolist() == ["Serang", "Kasemen"]
    assert kec["area_m2"].tolist() == pytest.approx([2_000_000, 1_990_000])
    kota = sp.rth_gaps(admin_world, level="kota")
    assert len(kota) == 1 and kota["nama"].iloc[0] == "Kota Serang"
    assert kota["kode"].iloc[0] == "36.73"
    assert kota["area_m2"].iloc[0] == pytest.approx(3_990_000)
    assert kota["rth_total_m2"].iloc[0] == pytest.approx(11_000)


def test_row_order_does_not_matter(admin_world):
    a = sp.rth_gaps(admin_world).set_index("kode").sort_index()
    shuffled = admin_world.replace(admin=admin_world["admin"].iloc[[2, 0, 1]])
    b = sp.rth_gaps(shuffled).set_index("kode").sort_index()
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))


def test_kecamatan_column_is_used(admin_world):
    admin = admin_world["admin"].assign(kecamatan=["Timur", "Timur", "Barat"])
    layers = admin_world.replace(admin=admin)
    assert sp.rth_gaps(layers)["kecamatan"].tolist() == ["Timur", "Timur", "Barat"]
    kec = sp.rth_gaps(layers, level="kecamatan").set_index("nama")
    assert kec.loc["Timur", "area_m2"] == pytest.approx(2_000_000)
    assert kec.loc["Barat", "area_m2"] == pytest.approx(1_990_000)


def test_admin_units_of_the_level_are_used_directly():
    admin = gdf({"nama": ["Kel", "Kec"], "level": ["kelurahan", "kecamatan"]},
                [box(0, 0, 100, 100), box(0, 0, 300, 300)])
    green = gdf({"rth_type": ["taman"], "public": [True]}, [box(0, 0, 10, 10)])
    pop = gdf({"population": [90.0]}, [box(0, 0, 300, 300)])
    layers = sp.load_layers(admin=admin, green_spaces=green, population=pop)
    kec = sp.rth_gaps(layers, level="kecamatan")
    assert kec.index.tolist() == [1] and kec["area_m2"].iloc[0] == pytest.approx(90_000)
    assert kec["population"].iloc[0] == pytest.approx(90)


# ---------------------------------------------------------------- beyond park reach


@pytest.fixture()
def reach_world():
    # one 3 km x 3 km kelurahan of 9,000 people (0.001 per m²) and a 200 m square
    # public park in the middle (1,400..1,600): both buffers stay inside the kelurahan
    admin = gdf({"kode": ["36.73.01.1001"], "nama": ["Kotak"]}, [box(0, 0, 3000, 3000)])
    green = gdf({"rth_type": ["taman", "pemakaman"], "public": [True, True]},
                [box(1400, 1400, 1600, 1600), box(0, 0, 50, 50)])  # a cemetery is no park
    pop = gdf({"population": [9000.0]}, [box(0, 0, 3000, 3000)])
    parcels = gdf({"parcel_id": ["far", "in_park", "next", "outside"],
                   "ownership": "pemda", "land_use": "tanah_kosong"}, [
        box(400, 400, 500, 500),        # 900 m from the park: buffers apart
        box(1450, 1450, 1550, 1550),    # inside the park
        box(1600, 1400, 1700, 1600),    # the park's neighbour to the east
        box(5000, 5000, 5100, 5100),    # outside every kelurahan
    ])
    return sp.load_layers(parcels=parcels, admin=admin, green_spaces=green, population=pop)


def test_population_beyond_reach_by_hand(reach_world):
    row = sp.rth_gaps(reach_world).iloc[0]
    # 300 m: the park's buffer covers 200² + 4·200·300 + π·300² = 562,743.3 m²
    inside_300 = 200**2 + 4 * 200 * 300 + math.pi * 300**2
    assert inside_300 == pytest.approx(rounded_rect(200, 200, 300))
    assert row["pop_beyond_300m"] == pytest.approx((9e6 - inside_300) * 0.001, rel=1e-3)
    # = 8,437.3 people
    # 1,000 m: 200² + 4·200·1000 + π·1000² = 3,981,592.7 m²; beyond: 5,018.4 people
    inside_1000 = 200**2 + 4 * 200 * 1000 + math.pi * 1000**2
    assert row["pop_beyond_1000m"] == pytest.approx((9e6 - inside_1000) * 0.001, rel=1e-3)
    assert row["pop_beyond_1000m"] == pytest.approx(5018.4, abs=2)
    assert row["population"] == pytest.approx(9000)
    # public RTH: park 40,000 + cemetery 2,500 = 42,500 of 9,000,000
    assert row["public_share"] == pytest.approx(42_500 / 9e6)


def test_no_park_leaves_everyone_beyond_reach(reach_world):
    layers = reach_world.replace(green_spaces=gdf({"rth_type": ["taman"], "public": [False]},
                                                  [box(0, 0, 10, 10)]))
    row = sp.rth_gaps(layers).iloc[0]
    assert row["pop_beyond_300m"] == pytest.approx(9000)
    assert row["pop_beyond_1000m"] == pytest.approx(9000)


def test_population_points_count_whole():
    admin = gdf({"nama": ["A", "B"]}, [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])
    green = gdf({"rth_type": ["taman"], "public": [True]}, [box(0, 0, 10, 10)])
    pop = gpd.GeoDataFrame({"population": [100.0, 50.0, 7.0]}, geometry=[
        shapely.Point(X0 + 100, Y0 + 100),     # 127 m from the park: served at 300 m
        shapely.Point(X0 + 1500, Y0 + 500),    # in B, 1,490 m away: beyond both reaches
        shapely.Point(X0 + 1000, Y0 + 100),    # on the A/B border, 994 m away: once, in A
    ], crs=CRS)
    g = sp.rth_gaps(sp.load_layers(admin=admin, green_spaces=green, population=pop))
    assert g["population"].tolist() == [107.0, 50.0]
    assert g["pop_beyond_300m"].tolist() == [7.0, 50.0]
    assert g["pop_beyond_1000m"].tolist() == [0.0, 50.0]


# ------------------------------------------------------------------------- ranking


def test_need_rank_ties_broken_by_people_beyond_reach():
    # U1, U2: 1 km² each, no green (shortfall 20 ha each), 100 and 500 people, no
    # park anywhere near; U3 far east with a 300,000 m² park (30% public): no shortfall
    admin = gdf({"kode": ["36.73.01.1001", "36.73.01.1002", "36.73.01.1003"],
                 "nama": ["U1", "U2", "U3"]},
                [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(9000, 0, 10000, 1000)])
    green = gdf({"rth_type": ["taman"], "public": [True]}, [box(9000, 0, 10000, 300)])
    pop = gdf({"population": [100.0, 500.0, 1000.0]}, list(admin.geometry))
    g = sp.rth_gaps(sp.load_layers(admin=admin, green_spaces=green, population=pop))
    g = g.set_index("nama")
    assert g["public_shortfall_ha"].tolist() == pytest.approx([20, 20, 0])
    assert g.loc["U3", "public_share"] == pytest.approx(0.3)
    assert g.loc[["U2", "U1", "U3"], "need_rank"].tolist() == [1, 2, 3]


# ------------------------------------------------------------------------ criteria


def test_pop_beyond_reach_criterion(reach_world):
    geoms = np.asarray(reach_world["parcels"].geometry.array)
    got = _rth_measure(crit("pop_beyond_reach", radius=300), geoms, reach_world, "t")
    # far: its whole 300 m buffer is unserved: (100² + 4·100·300 + π·300²) x 0.001
    assert got[0] == pytest.approx(rounded_rect(100, 100, 300) * 0.001, rel=1e-3)  # 412.7
    # in the park: its buffer lies inside the park's: nobody new
    assert got[1] == pytest.approx(0, abs=0.05)
    # east neighbour: buffer(park ∪ parcel) - buffer(park) = (300·200 + 2·500·300 + π300²)
    # - (200·200 + 2·400·300 + π300²) = 80,000 m² -> 80 people
    assert got[2] == pytest.approx(80, rel=1e-3)
    assert got[3] == 0     # nobody lives there
    far1000 = _rth_measure(crit("pop_beyond_reach", radius=1000), geoms[1:2], reach_world, "t")
    assert far1000[0] == pytest.approx(0, abs=0.05)


def test_rth_shortfall_criterion(reach_world):
    geoms = np.asarray(reach_world["parcels"].geometry.array)
    share = _rth_measure(crit("rth_shortfall"), geoms, reach_world, "t")
    # 0.20 - 42,500 / 9,000,000 = 0.195278; NaN outside every unit
    assert share[:3] == pytest.approx([0.2 - 42_500 / 9e6] * 3)
    assert np.isnan(share[3])
    ha = _rth_measure(crit("rth_shortfall", column="public_shortfall_ha", level="kota"), geoms,
                     reach_world, "t")
    # (0.2 x 9,000,000 - 42,500) / 10,000 = 175.75 ha
    assert ha[0] == pytest.approx(175.75)


def test_criteria_in_a_profile(reach_world):
    prof = profile_from_dict({
        "name": "uji_rth", "title": {"id": "Uji", "en": "Test"},
        "criteria": [
            {"name": "kurang", "measure": "rth_shortfall",
             "transform": {"type": "linear", "best": 0.2, "worst": 0}, "weight": 1},
            {"name": "jangkau", "measure": "pop_beyond_reach", "radius": 300,
             "transform": {"type": "linear", "best": 500, "worst": 0}, "weight": 1},
        ]})
    res = sp.score(reach_world, prof).set_index("parcel_id")
    assert res.loc["far", "m_jangkau"] == pytest.approx(412.7, rel=1e-3)
    assert res.loc["far", "rank"] == 1
    assert np.isnan(res.loc["outside", "m_kurang"])


def test_criteria_errors(reach_world):
    geoms = np.asarray(reach_world["parcels"].geometry.array)
    with pytest.raises(sp.SiteplanInputError, match="unknown admin level 'desa'"):
        _rth_measure(crit("rth_shortfall", level="desa"), geoms, reach_world, "t")
    with pytest.raises(sp.SiteplanInputError, match="'nope' is not a numeric rth_gaps column"):
        _rth_measure(crit("rth_shortfall", column="nope"), geoms, reach_world, "t")
    no_pop = reach_world.replace(population=None)
    with pytest.raises(sp.SiteplanInputError, match="needs layer 'population'"):
        _rth_measure(crit("pop_beyond_reach", radius=300), geoms, no_pop, "t")
    # the shortfall needs no population
    assert _rth_measure(crit("rth_shortfall"), geoms, no_pop, "t")[0] == pytest.approx(0.195278,
                                                                                      rel=1e-5)


# -------------------------------------------------------------------- input errors


def test_missing_layers_all_named(reach_world):
    layers = reach_world.replace(admin=None, population=None)
    with pytest.raises(sp.SiteplanInputError) as exc:
        sp.rth_gaps(layers)
    msg = str(exc.value)
    assert "2 problems" in msg and "'admin'" in msg and "'population'" in msg


def test_unknown_level(reach_world):
    with pytest.raises(sp.SiteplanInputError, match=r"unknown admin level 'desa'.*kelurahan"):
        sp.rth_gaps(reach_world, level="desa")


def test_no_way_to_dissolve():
    admin = gdf({"nama": ["A"]}, [box(0, 0, 10, 10)])
    green = gdf({"rth_type": ["taman"], "public": [True]}, [box(0, 0, 1, 1)])
    pop = gdf({"population": [1.0]}, [box(0, 0, 10, 10)])
    layers = sp.load_layers(admin=admin, green_spaces=green, population=pop)
    with pytest.raises(sp.SiteplanInputError, match="neither a 'kecamatan' column"):
        sp.rth_gaps(layers, level="kecamatan")
    assert len(sp.rth_gaps(layers, level="kota")) == 1


# --------------------------------------------------------------------------- norms


def test_norms_from_the_package():
    norms = rth.read_norms()
    parks = norms[norms["kind"] == "park"]
    assert parks["type"].tolist() == ["taman_rt", "taman_rw", "taman_kelurahan",
                                      "taman_kecamatan", "taman_kota"]
    assert parks["m2_per_person"].sum() + 1.2 == pytest.approx(3.5)
    assert parks["min_area_m2"].tolist() == [250, 1250, 9000, 24000, 144000]
    assert norms["source"].notna().all()


def test_norms_override(green_world, tmp_path):
    norms = rth.read_norms()
    new = norms.copy()
    new.loc[new["type"] == "public_share", "share"] = 0.25
    new.loc[new["type"] == "taman_rt", "reach_m"] = 400
    g = sp.rth_gaps(green_world, norms=new)
    assert norms.loc[norms["type"] == "public_share", "share"].iloc[0] == 0.2   # untouched
    assert g["public_shortfall_m2"].iloc[0] == pytest.approx(250_000 - 30_000)
    assert "pop_beyond_400m" in g.columns and "pop_beyond_300m" not in g.columns
    path = tmp_path / "norms.csv"
    new.to_csv(path, index=False)
    assert sp.rth_gaps(green_world, norms=path)["public_target"].iloc[0] == 0.25


def test_bad_norms(green_world, tmp_path):
    with pytest.raises(sp.SiteplanInputError, match="lacks column"):
        sp.rth_gaps(green_world, norms=pd.DataFrame({"kind": ["park"]}))
    bad = rth.read_norms()
    bad = bad[bad["type"] != "total_share"]
    with pytest.raises(sp.SiteplanInputError, match="target row 'total_share'"):
        sp.rth_gaps(green_world, norms=bad)
    with pytest.raises(sp.SiteplanInputError, match="does not exist"):
        sp.rth_gaps(green_world, norms=tmp_path / "nope.csv")


# ----------------------------------------------------------------------------- map


def test_rth_map_structure(admin_world):
    admin = admin_world["admin"].assign(nama=["<b>K2</b>", "K1 `${x}`\\", "K3"])
    g = sp.rth_gaps(admin_world.replace(admin=admin))
    m = sp.render_rth(g, lang="en")
    layers = [c for c in m._children.values() if type(c).__name__ == "GeoJson"]
    assert len(layers) == 1
    feats = layers[0].data["features"]
    assert len(feats) == 3
    names = {f["properties"]["unit"] for f in feats}
    assert html.escape("<b>K2</b>") in names and "<b>K2</b>" not in names
    assert "K1 &#96;&#36;&#123;x&#125;&#96;&#92;" in names
    # shares K1 0.1 %, K2 and K3 0 %: two distinct values below the target, two classes
    # (quantiles of [0, 0, 0.1] at 50 % and 100 %: 0 and 0.1), the lowest from 0
    fills = {f["properties"]["unit"]: f["properties"]["_fill"] for f in feats}
    assert fills == {"K3": RTH_BELOW[0], html.escape("<b>K2</b>"): RTH_BELOW[0],
                     "K1 &#96;&#36;&#123;x&#125;&#96;&#92;": RTH_BELOW[-1]}
    out = m.get_root().render()
    assert "20% public, 30% total" in out
    # the legend: the target's class first, then each class of the data with its count
    boxes = [c for c in m._children.values() if type(c).__name__ == "HtmlControl"]
    legend = [c.content for c in boxes if "sp-legend" in c.class_name]
    title = [c.content for c in boxes if "sp-title" in c.class_name]
    assert len(title) == 1 and "Public green space need" in title[0] and "sp-syn" not in title[0]
    assert len(legend) == 1
    rows = re.findall(r"</i>(.*?) <span class=c>\((\d+)\)", legend[0])
    assert rows == [("≥ 20 % · public target met", "0"), ("0.0 – 0.1 %", "1"), ("0.0 %", "2")]
    assert "2 classes below the target: quantiles of the units&#39; values" in legend[0]
    idm = sp.render_rth(g)   # Indonesian by default
    assert "RTH publik" in idm.get_root().render()
    with pytest.raises(sp.SiteplanInputError, match="unknown language"):
        sp.render_rth(g, lang="fr")


def test_map_classes_put_targets_on_breaks():
    assert 0.20 in rth.SHARE_BREAKS and 0.30 in rth.SHARE_BREAKS


def _gaps(shares):
    """A row of 100 m squares, one unit per public share (the total share the same)."""
    n = len(shares)
    return gpd.GeoDataFrame({"nama": [f"U{i}" for i in range(n)], "public_share": shares,
                             "total_share": shares,
                             "public_shortfall_ha": [1.0] * n},
                            geometry=[box(100 * i, 0, 100 * i + 100, 100) for i in range(n)],
                            crs=CRS)


@pytest.mark.parametrize(("lang", "rows"), [
    ("id", [("≥ 20 % · target publik tercapai", 2), ("1,8 – 6,0 %", 2), ("1,0 – 1,8 %", 1),
            ("0,5 – 1,0 %", 1), ("0,0 – 0,5 %", 2)]),
    ("en", [("≥ 20 % · public target met", 2), ("1.8 – 6.0 %", 2), ("1.0 – 1.8 %", 1),
            ("0.5 – 1.0 %", 1), ("0.0 – 0.5 %", 2)])])
def test_rth_map_classes_the_units_below_the_target_on_their_values(lang, rows):
    # six units below 20 %: 0, 0.4, 0.8, 1.2, 2, 6 %. Quantiles at 25/50/75/100 % sit at
    # positions 1.25, 2.5, 3.75, 5 of the sorted six: .4*.75 + .8*.25 = 0.5;
    # .8*.5 + 1.2*.5 = 1.0; 1.2*.25 + 2*.75 = 1.8; 6. Each class holds (lower, upper]:
    # {0, 0.4}, {0.8}, {1.2}, {2, 6}. Two units meet the target, one has no share.
    shares = [0.0, 0.004, 0.008, 0.012, 0.02, 0.06, 0.25, 0.35, np.nan]
    m = sp.render_rth(_gaps(shares), lang=lang)
    feats = next(c for c in m._children.values() if type(c).__name__ == "GeoJson"
                 ).data["features"]
    fills = [f["properties"]["_fill"] for f in feats]
    assert fills == [RTH_BELOW[0], RTH_BELOW[0], RTH_BELOW[1], RTH_BELOW[2], RTH_BELOW[3],
                     RTH_BELOW[3], RTH_MET, RTH_MET, "#bdbdbd"]
    legend = next(c.content for c in m._children.values()
                  if type(c).__name__ == "HtmlControl" and "sp-legend" in c.class_name)
    found = re.findall(r"</i>(.*?) <span class=c>\((\d+)\)", legend)
    assert [(label, int(n)) for label, n in found][:5] == rows
    assert found[5][1] == "1"            # no data


def test_rth_map_shows_differences_on_the_sample():
    # the sample's 67 units are all below 20 % public RTH, most below 5 %: the old fixed
    # classes painted 63 of them one colour; classed on the data each class holds a quarter
    gaps = sp.rth_gaps(sp.load_sample())
    fill = rth_classes(gaps["public_share"], "id")["fill"]
    counts = pd.Series(fill).value_counts()
    assert set(counts.index) == set(RTH_BELOW)           # four non-empty classes
    assert counts.max() <= math.ceil(len(gaps) / 4) + 1   # none holds more than about a quarter


def test_import_does_not_import_folium():
    import subprocess
    import sys

    code = ("import sys, siteplan, siteplan.rth; "
            "assert 'folium' not in sys.modules, 'folium imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------ the real 67 kelurahan


@pytest.mark.shared
def test_real_kelurahan(shared_data: Path):
    sample = sp.load_sample()
    kel_path = shared_data / "boundaries" / "kelurahan_kota_serang_cahyadsn.geojson"
    layers = sp.load_layers(admin=kel_path, green_spaces=sample["green_spaces"],
                            population=sample["population"])
    g = sp.rth_gaps(layers)
    assert len(g) == 67
    assert g["public_share"].between(0, 1).all() and g["total_share"].between(0, 1).all()
    assert (g["public_share"] <= g["total_share"] + 1e-12).all()
    union = shapely.union_all(layers["admin"].geometry.to_numpy()).area
    assert g["area_m2"].sum() == pytest.approx(union, rel=1e-9)
    assert g["area_m2"].sum() / 1e6 == pytest.approx(265.7, abs=0.15)
    assert sorted(g["need_rank"]) == list(range(1, 68))
    assert (g["pop_beyond_1000m"] <= g["pop_beyond_300m"] + 1e-6).all()
    assert (g["pop_beyond_300m"] <= g["population"] + 1e-6).all()
    kec = sp.rth_gaps(layers, level="kecamatan")
    assert len(kec) == 6
    assert set(kec["nama"]) == {"Serang", "Kasemen", "Walantaka", "Curug", "Cipocok Jaya",
                                "Taktakan"}
    assert kec["area_m2"].sum() == pytest.approx(union, rel=1e-6)
    kota = sp.rth_gaps(layers, level="kota")
    assert len(kota) == 1
    assert kota["area_m2"].iloc[0] == pytest.approx(union, rel=1e-6)
    assert kota["rth_total_m2"].iloc[0] == pytest.approx(g["rth_total_m2"].sum(), rel=1e-6)


def test_sample_profile_runs():
    sample = sp.load_sample()
    res = sp.score(sample, "rth")
    scored = res[res["status"] == "scored"]
    assert len(scored) > 0
    assert scored["score"].between(0, 100).all()
    assert (scored["m_jangkauan_taman"] >= 0).all()


def test_rth_map_of_the_sample_warns_that_the_data_are_synthetic(sample_layers):
    m = sp.render_rth(sp.rth_gaps(sample_layers), lang="id")
    title = [c.content for c in m._children.values()
             if type(c).__name__ == "HtmlControl" and "sp-title" in c.class_name]
    assert len(title) == 1 and "Kebutuhan RTH publik" in title[0]
    assert "sp-syn" in title[0] and "sintetis" in title[0]
