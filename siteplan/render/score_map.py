"""render: Folium maps of a scored result that planners and CSR partners can read.

One function, :func:`render_map`. It draws the eligible candidates as a
classed score choropleth (mapclassify), the excluded ones apart with their
reason, the best sites numbered, the profile's context and constraint layers,
a legend and a title, in Indonesian or English.

Built from folium objects the way ``geopandas.explore`` is: reproject to
EPSG:4326 at the end, drop empty geometries, compute colours up front,
classify with mapclassify, accept ``m=`` to draw on an existing map. Unlike
``explore``, every value from data is HTML-escaped before it reaches a
tooltip, popup, legend or layer name, per-feature properties hold only the
prepared tooltip and popup text, and geometry is simplified to the displayed
scale, so that a city's worth of parcels stays a file a browser opens.

This module is imported only when a map is drawn (``import siteplan`` does
not import folium).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xyzservices.providers as xyz

from .._errors import Problem, SiteplanInputError
from ..layers.bundle import CacheKey, Layers
from ..scoring.ranks import tie_key
from . import _zones
from . import style as st
from ._compact import CompactShapes, hollow
from ._folium import layer_control_last, metric_scale
from .classes import score_classes

if TYPE_CHECKING:
    from ..profiles.profile import Profile

__all__ = ["render_map", "CONTEXT_LAYERS"]

log = logging.getLogger(__name__)

#: Context layers drawn from ``layers`` (pass a subset as ``context=``).
CONTEXT_LAYERS = ("admin", "green_spaces", "roads", "pois", "constraints")
_SERANG = (-6.12, 106.15)


@dataclass(frozen=True)
class _Canvas:
    """Where and how the map's layers are drawn: the map, the language, the metric CRS the
    geometry is worked in, the simplify tolerance (metres) and the decimals kept."""

    m: folium.Map
    lang: str
    work_crs: Any
    tol: float
    prec: int


def _known_scheme(scheme: str) -> bool:
    # quantiles (the default) needs no mapclassify: importing it costs seconds on a loaded
    # machine (it compiles a function), so it is imported only for the other schemes
    name = scheme.replace("_", "").lower()
    if name == "quantiles":
        return True
    import mapclassify

    return name in {s.lower() for s in mapclassify.CLASSIFIERS}


def render_map(
    result: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    lang: str = "id",
    top: int = 10,
    m: folium.Map | None = None,
    stability: pd.DataFrame | pd.Series | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    colors: Sequence[str] | None = None,
    context: bool | Iterable[str] = True,
    detail: int = 5000,
    simplify: float = 1.0,
    precision: int = 6,
    carto_key: str | None = None,
    interactive: bool = False,
    profile: Profile | str | None = None,
) -> folium.Map:
    """Draw a scored result as a Folium map: score classes, exclusions, best sites, context.

    Parameters
    ----------
    result
        From :func:`siteplan.score` (or read back with
        :func:`siteplan.outputs.read_result`). Its record
        (:func:`siteplan.record_of`: the profile, its criteria and
        constraints, the sources) gives the titles; without one (a table
        with ``score`` and ``c_*`` columns only) column names are used.
    layers
        The :class:`~siteplan.Layers` that were scored (or a mapping of
        GeoDataFrames); draws the context layers and the constraint zones.
        ``None`` draws the candidates only. A bundle keeps its context
        layers as drawn (per language), so its next maps skip that work.
    lang
        ``"id"`` (Bahasa Indonesia, default) or ``"en"``: every label, number
        format (``4.200,5`` or ``4,200.5``) and layer name.
    top
        Number the best ``top`` sites on the map (0 for none).
    m
        Draw onto this map instead of a new one. Base maps, zoom/full-screen/
        measure controls, the mini map and the initial view are only set up on
        a new map; a layer control is added when ``m`` has none.
    stability
        ``p_top_k`` from :func:`siteplan.sensitivity` (a DataFrame with that
        column or a Series), aligned to ``result``; shown in each popup. Read
        from ``result["p_top_k"]`` when that column exists.
    scheme, k
        mapclassify scheme (``"quantiles"``, ``"equal_interval"``,
        ``"fisher_jenks"``, ``"natural_breaks"``, ...) and number of classes;
        fewer classes when there are fewer distinct scores.
    colors
        Class colours, low to high (default: a ColorBrewer RdPu ramp).
    context
        ``True`` for every context layer found in ``layers``, ``False`` for
        none, or a selection of :data:`CONTEXT_LAYERS`: admin boundaries,
        green spaces by ``rth_type``, roads by ``road_class``, POIs by
        ``category`` (switched off at first) and one zone per spatial
        constraint of the profile, buffered in metres (switched off at first).
    detail
        At most this many candidates are drawn one by one with their own
        tooltip and popup (the best scored first, then excluded ones); the
        rest are drawn merged, one shape per score class or per exclusion
        reason, with a tooltip naming the class or reason. With the default,
        100,000 parcels make a file of about 20 MB instead of over 100 MB.
    simplify
        Geometry tolerance in metres (in the metric CRS, before reprojecting);
        0 keeps every vertex.
    precision
        Decimals kept in the EPSG:4326 coordinates (6 is about 0.1 m).
    carto_key
        A CARTO basemaps API key: the light base map is then CartoDB Positron.
        CARTO has required a key since August 2026; without one the light base
        map is Esri World Light Gray Canvas. OpenStreetMap and Esri World
        Imagery are always offered.
    interactive
        ``True``: the weights can be tuned in the saved page, no server needed
        (see :mod:`siteplan.render.interactive`): a panel with a slider per
        criterion, the method, "reset" and "copy as TOML"; the scores, classes
        (``scheme`` must be ``"quantiles"`` or ``"equal_interval"``), colours,
        ranks, numbered sites and popups follow at once, and the URL fragment
        keeps the weights. Every scored site is then drawn on its own
        (``detail`` applies to the excluded ones only).
    profile
        With ``interactive=True``: the profile that was scored, for "copy as
        TOML"; by default the built-in profile named in the result.

    Returns
    -------
    folium.Map
        ``m`` when given, else a new map. Save it with ``.save("map.html")``.

    Raises
    ------
    SiteplanInputError
        A bad option (an unknown ``lang`` is named), or a result without
        geometry, CRS or ``score``.

    Examples
    --------
    >>> import siteplan as sp
    >>> m = sp.render_map(sp.score(sp.load_sample(), "rth"), sp.load_sample())
    >>> type(m).__name__
    'Map'
    >>> result = sp.score(sp.load_sample(), "sentra_kuliner")
    >>> m = sp.render_map(result, sp.load_sample(), lang="en", top=5)
    >>> m.save("sentra_kuliner.html")  # doctest: +SKIP
    """
    sel = _check(result, layers, lang=lang, top=top, m=m, scheme=scheme, k=k, colors=colors,
                 context=context, detail=detail, simplify=simplify, precision=precision)
    plan = None
    if not isinstance(interactive, bool | np.bool_):
        raise SiteplanInputError(Problem("render_map", f"interactive={interactive!r} must be "
                                         "True or False", "pass interactive=True"))
    if interactive:
        from . import interactive as ia

        plan = ia.plan(result, profile, scheme=scheme, lang=lang)
    tx = st.TEXT[lang]
    info = _info(result, layers)
    work_crs = _work_crs(result)
    frame = result.to_crs(work_crs) if result.crs != work_crs else result
    status = _status(frame)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    drawable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    score = pd.to_numeric(frame["score"], errors="coerce").to_numpy(float)
    scored = np.flatnonzero((status == "scored") & drawable & np.isfinite(score))
    excluded = np.flatnonzero((status == "excluded") & drawable)
    rank = _rank(frame, score)
    # best first; sites of equal rank by siteplan.scoring.ranks.TIE_RULE (parcel_id), as the brief
    scored = scored[np.lexsort((tie_key(frame)[scored], rank[scored]))]
    g4326 = _to_4326(geoms, work_crs, simplify, precision)

    classes = _classify(score[scored], scheme, k, colors)
    p_stab = _stability(frame, stability)
    top_k = _top_k(stability, info, top)

    new_map = m is None
    if m is None:
        m = folium.Map(location=_SERANG, zoom_start=13, tiles=None, zoom_control=False)
        metric_scale(m)
    st.add_css(m)
    title_html = st.title_html(info, lang, len(scored), len(excluded))
    st.HtmlControl(title_html, position="topleft", class_name="sp-box sp-title").add_to(m)
    if new_map:
        folium.features.Control("Zoom", position="topleft").add_to(m)
        folium.plugins.Fullscreen(position="topleft", title=tx["fullscreen"],
                                  title_cancel=tx["fullscreen_exit"]).add_to(m)
        folium.plugins.MeasureControl(position="topleft", primary_length_unit="meters",
                                      secondary_length_unit="kilometers",
                                      primary_area_unit="sqmeters",
                                      secondary_area_unit="hectares").add_to(m)
        light = xyz.CartoDB.Positron(apikey=carto_key) if carto_key else \
            xyz.Esri.WorldGrayCanvas
        for provider, key, show in ((light, "base_light" if carto_key else "base_grey", True),
                                    (xyz.OpenStreetMap.Mapnik, "base_osm", False),
                                    (xyz.Esri.WorldImagery, "base_sat", False)):
            folium.TileLayer(provider, name=tx[key], overlay=False, control=True, show=show,
                             max_zoom=20, max_native_zoom=provider.get("max_zoom", 18)
                             ).add_to(m)

    cv = _Canvas(m, lang, work_crs, simplify, precision)
    legend_extra: list[str] = []
    if layers is not None and sel:
        drawn = geoms[np.concatenate([scored, excluded])]   # raster zones are read over these
        area = shapely.box(*shapely.total_bounds(drawn)) if len(drawn) else None
        legend_extra = _add_context(cv, layers, info, sel, area)
    attribution = st.attribution(info, lang)
    n_detail_scored = min(len(scored), detail)
    _add_excluded(cv, frame, excluded, g4326, info, budget=max(detail - n_detail_scored, 0),
                  attribution=attribution)
    top_rows = scored[:max(top, 0)]
    if plan is not None:        # shapes, scores and markers drawn by the page's script
        page = ia.draw(m, plan, frame=frame, status=status, score=score, rank=rank,
                       g4326=g4326, classes=classes, p_stab=p_stab, top_k=top_k, top=top,
                       work_crs=work_crs, k=k, colors=colors, precision=precision,
                       attribution=attribution,
                       pin_zooms=pin_zooms(_bounds(g4326[np.concatenate([scored, excluded])])))
    else:
        site = st.site_text(frame, scored[:max(n_detail_scored, top)], score, rank, info,
                            lang, n_scored=len(scored), p_stab=p_stab, top_k=top_k)
        _add_scored(cv, scored, g4326, classes, site, n_detail_scored, detail=detail,
                    attribution=attribution)
        if len(top_rows):
            _add_top(cv, frame, top_rows, rank, site,
                     view=_bounds(g4326[np.concatenate([scored, excluded])]))
    legend = st.legend_html(classes, info, lang, n_excluded=len(excluded),
                            n_top=len(top_rows), scheme=scheme, extra=legend_extra)
    st.HtmlControl(legend, position="bottomleft", class_name="sp-box sp-legend",
                   fold=st.esc1(st.TEXT[lang]["legend"])).add_to(m)
    layer_control_last(m, collapsed=interactive)  # the weights panel takes the top right
    if new_map and not interactive:    # the weights panel is the corner's tool there
        folium.plugins.MiniMap(tile_layer=folium.TileLayer(light),
                               position="bottomright", toggle_display=True,
                               zoom_level_offset=-5).add_to(m)
    if new_map:                        # both maps open on every drawn site
        bounds = _bounds(g4326[np.concatenate([scored, excluded])])
        if bounds is not None:
            st.fit_bounds(m, bounds)
    if plan is not None:
        page.add_to(m)          # last: it starts once the layers and the legend exist
    return m


# ------------------------------------------------------------------ checks and inputs

def _check(result, layers, *, lang, top, m, scheme, k, colors, context, detail, simplify,
           precision) -> tuple[str, ...]:
    """Every option of :func:`render_map` checked, all problems at once; the context
    layers chosen."""
    problems: list[Problem] = []
    where = "render_map"
    if lang not in st.LANGS:
        problems.append(Problem(where, f"lang={lang!r} is not a language siteplan writes",
                                'use lang="id" (Bahasa Indonesia) or lang="en"'))
    _check_result(result, where, problems)
    for name, value, low in (("top", top, 0), ("k", k, 1), ("detail", detail, 0),
                             ("precision", precision, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            problems.append(Problem(where, f"{name}={value!r} must be an integer >= {low}",
                                    f"pass e.g. {name}={ {'top': 10, 'k': 5}.get(name, low)}"))
    _check_drawing(simplify, m, scheme, colors, where, problems)
    sel = _context_selection(context, where, problems)
    if layers is not None and not isinstance(layers, Mapping):
        problems.append(Problem(where, f"layers is a {type(layers).__name__}",
                                "pass the sp.Layers that were scored, or None"))
    if problems:
        raise SiteplanInputError(problems)
    return sel


def _check_result(result, where: str, problems: list[Problem]) -> None:
    """The result: a GeoDataFrame with a score column and a CRS."""
    if not isinstance(result, gpd.GeoDataFrame):
        problems.append(Problem(where, f"result is a {type(result).__name__}, not a "
                                "GeoDataFrame", "pass what sp.score(...) returns"))
        return
    if "score" not in result.columns:
        problems.append(Problem(where, "result has no 'score' column",
                                "pass what sp.score(...) returns"))
    if result.crs is None:
        problems.append(Problem(where, "result has no CRS",
                                "set it with result.set_crs(...) (siteplan scores in "
                                "EPSG:32748 for Serang)"))


def _check_drawing(simplify, m, scheme, colors, where: str, problems: list[Problem]) -> None:
    """How the map is drawn: the simplify tolerance, the map drawn on, the classes' scheme
    and colours."""
    if not isinstance(simplify, int | float) or not simplify >= 0:
        problems.append(Problem(where, f"simplify={simplify!r} must be metres >= 0",
                                "pass e.g. simplify=1.0"))
    if m is not None and not isinstance(m, folium.Map):
        problems.append(Problem(where, f"m is a {type(m).__name__}, not a folium.Map",
                                "pass a folium.Map or leave m=None"))
    if not isinstance(scheme, str) or not _known_scheme(scheme):
        problems.append(Problem(where, f"scheme={scheme!r} is not a mapclassify scheme",
                                "use e.g. 'quantiles', 'equal_interval', 'fisher_jenks'"))
    if colors is not None and (isinstance(colors, str) or not all(
            isinstance(c, str) for c in colors) or len(colors) == 0):
        problems.append(Problem(where, "colors must be a list of colour strings",
                                "pass e.g. colors=['#fcc5c0', '#f768a1', '#7a0177']"))


def _context_selection(context, where: str, problems: list[Problem]) -> tuple[str, ...]:
    """The context layers asked for: all, none or a selection of CONTEXT_LAYERS."""
    if context is True:
        return CONTEXT_LAYERS
    if context is False or context is None:
        return ()
    sel = tuple(context)
    bad = [c for c in sel if c not in CONTEXT_LAYERS]
    if bad:
        problems.append(Problem(where, f"context names unknown layer(s) {bad}",
                                f"choose from {list(CONTEXT_LAYERS)}"))
    return sel


def _info(result: gpd.GeoDataFrame, layers) -> dict[str, Any]:
    """What the map says about the result: from its record, else from its columns."""
    from ..measures import unit_of
    from ..methods.constraints import constraint_label
    from ..methods.transforms import saturation_distance
    from ..scoring.record import maybe_record

    rec = maybe_record(result)
    prov = getattr(rec, "provenance", None)
    sources = prov.source_texts if prov is not None else dict(
        getattr(layers, "sources", None) or {})
    common = {
        "sources": sources,
        "attribution": (prov.attribution if prov is not None else "") or getattr(
            layers, "attribution", "") or "",
        "synthetic": bool(prov.synthetic if prov is not None else
                          getattr(layers, "synthetic", False)),
    }
    if rec is None or rec.kind != "score":
        names = [c[2:] for c in result.columns if c.startswith("c_")]
        return {**common, "title": {}, "profile": getattr(rec, "kind", None), "method": None,
                "criteria": [{"name": n, "title": {}, "weight": None} for n in names],
                "constraints": [], "top_k": None, "skipped": [], "empty_layers": []}
    prof = rec.profile
    return {
        **common, "title": dict(prof.title), "profile": prof.name, "method": prof.method,
        "criteria": [{"name": c.name, "title": dict(c.title), "weight": c.weight,
                      "unit": unit_of(c, rec.measured_as.get(c.name)),
                      "limit": saturation_distance(c.transform), "column": c.column or ""}
                     for c in prof.criteria if f"c_{c.name}" in result.columns],
        "constraints": [dict(c, label=constraint_label(c)) for c in prof.constraints],
        "top_k": rec.top_k, "skipped": list(rec.skipped),
        "empty_layers": list(rec.empty_layers),
    }


def _work_crs(result: gpd.GeoDataFrame):
    if result.crs.is_projected:
        return result.crs
    sample = result.geometry[~(result.geometry.isna() | result.geometry.is_empty)]
    from ..layers._utm import utm_crs

    return utm_crs(sample) if len(sample) else "EPSG:32748"


def _status(frame: pd.DataFrame) -> np.ndarray:
    if "status" in frame.columns:
        return frame["status"].astype("string").fillna("").str.lower().to_numpy(dtype=object)
    score = pd.to_numeric(frame["score"], errors="coerce").notna().to_numpy()
    if "eligible" in frame.columns:
        score &= frame["eligible"].fillna(False).astype(bool).to_numpy()
    return np.where(score, "scored", "excluded").astype(object)


def _rank(frame: pd.DataFrame, score: np.ndarray) -> np.ndarray:
    rank = pd.to_numeric(frame["rank"], errors="coerce").to_numpy(float) \
        if "rank" in frame.columns else np.full(len(frame), np.nan)
    if np.isnan(rank[~np.isnan(score)]).any():
        rank = pd.Series(score).rank(ascending=False, method="min").to_numpy(float)
    return np.where(np.isnan(rank), np.inf, rank)


def _stability(frame: pd.DataFrame, stability) -> np.ndarray | None:
    if stability is None:
        if "p_top_k" not in frame.columns:
            return None
        stability = frame["p_top_k"]
    if isinstance(stability, pd.DataFrame):
        if "p_top_k" not in stability.columns:
            raise SiteplanInputError(Problem("render_map", "stability has no 'p_top_k' column",
                                             "pass what sp.sensitivity(...) returns"))
        stability = stability["p_top_k"]
    if not isinstance(stability, pd.Series):
        stability = pd.Series(np.asarray(stability, dtype=float))
        if len(stability) != len(frame):
            raise SiteplanInputError(Problem("render_map", f"stability has {len(stability)} "
                                             f"values for {len(frame)} rows",
                                             "pass sp.sensitivity(result, ...) for this result"))
        return stability.to_numpy(float)
    if stability.index.equals(frame.index):
        return pd.to_numeric(stability, errors="coerce").to_numpy(float)
    if frame.index.is_unique and stability.index.is_unique:
        return pd.to_numeric(stability.reindex(frame.index), errors="coerce").to_numpy(float)
    raise SiteplanInputError(Problem("render_map", "stability is not aligned to the result",
                                     "pass sp.sensitivity(result, ...) for this result"))


def _top_k(stability, info, top: int) -> int:
    """The k of ``p_top_k``: from the stability's attrs, else the result's, else ``top``."""
    attrs = getattr(stability, "attrs", None) or {}
    for value in (attrs.get("top_k"), info["top_k"]):
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            return int(value)
    return top


def _to_4326(geoms: np.ndarray, crs, tolerance: float, precision: int) -> np.ndarray:
    """Simplify in metres, reproject, round; empty/missing stay as they are."""
    out = geoms
    if tolerance > 0:
        simple = shapely.simplify(geoms, tolerance, preserve_topology=False)
        bad = shapely.is_empty(simple) | shapely.is_missing(simple)
        out = np.where(bad, geoms, simple)
    out = np.asarray(gpd.GeoSeries(out, crs=crs).to_crs(4326).array, dtype=object)
    return shapely.transform(out, lambda c: np.round(c, precision))


def _bounds(geoms: np.ndarray):
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        return None
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    return [[float(y0), float(x0)], [float(y1), float(x1)]]


# ------------------------------------------------------------------ classes and text

def _classify(y: np.ndarray, scheme: str, k: int, colors) -> dict[str, Any]:
    """Classes of the scores: bins, class of each site, colours, counts, ranges."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return {"yb": np.zeros(0, int), "bins": [], "colors": [], "counts": [], "low": []}
    bins, yb = score_classes(y, scheme, k)
    used = len(bins)
    if colors is None:
        pal = st.ramp(used)
    else:
        idx = np.round(np.linspace(0, len(colors) - 1, used)).astype(int) if used > 1 else [
            len(colors) - 1]
        pal = [colors[i] for i in idx]
    low = [float(y.min())] + [float(b) for b in bins[:-1]]
    return {"yb": yb, "bins": [float(b) for b in bins], "colors": pal,
            "counts": np.bincount(yb, minlength=used).tolist(), "low": low}


