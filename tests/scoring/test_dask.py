"""engine="dask" gives the local engine's result, row for row.

The cluster is a ``LocalCluster`` of two worker processes with one thread
each, as a small real cluster (the context layers are scattered to them,
partitions go as data, results come back pickled). Floats are compared with
``rtol=1e-12``; everything else (rows, order, dtypes, status, excluded_by,
rank, notes, counts) must be equal.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import shapely
from cikit import require

import siteplan as sp
from siteplan.profiles.profile import profile_from_dict

require("dask_geopandas")
distributed = require("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def sample():
    return sp.load_sample()


def assert_same(local: pd.DataFrame, other: pd.DataFrame) -> None:
    assert list(other.columns) == list(local.columns)
    assert other.index.equals(local.index)
    assert other.crs == local.crs
    for col in local.columns:
        a, b = local[col], other[col]
        assert b.dtype == a.dtype, col
        if col == local.geometry.name:
            assert shapely.equals_exact(np.asarray(a.array), np.asarray(b.array), 0).all()
        elif pd.api.types.is_float_dtype(a):
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-12, err_msg=col)
        else:
            pd.testing.assert_series_equal(b, a, obj=col)
    la, lb = sp.record_of(local), sp.record_of(other)
    assert lb.counts == la.counts
    assert lb.profile == la.profile and lb.measured_as == la.measured_as
    assert lb.skipped == la.skipped and lb.base_score == pytest.approx(la.base_score)
    assert lb.engine == "dask" and lb.engine_info["name"] == "dask"


@pytest.mark.parametrize("method", [None, "topsis"])
@pytest.mark.parametrize("profile", sp.list_profiles())
def test_cluster_gives_the_local_result(client, sample, profile, method):
    local = sp.score(sample, profile, method=method)
    result = sp.score(sample, profile, method=method, engine="dask",
                      engine_options={"client": client, "npartitions": 5})
    assert_same(local, result)
    assert sp.record_of(result).engine_info["npartitions"] == 5


def test_topsis_is_ranked_over_all_sites(sample):
    """Per partition TOPSIS would use each partition's ideal points; the engine does not."""
    prof = sp.get_profile("sentra_kuliner").with_method("topsis")
    local = sp.score(sample, prof)
    one_part = sp.score(sample.replace(parcels=sample["parcels"].iloc[:2000]), prof)
    both = local.index.intersection(one_part.index)
    assert not np.allclose(local.loc[both, "score"].dropna(),
                           one_part.loc[both, "score"].dropna())
    result = sp.score(sample, prof, engine="dask", engine_options={"npartitions": 7})
    assert_same(local, result)


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_local_schedulers(sample, scheduler):
    local = sp.score(sample, "fasilitas_publik")
    result = sp.score(sample, "fasilitas_publik", engine="dask",
                      engine_options={"scheduler": scheduler, "npartitions": 3})
    assert_same(local, result)
    assert sp.record_of(result).engine_info["scheduler"] == scheduler


def test_rejected_parcels_and_shuffled_index(client, sample):
    """Rejected parcels come out once, in the local engine's place, with their reason."""
    parcels = sample["parcels"].sample(frac=1.0, random_state=3)
    parcels.index = np.random.default_rng(4).permutation(len(parcels)) * 3
    geoms = np.asarray(parcels.geometry.array, dtype=object).copy()
    pemda = np.flatnonzero((parcels["ownership"] == "pemda").to_numpy())
    geoms[pemda[:3]] = shapely.Polygon()
    geoms[np.flatnonzero((parcels["ownership"] == "masyarakat").to_numpy())[0]] = None
    parcels = parcels.set_geometry(geoms)
    layers = sample.replace(parcels=parcels)
    assert layers.rejected_parcels is not None and len(layers.rejected_parcels) == 4
    for profile in ("sentra_kuliner", "rth"):
        local = sp.score(layers, profile)
        result = sp.score(layers, profile, engine="dask",
                          engine_options={"client": client, "npartitions": 4})
        assert_same(local, result)
        assert (result["status"] == "rejected").sum() == 3


def test_every_parcel_a_candidate(client, sample):
    """No [candidates]: every parcel is measured; partitions with no eligible parcel too."""
    prof = dataclasses.replace(sp.get_profile("wisata_religi"), candidates={})
    local = sp.score(sample, prof)
    result = sp.score(sample, prof, engine="dask",
                      engine_options={"client": client, "npartitions": 16})
    assert len(result) == len(sample["parcels"])
    assert_same(local, result)


def test_scheduler_address_and_no_candidate(client, sample):
    """A scheduler address works like a client; a profile that selects nobody is refused alike."""
    local = sp.score(sample, "rth")
    result = sp.score(sample, "rth", engine="dask",
                      engine_options={"client": client.scheduler.address})
    assert_same(local, result)
    prof = dataclasses.replace(sp.get_profile("rth"), candidates={"ownership": ("wakaf",)})
    n = int((sample["parcels"]["ownership"] == "masyarakat").sum())
    for options in ({}, {"engine": "dask",
                         "engine_options": {"client": client.scheduler.address}}):
        with pytest.raises(sp.SiteplanInputError,
                           match=r"no parcel is a candidate \(ownership: the profile accepts "
                                 rf"'wakaf'; the parcels have 'masyarakat' \({n:,}\)"):
            sp.score(sample, prof, **options)


