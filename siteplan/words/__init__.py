"""Every word siteplan shows a person, and every number and date format: one place.

One table per language (:mod:`siteplan.words.id`, :mod:`siteplan.words.en`),
each in sections: ``map`` (score, RTH and selection maps, the interactive
panel), ``allocation``, ``locate``, ``brief``, ``register``, ``values``
(layer values such as ``hutan_kota`` in words), ``units``, ``methods``
(aggregation methods), ``schemes`` (classification schemes), ``months``,
``rules`` (why a parcel is excluded, made from the rule itself), ``notes``,
``status``, ``fields`` (GeoPackage field aliases), ``qgis`` and ``coords``.
The tables hold the same keys (``tests/words/test_words.py`` fails when one language
lacks a key another has).

Stages hand each other facts (rule ids, numbers, the profile); renderers turn
them into words here, at the edge, with one number format per language
(:func:`fmt1`: ``1.234,5`` in Indonesian, ``1,234.5`` in English) and one
escaping function (:func:`esc`).

Adding a language is adding its module beside ``id.py`` and ``en.py`` and its
name to :data:`LANGS`.

Examples
--------
>>> from siteplan import words
>>> words.LANGS
('id', 'en')
>>> words.fmt1(48.7, 1, "id"), words.words("en")["map"]["score"]
('48,7', 'Score')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ._escape import CONTROL_CHARS, esc, esc1, json_data, text
from ._numbers import coords_plain, fmt1, fmt_date, fmt_fixed, fmt_int, num, plain_number
from ._tables import _TABLES, LANGS, Lang, check_lang, section, separators, words

__all__ = ["LANGS", "Lang", "words", "check_lang", "separators", "esc", "esc1", "json_data",
           "text", "CONTROL_CHARS", "fmt_int", "fmt_fixed", "fmt1", "num", "fmt_date",
           "coords_plain", "plain_number", "value_word", "unit_word", "rule_text",
           "distance_words", "key_paths", "section", "measured_words", "source_text",
           "skip_words", "notes_text", "reason_words", "notes_words", "status_words",
           "measured_column"]



def key_paths(table: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Every key of a nested table as a dotted path (``map.score``, ``values.rth_type.taman``)."""
    out = set()
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= key_paths(value, path + ".")
        else:
            out.add(path)
    return out


def value_word(column: str, value: object, lang: str) -> str:
    """A layer value in words (``hutan_kota`` -> ``urban forest``), not escaped; "–" if missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in {
            "", "<NA>", "nan"}:
        return "–"
    table = _TABLES[lang]["values"].get(column, {})
    key = str(value).strip().lower()
    return str(table.get(key, str(value).replace("_", " ")))


def unit_word(unit: str, lang: str) -> str:
    """A measure's unit (the ``unit`` of :data:`siteplan.measures.MEASURES`) in words."""
    return str(_TABLES[lang]["units"].get(unit, unit))


def distance_words(metres: float, lang: str) -> str:
    """Metres as ``850 m`` or, from 1 km, ``1,2 km``."""
    if not math.isfinite(metres):
        return "–"
    if metres >= 1000:
        km = metres / 1000
        return f"{fmt1(km, 0 if km == round(km) else 1, lang)} km"
    return f"{fmt1(metres, 0, lang)} m"


def _list(values: Any, column: str, lang: str) -> str:
    return ", ".join(value_word(column, v, lang) for v in values)


def _where(con: Mapping[str, Any], lang: str) -> str:
    parts = [_list(v, k, lang) for k, v in (con.get("where") or {}).items()]
    return _TABLES[lang]["rules"]["where"].format(values="; ".join(parts)) if parts else ""