# ------------------------------------------------------------------ drawing

def _add_scored(cv: _Canvas, rows, g4326, classes, site, n_detail, *, detail,
                attribution) -> None:
    """The scored sites coloured by class: the first ``n_detail`` one by one, the rest
    merged per class."""
    m, lang = cv.m, cv.lang
    tx = st.TEXT[lang]
    if len(rows) == 0:
        return
    yb = classes["yb"]
    geoms, codes = g4326[rows[:n_detail]], yb[:n_detail]
    tips, pops = site["tip"].iloc[:n_detail], site["pop"].iloc[:n_detail]
    if len(rows) > n_detail:          # the rest, merged per class
        merged, keys, counts = _merge(g4326[rows[n_detail:]], yb[n_detail:])
        text = pd.Series([tx["tail"].format(n=st.fmt1(n, 0, lang),
                                            lo=st.fmt1(classes["low"][c], 1, lang),
                                            hi=st.fmt1(classes["bins"][c], 1, lang),
                                            detail=st.fmt1(detail, 0, lang))
                          for c, n in zip(keys, counts, strict=True)], dtype="string")
        geoms = np.concatenate([geoms, merged])
        codes = np.concatenate([codes, np.asarray(keys, dtype=int)])
        tips = pd.concat([tips, text], ignore_index=True)
        pops = pd.concat([pops, "<div class=sp-pop>" + text + "</div>"], ignore_index=True)
    fc = st.feature_collection(geoms, {"t": tips, "p": pops})
    styles = [{**st.SCORED, "fillColor": col, "color": st.darker(col)}
              for col in classes["colors"]]
    code_of = np.asarray(codes, dtype=int)
    layer = folium.GeoJson(
        hollow(fc, n_detail), name=tx["score_layer"],
        style_function=lambda f: dict(styles[code_of[f["id"]]]),
        highlight_function=lambda _: dict(st.HIGHLIGHT),
        tooltip=folium.GeoJsonTooltip(["t"], labels=False, localize=False, sticky=True,
                                      class_name="sp-tip"),
        popup=folium.GeoJsonPopup(["p"], labels=False, localize=False, max_width=380,
                                  class_name="sp-geopop"),
        attribution=attribution).add_to(m)
    _add_merged(m, layer, fc, geoms, n_detail, cv.prec)


