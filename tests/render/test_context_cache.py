"""The context layers of a map (boundaries, green spaces, roads, POIs) are drawn once per
bundle, language and precision, and every map gets its own copy of them.

The reference is the same map drawn from a new bundle of the same layers, whose cache is
empty: its context layers are drawn from scratch.
"""

from __future__ import annotations

import json

import folium
import pytest

import siteplan as sp
from siteplan.layers.bundle import Layers

CONTEXT = {"admin", "green_spaces", "roads", "pois"}


def geojson_layers(m: folium.Map) -> dict[str, dict]:
    """Each GeoJson layer of the map by its name: its data."""
    out = {}
    todo = list(m._children.values())
    while todo:
        el = todo.pop()
        if isinstance(el, folium.GeoJson):
            out[el.layer_name] = el.data
        todo.extend(el._children.values())
    return out


def fresh(layers: Layers) -> Layers:
    return layers.replace()       # a new bundle: an empty cache


@pytest.fixture(scope="module")
def results(sample_layers):
    return {n: sp.score(sample_layers, n) for n in ("rth", "sentra_kuliner",
                                                    "fasilitas_publik")}


def test_every_map_of_a_bundle_draws_the_context_as_from_scratch(sample_layers, results):
    layers = fresh(sample_layers)
    roads = {}
    for lang in ("id", "en"):
        sp.render_map(results["rth"], layers, lang=lang)          # fills the cache
        got = geojson_layers(sp.render_map(results["sentra_kuliner"], layers, lang=lang))
        want = geojson_layers(sp.render_map(results["sentra_kuliner"], fresh(layers),
                                            lang=lang))
        assert got == want, lang
        roads[lang] = next(v for k, v in got.items() if k in ("Jalan", "Roads"))
    # the languages are kept apart: the road classes are named in each map's language
    assert [f["properties"]["t"] for f in roads["id"]["features"]] != [
        f["properties"]["t"] for f in roads["en"]["features"]]
    held = layers.cache.keys()
    kinds = {(k.layers[0], k.params[0]) for k in held if k.kind == "map_context"}
    assert {layer for layer, _ in kinds} == CONTEXT & set(layers)
    assert {lang for _, lang in kinds} == {"id", "en"}


def test_a_map_changed_by_its_user_leaves_the_next_map_alone(sample_layers, results):
    layers = fresh(sample_layers)
    first = geojson_layers(sp.render_map(results["rth"], layers))
    drawn = json.dumps(first, sort_keys=True)
    for data in first.values():
        for f in data["features"]:
            f["properties"]["t"] = "changed"
    second = geojson_layers(sp.render_map(results["rth"], layers))
    assert json.dumps(second, sort_keys=True) == drawn


def test_a_map_drawn_from_a_plain_mapping_of_frames_has_the_same_layers(sample_layers,
                                                                        results):
    """render_map takes the bundle or a mapping of its frames: the same layers either way,
    the constraint zones included (a mapping has no cache; each map draws them itself)."""
    result = results["fasilitas_publik"]                    # rules on vector layers
    got = geojson_layers(sp.render_map(result, dict(sample_layers.items())))
    want = geojson_layers(sp.render_map(result, fresh(sample_layers)))
    assert got == want
    # the zones of its rules on vector layers (river setbacks, sawah) are there
    assert {"Batasan: Di sawah (LP2B)", "Batasan: Di sempadan sungai besar (30 m)"} <= set(got)