def rule_text(con: Mapping[str, Any], lang: str) -> str:
    """Why a parcel breaking this constraint is excluded, in words (not escaped).

    The constraint's own ``title`` in the language when it has one; else made
    from the rule (its type, layer, distance, value).

    Examples
    --------
    >>> rule_text({"type": "outside", "layer": "sawah", "buffer": 0}, "id")
    'di sawah (LP2B)'
    >>> rule_text({"type": "outside", "layer": "rivers", "buffer": 1500}, "en")
    'within 1.5 km of rivers'
    >>> rule_text({"type": "min_area", "value": 1000, "title": {"en": "Too small"}}, "en")
    'Too small'
    """
    title = con.get("title") or {}
    if isinstance(title, Mapping) and title.get(lang):
        return str(title[lang])
    tx = _TABLES[lang]["rules"]
    kind = con.get("type")
    layer = value_word("layer", con.get("layer"), lang) if con.get("layer") else ""
    if kind in {"min_area", "max_area"}:
        return tx[kind].format(value=fmt1(float(con["value"]), 0, lang))
    if kind == "attribute":
        conds = []
        for key in ("in", "not_in"):
            if key in con:
                conds.append(tx[f"attr_{key}"].format(values=_list(con[key], con["column"],
                                                                   lang)))
        for key in ("min", "max"):
            if key in con:
                conds.append(tx[f"attr_{key}"].format(value=num(con[key], 2, lang)))
        return tx["attribute"].format(column=con.get("column", ""), conditions="; ".join(conds))
    where = _where(con, lang)
    buffer = float(con.get("buffer") or 0.0)
    share = tx["share"].format(share=fmt1(100 * float(con["max_share"]), 0, lang) + "%") \
        if con.get("max_share") else ""
    if kind == "inside":
        if buffer > 0:
            return tx["inside_buffer"].format(buffer=distance_words(buffer, lang), layer=layer,
                                              where=where)
        return tx["inside"].format(layer=layer, where=where)
    if "slope_above" in con:
        unit = tx["slope_degrees"] if con.get("slope_unit") == "degrees" else tx["slope_percent"]
        return tx["outside_slope"].format(value=num(con["slope_above"], 1, lang).rstrip("0")
                                          .rstrip(",.") or "0", unit=unit, share=share)
    if "at_least" in con:
        return tx["outside_at_least"].format(layer=layer, value=num(con["at_least"], 2, lang),
                                             share=share)
    if "values" in con:
        return tx["outside_values"].format(layer=layer, values=_list(con["values"], "value",
                                                                       lang), share=share)
    if buffer > 0:
        return tx["outside"].format(buffer=distance_words(buffer, lang), layer=layer,
                                    where=where)
    return tx["outside_on"].format(layer=layer, where=where)


def measured_words(value: object, unit: str, lang: str, *, limit: float | None = None,
                   column: str = "") -> str:
    """A criterion's measured value with its unit (not escaped), in the language's numbers.

    ``unit`` is the measure's (:func:`siteplan.measures.unit_of`): ``share``
    (kept as 0-1) is shown in per cent; an infinite distance is "more than
    ``limit``" (the criterion's search limit); a text value of an attribute
    is shown in words.

    Examples
    --------
    >>> measured_words(320.4, "m", "id"), measured_words(0.253, "share", "en")
    ('320 m', '25.3%')
    >>> measured_words(float("inf"), "m", "id", limit=2000), measured_words(12.26, "min", "en")
    ('lebih dari 2.000 m', '12.3 minutes')
    """
    import numpy as np

    if value is None:
        return "–"
    if not isinstance(value, int | float | np.number) or isinstance(value, bool):
        return value_word(column, value, lang)
    x = float(value)
    if math.isnan(x):
        return "–"
    word = unit_word(unit, lang)
    if math.isinf(x):
        shown = f"{fmt1(limit, 0, lang)} {word}".strip() if limit is not None else "∞"
        return str(_TABLES[lang]["brief"]["beyond"]).format(d=shown)
    if unit == "share":
        return f"{fmt1(x * 100.0, 1, lang)}%"
    if unit in {"%", "°"}:
        return f"{fmt1(x, 1, lang)}{word}"
    if unit == "min":
        return f"{fmt1(x, 1, lang)} {word}"
    if not word:
        return fmt1(x, 2, lang)
    return f"{fmt1(x, 0, lang)} {word}"


