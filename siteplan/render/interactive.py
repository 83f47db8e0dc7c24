"""Interactive maps: the weights tuned in the browser, no server.

``sp.render_map(result, layers, interactive=True)`` hands the scored sites to
this module. Instead of one shape per site with its popup written out, the
page gets one JSON blob (in a ``<script type="application/json">`` element,
never run) holding, per eligible site, the suitabilities ``c_*`` already
computed, the shape (integer coordinates, delta- and varint-encoded), the
point of its numbered marker, its id, name, kelurahan, kecamatan and area.
``siteplan/static/interactive.js`` then scores, classes, colours and ranks
the sites in the browser with the formulas of :mod:`siteplan.methods.aggregate`, and
writes tooltips and popups when they open. A panel holds one slider and one
number box per criterion (shares adding up to 100 %), a method selector,
"reset to the profile's weights" and "copy as TOML"; the weights are kept in
the URL fragment (``#m=wlc&w.akses_jalan=0.4...``) so that a link reopens the
same view. The page's JavaScript API (``siteplan.setWeights``,
``setMethod``, ``weights``, ``ranking``, ``explain``, ``toml``, ``reset``) is
described at the top of ``interactive.js``.

The method selector is shown when the profile has two criteria or more (OWA
uses the profile's ``[owa] alpha``). The scored sites are drawn on one
canvas, so that re-colouring thousands of them is one redraw. Popup points
are ``100 w c`` for WLC and, for the other methods, Shapley values: a
coalition's value is the score with the criteria outside it set to 0
(weights and TOPSIS ideal points unchanged), summed over all subsets (at
most 12 criteria); the base score has every criterion at 0.

"Copy as TOML" gives the whole profile (:func:`profile_to_toml`) with the
weights and method set in the map, which :func:`siteplan.read_profile` reads:
a ``[[criteria]]`` block alone is not a profile. The copy has direct weights
(an AHP matrix of the original is not kept); a profile read from a file keeps
that file's comments and layout (written with tomlkit, see
:mod:`siteplan.profiles._toml`).
"""

from __future__ import annotations

import base64
import json
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from .._errors import Problem, SiteplanInputError
from ..profiles._toml import toml_text
from ..scoring.ranks import tie_key
from ..words import LANGS, separators, words
from .words import json_data

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from ..profiles.profile import Profile

__all__ = ["SCHEMES"]

#: classification schemes the page can redo itself (mapclassify's names)
SCHEMES = {scheme: {lang: words(lang)["schemes"][scheme] for lang in LANGS}
           for scheme in ("quantiles", "equalinterval")}
_METHODS = ("wlc", "wgm", "owa", "topsis")
_CLOSE = 1e-6           # score points: the result's scores must follow from its c_* columns

CSS = """
.sp-panel{max-width:360px;max-height:min(70vh,640px);overflow-y:auto}
.sp-panel summary{font-weight:700;font-size:13px;cursor:pointer}
.sp-panel label.sp-m{display:block;margin:5px 0}
.sp-panel select{font:inherit;max-width:250px}
.sp-panel table{border-collapse:collapse;width:100%;margin-top:3px}
.sp-panel th{text-align:left;font-weight:600;color:#555;border-bottom:1px solid #ddd}
.sp-panel td{padding:1px 2px;vertical-align:middle}
.sp-panel td:first-child{max-width:130px}
.sp-panel input[type=range]{width:100px;accent-color:#ae017e}
.sp-panel input.sp-pct{width:52px;font:inherit;text-align:right}
.sp-panel tr.sum td{border-top:1px solid #ddd;font-weight:600}
.sp-panel .sp-note{color:#666;margin-top:3px}
.sp-panel .sp-btns{display:flex;gap:6px;margin-top:6px;flex-wrap:wrap}
.sp-panel button{font:inherit;padding:2px 8px;cursor:pointer}
.sp-panel .sp-msg{color:#1e40af;margin-top:3px}
.sp-panel textarea{width:100%;box-sizing:border-box;font:11px/1.3 monospace;margin-top:4px}
"""


