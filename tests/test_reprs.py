"""Profiles, layer bundles and result records read well in a notebook."""

from __future__ import annotations

import dataclasses

import siteplan as sp


def test_profile_prints_in_one_short_line_with_rounded_weights():
    names = [c.name for c in sp.get_profile("sentra_kuliner").criteria]
    prof = sp.get_profile("sentra_kuliner").with_weights(
        {**dict.fromkeys(names, 0), names[0]: 1, names[1]: 2})
    text = repr(prof)
    assert len(text) < 300 and "\n" not in text
    assert text.startswith("<Profile 'sentra_kuliner' WLC:")
    # weights 1 and 2, the others 0 -> 33.3 % and 66.7 %, shown rounded
    assert prof.weights[names[0]] == 1 / 3
    assert f"{names[0]} 33.3 %" in text and f"{names[1]} 66.7 %" in text
    assert f"{names[2]} 0.0 %" in text


def test_notebook_tables_escape_text_from_profiles():
    prof = sp.get_profile("rth")
    crit = dataclasses.replace(prof.criteria[0], title={"en": "<script>x</script>",
                                                        "id": "a"}, source="{{ 6*7 }} & co")
    prof = dataclasses.replace(prof, criteria=(crit, *prof.criteria[1:]))
    page = prof._repr_html_()
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "{{ 6*7 }} &amp; co" in page
    assert page.count("<tr>") == 1 + len(prof.criteria) + 1 + len(prof.constraints)


def test_layers_and_record_tables(sample_layers):
    page = sample_layers._repr_html_()
    for name in sample_layers:
        assert f"<td>{name}</td>" in page
    assert f"<td>{len(sample_layers['parcels']):,}</td>" in page
    res = sp.score(sample_layers, "rth")
    rec = sp.record_of(res)
    c = rec.counts
    text = repr(rec)
    assert text == (f"<ScoreRecord 'rth' WLC: {c.scored:,} scored, {c.excluded:,} excluded, "
                    f"{c.rejected:,} rejected, {c.not_candidate:,} not candidates>")
    # the counts are those of the result's own status column
    status = res["status"].value_counts()
    assert (c.scored, c.excluded) == (status["scored"], status["excluded"])
    assert f"<td>{c.scored:,}</td>" in rec._repr_html_()
