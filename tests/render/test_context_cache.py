"""The context layers of a map (boundaries, green spaces, roads, POIs) are drawn once per
bundle, language and precision, and every map gets its own copy of them.

The reference is the same map drawn from a new bundle of the same layers, whose cache is
empty: its context layers are drawn from scratch.
"""

from __future__ import annotations

import folium

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


def test_every_map_of_a_bundle_draws_the_context_as_from_scratch(sample_layers):
    layers = fresh(sample_layers)
    for lang in ("id", "en"):
        for name in ("rth", "sentra_kuliner"):  # the second profile reads the cache
            result = sp.score(layers, name)
            got = geojson_layers(sp.render_map(result, layers, lang=lang))
            want = geojson_layers(sp.render_map(result, fresh(layers), lang=lang))
            assert got.keys() == want.keys()
            assert got == want, (lang, name)
    held = layers.cache.keys()
    kinds = {(k.layers[0], k.params[0]) for k in held if k.kind == "map_context"}
    assert {layer for layer, _ in kinds} == CONTEXT & set(layers)
    assert {lang for _, lang in kinds} == {"id", "en"}


def test_the_languages_are_kept_apart(sample_layers):
    layers = fresh(sample_layers)
    result = sp.score(layers, "rth")
    tips = {}
    for lang in ("id", "en", "id"):
        data = geojson_layers(sp.render_map(result, layers, lang=lang))
        roads = next(v for k, v in data.items() if k in ("Jalan", "Roads"))
        tips.setdefault(lang, set()).add(
            tuple(f["properties"]["t"] for f in roads["features"]))
    assert len(tips["id"]) == 1                       # the second Indonesian map: the same
    assert tips["id"] != tips["en"]                   # English road classes in English


def test_a_map_changed_by_its_user_leaves_the_next_map_alone(sample_layers):
    layers = fresh(sample_layers)
    result = sp.score(layers, "rth")
    first = geojson_layers(sp.render_map(result, layers))
    for data in first.values():
        for f in data["features"]:
            f["properties"]["t"] = "changed"
    second = geojson_layers(sp.render_map(result, layers))
    assert second == geojson_layers(sp.render_map(result, fresh(layers)))
    assert not any(f["properties"].get("t") == "changed"
                   for data in second.values() for f in data["features"])


def test_a_map_drawn_from_a_plain_mapping_of_frames_has_the_same_layers(sample_layers):
    """render_map takes the bundle or a mapping of its frames: the same layers either way,
    the constraint zones included (a mapping has no cache; each map draws them itself)."""
    result = sp.score(sample_layers, "fasilitas_publik")     # rules on vector layers
    got = geojson_layers(sp.render_map(result, dict(sample_layers.items())))
    want = geojson_layers(sp.render_map(result, fresh(sample_layers)))
    assert got == want
    # the zones of its rules on vector layers (river setbacks, sawah) are there
    assert {"Batasan: Di sawah (LP2B)", "Batasan: Di sempadan sungai besar (30 m)"} <= set(got)