# ------------------------------------------------------------------ checks

def plan(result: gpd.GeoDataFrame, profile: Profile | str | None, *, scheme: str,
         lang: str) -> dict[str, Any]:
    """Check that an interactive map can be drawn; the profile with the result's weights.

    Called by :func:`siteplan.render_map` before anything is drawn. The
    profile is the one the result's record holds (as scored: rules left out
    for want of data are not in it), or ``profile`` when given (rules the
    result left out are dropped from it), with the result's weights and method.
    """
    from ..profiles.profile import as_profile
    from ..scoring.pipeline import drop_rules
    from ..scoring.record import maybe_record

    where = "render_map(interactive=True)"
    key = str(scheme).replace("_", "").lower()
    if key not in SCHEMES:
        raise SiteplanInputError(Problem(where, f"scheme={scheme!r} cannot be redone in the "
                                         "browser", "use scheme='quantiles' or "
                                         "scheme='equal_interval' for an interactive map"))
    rec = maybe_record(result)
    scored = rec.profile if rec is not None and rec.kind == "score" else None
    if profile is None:
        if scored is None:
            raise SiteplanInputError(Problem(where, "the result has no record of the profile "
                                             "it was scored with", "pass the profile too: "
                                             "render_map(..., interactive=True, "
                                             "profile=sp.read_profile(...))"))
        prof = scored
    else:
        prof = as_profile(profile)
        if rec is not None and rec.kind == "score" and rec.skipped:
            # the profile as written; the result left some of its rules out
            left = {x.name for x in rec.skipped if x.kind == "criterion"}
            if left & {c.name for c in prof.criteria}:
                prof = drop_rules(prof, left, {x.rule for x in rec.skipped
                                               if x.kind == "constraint"})
    crits = [c.name for c in scored.criteria] if scored is not None else []
    names = [c.name for c in prof.criteria]
    missing = [f"c_{n}" for n in names if f"c_{n}" not in result.columns]
    if missing or (crits and crits != names):
        raise SiteplanInputError(Problem(where, f"the result does not fit profile "
                                         f"'{prof.name}' (criteria {names}; missing "
                                         f"{missing or 'none'})", "pass the profile that was "
                                         "scored, or score again with it"))
    if len(names) > 12:
        raise SiteplanInputError(Problem(where, f"profile '{prof.name}' has {len(names)} "
                                         "criteria; the page explains scores for up to 12",
                                         "merge criteria, or draw a map without "
                                         "interactive=True"))
    if scored is not None and prof is not scored:   # the result's weights and method
        prof = prof.with_weights(dict(scored.weights)).with_method(
            scored.method, alpha=float(scored.owa_alpha))
    return {"profile": prof, "scheme": key, "lang": lang}


# ------------------------------------------------------------------ encodings

def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def varints(values) -> bytes:
    """Integers as zigzag LEB128 bytes (vectorised over the values, a loop over byte groups)."""
    v = np.asarray(values, dtype=np.int64).ravel()
    u = np.where(v >= 0, 2 * v, -2 * v - 1).astype(np.uint64)
    groups = np.ones(len(u), dtype=np.int64)
    rest = u >> np.uint64(7)
    while (rest > 0).any():
        groups += rest > 0
        rest >>= np.uint64(7)
    out = np.empty(int(groups.sum()), dtype=np.uint8)
    start = np.cumsum(groups) - groups
    for g in range(int(groups.max(initial=0))):
        sel = groups > g
        low = ((u[sel] >> np.uint64(7 * g)) & np.uint64(127)).astype(np.uint8)
        more = (groups[sel] > g + 1).astype(np.uint8) << 7
        out[start[sel] + g] = low | more
    return out.tobytes()


