"""The code keeps the linter's rules and limits (``[tool.ruff]`` in ``pyproject.toml``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "ruff"]


def test_the_code_keeps_the_linters_rules_and_limits():
    run = subprocess.run([*_ruff(), "check", "--no-cache", "siteplan", "tests", "bench",
                          "tools", "scripts"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_linter_finds_a_fault_when_there_is_one(tmp_path):
    """The check above can fail: an unused import, a function of 7 positional parameters
    and one of 16 branches, in a file of the same configuration."""
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(16))
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef seven(a, b, c, d, e, f, g):\n    return a\n\n\n"
                   f"def branchy(x):\n{branches}    return -1\n", encoding="utf-8")
    run = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "json",
                          "--config", str(ROOT / "pyproject.toml"), str(bad)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert {"F401", "PLR0917", "C901"} <= {f["code"] for f in json.loads(run.stdout)}
