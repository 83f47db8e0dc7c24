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

import siteplan as sp

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, seed, settings  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from siteplan.register.sample import sample_register  # noqa: E402
from siteplan.serve import create_app  # noqa: E402
from siteplan.serve.app import LOOPBACK_HOSTS  # noqa: E402

SEED = 20261206
EXAMPLES = 6
CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]

_DIR = Path(tempfile.mkdtemp(prefix="siteplan-fuzz-register-"))
LAYERS = sp.load_sample()
with sample_register(_DIR / "offers.gpkg", layers=LAYERS) as _reg:
    TOKENS = {"admin": _reg.add_token("admin", actor="fuzz"),
              "planner": _reg.add_token("planner", actor="fuzz")}
APP = create_app(LAYERS, workers=2, time_limit=2, max_body_bytes=2_000_000,
                 allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), register=_DIR / "offers.gpkg")
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP
STATUSES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _workers():
    runner = APP.state.service.runner
    runner.start()
    yield
    runner.close()
    print(f"\nschemathesis (register): {sum(STATUSES.values())} requests, "
          f"statuses {dict(STATUSES)}")


@schema.include(path_regex="^/(offers|partners|tokens)").parametrize()
@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
          suppress_health_check=list(HealthCheck))
def test_register_endpoints(case):
    admin = case.path.startswith(("/partners", "/tokens"))
    headers = {"Authorization": "Bearer " + TOKENS["admin" if admin else "planner"]}
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    STATUSES[response.status_code] += 1
    assert response.status_code not in (500, 502, 503), (
        f"{response.status_code} for {case.as_curl_command()}:\n{response.text[:2000]}")
