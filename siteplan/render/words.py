"""Every word a map or report shows, one number format per language, one escaping rule.

The one place where data becomes text for HTML: **every value from data goes
through** :func:`esc` (a column) or :func:`esc1` (one value) before it is
placed in a page, and JSON written into a page goes through :func:`json_data`.
Both also neutralise the characters that would break out of the JavaScript
template literals folium uses for ``Tooltip`` and ``Popup`` (backtick, ``$``
and backslash) and the braces that open a Jinja2 tag: branca renders every
element's output once more as a template, so data text must never hold
``{{``, ``{%`` or ``{#`` when it reaches the page. Numbers are written the way each
language writes them: Indonesian ``1.234,5``, English ``1,234.5``.

Adding a language is adding its column to :data:`TEXT` (and its separators
to :data:`SEPARATORS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError

LANGS = ("id", "en")

# ------------------------------------------------------------------ words

TEXT: Mapping[str, Mapping[str, str]] = {
    "id": {
        "score_layer": "Skor kesesuaian",
        "excluded_layer": "Dikecualikan (tidak memenuhi syarat)",
        "top_layer": "{n} lokasi terbaik",
        "green_spaces": "Ruang terbuka hijau (RTH)",
        "roads": "Jalan",
        "pois": "Fasilitas dan tempat penting",
        "admin": "Batas wilayah",
        "constraint": "Batasan: {title}",
        "base_light": "Peta dasar terang (CartoDB Positron)",
        "base_grey": "Peta dasar abu-abu (Esri)",
        "base_osm": "OpenStreetMap",
        "base_sat": "Citra satelit (Esri)",
        "legend_title": "Skor kesesuaian (0–100)",
        "legend_excluded": "Dikecualikan",
        "legend_top": "{n} lokasi terbaik (nomor = peringkat)",
        "legend_more": "Lapisan lain dan bobot kriteria",
        "legend_criteria": "Kriteria (bobot)",
        "legend_constraints": "Batasan (zona)",
        "classes": "kelas",
        "method": "metode",
        "summary": "{scored} lokasi dinilai · {excluded} dikecualikan",
        "score": "Skor",
        "rank": "peringkat",
        "of": "dari",
        "rank_shared": "bersama {n} lokasi",
        "area": "Luas",
        "kel": "Kel.",
        "kec": "Kec.",
        "criterion": "Kriteria",
        "suitability": "Kesesuaian",
        "points": "Poin",
        "stability": "Masuk {k} besar pada {p}% simulasi bobot",
        "excluded": "Dikecualikan",
        "synthetic": "data sampel sintetis",
        "synthetic_long": "Data sampel sintetis, bukan data resmi",
        "data": "Data",
        "tail": "{n} lokasi lain dengan skor {lo}–{hi}; peta ini merinci {detail} "
                "lokasi terbaik saja",
        "tail_excluded": "{n} lokasi",
        "fullscreen": "Layar penuh",
        "fullscreen_exit": "Keluar dari layar penuh",
        "public": "publik",
        "private": "privat",
        "other": "lainnya",
        "rth_share": "RTH publik",
        "rth_total": "RTH total",
        "rth_short": "Kekurangan RTH publik",
        "rth_pop": "Penduduk",
        "rth_beyond": "Penduduk > {r} m dari taman",
        "rth_unit": "Wilayah",
        "rth_caption": "RTH publik (% luas wilayah); target UU 26/2007: 20% publik, 30% total",
        "rth_target": "target publik tercapai",
        "rth_layer": "Kebutuhan RTH publik",
        "na": "t.a.",
        "sel_title": "Lokasi terpilih bersama",
        "sel_people": "orang baru terjangkau",
        "skipped": "Tidak dinilai (data tidak ada)",
        "skip_layer_not_given": "lapisan {layer} tidak diberikan",
        "skip_no_matching_feature": "tidak ada fitur yang cocok di {layer}",
        "empty_layers": "Lapisan kosong (tidak ada di wilayah ini)",
        # the interactive map's panel (render/interactive.py)
        "ia_panel_title": "Atur bobot kriteria",
        "ia_method_label": "Metode",
        "ia_method_wlc": "Kombinasi linear terbobot (WLC)",
        "ia_method_wgm": "Rata-rata geometrik terbobot (WGM)",
        "ia_method_owa": "OWA (α = {alpha})",
        "ia_method_topsis": "TOPSIS (kedekatan ke titik ideal)",
        "ia_share": "Porsi bobot",
        "ia_total": "Jumlah",
        "ia_slider_note": "Menggeser satu bobot: bobot lain tetap sebanding satu sama lain.",
        "ia_reset": "Kembalikan bobot profil",
        "ia_copy": "Salin sebagai TOML",
        "ia_copied": "Profil dengan bobot ini tersalin (TOML untuk sp.read_profile).",
        "ia_copy_manual": "Salin teks di bawah ini (Ctrl+C).",
        "ia_shapley": "Poin: nilai Shapley; skor dasar (semua kriteria 0): {base}",
        "ia_err_mapping": "setWeights memerlukan objek {kriteria: bobot}",
        "ia_err_weight": "bobot '{name}' harus angka >= 0, bukan {value}",
        "ia_err_unknown": "tidak ada kriteria {names}; pilih dari: {known}",
        "ia_err_zero": "semua bobot 0: beri setidaknya satu kriteria bobot di atas 0",
        "ia_err_method": "metode {name} tidak dikenal; pilih dari: {known}",
        "ia_err_site": "tidak ada lokasi {id} yang dinilai di peta ini",
    },
    "en": {
        "score_layer": "Suitability score",
        "excluded_layer": "Excluded (fails a rule)",
        "top_layer": "Top {n} sites",
        "green_spaces": "Green open space (RTH)",
        "roads": "Roads",
        "pois": "Points of interest",
        "admin": "Administrative boundaries",
        "constraint": "Constraint: {title}",
        "base_light": "Light base map (CartoDB Positron)",
        "base_grey": "Grey base map (Esri)",
        "base_osm": "OpenStreetMap",
        "base_sat": "Satellite imagery (Esri)",
        "legend_title": "Suitability score (0–100)",
        "legend_excluded": "Excluded",
        "legend_top": "Top {n} sites (number = rank)",
        "legend_more": "Other layers and criterion weights",
        "legend_criteria": "Criteria (weight)",
        "legend_constraints": "Constraints (zones)",
        "classes": "classes",
        "method": "method",
        "summary": "{scored} sites scored · {excluded} excluded",
        "score": "Score",
        "rank": "rank",
        "of": "of",
        "rank_shared": "shared by {n} sites",
        "area": "Area",
        "kel": "Kel.",
        "kec": "Kec.",
        "criterion": "Criterion",
        "suitability": "Suitability",
        "points": "Points",
        "stability": "In the top {k} in {p}% of weight draws",
        "excluded": "Excluded",
        "synthetic": "synthetic sample data",
        "synthetic_long": "Synthetic sample data, not official data",
        "data": "Data",
        "tail": "{n} more sites scoring {lo}–{hi}; this map details the best {detail} "
                "sites only",
        "tail_excluded": "{n} sites",
        "fullscreen": "Full screen",
        "fullscreen_exit": "Exit full screen",
        "public": "public",
        "private": "private",
        "other": "other",
        "rth_share": "Public RTH",
        "rth_total": "Total RTH",
        "rth_short": "Public RTH shortfall",
        "rth_pop": "Population",
        "rth_beyond": "People > {r} m from a park",
        "rth_unit": "Unit",
        "rth_caption": "Public green space (% of area); UU 26/2007 targets: 20% public, "
                       "30% total",
        "rth_target": "public target met",
        "rth_layer": "Public green space need",
        "na": "n/a",
        "sel_title": "Sites chosen together",
        "sel_people": "people newly in reach",
        "skipped": "Left out (no data)",
        "skip_layer_not_given": "no {layer} layer given",
        "skip_no_matching_feature": "no matching feature in {layer}",
        "empty_layers": "Empty layers (none in the area)",
        # the interactive map's panel (render/interactive.py)
        "ia_panel_title": "Tune the criterion weights",
        "ia_method_label": "Method",
        "ia_method_wlc": "Weighted linear combination (WLC)",
        "ia_method_wgm": "Weighted geometric mean (WGM)",
        "ia_method_owa": "OWA (α = {alpha})",
        "ia_method_topsis": "TOPSIS (closeness to the ideal)",
        "ia_share": "Weight share",
        "ia_total": "Total",
        "ia_slider_note": "Moving one weight keeps the others in proportion to each other.",
        "ia_reset": "Reset to the profile's weights",
        "ia_copy": "Copy as TOML",
        "ia_copied": "Profile with these weights copied (TOML for sp.read_profile).",
        "ia_copy_manual": "Copy the text below (Ctrl+C).",
        "ia_shapley": "Points: Shapley values; base score (every criterion 0): {base}",
        "ia_err_mapping": "setWeights needs an object {criterion: weight}",
        "ia_err_weight": "the weight of '{name}' must be a number >= 0, not {value}",
        "ia_err_unknown": "no criterion named {names}; use one of: {known}",
        "ia_err_zero": "all weights are 0: give at least one criterion a weight above 0",
        "ia_err_method": "unknown method {name}; use one of: {known}",
        "ia_err_site": "no scored site {id} on this map",
    },
}

VALUE_NAMES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "rth_type": {
        "id": {"taman": "taman", "hutan_kota": "hutan kota", "pemakaman": "pemakaman",
               "lapangan": "lapangan", "jalur_hijau": "jalur hijau", "sempadan": "sempadan"},
        "en": {"taman": "park", "hutan_kota": "urban forest", "pemakaman": "cemetery",
               "lapangan": "sports field", "jalur_hijau": "green belt",
               "sempadan": "setback strip"},
    },
    "road_class": {
        "id": {"arteri": "jalan arteri", "kolektor": "jalan kolektor", "lokal": "jalan lokal",
               "lingkungan": "jalan lingkungan"},
        "en": {"arteri": "arterial road", "kolektor": "collector road", "lokal": "local road",
               "lingkungan": "neighbourhood road"},
    },
    "category": {
        "id": {"pasar": "pasar", "masjid": "masjid", "sekolah": "sekolah",
               "puskesmas": "puskesmas", "wisata": "wisata", "umkm": "UMKM",
               "terminal": "terminal", "kantor": "kantor"},
        "en": {"pasar": "market", "masjid": "mosque", "sekolah": "school",
               "puskesmas": "health centre", "wisata": "tourism site", "umkm": "small business",
               "terminal": "bus terminal", "kantor": "office"},
    },
    "level": {
        "id": {"kota": "kota", "kecamatan": "kecamatan", "kelurahan": "kelurahan"},
        "en": {"kota": "city", "kecamatan": "district (kecamatan)",
               "kelurahan": "urban village (kelurahan)"},
    },
}

#: the allocation map's words (sp.render_allocation)
ALLOCATION_TEXT: Mapping[str, Mapping[str, str]] = {
    "id": {"title": "Pembagian lahan antar-peruntukan", "sites": "lokasi", "score": "Skor",
           "rank": "peringkat", "for": "untuk", "use": "Peruntukan", "fixed": "ditetapkan",
           "members": "Gabungan {n} persil", "objective_score": "total skor",
           "objective_coverage": "penduduk baru terjangkau", "greedy": "rencana berurutan",
           "gain": "selisih", "none": "–", "not_eligible": "tidak memenuhi syarat",
           "people": "+{n} penduduk terjangkau", "kel": "Kel.", "kec": "Kec.",
           "greedy_gave": "Rencana berurutan: {use}", "greedy_none": "tidak dipakai"},
    "en": {"title": "Land shared among uses", "sites": "sites", "score": "Score",
           "rank": "rank", "for": "for", "use": "Use", "fixed": "fixed in advance",
           "members": "{n} parcels merged", "objective_score": "sum of scores",
           "objective_coverage": "people newly within reach", "greedy": "sequential plan",
           "gain": "gain", "none": "–", "not_eligible": "not eligible",
           "people": "+{n} people within reach", "kel": "Kel.", "kec": "Kec.",
           "greedy_gave": "Sequential plan: {use}", "greedy_none": "unused"},
}

#: (thousands, decimal) separator per language
SEPARATORS: Mapping[str, tuple[str, str]] = {"id": (".", ","), "en": (",", ".")}


def check_lang(lang: str, where: str) -> Mapping[str, str]:
    """The word table of ``lang``, or a clear error listing the languages."""
    if lang not in TEXT:
        raise SiteplanInputError(Problem(where, f"unknown language {lang!r}",
                                         f"use one of: {', '.join(TEXT)}"))
    return TEXT[lang]


# Braces are escaped too: branca renders each map element's output a second time as
# a Jinja2 template, so a "{{", "{%" or "{#" from data would run there.
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;"),
            ("`", "&#96;"), ("$", "&#36;"), ("\\", "&#92;"), ("{", "&#123;"), ("}", "&#125;"))
# In JSON text a "{" followed by "{", "%" or "#" can only be inside a string.
_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")
CONTROL_CHARS = r"[\x00-\x1f\x7f]"


def text(values) -> pd.Series:
    """Values as strings ("" for missing), vectorised."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    return s.astype("string").fillna("").str.strip().reset_index(drop=True)


