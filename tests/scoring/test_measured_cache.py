"""New weights or another method re-use what was measured, and give the same result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import siteplan as sp
from siteplan.scoring import _measured


def _same(a, b):
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))


@pytest.mark.parametrize("name", sp.list_profiles())
def test_reweighting_measures_nothing_again_and_matches_a_fresh_run(sample_layers, name):
    prof = sp.get_profile(name)
    heavier = prof.with_weights({prof.criteria[-1].name: 3.0}).with_method("topsis")
    _measured.clear()
    sp.score(sample_layers, prof)
    first = _measured.stats()
    assert first["hits"] == 0 and first["misses"] == len(prof.criteria) + 1
    again = sp.score(sample_layers, heavier)
    second = _measured.stats()
    # every criterion and the constraint check came from the cache
    assert second["misses"] == first["misses"]
    assert second["hits"] == len(prof.criteria) + 1
    _measured.clear()
    fresh = sp.score(sample_layers, heavier)
    assert _measured.stats()["hits"] == 0
    _same(again, fresh)


def test_another_definition_another_bundle_or_other_parcels_is_measured_anew(sample_layers):
    prof = sp.get_profile("sentra_kuliner")
    _measured.clear()
    sp.score(sample_layers, prof)
    n = _measured.stats()["misses"]
    # a criterion whose transform changed: that one criterion is measured again
    crit = prof.criteria[0]
    changed = dict(crit.transform)
    key = next(k for k, v in changed.items() if isinstance(v, int | float) and v)
    changed[key] = changed[key] * 2
    import dataclasses

    other = dataclasses.replace(prof, criteria=(dataclasses.replace(crit, transform=changed),
                                                *prof.criteria[1:]))
    sp.score(sample_layers, other)
    assert _measured.stats()["misses"] == n + 1
    # another bundle (even with the same data): measured anew
    bundle = sample_layers.replace(parcels=sample_layers["parcels"])
    sp.score(bundle, prof)
    assert _measured.stats()["misses"] == n + 1 + len(prof.criteria) + 1
    # fewer parcels in the same bundle's place: measured anew, and right
    fewer = sample_layers.replace(parcels=sample_layers["parcels"].iloc[::2])
    part = sp.score(fewer, prof)
    _measured.clear()
    fresh = sp.score(fewer, prof)
    _same(part, fresh)


def test_cached_arrays_cannot_be_changed_and_the_cache_is_bounded(monkeypatch):
    _measured.clear()
    value = _measured.measured("t", "criterion", {"a": 1}, "rows", lambda: np.arange(4.0))
    with pytest.raises(ValueError, match="read-only"):
        value[0] = 9.0
    monkeypatch.setattr(_measured, "MAX_BYTES", 100)
    for i in range(5):       # 64 bytes each: only one fits
        _measured.measured("t", "criterion", {"a": i}, "rows", lambda: np.zeros(8))
    s = _measured.stats()
    assert s["entries"] == 1 and s["bytes"] == 64
    # the definition ignores weight, title and source, and nothing else
    base = {"name": "x", "measure": "distance", "weight": 1, "title": {"id": "a"}}
    assert _measured.definition(base) == _measured.definition(
        {**base, "weight": 9, "title": {"en": "b"}, "source": "PP"})
    assert _measured.definition(base) != _measured.definition({**base, "measure": "area"})


def test_a_view_over_another_cache_is_the_same_bundle(sample_layers):
    from siteplan.layers import LayerCache

    view = sample_layers.with_cache(LayerCache())
    assert view.cache is not sample_layers.cache and view.token == sample_layers.token
    assert view.names == sample_layers.names and view.sources == sample_layers.sources
    assert view.fingerprints == sample_layers.fingerprints
    prof = sp.get_profile("rth")
    _measured.clear()
    sp.score(sample_layers, prof)
    before = _measured.stats()
    _same(sp.score(view, prof), sp.score(sample_layers, prof))
    assert _measured.stats()["misses"] == before["misses"]   # the view re-uses what was measured
