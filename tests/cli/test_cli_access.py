"""``siteplan access`` and the per-area summary it prints and writes."""

from __future__ import annotations

import clikit
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import siteplan as sp
from siteplan.locate import access_by_area


def siteplan(*args, cwd=None):
    return clikit.siteplan(*args, cwd=cwd)


def test_access_by_area_by_hand():
    units = pd.DataFrame({"people": [10.0, 30.0, 0.0, 60.0, 5.0],
                          "access": [0.0, 1.0, 9.0, 2.0, 4.0],
                          "kelurahan": ["A", "A", "A", "B", None],
                          "kecamatan": ["K", "K", "K", "K", None]})
    kel = access_by_area(units, threshold=1.5)
    # A: (0*10 + 1*30 + 9*0) / 40 = 0.75; its lowest access among units with people is 0
    assert kel.loc["A", "access_mean"] == 0.75 and kel.loc["A", "access_min"] == 0.0
    assert kel.loc["A", "people_below"] == 40 and kel.loc["B", "people_below"] == 0
    assert list(kel.index) == ["A", "B"] and kel["units"].tolist() == [3, 1]
    kec = access_by_area(units, "kecamatan")
    # K: (0 + 30 + 0 + 120) / 100 = 1.5; the unit outside every area is left out
    assert kec.loc["K", "access_mean"] == 1.5 and kec.loc["K", "people"] == 100
    assert "share_below" not in kec.columns
    with pytest.raises(sp.SiteplanInputError, match="unknown level 'desa'"):
        access_by_area(units, "desa")


def test_cli_access_on_the_sample_writes_units_and_areas_that_agree(tmp_path):
    out, areas = tmp_path / "access.gpkg", tmp_path / "areas.csv"
    run = siteplan("access", "--sample", "--facilities", "pois:category=puskesmas",
                   "--radius", 2000, "--cell", 1000, "--threshold", 1e-5, "--out", out,
                   "--areas", areas, "--map", tmp_path / "access.html", "--map-by", "kelurahan",
                   "--lang", "en")
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "access.html").read_text(encoding="utf-8")
    for words in ("Mean access per kelurahan", "Synthetic sample data, not official data",
                  "facilities per 10,000 people in reach"):
        assert words in page
    assert "2sfca access of" in run.stdout and "lowest mean access by kelurahan" in run.stdout
    units = gpd.read_file(out, layer="access")
    table = pd.read_csv(areas, index_col="kelurahan")
    assert {"people", "access", "kelurahan", "kecamatan"} <= set(units.columns)
    # the table is the units summed per kelurahan, checked here with pandas alone
    inside = units.dropna(subset=["kelurahan"])
    people = inside.groupby("kelurahan")["people"].sum()
    mean = (inside["people"] * inside["access"]).groupby(inside["kelurahan"]).sum() / people
    np.testing.assert_allclose(table["people"], people.reindex(table.index), rtol=1e-12)
    np.testing.assert_allclose(table["access_mean"], mean.reindex(table.index), rtol=1e-9)
    below = inside["people"].where(inside["access"] < 1e-5, 0.0).groupby(
        inside["kelurahan"]).sum()
    np.testing.assert_allclose(table["people_below"], below.reindex(table.index), rtol=1e-12)
    again = siteplan("access", "--sample", "--facilities", "pois:category=puskesmas",
                     "--out", out)
    assert again.returncode == 5 and "--overwrite" in again.stderr


def test_cli_access_refuses_what_it_cannot_write(tmp_path):
    run = siteplan("access", "--sample", "--facilities", "pois", "--out", tmp_path / "a.xlsx")
    assert run.returncode == 2 and "must end in one of .gpkg, .geojson, .csv" in run.stderr
    run = siteplan("access", "--sample", "--facilities", "pois:category")
    assert run.returncode == 2 and "LAYER:COLUMN=VALUE" in run.stderr
    run = siteplan("access", "--sample", "--facilities", "pois", "--map", tmp_path / "a.png")
    assert run.returncode == 2 and "'a.png' must end in one of .html" in run.stderr
