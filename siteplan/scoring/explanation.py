"""Why one site scores as it does: :func:`explain`, a table a planner can read out.

The score of a site is the sum of its criteria's points (plus, for TOPSIS,
the method's base value): ``score = base + sum(points)``. :func:`explain`
lays those numbers out per criterion next to what was measured, with its
unit, and the standard the criterion rests on. It reads only the result and
its record (:func:`siteplan.record_of`): nothing is measured again.

The words (criterion titles, units, the base row) come from the profile and
from the brief's vocabulary, so the table and the partner brief say the same
thing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError
from .record import ScoreRecord, record_of

if TYPE_CHECKING:
    import geopandas as gpd

    from ..criterion import Criterion

__all__ = ["explain", "COLUMNS"]

#: the columns of :func:`explain`'s table, in order
COLUMNS = ("criterion", "measured", "value", "unit", "suitability", "weight", "points",
           "source")


def _measured_text(crit: Criterion, value: Any, unit: str, lang: str) -> str:
    """The raw value with its unit, in the language's number format ("1.234 m")."""
    from ..methods.transforms import saturation_distance
    from ..words import measured_words

    if isinstance(value, str):
        return value                           # a category read from an attribute
    return measured_words(value, unit, lang, limit=saturation_distance(crit.transform or {}),
                          column=crit.column or "")


def _row_of(result: pd.DataFrame, parcel_id: Any) -> pd.Series:
    if "parcel_id" not in result.columns:
        raise SiteplanInputError(Problem("explain", "the result has no column 'parcel_id'",
                                         "pass what sp.score returns"))
    ids = result["parcel_id"]
    hit = (ids == parcel_id).to_numpy(dtype=bool)
    if not hit.any():          # 36730400600013 given for "36730400600013", or the reverse
        hit = (ids.astype("string") == str(parcel_id)).to_numpy(dtype=bool)
    if not hit.any():
        some = ", ".join(repr(x) for x in ids.head(3).tolist())
        raise SiteplanInputError(Problem("explain", f"parcel_id {parcel_id!r} is not in the "
                                         "result", f"give one of the result's parcel_id "
                                         f"values (e.g. {some})"))
    if hit.sum() > 1:
        raise SiteplanInputError(Problem("explain", f"parcel_id {parcel_id!r} is in "
                                         f"{int(hit.sum())} rows of the result",
                                         "give a result with one row per parcel"))
    return result.loc[hit].iloc[0]


def explain(result: gpd.GeoDataFrame, parcel_id: Any, *, lang: str = "id") -> pd.DataFrame:
    """Why one site scores as it does: one row per criterion, points adding up to the score.

    Parameters
    ----------
    result
        What :func:`siteplan.score` returned (or a result read back from a
        file with :func:`siteplan.outputs.read_result`): it carries the
        record of the profile that was scored.
    parcel_id
        The site's ``parcel_id`` (a number given for a text id is matched as
        text).
    lang
        ``"id"`` (Indonesian) or ``"en"``: the criteria's titles, the units
        and the number format of ``measured``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the criterion's name, one row per criterion scored:
        ``criterion`` (its title in ``lang``), ``measured`` (the raw value with
        its unit, as text in the language's number format), ``value`` (the raw
        value as a number; text for a category), ``unit``, ``suitability``
        (the transformed value in [0, 1]), ``weight`` (summing to 1),
        ``points`` (the criterion's share of the 0-100 score) and
        ``source`` (the standard the criterion rests on, empty when the
        profile names none). When the method's base value is not 0 (TOPSIS)
        a last row ``base`` holds it as points, so ``points`` always sums to
        the score. ``attrs`` hold ``parcel_id``, ``score``, ``rank``,
        ``status``, ``excluded_by``, ``method`` and ``lang``; a parcel that
        was excluded or rejected has no points (NaN) and ``excluded_by``
        says why.

    Raises
    ------
    SiteplanInputError
        The result has no record, the parcel is not in it (or twice), or the
        language is unknown.

    Examples
    --------
    >>> import siteplan as sp
    >>> result = sp.score(sp.load_sample(), "sentra_kuliner")
    >>> best = result.sort_values("rank")["parcel_id"].iloc[0]
    >>> why = sp.explain(result, best, lang="en")
    >>> list(why.columns)
    ['criterion', 'measured', 'value', 'unit', 'suitability', 'weight', 'points', 'source']
    >>> bool(abs(why["points"].sum() - why.attrs["score"]) < 1e-9)
    True
    """
    from ..measures import unit_of
    from ..words import check_lang, source_text, unit_word

    tx = check_lang(lang, "explain")["brief"]
    rec: ScoreRecord = record_of(result, where="explain")
    row = _row_of(result, parcel_id)
    scored = bool(row.get("eligible", False)) and pd.notna(row.get("score"))
    rows = []
    for crit in rec.criteria:
        name = crit.name
        measured_as = str(rec.measured_as.get(name) or crit.measure)
        key = unit_of(crit, measured_as)
        value = row.get(f"m_{name}", np.nan)
        if isinstance(value, np.generic):
            value = value.item()
        suit = row.get(f"c_{name}", np.nan)
        pts = row.get(f"contrib_{name}", np.nan)
        rows.append({"name": name, "criterion": crit.label(lang),
                     "measured": _measured_text(crit, value, key, lang) if scored else "–",
                     "value": value if scored else np.nan,
                     "unit": unit_word(key, lang),
                     "suitability": float(suit) if scored else np.nan,
                     "weight": float(crit.weight),
                     "points": float(pts) if scored else np.nan,
                     "source": source_text(crit.source, lang)})
    base = float(rec.base_score or 0.0)
    if base != 0.0:
        rows.append({"name": "base",
                     "criterion": tx["base_row"].format(method=rec.method.upper()),
                     "measured": "–", "value": np.nan, "unit": "", "suitability": np.nan,
                     "weight": np.nan, "points": base if scored else np.nan,
                     "source": tx["base_note"]})
    out = pd.DataFrame(rows).set_index("name")
    out.index.name = "name"
    out = out[list(COLUMNS)]
    rank = row.get("rank")
    out.attrs.update({
        "parcel_id": row["parcel_id"],
        "score": float(row["score"]) if scored else math.nan,
        "rank": int(rank) if scored and pd.notna(rank) else None,
        "status": str(row.get("status") or ("scored" if scored else "excluded")),
        "excluded_by": str(row.get("excluded_by") or ""),
        "method": rec.method, "lang": lang})
    return out
