"""Schemathesis over the service's whole OpenAPI document: no 500, no answer off its schema.

The app runs in this process (ASGI) with real worker processes; the
examples are generated from the OpenAPI document with a fixed seed and a
bounded number per operation, so the run is the same every time and takes
well under a minute. Every answer is checked: not a server error (500), a
status code, content type, headers and body the document lists for the
operation, and schema-invalid requests refused with a 4xx. The time limit
is short (1 s) so that slow valid requests end as the documented 504.
"""

from __future__ import annotations

from collections import Counter

import pytest
from fuzzkit import call, schema_of, workers
from hypothesis import HealthCheck, seed, settings

import siteplan as sp
from siteplan.serve import create_app
from siteplan.serve.app import LOOPBACK_HOSTS

SEED = 20261205
EXAMPLES = 8  # generated per operation, after the document's own examples

# "testserver" is the Host the in-process client sends
APP = create_app(sp.load_sample(), workers=2, time_limit=1, max_body_bytes=2_000_000,
                 allowed_hosts=(*LOOPBACK_HOSTS, "testserver"))
schema = schema_of(APP)
STATUSES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _workers():
    yield from workers(APP, STATUSES, "service")


@schema.parametrize()
@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
          suppress_health_check=list(HealthCheck))
def test_openapi_document(case):
    call(case, STATUSES)
