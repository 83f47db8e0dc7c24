"""Skips that CI turns into failures, and the list of skips a CI run may have.

Outside CI a test whose tools are missing (a package of the test extra,
Chromium, the shared data) skips with the reason; with ``CI=true`` it fails,
since ``.ci/run`` installs everything. ``tests/conftest.py`` re-exports the
two hooks below, so that a ``CI=true`` run lists its skips and fails when any
of them is not one of :data:`CI_ALLOWED_SKIPS`.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

#: skips a CI run may have; each reason cannot occur on the CI machine (Debian Linux)
CI_ALLOWED_SKIPS: dict[str, str] = {
    "no /proc/net/tcp on this system": "Linux always has /proc/net/tcp",
    "finds the worker processes in /proc": "a skipif for systems other than Linux",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip with ``reason`` (also at module level), or fail with it when ``CI=true``."""
    if in_ci():
        pytest.fail(reason + " (required when CI=true)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require(module: str, *, extra: str = "test") -> ModuleType:
    """Import ``module``, a package of siteplan's ``extra``: skip without it, fail in CI."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        unavailable(f"{module} is not installed ({err}); pip install -e '.[{extra}]'")
        raise   # not reached: unavailable raises


def _skip_reasons(config: pytest.Config) -> list[str]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reports = reporter.stats.get("skipped", []) if reporter is not None else []
    out = []
    for rep in reports:
        if getattr(rep, "wasxfail", None) is not None:
            continue
        longrepr = rep.longrepr
        text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        out.append(f"{rep.nodeid}: {text.removeprefix('Skipped: ')}")
    return out


def _unexpected(config: pytest.Config) -> list[str]:
    return [r for r in _skip_reasons(config)
            if not any(r.endswith(": " + allowed) for allowed in CI_ALLOWED_SKIPS)]


def pytest_terminal_summary(terminalreporter, config) -> None:
    if not in_ci():
        return
    unexpected = _unexpected(config)
    if unexpected:
        terminalreporter.section("skips not allowed when CI=true", red=True)
        for line in unexpected:
            terminalreporter.line(line)
        terminalreporter.line("a CI run may only skip for: "
                              + "; ".join(f"{r!r} ({why})" for r, why in
                                          CI_ALLOWED_SKIPS.items()))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if in_ci() and exitstatus == pytest.ExitCode.OK and _unexpected(session.config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
