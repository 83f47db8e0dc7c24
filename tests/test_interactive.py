"""Interactive maps (``render_map(..., interactive=True)``) and ``Profile.with_weights``.

Structure only: the page's JSON blob, its encodings (read back here with
numpy, independently of the page's JavaScript), the profile TOML it holds,
the escaping. ``tests/test_interactive_browser.py`` runs the page in Chromium.
"""

from __future__ import annotations

import pytest

import siteplan as sp
from siteplan._errors import SiteplanInputError


# ------------------------------------------------------------------ Profile.with_weights

def test_with_weights_renormalises_and_keeps_the_others_relative_weight():
    prof = sp.get_profile("sentra_kuliner")
    # dekat_pasar .25, klaster_umkm .2, akses_jalan .25, penduduk_2km .2, luas .1
    new = prof.with_weights({"akses_jalan": 1.25})
    # by hand: total 0.25 + 0.2 + 1.25 + 0.2 + 0.1 = 2.0
    assert new.weights == pytest.approx({"dekat_pasar": 0.125, "klaster_umkm": 0.1,
                                         "akses_jalan": 0.625, "penduduk_2km": 0.1,
                                         "luas": 0.05}, abs=1e-15)
    assert prof.weights["akses_jalan"] == pytest.approx(0.25)          # unchanged
    full = prof.with_weights({"dekat_pasar": 2, "klaster_umkm": 0, "akses_jalan": 1,
                              "penduduk_2km": 1, "luas": 0})
    assert full.weights == pytest.approx({"dekat_pasar": 0.5, "klaster_umkm": 0.0,
                                          "akses_jalan": 0.25, "penduduk_2km": 0.25,
                                          "luas": 0.0}, abs=1e-15)
    assert full.criteria[0].measure == prof.criteria[0].measure
    assert full.method == prof.method and full.constraints == prof.constraints


def test_with_weights_refuses_unknown_names_and_bad_values():
    prof = sp.get_profile("rth")
    with pytest.raises(SiteplanInputError, match=r"no criterion named akses.*use one of: "
                       + ", ".join(c.name for c in prof.criteria)):
        prof.with_weights({"akses": 0.5})
    with pytest.raises(SiteplanInputError, match="negative"):
        prof.with_weights({prof.criteria[0].name: -1})
    with pytest.raises(SiteplanInputError, match="all weights are zero"):
        prof.with_weights({c.name: 0 for c in prof.criteria})


def test_with_weights_scores_like_a_profile_written_with_those_weights(tmp_path):
    layers = sp.load_sample()
    prof = sp.get_profile("wisata_religi")
    w = {c.name: float(i + 1) for i, c in enumerate(prof.criteria)}
    total = sum(w.values())
    text = sp.profiles.builtin_profile_text("wisata_religi")
    lines = []
    crit = None
    replaced = 0
    for line in text.splitlines():       # rewrite each criterion's weight line by hand
        if line.startswith("[[criteria]]"):
            crit = "next"
        elif crit == "next" and line.startswith("name = "):
            crit = line.split('"')[1]
        if line.startswith("weight = ") and crit not in (None, "next"):
            line = f"weight = {w[crit] / total!r}"
            replaced += 1
        lines.append(line)
    assert replaced == len(w)
    path = tmp_path / "w.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert sp.read_profile(path).weights != pytest.approx(prof.weights)
    a = sp.score(layers, prof.with_weights(w))
    b = sp.score(layers, sp.read_profile(path))
    assert a["score"].to_numpy() == pytest.approx(b["score"].to_numpy(), abs=1e-12,
                                                  nan_ok=True)