def _add_excluded(cv: _Canvas, frame, rows, g4326, info, *, budget, attribution) -> None:
    """The excluded sites with their reason: ``budget`` one by one, the rest merged per
    reason."""
    m, lang = cv.m, cv.lang
    tx = st.TEXT[lang]
    if len(rows) == 0:
        return
    why = st.reasons(frame.iloc[rows], info, lang).reset_index(drop=True)
    one = rows[:budget]
    label, _ = st.site_labels(frame, one)
    tips = "<b>" + label + "</b><br>" + tx["excluded"] + ": " + why.iloc[:budget]
    geoms = g4326[one]
    if len(rows) > budget:            # the rest, merged per reason
        merged, keys, counts = _merge(g4326[rows[budget:]], why.iloc[budget:].to_numpy(object))
        more = pd.Series([f"<b>{tx['tail_excluded'].format(n=st.fmt1(n, 0, lang))}</b><br>"
                          f"{tx['excluded']}: {key}" for key, n in zip(keys, counts, strict=True)],
                         dtype="string")
        geoms = np.concatenate([geoms, merged])
        tips = pd.concat([tips, more], ignore_index=True)
    fc = st.feature_collection(geoms, {"t": tips})
    layer = folium.GeoJson(hollow(fc, len(one)), name=tx["excluded_layer"],
                   style_function=lambda _: dict(st.EXCLUDED),
                   highlight_function=lambda _: {"weight": 2.5, "color": "#222222"},
                   tooltip=folium.GeoJsonTooltip(["t"], labels=False, localize=False,
                                                 sticky=True, class_name="sp-tip"),
                   attribution=attribution).add_to(m)
    _add_merged(m, layer, fc, geoms, len(one), cv.prec)


