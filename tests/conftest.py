"""Shared pytest fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from cikit import pytest_sessionfinish, pytest_terminal_summary  # noqa: F401  (the CI skip list)

# the sample generator is a tool of the repository, not part of the package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


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
