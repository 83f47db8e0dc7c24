"""Indonesian administrative units: the one home for their codes, schemas and dissolving.

Kemendagri codes name a unit by its parents: ``36`` Banten, ``36.73`` Kota
Serang, ``36.73.02`` Kecamatan Kasemen, ``36.73.02.1007`` a kelurahan. The
level of a unit is the number of its parts; its kecamatan is its first three.

Boundary files come in several schemas, all read as they are
(:data:`ADMIN_SCHEMAS`): Kemendagri (``kode``, ``nama``: siteplan's own),
BIG RBI (``NAMOBJ``, ``WADMKD``, ``WADMKC``, ``WADMKK``, ``WADMPR``,
``KDEPUM``, ``KDCPUM``), BPS (``village``, ``district``, ``regency``, codes
like ``id3673060006``) and HDX COD-AB (``ADM4_EN``, ``ADM4_PCODE``,
``ADM3_EN``, ...). :func:`recognise_admin` adds siteplan's columns (``nama``,
``level``, ``kecamatan`` from the schema's own column, ``kode`` and
``kode_bps``) beside the file's own; for Kota Serang, the code table
``siteplan/data/kode_wilayah_serang.csv`` gives the Kemendagri code of a
unit known by its names.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["SERANG_KECAMATAN", "KOTA_KODE", "KOTA_NAMA", "LEVEL_BY_PARTS", "level_from_code",
           "parent_code", "dissolve", "AdminSchema", "ADMIN_SCHEMAS", "recognise_admin",
           "serang_codes"]

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


# ------------------------------------------------------------------------- schemas


@dataclass(frozen=True)
class AdminSchema:
    """One boundary-file schema: how to tell it, and where each level keeps its columns.

    ``levels`` runs from the finest level up; each entry is ``(level, name
    column(s), code column, kecamatan name column, kind of code)``, the
    columns written as in the files (matched case-insensitively). The first
    level whose name column the file has is the file's level. The kind of
    code is ``"kemendagri"`` (``36.73.02.1007``) or ``"bps"`` (digits, maybe
    after a country prefix: ``id3673060006``, ``ID3673060006``).
    """

    title: str
    detect: tuple[str, ...]      # the file is of this schema when it has all of these
    levels: tuple[tuple[str, tuple[str, ...], str | None, str | None, str], ...]


#: schema name -> :class:`AdminSchema`, tried in this order (Kemendagri is siteplan's own)
ADMIN_SCHEMAS: dict[str, AdminSchema] = {
    "rbi": AdminSchema("BIG RBI (Rupabumi Indonesia)", ("wadmkc",), (
        ("kelurahan", ("WADMKD",), "KDEPUM", "WADMKC", "kemendagri"),
        ("kecamatan", ("WADMKC",), "KDCPUM", None, "kemendagri"),
    )),
    "hdx": AdminSchema("HDX COD-AB (OCHA)", ("adm1_en",), (
        ("kelurahan", ("ADM4_EN",), "ADM4_PCODE", "ADM3_EN", "bps"),
        ("kecamatan", ("ADM3_EN",), "ADM3_PCODE", None, "bps"),
        ("kota", ("ADM2_EN",), "ADM2_PCODE", None, "bps"),
        ("provinsi", ("ADM1_EN",), "ADM1_PCODE", None, "bps"),
    )),
    "bps": AdminSchema("BPS (Badan Pusat Statistik)", ("regency",), (
        ("kelurahan", ("village",), "village_code", "district", "bps"),
        ("kecamatan", ("district",), "district_code", None, "bps"),
        ("kota", ("regency",), "regency_code", None, "bps"),
    )),
    "kemendagri": AdminSchema("Kemendagri", ("kode", "nama"), ()),
}


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def _names(values: pd.Series) -> pd.Series:
    """Names compared loosely: case, spaces and punctuation ignored (Lontar Baru = LONTARBARU)."""
    return values.astype("string").str.lower().str.replace(r"[^0-9a-z]", "", regex=True)


def serang_codes() -> pd.DataFrame:
    """The code table of Kota Serang's 67 kelurahan (``siteplan/data/kode_wilayah_serang.csv``).

    Returns
    -------
    pandas.DataFrame
        ``kode_kemendagri``, ``kelurahan``, ``kecamatan``, ``kode_bps`` (empty
        where not known: see the README beside the table).

    Examples
    --------
    >>> t = serang_codes()
    >>> len(t), t.loc[t["kelurahan"] == "Banten", "kode_kemendagri"].item()
    (67, '36.73.02.1007')
    """
    path = resources.files("siteplan") / "data" / "kode_wilayah_serang.csv"
    with path.open("r", encoding="utf-8") as f:
        return pd.read_csv(f, comment="#", dtype=str, keep_default_na=False).replace(
            {"": None})


def _bps_digits(values: pd.Series) -> pd.Series:
    """A BPS code's digits: ``id3673060006`` and ``ID3673060006`` -> ``3673060006``."""
    digits = values.astype("string").str.strip().str.extract(r"^(?:[A-Za-z]{2})?(\d+)$",
                                                             expand=False)
    return digits.astype(object).where(digits.notna(), None)


