"""Words and dates for the site brief, in Indonesian and English.

Every text the brief shows comes from :data:`WORDS` (one table, both
languages). Numbers, escaping and the language check are the maps' own
(:mod:`siteplan.render.words`): every number goes through :func:`num`
(``1.234,5`` in ``id``, ``1,234.5`` in ``en``) and every value from data
through :func:`esc`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from ..render import words as _maps

esc = _maps.esc1

WORDS: Mapping[str, Mapping[str, str]] = {
    "id": {
        "pack": "Paket pertemuan mitra CSR",
        "proposed": "lahan kota yang diusulkan untuk dibangun mitra",
        "builds": "Lokasi yang dicari",
        "prepared": "Disusun",
        "scored_on": "Dinilai",
        "synthetic": "PERINGATAN: data sampel sintetis, bukan data resmi Kota Serang. "
                     "Lokasi, persil dan angka di sini hanya contoh.",
        "sources": "Sumber data",
        "layer": "Lapisan",
        "source": "Sumber",
        "date": "Tanggal data",
        "date_unknown": "tidak diketahui",
        "overview": "Lokasi yang diusulkan",
        "summary": "Ringkasan",
        "no": "No.",
        "rank": "Peringkat",
        "name": "Nama / ID persil",
        "kelurahan": "Kelurahan",
        "kecamatan": "Kecamatan",
        "area": "Luas",
        "score": "Skor",
        "p_top": "Peluang tetap di {k} besar",
        "method": "Metode {method}; {scored} lokasi dinilai, {excluded} dikecualikan oleh "
                  "batasan, dari {candidates} persil kandidat.",
        "site": "Lokasi {n} dari {total}",
        "score_line": "Skor <b>{score}</b> dari 100 · peringkat <b>{rank}</b>{shared} dari "
                      "{n} · lebih baik dari {pct}% lokasi yang dinilai",
        "shared": ", bersama {n} lokasi",
        "ties": "Lokasi dengan skor yang sama berbagi peringkat; di antaranya, urutan di sini "
                "(dan pilihan {top} teratas) mengikuti ID persil, dari yang terkecil.",
        "location": "Letak dan lahan",
        "coords": "Koordinat (derajat desimal)",
        "utm": "Koordinat {crs}",
        "osm": "Lihat di OpenStreetMap",
        "ownership": "Kepemilikan",
        "rights": "Hak atas tanah",
        "land_use": "Penggunaan saat ini",
        "criteria": "Mengapa skornya demikian: kriteria",
        "criterion": "Kriteria",
        "measured": "Nilai terukur",
        "suitability": "Kesesuaian",
        "points": "Poin (bobot)",
        "base_row": "Nilai dasar metode {method}",
        "base_note": "skor = nilai dasar + jumlah poin kriteria",
        "basis": "Dasar / standar",
        "no_source": "tidak ada sumber tercatat",
        "constraints": "Batasan yang diperiksa",
        "constraint": "Dikecualikan bila",
        "result": "Hasil",
        "met": "lolos",
        "not_met": "gagal",
        "legal": "Dasar hukum / alasan",
        "no_constraints": "Profil ini tidak memiliki batasan.",
        "neighbourhood": "Lingkungan sekitar",
        "people_within": "Penduduk dalam {r} (garis lurus)",
        "nearest": "{what} terdekat",
        "nearest_line": "{name} · {straight} garis lurus",
        "by_road": "{d} lewat jalan",
        "no_road": "tidak terjangkau lewat jalan",
        "none_in_data": "tidak ada dalam data",
        "not_given": "tidak diketahui (lapisan {layers} tidak diberikan)",
        "layer_names": {"pois": "fasilitas (POI)", "green_spaces": "RTH", "admin": "admin",
                        "population": "penduduk"},
        "rth_outside": "tidak dapat dihitung (lokasi di luar semua kelurahan pada lapisan "
                       "admin)",
        "rth_kel": "RTH publik kelurahan {kel}",
        "rth_line": "{share}% dari luas wilayah (target {target}%, UU 26/2007); kurang "
                    "{short} ha",
        "rth_ok": "{share}% dari luas wilayah (target {target}%, UU 26/2007): terpenuhi",
        "rth_none": "tidak dapat dihitung (lapisan {layers} tidak diberikan)",
        "sure": "Seberapa yakin",
        "sure_line": "Dalam {draws} simulasi bobot (sebaran {spread}), lokasi ini masuk "
                     "{k} besar pada <b>{p}%</b> simulasi; peringkatnya antara {lo} dan {hi} "
                     "(persentil 5–95, median {mid}).",
        "sure_none": "Kepastian peringkat belum dihitung (jalankan sp.sensitivity dan "
                     "berikan sebagai stability=).",
        "notes": "Catatan",
        "map_note": "Peta tanpa latar; cincin pada radius kriteria (1 km bila tidak ada); "
                    "arsiran = zona batasan.",
        "lg_site": "persil ini",
        "lg_ring": "radius",
        "lg_zone": "zona batasan",
        "lg_green": "RTH",
        "lg_river": "sungai / pantai",
        "lg_road": "jalan",
        "beyond": "lebih dari {d}",
        "fallback": "garis lurus (tidak ada lapisan jalan)",
        "north": "U",
        "market": "Pasar",
        "school": "Sekolah",
        "puskesmas": "Puskesmas",
        "park": "Taman / RTH publik",
        "footer": "siteplan · {profile} · dicetak {date}",
    },
    "en": {
        "pack": "CSR partner meeting pack",
        "proposed": "city land proposed for the partner to build",
        "builds": "The site sought",
        "prepared": "Prepared",
        "scored_on": "Scored",
        "synthetic": "WARNING: synthetic sample data, not official Kota Serang data. "
                     "The sites, parcels and figures here are examples only.",
        "sources": "Data sources",
        "layer": "Layer",
        "source": "Source",
        "date": "Data date",
        "date_unknown": "unknown",
        "overview": "The proposed sites",
        "summary": "Summary",
        "no": "No.",
        "rank": "Rank",
        "name": "Name / parcel ID",
        "kelurahan": "Kelurahan",
        "kecamatan": "Kecamatan",
        "area": "Area",
        "score": "Score",
        "p_top": "Chance of staying in the top {k}",
        "method": "Method {method}; {scored} sites scored, {excluded} excluded by the "
                  "constraints, of {candidates} candidate parcels.",
        "site": "Site {n} of {total}",
        "score_line": "Score <b>{score}</b> of 100 · rank <b>{rank}</b>{shared} of {n} · "
                      "better than {pct}% of the sites scored",
        "shared": ", shared by {n} sites",
        "ties": "Sites with equal scores share a rank; among them, the order here (and the "
                "choice of the top {top}) follows the parcel ID, smallest first.",
        "location": "Location and land",
        "coords": "Coordinates (decimal degrees)",
        "utm": "Coordinates {crs}",
        "osm": "Open in OpenStreetMap",
        "ownership": "Ownership",
        "rights": "Land rights",
        "land_use": "Current use",
        "criteria": "Why it scored as it did: the criteria",
        "criterion": "Criterion",
        "measured": "Measured value",
        "suitability": "Suitability",
        "points": "Points (weight)",
        "base_row": "Base value of the {method} method",
        "base_note": "score = base value + the criteria's points",
        "basis": "Standard / reasoning",
        "no_source": "no source recorded",
        "constraints": "Constraints checked",
        "constraint": "Excluded if",
        "result": "Result",
        "met": "passes",
        "not_met": "fails",
        "legal": "Legal source / reasoning",
        "no_constraints": "This profile has no constraints.",
        "neighbourhood": "The neighbourhood",
        "people_within": "People within {r} (straight line)",
        "nearest": "Nearest {what}",
        "nearest_line": "{name} · {straight} in a straight line",
        "by_road": "{d} along roads",
        "no_road": "not reachable along roads",
        "none_in_data": "none in the data",
        "not_given": "unknown (no {layers} layer was given)",
        "layer_names": {"pois": "points-of-interest", "green_spaces": "green-space",
                        "admin": "admin", "population": "population"},
        "rth_outside": "cannot be computed (the site lies outside every kelurahan of the "
                       "admin layer)",
        "rth_kel": "Public RTH of kelurahan {kel}",
        "rth_line": "{share}% of its area (target {target}%, UU 26/2007); short by {short} ha",
        "rth_ok": "{share}% of its area (target {target}%, UU 26/2007): met",
        "rth_none": "cannot be computed (no {layers} layer was given)",
        "sure": "How sure",
        "sure_line": "In {draws} weight draws (spread {spread}) this site is in the top {k} "
                     "in <b>{p}%</b> of them; its rank lies between {lo} and {hi} "
                     "(5th-95th percentile, median {mid}).",
        "sure_none": "Rank stability not computed (run sp.sensitivity and pass it as "
                     "stability=).",
        "notes": "Notes",
        "map_note": "No base map; rings at the criteria's radii (1 km when none); "
                    "hatched = constraint zones.",
        "lg_site": "this parcel",
        "lg_ring": "radius",
        "lg_zone": "constraint zone",
        "lg_green": "green space",
        "lg_river": "river / coast",
        "lg_road": "road",
        "beyond": "more than {d}",
        "fallback": "straight line (no roads layer)",
        "north": "N",
        "market": "market",
        "school": "school",
        "puskesmas": "puskesmas (health centre)",
        "park": "park / public green space",
        "footer": "siteplan · {profile} · printed {date}",
    },
}

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

#: values of parcel columns, shown in words
VALUES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "ownership": {
        "id": {"pemda": "Pemerintah Kota (pemda)", "pemprov": "Pemerintah Provinsi (pemprov)",
               "negara": "Negara", "swasta": "Swasta", "masyarakat": "Masyarakat"},
        "en": {"pemda": "City government (pemda)", "pemprov": "Province (pemprov)",
               "negara": "State", "swasta": "Private company", "masyarakat": "Residents"},
    },
    "tipe_hak": {
        "id": {"hm": "Hak Milik (HM)", "hgb": "Hak Guna Bangunan (HGB)",
               "hp": "Hak Pakai (HP)", "hpl": "Hak Pengelolaan (HPL)", "wakaf": "Tanah wakaf"},
        "en": {"hm": "Freehold, Hak Milik (HM)", "hgb": "Right to build, Hak Guna Bangunan "
               "(HGB)", "hp": "Right of use, Hak Pakai (HP)",
               "hpl": "Right of management, Hak Pengelolaan (HPL)",
               "wakaf": "Endowment land (wakaf)"},
    },
    "land_use": {
        "id": {"tanah_kosong": "tanah kosong", "fasilitas_umum": "fasilitas umum"},
        "en": {"tanah_kosong": "vacant land", "kebun": "garden / plantation",
               "permukiman": "housing", "perdagangan": "trade", "industri": "industry",
               "sawah": "rice field", "tegalan": "dry field", "perkantoran": "offices",
               "tambak": "fish pond", "fasilitas_umum": "public facility",
               "lapangan": "sports field"},
    },
}

#: the unit of a measure's raw value, per language
UNITS: Mapping[str, Mapping[str, str]] = {
    "id": {"m": "m", "min": "menit", "people": "jiwa", "%": "%", "m2": "m²", "count": "buah",
           "": ""},
    "en": {"m": "m", "min": "minutes", "people": "people", "%": "%", "m2": "m²",
           "count": "features", "": ""},
}

#: measure -> unit key (``measured_as`` may name a fallback measure)
MEASURE_UNIT = {"distance": "m", "network_distance": "m", "travel_time": "min",
                "sum_within": "people", "network_catchment": "people",
                "pop_beyond_reach": "people", "overlap_share": "%", "rth_shortfall": "%",
                "area": "m2", "count_within": "count", "attribute": "", "zonal": ""}


def check_lang(lang: str) -> None:
    """Refuse a language the brief has no words for."""
    _maps.check_lang(lang, "site_brief")


def num(value: float, decimals: int, lang: str) -> str:
    """A number with the language's separators (``1.234,5`` / ``1,234.5``); "–" if missing."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    return _maps.fmt1(x, decimals, lang)


def fmt_date(d: date, lang: str) -> str:
    """``29 November 2026`` (the month in the language)."""
    months = MONTHS_ID if lang == "id" else MONTHS_EN
    return f"{d.day} {months[d.month - 1]} {d.year}"


def value_word(column: str, value: object, lang: str) -> str:
    """A parcel column's value in words (escaped); "–" when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "":
        return "–"
    table = VALUES.get(column, {}).get(lang, {})
    key = str(value).strip().lower()
    return esc(table.get(key, str(value).replace("_", " ")))


def distance_words(metres: float, lang: str) -> str:
    """Metres as ``850 m`` or, from 1 km, ``1,2 km``."""
    if not math.isfinite(metres):
        return "–"
    if metres >= 1000:
        km = metres / 1000
        return f"{num(km, 0 if km == round(km) else 1, lang)} km"
    return f"{num(metres, 0, lang)} m"
