"""Write a profile as TOML (the standard library reads TOML but does not write it).

Used by :func:`siteplan.profile_to_toml` and by the interactive map's "copy as
TOML", which passes marker text for the weights and the method and fills them
in the browser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import Problem, SiteplanInputError
from ._version import __version__

if TYPE_CHECKING:
    from .profiles import Profile

__all__ = ["toml_text"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_str(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", out) + '"'


def _toml_key(key: object) -> str:
    key = str(key)
    return key if _BARE.match(key) else _toml_str(key)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        v = float(v)
        if math.isnan(v):
            return "nan"
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()
                                if x is not None) + " }" if v else "{}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise SiteplanInputError(Problem("profile_to_toml", f"cannot write {v!r} "
                                     f"({type(v).__name__}) as TOML",
                                     "profiles hold text, numbers, lists and tables only"))


def toml_text(prof: Profile, *, weights: Mapping[str, str] | None = None,
          method: str | None = None) -> str:
    """The TOML text; ``weights``/``method`` replace the values by given text (page markers)."""
    lines = [f"# profile {prof.name}: written by siteplan {__version__} (direct weights)"]

    def put(key: str, value: Any) -> None:
        if value is None or (isinstance(value, Mapping | list | tuple) and not value):
            return
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")

    put("name", prof.name)
    put("title", dict(prof.title))
    put("description", dict(prof.description))
    lines.append(f"method = {method}" if method is not None else
                 f"method = {_toml_value(prof.method)}")
    if prof.allow_inconsistent:
        put("allow_inconsistent", True)
    if prof.owa_alpha != 1.0:
        lines += ["", "[owa]", f"alpha = {_toml_value(float(prof.owa_alpha))}"]
    if prof.candidates:
        lines += ["", "[candidates]"]
        for col, allowed in prof.candidates.items():
            put(col, list(allowed))
    for con in prof.constraints:
        lines += ["", "[[constraints]]"]
        for key, value in con.items():
            put(key, value)
    for crit in prof.criteria:
        lines += ["", "[[criteria]]"]
        for field in fields(crit):  # every criterion key, the weight last
            if field.name == "weight":
                continue
            value = getattr(crit, field.name)
            put(field.name, dict(value) if isinstance(value, Mapping) else
                list(value) if isinstance(value, tuple) else value)
        lines.append(f"weight = {weights[crit.name]}" if weights is not None else
                     f"weight = {_toml_value(float(crit.weight))}")
    return "\n".join(lines) + "\n"