def recognise_admin(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict | None]:
    """Recognise a boundary file's schema and add siteplan's admin columns beside its own.

    Parameters
    ----------
    gdf
        An admin layer as read from its file (never modified).

    Returns
    -------
    frame, found
        A copy with ``nama``, ``level``, ``kecamatan`` (the schema's own
        column; none above the kelurahan), ``kode`` (the Kemendagri code:
        the schema's own, or for Kota Serang from :func:`serang_codes` by
        kecamatan and kelurahan name) and ``kode_bps`` (a BPS or HDX file's
        code as digits) added where the file does not have them already; and
        what was recognised (``schema``, ``title``, ``level``, ``columns``:
        siteplan column -> file column), or None for siteplan's own schema
        (``kode``/``nama``) or an unknown one, which are left as they are.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> bps = gpd.GeoDataFrame({"village": ["BANTEN"], "district": ["KASEMEN"],
    ...     "regency": ["KOTA SERANG"], "village_code": ["id3673060006"]},
    ...     geometry=[shapely.box(0, 0, 1, 1)], crs=32748)
    >>> out, found = recognise_admin(bps)
    >>> found["schema"], out[["nama", "kecamatan", "level", "kode", "kode_bps"]].values.tolist()
    ('bps', [['BANTEN', 'KASEMEN', 'kelurahan', '36.73.02.1007', '3673060006']])
    """
    have = {_key(c): c for c in gdf.columns if c != gdf.geometry.name}
    found = _detect(have)
    if found is None:
        return gdf, None
    name, (level, col, code_col, kec_col, code_kind) = found
    out = gdf.copy()
    used: dict[str, str] = {}
    added = {"nama": (out[col].astype("string").str.strip().astype(object), col),
             "level": (level, f"schema {name}")}
    if kec_col:
        added["kecamatan"] = (out[kec_col].astype("string").str.strip().astype(object),
                              kec_col)
    if code_col and code_kind == "kemendagri":
        added["kode"] = (out[code_col].astype("string").str.strip().astype(object), code_col)
    elif code_col:
        added["kode_bps"] = (_bps_digits(out[code_col]), code_col)
    for canonical, (values, source) in added.items():
        if canonical not in out.columns:  # never overwrite a column the file has
            out[canonical] = values
            used[canonical] = source
    if "kode" not in out.columns:
        kode = _kemendagri_by_name(out, level)
        if kode.notna().any():
            out["kode"] = kode
            used["kode"] = "kode_wilayah_serang.csv (by name)"
    title = ADMIN_SCHEMAS[name].title
    log.info("admin layer read as %s, level %s: %s", title, level,
             ", ".join(f"{k} from {v}" for k, v in used.items()))
    return out, {"schema": name, "title": title, "level": level, "columns": used}


def _detect(have: dict[str, str]) -> tuple[str, tuple] | None:
    """The schema and level of a file with columns ``have`` (normalised -> actual)."""
    def col(name: str | None) -> str | None:
        return have.get(_key(name)) if name else None

    for name, schema in ADMIN_SCHEMAS.items():
        if not schema.levels or not all(_key(d) in have for d in schema.detect):
            continue
        for level, name_cols, code_col, kec_col, code_kind in schema.levels:
            unit = next((col(c) for c in name_cols if col(c)), None)
            if unit is not None:
                return name, (level, unit, col(code_col), col(kec_col), code_kind)
    return None


def _kemendagri_by_name(frame: pd.DataFrame, level: str) -> pd.Series:
    """Kemendagri codes of Kota Serang's units found by name (None where not found)."""
    none = pd.Series(None, index=frame.index, dtype=object)
    if level == "kecamatan":
        table = {_key(v): k for k, v in SERANG_KECAMATAN.items()}
        return _names(frame["nama"]).map(table).astype(object).where(lambda s: s.notna(), None)
    if level != "kelurahan" or "kecamatan" not in frame.columns:
        return none
    t = serang_codes()
    table = dict(zip(_names(t["kecamatan"]) + "/" + _names(t["kelurahan"]),
                     t["kode_kemendagri"], strict=True))
    pair = _names(frame["kecamatan"]) + "/" + _names(frame["nama"])
    return pair.map(table).astype(object).where(lambda s: s.notna(), None)
