"""A site's offers and their history as a section of the partner brief (HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..words import esc1, fmt1
from .words import REGISTER_TEXT, state_word

if TYPE_CHECKING:
    from ._core import Register

__all__ = ["offer_sections"]


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def offer_sections(register: Register, parcel_ids: Sequence[str], lang: str) -> dict[str, str]:
    """For each parcel id: an HTML ``<section>`` with the offers that include it and their
    history (newest offer first); a short line when it was never offered.

    Every value from the register goes through :func:`siteplan.render.words.esc1`.
    """
    tx = REGISTER_TEXT[lang]
    offers = register.offers()
    parts = register.offer_parcels()
    events = register.events()
    out: dict[str, str] = {}
    for pid in parcel_ids:                                   # the brief's few sites
        ids = parts.loc[parts["parcel_id"] == str(pid), "offer_id"].tolist()
        mine = offers.loc[offers["offer_id"].isin(ids).to_numpy()].sort_values(
            "offer_id", ascending=False)
        if not len(mine):
            out[str(pid)] = (f'<section class="offers"><h3>{tx["section"]}</h3>'
                             f'<p>{tx["none"]}</p></section>')
            continue
        blocks = []
        for o in mine.itertuples():
            head = (f'<p><b>{tx["offer"].format(id=int(o.offer_id))}</b>: '
                    f'{tx["partner"]} <b>{esc1(o.partner)}</b> · {tx["use"]} '
                    f'{esc1(str(o.profile).replace("_", " "))} · {tx["state"]} '
                    f'<b>{esc1(state_word(o.state, lang))}</b> {tx["since"]} '
                    f'{_day(o.since)}')
            if isinstance(o.agreement_no, str) and o.agreement_no:
                head += (f' · {tx["agreement"]} {esc1(o.agreement_no)} '
                         f'({esc1(o.agreement_date)})')
            if pd.notna(o.score):
                head += f' · {tx["score_then"]} {fmt1(float(o.score), 1, lang)}'
            head += "</p>"
            if isinstance(o.override_reason, str) and o.override_reason:
                head += f'<p>{tx["override"]}: {esc1(o.override_reason)}</p>'
            ev = events.loc[events["offer_id"] == o.offer_id]
            rows = "".join(
                f"<tr><td>{_day(e.at)}</td><td>{esc1(e.actor)}</td><td>"
                f"{esc1(state_word(e.from_state, lang)) if e.from_state else tx['new']} → "
                f"{esc1(state_word(e.to_state, lang))}</td><td>{esc1(e.note)}"
                + (f" ({esc1(e.agreement_no)})" if isinstance(e.agreement_no, str)
                   and e.agreement_no else "") + "</td></tr>"
                for e in ev.itertuples())
            blocks.append(head + f'<table><thead><tr><th>{tx["when"]}</th><th>{tx["who"]}'
                          f'</th><th>{tx["move"]}</th><th>{tx["note"]}</th></tr></thead>'
                          f"<tbody>{rows}</tbody></table>")
        out[str(pid)] = (f'<section class="offers"><h3>{tx["history"]}</h3>'
                         + "".join(blocks) + "</section>")
    return out