def _add_merged(m, layer, fc, geoms, first: int, precision: int) -> None:
    """The merged shapes (features ``first`` onwards) of ``layer``, encoded compactly."""
    if len(geoms) > first:
        CompactShapes(layer, geoms[first:], range(first, len(geoms)),
                      [f["properties"] for f in fc["features"][first:]], precision).add_to(m)


def _merge(geoms: np.ndarray, keys) -> tuple[np.ndarray, list, list[int]]:
    """One MultiPolygon per key (no per-row loop): for the parcels beyond ``detail``."""
    codes, uniq = pd.factorize(pd.Series(keys), sort=True)
    counts = np.bincount(codes, minlength=len(uniq))
    parts, idx = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, pc = parts[keep], codes[idx[keep]]
    order = np.argsort(pc, kind="stable")
    multi = shapely.multipolygons(parts[order], indices=pc[order])
    present = np.unique(pc)
    return multi[present], [uniq[i] for i in present], [int(counts[i]) for i in present]


#: the windows the numbered pins are spread for, in pixels: a laptop and a phone
PIN_VIEWS = ((1366, 768), (390, 844))
PIN_VIEW = PIN_VIEWS[0]
_PIN_H = 30          # a pin: its 24 px disc and its tip


def pin_zooms(view) -> list[int]:
    """The zooms a map of bounds ``view`` opens at in the :data:`PIN_VIEWS` windows."""
    from ._labels import fit_zoom

    return [] if view is None else sorted({fit_zoom(view, *size) for size in PIN_VIEWS})