def test_profile_errors_reach_the_caller(client, sample):
    prof = profile_from_dict({
        "name": "salah", "title": {"id": "Salah", "en": "Wrong"},
        "criteria": [{"name": "dekat_sungai", "measure": "distance", "layer": "sungai",
                      "transform": {"type": "linear", "best": 0, "worst": 500},
                      "weight": 1.0}]})
    with pytest.raises(sp.SiteplanInputError, match="needs layer 'sungai'"):
        sp.score(sample, prof, engine="dask", engine_options={"client": client})
    prof = dataclasses.replace(sp.get_profile("rth"), candidates={"pemilik": ("pemda",)})
    with pytest.raises(sp.SiteplanInputError, match="column 'pemilik'"):
        sp.score(sample, prof, engine="dask", engine_options={"client": client})


@pytest.mark.parametrize(("options", "match"), [
    ({"npartitions": 0}, "npartitions must be a positive integer"),
    ({"scheduler": "gpu"}, "unknown scheduler 'gpu'"),
])
def test_bad_options(sample, options, match):
    with pytest.raises(sp.SiteplanInputError, match=match):
        sp.score(sample, "rth", engine="dask", engine_options=options)


def test_unknown_option_is_a_type_error(sample):
    with pytest.raises(TypeError, match="partitions"):
        sp.score(sample, "rth", engine="dask", engine_options={"partitions": 4})


@pytest.mark.scale
def test_hundred_thousand_parcels(client):
    """10^5 parcels, two worker processes: a built-in profile and every parcel measured."""
    from samplegen import generate_sample

    raw = generate_sample(n_parcels=100_000)
    extra = {k: raw.pop(k) for k in ("rivers", "coastline", "flood_zones", "sawah",
                                     "heritage")}
    sample = sp.load_sample()  # the sample's rasters: population, flood hazard, DEM
    raw["population"] = sample["population"]
    extra.update({k: sample[k] for k in ("flood_hazard", "dem")})
    layers = sp.load_layers(**raw, extra=extra)
    everyone = dataclasses.replace(sp.get_profile("wisata_religi"), candidates={})
    for prof in (sp.get_profile("sentra_kuliner").with_method("topsis"), everyone):
        local = sp.score(layers, prof)
        result = sp.score(layers, prof, engine="dask", engine_options={"client": client})
        assert_same(local, result)
    assert len(result) == 100_000
    assert result["eligible"].sum() > 10_000


def _kinds_world():
    """Three 100 m squares in a row: A (kind x) at 0-100 m, B (kind y) at 120-220 m and
    C (kind x) at 280-380 m; every one a candidate."""
    import geopandas as gpd

    x0, y0 = 620_000.0, 9_320_000.0
    boxes = [shapely.box(x0 + a, y0, x0 + b, y0 + 100) for a, b in
             [(0, 100), (120, 220), (280, 380)]]
    parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"], "ownership": ["pemda"] * 3,
                                "jenis": ["x", "y", "x"]}, geometry=boxes, crs="EPSG:32748")
    return sp.load_layers(parcels=parcels)


@pytest.mark.parametrize("scheduler", ["synchronous", "distributed"])
def test_a_partition_reads_every_parcel_as_features(scheduler, request):
    """A distance to the parcels of kind y and a 30 m setback from them read the whole
    parcels layer in every partition, as the local engine does. By hand: A is 20 m from B,
    C 60 m, B 0 m; the setback drops A (20 < 30) and B (inside itself), keeping C, whose
    score is 100 * (1 - 60 / 1000) = 94 on a linear 0-1,000 m scale. With one parcel per
    partition, a partition reading only its own parcels finds no parcel of kind y (A, C).
    On a cluster the bundle is scored three times in a row (its context scattered each time)."""
    layers = _kinds_world()
    near_y = {"name": "near_y", "measure": "distance", "layer": "parcels",
              "where": {"jenis": ["y"]}, "weight": 1,
              "transform": {"type": "linear", "best": 0, "worst": 1000}}
    base = {"name": "t", "candidates": {"ownership": ["pemda"]}, "criteria": [near_y]}
    distance = profile_from_dict(base)
    setback = profile_from_dict({**base, "constraints": [
        {"type": "outside", "layer": "parcels", "where": {"jenis": ["y"]}, "buffer": 30}]})
    opts = ({"npartitions": 3, "client": request.getfixturevalue("client")}
            if scheduler == "distributed" else {"npartitions": 3, "scheduler": scheduler})
    for prof in (distance, setback):
        local = sp.score(layers, prof)
        other = sp.score(layers, prof, engine="dask", engine_options=opts)
        assert_same(local, other)
    got = sp.score(layers, distance, engine="dask", engine_options=opts)
    assert got["m_near_y"].tolist() == [20.0, 0.0, 60.0]
    kept = sp.score(layers, setback, engine="dask", engine_options=opts)
    assert kept.loc[kept["status"] == "scored", "parcel_id"].tolist() == ["C"]
    assert kept.loc[kept["parcel_id"] == "C", "score"].tolist() == [pytest.approx(94.0)]
