"""Constraints: hard rules that exclude a candidate parcel, each with its reason."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError
from ..layers.bundle import CacheKey
from ..layers.features import check_pairs, feature_tree, require_column, where_key
from ..layers.raster import RasterLayer, zonal_stats
from ..limits import MAX_DISTANCE, MAX_MAGNITUDE, bound_text, finite, show

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["CONSTRAINT_TYPES", "ConstraintType", "constraint_label", "apply_constraints",
           "broken_rules", "excluded_text", "rule_ids", "candidate_mask", "raster_rule"]


def _where_text(con: Mapping[str, Any]) -> str:
    return "".join(f" {k}={list(v)}" for k, v in (con.get("where") or {}).items())


def _label_outside(con: Mapping[str, Any]) -> str:
    if any(k in con for k in _RASTER_KEYS):
        rule = (f"slope > {con['slope_above']:g} {con.get('slope_unit', 'percent')}"
                if "slope_above" in con else f">= {con['at_least']:g}" if "at_least" in con
                else f"in {list(con['values'])}")
        share = f" (up to {100 * con['max_share']:g}% of the parcel)" if con.get("max_share") \
            else ""
        return f"outside {con['layer']} {rule}{share}"
    return f"outside {con['layer']}{_where_text(con)} +{con.get('buffer', 0):g} m"


_RASTER_KEYS = ("at_least", "values", "slope_above", "slope_unit", "max_share")


def _label_inside(con: Mapping[str, Any]) -> str:
    buf = f" +{con['buffer']:g} m" if con.get("buffer") else ""
    return f"inside {con['layer']}{_where_text(con)}{buf}"


def _label_attribute(con: Mapping[str, Any]) -> str:
    parts = [f"attribute {con['column']}"]
    for key in ("in", "not_in", "min", "max"):
        if key in con:
            parts.append(f"{key} {con[key]}")
    return " ".join(parts)


def constraint_label(con: Mapping[str, Any]) -> str:
    """A short, stable text naming a constraint, used in ``excluded_by``."""
    return CONSTRAINT_TYPES[con["type"]].label(con)


def candidate_mask(parcels: gpd.GeoDataFrame, candidates: Mapping[str, tuple],
                   context: str) -> np.ndarray:
    """Parcels whose columns hold one of the allowed values of ``[candidates]``."""
    mask = np.ones(len(parcels), dtype=bool)
    for col, allowed in candidates.items():
        if col not in parcels.columns:
            cols = ", ".join(c for c in parcels.columns if c != "geometry")
            raise SiteplanInputError(Problem(context, f"[candidates] selects on parcel column "
                                             f"'{col}', which the parcels do not have (they "
                                             f"have: {cols})", f"add '{col}' to the parcels "
                                             "or change [candidates]"))
        norm = {str(a).strip().lower() for a in allowed}
        mask &= parcels[col].astype("string").str.strip().str.lower().isin(norm).fillna(
            False).to_numpy(dtype=bool)
    return mask


def no_candidate_problem(frames: list[pd.DataFrame], candidates: Mapping[str, tuple],
                         context: str) -> Problem:
    """Why no parcel is a candidate: each ``[candidates]`` column's values with their counts.

    ``frames`` are the parcels (and the parcels rejected at load), whose
    values are counted together.
    """
    found = []
    for col, allowed in candidates.items():
        values = pd.concat([f[col] for f in frames if col in f.columns], ignore_index=True)
        counts = values.astype("string").str.strip().fillna("<empty>").value_counts()
        shown = ", ".join(f"{v!r} ({n:,})" for v, n in counts.iloc[:12].items())
        more = f" and {len(counts) - 12} more" if len(counts) > 12 else ""
        found.append(f"{col}: the profile accepts {', '.join(repr(str(a)) for a in allowed)}; "
                     f"the parcels have {shown or 'no value'}{more}")
    col, allowed = next(iter(candidates.items()))
    values = pd.concat([f[col] for f in frames if col in f.columns], ignore_index=True)
    common = values.astype("string").str.strip().dropna().value_counts()
    mine = str(common.index[0]) if len(common) else "<your value>"
    return Problem(
        f"{context} [candidates]", "no parcel is a candidate (" + "; ".join(found) + ")",
        f"recode your values to the profile's when loading, e.g. sp.load_layers(..., "
        f"values={{'{col}': {{'{mine}': '{allowed[0]}'}}}}), or accept your values in a copy "
        "of the profile's [candidates] (sp.get_profile(...).source_text saved as a .toml "
        "file, then sp.read_profile)",
        cli=f"recode your values when loading, e.g. --value {col}:{_cli_word(mine)}="
            f"{_cli_word(str(allowed[0]))}, or accept your values in a copy of the profile's "
            "[candidates] (siteplan profiles export NAME FILE.toml, then --profile FILE.toml)")


def _cli_word(text: str) -> str:
    """A value as typed on a command line (quoted when it holds spaces or quotes)."""
    import shlex

    return shlex.quote(text)


def _pieces(layers: Layers, layer: str, where: Mapping[str, tuple], fgeoms: np.ndarray
            ) -> tuple[shapely.STRtree, np.ndarray]:
    """The features with long lines cut into runs of at most 16 segments (cached).

    A parcel's distance to a line is the least of its distances to the
    line's segments, so the pieces give the same answer; a setback test then
    reads 16 segments, not a whole river, for each parcel near its box.
    """
    def build():
        parts = shapely.get_parts(fgeoms)
        long = (shapely.get_type_id(parts) == 1) & (shapely.get_num_coordinates(parts) > 17)
        cut = [shapely.linestrings(xy[s:s + 17]) for xy in
               (shapely.get_coordinates(line) for line in parts[long])
               for s in range(0, len(xy) - 1, 16)]
        pieces = np.concatenate([parts[~long], np.array(cut, dtype=object)])
        return shapely.STRtree(pieces), pieces

    return layers.cache.get(CacheKey("pieces", (layer,), (where_key(where),)), build)


def _min_area(con, parcels, geoms, layers, context) -> np.ndarray:
    return shapely.area(geoms) < con["value"]


def _max_area(con, parcels, geoms, layers, context) -> np.ndarray:
    return shapely.area(geoms) > con["value"]


def _outside(con, parcels, geoms, layers, context) -> np.ndarray:
    if isinstance(layers.get(con["layer"]), RasterLayer):
        return _outside_raster(con, geoms, layers, context)
    tree, _, fgeoms = feature_tree(layers, con["layer"], con.get("where") or {},
                                   context=context)
    buffer = float(con.get("buffer", 0.0))
    fail = np.zeros(len(geoms), dtype=bool)
    if buffer > 0:
        tree, fgeoms = _pieces(layers, con["layer"], con.get("where") or {}, fgeoms)
        check_pairs(tree, geoms, buffer, context=context, layer=con["layer"], what="buffer")
        i_in, i_f = tree.query(geoms, predicate="dwithin", distance=buffer)
        # a parcel exactly ``buffer`` metres away keeps the rule
        close = shapely.distance(geoms[i_in], fgeoms[i_f]) < buffer
        fail[i_in[close]] = True
    else:
        i_in, i_f = tree.query(geoms, predicate="intersects")
        # touching along an edge is not overlapping
        inside = ~shapely.touches(geoms[i_in], fgeoms[i_f])
        fail[i_in[inside]] = True
    return fail


def raster_rule(con: Mapping[str, Any], context: str):
    """The cells an ``outside`` rule on a raster keeps out of: ``(at_least, values, cells)``.

    ``cells`` turns a window's values first (the slope of a DEM for
    ``slope_above``), or is None; a cell breaks the rule when its value is in
    ``values`` or at least ``at_least``. The constraint and the maps' zones
    (:mod:`siteplan.render._zones`) read the rule from here.
    """
    cells = None
    at_least, values = con.get("at_least"), con.get("values")
    if "slope_above" in con:
        from ..layers.raster import slope_cells

        unit = con.get("slope_unit", "percent")
        at_least = float(np.nextafter(con["slope_above"], np.inf))  # strictly above

        def cells(win, r):
            return slope_cells(win, r, unit)
    if at_least is None and values is None:
        raise SiteplanInputError(Problem(context, f"'outside' the raster '{con['layer']}' "
                                         "needs at_least, values or slope_above",
                                         "say which cells to keep out of, e.g. at_least = 0.67"))
    return at_least, values, cells


def _outside_raster(con, geoms, layers, context) -> np.ndarray:
    """A parcel fails when more than ``max_share`` of it lies where the raster meets the rule.

    The rule (:func:`raster_rule`): a value in ``values``, at least ``at_least``,
    or (for a DEM) a slope above ``slope_above`` in ``slope_unit``.
    """
    raster = layers[con["layer"]]
    at_least, values, cells = raster_rule(con, context)
    share = zonal_stats(geoms, layers.crs, raster, "share", values=values, at_least=at_least,
                        transform_cells=cells)
    allowed = float(con.get("max_share", 0.0))
    return np.nan_to_num(share, nan=0.0) > allowed + 1e-9


def _inside(con, parcels, geoms, layers, context) -> np.ndarray:
    tree, _, _ = feature_tree(layers, con["layer"], con.get("where") or {}, context=context)
    pts = shapely.point_on_surface(geoms)
    buffer = float(con.get("buffer", 0.0))
    if buffer > 0:
        check_pairs(tree, pts, buffer, context=context, layer=con["layer"], what="buffer")
        i_in, _ = tree.query(pts, predicate="dwithin", distance=buffer)
    else:
        i_in, _ = tree.query(pts, predicate="intersects")
    ok = np.zeros(len(geoms), dtype=bool)
    ok[i_in] = True
    return ~ok


def _attribute(con, parcels, geoms, layers, context) -> np.ndarray:
    col = con["column"]
    require_column(parcels, col, layer="parcels", context=context,
                   fix="fix 'column' or add it to the parcels")
    values = parcels[col]
    fail = np.zeros(len(parcels), dtype=bool)
    if "in" in con or "not_in" in con:
        text = values.astype("string").str.strip().str.lower()
        if "in" in con:
            fail |= ~text.isin({str(v).lower() for v in con["in"]}).fillna(False).to_numpy(bool)
        if "not_in" in con:
            fail |= text.isin({str(v).lower() for v in con["not_in"]}).fillna(False).to_numpy(
                bool)
    if "min" in con or "max" in con:
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if "min" in con:
                fail |= ~(num >= con["min"])
            if "max" in con:
                fail |= ~(num <= con["max"])
    return fail


def _rules(*rules: tuple) -> Callable[..., None]:
    """A profile check from rules (test, key, what is wrong, fix); the message shows the value."""
    def check(con: Mapping[str, Any], where: str, problems: list) -> None:
        for ok, key, what, fix in rules:
            if not ok(con):
                got = f", got {show(con.get(key))}" if key in con else ""
                problems.append(Problem(where, what + got, fix))
    return check


def _number(value: Any, low: float, strict: bool, high: float = MAX_MAGNITUDE) -> bool:
    """A finite number above ``low`` (or at it, unless ``strict``), within the bounds."""
    if not finite(value) or not -MAX_MAGNITUDE <= float(value) <= high:
        return False
    return value > low if strict else value >= low


def _values(con: Mapping[str, Any], key: str) -> bool:
    """``key`` absent, or a list of plain values (a text would be read letter by letter)."""
    value = con.get(key, [])
    return isinstance(value, list) and all(isinstance(v, str | int | float | bool)
                                           for v in value)


_BIG = f"{MAX_MAGNITUDE:g}"
_check_area = _rules((lambda c: _number(c.get("value"), 0, True), "value",
                      f"needs value = <m²> > 0 and <= {_BIG}", "write value = 1000"))
_check_layer = _rules((lambda c: isinstance(c.get("layer"), str), "layer",
                       "needs layer = \"<layer name>\"", "name a layer, e.g. layer = \"rivers\""),
                      (lambda c: _number(c.get("buffer", 0), 0, False, MAX_DISTANCE), "buffer",
                       f"buffer must be metres >= 0 and <= {bound_text(MAX_DISTANCE)} (the bound "
                       "siteplan.limits.MAX_DISTANCE)", "write buffer = 15"))
_check_raster_rule = _rules(
    (lambda c: _number(c.get("max_share", 0), 0, False) and c.get("max_share", 0) <= 1,
     "max_share", "max_share must be a share from 0 to 1", "write max_share = 0.1"),
    (lambda c: _number(c.get("at_least", 0), -np.inf, False), "at_least",
     f"at_least must be a number within {_BIG} of 0", "write at_least = 0.67"),
    (lambda c: _number(c.get("slope_above", 0), 0, False), "slope_above",
     f"slope_above must be >= 0 and <= {_BIG}", "write slope_above = 15"),
    (lambda c: c.get("slope_unit", "percent") in ("percent", "degrees"), "slope_unit",
     "slope_unit must be percent or degrees", "write slope_unit = \"percent\""),
    (lambda c: isinstance(c.get("values", []), list) and all(
        _number(v, -np.inf, False) for v in c.get("values", [])), "values",
     f"values must be a list of numbers within {_BIG} of 0",
     "write values = [3] (the classes to keep out of)"))


def _check_outside(con, where, problems) -> None:
    _check_layer(con, where, problems)
    if any(k in con for k in _RASTER_KEYS):
        _check_raster_rule(con, where, problems)


_check_attribute = _rules((lambda c: isinstance(c.get("column"), str), "column",
                           "needs column = \"<parcel column>\"", "write column = \"land_use\""),
                          (lambda c: any(k in c for k in ("in", "not_in", "min", "max")), "",
                           "needs in, not_in, min or max", "write not_in = [\"sawah\"]"),
                          (lambda c: _values(c, "in"), "in", "in must be a list of values",
                           "write in = [\"pemda\"]"),
                          (lambda c: _values(c, "not_in"), "not_in",
                           "not_in must be a list of values", "write not_in = [\"sawah\"]"),
                          (lambda c: "min" not in c or _number(c["min"], -math.inf, False),
                           "min", f"min must be a number within {_BIG} of 0",
                           "write min = 1000"),
                          (lambda c: "max" not in c or _number(c["max"], -math.inf, False),
                           "max", f"max must be a number within {_BIG} of 0",
                           "write max = 100000"))


@dataclass(frozen=True)
class ConstraintType:
    """One kind of hard rule: which parcels break it, its label, its profile check."""

    fails: Callable[..., np.ndarray]    # (con, parcels, geoms, layers, context) -> bool array
    label: Callable[[Mapping[str, Any]], str]
    check: Callable[..., None]          # (con, where, problems): validate a profile entry
    keys: frozenset[str]                # keys it reads besides type, title, source
    layer: bool = False                 # reads a context layer (named by ``layer``)


#: constraint type -> :class:`ConstraintType`; the profile validator reads it
CONSTRAINT_TYPES: Mapping[str, ConstraintType] = {
    "min_area": ConstraintType(_min_area, lambda c: f"min_area {c['value']:g} m²", _check_area,
                               frozenset({"value"})),
    "max_area": ConstraintType(_max_area, lambda c: f"max_area {c['value']:g} m²", _check_area,
                               frozenset({"value"})),
    "outside": ConstraintType(_outside, _label_outside, _check_outside,
                              frozenset({"layer", "buffer", "where", *_RASTER_KEYS}),
                              layer=True),
    "inside": ConstraintType(_inside, _label_inside, _check_layer,
                             frozenset({"layer", "buffer", "where"}), layer=True),
    "attribute": ConstraintType(_attribute, _label_attribute, _check_attribute,
                                frozenset({"column", "in", "not_in", "min", "max"})),
}


def broken_rules(parcels: gpd.GeoDataFrame, constraints, layers: Layers, *,
                 profile_name: str = "profile") -> np.ndarray:
    """A boolean matrix: parcel i breaks constraint j (profile order)."""
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    out = np.zeros((len(parcels), len(constraints)), dtype=bool)
    for j, con in enumerate(constraints):
        context = f"profile '{profile_name}' constraint {j + 1} ({con['type']})"
        kind = CONSTRAINT_TYPES.get(con["type"])
        if kind is None:
            raise SiteplanInputError(Problem(context, f"unknown constraint type "
                                             f"{con['type']!r}", "use one of: "
                                             + ", ".join(CONSTRAINT_TYPES)))
        out[:, j] = kind.fails(con, parcels, geoms, layers, context)
    return out


def excluded_text(broken: np.ndarray, labels: list[str]) -> np.ndarray:
    """``excluded_by`` text per parcel: the labels of the rules it breaks, joined by "; "."""
    reasons = np.full(len(broken), "", dtype=object)
    for j, label in enumerate(labels):
        fail = broken[:, j]
        # join texts only where the rule fails (one Python string per row is slow at 10^6)
        more = fail & (reasons != "")
        reasons[more] = reasons[more] + "; " + label
        reasons[fail & ~more] = label
    return reasons


def rule_ids(broken: np.ndarray) -> np.ndarray:
    """The 1-based numbers of the broken rules per parcel, as text "1;3" ("" when none)."""
    out = np.full(len(broken), "", dtype=object)
    for j in range(broken.shape[1]):
        fail = broken[:, j]
        more = fail & (out != "")
        out[more] = out[more] + f";{j + 1}"
        out[fail & ~more] = str(j + 1)
    return out


def apply_constraints(parcels: gpd.GeoDataFrame, constraints, layers: Layers, *,
                      profile_name: str = "profile") -> np.ndarray:
    """``excluded_by`` text for each parcel: the labels of every rule it breaks, or ""."""
    broken = broken_rules(parcels, constraints, layers, profile_name=profile_name)
    return excluded_text(broken, [constraint_label(c) for c in constraints])