def encode_polygons(geoms: np.ndarray, precision: int) -> dict[str, Any]:
    """Polygon shapes as counts and delta-encoded integer coordinates (lon, lat).

    ``parts``: polygons per site; ``rings``: rings per polygon; ``verts``:
    vertices per ring (the closing vertex left out); ``xy``: differences of
    ``round(coordinate * 10**precision)`` from the previous vertex, x and y
    interleaved. Sites without a polygon get 0 parts.
    """
    import shapely

    scale = 10 ** precision
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    # numpy's stub takes no None as where()'s value; an object array holds it
    parts, site = shapely.get_parts(np.where(ok, geoms, None),  # type: ignore[call-overload]
                                    return_index=True)
    poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, site = parts[poly], site[poly]
    rings, part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    n_coords = np.bincount(ring, minlength=len(rings))
    keep = np.ones(len(coords), dtype=bool)
    keep[(np.cumsum(n_coords) - 1)[n_coords > 0]] = False          # the closing vertex
    ints = np.rint(coords[keep] * scale).astype(np.int64)
    flat = ints.ravel()
    deltas = np.diff(flat, prepend=0)
    deltas[1::2] = np.diff(ints[:, 1], prepend=0)
    deltas[0::2] = np.diff(ints[:, 0], prepend=0)
    return {"scale": scale,
            "parts": _b64(varints(np.bincount(site, minlength=len(geoms)))),
            "rings": _b64(varints(np.bincount(part, minlength=len(parts)))),
            "verts": _b64(varints(np.maximum(n_coords - 1, 0))),
            "xy": _b64(varints(deltas))}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_for_script(value: Any) -> str:
    """JSON that stays data inside ``<script type="application/json">`` (see ``json_data``)."""
    return json_data(json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                allow_nan=False, default=_plain))


def _column(values) -> list:
    """A column for JSON: missing values as None (numpy scalars are handled by the encoder)."""
    s = pd.Series(values).reset_index(drop=True).astype(object)
    return s.where(s.notna(), None).tolist()


def _floats(values, decimals: int | None = None) -> list:
    x = np.asarray(values, dtype=float)
    if decimals is not None:
        x = np.round(x, decimals)
    return pd.Series(x).astype(object).where(np.isfinite(x), None).tolist()


def _codes(values) -> dict[str, list] | None:
    """Repeated text (kelurahan, kecamatan) as codes into a list of values."""
    from . import style as st

    text = st.text(values)
    if not (text != "").any():
        return None
    codes, uniques = pd.factorize(text)
    return {"codes": codes.tolist(), "values": [str(u) for u in uniques]}


# ------------------------------------------------------------------ the page

def _palettes(k: int, colors) -> dict[int, list[list[str]]]:
    """[fill, outline] colours for 1..k classes, chosen as render.score_map._classify does."""
    from . import style as st

    out = {}
    for used in range(1, k + 1):
        if colors is None:
            pal = st.ramp(used)
        else:
            idx = np.round(np.linspace(0, len(colors) - 1, used)).astype(int) \
                if used > 1 else [len(colors) - 1]
            pal = [colors[i] for i in idx]
        out[used] = [[c, st.darker(c)] for c in pal]
    return out


def _percents(k: int) -> dict[int, list[float]]:
    """The percentiles mapclassify's Quantiles takes for k classes (mapclassify.quantile)."""
    out = {}
    for kk in range(2, k + 1):
        w = 100.0 / kk
        p = np.arange(w, 100 + w, w)
        if p[-1] > 100.0:
            p[-1] = 100.0
        out[kk] = [float(x) for x in p]
    return out


def _words(lang: str, alpha: float) -> dict[str, str]:
    from . import style as st

    tx = st.TEXT[lang]
    keys = ("score", "rank", "of", "rank_shared", "area", "kel", "kec", "criterion",
            "suitability", "measured", "points", "points_note", "stability", "classes",
            "method", "legend_criteria")
    words = {k: tx[k] for k in keys}
    words.update({k[3:]: v for k, v in tx.items() if k.startswith("ia_")})
    words["method_owa"] = words["method_owa"].format(alpha=st.fmt1(alpha, 2, lang))
    return words


