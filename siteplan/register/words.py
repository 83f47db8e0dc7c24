"""The register's words for maps and briefs, in Indonesian and English, and its colours.

Numbers, dates and escaping are the maps' own (:mod:`siteplan.render.words`).
"""

from __future__ import annotations

from collections.abc import Mapping

from .models import STATES

__all__ = ["REGISTER_TEXT", "STATE_COLOURS", "state_word"]

REGISTER_TEXT: Mapping[str, Mapping[str, str]] = {
    "id": {"layer": "Penawaran lahan ({n})", "offer": "Penawaran {id}", "partner": "Mitra",
           "use": "Peruntukan", "state": "Status", "since": "sejak", "site": "Persil",
           "history": "Riwayat penawaran", "when": "Waktu", "who": "Oleh", "move": "Perubahan",
           "note": "Catatan", "agreement": "Perjanjian", "override": "Dikecualikan, "
           "tetap ditawarkan karena", "none": "Persil ini belum pernah ditawarkan.",
           "section": "Status penawaran", "score_then": "Skor saat ditawarkan",
           "new": "dibuat", "synthetic": "register sampel sintetis"},
    "en": {"layer": "Site offers ({n})", "offer": "Offer {id}", "partner": "Partner",
           "use": "Use", "state": "State", "since": "since", "site": "Parcels",
           "history": "Offer history", "when": "When", "who": "By", "move": "Move",
           "note": "Note", "agreement": "Agreement", "override": "Excluded, offered "
           "anyway because", "none": "This parcel has never been offered.",
           "section": "Offer state", "score_then": "Score when offered",
           "new": "made", "synthetic": "synthetic sample register"},
}

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
