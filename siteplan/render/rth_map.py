"""The RTH need map: public green-space share per admin unit, 20% and 30% marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

from .._errors import Problem, SiteplanInputError
from ..rth.need import SHARE_BREAKS
from ._folium import new_map
from .words import TEXT, check_lang, esc, esc1, fmt_fixed, fmt_int

if TYPE_CHECKING:
    import folium

__all__ = ["render_rth"]

_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")


def render_rth(gaps: gpd.GeoDataFrame, *, lang: str = "id",
               m: folium.Map | None = None) -> folium.Map:
    """A choropleth of the public RTH share per unit, with the 20% and 30% targets as breaks.

    Parameters
    ----------
    gaps
        From :func:`siteplan.rth_gaps`.
    lang
        ``"id"`` (Indonesian, default) or ``"en"`` for the legend and tooltips;
        numbers in the language's format.
    m
        A map to add the layer to; a new one when None.

    Returns
    -------
    folium.Map
        Classes 0-5, 5-10, 10-20, 20-30 and 30-100% (see
        :data:`siteplan.rth.SHARE_BREAKS`), a legend, and a tooltip per unit
        with its name, shares, shortfall and people beyond reach.

    Examples
    --------
    >>> import siteplan as sp
    >>> m = sp.render_rth(sp.rth_gaps(sp.load_sample()), lang="en")
    >>> type(m).__name__
    'Map'
    """
    import folium
    import mapclassify

    from .style import CSS, HtmlControl, title_box

    lab = check_lang(lang, "render_rth")
    need = ("nama", "public_share", "total_share", "public_shortfall_ha")
    if not isinstance(gaps, gpd.GeoDataFrame) or gaps.crs is None or \
            any(c not in gaps.columns for c in need):
        raise SiteplanInputError(Problem("render_rth", "needs the GeoDataFrame that "
                                         "sp.rth_gaps returns (with a CRS and columns "
                                         f"{', '.join(need)})", "pass sp.rth_gaps(layers)"))
    g = gaps.loc[gaps.geometry.notna() & ~gaps.geometry.is_empty].to_crs(4326)
    share = g["public_share"].to_numpy(dtype=float)
    fill = np.full(len(g), "#bdbdbd", dtype=object)
    ok = np.isfinite(share)
    if ok.any():
        yb = mapclassify.UserDefined(np.clip(share[ok], 0, 1), bins=list(SHARE_BREAKS[1:])).yb
        fill[ok] = np.asarray(_COLOURS, dtype=object)[yb]

    def pct(values) -> list[str]:
        v = np.asarray(values, dtype=float)
        return list((fmt_fixed(100 * v, 1, lang) + "%").where(np.isfinite(v), lab["na"]))

    props = {"unit": list(esc(g["nama"])), "share": pct(share), "total": pct(g["total_share"]),
             "short": list(fmt_fixed(g["public_shortfall_ha"], 1, lang) + " ha")}
    aliases = [lab["rth_unit"], lab["rth_share"], lab["rth_total"], lab["rth_short"]]
    if "population" in g.columns:
        props["pop"] = list(fmt_int(g["population"], lang))
        aliases.append(lab["rth_pop"])
    for c in [c for c in g.columns if c.startswith("pop_beyond_")]:
        props[c] = list(fmt_int(g[c], lang))
        aliases.append(lab["rth_beyond"].format(r=c[len("pop_beyond_"):-1]))
    data = gpd.GeoDataFrame({**props, "_fill": fill}, geometry=g.geometry.to_numpy(),
                            crs=4326)
    if m is None:
        minx, miny, maxx, maxy = data.total_bounds
        m = new_map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=12)
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        data, name=lab["rth_layer"],
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=list(props), aliases=list(esc(aliases))),
    ).add_to(m)
    # folium types get_root() as an Element; a map's root is its Figure, which has a header
    m.get_root().header.add_child(folium.Element(f"<style>{CSS}</style>"), name="siteplan_css")  # type: ignore[union-attr]
    meta = gaps.attrs.get("siteplan_rth") or {}
    line = esc1(lab["rth_caption"]) + " · " + fmt_int([len(g)], lang).iloc[0] + " " + \
        esc1(lab["rth_unit"].lower())
    title_box(m, lab["rth_layer"], line, synthetic=bool(meta.get("synthetic")), lang=lang)
    HtmlControl(_legend(fill, share, lang), position="bottomleft",
                class_name="sp-box sp-legend", fold=esc1(TEXT[lang]["legend"])).add_to(m)
    return m


def _legend(fill: np.ndarray, share: np.ndarray, lang: str) -> str:
    """The classes of public RTH share with their unit counts; the 20 % target marked."""
    lab = check_lang(lang, "render_rth")
    edges = fmt_fixed(100 * np.asarray(SHARE_BREAKS), 0, lang)
    rows = [f"<div class=h>{esc([lab['rth_layer']])[0]}</div>"]
    for k, colour in reversed(list(enumerate(_COLOURS))):      # best class first
        n = int((fill == colour).sum())
        label = f"{edges[k]}–{edges[k + 1]} %"
        if SHARE_BREAKS[k] == 0.20:
            label += f" · {lab['rth_target']}"
        rows.append(f'<div class=r><i style="background:{colour}"></i>{label} '
                    f"<span class=c>({n})</span></div>")
    if not np.isfinite(share).all():
        rows.append(f"<div class=r><i class=ex></i>{lab['na']} "
                    f"<span class=c>({int((~np.isfinite(share)).sum())})</span></div>")
    rows.append(f"<div class=c>{esc([lab['rth_caption']])[0]}</div>")
    return "".join(rows)
