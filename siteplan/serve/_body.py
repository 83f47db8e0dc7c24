"""Reading a request's JSON body: what JSON allows but no part of siteplan can take is refused.

Python's ``json`` reads more than the service can use: a string holding a
lone surrogate (``"\\ud800"``, not encodable as UTF-8), numbers beyond a
64-bit integer (``2**64``) or beyond a float (``1e309`` reads as infinity),
``NaN`` and ``Infinity``, and nesting deep enough to exhaust recursion.
:func:`parse_body` reads the body and refuses each of these with the path of
the value (``parcels.features[3].properties.name``), the bound and the fix.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["parse_body", "check_values", "BodyRefused", "MAX_DEPTH", "INT_MIN", "INT_MAX"]

#: deepest nesting of arrays and objects in a request (a GeoJSON MultiPolygon needs about 10)
MAX_DEPTH = 64
INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1
FLOAT_MAX = sys.float_info.max


class BodyRefused(json.JSONDecodeError):
    """A body that is JSON but that the service cannot take (FastAPI answers it with 422).

    A subclass of :class:`json.JSONDecodeError` because that is what FastAPI
    turns into a validation error; ``where``, ``what`` and ``fix`` say which
    value, what is wrong with it and what to do.
    """

    def __init__(self, where: str, what: str, fix: str):
        super().__init__(f"{where}: {what}", "", 0)
        self.where, self.what, self.fix = where, what, fix

    def __reduce__(self):
        return type(self), (self.where, self.what, self.fix)


def parse_body(body: bytes) -> Any:
    """The JSON value of a request body, checked by :func:`check_values`.

    Raises
    ------
    json.JSONDecodeError
        Not JSON (``BodyRefused`` when it is JSON the service cannot take).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused("request body", f"is not UTF-8 text (byte {exc.start} is "
                          f"0x{body[exc.start]:02x})", "send JSON encoded as UTF-8") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise BodyRefused("request body", "is nested too deep to be read",
                          f"nest arrays and objects at most {MAX_DEPTH} levels") from None
    check_values(value)
    return value


def check_values(value: Any, *, root: str = "") -> None:
    """Refuse nesting over :data:`MAX_DEPTH`, lone surrogates and out-of-range numbers.

    Walks ``value`` without recursion. The first problem found raises
    :class:`BodyRefused` naming the value's path under ``root``.
    """
    # (container, parent frame, key in the parent, depth)
    stack: list[tuple[Any, Any, Any, int]] = [(value, None, None, 1)]
    if type(value) not in (dict, list):
        _check_scalar(value, (value, None, None, 0), None)
        return
    while stack:
        frame = stack.pop()
        container, _, _, depth = frame
        if depth > MAX_DEPTH:
            raise BodyRefused(_where(frame, None, root), f"is nested deeper than {MAX_DEPTH} "
                              "levels", f"nest arrays and objects at most {MAX_DEPTH} levels "
                              "(e.g. send a deeply nested property as a string)")
        items = container.items() if type(container) is dict else enumerate(container)
        for key, item in items:
            if type(key) is str and not _encodable(key):
                raise BodyRefused(_where(frame, None, root), f"has a member name with a lone "
                                  f"surrogate ({_shown(key)})", _SURROGATE_FIX)
            kind = type(item)
            if kind is dict or kind is list:
                stack.append((item, frame, key, depth + 1))
            elif kind is not bool and item is not None:
                _check_scalar(item, frame, key, root)


_SURROGATE_FIX = ("send text as valid Unicode: a \\ud800-\\udfff escape must be one half of "
                  "a surrogate pair")


def _check_scalar(item: Any, frame, key, root: str = "") -> None:
    kind = type(item)
    if kind is str:
        if not _encodable(item):
            raise BodyRefused(_where(frame, key, root), f"holds a lone surrogate "
                              f"({_shown(item)}), which is not Unicode text", _SURROGATE_FIX)
    elif kind is int:
        if not INT_MIN <= item <= INT_MAX:
            raise BodyRefused(_where(frame, key, root), f"{_number(item)} is beyond the 64-bit "
                              f"integer range ({INT_MIN} to {INT_MAX})",
                              "send a smaller number")
    elif kind is float and item - item != 0:  # inf - inf and nan - nan are nan
        what = "NaN" if item != item else "infinite"
        raise BodyRefused(_where(frame, key, root), f"is {what}, not a finite number: JSON "
                          f"numbers here must lie within ±{FLOAT_MAX:.17g} (1e309 and beyond "
                          "read as infinite; NaN and Infinity are not JSON)",
                          "send a finite number within that range")


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str, limit: int = 40) -> str:
    return ascii(text[:limit]) + ("..." if len(text) > limit else "")


def _number(n: int) -> str:
    digits = len(str(abs(n)))
    return str(n) if digits <= 30 else f"a {digits}-digit integer"


def _where(frame, key, root: str) -> str:
    """``request parcels.features[3].properties.name`` for the value ``key`` of ``frame``."""
    parts: list[str] = []
    if key is not None:
        parts.append(_step(frame[0], key))
    while frame is not None and frame[1] is not None:
        parts.append(_step(frame[1][0], frame[2]))
        frame = frame[1]
    parts.reverse()
    if len(parts) > 12:  # deep nesting: the start and the end of the path
        parts = [*parts[:6], "...", *parts[-3:]]
    path = "".join(parts).lstrip(".")
    full = ".".join(p for p in (root, path) if p)
    return f"request {full}" if full else "request body"


def _step(container: Any, key: Any) -> str:
    if type(container) is list:
        item = container[key]
        name = item.get("name") if type(item) is dict else None
        label = f" ({_shown(name, 60)})" if isinstance(name, str) and _encodable(name) else ""
        return f"[{key}]{label}"
    return f".{_shown(key, 60) if not _encodable(key) else key}"
