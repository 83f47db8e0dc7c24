"""Write a profile as TOML with tomlkit, keeping the comments of the file it came from.

Used by :func:`siteplan.profile_to_toml` and by the interactive map's "copy as
TOML", which passes marker text for the weights and the method and fills them
in the browser.

A profile read from a file keeps that file's text (``Profile.source_text``).
Its TOML is then that text, parsed by tomlkit, with only what differs from it
changed: a new weight, method or title, a criterion added or left out. The
comments (the planning standards a profile cites, the judgements it records)
and the layout stay. A profile built in code is written afresh.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np
import tomlkit
from tomlkit.items import AoT, Table

from .._errors import Problem, SiteplanInputError
from .._version import __version__

if TYPE_CHECKING:
    from .profile import Profile

__all__ = ["toml_text", "profile_to_toml"]

_SAME = 1e-12          # weights closer than this are the file's own


def _plain(v: Any) -> Any:
    """A value as TOML can hold it: mappings, lists, text, numbers (None dropped)."""
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items() if x is not None}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    raise SiteplanInputError(Problem("profile_to_toml", f"cannot write {v!r} "
                                     f"({type(v).__name__}) as TOML",
                                     "profiles hold text, numbers, lists and tables only"))


def _item(v: Any) -> Any:
    """A tomlkit item: tables inline (``{ id = "...", en = "..." }``), as profiles write them."""
    v = _plain(v)
    if isinstance(v, dict):
        table = tomlkit.inline_table()
        for k, x in v.items():
            table[k] = _item(x)
        return table
    if isinstance(v, list):
        arr = tomlkit.array()
        arr.extend(_item(x) for x in v)
        return arr
    return tomlkit.item(v)


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, Mapping | list | tuple) and not v)


def _put(table: Any, key: str, value: Any) -> None:
    """Set ``key`` (or remove it when the value is empty)."""
    if _empty(value):
        if key in table:
            del table[key]
        return
    table[key] = _item(value)


def _crit_values(crit: Any) -> dict[str, Any]:
    """A criterion's keys as the TOML writes them (the weight apart)."""
    return {f.name: getattr(crit, f.name) for f in fields(crit) if f.name != "weight"}


def _crit_table(crit: Any) -> Table:
    table = tomlkit.table()
    for key, value in _crit_values(crit).items():
        if not _empty(value):
            table[key] = _item(value)
    return table


def _con_table(con: Mapping[str, Any]) -> Table:
    table = tomlkit.table()
    for key, value in con.items():
        if not _empty(value):
            table[key] = _item(value)
    return table


def _top(doc: Any, prof: Profile, old: Profile | None) -> None:
    """name, title, description, allow_inconsistent, [owa], [candidates]: what changed."""
    def changed(attr: str) -> bool:
        return old is None or _plain(getattr(old, attr)) != _plain(getattr(prof, attr))

    for attr in ("name", "title", "description"):
        if changed(attr):
            _put(doc, attr, getattr(prof, attr))
    if changed("allow_inconsistent"):
        _put(doc, "allow_inconsistent", True if prof.allow_inconsistent else None)
    if changed("owa_alpha"):
        _put_owa(doc, prof.owa_alpha)
    if changed("candidates"):
        _put_candidates(doc, prof.candidates)


def _put_owa(doc: Any, alpha: float) -> None:
    """The [owa] table set to ``alpha``, or removed when alpha is the default 1.0."""
    if alpha != 1.0:
        if "owa" not in doc:
            doc["owa"] = tomlkit.table()
        doc["owa"]["alpha"] = _item(float(alpha))
    elif "owa" in doc:
        del doc["owa"]


def _put_candidates(doc: Any, candidates: Mapping[str, tuple]) -> None:
    """The [candidates] table made to match, column by column, or removed when empty."""
    if candidates:
        if "candidates" not in doc:
            doc["candidates"] = tomlkit.table()
        table = doc["candidates"]
        for col in [c for c in table if c not in candidates]:
            del table[col]
        for col, allowed in candidates.items():
            if list(table.get(col, [])) != list(allowed):
                table[col] = _item(list(allowed))
    elif "candidates" in doc:
        del doc["candidates"]


def _constraints(doc: Any, prof: Profile, old: Profile | None) -> None:
    new = [_plain(c) for c in prof.constraints]
    before = [_plain(c) for c in old.constraints] if old is not None else None
    if new == before:
        return
    blocks = doc.get("constraints")
    if before is not None and isinstance(blocks, AoT) and len(blocks) == len(new) == \
            len(before):
        for block, b, n in zip(blocks, before, new, strict=True):  # key by key, in place
            for key in set(b) | set(n):
                if b.get(key) != n.get(key):
                    _put(block, key, n.get(key))
        return
    if "constraints" in doc:
        del doc["constraints"]
    if new:
        aot = tomlkit.aot()
        for con in prof.constraints:
            aot.append(_con_table(con))
        doc["constraints"] = aot


