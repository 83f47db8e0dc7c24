"""Private helpers of the score map (:mod:`siteplan.render.score_map`): colours, CSS, popups.

Tooltips, popups, the legend, the title and the attribution are built here,
column-wise with pandas string operations (no loop over rows).

Every value from data goes through :func:`~siteplan.render.words.esc` (or
``esc1``) before it is placed in HTML; the words, number formats and that
escaping live in :mod:`siteplan.render.words`, shared by every renderer.

Imported only by the renderers (themselves imported lazily), so it may
import branca/folium.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from .. import words as _words
from . import classes as _classes
from .words import (  # noqa: F401
    CONTROL_CHARS,
    LANGS,
    TEXT,
    VALUE_NAMES,
    check_lang,
    esc,
    esc1,
    fmt1,
    fmt_fixed,
    fmt_int,
    seps,
    text,
    value_names,
)

#: mapclassify scheme -> language -> its name in words (the ``schemes`` section)
SCHEMES = {scheme: {lang: _words.words(lang)["schemes"][scheme] for lang in LANGS}
           for scheme in _words.words(LANGS[0])["schemes"]}

# values of the canonical layer schemas, translated for display
# ------------------------------------------------------------------ colours

# the score ramp (ColorBrewer RdPu) lives beside the classes, shared with the QGIS style
RDPU_9 = _classes.RDPU_9
ramp = _classes.ramp


def darker(color: str, factor: float = 0.6) -> str:
    """A darker shade of a ``#rrggbb`` colour (the outline of a class); others unchanged."""
    if not (isinstance(color, str) and len(color) == 7 and color.startswith("#")):
        return color
    try:
        rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    except ValueError:
        return color
    return "#" + "".join(f"{int(c * factor):02x}" for c in rgb)


GREEN = {"taman": "#41ab5d", "hutan_kota": "#00441b", "pemakaman": "#8c9f72",
         "lapangan": "#a6d96a", "jalur_hijau": "#66bd63", "sempadan": "#b8e186"}
GREEN_OTHER = "#74c476"
ROADS = {"arteri": ("#c2410c", 4.5), "kolektor": ("#ea580c", 3.0), "lokal": ("#8c8c8c", 1.6),
         "lingkungan": ("#b5b5b5", 1.0)}
ROAD_OTHER = ("#a3a3a3", 1.2)
POIS = {"pasar": "#e41a1c", "masjid": "#4daf4a", "sekolah": "#377eb8", "puskesmas": "#f781bf",
        "wisata": "#984ea3", "umkm": "#ff7f00", "terminal": "#a65628", "kantor": "#525252"}
POI_OTHER = "#999999"
CONSTRAINTS = ("#2b8cbe", "#a6761d", "#6a51a3", "#d95f02", "#1b9e77", "#e7298a", "#66a61e")
EXCLUDED = {"fillColor": "#bdbdbd", "color": "#636363", "weight": 1, "dashArray": "4 3",
            "fillOpacity": 0.45, "opacity": 0.9}
SCORED = {"weight": 0.8, "fillOpacity": 0.8, "opacity": 1.0}
HIGHLIGHT = {"weight": 3, "color": "#111111", "fillOpacity": 0.9}

