"""Profiles written as TOML with tomlkit: an edited profile keeps its comments and sources."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import replace

import pytest

import siteplan as sp
from siteplan.profiles._toml import toml_text
from siteplan.profiles.profile import profile_from_dict

AHP = '''# my culinary centre: weighed by the DiskopUKM meeting of 3 March
name = "kuliner_ahp"
title = { id = "Kuliner (AHP)", en = "Culinary (AHP)" }
method = "wlc"   # weighted sum

[[constraints]]
type = "min_area"
value = 1000     # about 30 stalls: judgement

[[criteria]]
name = "jalan"
measure = "distance"
layer = "roads"
# a main road in front: judgement
transform = { type = "linear", best = 0, worst = 500 }

[[criteria]]
name = "luas"
measure = "area"
transform = { type = "linear", best = 5000, worst = 1000 }

[weights]
# road access three times as important as the land
order = ["jalan", "luas"]
ahp = [[1, 3], ["1/3", 1]]
'''


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in text.splitlines()
            if "#" in line and not line.strip().startswith(("name", "title", "source",
                                                            "description"))]


def changed_lines(a: str, b: str) -> list[str]:
    return [d for d in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if d[:1] in "+-" and not d.startswith(("+++", "---"))]


@pytest.mark.parametrize("name", sp.list_profiles())
def test_an_unchanged_profile_is_its_file(name):
    prof = sp.get_profile(name)
    assert sp.profile_to_toml(prof) == prof.source_text


@pytest.mark.parametrize("name", sp.list_profiles())
def test_new_weights_change_only_the_weight_lines(name, tmp_path):
    prof = sp.get_profile(name)
    first = prof.criteria[0].name
    new = prof.with_weights({first: prof.criteria[0].weight * 3})
    text = sp.profile_to_toml(new)
    diff = changed_lines(prof.source_text, text)
    assert diff and all(re.fullmatch(r"[+-]weight = [0-9.e-]+", d) for d in diff), diff
    assert comments(text) == comments(prof.source_text)      # every comment stays
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    back = sp.read_profile(path)
    assert back.weights == pytest.approx(new.weights, abs=1e-15)
    assert [c.source for c in back.criteria] == [c.source for c in prof.criteria]


def test_an_ahp_table_stays_until_the_weights_change(tmp_path):
    path = tmp_path / "ahp.toml"
    path.write_text(AHP, encoding="utf-8")
    prof = sp.read_profile(path)
    assert sp.profile_to_toml(prof) == AHP
    moved = prof.with_weights({"luas": 1.0, "jalan": 1.0}).with_method("topsis")
    text = sp.profile_to_toml(moved)
    assert "[weights]" not in text and "ahp =" not in text
    assert "# my culinary centre" in text and "# a main road in front: judgement" in text
    assert 'method = "topsis"   # weighted sum' in text      # the value, its comment kept
    back = profile_from_dict(tomllib.loads(text))
    assert back.weights == pytest.approx({"jalan": 0.5, "luas": 0.5})
    assert back.method == "topsis"


def test_criteria_left_out_and_titles_changed():
    prof = sp.get_profile("sentra_kuliner")
    less = replace(prof, criteria=prof.criteria[1:],
                   title={"id": "Kuliner baru", "en": "New culinary"})
    text = toml_text(less)
    back = profile_from_dict(tomllib.loads(text))
    assert [c.name for c in back.criteria] == [c.name for c in prof.criteria[1:]]
    assert back.title["id"] == "Kuliner baru"
    assert "# Copy this file" in text
    assert "SNI 03-1733-2004: a pertokoan serves" not in text  # its comment went with it


def test_a_profile_built_in_code_is_written_afresh():
    prof = replace(sp.get_profile("rth"), source_text=None)
    text = sp.profile_to_toml(prof)
    assert text.startswith("# profile rth: written by siteplan")
    back = profile_from_dict(tomllib.loads(text))
    assert back.weights == pytest.approx(prof.weights, abs=1e-15)
    assert back.constraints == prof.constraints


def test_markers_for_the_interactive_page():
    prof = sp.get_profile("sentra_kuliner")
    text = toml_text(prof, weights={c.name: f"\x01w{j}\x01"
                                    for j, c in enumerate(prof.criteria)},
                     method='"\x01method\x01"')
    assert 'method = "\x01method\x01"' in text
    assert all(f"weight = \x01w{j}\x01" in text for j in range(len(prof.criteria)))
    filled = text.replace("\x01method\x01", "wgm")
    for j in range(len(prof.criteria)):
        filled = filled.replace(f"\x01w{j}\x01", "0.2")
    back = profile_from_dict(tomllib.loads(filled))
    assert back.method == "wgm"
    assert "# Copy this file" in filled


def test_the_interactive_maps_copy_keeps_the_files_comments(sample_layers):
    from test_interactive import blob, page

    result = sp.score(sample_layers, "sentra_kuliner")
    data = blob(page(sp.render_map(result, sample_layers, interactive=True)))
    assert "# SNI 03-1733-2004: a pertokoan serves people within 2,000 m" in data["toml"]
    assert "weight = \x01w0\x01" in data["toml"]
