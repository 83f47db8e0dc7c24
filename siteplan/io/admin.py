"""Indonesian administrative codes: the one home for Kemendagri codes and units.

Kemendagri codes name a unit by its parents: ``36`` Banten, ``36.73`` Kota
Serang, ``36.73.02`` Kecamatan Kasemen, ``36.73.02.1007`` a kelurahan. The
level of a unit is the number of its parts; its kecamatan is its first three.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["SERANG_KECAMATAN", "KOTA_KODE", "KOTA_NAMA", "LEVEL_BY_PARTS", "level_from_code",
           "parent_code", "dissolve"]

log = logging.getLogger(__name__)

#: The six kecamatan of Kota Serang by Kemendagri code (checked against the
#: code list of Kepmendagri 300.2.2-2138/2025).
SERANG_KECAMATAN: dict[str, str] = {
    "36.73.01": "Serang",
    "36.73.02": "Kasemen",
    "36.73.03": "Walantaka",
    "36.73.04": "Curug",
    "36.73.05": "Cipocok Jaya",
    "36.73.06": "Taktakan",
}
KOTA_KODE = "36.73"
KOTA_NAMA = "Kota Serang"
#: number of parts of a Kemendagri code -> admin level
LEVEL_BY_PARTS = {1: "provinsi", 2: "kota", 3: "kecamatan", 4: "kelurahan"}
_PARTS_OF = {"provinsi": 1, "kota": 2, "kecamatan": 3, "kelurahan": 4}
_NEGLIGIBLE_DEG2 = 1e-10  # about 1.2 m² at Serang's latitude


def level_from_code(kode: pd.Series) -> pd.Series:
    """The admin level of each Kemendagri code (None when it is not one)."""
    parts = kode.astype("string").str.strip().str.count(r"\.") + 1
    return parts.map(LEVEL_BY_PARTS).astype(object).where(kode.notna(), None)


def parent_code(kode: pd.Series, level: str) -> pd.Series:
    """The code of each unit's parent at ``level`` (``36.73.02`` for ``36.73.02.1007``)."""
    n = _PARTS_OF[level]
    return kode.astype("string").str.strip().str.split(".").str[:n].str.join(".").astype(object)


def dissolve(kel: gpd.GeoDataFrame, by, level: str, *, fill_gaps: bool = False,
             degrees: bool = False) -> gpd.GeoDataFrame:
    """Union the kelurahan per group (``by``, one key per row) into units of ``level``.

    Returns one row per key (sorted) with ``kode`` (the key) and ``level``.
    With ``fill_gaps``, the gaps the union leaves inside are filled: ``degrees``
    says the frame is in EPSG:4326 (areas are then reported in UTM 48S).

    Neighbouring kelurahan do not quite meet, so their union has small holes
    that belong to no kelurahan. A hole is filled when at most half of it is
    covered by other kelurahan (a gap), and kept otherwise (an enclave).
    """
    everything = shapely.union_all(kel.geometry.to_numpy())
    keys = np.asarray(by, dtype=object)
    kode, geoms = [], []
    n_filled, filled_area = 0, 0.0
    for key in sorted(set(keys)):
        merged = shapely.union_all(kel.geometry.to_numpy()[keys == key])
        if fill_gaps:
            merged, n, area = _fill_gaps(merged, everything, degrees=degrees)
            n_filled += n
            filled_area += area
        kode.append(key)
        geoms.append(merged)
    if n_filled:
        log.info("dissolving kelurahan into %s: filled %d gaps between neighbours "
                 "(%.1f ha in all)", level, n_filled, filled_area / 1e4)
    return gpd.GeoDataFrame({"kode": kode, "level": level}, geometry=geoms, crs=kel.crs)


def _fill_gaps(geom, everything, *, degrees: bool):
    """Fill the holes of ``geom`` that ``everything`` covers at most half of.

    Holes of negligible area (slivers a few nanodegrees wide, where rounding
    makes the coverage test meaningless) are filled too.

    Returns the new geometry, the number of holes filled and their area in m²
    (measured in UTM 48S).
    """
    polygons = shapely.get_parts(geom)
    out, n_filled, area = [], 0, 0.0
    for poly in polygons:
        rings = shapely.get_interior_ring(poly, range(shapely.get_num_interior_rings(poly)))
        if len(rings) == 0:
            out.append(poly)
            continue
        holes = shapely.polygons(rings)
        covered = shapely.area(shapely.intersection(holes, everything))
        hole_area = shapely.area(holes)
        gap = (covered <= 0.5 * hole_area) | (hole_area < (_NEGLIGIBLE_DEG2 if degrees else 1.0))
        if gap.any():
            n_filled += int(gap.sum())
            area += float(gpd.GeoSeries(holes[gap], crs=4326).to_crs(32748).area.sum()) \
                if degrees else float(shapely.area(holes[gap]).sum())
            poly = shapely.Polygon(shapely.get_exterior_ring(poly), list(rings[~gap]))
        out.append(poly)
    result = out[0] if len(out) == 1 else shapely.MultiPolygon(out)
    return result, n_filled, area
