"""The package type-checks: mypy, configured in pyproject.toml ([tool.mypy]), finds no error."""

from __future__ import annotations

from pathlib import Path

from cikit import require

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error_in_the_package(monkeypatch):
    api = require("mypy.api")
    monkeypatch.chdir(ROOT)  # [tool.mypy] files = ["siteplan"] is relative to the checkout
    # no cache written into the checkout (as pytest runs with -p no:cacheprovider in CI)
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      "--cache-dir", "/dev/null"])
    assert status == 0, f"mypy found errors (exit status {status}):\n{stdout}{stderr}"
    assert "Success: no issues found" in stdout, stdout + stderr
