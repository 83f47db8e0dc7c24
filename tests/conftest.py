"""Shared pytest fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# The tests mirror the package: tests/<room>/ holds the tests of siteplan/<room>/,
# tests/browser/ those that drive Chromium, tests/support/ the shared helpers. A test
# module imports the worlds and helpers of another by its name (``from test_maps import
# world``), so every folder of tests is on the path; the sample generator is a tool of
# the repository, not part of the package.
_FOLDERS = [p for p in sorted(TESTS.iterdir())
            if p.is_dir() and p.name not in ("data", "__pycache__", "_artifacts")]
for _folder in (*_FOLDERS, TESTS.parent / "tools"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from cikit import pytest_sessionfinish, pytest_terminal_summary  # noqa: E402, F401  (the CI skip list)
from slowfirst import pytest_addoption, pytest_collection_modifyitems, pytest_configure  # noqa: E402, F401  (the order the workers take the modules in)


@pytest.fixture(scope="session", autouse=True)
def _children_load_pytest_plugins_as_usual():
    """Processes a test starts (pytest runs of its own) autoload pytest's plugins again.

    ``scripts/test.sh`` names the suite's plugins and turns autoloading off
    (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) for its own processes. Fixtures run only in the
    processes that run tests, after the worker processes have started with that setting.
    """
    os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real Kota Serang data in ``../shared/data/serang`` (next to the repository).

    Skips the test when the folder is missing, except in CI (``CI=true``),
    where a missing folder is a failure.
    """
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "serang"
    if not path.is_dir():
        message = f"the shared Serang data is not at {path}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (it must be there in CI)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def sample_layers():
    """The embedded synthetic sample, loaded once for the session (it is immutable)."""
    import siteplan as sp

    return sp.load_sample()