def pin_offsets(pts4326: np.ndarray, widths: np.ndarray, view) -> np.ndarray:
    """Pixel offsets of the numbered pins from their sites, so that none covers another
    at the zoom the map opens at in each of the :data:`PIN_VIEWS` windows (``view``: the
    map's bounds); the best site's pin never moves
    (:func:`siteplan.render._labels.spread_labels`)."""
    from ._labels import spread_labels, web_pixels

    if view is None or not len(pts4326):
        return np.zeros((len(pts4326), 2))
    zooms = pin_zooms(view)
    px = np.stack([web_pixels(shapely.get_x(pts4326), shapely.get_y(pts4326), z)
                   for z in zooms])
    return spread_labels(px, float(np.max(widths)), _PIN_H)


def _pin_html(label: str, width: int, dx: float, dy: float) -> str:
    """A numbered disc; moved off its site (dx, dy pixels), a thin line leads back to it."""
    if dx == 0 and dy == 0:
        return f'<div class="sp-rank" style="width:{width}px">{label}</div>'
    sx, sy = width // 2 - dx, _PIN_H - dy         # the site, in the icon's own pixels
    return (f'<svg class="sp-lead" width="1" height="1"><line x1="{width // 2}" y1="12" '
            f'x2="{sx:g}" y2="{sy:g}" stroke="#1f1f1f" stroke-width="1.5"/><circle '
            f'cx="{sx:g}" cy="{sy:g}" r="3" fill="#1f1f1f" stroke="#fff" stroke-width="1"/>'
            f'</svg><div class="sp-rank sp-moved" style="width:{width}px">{label}</div>')