def _measured(frame: gpd.GeoDataFrame, rows: np.ndarray, prof: Profile,
              lang: str) -> list[dict[str, Any] | None]:
    """Each criterion's measured values of the sites, as the static popups say them
    ("317 m"): the distinct texts and each site's code into them (varints)."""
    from .. import words as _w
    from ..measures import unit_of
    from ..methods.transforms import saturation_distance
    from ..scoring.record import maybe_record

    rec = maybe_record(frame)
    measured_as = dict(getattr(rec, "measured_as", None) or {})
    out: list[dict[str, Any] | None] = []
    for cr in prof.criteria:                   # a handful of criteria
        col = f"m_{cr.name}"
        if col not in frame.columns:
            out.append(None)
            continue
        said = _w.measured_column(frame[col].iloc[rows],
                                  unit_of(cr, measured_as.get(cr.name)), lang,
                                  limit=saturation_distance(cr.transform),
                                  column=cr.column or "")
        codes, uniques = pd.factorize(said)
        out.append({"codes": _b64(varints(codes)), "values": [str(u) for u in uniques]})
    return out


def draw(m: folium.Map, plan_: dict[str, Any], *, frame: gpd.GeoDataFrame, status: np.ndarray,
         score: np.ndarray, rank: np.ndarray, g4326: np.ndarray, classes: dict[str, Any],
         p_stab: np.ndarray | None, top_k: int, top: int, work_crs, k: int, colors,
         precision: int, attribution: str, pin_zooms: list[int] | None = None) -> Interactive:
    """Add the (empty) scored layer and top-sites group to ``m``; the panel to add last.

    The shapes, scores and markers are filled in by the page's JavaScript
    from the data in the returned element, which :func:`siteplan.render_map`
    adds after the legend and the layer control.
    """
    import folium
    import geopandas as gpd
    import shapely

    from ..methods.aggregate import aggregate, owa_order_weights
    from . import style as st

    prof = plan_["profile"]
    lang = plan_["lang"]
    tx = st.TEXT[lang]
    where = "render_map(interactive=True)"
    names = [c.name for c in prof.criteria]
    rows = np.flatnonzero((status == "scored") & np.isfinite(score))
    # best first; sites of equal rank by siteplan.scoring.ranks.TIE_RULE, as on the static map
    rows = rows[np.lexsort((tie_key(frame)[rows], rank[rows]))]
    c = frame[[f"c_{n}" for n in names]].iloc[rows].to_numpy(dtype=float)
    if np.isnan(c).any():
        raise SiteplanInputError(Problem(where, "some scored sites have no c_* value",
                                         "pass the result of sp.score as it is"))
    w = np.array([cr.weight for cr in prof.criteria])
    again = aggregate(prof.method, c, w, alpha=prof.owa_alpha) * 100.0 if len(rows) else w[:0]
    off = np.abs(again - score[rows])
    if len(rows) and not off.max() <= _CLOSE:
        raise SiteplanInputError(Problem(where, f"the result's scores do not follow from its "
                                         f"c_* columns with profile '{prof.name}' (method "
                                         f"{prof.method}; off by up to {off.max():.3g} points)",
                                         "pass the profile that was scored, or score again"))
    geoms = np.asarray(frame.geometry.array, dtype=object)[rows]
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    pts = shapely.point_on_surface(np.where(ok, geoms, None))  # type: ignore[call-overload]  # as above
    pts = np.asarray(gpd.GeoSeries(pts, crs=work_crs).to_crs(4326).array, dtype=object)
    xy = np.nan_to_num(shapely.get_coordinates(pts, include_z=False) if ok.all() else
                       np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]))
    ixy = np.rint(xy * 1e6).astype(np.int64)
    deltas = np.column_stack([np.diff(ixy[:, 0], prepend=0),
                              np.diff(ixy[:, 1], prepend=0)]).ravel()
    sub = frame.iloc[rows]
    ids = sub["parcel_id"] if "parcel_id" in sub.columns else pd.Series(sub.index)
    area = pd.to_numeric(sub["area_m2"], errors="coerce").to_numpy(float) \
        if "area_m2" in sub.columns else shapely.area(geoms)
    data = {
        "v": 1, "map": m.get_name(), "lang": lang, "words": _words(lang, prof.owa_alpha),
        "measured": _measured(frame, rows, prof, lang),
        "seps": {la: list(separators(la)) for la in LANGS},
        "criteria": [{"name": cr.name, "title": cr.label(lang)} for cr in prof.criteria],
        "weights": [float(x) for x in w], "method": prof.method,
        "methods": list(_METHODS) if len(names) > 1 else [prof.method],
        "alpha": float(prof.owa_alpha),
        "owa_v": [float(x) for x in owa_order_weights(len(names), prof.owa_alpha)],
        "n": len(rows), "c": _b64(np.ascontiguousarray(c, dtype="<f8").tobytes()),
        "ids": _column(ids),
        # each site's place under TIE_RULE among the scored sites: the page orders equal
        # scores by it, so its top N is Python's (siteplan.scoring.ranks.best_first)
        "tie": _b64(varints(np.argsort(np.argsort(tie_key(frame)[rows], kind="stable"),
                                       kind="stable"))),
        "names": _column(st.text(sub["name"])) if "name" in sub.columns else None,
        "kel": _codes(sub["kelurahan"]) if "kelurahan" in sub.columns else None,
        "kec": _codes(sub["kecamatan"]) if "kecamatan" in sub.columns else None,
        "area": _floats(area, 1),
        "stab": _floats(p_stab[rows]) if p_stab is not None else None, "top_k": top_k,
        "geom": encode_polygons(g4326[rows], precision),
        "pt": _b64(varints(deltas)), "nopt": np.flatnonzero(~ok).tolist(),
        "classes": {"scheme": plan_["scheme"], "k": k, "pcts": _percents(k),
                    "palettes": _palettes(k, colors), "initial": len(classes["bins"]),
                    "name": SCHEMES[plan_["scheme"]][lang]},
        "style": dict(st.SCORED), "highlight": dict(st.HIGHLIGHT), "top": int(top),
        # the zooms the page opens at on a laptop and a phone: the numbered pins are spread
        # so that none covers another at either (siteplan.render._labels.spread_labels)
        "pin_zooms": list(pin_zooms or []),
        "toml": toml_text(prof, weights={n: f"\x01w{j}\x01" for j, n in enumerate(names)},
                      method='"\x01method\x01"'),
    }
    layer = folium.GeoJson({"type": "FeatureCollection", "features": []},
                           name=tx["score_layer"], attribution=attribution).add_to(m)
    n_top = min(int(top), len(rows))
    markers = folium.FeatureGroup(name=tx["top_layer"].format(n=n_top),
                                  control=n_top > 0).add_to(m)
    return Interactive(layer, markers, json_for_script(data), f"siteplan-data-{m.get_name()}")


def _script() -> str:
    text = (resources.files("siteplan") / "static" / "interactive.js").read_text("utf-8")
    if re.search(r"</script|<!--", text, re.IGNORECASE):   # it goes into the page inline
        raise RuntimeError("interactive.js must not contain '</script' or '<!--'")
    return text


class Interactive(MacroElement):
    """The page's script, data and start-up, as one folium element.

    Its header holds the CSS and ``interactive.js``, its HTML the data (JSON in
    a ``<script type="application/json">``, never run), its script the call
    that starts the page once the map, the layers and the legend exist.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        <script>{{ this.script }}</script>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.data_id }}">{{ this.blob }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        window.siteplan = siteplanInteractive.create({{ this._parent.get_name() }},
            {{ this.layer.get_name() }}, {{ this.markers.get_name() }},
            {{ this.data_id|tojson }});
        {% endmacro %}
    """)

    def __init__(self, layer, markers, blob: str, data_id: str):
        super().__init__()
        self._name = "SiteplanInteractive"
        self.layer, self.markers, self.blob, self.data_id = layer, markers, blob, data_id
        self.css, self.script = CSS, _script()
