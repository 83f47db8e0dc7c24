"""Transforms: a raw criterion value -> suitability in [0, 1].

Each transform is a vectorised function of a float array. The fuzzy
memberships follow the definitions ArcGIS's Fuzzy Membership tool uses
(``f1`` is the spread, ``f2`` the midpoint):

- fuzzy_small:    1 / (1 + (x / midpoint) ** spread)
- fuzzy_large:    1 / (1 + (x / midpoint) ** -spread)
- fuzzy_gaussian: exp(-spread * (x - midpoint) ** 2)
- fuzzy_near:     1 / (1 + spread * (x - midpoint) ** 2)

A missing raw value (NaN) stays NaN here; the scorer decides what it means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._errors import Problem
from ..limits import MAX_MAGNITUDE, bound_text, finite, show

__all__ = ["TRANSFORMS", "apply_transform", "check_transform", "saturation_distance"]


def _linear(x: np.ndarray, *, best: float, worst: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        v = (x - worst) / (best - worst)
    return np.clip(v, 0.0, 1.0)


def _fuzzy_small(x: np.ndarray, *, midpoint: float, spread: float = 5.0) -> np.ndarray:
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        v = 1.0 / (1.0 + (np.maximum(x, 0.0) / midpoint) ** spread)
    return np.where(np.isinf(x), 0.0, v)


def _fuzzy_large(x: np.ndarray, *, midpoint: float, spread: float = 5.0) -> np.ndarray:
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        v = 1.0 / (1.0 + (np.maximum(x, 0.0) / midpoint) ** -spread)
    v = np.where(x <= 0, 0.0, v)
    return np.where(np.isposinf(x), 1.0, v)


def _fuzzy_gaussian(x: np.ndarray, *, midpoint: float, spread: float = 0.1) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(-spread * (x - midpoint) ** 2)


def _fuzzy_near(x: np.ndarray, *, midpoint: float, spread: float = 0.1) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return 1.0 / (1.0 + spread * (x - midpoint) ** 2)


def _decay(x: np.ndarray, *, half_distance: float, max_distance: float | None = None
           ) -> np.ndarray:
    """Exponential distance decay: 1 at 0, 0.5 at ``half_distance``; 0 beyond ``max_distance``."""
    with np.errstate(over="ignore", invalid="ignore"):
        v = np.power(0.5, np.maximum(x, 0.0) / half_distance)
    if max_distance is not None:
        v = np.where(x > max_distance, 0.0, v)
    return v


def _threshold(x: np.ndarray, *, breaks: list[float], values: list[float]) -> np.ndarray:
    """Step function: ``values[i]`` for ``breaks[i-1] <= x < breaks[i]``.

    ``values`` has one more item than ``breaks``: below the first break,
    between each pair, and from the last break up.
    """
    idx = np.searchsorted(np.asarray(breaks, float), x, side="right")
    out = np.asarray(values, float)[np.clip(idx, 0, len(values) - 1)]
    return np.where(np.isnan(x), np.nan, out)


TRANSFORMS: dict[str, tuple[Callable[..., np.ndarray], set[str], set[str]]] = {
    # name: (function, required parameters, optional parameters)
    "linear": (_linear, {"best", "worst"}, set()),
    "fuzzy_small": (_fuzzy_small, {"midpoint"}, {"spread"}),
    "fuzzy_large": (_fuzzy_large, {"midpoint"}, {"spread"}),
    "fuzzy_gaussian": (_fuzzy_gaussian, {"midpoint"}, {"spread"}),
    "fuzzy_near": (_fuzzy_near, {"midpoint"}, {"spread"}),
    "decay": (_decay, {"half_distance"}, {"max_distance"}),
    "threshold": (None, {"breaks", "values"}, set()),  # type: ignore[dict-item]
    "categorical": (None, {"table"}, {"default"}),  # type: ignore[dict-item]
}


#: the parameters in the measure's own unit (metres for a distance): bounded by its reach
_LOCATION = ("best", "worst", "midpoint", "half_distance", "max_distance", "breaks")


def check_transform(spec: Any, where: str, *, bound: float = MAX_MAGNITUDE,
                    unit: str = "") -> list[Problem]:
    """Problems with one transform table from a profile (empty when it is fine).

    Every number must be finite; the parameters in the measure's unit
    (``best``, ``worst``, ``midpoint``, ``half_distance``, ``max_distance``,
    ``breaks``) lie within ``bound`` of 0 (for a distance measure
    :data:`siteplan.limits.MAX_DISTANCE` metres), the others within
    :data:`siteplan.limits.MAX_MAGNITUDE`.
    """
    if not isinstance(spec, Mapping):
        return [Problem(where, f"transform must be a table like {{ type = \"linear\", best = 0, "
                        f"worst = 1000 }}, got {spec!r}", "write the transform as a TOML table")]
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in TRANSFORMS:
        return [Problem(where, f"unknown transform type {kind!r}",
                        f"use one of: {', '.join(TRANSFORMS)}")]
    params = {k: v for k, v in spec.items() if k != "type"}
    problems = _parameter_names(kind, params, where)
    if problems:
        return problems
    problems = _magnitudes(kind, params, where, bound, unit)
    if problems:
        return problems
    if kind == "categorical":
        return _check_categorical(params, where)
    if kind == "threshold":
        return _check_threshold(params, where)
    return _check_curve(kind, params, where)


def _parameter_names(kind: str, params: Mapping[str, Any], where: str) -> list[Problem]:
    """The parameters a transform type needs but lacks, and those it does not know."""
    _, required, optional = TRANSFORMS[kind]
    problems = []
    missing = required - set(params)
    if missing:
        problems.append(Problem(where, f"transform '{kind}' needs {', '.join(sorted(missing))}",
                                f"add {', '.join(sorted(missing))} to the transform table"))
    unknown = set(params) - required - optional
    if unknown:
        allowed = ", ".join(sorted(required | optional))
        problems.append(Problem(where, f"transform '{kind}' has unknown parameter(s) "
                                f"{', '.join(sorted(unknown))}", f"use only: {allowed}"))
    return problems


def _check_categorical(params: Mapping[str, Any], where: str) -> list[Problem]:
    """A categorical transform's table (and default) must give scores in [0, 1]."""
    table = params["table"]
    if not isinstance(table, Mapping) or not table:
        return [Problem(where, "categorical 'table' must map values to numbers in [0, 1]",
                        "write table = { pemda = 1.0, pemprov = 0.5 }")]
    bad = {k: v for k, v in table.items() if not _is_unit(v)}
    if "default" in params and not _is_unit(params["default"]):
        bad["default"] = params["default"]
    if bad:
        return [Problem(where, f"categorical values must be numbers in [0, 1], got {bad}",
                        "use numbers between 0 and 1")]
    return []


