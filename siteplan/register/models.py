"""The register's model: the workflow of an offer, and the checks on what is written.

An offer moves through the states of :data:`STATES` along :data:`TRANSITIONS`
only. Every move is an event (who, when, from, to, note); the current state
is the last event's. Offers in a state that ``holds`` keep their parcels: no
other offer may take them. The same table seeds both databases, whose
triggers enforce it.

======================  ====================  =========================================
state                   meaning               next
======================  ====================  =========================================
``usulan``              proposed              ditawarkan, ditolak, dibatalkan
``ditawarkan``          offered               survei, disepakati, ditolak, dibatalkan
``survei``              surveyed              disepakati, ditolak, dibatalkan
``disepakati``          agreed (PKS, MoU)     dibangun, dibatalkan
``dibangun``            under construction    beroperasi, dibatalkan
``beroperasi``          in use                (none: the facility stays)
``ditolak``             declined (closed)     (none)
``dibatalkan``          cancelled (closed)    (none)
======================  ====================  =========================================
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .._errors import Problem
from ..limits import show, text_problems

__all__ = ["State", "STATES", "TRANSITIONS", "FIRST_STATES", "HOLDING", "CLOSED", "BUILT",
           "AGREED", "next_states", "profile_version", "MAX_TEXT", "text_field_problems",
           "utc_text", "date_text"]


@dataclass(frozen=True)
class State:
    """One state of the workflow: its order, whether it holds its parcels, its words."""

    name: str
    ord: int
    holds: bool
    en: str
    needs_agreement: bool = False
    needs_reason: bool = False


#: the workflow's states, in order
STATES: Mapping[str, State] = {s.name: s for s in (
    State("usulan", 1, True, "proposed"),
    State("ditawarkan", 2, True, "offered"),
    State("survei", 3, True, "surveyed"),
    State("disepakati", 4, True, "agreed", needs_agreement=True),
    State("dibangun", 5, True, "under construction"),
    State("beroperasi", 6, True, "in use"),
    State("ditolak", 7, False, "declined", needs_reason=True),
    State("dibatalkan", 8, False, "cancelled", needs_reason=True),
)}

#: (from, to) moves; from "" is the making of an offer
TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("", "usulan"), ("", "ditawarkan"),
    ("usulan", "ditawarkan"), ("usulan", "ditolak"), ("usulan", "dibatalkan"),
    ("ditawarkan", "survei"), ("ditawarkan", "disepakati"), ("ditawarkan", "ditolak"),
    ("ditawarkan", "dibatalkan"),
    ("survei", "disepakati"), ("survei", "ditolak"), ("survei", "dibatalkan"),
    ("disepakati", "dibangun"), ("disepakati", "dibatalkan"),
    ("dibangun", "beroperasi"), ("dibangun", "dibatalkan"),
)

FIRST_STATES = tuple(to for frm, to in TRANSITIONS if frm == "")
HOLDING = tuple(s.name for s in STATES.values() if s.holds)
CLOSED = tuple(s.name for s in STATES.values() if not s.holds)
#: facilities that exist (for coverage: people near them are served)
BUILT = ("dibangun", "beroperasi")
#: agreed and not yet built (allocation fixes them to their use)
AGREED = ("disepakati",)

#: the longest text a field takes (a note, a reason, a name)
MAX_TEXT = 10_000


def next_states(state: str) -> list[str]:
    """The states an offer in ``state`` may move to, in workflow order.

    Examples
    --------
    >>> next_states("survei")
    ['disepakati', 'ditolak', 'dibatalkan']
    >>> next_states("beroperasi")
    []
    """
    nxt = {to for frm, to in TRANSITIONS if frm == state}
    return [s for s in STATES if s in nxt]


def profile_version(profile_dict: Mapping[str, Any]) -> str:
    """A short digest of a profile as scored (its JSON form, without its file path).

    Two offers made with the same criteria, weights, constraints and method
    carry the same version; any change to them gives another.

    Examples
    --------
    >>> profile_version({"name": "rth", "method": "wlc"}) == profile_version(
    ...     {"method": "wlc", "name": "rth", "source_path": "/tmp/rth.toml"})
    True
    """
    data = {k: v for k, v in profile_dict.items() if k != "source_path"}
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def text_field_problems(where: str, fields: Mapping[str, Any], *,
                        required: Iterable[str] = ()) -> list[Problem]:
    """Problems with text arguments: not text, blank when required, too long, not UTF-8.

    Any other character is kept as given (quotes, ``<script>``, ``{{ }}``):
    queries take it as a parameter and every page escapes it.
    """
    required = set(required)
    out: list[Problem] = []
    for name, value in fields.items():
        if value is None and name not in required:
            continue
        if not isinstance(value, str):
            out.append(Problem(where, f"{name} must be text, got {show(value)}",
                               f"pass {name}=\"...\""))
            continue
        if name in required and not value.strip():
            out.append(Problem(where, f"{name} is empty", f"say who or what: {name}=\"...\""))
        if len(value) > MAX_TEXT:
            out.append(Problem(where, f"{name} has {len(value):,} characters, more than "
                               f"{MAX_TEXT:,}", f"shorten {name}"))
        if "\x00" in value:
            out.append(Problem(where, f"{name} holds a NUL character",
                               f"remove it from {name}"))
        out += text_problems(value, where, name)
    return out


def utc_text(at: datetime | date | str | None, where: str, field: str) -> tuple[str | None,
                                                                                Problem | None]:
    """A moment as UTC ISO text (now when None); a date is its midnight UTC."""
    if at is None:
        return datetime.now(UTC).isoformat(timespec="microseconds"), None
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            return None, Problem(where, f"{field} is {show(at)}, not a date or time",
                                 f"write {field}=\"2026-12-01\" or \"2026-12-01T09:30+07:00\"")
    if isinstance(at, date) and not isinstance(at, datetime):
        at = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if not isinstance(at, datetime):
        return None, Problem(where, f"{field} must be a date or time, got {show(at)}",
                             f"write {field}=\"2026-12-01\"")
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds"), None


def date_text(value: date | str | None, where: str, field: str) -> tuple[str | None,
                                                                         Problem | None]:
    """A calendar date as ``YYYY-MM-DD`` text (None stays None)."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return None, Problem(where, f"{field} is {show(value)}, not a date",
                                 f"write {field}=\"2026-12-01\"")
    if not isinstance(value, date):
        return None, Problem(where, f"{field} must be a date, got {show(value)}",
                             f"write {field}=\"2026-12-01\"")
    return value.isoformat(), None


def finite_or_none(x: Any) -> float | None:
    """A float, or None for a missing or non-finite value."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
