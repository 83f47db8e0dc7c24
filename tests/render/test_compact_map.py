"""The score map's merged shapes travel encoded and come back within the quantisation step.

Beyond ``detail`` sites the score map merges the rest per score class (and
excluded parcels per reason); those shapes are encoded as integers
(:func:`siteplan.render.interactive.encode_polygons`) and decoded by the page.
Here they are decoded in Python (a decoder written for the test from the
format's description) and in Chromium (the page's own decoder), and compared
with the parcels as they were given, reprojected to EPSG:4326.
"""

from __future__ import annotations

import base64
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_browser import Page, browser  # noqa: F401  (the fixture)

import siteplan as sp
from siteplan.render._compact import CompactShapes


def decode(text: str) -> list[int]:
    """Zigzag LEB128 integers from base64 (the format of ``varints``)."""
    out, value, shift = [], 0, 0
    for byte in base64.b64decode(text):
        value |= (byte & 127) << shift
        shift += 7
        if not byte & 128:
            out.append(value // 2 if value % 2 == 0 else -(value + 1) // 2)
            value, shift = 0, 0
    return out


def compact_of(m, layer_name: str) -> CompactShapes:
    from test_maps import geojsons

    layer = geojsons(m)[layer_name]
    return next(c for c in m._children.values()
                if isinstance(c, CompactShapes) and c.layer is layer)


def merged_shapes(m, layer_name: str) -> dict[int, shapely.Geometry]:
    """Feature id -> the shape decoded from the page's data (coordinates as integers)."""
    blob = json.loads(compact_of(m, layer_name).blob.replace("<\\/", "</"))
    geom = blob["geom"]
    parts, rings = decode(geom["parts"]), decode(geom["rings"])
    verts, xy = decode(geom["verts"]), np.cumsum(np.array(decode(geom["xy"])).reshape(-1, 2),
                                                 axis=0)
    out, ring, part, v = {}, 0, 0, 0
    for s, fid in enumerate(blob["ids"]):     # a handful of merged features
        polys = []
        for _ in range(parts[s]):
            rs = []
            for _ in range(rings[part]):
                c = xy[v:v + verts[ring]]
                rs.append(np.vstack([c, c[:1]]) / geom["scale"])
                v += verts[ring]
                ring += 1
            polys.append(shapely.Polygon(rs[0], rs[1:]))
            part += 1
        out[fid] = shapely.MultiPolygon(polys)
    return out


@pytest.fixture(scope="module")
def small():
    from test_maps import profile, world

    layers = sp.load_layers(**world())
    return sp.score(layers, profile()), layers


def expected_tail(result, detail: int) -> list[np.ndarray]:
    """Exterior rings (lon, lat) of the scored sites beyond ``detail``, class by class."""
    import mapclassify  # here, not at collection: it compiles a function when imported

    ok = result[result["status"] == "scored"]
    ok = ok.iloc[np.lexsort((np.arange(len(ok)), ok["rank"].to_numpy()))]
    yb = mapclassify.Quantiles(ok["score"].to_numpy(), k=5).yb[detail:]
    tail = gpd.GeoSeries(ok.geometry.iloc[detail:].to_numpy(), crs=ok.crs).to_crs(4326)
    order = np.argsort(yb, kind="stable")
    return [shapely.get_coordinates(shapely.get_exterior_ring(g)) for g in tail.iloc[order]]


@pytest.mark.parametrize("precision", [6, 4])
def test_decoded_shapes_equal_the_parcels_within_the_step(small, precision):
    result, layers = small
    m = sp.render_map(result, layers, detail=1, simplify=0, precision=precision)
    shapes = merged_shapes(m, "Skor kesesuaian")
    got = [shapely.get_coordinates(shapely.get_exterior_ring(p))
           for i in sorted(shapes) for p in shapely.get_parts(shapes[i])]
    want = expected_tail(result, 1)
    assert len(got) == len(want) == 4
    step = 10.0 ** -precision
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        err = np.abs(g - w).max()
        assert err <= step / 2 + 1e-12
    # a coarser step really is coarser: the test can tell the two apart
    if precision == 4:
        assert max(np.abs(g - w).max() for g, w in zip(got, want, strict=True)) > 1e-6


def test_merged_features_keep_their_text_and_leave_geometry_out(small):
    result, layers = small
    m = sp.render_map(result, layers, detail=1, lang="en")
    from test_maps import geojsons

    feats = geojsons(m)["Suitability score"].data["features"]
    blob = json.loads(compact_of(m, "Suitability score").blob.replace("<\\/", "</"))
    assert feats[0]["geometry"] is not None
    assert [f["geometry"] for f in feats[1:]] == [None] * (len(feats) - 1)
    assert blob["ids"] == list(range(1, len(feats)))
    assert blob["props"] == [f["properties"] for f in feats[1:]]
    html = m.get_root().render()
    assert html.count("<script type=\"application/json\"") >= 1
    assert "</script" not in compact_of(m, "Suitability score").blob


def test_no_encoded_shapes_when_every_site_is_drawn_alone(small):
    result, layers = small
    m = sp.render_map(result, layers)
    assert not any(isinstance(c, CompactShapes) for c in m._children.values())


@pytest.mark.browser
def test_page_decodes_the_same_shapes(browser, small, tmp_path):  # noqa: F811
    result, layers = small
    m = sp.render_map(result, layers, detail=1, simplify=0)
    p = Page(browser, m, tmp_path / "compact.html")
    try:
        p.check_clean()
        n_scored = int((result["status"] == "scored").sum())
        name = p.layer("Skor kesesuaian")
        # every site drawn: one detailed, the rest as merged class shapes, all as paths
        polys = p.js(f"""() => window.{name}.getLayers().map(l => [l.feature.id,
            l.feature.properties.t, l.feature.geometry])""")
        ids = sorted(x[0] for x in polys)
        shapes = merged_shapes(m, "Skor kesesuaian")
        assert ids == [0, *sorted(shapes)]
        assert p.in_dom("Skor kesesuaian") == len(ids)
        n_parts = 1
        for fid, tip, geometry in polys:
            if fid == 0:
                continue
            want = shapely.get_parts(shapes[fid])
            coords = geometry["coordinates"]
            if geometry["type"] == "Polygon":
                coords = [coords]
            assert len(coords) == len(want)        # one ring list per polygon
            n_parts += len(want)
            for rings, poly in zip(coords, want, strict=True):
                got = np.array(rings[0])
                ref = shapely.get_coordinates(poly.exterior)
                assert np.abs(got - ref).max() <= 1e-9
            assert "lokasi" in tip
        assert n_parts == n_scored
        # tooltips of merged shapes come from folium, as before
        style = p.js(f"() => window.{name}.getLayers().map(l => l.options.fillColor)")
        assert len(set(style)) == len(ids)
    finally:
        p.page.close()
