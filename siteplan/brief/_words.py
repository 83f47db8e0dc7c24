"""The brief's view of :mod:`siteplan.words` (it holds no words of its own).

Every text the brief shows is the ``brief`` section of the language's table;
numbers (:func:`num`: ``1.234,5`` in ``id``, ``1,234.5`` in ``en``), dates,
units and escaping are :mod:`siteplan.words`' own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import words as _w
from ..words import distance_words, fmt_date, num  # noqa: F401  (re-exported)

esc = _w.esc1

WORDS: Mapping[str, Mapping[str, Any]] = _w.section("brief")  # texts; layer_names a table
UNITS: Mapping[str, Mapping[str, str]] = _w.section("units")


def check_lang(lang: str) -> None:
    """Refuse a language the brief has no words for."""
    _w.check_lang(lang, "site_brief")


def value_word(column: str, value: object, lang: str) -> str:
    """A parcel column's value in words (escaped); "–" when missing."""
    return esc(_w.value_word(column, value, lang))
