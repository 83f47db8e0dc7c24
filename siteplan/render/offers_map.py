"""The site offers of the register on a map, coloured by state (:func:`siteplan.render_offers`)."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from ..register.words import REGISTER_TEXT, STATE_COLOURS, state_word
from ._folium import layer_control_last, new_map
from .words import TEXT, check_lang, esc, esc1, fmt_fixed, fmt_int

__all__ = ["render_offers"]


def render_offers(offers: gpd.GeoDataFrame, *, m=None, lang: str = "id", show: bool = True):
    """Draw the register's offers on a folium map, one colour per state.

    Parameters
    ----------
    offers
        ``reg.offers()`` (:meth:`siteplan.register.Register.offers`), all or a
        selection.
    m
        A folium.Map to add the layer to (for example from
        :func:`siteplan.render_map`); a new map when None.
    lang
        ``"id"`` or ``"en"``.
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import siteplan as sp
    >>> from siteplan.register.sample import sample_register
    >>> reg = sample_register(pathlib.Path(tempfile.mkdtemp()) / "offers.gpkg")
    >>> m = sp.render_offers(reg.offers(), lang="en")
    >>> type(m).__name__
    'Map'
    >>> reg.close()
    """
    import folium

    from .style import HtmlControl, open_on

    check_lang(lang, "render_offers")
    tx = REGISTER_TEXT[lang]
    off = offers.loc[offers.geometry.notna().to_numpy() & ~offers.geometry.is_empty.to_numpy()]
    off = off.to_crs(4326) if off.crs is not None else off
    fresh = m is None
    if m is None:
        if len(off):
            c = off.union_all().centroid
            m = new_map(location=[c.y, c.x], zoom_start=13)
        else:
            m = new_map(location=[-6.12, 106.15], zoom_start=12)
    states = off["state"].astype(str).reset_index(drop=True)
    since = pd.to_datetime(off["since"], utc=True).dt.strftime("%Y-%m-%d").fillna("")
    score = fmt_fixed(off["score"], 1, lang).where(off["score"].notna().to_numpy(), "–")
    tip = (tx["offer"].format(id="") + esc(off["offer_id"].astype(str)) + ": "
           + esc(off["partner"]) + " · " + esc(off["profile"].str.replace("_", " "))
           + " · " + esc(states.map(lambda s: state_word(s, lang))) + " " + tx["since"] + " "
           + since.reset_index(drop=True) + " · " + tx["site"] + " " + esc(off["site"])
           + " · " + tx["score_then"] + " " + score.reset_index(drop=True))
    data = gpd.GeoDataFrame({"tip": tip.to_numpy(), "state": states.to_numpy()},
                            geometry=off.geometry.to_numpy(), crs=off.crs)
    group = folium.FeatureGroup(name=tx["layer"].format(n=len(off)), show=show)

    def colour(f):
        return STATE_COLOURS.get(f["properties"]["state"], "#111827")

    folium.GeoJson(
        data.__geo_interface__,
        style_function=lambda f: {"color": colour(f), "weight": 3, "fillColor": colour(f),
                                  "fillOpacity": 0.45},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(group)
    # a parcel is a speck at city zoom: a dot in its state's colour marks each offer
    dots = data.set_geometry(data.geometry.representative_point())
    folium.GeoJson(
        dots.__geo_interface__, marker=folium.CircleMarker(radius=7, fill=True),
        style_function=lambda f: {"color": "#ffffff", "weight": 2, "fill": True,
                                  "fillColor": colour(f), "fillOpacity": 1.0},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(group)
    group.add_to(m)
    if fresh:
        synthetic = bool((offers.attrs.get("siteplan_register") or {}).get("synthetic"))
        open_on(m, (off,), tx["layer"].format(n=len(off)), "", synthetic=synthetic, lang=lang)
        HtmlControl(_legend(states, tx, lang), position="bottomleft",
                    class_name="sp-box sp-legend", fold=esc1(TEXT[lang]["legend"])).add_to(m)
    layer_control_last(m)
    return m


def _legend(states: pd.Series, tx: Mapping[str, str], lang: str) -> str:
    """Each state's colour and word with its number of offers, in the register's order."""
    counts = states.value_counts()
    rows = [f"<div class=h>{esc1(tx['section'])}</div>"]
    for state, colour in STATE_COLOURS.items():
        n = int(counts.get(state, 0))
        rows.append(f'<div class=r><i style="background:{colour}"></i>'
                    f"{esc1(state_word(state, lang))} "
                    f"<span class=c>({fmt_int([n], lang).iloc[0]})</span></div>")
    return "".join(rows)
