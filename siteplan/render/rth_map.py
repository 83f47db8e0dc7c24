"""The RTH need map: public green-space share per admin unit, classed on the data.

In a city where almost every unit is far below the 20 % public target (63 of
Kota Serang's 67 kelurahan under 5 %), fixed classes at the standard's
thresholds paint one colour. The units below the target are classed on their
own values instead (quantiles, up to four classes, red to yellow), the units
that meet it form one green class, and the legend states the standard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

from .._errors import Problem, SiteplanInputError
from ._folium import new_map
from .classes import class_labels, score_classes
from .words import TEXT, check_lang, esc, esc1, fmt_fixed, fmt_int

if TYPE_CHECKING:
    import folium

__all__ = ["render_rth", "rth_classes"]

#: the classes below the target, furthest below first (ColorBrewer RdYlGn's red half)
BELOW = ("#d7191c", "#f46d43", "#fdae61", "#fee08b")
#: the units that meet the public target
MET = "#1a9641"
NO_DATA = "#bdbdbd"
#: the public share UU 26/2007 asks of every unit (the total target is 30 %)
PUBLIC_TARGET = 0.20


def rth_classes(share, lang: str) -> dict:
    """The map's classes of public RTH share: a colour per unit and the legend's rows.

    Units below :data:`PUBLIC_TARGET` are classed by quantiles of their own
    shares (in per cent; fewer classes when fewer distinct values), the
    lowest class starting at the lowest share; units at or above it are one
    class; units without a share have none. Returns ``fill`` (a colour per
    unit) and ``rows``: ``(colour, label, count)`` from the best class down.

    Examples
    --------
    >>> c = rth_classes([0.0, 0.02, 0.04, 0.06, 0.30, float("nan")], "en")
    >>> [(label, n) for _, label, n in c["rows"]]  # doctest: +NORMALIZE_WHITESPACE
    [('≥ 20 % · public target met', 1), ('4.5 – 6.0 %', 1), ('3.0 – 4.5 %', 1),
     ('1.5 – 3.0 %', 1), ('0.0 – 1.5 %', 1)]
    """
    lab = check_lang(lang, "render_rth")
    pct = 100 * np.asarray(share, dtype=float)
    fill = np.full(len(pct), NO_DATA, dtype=object)
    ok = np.isfinite(pct)
    met = ok & (pct >= 100 * PUBLIC_TARGET)
    below = ok & ~met
    fill[met] = MET
    rows = [(MET, lab["rth_met"].format(t=fmt_fixed([100 * PUBLIC_TARGET], 0, lang).iloc[0]),
             int(met.sum()))]
    if below.any():
        bins, yb = score_classes(pct[below], "quantiles", len(BELOW))
        k = len(bins)
        pal = [BELOW[i] for i in np.round(np.linspace(0, len(BELOW) - 1, k)).astype(int)] \
            if k > 1 else [BELOW[0]]
        fill[below] = np.asarray(pal, dtype=object)[yb]
        lows = [float(pct[below].min()), *bins[:-1]]
        edges = np.unique(np.r_[lows, bins])    # one decimal, two when one hides a break
        decimals = 1 if len(set(fmt_fixed(edges, 1, lang))) == len(edges) else 2
        labels = class_labels(lows, bins, lang, decimals)
        counts = np.bincount(yb, minlength=k)
        rows += [(pal[i], labels[i] + " %", int(counts[i])) for i in reversed(range(k))]
    return {"fill": fill, "rows": rows, "k_below": len(rows) - 1}


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
        The units below the 20 % public target in up to four classes of their
        own shares (quantiles), the units that meet it in one (see
        :func:`rth_classes`), a legend stating the standard, and a tooltip per
        unit with its name, shares, shortfall and people beyond reach.

    Examples
    --------
    >>> import siteplan as sp
    >>> m = sp.render_rth(sp.rth_gaps(sp.load_sample()), lang="en")
    >>> type(m).__name__
    'Map'
    """
    import folium

    from .style import HtmlControl, add_css, fit_bounds, title_box

    lab = check_lang(lang, "render_rth")
    need = ("nama", "public_share", "total_share", "public_shortfall_ha")
    if not isinstance(gaps, gpd.GeoDataFrame) or gaps.crs is None or \
            any(c not in gaps.columns for c in need):
        raise SiteplanInputError(Problem("render_rth", "needs the GeoDataFrame that "
                                         "sp.rth_gaps returns (with a CRS and columns "
                                         f"{', '.join(need)})", "pass sp.rth_gaps(layers)"))
    g = gaps.loc[gaps.geometry.notna() & ~gaps.geometry.is_empty].to_crs(4326)
    share = g["public_share"].to_numpy(dtype=float)
    classes = rth_classes(share, lang)
    fill = classes["fill"]

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
        fit_bounds(m, [[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        data, name=lab["rth_layer"],
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=list(props), aliases=list(esc(aliases))),
    ).add_to(m)
    add_css(m)
    meta = gaps.attrs.get("siteplan_rth") or {}
    line = esc1(lab["rth_caption"]) + " · " + fmt_int([len(g)], lang).iloc[0] + " " + \
        esc1(lab["rth_unit"].lower())
    title_box(m, lab["rth_layer"], line, synthetic=bool(meta.get("synthetic")), lang=lang)
    HtmlControl(_legend(classes, share, lang), position="bottomleft",
                class_name="sp-box sp-legend", fold=esc1(TEXT[lang]["legend"])).add_to(m)
    return m


def _legend(classes: dict, share: np.ndarray, lang: str) -> str:
    """The classes of public RTH share with their unit counts, the target's class first."""
    lab = check_lang(lang, "render_rth")
    rows = [f"<div class=h>{esc([lab['rth_layer']])[0]}</div>"]
    for colour, label, n in classes["rows"]:
        rows.append(f'<div class=r><i style="background:{colour}"></i>{label} '
                    f"<span class=c>({fmt_int([n], lang).iloc[0]})</span></div>")
    if not np.isfinite(share).all():
        rows.append(f"<div class=r><i class=ex></i>{lab['na']} "
                    f"<span class=c>({int((~np.isfinite(share)).sum())})</span></div>")
    rows.append(f"<div class=c>{esc([lab['rth_caption']])[0]}</div>")
    if classes["k_below"]:
        rows.append(f"<div class=c>{esc1(lab['rth_classes'].format(k=classes['k_below']))}"
                    "</div>")
    return "".join(rows)
