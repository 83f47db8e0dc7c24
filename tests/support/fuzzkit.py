"""What the schemathesis runs over the service share: the checks, the schema of an app, its
workers for the module, and one call checked against the document.

Used by ``tests/serve/test_serve_schema_fuzz.py`` and
``tests/register/test_register_serve_fuzz.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from cikit import require

require("fastapi")
schemathesis = require("schemathesis")

from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# schemathesis's not_a_server_error counts every 5xx; a 504 is the short time limit working
# (and a documented answer), so call() itself refuses 500, 502 and 503
CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


def schema_of(app: Any) -> Any:
    """The document the app serves at /openapi.json; requests go to the app in this process."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    return schema


def workers(app: Any, statuses: Counter, label: str) -> Iterator[None]:
    """The app's worker processes for a module's tests (they outlive the app's lifespan,
    which the client runs per test); prints the statuses seen at the end."""
    runner = app.state.service.runner
    runner.start()
    yield
    runner.close()
    print(f"\nschemathesis ({label}): {sum(statuses.values())} requests, "
          f"statuses {dict(statuses)}")


def call(case: Any, statuses: Counter, **kwargs: Any) -> Any:
    """One generated request, checked against the document; never a server error.

    A 503 is allowed only as the documented answer of a solver that had no time to
    answer good input (``"error": "solver"``, e.g. a generated solver_time_limit of
    5e-324 s); any other 503 is a server error."""
    response = case.call_and_validate(checks=CHECKS, **kwargs)
    statuses[response.status_code] += 1
    solver = response.status_code == 503 and _error_of(response) == "solver"
    assert response.status_code not in (500, 502, 503) or solver, (
        f"{response.status_code} for {case.as_curl_command()}:\n{response.text[:2000]}")
    return response


def _error_of(response: Any) -> str | None:
    """The ``error`` code of a JSON error answer, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None
