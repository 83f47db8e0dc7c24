"""sp.assemble_sites: touching city parcels become one site whose area is the sum of its
members', the members are kept, and the sites can be scored like parcels."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import siteplan as sp
from siteplan._errors import SiteplanInputError

X0, Y0 = 620_000.0, 9_320_000.0
CRS = "EPSG:32748"


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def tiny():
    """A(20x20) touches B(20x20); C(19.5x20) is 0.5 m from B; D is 10 m from C;
    E (pemprov) touches A; F (swasta) touches D; G is alone."""
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["A", "B", "C", "D", "E", "F", "G"],
        "ownership": ["pemda", "pemda", "pemda", "pemda", "pemprov", "swasta", "pemda"],
        "land_use": ["kebun", "tanah_kosong", "kebun", "kebun", "kebun", "kebun", "kebun"],
        "kelurahan": ["K1", "K1", "K2", "K2", "K1", "K2", "K3"],
        "kecamatan": ["Serang"] * 7,
    }, geometry=[box(0, 0, 20, 20), box(20, 0, 40, 20), box(40.5, 0, 60, 20),
                 box(70, 0, 90, 20), box(0, 20, 20, 40), box(90, 0, 110, 20),
                 box(500, 500, 530, 530)], crs=CRS)
    return sp.load_layers(parcels=parcels)


def test_touching_city_parcels_are_merged_with_members_and_summed_area():
    layers = tiny()
    sites = sp.assemble_sites(layers, max_gap=1.0)
    by = sites.set_index("parcel_id")
    # A, B and C (within 1 m) are one site; the others stay alone
    assert sorted(sites["parcel_id"]) == ["A+2", "D", "E", "F", "G"]
    # largest member first: A and B are 400 m², C 390 m² (ties by id)
    assert by.loc["A+2", "members"] == "A;B;C"
    assert by.loc["A+2", "n_members"] == 3
    assert by.loc["A+2", "area_m2"] == pytest.approx(400 + 400 + 390)
    assert by.loc["A+2"].geometry.area == pytest.approx(1190)
    assert by.loc["A+2", "kelurahan"] == "K1"                # of the largest member
    # E (pemprov) touches A but has another owner; F is not the city's
    assert by.loc["E", "members"] == "E" and by.loc["F", "members"] == "F"
    # every parcel is in exactly one site
    members = sites["members"].str.split(";").explode()
    assert sorted(members) == sorted(layers["parcels"]["parcel_id"])
    assert sites["n_members"].sum() == len(layers["parcels"])
    # the area of every site is the sum of its members' areas
    area = layers["parcels"].set_index("parcel_id")["area_m2"]
    summed = members.map(area).groupby(level=0).sum()
    np.testing.assert_allclose(sites["area_m2"].to_numpy(), summed.sort_index().to_numpy())


def test_gap_and_same_columns():
    layers = tiny()
    strict = sp.assemble_sites(layers, max_gap=0.0)
    assert sorted(strict["parcel_id"]) == ["A+1", "C", "D", "E", "F", "G"]
    wide = sp.assemble_sites(layers, max_gap=10.0)          # D is exactly 10 m from C
    assert "A+3" in set(wide["parcel_id"])
    by_use = sp.assemble_sites(layers, max_gap=1.0, same=("ownership", "land_use"))
    assert sorted(by_use["parcel_id"]) == ["A", "B", "C", "D", "E", "F", "G"]
    everyone = sp.assemble_sites(layers, max_gap=1.0, same=(), ownership=None)
    assert sorted(everyone["parcel_id"]) == ["A+3", "D+1", "G"]


def test_sites_are_scored_like_parcels(tmp_path):
    toml = tmp_path / "kios.toml"
    toml.write_text('name = "kios"\ntitle = { id = "Kios", en = "Kiosk" }\n'
                    '[candidates]\nownership = ["pemda"]\n'
                    '[[constraints]]\ntype = "min_area"\nvalue = 1000\n'
                    '[[criteria]]\nname = "luas"\nmeasure = "area"\n'
                    'transform = { type = "linear", best = 1200, worst = 0 }\nweight = 1\n',
                    encoding="utf-8")
    prof = sp.read_profile(toml)
    layers = tiny()
    alone = sp.score(layers, prof)
    assert not alone["eligible"].any()                     # no parcel reaches 1,000 m²
    sites = sp.assemble_sites(layers)
    res = sp.score(layers.replace(parcels=sites), prof)
    ok = res[res["eligible"]]
    assert list(ok["parcel_id"]) == ["A+2"]                 # 1,190 m² from three plots
    assert ok["score"].iloc[0] == pytest.approx(100 * 1190 / 1200)
    assert ok["members"].iloc[0] == "A;B;C"


def test_bad_input_is_named():
    layers = tiny()
    with pytest.raises(SiteplanInputError, match=r"max_gap must be >= 0"):
        sp.assemble_sites(layers, max_gap=-1)
    with pytest.raises(SiteplanInputError, match=r"has no column\(s\) zona"):
        sp.assemble_sites(layers, same=("zona",))


def test_sample(sample_layers):
    sites = sp.assemble_sites(sample_layers)
    parcels = sample_layers["parcels"]
    assert sites["n_members"].sum() == len(parcels)
    multi = sites[sites["n_members"] > 1]
    assert len(multi) > 0
    np.testing.assert_allclose(multi["area_m2"], multi.geometry.area, rtol=1e-6)
    assert set(multi["ownership"]) <= {"pemda", "pemprov"}
