"""Schemathesis over the OpenAPI document of a service with a register: the register's
endpoints too, called with real tokens (admin for partners and tokens, planner elsewhere).

Like ``test_serve_schema_fuzz.py``: the app in this process with real worker processes, a
fixed seed, a bounded number of examples per operation, every answer checked against the
document (status, content type, headers, body), schema-invalid requests refused with a 4xx.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest
from fuzzkit import call, schema_of, workers
from hypothesis import HealthCheck, seed, settings

import siteplan as sp
from siteplan.register.sample import sample_register
from siteplan.serve import create_app
from siteplan.serve.app import LOOPBACK_HOSTS

SEED = 20261206
EXAMPLES = 6

_DIR = Path(tempfile.mkdtemp(prefix="siteplan-fuzz-register-"))
LAYERS = sp.load_sample()
with sample_register(_DIR / "offers.gpkg", layers=LAYERS) as _reg:
    TOKENS = {"admin": _reg.add_token("admin", actor="fuzz"),
              "planner": _reg.add_token("planner", actor="fuzz")}
APP = create_app(LAYERS, workers=2, time_limit=2, max_body_bytes=2_000_000,
                 allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), register=_DIR / "offers.gpkg")
schema = schema_of(APP)
STATUSES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _workers():
    yield from workers(APP, STATUSES, "register")


@schema.include(path_regex="^/(offers|partners|tokens)").parametrize()
@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
          suppress_health_check=list(HealthCheck))
def test_register_endpoints(case):
    admin = case.path.startswith(("/partners", "/tokens"))
    call(case, STATUSES, headers={"Authorization": "Bearer "
                                  + TOKENS["admin" if admin else "planner"]})
