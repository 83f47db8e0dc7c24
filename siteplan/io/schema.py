"""Canonical layer schemas: columns, their accepted aliases, geometry types.

The aliases are the names real Indonesian exports carry (BPN/ATR "Peta
Bidang Tanah" shapefiles cut names to 10 characters: NIB, TIPEHAK, LUASPETA,
PENGGUNAAN, TIPEPEMILI ...; BMD asset registers add ``status_aset``).
Matching is case-insensitive and ignores spaces, dashes and underscores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LAYER_SCHEMAS", "LayerSchema", "ColumnSpec", "OWNERSHIP_VALUES", "ROAD_CLASSES",
           "DEFAULT_ROAD_CLASS", "RIVER_CLASSES", "NOT_RIVER", "RIVER_WIDTH_EDGES",
           "DEFAULT_RIVER_CLASS", "NOT_RIVER_KINDS", "CLOSED_VALUES"]


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    kind: str = "text"  # text | number | bool | id
    meaning: str = ""
    default: str | None = None  # filled in (and noted) where the column or a value is absent


@dataclass(frozen=True)
class LayerSchema:
    name: str
    geometry: tuple[str, ...]  # allowed shapely geometry type names
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)
    meaning: str = ""

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required)


POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")
PUNCTUAL = ("Point", "MultiPoint")
ROAD_CLASSES = ("arteri", "kolektor", "lokal", "lingkungan")
#: the class of a road that has none (an unclassified street: OSM highway=unclassified and
#: residential are lokal too); each road given it is noted in ``Layers.repairs``
DEFAULT_ROAD_CLASS = "lokal"

#: river classes of the ``rivers`` layer's ``width_class``, by width in metres: up to 3
#: kecil, over 3 up to 20 sedang, over 20 besar. PP 38/2011 (sempadan sungai) sets the
#: setback of an urban river without levees by its depth (<= 3 m: 10 m, 3-20 m: 15 m,
#: > 20 m: 30 m); maps give widths, not depths, so the same edges are read on the width
#: (a judgement: the loader's class is a stand-in for the depth).
RIVER_CLASSES = ("kecil", "sedang", "besar")
RIVER_WIDTH_EDGES = (3.0, 20.0)
#: drains, ditches and irrigation channels: mapped with rivers, but not rivers (PP 38/2011
#: sets no river setback for them)
NOT_RIVER = "saluran"
#: kinds of waterway (OSM waterway=*, or a kind/jenis column) that are not rivers
NOT_RIVER_KINDS = ("drain", "ditch", "saluran", "parit", "selokan", "got", "irigasi")
#: the class of a river with no width and no kind that says otherwise: the 15 m setback
#: the built-in profiles applied to every river before width classes
DEFAULT_RIVER_CLASS = "sedang"
#: (layer, column) -> every value it may hold: a ``where`` filter on these values that
#: selects nothing means "nothing of that kind here", as an empty layer does
CLOSED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("rivers", "width_class"): (*RIVER_CLASSES, NOT_RIVER),
}

LAYER_SCHEMAS: dict[str, LayerSchema] = {
    "parcels": LayerSchema(
        "parcels",
        POLYGONAL,
        (
            ColumnSpec(
                "parcel_id",
                ("nib", "id_persil", "id_bidang", "nomor_bidang", "kode_persil", "persil_id",
                 "id"),
                required=True,
                kind="id",
                meaning="the parcel's identifier (NIB)",
            ),
            ColumnSpec(
                "ownership",
                ("status_aset", "tipepemili", "tipe_pemilik", "pemilik_tipe", "kepemilikan"),
                meaning="who owns the land: pemda, pemprov, negara, swasta, masyarakat",
            ),
            ColumnSpec(
                "land_use",
                ("penggunaan", "gunatanahu", "guna_tanah", "gunatanahk", "landuse"),
                meaning="current land use",
            ),
            ColumnSpec(
                "area_m2",
                ("luaspeta", "luas_peta", "luas", "luas_m2", "area"),
                kind="number",
                meaning="area in m² (computed from the geometry when absent)",
            ),
            ColumnSpec("kelurahan", ("desa", "kel", "nama_kel", "desa_kelurahan")),
            ColumnSpec("kecamatan", ("kec", "nama_kec")),
            ColumnSpec("tipe_hak", ("tipehak", "jenishak", "jenis_hak")),
            ColumnSpec("name", ("nama", "nama_aset", "nama_persil")),
        ),
        "candidate land parcels (bidang tanah / persil)",
    ),
    "green_spaces": LayerSchema(
        "green_spaces",
        POLYGONAL,
        (
            ColumnSpec(
                "rth_type",
                ("jenis_rth", "tipe_rth", "jenis", "tipe"),
                required=True,
                meaning="taman, hutan_kota, pemakaman, lapangan, jalur_hijau or sempadan",
            ),
            ColumnSpec(
                "public",
                ("publik", "is_public", "rth_publik", "umum"),
                required=True,
                kind="bool",
                meaning="true for public RTH, false for private",
            ),
            ColumnSpec("name", ("nama",)),
        ),
        "green open space (RTH)",
    ),
    "roads": LayerSchema(
        "roads",
        LINEAR,
        (
            ColumnSpec(
                "road_class",
                ("kelas_jalan", "fungsi_jalan", "fungsi", "kelas", "remark"),
                required=True,
                meaning="arteri, kolektor, lokal or lingkungan",
                default=DEFAULT_ROAD_CLASS,
            ),
            ColumnSpec("name", ("nama", "nama_jalan", "namajalan")),
        ),
        "road network",
    ),
    "pois": LayerSchema(
        "pois",
        PUNCTUAL,
        (
            ColumnSpec(
                "category",
                ("kategori", "jenis", "tipe", "amenity"),
                required=True,
                meaning="pasar, masjid, sekolah, puskesmas, wisata, umkm, terminal, ...",
            ),
            ColumnSpec("name", ("nama",)),
        ),
        "points of interest",
    ),
    "admin": LayerSchema(
        "admin",
        POLYGONAL,
        (
            ColumnSpec("kode", ("kode_wilayah", "kode_kemendagri", "kd_wilayah", "code")),
            ColumnSpec(
                "nama",
                ("name", "nama_wilayah", "wilayah"),
                required=True,
                meaning="the unit's name",
            ),
            ColumnSpec("level", ("tingkat", "jenis_wilayah"),
                       meaning="kelurahan, kecamatan or kota"),
            ColumnSpec("kecamatan", ("kec", "nama_kec")),
        ),
        "administrative units",
    ),
    "population": LayerSchema(
        "population",
        POLYGONAL + PUNCTUAL,
        (
            ColumnSpec(
                "population",
                ("penduduk", "jumlah_penduduk", "jml_penduduk", "jiwa", "pop", "jumlah_jiwa"),
                required=True,
                kind="number",
                meaning="number of residents",
            ),
        ),
        "where people live",
    ),
}

# Ownership values as written in real registers, mapped to the canonical ones.
OWNERSHIP_VALUES: dict[str, str] = {
    "pemda": "pemda",
    "pemkot": "pemda",
    "pemerintah kota": "pemda",
    "pemerintah daerah": "pemda",
    "bmd": "pemda",
    "aset pemkot": "pemda",
    "pemprov": "pemprov",
    "pemerintah provinsi": "pemprov",
    "negara": "negara",
    "tanah negara": "negara",
    "swasta": "swasta",
    "badan hukum": "swasta",
    "masyarakat": "masyarakat",
    "perorangan": "masyarakat",
    "warga": "masyarakat",
}