def measured_column(values: Any, unit: str, lang: str, *, limit: float | None = None,
                    column: str = "") -> pd.Series:
    """:func:`measured_words` for a column of values, column-wise (not escaped).

    Numbers are formatted once for the column; in a column of mixed values
    each distinct value is looked at once (a text value, an attribute's
    category, is said in words), never each row.

    Examples
    --------
    >>> list(measured_column([320.4, float("inf"), None], "m", "id", limit=2000))
    ['320 m', 'lebih dari 2.000 m', '–']
    >>> list(measured_column([0.253, 1.0], "share", "en"))
    ['25.3%', '100.0%']
    """
    import numpy as np

    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values,
                                                                             dtype=object)
    said_as_text = np.zeros(len(arr), dtype=bool)
    if arr.dtype.kind in "fiu":
        x = arr.astype(float)
        texts: np.ndarray = np.zeros(0, dtype=object)
    else:                      # mixed values: each distinct one looked at once
        codes, uniques = pd.factorize(pd.Series(arr, dtype=object), use_na_sentinel=True)
        u = np.asarray(uniques, dtype=object)
        u_num = np.array([isinstance(v, int | float | np.number) and not isinstance(
            v, bool | np.bool_) for v in u], dtype=bool)
        u_x = np.array([float(v) if k else np.nan for v, k in zip(u, u_num, strict=True)],
                       dtype=float)
        has = codes >= 0
        x = np.where(has, u_x[np.where(has, codes, 0)] if len(u) else np.nan, np.nan)
        said_as_text = has & ~(u_num[np.where(has, codes, 0)] if len(u) else has)
        texts = np.array([value_word(column, v, lang) for v in u], dtype=object)[
            codes[said_as_text]] if said_as_text.any() else np.zeros(0, dtype=object)
    word = unit_word(unit, lang)
    if unit == "share":
        out = fmt_fixed(x * 100.0, 1, lang) + "%"
    elif unit in {"%", "°"}:
        out = fmt_fixed(x, 1, lang) + word
    elif unit == "min":
        out = fmt_fixed(x, 1, lang) + " " + word
    elif not word:
        out = fmt_fixed(x, 2, lang)
    else:
        out = fmt_fixed(x, 0, lang) + " " + word
    shown = f"{fmt1(limit, 0, lang)} {word}".strip() if limit is not None else "∞"
    out = out.where(~np.isinf(x), str(_TABLES[lang]["brief"]["beyond"]).format(d=shown))
    out = out.where(~np.isnan(x), "–").to_numpy(dtype=object)
    out[said_as_text] = texts
    return pd.Series(out, dtype=object)


def source_text(source: object, lang: str) -> str:
    """A profile's ``source`` in the language: plain text as it is, or its ``lang`` entry.

    Examples
    --------
    >>> source_text({"id": "PP 38/2011 Pasal 10", "en": "PP 38/2011 Article 10"}, "en")
    'PP 38/2011 Article 10'
    >>> source_text("UU 41/2009", "id")
    'UU 41/2009'
    """
    if isinstance(source, Mapping):
        return str(source.get(lang) or next((source[k] for k in LANGS if source.get(k)), ""))
    return "" if source is None else str(source)


def skip_words(reason: str, layer: str | None, lang: str) -> str:
    """Why a rule was left out (``layer_not_given`` or ``no_matching_feature``), in words."""
    tx = _TABLES[lang]["map"]
    shown = value_word("layer", layer, lang) if layer else "–"
    return str(tx.get(f"skip_{reason}", "{layer}")).format(layer=shown)


def notes_text(skipped: Any, missing: Any, lang: str) -> str:
    """A parcel's notes in words (not escaped), made from facts.

    ``skipped``: ``(kind, title, reason, layer)`` of each rule left out for
    want of data; ``missing``: ``(title, fill, by_road)`` of each criterion
    the parcel has no value for (``by_road``: a road measure found no way).

    Examples
    --------
    >>> notes_text([("criterion", "Penduduk", "layer_not_given", "population")],
    ...            [("Dekat pasar", 0.0, True)], "id").split("; ")[1]
    'Dekat pasar: tidak terjangkau lewat jalan, dihitung 0'
    """
    tx = _TABLES[lang]["notes"]
    parts = [tx["left_out"].format(kind=tx.get(kind, kind), title=title,
                                   why=skip_words(reason, layer, lang))
             for kind, title, reason, layer in skipped]
    parts += [tx["unreachable" if road else "no_value"].format(
        title=title, fill=plain_number(float(fill), 2).replace(".", separators(lang)[1]))
        for title, fill, road in missing]
    return "; ".join(parts)


