"""The profile JSON Schema: built from the validator's tables, agrees with the validator."""

import copy
import json
import subprocess
import sys
import tomllib

import jsonschema
import pytest

import siteplan as sp
from siteplan.methods import transforms
from siteplan.profiles import profile as profiles
from siteplan.profiles.profile import builtin_profile_text, profile_from_dict
from siteplan.profiles.schema import profile_schema


@pytest.fixture(scope="module")
def schema():
    s = profile_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return s


def _validator(schema):
    return jsonschema.Draft202012Validator(schema)


def _builtin(name):
    return tomllib.loads(builtin_profile_text(name))


def test_schema_names_come_from_the_validator_tables(schema):
    defs = schema["$defs"]
    assert set(schema["properties"]) == set(profiles._TOP_KEYS)
    assert set(defs["criterion"]["properties"]) == set(profiles._CRITERION_KEYS)
    assert set(defs["constraint"]["properties"]) == set(profiles._CONSTRAINT_KEYS)
    assert set(defs["weights"]["properties"]) == set(profiles._WEIGHTS_KEYS)
    assert set(schema["properties"]["method"]["enum"]) == set(profiles.METHODS)
    assert set(defs["criterion"]["properties"]["measure"]["enum"]) == set(profiles.MEASURES)
    assert set(defs["constraint"]["properties"]["type"]["enum"]) == set(profiles.CONSTRAINTS)
    variants = {v["properties"]["type"]["const"]: v for v in defs["transform"]["oneOf"]}
    assert set(variants) == set(transforms.TRANSFORMS)
    for kind, (_, required, optional) in transforms.TRANSFORMS.items():
        assert set(variants[kind]["required"]) == {"type", *required}
        assert set(variants[kind]["properties"]) == {"type", *required, *optional}


def test_schema_is_a_fresh_dict_each_call():
    a = profile_schema()
    a["properties"].clear()
    assert profile_schema()["properties"]


@pytest.mark.parametrize("name", sp.list_profiles())
def test_every_builtin_profile_validates(schema, name):
    profile_from_dict(_builtin(name))
    data = _builtin(name)
    _validator(schema).validate(data)
    # and it survives JSON, as a client would send it
    _validator(schema).validate(json.loads(json.dumps(data)))


def _mutations():
    """(label, change to a copy of sentra_kuliner, what the validator says)."""

    def measure(d):
        d["criteria"][0]["measure"] = "teleport_distance"

    def method(d):
        d["method"] = "magic"

    def transform(d):
        d["criteria"][1]["transform"] = {"type": "sigmoid", "midpoint": 3}

    def transform_param(d):
        d["criteria"][1]["transform"]["slope"] = 2

    def constraint(d):
        d["constraints"][0]["type"] = "near_mosque"

    def top_key(d):
        d["path"] = "/etc/passwd"

    def criterion_key(d):
        d["criteria"][0]["file"] = "roads.gpkg"

    def no_criteria(d):
        d["criteria"] = []

    def bad_name(d):
        d["name"] = "../../etc/passwd"

    def not_in_text(d):  # would be read letter by letter
        d["constraints"].append({"type": "attribute", "column": "land_use", "not_in": "sawah"})

    def not_in_null(d):
        d["constraints"].append({"type": "attribute", "column": "land_use", "not_in": None})

    def min_text(d):
        d["constraints"].append({"type": "attribute", "column": "area_m2", "min": "1000"})

    return [("measure", measure, "unknown measure 'teleport_distance'"),
            ("method", method, "unknown method 'magic'"),
            ("transform", transform, "unknown transform type 'sigmoid'"),
            ("transform_param", transform_param, "unknown parameter"),
            ("constraint", constraint, "unknown constraint type 'near_mosque'"),
            ("top_key", top_key, "unknown key"),
            ("criterion_key", criterion_key, "unknown key"),
            ("no_criteria", no_criteria, "has no criteria"),
            ("bad_name", bad_name, "lowercase identifier"),
            ("not_in_text", not_in_text, "not_in must be a list of values"),
            ("not_in_null", not_in_null, "not_in must be a list of values"),
            ("min_text", min_text, "min must be a number")]


@pytest.mark.parametrize(("label", "change", "message"), _mutations(),
                         ids=[m[0] for m in _mutations()])
def test_what_the_validator_refuses_the_schema_refuses(schema, label, change, message):
    data = copy.deepcopy(_builtin("sentra_kuliner"))
    profile_from_dict(data)  # the unchanged profile is fine
    change(data)
    with pytest.raises(sp.SiteplanInputError, match=message):
        profile_from_dict(data, where=f"changed ({label})")
    assert not _validator(schema).is_valid(data)


def test_cli_prints_the_schema():
    r = subprocess.run([sys.executable, "-m", "siteplan.cli", "profiles", "schema"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == profile_schema()
