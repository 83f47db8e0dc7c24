"""Draw an allocation from :func:`siteplan.allocate` on a Folium map.

One colour per use, the sites numbered within each use, a popup per site
with its score for every use (and its member parcels when it is an assembled
site), a legend with what the plan achieves and how the plan of each use
choosing in turn compares to it, as a percent. Every text from data goes
through ``siteplan.render.words.esc``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError
from .words import ALLOCATION_TEXT as TEXT

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["render_allocation", "USE_COLOURS"]

#: one colour per use, in the order of the plan's uses (ColorBrewer Dark2)
USE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
               "#666666")
#: the candidate parcels under the sites: faint, so that the sites stand out
CANDIDATES = {"fillColor": "#e5e5e5", "color": "#a3a3a3", "weight": 0.6, "fillOpacity": 0.35,
              "opacity": 0.7}


def render_allocation(plan: gpd.GeoDataFrame, layers: Layers | None = None, *, m=None,
                      lang: str = "id",
                      results: Mapping[str, gpd.GeoDataFrame] | None = None,
                      context: bool = True, detail: int = 5000):
    """Draw an allocation: one colour per use, sites numbered within each use.

    Parameters
    ----------
    plan
        From :func:`siteplan.allocate`.
    layers
        The bundle that was allocated; when given (and ``context``), its
        context is drawn under the sites as layers to switch on and off, as
        on the score map: the candidate parcels (faint), the admin units by
        level and the roads by class (with their legend rows).
    m
        A folium.Map to add to; a new map when None.
    lang
        ``"id"`` (Indonesian, numbers as ``1.234,5``) or ``"en"``.
    results
        The score results that were allocated (use -> result): the candidate
        parcels drawn are their eligible rows. Without them, every parcel of
        ``layers`` is drawn, as "parcels".
    context
        ``False`` draws the sites only.
    detail
        At most this many candidate parcels are drawn one by one with their
        id on hover; more are drawn merged into one shape.

    Returns
    -------
    folium.Map
        One layer per use (named by the use's title), a numbered marker per
        site, a popup with the site's score for every use, a legend, and the
        context layers.

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> results = {u: sp.score(layers, u) for u in ["rth", "wisata_religi"]}
    >>> plan = sp.allocate(results, layers, {"rth": 2, "wisata_religi": 1})
    >>> m = sp.render_allocation(plan, layers, lang="en", results=results)
    >>> type(m).__name__
    'Map'
    """
    import folium

    from ..scoring.record import maybe_record
    from . import style as st
    from ._folium import layer_control_last, new_map

    if lang not in st.LANGS:
        raise SiteplanInputError(Problem("render_allocation", f"unknown lang {lang!r}",
                                         "use 'id' or 'en'"))
    info = plan.attrs.get("allocation")
    if not isinstance(plan, gpd.GeoDataFrame) or info is None or "use" not in plan.columns:
        raise SiteplanInputError(Problem("render_allocation", "plan is not a result of "
                                         "sp.allocate (no attrs['allocation'] or 'use')",
                                         "pass the GeoDataFrame sp.allocate returned"))
    tx = TEXT[lang]
    uses = list(info["uses"])
    colour = {u: USE_COLOURS[i % len(USE_COLOURS)] for i, u in enumerate(uses)}
    title = {u: str((info.get("titles", {}).get(u) or {}).get(lang) or u) for u in uses}
    frame = plan.to_crs(4326) if plan.crs is not None else plan
    frame = frame.reset_index(drop=True)
    text = _site_text(frame, uses, title, tx, lang, st)
    if m is None:
        b = frame.total_bounds if len(frame) else (106.1, -6.15, 106.2, -6.05)
        m = new_map([(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=12)
        if len(frame):
            st.fit_bounds(m, [[b[1], b[0]], [b[3], b[2]]], padding=(30, 30))
    st.add_css(m, _CSS)
    extra: list[str] = []
    if layers is not None and context:
        extra = _context(m, layers, results, tx, lang, detail)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    geoms = shapely.set_precision(geoms, 1e-6)
    pts = shapely.point_on_surface(geoms)
    for use in uses:                                   # a handful of uses
        rows = np.flatnonzero(frame["use"].to_numpy() == use)
        if not len(rows):
            continue
        group = folium.FeatureGroup(name=f"{st.esc1(title[use])} ({len(rows)})", show=True)
        fc = st.feature_collection(geoms[rows], {"t": text["tip"].iloc[rows],
                                                 "p": text["pop"].iloc[rows]})
        col = colour[use]
        folium.GeoJson(fc, style_function=lambda _f, c=col: {
            "color": c, "weight": 2.5, "fillColor": c, "fillOpacity": 0.55},
            highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.75},
            tooltip=folium.GeoJsonTooltip(["t"], labels=False, localize=False, sticky=True),
            popup=folium.GeoJsonPopup(["p"], labels=False, localize=False, max_width=380),
        ).add_to(group)
        for r in rows:                                  # the use's few sites
            label = str(int(frame["pick"].iat[r]))
            folium.Marker(
                [round(pts[r].y, 6), round(pts[r].x, 6)],
                icon=folium.DivIcon(html=f'<div class="sp-alloc" style="background:{col}">'
                                    f"{label}</div>", icon_size=(24, 24),
                                    icon_anchor=(12, 12), class_name="sp-alloc-icon"),
                tooltip=folium.Tooltip(str(text["tip"].iat[r]), sticky=False),
                popup=folium.Popup(str(text["pop"].iat[r]), max_width=380),
            ).add_to(group)
        group.add_to(m)
    rec = maybe_record(plan)
    synthetic = bool(layers.synthetic) if layers is not None else bool(
        rec is not None and rec.provenance.synthetic)
    counts = frame["use"].value_counts()
    line = " · ".join(st.esc1(title[u]) + " " + st.fmt1(int(counts.get(u, 0)), 0, lang)
                      for u in uses)
    st.title_box(m, tx["title"], line, synthetic=synthetic, lang=lang)
    st.HtmlControl(_legend(frame, info, uses, title, colour, tx=tx, lang=lang, st=st,
                           extra=extra),
                   position="bottomleft", class_name="sp-box sp-legend",
                   fold=st.esc1(st.TEXT[lang]["legend"])).add_to(m)
    layer_control_last(m)
    return m


_CSS = """
.sp-alloc{width:24px;height:24px;border-radius:12px;color:#fff;border:2px solid #fff;
 box-shadow:0 1px 4px rgba(0,0,0,.6);font:700 12px/20px system-ui,sans-serif;
 text-align:center;box-sizing:border-box}
.sp-alloc-icon{background:none;border:none}
.sp-pop td.mine{font-weight:700}
"""


def _site_text(frame, uses, title, tx, lang, st) -> dict[str, pd.Series]:
    """Tooltip and popup HTML per site, column-wise from escaped values."""
    n = len(frame)
    empty = pd.Series("", index=range(n), dtype="string")
    pid = st.esc(frame["parcel_id"])
    name = st.esc(frame["name"]) if "name" in frame.columns else empty
    use_title = st.esc(frame["use"].map(title))
    pick = frame["pick"].astype(int).astype("string")
    score = st.fmt_fixed(frame["score"], 1, lang)
    tip = use_title + " #" + pick + ": " + name.where(name != "", pid) + " (" + \
        tx["score"] + " " + score + ")"
    kel = st.esc(frame["kelurahan"]) if "kelurahan" in frame.columns else empty
    kec = st.esc(frame["kecamatan"]) if "kecamatan" in frame.columns else empty
    meta = st.join_nonempty([pid, pd.Series(np.where(kel != "", tx["kel"] + " " + kel, ""),
                                            dtype="string"),
                             pd.Series(np.where(kec != "", tx["kec"] + " " + kec, ""),
                                       dtype="string")], " · ")
    rank = st.fmt_int(frame["rank"], lang)
    pop = ("<div class=sp-pop><h4>" + name.where(name != "", pid) + "</h4><div class=m>" +
           meta + "</div><div class=s><b>" + use_title + " #" + pick + "</b> · " +
           tx["score"] + " " + score + " (" + tx["rank"] + " " + rank + ")</div>")
    if "fixed" in frame.columns:
        pop = pop + pd.Series(np.where(frame["fixed"].to_numpy(bool),
                                       f"<div class=m>{tx['fixed']}</div>", ""), dtype="string")
    if "people_added" in frame.columns:
        before, after = tx["people"].split("{n}")
        pop = pop + "<div class=st>" + before + st.fmt_int(frame["people_added"], lang) + \
            after + "</div>"
    table = pd.Series(f"<table><tr><th>{tx['use']}<th><th>{tx['score']}", index=range(n),
                      dtype="string")
    for use in uses:                                   # a handful of uses
        col = f"score_{use}"
        s = pd.to_numeric(frame[col], errors="coerce") if col in frame.columns else \
            pd.Series(np.nan, index=range(n))
        pct = st.fmt_int(np.clip(np.nan_to_num(s.to_numpy(float)), 0, 100), "en")
        val = st.fmt_fixed(s, 1, lang).where(s.notna(), tx["not_eligible"])
        mine = pd.Series(np.where(frame["use"].to_numpy() == use, " class=mine", ""),
                         dtype="string")
        table = table + "<tr><td" + mine + ">" + st.esc1(title[use]) + \
            "<td><i style=width:" + pct + "%></i><td" + mine + ">" + val
    pop = pop + table + "</table>"
    if "greedy_use" in frame.columns:
        g = frame["greedy_use"].fillna("").astype(str)
        gt = st.esc(g.map(lambda u: title.get(u, u)))   # a handful of distinct uses
        before, after = tx["greedy_gave"].split("{use}")
        pop = pop + "<div class=m>" + before + gt.where(g.to_numpy() != "", tx["greedy_none"]) \
            + after + "</div>"
    if "members" in frame.columns:
        nm = pd.to_numeric(frame["n_members"], errors="coerce").fillna(1).to_numpy(float) \
            if "n_members" in frame.columns else np.ones(n)
        members = st.esc(frame["members"].astype("string").str.replace(";", ", ", regex=False))
        before, after = tx["members"].split("{n}")
        pop = pop + pd.Series(np.where(nm > 1, "<div class=m>" + before + st.fmt_int(nm, lang)
                                       + after + ": " + members + "</div>", ""), dtype="string")
    return {"tip": tip.reset_index(drop=True), "pop": (pop + "</div>").reset_index(drop=True)}


def _legend(frame, info, uses, title, colour, *, tx, lang, st, extra=()) -> str:
    rows = [f"<div class=h>{tx['title']}</div>"]
    counts = frame["use"].value_counts()
    for use in uses:                                   # a handful of uses
        n = int(counts.get(use, 0))
        if not n and not info["demand"].get(use):
            continue
        rows.append(f'<div class=r><i style="background:{colour[use]}"></i>'
                    f"{st.esc1(title[use])} <span class=c>({st.fmt1(n, 0, lang)} "
                    f"{tx['sites']})</span></div>")
    rows.append(f"<div class=n>{_plan_words(info, tx, lang, st)}</div>")
    if extra:
        rows.append(f"<details><summary>{tx['context']}</summary>{''.join(extra)}</details>")
    return "".join(rows)


def _plan_words(info: Mapping, tx: Mapping[str, str], lang: str, st) -> str:
    """What the plan achieves, what kind of plan it is, and how the plan of each use
    choosing in turn compares, as a percent of it: in a partner's words.

    A plan the solver proved optimal is the best possible sharing; one it
    stopped early is the best found in the time; the sequential plan (asked
    for, or returned when the solver found none) is said to be one.
    """
    dec = 1 if info["objective"] == "score" else 0
    value = float(info["value"])
    words = [f"{tx['objective_' + str(info['objective'])]}: {st.fmt1(value, dec, lang)}."]
    status = str(info.get("status") or "")
    if status == "greedy" or "greedy plan" in status:
        words.append(tx["plan_turns"])
        return " ".join(words)
    best = status.startswith("optimal")
    words.append(tx["plan_best" if best else "plan_found"])
    g = (info.get("greedy") or {}).get("value")
    if g is not None and value > 0:
        pct = st.fmt1(100.0 * float(g) / value, 1, lang) + "%"
        words.append(tx["in_turn_best" if best else "in_turn_found"].format(
            value=st.fmt1(float(g), dec, lang), pct=pct))
    return " ".join(words)


def _context(m, layers, results, tx, lang, detail) -> list[str]:
    """Candidate parcels (faint), admin units and roads under the sites; legend rows.

    The admin units and roads are the score map's own layers
    (:func:`siteplan.render.score_map._add_context`), switched on and off in
    the layer control.
    """
    import folium

    from ..layers._utm import utm_crs
    from . import style as st
    from .score_map import _add_context, _Canvas, _merge, _to_4326

    crs = getattr(layers, "crs", None)
    if crs is None or not crs.is_projected:
        parcels = layers.get("parcels")
        crs = utm_crs(parcels) if isinstance(parcels, gpd.GeoDataFrame) and \
            len(parcels) else "EPSG:32748"
    cands, name = _candidates(layers, results, tx)
    if cands is not None and len(cands):
        g = np.asarray(cands.to_crs(crs).geometry.array, dtype=object)
        ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
        g, ids = g[ok], cands["parcel_id"].astype("string").fillna("")[ok] \
            if "parcel_id" in cands.columns else pd.Series("", index=cands.index)[ok]
        tips = st.esc(ids.reset_index(drop=True))
        if len(g) > detail:               # the rest merged into one shape, no hover text
            merged, _, _ = _merge(g[detail:], np.zeros(len(g) - detail, dtype=int))
            g = np.concatenate([g[:detail], merged])
            tips = pd.concat([tips.iloc[:detail], pd.Series([name], dtype="string")],
                             ignore_index=True)
        fc = st.feature_collection(_to_4326(g, crs, 1.0, 6), {"t": tips})
        folium.GeoJson(fc, name=name, style_function=lambda _f: dict(CANDIDATES),
                       tooltip=folium.GeoJsonTooltip(["t"], labels=False, localize=False,
                                                     sticky=True, class_name="sp-tip"),
                       ).add_to(m)
    rows = [f'<div class=r><i style="background:{CANDIDATES["fillColor"]};border-color:'
            f'{CANDIDATES["color"]}"></i>{name}</div>'] if cands is not None and len(cands) \
        else []
    info: dict[str, list] = {"constraints": []}
    return rows + _add_context(_Canvas(m, lang, crs, 1.0, 6), layers, info, ("admin", "roads"))


def _candidates(layers, results, tx) -> tuple[gpd.GeoDataFrame | None, str]:
    """The parcels to draw faint: the eligible rows of ``results`` (one per parcel_id), else
    every parcel of ``layers``."""
    if results:
        parts = []
        for res in results.values():       # a handful of uses
            if not isinstance(res, gpd.GeoDataFrame) or res.crs is None:
                continue
            ok = res["eligible"].fillna(False).astype(bool) if "eligible" in res.columns \
                else pd.to_numeric(res.get("score"), errors="coerce").notna()
            parts.append(res.loc[ok.to_numpy(bool), [c for c in ("parcel_id", "geometry")
                                                     if c in res.columns]].to_crs(4326))
        if parts:
            both = pd.concat(parts, ignore_index=True)
            if "parcel_id" in both.columns:
                both = both.drop_duplicates("parcel_id")
            return gpd.GeoDataFrame(both, geometry="geometry", crs=4326), tx["candidates"]
    parcels = layers.get("parcels")
    if isinstance(parcels, gpd.GeoDataFrame) and parcels.crs is not None:
        return parcels, tx["parcels"]
    return None, tx["parcels"]
