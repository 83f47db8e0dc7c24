"""Every map kind drawn on its own says what it shows in a title box (and warns on the
sample's made-up data); here the selection map's, worked out from the chosen sites."""

from __future__ import annotations

import siteplan as sp


def test_selection_map_says_what_was_chosen_and_warns_on_the_sample(sample_layers):
    result = sp.score(sample_layers, "fasilitas_publik")
    chosen = sp.select_sites(result, sample_layers, k=3, radius=1000)
    people = chosen["people_added"].sum()
    en = sp.render_selection(chosen, lang="en").get_root().render()
    assert f"3 sites, {people:,.0f} people newly within 1,000 m" in en
    assert "Synthetic sample data" in en and "fitBounds" in en
    idn = sp.render_selection(chosen, lang="id").get_root().render()
    thousands = f"{people:,.0f}".replace(",", ".")      # Indonesian: 141.652
    assert f"3 lokasi, {thousands} penduduk baru terjangkau dalam 1.000 m" in idn
    assert "Data sampel sintetis" in idn
    # drawn over another map, the rings add to it and leave its title alone
    base = sp.render_map(result, sample_layers, lang="en", top=0)
    over = sp.render_selection(chosen, m=base, lang="en").get_root().render()
    assert "people newly within" not in over
