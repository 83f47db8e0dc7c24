"""The HTML of the brief: print CSS, the cover page and one page per site.

Every value from data passes through :func:`._words.esc` before it is put
in the HTML; numbers through :func:`._words.num`. Nothing here runs a
script: the brief holds no ``<script>`` at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import words as _w
from ._words import WORDS, distance_words, esc, fmt_date, num, value_word

CSS = """
@page { size: A4; margin: 11mm 12mm 13mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #1f2937; background: #e5e7eb;
  font: 8.2pt/1.24 "DejaVu Sans", "Liberation Sans", "Noto Sans", Arial, sans-serif;
  font-variant-ligatures: none; }
.page { background: #fff; width: 210mm; min-height: 297mm; margin: 6mm auto;
  padding: 11mm 12mm 13mm 12mm; box-shadow: 0 1px 6px rgba(0,0,0,.25); }
@media print {
  body { background: #fff; }
  .page { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none;
    break-after: page; page-break-after: always; }
  .page:last-child { break-after: auto; page-break-after: auto; }
}
h1 { font-size: 17pt; margin: 0 0 1mm; line-height: 1.15; }
h2 { font-size: 12.5pt; margin: 0 0 1mm; }
h3 { font-size: 9.2pt; margin: 1.8mm 0 .6mm; padding-bottom: .4mm;
  border-bottom: 1.2px solid #7a0177; color: #49006a; }
.kicker { text-transform: uppercase; letter-spacing: .06em; color: #7a0177;
  font-size: 7.6pt; font-weight: 700; }
.muted { color: #6b7280; }
.warn { margin: 2mm 0; padding: 1.6mm 2.4mm; border: 1.5px solid #b91c1c;
  color: #991b1b; background: #fef2f2; font-weight: 700; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .4mm 1.1mm; }
thead th { border-bottom: 1px solid #9ca3af; font-weight: 700; color: #374151;
  background: #f3f4f6; }
tbody td { border-bottom: .5px solid #e5e7eb; }
td.n, th.n { text-align: right; white-space: nowrap; }
.src { font-size: 6.6pt; line-height: 1.15; color: #4b5563; }
td.nw { white-space: nowrap; }
.kv th { width: 38%; font-weight: 600; color: #4b5563; background: none; border: none; }
.kv td { border: none; }
.grid { display: grid; grid-template-columns: 84mm 1fr; gap: 4mm; align-items: start; }
.map img { width: 84mm; height: 84mm; display: block; border: .5px solid #9ca3af; }
.overview img { max-width: 100%; max-height: 100mm; display: block; margin: 0 auto;
  border: .5px solid #9ca3af; }
.legend { font-size: 6.8pt; color: #4b5563; margin-top: .8mm; }
.legend i { display: inline-block; width: 8px; height: 8px; margin: 0 1px 0 4px;
  vertical-align: -1px; }
.head { display: flex; justify-content: space-between; align-items: flex-end; gap: 4mm;
  flex-wrap: nowrap;
  border-bottom: 2px solid #49006a; padding-bottom: 1.5mm; margin-bottom: 2.5mm; }
.badge { display: inline-block; min-width: 7mm; padding: .4mm 1.6mm; border-radius: 4mm;
  background: #111; color: #fff; font-weight: 700; text-align: center; margin-right: 1.5mm; }
.head > div:first-child { flex: 1 1 auto; }
.score { font-size: 9pt; flex: 0 0 72mm; text-align: right; }
.met { color: #166534; font-weight: 700; }
.notmet { color: #b91c1c; font-weight: 700; }
.sure { margin-top: 1.4mm; padding: 1.1mm 2mm; background: #eff6ff; border-left: 3px solid
  #1d4ed8; }
section, table, .grid, .block { break-inside: avoid; page-break-inside: avoid; }
a { color: #1d4ed8; }
.paste { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; user-select: all; }
@media screen and (max-width: 820px) {
  body { background: #fff; font-size: 13px; line-height: 1.35; }
  .page { width: auto; min-height: 0; margin: 0; padding: 12px 12px 20px;
    box-shadow: none; border-bottom: 6px solid #e5e7eb; }
  h1 { font-size: 22px; } h2 { font-size: 18px; } h3 { font-size: 14px; }
  .src, .legend, .kicker { font-size: 11.5px; }
  .grid { grid-template-columns: 1fr; }
  .map img { width: 100%; max-width: 420px; height: auto; }
  .head { flex-wrap: wrap; }
  .score { flex: 1 1 100%; text-align: left; }
  .kv th { width: 40%; }
  table { display: block; max-width: 100%; overflow-x: auto; }
  td.nw, td.n, th.n { white-space: normal; }
  .overview img { max-height: none; }
}
"""


def _tx(lang: str) -> Mapping[str, Any]:  # texts, and the table of layer names
    return WORDS[lang]


def _title(entry: Mapping[str, Any], lang: str, fallback: str) -> str:
    title = entry.get("title") or {}
    return str(title.get(lang) or title.get("id") or title.get("en") or fallback)


def _pct(value: float, lang: str, decimals: int = 0) -> str:
    return num(value * 100.0, decimals, lang)


def raw_value(crit: Mapping[str, Any], value: Any, lang: str) -> str:
    """A criterion's raw measure with its unit (escaped); the unit is the measure's own."""
    from ..methods.transforms import saturation_distance

    if isinstance(value, np.generic):
        value = value.item()
    return esc(_w.measured_words(value, crit["unit"], lang, column=crit.get("column") or "",
                                 limit=saturation_distance(crit.get("transform") or {})))


def _source(entry: Mapping[str, Any], lang: str) -> str:
    """The standard a criterion or rule rests on, in the language (escaped)."""
    text = _w.source_text(entry.get("source"), lang)
    return esc(text) if text else f'<span class="muted">{_tx(lang)["no_source"]}</span>'


def legend(lang: str, zones: Sequence[Mapping[str, Any]], colours: Sequence[str]) -> str:
    tx = _tx(lang)
    parts = [f'<i style="background:#dc2626"></i>{tx["lg_site"]}',
             f'<i style="border:1px dashed #1d4ed8"></i>{tx["lg_ring"]}',
             f'<i style="background:#41ab5d"></i>{tx["lg_green"]}',
             f'<i style="background:#3b82f6"></i>{tx["lg_river"]}',
             f'<i style="background:#c2410c"></i>{tx["lg_road"]}']
    for i, zone in enumerate(zones):
        colour = colours[i % len(colours)]
        parts.append(f'<i style="border:1px solid {colour};background:repeating-linear-'
                     f'gradient(45deg,{colour} 0 1px,transparent 1px 3px)"></i>'
                     f'{esc(_w.rule_text(zone, lang))}')
    return f'<div class="legend">{" ".join(parts)}<br>{tx["map_note"]}</div>'


def cover(*, info: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], overview: str,
          sources: Sequence[tuple[list[str], str, Any, bool]], lang: str, today,
          top_k: int | None,
          description: str) -> str:
    tx = _tx(lang)
    title = _title(info, lang, info.get("profile", ""))
    counts = info.get("counts", {})
    created = str(info.get("created", ""))[:10]
    out = [f'<div class="page cover"><div class="kicker">{tx["pack"]} · {tx["proposed"]}</div>',
           f"<h1>{esc(title)}</h1>"]
    if description:
        out.append(f"<p><b>{tx['builds']}:</b> {esc(description)}</p>")
    out.append(f'<p class="muted">{tx["prepared"]}: {fmt_date(today, lang)}'
               + (f" · {tx['scored_on']}: {esc(_iso_date(created, lang))}" if created else "")
               + f" · siteplan {esc(info.get('siteplan_version', ''))}</p>")
    if info.get("synthetic"):
        out.append(f'<div class="warn">{tx["synthetic"]}</div>')
    out.append(f'<section><h3>{tx["overview"]}</h3><div class="overview">'
               f'<img alt="{tx["overview"]}" src="{overview}"></div></section>')
    head = (f"<tr><th>{tx['no']}</th><th class=n>{tx['rank']}</th><th>{tx['name']}</th>"
            f"<th>{tx['kelurahan']}</th><th class=n>{tx['area']}</th>"
            f"<th class=n>{tx['score']}</th>")
    if top_k is not None:
        head += f"<th class=n>{tx['p_top'].format(k=top_k)}</th>"
    body = []
    for r in rows:  # one row per chosen site (a handful)
        cells = (f"<td>{r['no']}</td><td class=n>{r['rank']}{r.get('shared', '')}</td>"
                 f"<td>{r['label']}</td>"
                 f"<td>{r['kel']}</td><td class=n>{r['area']}</td>"
                 f"<td class=n><b>{r['score']}</b></td>")
        if top_k is not None:
            cells += f"<td class=n>{r['p_top']}</td>"
        body.append(f"<tr>{cells}</tr>")
    out.append(f"<section><h3>{tx['summary']}</h3><table><thead>{head}</tr></thead><tbody>"
               + "".join(body) + "</tbody></table>")
    out.append('<p class="muted">' + tx["method"].format(
        method=esc(str(info.get("method", "")).upper()),
        scored=num(counts.get("scored", 0), 0, lang),
        excluded=num(counts.get("excluded", 0), 0, lang),
        candidates=num(counts.get("scored", 0) + counts.get("excluded", 0)
                       + counts.get("rejected", 0), 0, lang)) + "</p>"
               + f'<p class="muted">{tx["ties"].format(top=num(len(rows), 0, lang))}</p>'
               + "</section>")
    src_rows = "".join(
        f"<tr><td>{esc(layer_words(names, lang))}</td><td class=src>"
        f"{esc(tx['sample_source'].format(file=text) if sample else text)}</td>"
        f"<td class=nw>{fmt_date(d, lang) if d else tx['date_unknown']}</td></tr>"
        for names, text, d, sample in sources)
    out.append(f"<section><h3>{tx['sources']}</h3><table><thead><tr><th>{tx['layer']}</th>"
               f"<th>{tx['source']}</th><th>{tx['date']}</th></tr></thead><tbody>{src_rows}"
               "</tbody></table>")
    if info.get("attribution"):
        out.append(f'<p class="src">{esc(info["attribution"])}</p>')
    out.append("</section></div>")
    return "".join(out)


def _iso_date(text: str, lang: str) -> str:
    from datetime import date

    try:
        return fmt_date(date.fromisoformat(text), lang)
    except ValueError:
        return text


def site_page(*, n: int, total: int, row: Mapping[str, Any], info: Mapping[str, Any],
              loc: Mapping[str, Any], crs_label: str, png: str, legend_html: str,
              n_scored: int, better: float, checks: Sequence[Any], j: int,
              near: Mapping[str, Any], rth: Mapping[str, Any] | None, stab: Mapping | None,
              lang: str) -> str:
    tx = _tx(lang)
    pid = esc(row.get("parcel_id", ""))
    name = esc(row.get("name", "")) if _present(row.get("name")) else ""
    heading = name or pid
    out = [f'<div class="page site" id="site-{n}"><div class="head"><div>'
           f'<div class="kicker">{tx["site"].format(n=n, total=total)}</div>'
           f'<h2><span class="badge">{n}</span>{heading}</h2>'
           + (f'<div class="muted">ID {pid}</div>' if name else "") + "</div>"
           '<div class="score">' + tx["score_line"].format(
               score=num(row["score"], 1, lang), rank=num(row["rank"], 0, lang),
               shared=shared_text(row.get("rank_shared"), lang),
               n=num(n_scored, 0, lang), pct=num(better * 100, 0, lang)) + "</div></div>"]
    lat, lon = loc["lat"], loc["lon"]
    osm = (f"https://www.openstreetmap.org/?mlat={lat:.6f}&amp;mlon={lon:.6f}"
           f"#map=17/{lat:.6f}/{lon:.6f}")
    kv = [(tx["kelurahan"], _word(row.get("kelurahan"))),
          (tx["kecamatan"], _word(row.get("kecamatan"))),
          (tx["coords"], f"{num(lat, 6, lang)}; {num(lon, 6, lang)} · "
                         f'<a href="{osm}">{tx["osm"]}</a><br>'
                         f'<span class="paste" title="{_w.words(lang)["coords"]["paste"]}">'
                         f"{_w.coords_plain(lat, lon)}</span>"),
          (tx["utm"].format(crs=esc(crs_label)),
           f"E {num(loc['x'], 0, lang)} · N {num(loc['y'], 0, lang)}"),
          (tx["area"], f"{num(loc['area'] / 1e4, 2, lang)} ha "
                       f"({num(loc['area'], 0, lang)} m²)"),
          (tx["ownership"], value_word("ownership", row.get("ownership"), lang)),
          (tx["rights"], value_word("tipe_hak", row.get("tipe_hak"), lang)),
          (tx["land_use"], value_word("land_use", row.get("land_use"), lang))]
    kv_html = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in kv)
    out.append(f'<div class="grid"><div class="map"><img alt="map" src="{png}">'
               f"{legend_html}</div><div><h3 style=margin-top:0>{tx['location']}</h3>"
               f'<table class="kv">{kv_html}</table>{_sure(stab, lang)}</div></div>')
    out.append(_criteria_table(row, info, lang))
    out.append(_constraints_table(checks, j, lang))
    out.append(_neighbourhood(near, rth, lang))
    notes = notes_words(row, info, lang)
    if notes:
        out.append(f'<p class="src"><b>{tx["notes"]}:</b> {esc(notes)}</p>')
    out.append("</div>")
    return "".join(out)


def notes_words(row: Mapping[str, Any], info: Mapping[str, Any], lang: str) -> str:
    """A site's notes in the language (not escaped): the rules left out for want of data,
    and each criterion without a value (by road: no way found), made from the record."""
    skipped = [(x["kind"], _title(x, lang, x["name"]), x["reason"], x["layer"])
               for x in info.get("skipped", ())]
    missing = []
    for crit in info["criteria"]:   # a handful
        value = row.get(f"m_{crit['name']}")
        if isinstance(value, float | np.floating) and math.isnan(value):
            road = str(crit.get("measured_as") or "").split(" ")[0] in _ROAD_MEASURES
            missing.append((_title(crit, lang, crit["name"]), crit.get("missing") or 0.0, road))
    return _w.notes_text(skipped, missing, lang)


_ROAD_MEASURES = {"network_distance", "travel_time", "network_catchment"}


def layer_words(names: Sequence[str], lang: str) -> str:
    """Layer names as the brief says them ("admin, green-space"), joined."""
    words = _tx(lang)["layer_names"]
    return ", ".join(words.get(n) or _w.value_word("layer", n, lang) for n in names)


def shared_text(n: Any, lang: str) -> str:
    """", shared by N sites" when more than one site holds the rank, else ""."""
    try:
        n = int(n)
    except (TypeError, ValueError):
        return ""
    return _tx(lang)["shared"].format(n=num(n, 0, lang)) if n > 1 else ""


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) \
        and str(value).strip() not in {"", "<NA>", "nan"}


def _word(value: Any) -> str:
    return esc(value) if _present(value) else "–"


def _sure(stab: Mapping | None, lang: str) -> str:
    tx = _tx(lang)
    if stab is None:    # not computed: the page says nothing about it
        return ""
    text = tx["sure_line"].format(
        draws=num(stab["draws"], 0, lang) if stab.get("draws") is not None else "–",
        spread=num(stab["spread"], 2, lang) if stab.get("spread") is not None else "–",
        k=stab["top_k"], p=_pct(stab["p_top_k"], lang), lo=num(stab["rank_p05"], 0, lang),
        hi=num(stab["rank_p95"], 0, lang), mid=num(stab["rank_p50"], 0, lang))
    return f'<div class="sure block"><b>{tx["sure"]}</b><br>{text}</div>'


def _criteria_table(row: Mapping[str, Any], info: Mapping[str, Any], lang: str) -> str:
    tx = _tx(lang)
    body = []
    for crit in info["criteria"]:  # a handful of criteria
        name = crit["name"]
        measured = str(crit.get("measured_as") or "")
        fb = f'<br><span class="src">{tx["fallback"]}</span>' if "fallback" in measured \
            else ""
        src_html = _source(crit, lang)
        body.append(
            f"<tr><td>{esc(_title(crit, lang, name))}</td>"
            f"<td class=n>{raw_value(crit, row.get(f'm_{name}'), lang)}{fb}</td>"
            f"<td class=n>{num(row.get(f'c_{name}', math.nan), 2, lang)}</td>"
            f"<td class=n>+{num(row.get(f'contrib_{name}', math.nan), 1, lang)} "
            f"({_pct(crit.get('weight', math.nan), lang)}%)</td>"
            f"<td class=src>{src_html}</td></tr>")
    base = float(info.get("base_score") or 0.0)
    if base != 0.0:   # TOPSIS: the points add up to score - base
        body.append(f"<tr><td>{tx['base_row'].format(method=esc(str(info['method']).upper()))}"
                    f"</td><td class=n>–</td><td class=n>–</td>"
                    f"<td class=n>{'+' if base >= 0 else ''}{num(base, 1, lang)}</td>"
                    f"<td class=src>{tx['base_note']}</td></tr>")
    return (f"<section><h3>{tx['criteria']}</h3><table><thead><tr>"
            f"<th>{tx['criterion']}</th><th class=n>{tx['measured']}</th>"
            f"<th class=n>{tx['suitability']}</th><th class=n>{tx['points']}</th>"
            f"<th>{tx['basis']}</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
            "</section>")


def _constraints_table(checks: Sequence[Any], j: int, lang: str) -> str:
    tx = _tx(lang)
    if not checks:
        return f"<section><h3>{tx['constraints']}</h3><p>{tx['no_constraints']}</p></section>"
    body = []
    for chk in checks:  # a handful of rules
        con = chk.info
        met = bool(chk.met[j])
        verdict = (f'<span class="met">✓ {tx["met"]}</span>' if met else
                   f'<span class="notmet">✗ {tx["not_met"]}</span>')
        value = chk.value[j]
        if chk.kind == "distance":
            detail = distance_words(float(value), lang) if value is not None and \
                value == value else ""
        elif chk.kind == "area":
            detail = f"{num(float(value), 0, lang)} m²"
        elif chk.kind == "attribute":
            detail = value_word(str(con.get("column")), value, lang)
        else:
            detail = ""
        src_html = _source(con, lang)
        body.append(f"<tr><td>{esc(_w.rule_text(con, lang))}</td>"
                    f"<td class=nw>{verdict}{' · ' + detail if detail else ''}</td>"
                    f"<td class=src>{src_html}</td></tr>")
    return (f"<section><h3>{tx['constraints']}</h3><table><thead><tr>"
            f"<th>{tx['constraint']}</th><th>{tx['result']}</th><th>{tx['legal']}</th>"
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></section>")


def _neighbourhood(near: Mapping[str, Any], rth: Mapping[str, Any] | None, lang: str) -> str:
    tx = _tx(lang)
    rows = []
    radii = sorted(float(k.split("_", 1)[1]) for k in near if k.startswith("people_"))
    if radii:
        rows.append((tx["people_within"].format(r=" / ".join(distance_words(r, lang)
                                                            for r in radii)),
                     " / ".join(num(near[f"people_{r:g}"], 0, lang) for r in radii)
                     + f" {_w.unit_word('people', lang)}"))
    for kind in ("market", "school", "puskesmas", "park"):
        label = tx["nearest"].format(what=tx[kind])
        if not near.get(f"{kind}_known"):
            given = near.get(f"{kind}_given", True)
            what = tx["none_in_data"] if given else tx["not_given"].format(
                layers=layer_words([near.get(f"{kind}_layer", "")], lang))
            rows.append((label, f'<span class="muted">{what}</span>'))
            continue
        nm = near.get(f"{kind}_name")
        text = tx["nearest_line"].format(name=esc(nm) if _present(nm) else "–",
                                         straight=distance_words(near[f"{kind}_m"], lang))
        road = near.get(f"{kind}_road_m")
        if near.get("roads"):  # NaN: unreachable; inf: beyond the search limit
            text += " · " + (tx["by_road"].format(d=distance_words(road, lang))
                             if road is not None and math.isfinite(road) else tx["no_road"])
        rows.append((label, text))
    if rth is None or not _present(rth.get("public_share")):
        missing = [m for m in str(near.get("rth_missing") or "").split(",") if m]
        why = tx["rth_none"].format(layers=layer_words(missing, lang)) if missing \
            else tx["rth_outside"]
        rows.append((tx["rth_kel"].format(kel="–"), f'<span class="muted">{why}</span>'))
    else:
        share, target = float(rth["public_share"]), float(rth["public_target"])
        short = float(rth["public_shortfall_ha"])
        text = (tx["rth_ok"] if short <= 0 else tx["rth_line"]).format(
            share=_pct(share, lang, 1), target=_pct(target, lang), short=num(short, 1, lang))
        rows.append((tx["rth_kel"].format(kel=esc(rth.get("nama", ""))), text))
    kv = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<section><h3>{tx["neighbourhood"]}</h3><table class="kv">{kv}</table></section>'