CSS = """
.leaflet-control-layers{font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.leaflet-control-layers label{margin:0}
.leaflet-control-attribution{max-width:min(62vw,680px)}
.sp-box{background:rgba(255,255,255,.94);padding:8px 10px;border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.35);font:12px/1.4 system-ui,-apple-system,"Segoe UI",
 Roboto,sans-serif;color:#222;max-width:330px}
.sp-title .t1{font-size:16px;font-weight:700;line-height:1.25}
.sp-title .t2{color:#555;margin-top:2px}
.sp-syn{margin-top:4px;color:#b91c1c;font-weight:600}
.sp-skip{margin-top:4px;color:#92400e;font-size:11px}.sp-skip ul{margin:2px 0 0 16px;padding:0}
.sp-legend{max-height:min(62vh,560px);overflow-y:auto}
.sp-fold{cursor:pointer;font-weight:700;color:#333}
details[open]>.sp-fold{margin-bottom:3px}
.sp-legend .h{font-weight:700;margin-bottom:3px}
.sp-legend .r{display:flex;align-items:center;gap:6px;margin:1px 0;white-space:nowrap}
.sp-legend .r i{display:inline-block;width:18px;height:12px;border:1px solid #555;
 flex:none}
.sp-legend .r i.ex{background:#bdbdbd;border:1px dashed #555}
.sp-legend .r i.ln{height:0;border:none;border-top-style:solid}
.sp-legend .r i.pt{width:10px;height:10px;border-radius:50%;border:1px solid #fff;
 box-shadow:0 0 0 1px #777}
.sp-legend .r i.ol{background:none;border:2px dashed #444}
.sp-legend .r .c{color:#666}
.sp-legend .n{color:#666;margin-top:3px}
.sp-legend details{margin-top:4px}
.sp-legend summary{cursor:pointer;color:#333}
.sp-legend .sub{font-weight:600;margin-top:4px}
.sp-rank{position:relative;width:24px;height:24px;border-radius:12px;background:#1f1f1f;
 color:#fff;border:2px solid #fff;box-shadow:0 1px 4px rgba(0,0,0,.6);font:700 12px/20px
 system-ui,sans-serif;text-align:center;box-sizing:border-box}
.sp-rank-icon .sp-rank::after{content:"";position:absolute;left:50%;bottom:-8px;
 margin-left:-5px;border:5px solid transparent;border-top:6px solid #1f1f1f}
.sp-legend .sp-rank{display:inline-block;width:18px;height:18px;font-size:10px;
 line-height:14px;flex:none}
.sp-rank-icon{background:none;border:none}
.sp-rank-icon .sp-moved::after{display:none}
.sp-lead{position:absolute;left:0;top:0;overflow:visible;pointer-events:none}
.sp-pop{font:12px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;min-width:230px}
.sp-pop h4{margin:0 0 2px;font-size:14px;font-weight:700}
.sp-pop .m{color:#555}
.sp-pop .s{margin:3px 0;font-size:13px}
.sp-pop .st{margin:3px 0;color:#1e40af}
.sp-pop table{border-collapse:collapse;width:100%;margin-top:4px}
.sp-pop th{text-align:left;font-weight:600;color:#555;border-bottom:1px solid #ddd;
 padding:1px 3px}
.sp-pop td{padding:1px 3px;vertical-align:middle}
.sp-pop td.b{width:30%;background:linear-gradient(#ececec,#ececec) no-repeat
 center/100% 9px}
.sp-pop td i{display:block;height:9px;background:#ae017e;border-radius:2px}
.sp-pop .p,.sp-pop .v{text-align:right;white-space:nowrap}
.sp-pop td.v{color:#333}
@media (max-width:600px){
 .leaflet-control-minimap{display:none}
 .leaflet-control-attribution{max-width:58vw;font-size:9px;line-height:1.25;max-height:3.8em;
  overflow:hidden}
 .sp-box{max-width:64vw;font-size:11px}
 .sp-title{max-width:50vw}
 .sp-title .t1{font-size:14px}
 .sp-legend{max-height:34vh}
 .sp-pop{min-width:0;max-width:calc(100vw - 90px)}
 .sp-pop td.b{width:18%}
}
"""


class HtmlControl(MacroElement):
    """A Leaflet control in a map corner holding static, already escaped HTML.

    Used for the title and the legend: as a control it stays inside the map
    (visible in full screen) and stacks with the other controls. The HTML is
    passed through ``tojson``, and every value from data in it was escaped
    with :func:`esc1` before.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", {{ this.class_name|tojson }});
            div.innerHTML = {{ this.content|tojson }};
            {% if this.fold %}
            if (window.innerWidth < 600) {   // a phone: the box starts folded to its name
                div.querySelector("details").open = false;
            }
            {% endif %}
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% if this.first %}
        (function (c) { c.parentNode.insertBefore(c, c.parentNode.firstChild); })(
            {{ this.get_name() }}.getContainer());   // above the corner's other controls
        {% endif %}
        {% endmacro %}
    """)

    def __init__(self, content: str, *, position: str, class_name: str,
                 fold: str | None = None, first: bool = False):
        super().__init__()
        self._name = "HtmlControl"
        self.first = first       # shown above the controls added to its corner before it
        # ``fold``: the box's name (escaped text); the box opens and closes on it, and
        # starts folded on a screen narrower than 600 px
        self.fold = fold is not None
        self.content = content if fold is None else (
            f'<details open><summary class="sp-fold">{fold}</summary>{content}</details>')
        self.position = position
        self.class_name = class_name


