"""The maps' view of :mod:`siteplan.words` (kept for older imports; it holds no words).

Every word, number format and the escaping function live in
:mod:`siteplan.words`; this module names its ``map`` section ``TEXT`` and its
``allocation`` section ``ALLOCATION_TEXT`` as the renderers have always read them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import words as _w
from ..words import (  # noqa: F401  (re-exported)
    CONTROL_CHARS,
    LANGS,
    esc,
    esc1,
    fmt1,
    fmt_fixed,
    fmt_int,
    json_data,
    text,
)

TEXT: Mapping[str, Mapping[str, str]] = _w.section("map")
ALLOCATION_TEXT: Mapping[str, Mapping[str, str]] = _w.section("allocation")
#: column -> language -> value -> word (the ``values`` section, turned around)
VALUE_NAMES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    col: {lang: _w.words(lang)["values"][col] for lang in LANGS}
    for col in _w.words(LANGS[0])["values"]}
SEPARATORS: Mapping[str, tuple[str, str]] = {lang: _w.separators(lang) for lang in LANGS}


def check_lang(lang: str, where: str) -> Mapping[str, str]:
    """The map words of ``lang``, or a clear error listing the languages."""
    return _w.check_lang(lang, where)["map"]


def seps(lang: str) -> tuple[str, str]:
    """(thousands, decimal) separators of ``lang``."""
    return _w.separators(lang)


def value_names(values: pd.Series, column: str, lang: str) -> pd.Series:
    """Canonical layer values (``hutan_kota``) shown in the language (``urban forest``)."""
    table = _w.words(lang)["values"].get(column, {})
    key = text(values).str.lower()
    shown = key.map(table)
    return shown.astype("string").fillna(text(values).str.replace("_", " ", regex=False))
