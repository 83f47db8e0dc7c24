"""The layers' UTM zone: the same CRS as geopandas' ``estimate_utm_crs``, anywhere."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from siteplan.layers._utm import _zone_at, utm_crs


def _frame(lon0: float, lat0: float, crs=4326, span: float = 0.2) -> gpd.GeoSeries:
    pts = shapely.points([lon0, lon0 + span], [lat0, lat0 + span / 2])
    g = gpd.GeoSeries(pts, crs=4326)
    return g if crs == 4326 else g.to_crs(crs)


@pytest.mark.parametrize(("lon", "lat"), [
    (106.1, -6.1),            # Kota Serang: 48 S
    (2.9, 48.8), (5.9, 60.0), (6.0, 10.0), (-0.1, 51.4), (-74.1, 4.6), (151.1, -33.9),
    (-179.9, -16.5), (178.0, 70.0), (11.9, 78.2), (0.0, 0.0), (-60.0, -79.0)])
@pytest.mark.parametrize("crs", [4326, 3857])
def test_same_zone_as_geopandas(lon, lat, crs):
    g = _frame(lon, lat, crs)
    assert utm_crs(g) == g.estimate_utm_crs()


def test_across_the_antimeridian_as_geopandas():
    # a layer in a CRS centred on 180 degrees, from 179.5 E to 179.5 W
    g = gpd.GeoSeries(shapely.points([179.5, -179.5], [-17.0, -16.8]), crs=4326).to_crs(3832)
    assert utm_crs(g) == g.estimate_utm_crs()
    assert utm_crs(g).to_epsg() in (32701, 32760)


def test_no_zone_near_a_pole_or_without_crs_is_an_error():
    with pytest.raises(RuntimeError):
        utm_crs(_frame(10.0, 86.0))
    with pytest.raises(RuntimeError, match="no CRS"):
        utm_crs(gpd.GeoSeries(shapely.points([1.0], [1.0])))


def test_each_centre_is_asked_once():
    _zone_at.cache_clear()
    g = _frame(106.1, -6.1, 32748)
    first = utm_crs(g)
    assert first.to_epsg() == 32748
    assert utm_crs(g.copy()) is first
    info = _zone_at.cache_info()
    assert (info.misses, info.hits) == (1, 1)
