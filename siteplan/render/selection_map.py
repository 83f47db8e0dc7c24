"""The map of sites chosen together (:func:`siteplan.select_sites`), with their reach."""

from __future__ import annotations

import geopandas as gpd

from ._folium import layer_control_last, new_map
from .words import check_lang, esc, esc1, fmt_int

__all__ = ["render_selection"]


def render_selection(chosen: gpd.GeoDataFrame, *, m=None, lang: str = "id"):
    """Draw chosen sites with their reach (a ring of ``radius`` metres) on a folium map.

    Parameters
    ----------
    chosen
        From :func:`siteplan.select_sites`.
    m
        A folium.Map to add to (for example from :func:`siteplan.render_map`); a new
        map when None.
    lang
        ``"id"`` or ``"en"`` for the labels; numbers in the language's format.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> chosen = sp.select_sites(sp.score(layers, "rth"), layers, k=2, radius=500)
    >>> type(sp.render_selection(chosen, lang="en")).__name__
    'Map'
    """
    import folium

    lab = check_lang(lang, "render_selection")
    sel = chosen.attrs.get("selection", {})
    radius = float(sel.get("radius", 1000.0))
    reach = gpd.GeoDataFrame({"pick": chosen["pick"].to_numpy()},
                             geometry=chosen.geometry.buffer(radius, quad_segs=16).to_numpy(),
                             crs=chosen.crs).to_crs(4326)
    sites = chosen.to_crs(4326)
    fresh = m is None
    if m is None:
        c = sites.union_all().centroid
        m = new_map(location=[c.y, c.x], zoom_start=13)
    group = folium.FeatureGroup(name=f"{lab['sel_title']} ({fmt_int([radius], lang)[0]} m)",
                                show=True)
    folium.GeoJson(reach.__geo_interface__, style_function=lambda _: {
        "color": "#1d4ed8", "weight": 2, "fillColor": "#60a5fa", "fillOpacity": 0.12},
        ).add_to(group)
    labels = esc(sites["pick"].astype(str) + ". " + sites["parcel_id"].astype(str) + ": +"
                 + fmt_int(sites["people_added"], lang).to_numpy() + " " + lab["sel_people"])
    pts = sites.geometry.representative_point()
    for pick, pt, label in zip(sites["pick"], pts, labels, strict=True):  # k markers
        folium.Marker([pt.y, pt.x], tooltip=label, icon=folium.DivIcon(
            icon_size=(34, 18), icon_anchor=(17, 9), class_name="sp-pick",
            html=f'<div style="background:#1d4ed8;color:#fff;border-radius:4px;'
                 f'text-align:center;white-space:nowrap;line-height:18px;'
                 f'font:bold 12px/18px sans-serif">P{int(pick)}</div>')
                      ).add_to(group)
    group.add_to(m)
    from ..scoring.record import maybe_record
    from .style import HtmlControl, add_css, open_on

    if fresh:   # a map of its own opens on every ring and says what it shows
        rec = maybe_record(chosen)
        line = esc1(lab["sel_line"].format(
            k=fmt_int([len(sites)], lang)[0], r=fmt_int([radius], lang)[0],
            people=fmt_int([float(sites["people_added"].sum())], lang)[0]))
        open_on(m, (reach,), lab["sel_title"], line,
                synthetic=bool(rec is not None and rec.provenance.synthetic), lang=lang)
    else:       # over another map: its legend below needs the style sheet too
        add_css(m)
    rings = esc1(lab["sel_rings"].format(r=fmt_int([radius], lang)[0]))
    HtmlControl(f"<div class=h>{esc1(lab['sel_title'])}</div><div>{rings}</div>",
                position="bottomleft", class_name="sp-box sp-legend",
                fold=esc1(lab["legend"])).add_to(m)
    layer_control_last(m)
    return m

