"""The maps' view of :mod:`siteplan.words` (kept for older imports; it holds no words).

Every word, number format and the escaping function live in
:mod:`siteplan.words`; this module names its ``map`` section ``TEXT`` and its
``allocation`` section ``ALLOCATION_TEXT`` as the renderers have always read them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
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


def reasons_text(frame: pd.DataFrame, constraints, lang: str) -> pd.Series:
    """Why each row is excluded, in words (not escaped): the rules it breaks
    (:func:`siteplan.words.reason_words`), and the open offer of the register that
    holds it (:func:`siteplan.register.use.held_words`), after them."""
    n = len(frame)
    rules = frame["excluded_rules"] if "excluded_rules" in frame else pd.Series([""] * n)
    said = _w.reason_words(rules, frame.get("excluded_by"), frame.get("status"),
                           constraints if "excluded_rules" in frame else [], lang)
    if "offer_id" not in frame:
        return said
    from ..register.use import held_words

    held = held_words(frame, lang)
    by_rule = (text(rules) != "").to_numpy()
    mine = (held != "").to_numpy()
    return pd.Series(np.where(mine & by_rule, said + "; " + held, np.where(mine, held, said)),
                     dtype="string")
