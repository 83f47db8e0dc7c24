"""One number and date format per language, for every output.

Indonesian writes ``1.234,5``, English ``1,234.5`` (the separators are in each
language's table). Maps, popups, legends, the brief, the QGIS style and the
interactive page's script all format through these functions (the script gets
the same separators from the page's JSON).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from ._tables import separators, words

__all__ = ["fmt_int", "fmt_fixed", "fmt1", "num", "fmt_date", "coords_plain", "plain_number"]


def _seps(lang: str) -> tuple[str, str]:
    return separators(lang)


def fmt_int(values, lang: str) -> pd.Series:
    """Rounded integers with thousands separators, vectorised ("–" for NaN)."""
    x = np.asarray(values, dtype=float)
    missing = ~np.isfinite(x)
    v = np.rint(np.where(missing, 0, x)).astype(np.int64)
    neg = v < 0
    a = np.abs(v)
    groups = [a % 1000]
    rest = a // 1000
    while (rest > 0).any():
        groups.append(rest % 1000)
        rest = rest // 1000
    ngroups = np.ones(len(a), dtype=int)
    for i in range(1, len(groups)):
        ngroups[a >= 1000 ** i] = i + 1
    sep = _seps(lang)[0]
    out = pd.Series(groups[0], dtype="int64").astype("string")
    below = pd.Series("", index=range(len(a)), dtype="string")
    for i in range(1, len(groups)):
        below = sep + pd.Series(groups[i - 1], dtype="int64").astype("string").str.zfill(3) \
            + below
        top = pd.Series(groups[i], dtype="int64").astype("string") + below
        out = out.where(ngroups != i + 1, top)
    out = out.where(~neg, "-" + out)
    return out.where(~missing, "–")


def fmt_fixed(values, decimals: int, lang: str) -> pd.Series:
    """Numbers with a fixed count of decimals and the language's separators, vectorised."""
    x = np.asarray(values, dtype=float)
    missing = ~np.isfinite(x)
    scale = 10 ** decimals
    iv = np.rint(np.where(missing, 0, np.abs(x)) * scale).astype(np.int64)
    out = fmt_int(iv // scale, lang)
    if decimals:
        frac = pd.Series(iv % scale, dtype="int64").astype("string").str.zfill(decimals)
        out = out + _seps(lang)[1] + frac
    out = out.where(~((x < 0) & (iv > 0)), "-" + out)
    return out.where(~missing, "–")


def fmt1(value: float, decimals: int, lang: str) -> str:
    """One number formatted like :func:`fmt_fixed`, without building a Series (the maps and
    the brief format thousands of single numbers).

    Examples
    --------
    >>> fmt1(2154.6, 0, "id"), fmt1(2154.6, 1, "en"), fmt1(-0.04, 1, "id")
    ('2.155', '2,154.6', '0,0')
    """
    x = float(value)
    if not math.isfinite(x):
        return "–"
    scale = 10 ** decimals
    iv = round(abs(x) * scale)             # half to even, as np.rint in fmt_fixed
    whole, frac = divmod(iv, scale)
    thousands, point = _seps(lang)
    text = f"{whole:,}".replace(",", thousands)
    if decimals:
        text += point + str(frac).zfill(decimals)
    return "-" + text if x < 0 and iv > 0 else text


def num(value: object, decimals: int, lang: str) -> str:
    """Like :func:`fmt1` for any value: "–" when it is not a number."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return fmt1(x, decimals, lang)


def fmt_date(d: date, lang: str) -> str:
    """``29 November 2026`` (the month in the language)."""
    months = words(lang)["months"]
    return f"{d.day} {months[d.month - 1]} {d.year}"


def coords_plain(lat: float, lon: float) -> str:
    """Degrees as a map search box takes them, in every language: ``-6.175789, 106.177217``.

    Examples
    --------
    >>> coords_plain(-6.1757891, 106.17721749)
    '-6.175789, 106.177217'
    """
    return f"{lat:.6f}, {lon:.6f}"


def plain_number(x: float, decimals: int = 6) -> str:
    """A number for a link or a file: rounded to ``decimals``, no trailing zeros.

    Examples
    --------
    >>> plain_number(0.19999999999999998), plain_number(0.25), plain_number(1.0)
    ('0.2', '0.25', '1')
    """
    if not math.isfinite(x):
        return "0"
    s = f"{round(x, decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in {"-0", ""} else s