def _add_top(cv: _Canvas, frame, rows, rank, site, view=None) -> None:
    """A numbered pin on each of the best sites ``rows``, spread where sites are close."""
    m, work_crs = cv.m, cv.work_crs
    tx = st.TEXT[cv.lang]
    pts = shapely.point_on_surface(np.asarray(frame.geometry.array, dtype=object)[rows])
    pts = np.asarray(gpd.GeoSeries(pts, crs=work_crs).to_crs(4326).array, dtype=object)
    labels = [str(int(r)) for r in rank[rows]]
    widths = np.array([max(24, 10 + 7 * len(label)) for label in labels])
    moves = pin_offsets(pts, widths, view)
    group = folium.FeatureGroup(name=tx["top_layer"].format(n=len(rows)))
    # one marker per numbered site: a loop over at most ``top`` sites, not over rows
    for i, (pt, label) in enumerate(zip(pts, labels, strict=True)):
        width = int(widths[i])
        dx, dy = (float(v) for v in moves[i])
        folium.Marker(            # a numbered pin whose tip (or line) is on the site
            [round(pt.y, 6), round(pt.x, 6)],
            icon=folium.DivIcon(html=_pin_html(label, width, dx, dy), icon_size=(width, 30),
                                icon_anchor=(round(width // 2 - dx), round(_PIN_H - dy)),
                                popup_anchor=(round(dx), round(dy) - 28),
                                class_name="sp-rank-icon"),
            tooltip=folium.Tooltip(str(site["tip"].iloc[i]), sticky=False),
            popup=folium.Popup(str(site["pop"].iloc[i]), max_width=380),
        ).add_to(group)
    group.add_to(m)


# ------------------------------------------------------------------ context layers

def _add_context(cv: _Canvas, layers, info, sel, area=None) -> list[str]:
    """Admin boundaries, green spaces, roads, POIs and constraint zones; legend rows.

    ``area`` (in ``cv.work_crs``): where the zones of rules on rasters are drawn.
    """
    lang, work_crs = cv.lang, cv.work_crs
    tx = st.TEXT[lang]
    legend: list[str] = []

    def get(name: str) -> gpd.GeoDataFrame | None:
        gdf = layers.get(name)
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None or len(gdf) == 0:
            return None
        return gdf.to_crs(work_crs) if gdf.crs != work_crs else gdf

    for name, kind in _CONTEXT.items():
        if name in sel and (got := _context(cv, layers, name, get)) is not None:
            _add_geojson(cv, got[0], tx[name], kind.styles, show=kind.show,
                         marker=kind.marker() if kind.marker else None)
            legend += got[1]
    if "constraints" in sel:
        zones = _add_constraints(cv, layers, info, get, area)
        if zones:
            legend += [f"<div class=sub>{tx['legend_constraints']}</div>", *zones]
    return legend


def _add_constraints(cv: _Canvas, layers, info, get, area=None) -> list[str]:
    """Each spatial constraint's zone, hidden at first: features buffered in metres, or the
    cells of a raster that break the rule over ``area`` (:mod:`siteplan.render._zones`)."""
    lang, work_crs = cv.lang, cv.work_crs
    tx = st.TEXT[lang]
    rows: list[str] = []
    used: set[str] = set()
    for i, con in enumerate(info["constraints"]):
        if _zones.is_raster_zone(con, layers):
            if area is None:
                continue
            geoms = _zones.zone_polygons(layers, con, area, work_crs)
        else:
            geoms = _vector_zone(layers, con, i, work_crs, get)
        if len(geoms) == 0:
            continue
        title = (con.get("title") or {}).get(lang) or (con.get("title") or {}).get("id") or \
            con.get("label") or con.get("layer")
        label = tx["constraint"].format(title=st.esc1(title))
        while label in used:
            label += " *"
        used.add(label)
        color = st.CONSTRAINTS[i % len(st.CONSTRAINTS)]
        style = {"fillColor": color, "color": color, "weight": 1, "fillOpacity": 0.3,
                 "opacity": 0.8}
        frame = gpd.GeoDataFrame(geometry=geoms, crs=work_crs)
        tips = pd.Series(st.esc1(title), index=range(len(geoms)), dtype="string")
        _add_geojson(cv, _layer_json(cv, frame, np.zeros(len(geoms), int), tips), label,
                     [style], show=False, escape_name=False)
        rows.append(f'<div class=r><i style="background:{color};opacity:.6"></i>'
                    f"{st.esc1(title)}</div>")
    return rows


def _vector_zone(layers, con, i, work_crs, get) -> np.ndarray:
    """The features of a rule on a vector layer, buffered in metres (empty: none to draw)."""
    from ..layers.features import select_features

    name = con.get("layer")
    if con.get("type") not in ("outside", "inside") or not name or get(name) is None:
        return np.empty(0, dtype=object)
    try:
        feats = select_features(layers, name, con.get("where") or {}, allow_empty=True,
                                context=f"render_map constraint {i + 1}")
    except SiteplanInputError as err:
        log.warning("constraint %d not drawn: %s", i + 1, err)
        return np.empty(0, dtype=object)
    if feats.crs != work_crs:
        feats = feats.to_crs(work_crs)
    geoms = np.asarray(feats.geometry.array, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    buffer = float(con.get("buffer") or 0)
    if buffer > 0 and len(geoms):
        geoms = shapely.get_parts(shapely.union_all(shapely.buffer(geoms, buffer)))
    return geoms


_ADMIN_LEVELS = {"kota": {"color": "#1f1f1f", "weight": 2.5},
                 "kecamatan": {"color": "#333333", "weight": 1.8, "dashArray": "8 4"},
                 "kelurahan": {"color": "#555555", "weight": 1.0, "dashArray": "4 4"}}
_GREEN_COLOURS = [*st.GREEN.values(), st.GREEN_OTHER]
_ROAD_STYLES = [*st.ROADS.values(), st.ROAD_OTHER]
_POI_COLOURS = [*st.POIS.values(), st.POI_OTHER]


def _column(gdf, *names) -> pd.Series:
    for n in names:
        if n in gdf.columns:
            return gdf[n]
    return pd.Series("", index=gdf.index)


def _admin(g, lang: str) -> tuple:
    level = _column(g, "level")
    tips = st.join_nonempty([st.esc(st.value_names(level, "level", lang)),
                             "<b>" + st.esc(_column(g, "nama", "name")) + "</b>"], ": ")
    return g, st.pick(level, _ADMIN_LEVELS), tips, [
        f"<div class=r><i class=ol></i>{st.TEXT[lang]['admin']}</div>"]


def _green(g, lang: str) -> tuple:
    tx = st.TEXT[lang]
    kinds = _column(g, "rth_type")
    codes = st.pick(kinds, st.GREEN)
    public = _column(g, "public")
    pub = pd.Series(np.where(public.astype("string").str.lower().isin(["true", "1"])
                             .fillna(False).to_numpy(bool), tx["public"], ""))
    names = st.esc(st.value_names(kinds, "rth_type", lang))
    tips = st.join_nonempty(["RTH: " + names, pub.astype("string"),
                             st.esc(_column(g, "nama", "name"))], " · ")
    return g, codes, tips, [f"<div class=sub>{tx['green_spaces']}</div>",
                            *st.legend_rows(codes, names, _GREEN_COLOURS, "poly", tx["other"])]


def _roads(g, lang: str) -> tuple:
    tx = st.TEXT[lang]
    kinds = _column(g, "road_class")
    codes = st.pick(kinds, st.ROADS)
    names = st.esc(st.value_names(kinds, "road_class", lang))
    tips = st.join_nonempty([names, st.esc(_column(g, "nama", "name"))], " · ")
    return g, codes, tips, [f"<div class=sub>{tx['roads']}</div>",
                            *st.legend_rows(codes, names, _ROAD_STYLES, "line", tx["other"])]


def _pois(g, lang: str) -> tuple:
    tx = st.TEXT[lang]
    geoms = np.asarray(g.geometry.array, dtype=object)
    notpt = ~shapely.is_missing(geoms) & (shapely.get_type_id(geoms) != 0)
    if notpt.any():             # drawn at a point on their surface
        g = g.set_geometry(np.where(notpt, shapely.point_on_surface(geoms), geoms), crs=g.crs)
    kinds = _column(g, "category")
    codes = st.pick(kinds, st.POIS)
    names = st.esc(st.value_names(kinds, "category", lang))
    tips = st.join_nonempty(["<b>" + names + "</b>", st.esc(_column(g, "name", "nama"))],
                            ": ")
    return g, codes, tips, [f"<div class=sub>{tx['pois']}</div>",
                            *st.legend_rows(codes, names, _POI_COLOURS, "point", tx["other"])]


@dataclass(frozen=True)
class _ContextKind:
    """How one context layer is drawn.

    ``build(frame, lang)`` gives the frame drawn, each feature's style code, its
    tooltip and the legend rows; ``styles`` are the styles by code; ``marker``
    makes the marker of point features (a new one for each map: an element
    belongs to one map).
    """

    build: Any
    styles: list[dict[str, Any]]
    show: bool = True
    marker: Any = None


#: the context layers, in the order they are drawn
_CONTEXT = {
    "admin": _ContextKind(_admin, [*({**s, "fill": False, "opacity": 0.8}
                                     for s in _ADMIN_LEVELS.values()),
                                   {**_ADMIN_LEVELS["kelurahan"], "fill": False,
                                    "opacity": 0.8}]),
    "green_spaces": _ContextKind(_green, [{"fillColor": c, "color": c, "weight": 0.6,
                                           "fillOpacity": 0.55} for c in _GREEN_COLOURS]),
    "roads": _ContextKind(_roads, [{"color": c, "weight": w, "opacity": 0.85}
                                   for c, w in _ROAD_STYLES]),
    "pois": _ContextKind(_pois, [{"fillColor": c, "color": "#ffffff", "weight": 1,
                                  "fillOpacity": 0.95, "fill": True, "radius": 4}
                                 for c in _POI_COLOURS], show=False,
                         marker=lambda: folium.CircleMarker(radius=4, fill=True)),
}


def _context(cv: _Canvas, layers, name: str, get):
    """``((GeoJSON text, style code of each feature) or None, legend rows)`` of the
    context layer ``name``, None when the bundle has none.

    Made once per bundle, language and drawing precision, in the bundle's cache:
    every map of a bundle draws the same roads. Each map parses its own copy of the
    text.
    """
    def make():
        g = get(name)
        if g is None:
            return None
        drawn, codes, tips, rows = _CONTEXT[name].build(g, cv.lang)
        return _layer_json(cv, drawn, codes, tips), rows

    if isinstance(layers, Layers):      # a plain mapping of frames has no cache
        return layers.cache.get(CacheKey("map_context", (name,), (
            cv.lang, str(cv.work_crs), cv.tol, cv.prec)), make)
    return make()


def _layer_json(cv: _Canvas, gdf, codes, tips) -> tuple[str, np.ndarray] | None:
    """The GeoJSON text of ``gdf``'s drawable features (in EPSG:4326, simplified, rounded)
    with their tooltips, and their style codes; None when none is drawable."""
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return None
    g = _to_4326(geoms[ok], cv.work_crs, cv.tol, cv.prec)
    text = st.feature_collection_text(g, {"t": pd.Series(tips).reset_index(drop=True)[ok]})
    return text, np.asarray(codes, dtype=int)[ok]


def _add_geojson(cv: _Canvas, drawn: tuple[str, np.ndarray] | None, name, styles, *,
                 show=True, marker=None, escape_name=True) -> None:
    """One context layer on the map from :func:`_layer_json`, styled by its codes, with
    tooltips."""
    if drawn is None:
        return
    text, code_of = drawn
    folium.GeoJson(json.loads(text), name=st.esc1(name) if escape_name else name,
                   style_function=lambda f: dict(styles[code_of[f["id"]]]),
                   tooltip=folium.GeoJsonTooltip(["t"], labels=False, localize=False,
                                                 sticky=True, class_name="sp-tip"),
                   show=show, marker=marker).add_to(cv.m)