def pick(values: pd.Series, table: Mapping[str, object]) -> np.ndarray:
    """Codes of values in ``table`` (case-insensitive); ``len(table)`` when absent."""
    keys = pd.Index([str(k).lower() for k in table])
    codes = keys.get_indexer(text(values).str.lower())
    return np.where(codes < 0, len(keys), codes)


# ------------------------------------------------------------------ GeoJSON

def _json_str(s: pd.Series) -> pd.Series:
    s = s.astype("string").fillna("").str.replace(CONTROL_CHARS, " ", regex=True)
    return '"' + s.str.replace("\\", "\\\\", regex=False).str.replace('"', '\\"',
                                                                       regex=False) + '"'


def feature_collection(geoms: np.ndarray, properties: Mapping[str, Sequence[str]]) -> dict:
    """A GeoJSON FeatureCollection (dict) with ids 0..n-1, built without a row loop.

    ``geoms`` are already in EPSG:4326 and rounded; ``properties`` maps a key
    to one string per feature (already escaped where it is HTML).
    """
    return json.loads(feature_collection_text(geoms, properties))


def feature_collection_text(geoms: np.ndarray, properties: Mapping[str, Sequence[str]]) -> str:
    """The JSON text of :func:`feature_collection` (each map parses its own copy of it)."""
    n = len(geoms)
    if n == 0:
        return '{"type":"FeatureCollection","features":[]}'
    gj = pd.Series(shapely.to_geojson(geoms), dtype="string")
    props = pd.Series("", index=range(n), dtype="string")
    for i, (key, vals) in enumerate(properties.items()):
        vals = pd.Series(vals).reset_index(drop=True)
        props = props + ("," if i else "") + json.dumps(key) + ":" + _json_str(vals)
    ids = pd.Series(np.arange(n), dtype="int64").astype("string")
    feats = '{"type":"Feature","id":' + ids + ',"geometry":' + gj + ',"properties":{' + \
        props + "}}"
    return '{"type":"FeatureCollection","features":[' + feats.str.cat(sep=",") + "]}"


# ------------------------------------------------------------------ popups, tooltips, legend

def crit_title(crit: Mapping[str, Any], lang: str) -> str:
    title = crit.get("title") or {}
    return str(title.get(lang) or title.get("id") or title.get("en") or crit["name"])


