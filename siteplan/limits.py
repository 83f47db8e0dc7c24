"""The documented bounds on what siteplan takes, and the checks that enforce them.

Every number a profile, a function argument or a command-line option gives
is finite and within a bound that keeps a run to seconds and its memory to
what a laptop has; a value beyond it is a :class:`~siteplan.SiteplanInputError`
naming the field, the value, the bound and the fix. The bounds are far
beyond any real city:

============================  =============  ==========================================
bound                         value          applies to
============================  =============  ==========================================
:data:`MAX_DISTANCE`          1,000,000 m    radius, buffer, distances in a transform
                                             (``best``, ``worst``, ``midpoint``,
                                             ``half_distance``, ``max_distance``,
                                             ``breaks``) of a distance measure, reach
                                             and spacing of a selection
:data:`MAX_MINUTES`           20,000 min     the transform of ``travel_time`` (1,000 km
                                             at a walk of 3 km/h)
:data:`MAX_MAGNITUDE`         1e15           any other number (people, counts, m²,
                                             values, weights, AHP judgements)
:data:`MAX_CRITERIA`          100            criteria in one profile
:data:`MAX_CONSTRAINTS`       100            constraints in one profile
:data:`OWA_ALPHA`             0.01 to 100    ``[owa] alpha``
:data:`MAX_DRAWS`             100,000        sensitivity draws (and at most
                                             :data:`MAX_RANK_CELLS` draws x sites)
:data:`MAX_SEED`              2**63 - 1      random seeds (>= 0)
:data:`MAX_SITES`             100,000        sites asked for (``k``, ``demand``)
:data:`MAX_TIME_LIMIT`        86,400 s       a solver's ``time_limit``
:data:`MAX_WINDOW_CELLS`      25,000,000     raster cells read at once for one area
:data:`MAX_PAIRS`             100,000,000    parcel-feature pairs one "within radius"
                                             measure or buffer may compare
:data:`MAX_ASSIGNMENTS`       4,000,000      (demand row, site) pairs of a p-median or
                                             capacitated p-median (its solver ran out
                                             of 12 GB at 9.4 million)
:data:`FAR_WARNING`           100,000 m      candidate parcels this far from a layer the
                                             profile reads are warned about
============================  =============  ==========================================

Text must be valid Unicode that can be written as UTF-8: a lone surrogate
(``"\\ud800"``, which JSON allows) is refused wherever a profile or an
argument carries text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

from ._errors import Problem

__all__ = ["MAX_DISTANCE", "MAX_MINUTES", "MAX_MAGNITUDE", "MAX_CRITERIA", "MAX_CONSTRAINTS",
           "OWA_ALPHA", "MAX_DRAWS", "MAX_RANK_CELLS", "MAX_SEED", "MAX_SITES",
           "MAX_WINDOW_CELLS", "MAX_PAIRS", "MAX_ASSIGNMENTS", "FAR_WARNING", "MAX_TIME_LIMIT",
           "number_problem", "text_problems", "finite", "show", "bound_text"]

MAX_DISTANCE = 1_000_000.0
MAX_MINUTES = 20_000.0
MAX_MAGNITUDE = 1e15
MAX_CRITERIA = 100
MAX_CONSTRAINTS = 100
OWA_ALPHA = (0.01, 100.0)
MAX_DRAWS = 100_000
MAX_RANK_CELLS = 100_000_000
MAX_SEED = 2 ** 63 - 1
MAX_SITES = 100_000
MAX_TIME_LIMIT = 86_400.0
MAX_WINDOW_CELLS = 25_000_000
MAX_PAIRS = 100_000_000
MAX_ASSIGNMENTS = 4_000_000
FAR_WARNING = 100_000.0


def finite(value: Any) -> bool:
    """A real number (not a bool) that is finite as a float (a huge int is not)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    try:
        return math.isfinite(float(value))
    except (OverflowError, ValueError):
        return False


def bound_text(x: float) -> str:
    """A bound as people read it: 1,000,000 rather than 1e+06; 1e+15 stays short."""
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e12 else f"{x:g}"


def show(value: Any) -> str:
    """A value for a message: a huge integer by its length, a long text cut."""
    if isinstance(value, Integral) and not isinstance(value, bool) and abs(int(value)) > 10 ** 30:
        return f"an integer of {len(str(abs(int(value))))} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def number_problem(where: str, field: str, value: Any, *, low: float | None = 0.0,
                   high: float = MAX_MAGNITUDE, strict_low: bool = False, unit: str = "",
                   example: str | None = None, integer: bool = False) -> Problem | None:
    """A :class:`Problem` when ``value`` is not a finite number in the bounds, else None.

    ``low`` None means no lower bound but ``-high``; ``strict_low`` makes the
    lower bound exclusive; ``integer`` asks for a whole number.
    """
    unit_s = f" {unit}" if unit else ""
    lo = -high if low is None else low
    lo_text = f"> {bound_text(lo)}" if strict_low else f">= {bound_text(lo)}"
    span = f"a {'whole ' if integer else ''}number {lo_text} and <= {bound_text(high)}{unit_s}"
    if example is None:
        fix = f"use {span}"
    elif field.startswith("--"):        # a command-line option
        fix = f"give {field} {example}"
    else:
        fix = f"write {field} = {example}"
    if integer:
        ok_type = isinstance(value, Integral) and not isinstance(value, bool)
    else:
        ok_type = finite(value)
    if not ok_type:
        what = "a finite number" if not integer else "a whole number"
        return Problem(where, f"{field} must be {what}, got {show(value)}", fix)
    v = value if integer else float(value)
    if (v <= lo if strict_low else v < lo) or v > high:
        return Problem(where, f"{field} is {show(value)}, outside the bounds: it must be "
                       f"{span}", fix)
    return None


def _surrogate_at(text: str) -> int | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def text_problems(value: Any, where: str, path: str = "", *, depth: int = 0,
                  limit: int = 50) -> list[Problem]:
    """Problems for every text (key or value) in ``value`` that cannot be written as UTF-8.

    Walks mappings and lists to ``limit`` levels (deeper nesting is itself
    reported), so a profile or argument with a lone surrogate is refused
    before any of it reaches a file, a map or a log.
    """
    if depth > limit:
        return [Problem(where, f"{path or 'the value'} is nested more than {limit} levels "
                        "deep", "flatten it")]
    out: list[Problem] = []
    if isinstance(value, str):
        at = _surrogate_at(value)
        if at is not None:
            out.append(Problem(where, f"{path or 'a text'} holds a lone surrogate "
                               f"({value[at]!a} at character {at}), which is not a "
                               "character and cannot be written to any file",
                               "send valid Unicode text (UTF-8)"))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            name = k if isinstance(k, str) else repr(k)
            at = _surrogate_at(k) if isinstance(k, str) else None
            if at is not None:
                out.append(Problem(where, f"the key {k!a} in {path or 'the table'} holds a "
                                   f"lone surrogate ({k[at]!a} at character {at}), which is "
                                   "not a character and cannot be written to any file",
                                   "send valid Unicode text (UTF-8)"))
                name = k.encode("utf-8", "backslashreplace").decode("ascii", "replace")
            out += text_problems(v, where, f"{path}.{name}" if path else name,
                                 depth=depth + 1, limit=limit)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            out += text_problems(v, where, f"{path}[{i}]", depth=depth + 1, limit=limit)
    return out
