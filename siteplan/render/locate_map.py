"""The map of a location plan (:func:`siteplan.locate_sites`): sites and whom each serves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import words as _w
from ._folium import layer_control_last, new_map
from .words import TEXT, check_lang, esc, esc1, fmt_int

if TYPE_CHECKING:
    from ..locate.sites import SitePlan

__all__ = ["render_plan"]

_PALETTE = ("#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#c2410c", "#0e7490", "#a21caf",
            "#4d7c0f", "#be123c", "#1e40af")


def render_plan(site_plan: SitePlan, *, m=None, lang: str = "id"):
    """Draw a location plan: chosen sites, existing facilities and the demand units they serve.

    Parameters
    ----------
    site_plan
        From :func:`siteplan.locate_sites`.
    m
        A folium.Map to add to (e.g. from :func:`siteplan.render_map`); a new map when None.
    lang
        ``"id"`` or ``"en"``; numbers in the language's format.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import siteplan as sp
    >>> from siteplan.render.locate_map import render_plan
    >>> layers = sp.load_sample()
    >>> plan = sp.locate_sites(sp.score(layers, "rth"), layers, k=2, cell=2000, min_score=60)
    >>> type(render_plan(plan, lang="en")).__name__
    'Map'
    """
    import folium

    from ..scoring.record import maybe_record
    from .style import HtmlControl, open_on

    check_lang(lang, "render_plan")
    words = _w.words(lang)["locate"]
    sites = site_plan.sites.to_crs(4326)
    old = site_plan.existing.to_crs(4326) if len(site_plan.existing) else site_plan.existing
    demand = site_plan.demand.to_crs(4326)
    fresh = m is None
    if m is None:
        c = demand.union_all().centroid if len(demand) else sites.union_all().centroid
        m = new_map(location=[c.y, c.x], zoom_start=13)
    ids = sites["parcel_id"].astype(str).tolist()
    colour = {pid: _PALETTE[i % len(_PALETTE)] for i, pid in enumerate(ids)}
    group = folium.FeatureGroup(name=words["demand"], show=True)
    if len(demand):
        site = demand["site"].astype(object).to_numpy()
        colours = np.array([colour.get(s, "#6b7280") if s is not None else "#111827"
                            for s in site], dtype=object)  # one per demand unit
        tips = esc(fmt_int(demand["people"], lang) + " " + words["people"] + " → "
                   + demand["site"].fillna(words["none"]).astype(str))
        xy = np.column_stack([demand.geometry.y, demand.geometry.x])
        for (lat, lon), col, tip in zip(xy, colours, tips, strict=True):  # demand units
            folium.CircleMarker([lat, lon], radius=3, color=col, fill=True, fill_opacity=0.7,
                                weight=0, tooltip=tip).add_to(group)
    group.add_to(m)
    chosen = folium.FeatureGroup(name=f"{words['title']} ({site_plan.plan.model})", show=True)
    pts = sites.geometry.representative_point()
    labels = esc(sites["parcel_id"].astype(str) + ": " + fmt_int(sites["people"], lang)
                 .to_numpy() + " " + words["people"] + ", " + words["mean"] + " "
                 + fmt_int(sites["mean_cost"].fillna(0), lang).to_numpy() + " m")
    for i, (pt, label, pid) in enumerate(zip(pts, labels, ids, strict=True)):  # k markers
        folium.Marker([pt.y, pt.x], tooltip=label, icon=folium.DivIcon(
            icon_size=(34, 18), icon_anchor=(17, 9),
            html=f'<div style="background:{colour[pid]};color:#fff;border-radius:4px;'
                 f'text-align:center;white-space:nowrap;'
                 f'font:bold 12px/18px sans-serif">P{i + 1}</div>')).add_to(chosen)
    if len(old):
        for pt in old.geometry.representative_point():  # existing facilities
            folium.CircleMarker([pt.y, pt.x], radius=6, color="#374151", fill=True,
                                tooltip=esc1(words["existing"])).add_to(chosen)
    chosen.add_to(m)
    if fresh:   # open on the plan: every demand unit, chosen site and facility
        rec = maybe_record(site_plan.sites)
        open_on(m, (demand, sites, old), words["title"], _caption(site_plan, words, lang),
                synthetic=bool(rec is not None and rec.provenance.synthetic), lang=lang)
        HtmlControl(_legend(site_plan, colour, words), position="bottomleft",
                    class_name="sp-box sp-legend", fold=esc1(TEXT[lang]["legend"])).add_to(m)
    layer_control_last(m)
    return m


def _caption(site_plan: SitePlan, words: dict, lang: str) -> str:
    """What the plan does, in the reader's words: the model, the sites, the people served."""
    model = site_plan.plan.model
    served = site_plan.demand.loc[site_plan.demand["site"].notna()]
    people = float(served["people"].sum())
    mean = float((served["people"] * served["cost"]).sum() / people) if people > 0 else 0.0
    return (esc1(words["models"].get(model, model)) + " · "
            + fmt_int([len(site_plan.sites)], lang).iloc[0] + " " + esc1(words["sites"])
            + "<br>" + fmt_int([people], lang).iloc[0] + " "
            + esc1(words["served"].format(mean=fmt_int([mean], lang).iloc[0])))


def _legend(site_plan: SitePlan, colour: dict, words: dict) -> str:
    """The plan's symbols: numbered sites in their colours, the squares of people, facilities."""
    chips = "".join(f'<i style="background:{c}"></i>' for c in list(colour.values())[:5])
    rows = [f"<div class=h>{esc1(words['title'])}</div>",
            f"<div class=r>{chips}{esc1(words['legend_site'])}</div>",
            f"<div class=r><i style=\"background:#6b7280;border-radius:50%\"></i>"
            f"{esc1(words['legend_demand'])}</div>",
            f"<div class=r><i style=\"background:#111827;border-radius:50%\"></i>"
            f"{esc1(words['legend_none'])}</div>"]
    if len(site_plan.existing):
        rows.append(f"<div class=r><i style=\"background:#374151;border-radius:50%\"></i>"
                    f"{esc1(words['legend_existing'])}</div>")
    return "".join(rows)