def reason_words(excluded_rules: Any, excluded_by: Any, status: Any,
                 constraints: Sequence[Mapping[str, Any]], lang: str) -> pd.Series:
    """Why each row is excluded, in words (not escaped), column-wise.

    ``excluded_rules`` holds the numbers of the broken rules (``"1;3"``), each
    named by its constraint (:func:`rule_text`); a row without numbers keeps
    its ``excluded_by`` text, and a parcel rejected when the data were read
    (``status`` ``"rejected"``, ``excluded_by`` ``"rejected: <reason>"``)
    reads the loader's reason inside the language's words. ``status`` and
    ``excluded_by`` may be ``None`` (no such column).

    Examples
    --------
    >>> cons = [{"type": "min_area", "value": 1000}, {"type": "outside", "layer": "sawah"}]
    >>> list(reason_words(["1;2", "", ""], ["", "", "rejected: no geometry"],
    ...                   ["excluded", "scored", "rejected"], cons, "id"))
    ['luas kurang dari 1.000 m²; di sawah (LP2B)', '', 'ditolak saat data dibaca: no geometry']
    """
    ids = text(excluded_rules)
    n = len(ids)
    plain = text(excluded_by) if excluded_by is not None else pd.Series(
        "", index=range(n), dtype="string")
    if status is not None:
        rejected = (text(status) == "rejected") & plain.str.startswith("rejected: ")
        head, _, tail = str(_TABLES[lang]["rules"]["rejected"]).partition("{reason}")
        plain = plain.where(~rejected, head + plain.str.slice(len("rejected: ")) + tail)
    if not n or not constraints:
        return plain
    titles = {str(i): rule_text(con, lang) for i, con in enumerate(constraints, 1)}
    parts = ids.str.split(";").explode()
    named = parts.map(titles).astype("string").fillna(parts)
    joined = named[parts != ""].groupby(level=0).agg("; ".join)
    shown = joined.reindex(ids.index).astype("string")
    return shown.where(ids != "", plain)


def notes_words(missing: Any, skipped: Sequence[tuple], criteria: Sequence[tuple],
                lang: str) -> pd.Series:
    """Each row's notes in words (not escaped), column-wise: :func:`notes_text` per row.

    ``missing`` is one row per parcel, one column per criterion: True where
    the parcel was scored without a value for it; ``criteria`` gives each
    column's ``(title, fill, by_road)`` and ``skipped`` the rules left out
    (the same for every row). The words are made once per distinct pattern
    of missing values, not once per row.

    Examples
    --------
    >>> import numpy as np
    >>> list(notes_words(np.array([[False], [True]]), [], [("Dekat pasar", 0.0, False)], "en"))
    ['', 'Dekat pasar: no value, counted as 0']
    """
    import numpy as np

    miss = np.asarray(missing, dtype=bool)
    if miss.ndim != 2 or miss.shape[1] == 0:
        miss = np.zeros((len(miss), 0), dtype=bool)
        return pd.Series([notes_text(skipped, [], lang)] * len(miss), dtype=object)
    patterns, which = np.unique(miss, axis=0, return_inverse=True)
    said = np.array([notes_text(skipped, [c for c, m in zip(criteria, row, strict=True) if m],
                                lang) for row in patterns], dtype=object)
    return pd.Series(said[np.asarray(which).ravel()], dtype=object)


def status_words(status: Any, lang: str) -> pd.Series:
    """A result's ``status`` codes (``scored``, ``excluded``, ...) in words; others as they are.

    Examples
    --------
    >>> list(status_words(["scored", "excluded", "rejected", "held"], "id"))
    ['dinilai', 'dikecualikan', 'ditolak', 'held']
    """
    s = text(status)
    return s.map(dict(_TABLES[lang]["status"])).astype("string").fillna(s)
