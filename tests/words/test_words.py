"""The vocabulary: one table per language with the same keys, one number format."""

from __future__ import annotations

import pytest

import siteplan as sp
from siteplan import words
from siteplan.measures import MEASURES, unit_of
from siteplan.methods.aggregate import AGGREGATORS


def test_every_language_has_every_key_another_has():
    paths = {lang: words.key_paths(words.words(lang)) for lang in words.LANGS}
    every = set().union(*paths.values())
    for lang, have in paths.items():
        assert not every - have, f"{lang} lacks {sorted(every - have)}"
    assert len(every) > 300      # the sections are really there


def test_a_missing_key_is_found():
    table = {"map": {"score": "Skor", "rank": "peringkat"}, "months": ["Januari"]}
    other = {"map": {"score": "Score"}, "months": ["January"]}
    assert words.key_paths(table) - words.key_paths(other) == {"map.rank"}


def test_placeholders_agree_between_languages():
    import string

    def fields(text):
        # "{criterion: weight}" in a message is text for the reader, not a placeholder
        return sorted({f for _, f, spec, _ in string.Formatter().parse(text) if f and not spec})

    tables = {lang: words.words(lang) for lang in words.LANGS}

    def leaf(table, path):
        for part in path.split("."):
            table = table[part]
        return table

    for path in words.key_paths(tables["id"]):
        texts = [leaf(tables[lang], path) for lang in words.LANGS]
        if all(isinstance(t, str) for t in texts):
            assert len({tuple(fields(t)) for t in texts}) == 1, path


def test_langs_defined_once_and_read_everywhere():
    from siteplan.cli import _common
    from siteplan.render import words as render_words

    assert words.LANGS == ("id", "en")
    assert _common.LANGS is words.LANGS and render_words.LANGS is words.LANGS


def test_every_method_scheme_and_unit_has_words():
    from siteplan.render.interactive import SCHEMES as PAGE_SCHEMES
    from siteplan.render.style import SCHEMES

    for lang in words.LANGS:
        tx = words.words(lang)
        assert set(AGGREGATORS) <= set(tx["methods"])
        assert set(SCHEMES) <= set(tx["schemes"]) and set(PAGE_SCHEMES) <= set(tx["schemes"])
        for name, spec in MEASURES.items():
            if not callable(spec.unit):
                assert spec.unit in tx["units"], (name, spec.unit)


def test_slope_has_a_unit():
    from siteplan.criterion import Criterion

    crit = Criterion(name="s", measure="slope", transform={}, weight=1.0, layer="dem")
    assert unit_of(crit) == "%"
    assert unit_of(Criterion(name="s", measure="slope", transform={}, weight=1.0,
                             layer="dem", unit="degrees")) == "°"
    assert words.measured_words(7.25, "%", "id") == "7,2%"      # half to even, as numpy
    assert words.measured_words(7.26, "°", "en") == "7.3°"


@pytest.mark.parametrize(("value", "lang", "shown"), [
    (2154.5084, "id", "2.155"), (2154.5084, "en", "2,155"), (1234567.891, "id", "1.234.568"),
    (-0.04, "id", "0"), (48.66, "id", "48,7")])
def test_numbers_by_hand(value, lang, shown):
    decimals = 1 if shown.endswith(",7") else 0
    assert words.fmt1(value, decimals, lang) == shown


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_one_number_is_written_as_the_vectorised_column_writes_it(lang, decimals):
    import numpy as np

    rng = np.random.default_rng(decimals)
    values = np.concatenate([
        rng.normal(0, 1, 300), rng.normal(0, 1e4, 300), rng.uniform(-1e12, 1e12, 100),
        np.arange(-40, 41) / 2 / 10 ** decimals,           # exact halves: half to even
        np.arange(-40, 41) / 8, [0.0, -0.0, -0.04, 0.05, -0.05, 999.95, 999_999.5, 1e15,
                                 -1e15, np.nan, np.inf, -np.inf]])
    column = words.fmt_fixed(values, decimals, lang).tolist()
    assert [words.fmt1(v, decimals, lang) for v in values] == column
    assert [words.num(v, decimals, lang) for v in values] == column


def test_coordinates_paste_into_a_map_search_and_links_hold_short_numbers():
    assert words.coords_plain(-6.1757891, 106.1772174) == "-6.175789, 106.177217"
    assert words.plain_number(0.19999999999999998) == "0.2"
    assert words.plain_number(1 / 3) == "0.333333"


def test_rules_in_words_from_the_rule_itself():
    assert words.rule_text({"type": "outside", "layer": "rivers", "buffer": 15,
                            "where": {"width_class": ["sedang"]}}, "id") == \
        "dalam 15 m dari sungai (sedang)"
    assert words.rule_text({"type": "min_area", "value": 1000}, "id") == \
        "luas kurang dari 1.000 m²"
    assert words.rule_text({"type": "outside", "layer": "dem", "slope_above": 15,
                            "max_share": 0.1}, "en") == \
        "slope above 15 % (on more than 10% of the parcel)"
    assert words.rule_text({"type": "outside", "layer": "flood_hazard", "at_least": 0.67},
                           "id") == "indeks bahaya banjir bernilai 0,67 atau lebih"


def test_old_paths_hold_no_words():
    import ast
    from pathlib import Path

    import siteplan

    root = Path(siteplan.__file__).parent
    for rel in ("render/words.py", "brief/_words.py"):
        tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value in ("id", "en") for k in node.keys)), rel


@pytest.mark.parametrize("name", sp.list_profiles())
def test_every_builtin_profile_speaks_every_language(name):
    """A built-in profile's title, description and every rule's title and source are given in
    every language of LANGS (a source may be one text for all, e.g. a law's number)."""
    prof = sp.get_profile(name)
    tables = [("title", prof.title), ("description", prof.description)]
    for c in prof.criteria:
        tables += [(f"criterion {c.name} title", c.title), (f"criterion {c.name} source",
                                                             c.source)]
    for j, con in enumerate(prof.constraints, 1):
        tables += [(f"constraint {j} title", con.title), (f"constraint {j} source",
                                                          con.source)]
    for what, table in tables:
        if isinstance(table, str):
            assert table.strip(), f"{name}: {what} is empty"
            continue
        assert table is not None, f"{name}: {what} is missing"
        missing = [lang for lang in words.LANGS if not str(table.get(lang, "")).strip()]
        assert not missing, f"{name}: {what} lacks {missing}"


@pytest.mark.parametrize("unit", ["m", "share", "%", "°", "min", "value", "count", "people",
                                  "m²"])
@pytest.mark.parametrize("lang", words.LANGS)
def test_measured_column_says_each_value_as_measured_words_does(unit, lang):
    import numpy as np
    import pandas as pd

    # numbers, a distance beyond the search limit, missing values, a category, a flag
    mixed = [320.4, float("inf"), float("nan"), 0.253, 12.26, 0, 1234.5, "hutan_kota", None,
             True, np.float64(3.5), "hutan_kota"]
    for values in (mixed, pd.Series([1.5, np.inf, np.nan, 2154.6]), np.array([2.0, 3.0])):
        got = list(words.measured_column(values, unit, lang, limit=2000, column="rth_type"))
        assert got == [words.measured_words(v, unit, lang, limit=2000, column="rth_type")
                       for v in list(values)]
    # by hand: 320.4 m is "320 m", 2154.6 m "2.155 m" in Indonesian
    assert list(words.measured_column([320.4, 2154.6], "m", "id")) == ["320 m", "2.155 m"]