def _check_threshold(params: Mapping[str, Any], where: str) -> list[Problem]:
    """A threshold transform: increasing breaks, one more value than breaks, values in [0, 1]."""
    breaks, values = params["breaks"], params["values"]
    if not (_numbers(breaks) and _numbers(values)):
        return [Problem(where, "threshold 'breaks' and 'values' must be lists of numbers",
                        "write breaks = [300, 1000], values = [1.0, 0.5, 0.0]")]
    if len(values) != len(breaks) + 1:
        return [Problem(where, f"threshold needs one more value than breaks, got "
                        f"{len(breaks)} breaks and {len(values)} values",
                        "give a value below the first break, between breaks and above the "
                        "last")]
    if list(breaks) != sorted(breaks):
        return [Problem(where, f"threshold breaks must increase, got {breaks}",
                        "sort the breaks")]
    if not all(_is_unit(v) for v in values):
        return [Problem(where, f"threshold values must lie in [0, 1], got {values}",
                        "use numbers between 0 and 1")]
    return []


def _check_curve(kind: str, params: Mapping[str, Any], where: str) -> list[Problem]:
    """A curve transform's (linear, fuzzy, decay) parameters: finite numbers that give a curve."""
    problems = []
    for key, value in params.items():
        if not _is_number(value):
            problems.append(Problem(where, f"transform parameter '{key}' must be a number "
                                    f"(finite), got {show(value)}", f"write {key} = <number>"))
    if problems:
        return problems
    if kind == "linear" and params["best"] == params["worst"]:
        problems.append(Problem(where, f"linear transform has best == worst == "
                                f"{params['best']}", "give best and worst different values"))
    if kind.startswith("fuzzy_") and kind in {"fuzzy_small", "fuzzy_large"} and \
            params["midpoint"] <= 0:
        problems.append(Problem(where, f"{kind} midpoint must be > 0, got {params['midpoint']}",
                                "use a positive midpoint"))
    if "spread" in params and params["spread"] <= 0:
        problems.append(Problem(where, f"{kind} spread must be > 0, got {params['spread']}",
                                "use a positive spread"))
    if kind == "decay" and params["half_distance"] <= 0:
        problems.append(Problem(where, "decay half_distance must be > 0",
                                "use a positive distance in metres"))
    return problems