def _criteria(doc: Any, prof: Profile, old: Profile | None) -> dict[str, Any]:
    """Criteria by name: changed keys set, left-out ones removed, new ones added.

    Returns the criterion name -> its table in the document.
    """
    before = {c.name: _crit_values(c) for c in old.criteria} if old is not None else {}
    blocks = doc.get("criteria")
    tables: dict[str, Any] = {}
    if isinstance(blocks, AoT) and old is not None:
        for block in blocks:
            tables.setdefault(str(block.get("name")), block)
    names = [c.name for c in prof.criteria]
    if isinstance(blocks, AoT) and [str(b.get("name")) for b in blocks] != names:
        keep = tomlkit.aot()                  # the file's blocks (with their comments), in order
        for crit in prof.criteria:
            keep.append(tables[crit.name] if crit.name in tables else _crit_table(crit))
        del doc["criteria"]
        doc["criteria"] = keep
        tables = {c.name: t for c, t in zip(prof.criteria, keep, strict=True)}
    elif not isinstance(blocks, AoT):
        aot = tomlkit.aot()
        for crit in prof.criteria:
            aot.append(_crit_table(crit))
        doc["criteria"] = aot
        return {c.name: t for c, t in zip(prof.criteria, aot, strict=True)}
    for crit in prof.criteria:
        if crit.name not in before:
            continue
        b, n = before[crit.name], _crit_values(crit)
        for key in n:
            if (None if _empty(b[key]) else _plain(b[key])) != \
                    (None if _empty(n[key]) else _plain(n[key])):
                _put(tables[crit.name], key, n[key])
    return tables


def _placeholder(j: int) -> str:
    return f"__siteplan_weight_{j}__"


_METHOD = "__siteplan_method__"


def toml_text(prof: Profile, *, weights: Mapping[str, str] | None = None,
              method: str | None = None) -> str:
    """The profile as TOML; ``weights``/``method`` replace the values by given text (page markers).

    Parameters
    ----------
    prof
        The profile. When it came from a file (``source_text``), that text is
        edited and its comments kept.
    weights
        Criterion name -> text written after ``weight =`` (the interactive
        map's markers); the weights are then written per criterion.
    method
        Text written after ``method =`` (a marker).

    Returns
    -------
    str
        TOML that :func:`siteplan.read_profile` reads back.
    """
    from .profile import profile_from_dict

    old = None
    if prof.source_text:
        try:
            doc = tomlkit.parse(prof.source_text)
            old = profile_from_dict(tomllib.loads(prof.source_text))
        except Exception:  # noqa: BLE001 - a text that no longer reads: write afresh
            old = None
    if old is None:
        doc = tomlkit.document()
        doc.add(tomlkit.comment(f"profile {prof.name}: written by siteplan {__version__} "
                                "(direct weights)"))
    _top(doc, prof, old)
    if method is not None:
        doc["method"] = _METHOD
    elif old is None or old.method != prof.method:
        doc["method"] = prof.method
    _constraints(doc, prof, old)
    tables = _criteria(doc, prof, old)
    same = (old is not None and weights is None and
            [c.name for c in old.criteria] == [c.name for c in prof.criteria] and
            all(abs(a.weight - b.weight) <= _SAME
                for a, b in zip(old.criteria, prof.criteria, strict=True)))
    if not same:                  # direct weights, per criterion, in place of a [weights] table
        if "weights" in doc:
            del doc["weights"]
        for j, crit in enumerate(prof.criteria):
            tables[crit.name]["weight"] = (_placeholder(j) if weights is not None
                                           else _item(float(crit.weight)))
    text = tomlkit.dumps(doc)
    if weights is not None:
        for j, crit in enumerate(prof.criteria):
            text = text.replace(f'"{_placeholder(j)}"', weights[crit.name])
    if method is not None:
        text = text.replace(f'"{_METHOD}"', method)
    return text if text.endswith("\n") else text + "\n"


def profile_to_toml(profile: Profile | str) -> str:
    """A profile as TOML text that :func:`siteplan.read_profile` reads back.

    A profile read from a file (or a copy of one with new weights or method)
    is written as that file's text with only what changed edited, so its
    comments and the sources it cites stay. New weights are written per
    criterion (direct weights, in place of an AHP ``[weights]`` table);
    unchanged ones stay as the file wrote them.

    Parameters
    ----------
    profile
        A :class:`~siteplan.Profile` or the name of a built-in one.

    Returns
    -------
    str
        The TOML text.

    Examples
    --------
    >>> import siteplan as sp
    >>> prof = sp.get_profile("sentra_kuliner").with_weights({"luas": 0.6})
    >>> text = sp.profile_to_toml(prof)
    >>> "[[criteria]]" in text and 'method = "wlc"' in text
    True
    >>> from pathlib import Path
    >>> path = Path("mine.toml")
    >>> _ = path.write_text(text, encoding="utf-8")  # doctest: +SKIP
    >>> round(sp.read_profile(path).weights["luas"], 3)  # doctest: +SKIP
    0.4
    """
    from .profile import as_profile

    return toml_text(as_profile(profile))
