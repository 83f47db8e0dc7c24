"""The access map: access to facilities per square of people, or per kelurahan or kecamatan.

Draws what :func:`siteplan.locate.access_now` measured: each square of people
as a dot coloured by its access, or each admin unit filled by its people-weighted
mean access (:func:`siteplan.locate.access_by_area`). Two-step values are shown
per 10,000 people; squares that reach no facility have a class of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import words as _w
from .._errors import Problem, SiteplanInputError
from ._folium import layer_control_last, new_map
from .words import TEXT, check_lang, esc, esc1, fmt1, fmt_fixed, fmt_int

if TYPE_CHECKING:
    import folium

    from ..layers.bundle import Layers

__all__ = ["render_access"]

#: lowest class first (worst access), best last; the squares reaching nothing in red
_COLOURS = ("#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850")
_NONE = "#d73027"
_NA = "#bdbdbd"
#: the two-step family: facilities (or capacity) per person in reach, shown per 10,000
_PER_PERSON = ("2sfca", "e2sfca", "3sfca", "fca")
_LEVELS = ("kelurahan", "kecamatan")


@dataclass(frozen=True)
class _Look:
    """How the values are shown: their factor, decimals and unit, the threshold, the words."""

    factor: float
    decimals: int
    unit_words: str
    zero_class: bool             # higher is better: squares reaching nothing have a class
    threshold: float | None      # in the units' own values
    level: str | None
    lang: str
    aw: dict[str, str]           # the access section of the words
    lab: dict[str, str]          # the map section


def _scale(meta: dict[str, Any], aw: dict[str, str]) -> tuple[float, str, bool]:
    """How values are shown: the factor, the words of their unit, and whether higher is
    better."""
    method = meta.get("method", "2sfca")
    if method == "raam":
        return 1.0, aw["cost"], False
    if method in _PER_PERSON:
        return 1e4, aw["per_people" if meta.get("capacity") is None else "per_capacity"], True
    return 1.0, aw["weighted"], True


def _breaks(v: np.ndarray, threshold: float | None, zero_class: bool) -> np.ndarray:
    """Upper bounds of the classes: quartiles of the values (above 0 when 0 has its own
    class), and the threshold."""
    pos = v[np.isfinite(v) & ((v > 0) if zero_class else True)]
    if len(pos) == 0:
        return np.zeros(0)
    out = np.quantile(pos, [0.25, 0.5, 0.75, 1.0])
    if threshold is not None and pos.min() < threshold < pos.max():
        out = np.r_[out, threshold]
    return np.unique(out)


def _decimals(breaks: np.ndarray) -> int:
    """Enough decimals to tell the smallest class bound from 0 (at most 6)."""
    pos = breaks[breaks > 0]
    if len(pos) == 0:
        return 0
    return int(np.clip(2 - np.floor(np.log10(pos.min())), 0, 6))


def _check(units: Any, level: str | None, layers: Layers | None) -> None:
    problems = []
    if not isinstance(units, gpd.GeoDataFrame) or units.crs is None or \
            any(c not in units.columns for c in ("people", "access")):
        problems.append(Problem("render_access", "needs the GeoDataFrame that "
                                "locate.access_now returns (with a CRS and columns people, "
                                "access)", "pass locate.access_now(layers, \"pois\", ...)"))
    if level is not None and level not in _LEVELS:
        problems.append(Problem("render_access", f"unknown level {level!r}",
                                "use level=\"kelurahan\", \"kecamatan\" or None (squares)"))
    elif level is not None:
        admin = None if layers is None or "admin" not in layers else layers["admin"]
        if admin is None or not {"level", "nama"} <= set(admin.columns):
            problems.append(Problem("render_access", f"level={level!r} needs the layers' "
                                    "admin layer with columns level and nama",
                                    "pass layers=the bundle access_now measured (with "
                                    "admin=...), or level=None to draw the squares"))
        elif isinstance(units, pd.DataFrame) and level not in units.columns:
            problems.append(Problem("render_access", f"the units have no column {level!r}",
                                    "measure them with access_now on layers with an admin "
                                    "layer"))
    if problems:
        raise SiteplanInputError(problems)


def _areas(units: gpd.GeoDataFrame, layers: Layers, level: str,
           threshold: float | None) -> gpd.GeoDataFrame:
    """The admin units of ``level`` (merged by name) with their row of access_by_area."""
    from ..locate.now import access_by_area

    admin = layers["admin"]
    shapes = admin[admin["level"].astype(str) == level]
    shapes = shapes.assign(nama=shapes["nama"].astype(str))[["nama", "geometry"]]
    shapes = shapes.dissolve(by="nama", as_index=False)
    table = access_by_area(units, level, threshold=threshold)
    table.index = table.index.astype(str)
    return shapes.merge(table, left_on="nama", right_index=True, how="left")


def render_access(units: gpd.GeoDataFrame, layers: Layers | None = None, *,
                  level: str | None = None, threshold: float | None = None,
                  lang: str = "id", m: folium.Map | None = None) -> folium.Map:
    """A map of access to facilities: per square of people, or per kelurahan or kecamatan.

    Parameters
    ----------
    units
        From :func:`siteplan.locate.access_now`.
    layers
        The bundle measured; needed with ``level`` (its admin layer's shapes).
    level
        None (a dot per square of people), ``"kelurahan"`` or ``"kecamatan"``
        (each unit filled by its people-weighted mean access).
    threshold
        Access below which people count as underserved (in the units' own values):
        a class bound, and the people below it in the legend and tooltips.
    lang
        ``"id"`` (Indonesian, default) or ``"en"``; numbers in the language's format.
    m
        A map to add the layer to; a new one when None.

    Returns
    -------
    folium.Map
        Classes by quartile (and the threshold), squares reaching no facility in a
        class of their own, a folding legend, the title box (with the synthetic-data
        warning on the sample), a metric scale and tooltips.

    Examples
    --------
    >>> import siteplan as sp
    >>> from siteplan import locate
    >>> layers = sp.load_sample()
    >>> units = locate.access_now(layers, "pois", {"category": ["puskesmas"]},
    ...                           radius=2000, cell=1000)
    >>> type(sp.render_access(units, layers, level="kelurahan", lang="en")).__name__
    'Map'
    """
    import folium

    from .style import HtmlControl, add_css, fit_bounds, title_box

    lab = check_lang(lang, "render_access")
    aw = _w.words(lang)["access"]
    _check(units, level, layers)
    meta = dict(units.attrs.get("siteplan_access") or {})
    factor, unit_words, higher = _scale(meta, aw)
    if level is None:
        shown = units.loc[units.geometry.notna()]
        value = pd.to_numeric(shown["access"], errors="coerce").to_numpy(float)
        names = shown["kelurahan"] if "kelurahan" in shown.columns else None
    else:
        shown = _areas(units, layers, level, threshold)  # type: ignore[arg-type]  # _check
        value = shown["access_mean"].to_numpy(float)
        names = shown["nama"]
    shown = shown.to_crs(4326)
    v = value * factor
    thr = None if threshold is None else threshold * factor
    zero_class = higher
    breaks = _breaks(v, thr, zero_class)
    decimals = _decimals(breaks)
    colours = _class_colours(len(breaks), higher)
    fill = np.full(len(v), _NA, dtype=object)
    ok = np.isfinite(v)
    if zero_class:
        fill[ok & (v <= 0)] = _NONE
    rest = ok & ~((v <= 0) if zero_class else np.zeros(len(v), bool))
    if len(breaks):
        cls = np.minimum(np.searchsorted(breaks, v[rest], side="left"), len(breaks) - 1)
        fill[rest] = np.asarray(colours, dtype=object)[cls]
    look = _Look(factor, decimals, unit_words, zero_class, threshold, level, lang, dict(aw),
                 dict(lab))
    props, aliases = _tooltips(shown, names, v, look)
    data = gpd.GeoDataFrame({**props, "_fill": fill}, geometry=shown.geometry.to_numpy(),
                            crs=4326)
    if m is None:
        minx, miny, maxx, maxy = data.total_bounds if len(data) else (106.1, -6.2, 106.2, -6.1)
        m = new_map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=12)
        if len(data):
            fit_bounds(m, [[miny, minx], [maxy, maxx]])
    layer_name = aw["units"] if level is None else aw["areas"].format(level=level)
    tooltip = folium.GeoJsonTooltip(fields=list(props), aliases=list(esc(aliases)))
    if level is None:
        folium.GeoJson(data, name=layer_name, marker=folium.CircleMarker(
            radius=5, fill=True, weight=0, fill_opacity=0.85),
            style_function=lambda f: {"fillColor": f["properties"]["_fill"], "weight": 0,
                                      "fillOpacity": 0.85},
            tooltip=tooltip).add_to(m)
    else:
        folium.GeoJson(data, name=layer_name, style_function=lambda f: {
            "fillColor": f["properties"]["_fill"], "color": "#555555", "weight": 1,
            "fillOpacity": 0.7}, tooltip=tooltip).add_to(m)
    add_css(m)
    thr_text = None if thr is None else fmt1(thr, decimals, lang)
    title_box(m, aw["title"], _caption(units, meta, thr_text, aw, lang),
              synthetic=bool(meta.get("synthetic")), lang=lang)
    legend = _legend(breaks, colours, fill, units, look)
    HtmlControl(legend, position="bottomleft", class_name="sp-box sp-legend",
                fold=esc1(TEXT[lang]["legend"])).add_to(m)
    layer_control_last(m)
    return m


def _class_colours(n: int, higher: bool) -> list[str]:
    """``n`` colours from the palette, worst first (spread over it when fewer)."""
    if n == 0:
        return []
    pick = np.round(np.linspace(0, len(_COLOURS) - 1, n)).astype(int) if n > 1 else \
        np.array([len(_COLOURS) - 1])
    palette = _COLOURS if higher else _COLOURS[::-1]
    return [palette[i] for i in pick]


def _tooltips(shown: pd.DataFrame, names: pd.Series | None, v: np.ndarray, look: _Look
              ) -> tuple[dict[str, list[str]], list[str]]:
    """The tooltip's fields (every text from data escaped) and their names."""
    aw, lab, lang, decimals, level = look.aw, look.lab, look.lang, look.decimals, look.level
    props: dict[str, list[str]] = {}
    aliases: list[str] = []
    if names is not None:
        props["name"] = list(esc(names.astype(object).where(names.notna(), lab["na"])))
        aliases.append(aw["area"] if level is None else level.capitalize())
    props["people"] = list(fmt_int(shown["people"].fillna(0), lang))
    aliases.append(aw["people"])
    text = fmt_fixed(np.nan_to_num(v, nan=0.0), decimals, lang).where(np.isfinite(v),
                                                                       lab["na"])
    props["access"] = list(text)
    aliases.append(aw["access"] if level is None else aw["mean"])
    if level is not None:
        lowest = shown["access_min"].to_numpy(float) * look.factor
        props["lowest"] = list(fmt_fixed(np.nan_to_num(lowest), decimals, lang).where(
            np.isfinite(lowest), lab["na"]))
        aliases.append(aw["lowest"])
        if look.threshold is not None:
            below = shown["people_below"].fillna(0).to_numpy(float)
            share = shown["share_below"].fillna(0).to_numpy(float)
            props["below"] = list(fmt_int(below, lang) + " (" + fmt_fixed(100 * share, 0, lang)
                                  + " %)")
            aliases.append(aw["below"])
    return props, aliases


def _caption(units, meta, thr_text, aw, lang) -> str:
    """One line under the title: the method and reach, the squares and people, the
    threshold (escaped here)."""
    parts = []
    if meta.get("method") is not None:
        radius = meta.get("radius")
        parts.append(esc1(aw["caption"].format(
            method=meta["method"], radius=fmt1(float(radius), 0, lang) if radius else "–")))
    parts.append(fmt1(len(units), 0, lang) + " " + esc1(aw["squares"]) + ", " +
                 fmt1(float(pd.to_numeric(units["people"], errors="coerce").sum()), 0, lang)
                 + " " + esc1(aw["people"].lower()))
    if thr_text is not None:
        parts.append(esc1(aw["threshold"].format(value=thr_text)))
    return " · ".join(parts)


def _legend(breaks: np.ndarray, colours: list[str], fill: np.ndarray, units: pd.DataFrame,
            look: _Look) -> str:
    """The classes (best first) with their counts, the squares reaching nothing, no data,
    and the people below the threshold."""
    aw, lab, lang, decimals, zero_class = look.aw, look.lab, look.lang, look.decimals, \
        look.zero_class
    unit_words, threshold = look.unit_words, look.threshold
    rows = [f"<div class=h>{esc1(aw['access'])}</div>",
            f"<div class=c>{esc1(unit_words)}</div>"]
    low = 0.0 if zero_class else (float(breaks[0]) if len(breaks) else 0.0)
    bounds = list(zip([low, *breaks[:-1]], breaks, strict=True))
    for k in reversed(range(len(breaks))):
        lo, hi = bounds[k]
        n = int((fill == colours[k]).sum())
        label = (f"{fmt1(lo, decimals, lang)} – {fmt1(hi, decimals, lang)}" if k or
                 zero_class else f"≤ {fmt1(hi, decimals, lang)}")
        rows.append(f'<div class=r><i style="background:{colours[k]}"></i>{label} '
                    f"<span class=c>({fmt1(n, 0, lang)})</span></div>")
    if zero_class:
        n = int((fill == _NONE).sum())
        rows.append(f'<div class=r><i style="background:{_NONE}"></i>0 · {esc1(aw["none"])} '
                    f"<span class=c>({fmt1(n, 0, lang)})</span></div>")
    n = int((fill == _NA).sum())
    if n:
        rows.append(f"<div class=r><i class=ex></i>{esc1(lab['na'])} "
                    f"<span class=c>({fmt1(n, 0, lang)})</span></div>")
    if threshold is not None:
        people = pd.to_numeric(units["people"], errors="coerce").fillna(0).to_numpy(float)
        access = pd.to_numeric(units["access"], errors="coerce").to_numpy(float)
        below = float(people[access < threshold].sum())
        share = below / people.sum() if people.sum() else 0.0
        shown = fmt1(threshold * look.factor, decimals, lang)
        rows.append(f"<div class=n>{esc1(aw['below'])} "
                    f"({esc1(aw['threshold'].format(value=shown))}): "
                    f"{fmt1(below, 0, lang)} ({fmt1(100 * share, 0, lang)} %)</div>")
    return "".join(rows)
