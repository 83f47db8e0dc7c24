"""The JSON Schema of the profile format, built from the profile validator's own tables.

The names a profile may use (its keys, aggregation methods, measures,
constraint types, transform types and their parameters) are read from the
tables that :func:`siteplan.profiles.profile_from_dict` and
:func:`siteplan.methods.transforms.check_transform` check against, so a name added
there appears here without a second list. This module adds only what a table
cannot say: the JSON type of each value. A key without a known type is
allowed with any value, so the schema never refuses a key the validator
takes.

The schema describes the *shape* of a profile; the validator still checks
what a schema cannot (an AHP matrix's consistency, weights that add up, a
linear transform whose best differs from its worst).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..limits import (
    MAX_CONSTRAINTS,
    MAX_CRITERIA,
    MAX_DISTANCE,
    MAX_MAGNITUDE,
    MAX_MINUTES,
    OWA_ALPHA,
)
from ..methods.weights import AHP_MAX
from ..words import LANGS

__all__ = ["profile_schema", "SCHEMA_DIALECT"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_NUMBER = {"type": "number"}
# any number the validator takes lies within MAX_MAGNITUDE of 0 (see siteplan.limits)
_BOUNDED = {"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}
_METRES = {"type": "number", "minimum": 0, "maximum": MAX_DISTANCE, "description": "metres"}
_SCALAR = {"type": ["string", "number", "boolean"]}
_SCALARS = {"oneOf": [_SCALAR, {"type": "array", "items": _SCALAR}]}
_WHERE = {"type": "object", "additionalProperties": _SCALARS,
          "description": "column = allowed value(s)"}
_TITLE = {"oneOf": [{"type": "string"},
                    {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "text per language, e.g. {\"id\": ..., \"en\": ...}"}]}
_SOURCE = {"oneOf": [{"type": "string"}, {
    "type": "object", "minProperties": 1, "additionalProperties": False,
    "properties": {lang: {"type": "string", "minLength": 1} for lang in LANGS},
    "description": "the standard or reasoning, per language"}]}

# JSON types of the values; the key names themselves come from the validator's tables
_TOP_TYPES: dict[str, dict] = {
    "title": _TITLE,
    "description": _TITLE,
    "allow_inconsistent": {"type": "boolean"},
    "candidates": _WHERE,
    "owa": {"type": "object", "properties": {"alpha": {"type": "number",
                                                        "minimum": OWA_ALPHA[0],
                                                        "maximum": OWA_ALPHA[1]}}},
}
_CRITERION_TYPES: dict[str, dict] = {
    "title": _TITLE,
    "source": _SOURCE,
    "description": _TITLE,
    "layer": {"type": "string", "description": "name of a layer of the bundle"},
    "where": _WHERE,
    "column": {"type": "string"},
    "radius": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DISTANCE,
               "description": "metres"},
    "weight": {"type": "number", "minimum": 0},
    "missing": {"type": "number", "minimum": 0, "maximum": 1, "description": "value given to "
                "a site with no measure"},
    "at_least": _BOUNDED,
    "values": {"type": "array", "items": _BOUNDED},
    "level": {"type": "string"},
    "fallback": {"type": "string"},
    "mode": {"type": "string", "description": "travel_time: walk, motorcycle or car"},
    "speed": {"type": "number", "exclusiveMinimum": 0, "maximum": 200,
              "description": "travel_time: km/h on every road"},
    "threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MAGNITUDE,
                  "description": "access_gain: access (facilities per person within reach) "
                  "below which people count as underserved"},
}
_CONSTRAINT_TYPES: dict[str, dict] = {
    "title": _TITLE,
    "source": _SOURCE,
    "value": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MAGNITUDE,
              "description": "m²"},
    "layer": {"type": "string", "description": "name of a layer of the bundle"},
    "buffer": _METRES,
    "where": _WHERE,
    "column": {"type": "string"},
    "in": {"type": "array", "items": _SCALAR},
    "not_in": {"type": "array", "items": _SCALAR},
    "min": _BOUNDED,
    "max": _BOUNDED,
    "at_least": _BOUNDED,
    "slope_above": {"type": "number", "minimum": 0, "maximum": MAX_MAGNITUDE},
    "max_share": {"type": "number", "minimum": 0, "maximum": 1},
    "values": {"type": "array", "items": _BOUNDED},
}
_WEIGHTS_TYPES: dict[str, dict] = {
    "order": {"type": "array", "items": {"type": "string"}},
    "ahp": {"type": "array", "items": {"type": "array", "items": {
        "oneOf": [{"type": "number", "minimum": 1 / AHP_MAX, "maximum": AHP_MAX},
                  {"type": "string", "description": "a fraction such as \"1/3\""}]}},
            "description": "pairwise comparison matrix; \"a/b\" strings allowed"},
    "values": {"type": "array", "items": _NUMBER},
}
_TRANSFORM_PARAM_TYPES: dict[str, dict] = {
    "table": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0,
                                                         "maximum": 1}},
    "default": {"type": "number", "minimum": 0, "maximum": 1},
    "breaks": {"type": "array", "items": _BOUNDED},
    "values": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}},
}


def _names(table: Iterable) -> list[str]:
    """Sorted names of a table (a tuple, set or mapping of names)."""
    return sorted(str(name) for name in table)


def _object(keys: Iterable[str], types: Mapping[str, dict], **extra: Any) -> dict:
    return {"type": "object",
            "properties": {k: dict(types.get(k, {})) for k in _names(keys)},
            "additionalProperties": False, **extra}


def _transform_params(spec: Any) -> tuple[set[str], set[str]]:
    """(required, optional) parameter names of one entry of ``TRANSFORMS``."""
    if isinstance(spec, tuple):
        return set(spec[1]), set(spec[2])
    if isinstance(spec, Mapping):
        return set(spec.get("required", ())), set(spec.get("optional", ()))
    return set(getattr(spec, "required", ())), set(getattr(spec, "optional", ()))


def _transform_schema(transforms: Mapping[str, Any]) -> dict:
    variants = []
    for kind in _names(transforms):
        required, optional = _transform_params(transforms[kind])
        props = {"type": {"const": kind}}
        props |= {p: dict(_TRANSFORM_PARAM_TYPES.get(p, _BOUNDED))
                  for p in sorted(required | optional)}
        variants.append({"type": "object", "title": kind, "properties": props,
                         "required": ["type", *sorted(required)],
                         "additionalProperties": False})
    return {"type": "object", "description": (
                "raw value -> suitability in [0, 1]; for a distance measure best, worst, "
                f"midpoint, half_distance, max_distance and breaks lie within "
                f"{MAX_DISTANCE:,.0f} m of 0, for travel_time within {MAX_MINUTES:,.0f} min "
                "(siteplan.limits)"),
            "properties": {"type": {"enum": _names(transforms)}}, "required": ["type"],
            "oneOf": variants}


def profile_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a siteplan profile, as a dict.

    A profile is a TOML file; parsed, it is the JSON object this schema
    describes. The HTTP service (``siteplan serve``) takes profiles in this
    form, and ``siteplan profiles schema`` prints the schema.

    Returns
    -------
    dict
        A new JSON Schema each call (the caller may change it freely).

    Examples
    --------
    >>> from siteplan.profiles.schema import profile_schema
    >>> schema = profile_schema()
    >>> schema["properties"]["method"]["enum"]
    ['owa', 'topsis', 'wgm', 'wlc']
    >>> "network_distance" in schema["$defs"]["criterion"]["properties"]["measure"]["enum"]
    True
    """
    from ..methods import transforms
    from . import profile as profiles

    top = _object(profiles._TOP_KEYS, _TOP_TYPES, required=["name", "criteria"])
    top["properties"] |= {
        "name": {"type": "string", "pattern": profiles._NAME.pattern},
        "method": {"enum": _names(profiles.METHODS), "default": "wlc"},
        "constraints": {"type": "array", "maxItems": MAX_CONSTRAINTS,
                        "items": {"$ref": "#/$defs/constraint"}},
        "criteria": {"type": "array", "minItems": 1, "maxItems": MAX_CRITERIA,
                     "items": {"$ref": "#/$defs/criterion"}},
        "weights": {"$ref": "#/$defs/weights"},
    }
    criterion = _object(profiles._CRITERION_KEYS, _CRITERION_TYPES,
                        required=["name", "measure", "transform"])
    criterion["properties"] |= {
        "name": {"type": "string", "pattern": profiles._NAME.pattern},
        "measure": {"enum": _names(profiles.MEASURES)},
        "transform": {"$ref": "#/$defs/transform"},
    }
    constraint = _object(profiles._CONSTRAINT_KEYS, _CONSTRAINT_TYPES, required=["type"])
    constraint["properties"]["type"] = {"enum": _names(profiles.CONSTRAINTS)}
    weights = _object(profiles._WEIGHTS_KEYS, _WEIGHTS_TYPES)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "siteplan profile",
        "description": ("A facility profile: candidates, hard constraints, criteria (a measure "
                        "and a transform to [0, 1]), weights and the aggregation method. "
                        "Written as TOML; this is its parsed form."),
        **top,
        "$defs": {"criterion": criterion, "constraint": constraint, "weights": weights,
                  "transform": _transform_schema(transforms.TRANSFORMS)},
    }