def site_labels(frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """(label, parcel id) for rows: the name when there is one, else the parcel id; escaped."""
    sub = frame.iloc[rows]
    pid = esc(sub["parcel_id"]) if "parcel_id" in sub.columns else esc(
        pd.Series(sub.index.astype(str)))
    name = esc(sub["name"]) if "name" in sub.columns else pd.Series(
        "", index=range(len(rows)), dtype="string")
    return name.where(name != "", pid), pid.where(name != "", "")


def join_nonempty(parts: list[pd.Series], sep: str) -> pd.Series:
    out = parts[0]
    for p in parts[1:]:
        out = out + pd.Series(np.where((out != "") & (p != ""), sep, ""), dtype="string") + p
    return out


def _shared(frame: pd.DataFrame, score: np.ndarray) -> np.ndarray:
    """How many sites share each row's rank: ``rank_shared``, else counted from the scores."""
    if "rank_shared" in frame.columns:
        out = pd.to_numeric(frame["rank_shared"], errors="coerce").to_numpy(float)
        if not np.isnan(out[np.isfinite(score)]).any():
            return np.nan_to_num(out, nan=0.0)
    s = pd.Series(score)
    return s.map(s.value_counts()).fillna(0).to_numpy(float)


def site_text(frame, rows, score, rank, info, lang, *, n_scored, p_stab, top_k) -> dict:
    """Tooltip and popup HTML for scored sites, built column-wise from escaped values."""
    tx = TEXT[lang]
    n = len(rows)
    if n == 0:
        return {"tip": pd.Series([], dtype="string"), "pop": pd.Series([], dtype="string")}
    sub = frame.iloc[rows]
    label, pid = site_labels(frame, rows)
    empty = pd.Series("", index=range(n), dtype="string")
    kel = esc(sub["kelurahan"]) if "kelurahan" in sub.columns else empty
    kec = esc(sub["kecamatan"]) if "kecamatan" in sub.columns else empty
    kel = pd.Series(np.where(kel != "", tx["kel"] + " " + kel, ""), dtype="string")
    kec = pd.Series(np.where(kec != "", tx["kec"] + " " + kec, ""), dtype="string")
    meta = join_nonempty([pid, kel, kec], " · ")
    s = fmt_fixed(score[rows], 1, lang)
    r = fmt_int(rank[rows], lang)
    shared = _shared(frame, score)[rows]
    pre, post = tx["rank_shared"].format(n="\x00").split("\x00")
    r_shared = pd.Series(np.where(shared > 1, " (" + pre + fmt_int(shared, lang) + post + ")",
                                  ""), dtype="string")
    area = pd.to_numeric(sub["area_m2"], errors="coerce").to_numpy(float) \
        if "area_m2" in sub.columns else shapely.area(np.asarray(sub.geometry.array))
    area_s = fmt_int(area, lang) + " m² (" + fmt_fixed(area / 1e4, 2, lang) + " ha)"
    bars = (f"<table><tr><th>{tx['criterion']}<th class=v>{tx['measured']}"
            f"<th class=b>{tx['suitability']}<th class=p>{tx['points']}")
    rows_html = pd.Series(bars, index=range(n), dtype="string")
    for crit in info["criteria"]:
        c = pd.to_numeric(sub[f"c_{crit['name']}"], errors="coerce").to_numpy(float)
        pct = fmt_int(np.clip(np.nan_to_num(c), 0, 1) * 100, "en")
        col = f"contrib_{crit['name']}"
        pts = "+" + fmt_fixed(pd.to_numeric(sub[col], errors="coerce"), 1, lang) \
            if col in sub.columns else fmt_fixed(c, 2, lang)
        m_col = f"m_{crit['name']}"
        measured = esc(_words.measured_column(
            sub[m_col], crit.get("unit") or "value", lang,
            limit=crit.get("limit"), column=crit.get("column") or "")) \
            if m_col in sub.columns else pd.Series("–", index=range(n), dtype="string")
        rows_html = rows_html + f"<tr><td>{esc1(crit_title(crit, lang))}<td class=v>" + \
            measured + "<td class=b><i style=width:" + pct + "%></i><td class=p>" + pts
    rows_html = rows_html + "</table><div class=m>" + tx["points_note"] + "</div>"
    stab = empty
    if p_stab is not None:
        p = p_stab[rows]
        pre, post = tx["stability"].format(k=top_k, p="\x00").split("\x00")
        stab = pd.Series(np.where(np.isfinite(p), "<div class=st>" + pre +
                                  fmt_int(np.nan_to_num(p) * 100, lang) + post + "</div>",
                                  ""), dtype="string")
    meta_div = pd.Series(np.where(meta != "", "<div class=m>" + meta + "</div>", ""),
                         dtype="string")
    pop = ("<div class=sp-pop><h4>" + label + "</h4>" + meta_div + "<div class=s>" +
           tx["score"] + " <b>" + s + "</b> · " + tx["rank"] + " <b>" + r + "</b>" + r_shared +
           " " + tx["of"] +
           " " + str(fmt_int([n_scored], lang).iloc[0]) + "</div><div class=m>" +
           tx["area"] + " " + area_s + "</div>" + stab + rows_html + "</div>")
    tip = "<b>#" + r + "</b> " + label + " · " + tx["score"].lower() + " <b>" + s + "</b>"
    return {"tip": tip, "pop": pop}


def reasons(frame: pd.DataFrame, info, lang: str) -> pd.Series:
    """Why each row is excluded, in the language, escaped.

    Read from the structured ``excluded_rules`` (the numbers of the broken
    rules in the profile), each shown by its constraint's title; rows without
    rule numbers show the reason a parcel was rejected at load (in the
    words of the language around the loader's reason), or (results written
    before the column existed) their ``excluded_by`` text as it is
    (:func:`siteplan.words.reason_words`); a parcel held by an open offer of the
    register says which offer holds it.
    """
    from .words import reasons_text

    return esc(reasons_text(frame, info["constraints"], lang))


def sources_text(sources: Mapping[str, object], limit: int = 4) -> str:
    """The data sources in a few words: file names, without folders, deduplicated."""
    names: list[str] = []
    for value in sources.values():
        v = re.sub(r"\s*\(.*\)$", "", str(value or "")).strip()
        if not v or v == "GeoDataFrame":
            continue
        v = re.split(r"[\\/]", v.rstrip("/\\"))[-1]
        if v not in names:
            names.append(v)
    return ", ".join(names[:limit]) + (" …" if len(names) > limit else "")


def attribution(info, lang: str) -> str:
    """The data credit for the map's attribution line (escaped): credit text, else sources."""
    tx = TEXT[lang]
    credit = info["attribution"] or sources_text(info["sources"])
    out = "siteplan" + (f" | {tx['data']}: {esc1(credit)}" if credit else "")
    if info["synthetic"]:
        out += f" | <b>{tx['synthetic']}</b>"
    return out


def title_html(info, lang: str, n_scored: int, n_excluded: int) -> str:
    tx = TEXT[lang]
    title = info["title"].get(lang) or info["title"].get("id") or info["profile"] or "siteplan"
    summary = tx["summary"].format(scored=fmt_int([n_scored], lang).iloc[0],
                                  excluded=fmt_int([n_excluded], lang).iloc[0])
    if info["method"]:
        summary += f" · {tx['method']} {esc1(str(info['method']).upper())}"
    html = f"<div class=t1>{esc1(title)}</div><div class=t2>{summary}</div>"
    if info["synthetic"]:
        html += f"<div class=sp-syn>&#9888; {tx['synthetic_long']}</div>"
    return html + skipped_html(info.get("skipped") or [], info.get("empty_layers") or [], lang)


def title_box(m, title: str, line: str, *, synthetic: bool, lang: str) -> None:
    """The map's title box in its top left corner, above the zoom buttons: its title
    (text, escaped here), one line of what it shows (HTML already escaped) and the
    synthetic-data warning when the data are the sample's."""
    html = f"<div class=t1>{esc1(title)}</div>"
    if line:
        html += f"<div class=t2>{line}</div>"
    if synthetic:
        html += f"<div class=sp-syn>&#9888; {TEXT[lang]['synthetic_long']}</div>"
    HtmlControl(html, position="topleft", class_name="sp-box sp-title", first=True).add_to(m)


def fit_bounds(m, bounds, **options) -> None:
    """Open ``m`` on ``bounds`` ([[south, west], [north, east]]) at once.

    folium's own ``fit_bounds`` lets Leaflet animate from the map's first view to the
    fitted one when the page opens (a quarter second of zooming on every map); the
    map opens on its sites directly instead. ``options`` are folium's (``padding``,
    ``max_zoom``).
    """
    from folium.map import FitBounds

    fit = FitBounds(bounds, **options)
    fit.options["animate"] = False
    m.add_child(fit)


def add_css(m, extra: str = "") -> None:
    """The maps' style sheet (and a map's ``extra`` rules) in the page's head, once."""
    import folium

    m.get_root().header.add_child(folium.Element(f"<style>{CSS}{extra}</style>"),
                                  name="siteplan_css")


def open_on(m, frames, title: str, line: str, *, synthetic: bool, lang: str) -> None:
    """A map drawn on its own: the style sheet, the view fitted to every non-empty frame
    (GeoDataFrames in EPSG:4326) and the title box (see :func:`title_box`)."""
    import numpy as np

    boxes = [f.total_bounds for f in frames if len(f)]
    if boxes:
        b = np.array(boxes)
        fit_bounds(m, [[b[:, 1].min(), b[:, 0].min()], [b[:, 3].max(), b[:, 2].max()]])
    add_css(m)
    title_box(m, title, line, synthetic=synthetic, lang=lang)


def skipped_html(skipped, empty_layers, lang: str) -> str:
    """The rules left out for want of data, and the empty layers, for the title box."""
    tx = TEXT[lang]
    html = ""
    if skipped:
        items = []
        for x in skipped:  # a handful of rules (siteplan.scoring.record.Skipped)
            title = x.label(lang)
            why = tx.get(f"skip_{x.reason}", "{layer}").format(layer=esc1(x.layer or ""))
            items.append(f"<li>{esc1(title)} <span class=c>({why})</span></li>")
        html += f"<div class=sp-skip>{tx['skipped']}:<ul>{''.join(items)}</ul></div>"
    if empty_layers:
        names = ", ".join(esc1(n) for n in empty_layers)
        html += f"<div class=sp-skip>{tx['empty_layers']}: {names}</div>"
    return html


def legend_html(classes, info, lang, *, n_excluded, n_top, scheme, extra) -> str:
    """The score map's legend: score classes and counts, excluded and top sites, criteria."""
    tx = TEXT[lang]
    out = [f"<div class=h>{tx['legend_title']}</div>"]
    ranges = _classes.class_labels(classes["low"], classes["bins"], lang)
    for i in reversed(range(len(classes["bins"]))):
        rng = ranges[i]
        out.append(f'<div class=r><i style="background:{esc1(classes["colors"][i])}"></i>'
                   f'{rng} <span class=c>({fmt1(classes["counts"][i], 0, lang)})</span>'
                   "</div>")
    if n_excluded:
        out.append(f"<div class=r><i class=ex></i>{tx['legend_excluded']} "
                   f"<span class=c>({fmt1(n_excluded, 0, lang)})</span></div>")
    if n_top:
        out.append(f"<div class=r><b class=sp-rank>1</b>{tx['legend_top'].format(n=n_top)}"
                   "</div>")
    if classes["bins"]:
        name = SCHEMES.get(scheme.replace("_", "").lower(), {}).get(lang, scheme)
        out.append(f"<div class=n>{len(classes['bins'])} {tx['classes']} "
                   f"({esc1(name)})</div>")
    crit = [f"<div class=r>{esc1(crit_title(c, lang))}"
            + (f" <span class=c>({fmt1(100 * float(c['weight']), 0, lang)}%)</span>"
               if isinstance(c.get("weight"), int | float) else "") + "</div>"
            for c in info["criteria"]]
    more = ([f"<div class=sub>{tx['legend_criteria']}</div>", *crit] if crit else []) + list(
        extra)
    if more:
        out.append(f"<details><summary>{tx['legend_more']}</summary>{''.join(more)}</details>")
    return "".join(out)


def legend_rows(codes: np.ndarray, names: pd.Series, styles, kind: str,
                 other: str) -> list[str]:
    """A legend row for each kind present (first name seen for each colour code)."""
    first = pd.Series(np.arange(len(codes))).groupby(codes).first()
    rows = []
    for code, pos in first.items():
        style = styles[int(code)]
        label = names.iloc[int(pos)] if int(code) < len(styles) - 1 else other
        if kind == "line":
            color, width = style
            swatch = (f'<i class=ln style="border-top-width:{max(width, 1):g}px;'
                      f'border-top-color:{color}"></i>')
        elif kind == "point":
            swatch = f'<i class=pt style="background:{style}"></i>'
        else:
            swatch = f'<i style="background:{style};opacity:.75"></i>'
        rows.append(f"<div class=r>{swatch}{label}</div>")
    return rows
