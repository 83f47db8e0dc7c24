"""The brief speaks one language: no phrase of the other language's vocabulary shows.

Names from the data (the sample's credit line, kelurahan, POI names) are set
aside; every phrase of two words or more that one table of
:mod:`siteplan.words` has and the other has not must be absent from the
visible text of a brief in the other language.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest

import siteplan as sp
from siteplan import words


def _leaves(table):
    for value in table.values():
        if isinstance(value, dict):
            yield from _leaves(value)
        elif isinstance(value, str):
            yield value


def _phrases(lang: str, other: str) -> set[str]:
    mine, theirs = set(_leaves(words.words(lang))), set(_leaves(words.words(other)))
    out = set()
    for text in mine - theirs:
        for part in re.split(r"\{[^}]*\}|<[^>]*>", text):
            part = part.strip(" .,:;()–-")
            if len(part.split()) >= 2 and part not in " ".join(theirs):
                out.add(part)
    return out


def _visible(html: str, data: list[str]) -> str:
    html = re.sub(r"<style>.*?</style>|<title>.*?</title>", " ", html, flags=re.S)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="[^"]*"', "", html)))
    for value in data:       # names from the data aside
        text = text.replace(value, " ")
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(("lang", "other"), [("id", "en"), ("en", "id")])
def test_brief_shows_no_phrase_of_the_other_language(sample_layers, lang, other):
    phrases = _phrases(other, lang)
    assert len(phrases) > 100
    for name in sp.list_profiles():
        result = sp.score(sample_layers, name)
        data = [sp.record_of(result).provenance.attribution or ""]
        html = sp.site_brief(result, sample_layers, top=3, lang=lang)
        seen = sorted(p for p in phrases if p in _visible(html, data))
        assert not seen, (name, seen)