def esc(values) -> pd.Series:
    """HTML-escape a column of values (vectorised), safe in folium's template literals."""
    s = text(values).str.replace(CONTROL_CHARS, " ", regex=True)
    for raw, entity in _ESCAPES:
        s = s.str.replace(raw, entity, regex=False)
    return s


def esc1(value: object) -> str:
    """HTML-escape one value like :func:`esc`."""
    s = re.sub(CONTROL_CHARS, " ", "" if value is None else str(value))
    for raw, entity in _ESCAPES:
        s = s.replace(raw, entity)
    return s


def json_data(text: str) -> str:
    """JSON text made safe to embed in a page as data, never as code or template.

    ``<``, ``>``, ``&`` and ``'`` become ``\\u`` escapes (no closing ``</script>``,
    no HTML entity), and a ``{`` that would open a Jinja2 tag (``{{``, ``{%``,
    ``{#``) becomes ``\\u007b``: the page's script still reads the same string.
    """
    for raw, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(raw, code)
    return _TEMPLATE_OPEN.sub(r"\\u007b", text)


def seps(lang: str) -> tuple[str, str]:
    """(thousands, decimal) separators: Indonesian writes 4.200,5; English 4,200.5."""
    return SEPARATORS[lang]


def fmt_int(values, lang: str) -> pd.Series:
    """Rounded integers with thousands separators, vectorised ("–" for NaN)."""
    x = np.asarray(values, dtype=float)
    missing = ~np.isfinite(x)
    v = np.rint(np.where(missing, 0, x)).astype(np.int64)
    neg = v < 0
    a = np.abs(v)
    groups = [a % 1000]
    rest = a // 1000
    while (rest > 0).any():
        groups.append(rest % 1000)
        rest = rest // 1000
    ngroups = np.ones(len(a), dtype=int)
    for i in range(1, len(groups)):
        ngroups[a >= 1000 ** i] = i + 1
    sep = seps(lang)[0]
    out = pd.Series(groups[0], dtype="int64").astype("string")
    below = pd.Series("", index=range(len(a)), dtype="string")
    for i in range(1, len(groups)):
        below = sep + pd.Series(groups[i - 1], dtype="int64").astype("string").str.zfill(3) \
            + below
        top = pd.Series(groups[i], dtype="int64").astype("string") + below
        out = out.where(ngroups != i + 1, top)
    out = out.where(~neg, "-" + out)
    return out.where(~missing, "–")


def fmt_fixed(values, decimals: int, lang: str) -> pd.Series:
    """Numbers with a fixed count of decimals and the language's separators, vectorised."""
    x = np.asarray(values, dtype=float)
    missing = ~np.isfinite(x)
    scale = 10 ** decimals
    iv = np.rint(np.where(missing, 0, np.abs(x)) * scale).astype(np.int64)
    out = fmt_int(iv // scale, lang)
    if decimals:
        frac = pd.Series(iv % scale, dtype="int64").astype("string").str.zfill(decimals)
        out = out + seps(lang)[1] + frac
    out = out.where(~((x < 0) & (iv > 0)), "-" + out)
    return out.where(~missing, "–")


def fmt1(value: float, decimals: int, lang: str) -> str:
    """One number formatted like :func:`fmt_fixed`."""
    return str(fmt_fixed([value], decimals, lang).iloc[0])


def value_names(values: pd.Series, column: str, lang: str) -> pd.Series:
    """Canonical layer values (``hutan_kota``) shown in the language (``urban forest``)."""
    table = VALUE_NAMES.get(column, {}).get(lang, {})
    key = text(values).str.lower()
    shown = key.map(table)
    return shown.astype("string").fillna(text(values).str.replace("_", " ", regex=False))


