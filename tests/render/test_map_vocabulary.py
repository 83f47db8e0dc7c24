"""Every map kind speaks one language: no phrase of the other language's vocabulary shows.

The same rule as the brief's (``tests/brief/test_brief_vocabulary.py``): every phrase of two
words or more that one table of :mod:`siteplan.words` has and the other has not must be
absent from the page of a map drawn in the other language. The page's text is read
whole (its HTML, its data and its script), so a word that reaches a popup, a tooltip,
a legend or the layer list is seen; names from the data (the sample's places, POIs,
partners and credit line) are set aside.
"""

from __future__ import annotations

import re

import pytest
from test_brief_vocabulary import _phrases, _visible

import siteplan as sp
from siteplan.register.sample import sample_register
from siteplan.render.locate_map import render_plan

#: the profile's own TOML file in the interactive page's data (its "save as TOML" text):
#: a file of both languages by design, data rather than words of the page
_TOML = re.compile(r'"toml":"(?:[^"\\]|\\.)*"')
#: the comments of the page's script, written for programmers and never shown
_COMMENTS = re.compile(r"/\*.*?\*/|^\s*//[^\n]*$", re.S | re.M)

KINDS = ("score", "interactive", "rth", "selection", "allocation", "locate", "offers",
         "access", "access_areas")


@pytest.fixture(scope="module")
def drawn(sample_layers, tmp_path_factory):
    """Every map kind's page, per language, with the data's own names to set aside."""
    layers = sample_layers
    results = {name: sp.score(layers, name) for name in ("rth", "wisata_religi",
                                                         "fasilitas_publik")}
    chosen = sp.select_sites(results["fasilitas_publik"], layers, k=3, cell=500)
    plan = sp.allocate({u: results[u] for u in ("rth", "wisata_religi")}, layers,
                       {"rth": 2, "wisata_religi": 1})
    site_plan = sp.locate_sites(results["rth"], layers, k=2, cell=1500)
    gaps = sp.rth_gaps(layers)
    units = sp.locate.access_now(layers, "pois", {"category": ["puskesmas"]}, radius=2000,
                                 cell=1000)
    reg = sample_register(tmp_path_factory.mktemp("reg") / "offers.gpkg")
    offers = reg.offers()
    reg.close()
    data = [sp.record_of(results["rth"]).provenance.attribution or ""]
    for name in ("pois", "admin", "parcels", "green_spaces"):
        for col in ("name", "nama"):
            if col in layers[name].columns:
                data += [str(v) for v in layers[name][col].dropna().unique()]
    data += [str(v) for v in offers["partner"].unique()]
    data.sort(key=len, reverse=True)         # longer names first: "Kota Serang" before "Serang"

    def page(kind: str, lang: str) -> str:
        if kind in ("score", "interactive"):
            m = sp.render_map(results["rth"], layers, lang=lang, top=5,
                              interactive=kind == "interactive")
        elif kind == "rth":
            m = sp.render_rth(gaps, lang=lang)
        elif kind == "selection":
            m = sp.render_selection(chosen, lang=lang)
        elif kind == "allocation":
            m = sp.render_allocation(plan, layers, lang=lang, results=results)
        elif kind == "locate":
            m = render_plan(site_plan, lang=lang)
        elif kind == "access":
            m = sp.render_access(units, lang=lang, threshold=1e-5)
        elif kind == "access_areas":
            m = sp.render_access(units, layers, level="kelurahan", lang=lang, threshold=1e-5)
        else:
            m = sp.render_offers(offers, lang=lang)
        return m.get_root().render()

    return page, data


@pytest.mark.parametrize(("lang", "other"), [("id", "en"), ("en", "id")])
@pytest.mark.parametrize("kind", KINDS)
def test_a_map_shows_no_phrase_of_the_other_language(drawn, kind, lang, other):
    page, data = drawn
    phrases = _phrases(other, lang)
    assert len(phrases) > 100
    text = _visible(_COMMENTS.sub(" ", _TOML.sub('"toml":""', page(kind, lang))), data)
    assert len(text) > 1000                  # the page was really read
    seen = sorted(p for p in phrases if p in text)
    assert not seen, (kind, lang, seen)
