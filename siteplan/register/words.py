"""The register's view of :mod:`siteplan.words` (its ``register`` section), and its colours.

Numbers, dates and escaping are :mod:`siteplan.words`' own.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..words import section
from .models import STATES

__all__ = ["REGISTER_TEXT", "STATE_COLOURS", "state_word"]

#: the ``register`` section of :mod:`siteplan.words`, per language
REGISTER_TEXT: Mapping[str, Mapping[str, str]] = section("register")

#: one colour per state: talks in blues, agreed and built in greens, closed in greys
STATE_COLOURS: Mapping[str, str] = {
    "usulan": "#93c5fd", "ditawarkan": "#3b82f6", "survei": "#1d4ed8",
    "disepakati": "#22c55e", "dibangun": "#15803d", "beroperasi": "#14532d",
    "ditolak": "#9ca3af", "dibatalkan": "#6b7280",
}


def state_word(state: str, lang: str) -> str:
    """A state as a person reads it: ``ditawarkan`` in Indonesian, ``offered`` in English.

    Examples
    --------
    >>> state_word("disepakati", "en"), state_word("disepakati", "id")
    ('agreed', 'disepakati')
    """
    s = STATES.get(state)
    if s is None:
        return state
    return s.en if lang == "en" else s.name
