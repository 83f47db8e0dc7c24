"""tools/mutate.py: every mutant still applies to the sources, and a small run works.

The full run (every mutant, a few minutes) is not part of the test suite; see
docs/testing.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mutate  # tools/ is on sys.path (conftest.py)

ROOT = Path(__file__).resolve().parents[1]


def test_every_mutant_applies_once_to_the_current_sources():
    # a rule edited since the mutant was written would otherwise leave it untested
    assert mutate.check(mutate.MUTANTS) == []
    assert all(m.old != m.new for m in mutate.MUTANTS)


def test_a_small_run_kills_a_wrong_boundary_and_keeps_an_equivalent_mutant(tmp_path):
    report = tmp_path / "report.md"
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "mutate.py"), "--report",
                          str(report), "--only", "decay_max_distance_inclusive",
                          "fuzzy_large_infinity_guard_dropped"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    text = report.read_text(encoding="utf-8")
    assert "- killed: 1 of 2 (50 %)" in text
    assert ("| `decay_max_distance_inclusive` | methods/transforms.py | killed | "
            "tests/methods/test_rules_transforms.py::"
            "test_decay_is_not_cut_exactly_at_max_distance |"
            ) in text
    assert "| `fuzzy_large_infinity_guard_dropped` | methods/transforms.py | equivalent |" in text
    # the checkout itself is never changed
    assert "np.where(x > max_distance, 0.0, v)" in (
        ROOT / "siteplan" / "methods" / "transforms.py").read_text(encoding="utf-8")