def _magnitudes(kind: str, params: Mapping[str, Any], where: str, bound: float,
                unit: str) -> list[Problem]:
    """Numbers beyond what any measure can give (a huge ``worst`` would search for ever)."""
    out = []
    for key, value in params.items():
        if kind in ("categorical",) or (kind == "threshold" and key == "values"):
            continue  # checked to lie in [0, 1] below
        high = bound if key in _LOCATION else MAX_MAGNITUDE
        unit_s = f" {unit}" if unit and key in _LOCATION else ""
        for v in (value if isinstance(value, list) else [value]):
            if finite(v) and abs(float(v)) > high:
                out.append(Problem(where, f"transform parameter '{key}' is {show(v)}, beyond "
                                   f"the bound of {bound_text(high)}{unit_s}", f"use a value "
                                   f"within {bound_text(high)}{unit_s} of 0 (see "
                                   "siteplan.limits)"))
                break
    return out


def _is_number(v: Any) -> bool:
    return finite(v)


def _numbers(v: Any) -> bool:
    return isinstance(v, list) and all(_is_number(x) for x in v)


def _is_unit(v: Any) -> bool:
    return _is_number(v) and 0.0 <= v <= 1.0


def apply_transform(spec: Mapping[str, Any], values) -> np.ndarray:
    """Transform raw values (array-like) with a checked transform table.

    Examples
    --------
    >>> apply_transform({"type": "linear", "best": 0, "worst": 1000}, [0, 250, 2000])
    array([1.  , 0.75, 0.  ])
    """
    kind = spec["type"]
    params = {k: v for k, v in spec.items() if k != "type"}
    if kind == "categorical":
        table = {str(k).lower(): float(v) for k, v in params["table"].items()}
        default = float(params.get("default", 0.0))
        import pandas as pd

        keys = pd.Series(np.asarray(values, dtype=object)).astype("string").str.strip()
        mapped = keys.str.lower().map(table).astype(float)
        return mapped.fillna(default).to_numpy(dtype=float)
    x = np.asarray(values, dtype=float)
    if kind == "threshold":
        return _threshold(x, **params)
    func = TRANSFORMS[kind][0]
    out = func(x, **{k: float(v) for k, v in params.items()})
    out = np.where(np.isnan(x), np.nan, out)
    return np.clip(out, 0.0, 1.0)


def saturation_distance(spec: Mapping[str, Any]) -> float | None:
    """The raw value beyond which a decreasing transform is 0 (so no search beyond it).

    Returns None when the transform never saturates at a finite value.
    """
    kind = spec.get("type")
    if kind == "linear" and spec["best"] < spec["worst"]:
        return float(spec["worst"])
    if kind == "decay" and spec.get("max_distance") is not None:
        return float(spec["max_distance"])
    if kind == "threshold" and spec["values"][-1] == 0 and spec["values"] == sorted(
            spec["values"], reverse=True):
        # the last break from which every value is 0
        values = spec["values"]
        first_zero = next(i for i, v in enumerate(values) if v == 0)
        if first_zero == 0:
            return 0.0
        return float(spec["breaks"][first_zero - 1])
    return None
