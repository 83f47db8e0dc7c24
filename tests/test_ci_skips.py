"""With CI=true a skip is a failure unless its reason is one of cikit.CI_ALLOWED_SKIPS.

Each case runs pytest in a subprocess on a small test file in a temporary
folder, with the hooks of ``tests/support/cikit.py`` loaded as a plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cikit import CI_ALLOWED_SKIPS

HERE = Path(__file__).resolve().parent

ALLOWED = next(iter(CI_ALLOWED_SKIPS))
CASES = {
    "allowed": f"import pytest\n\ndef test_a():\n    pytest.skip({ALLOWED!r})\n",
    "other": "import pytest\n\ndef test_b():\n    pytest.skip('the data is not here')\n",
    "package": "from cikit import require\n\nrequire('siteplan_no_such_package')\n\n"
               "def test_c():\n    pass\n",
    "passes": "def test_d():\n    pass\n",
}


def run(tmp_path: Path, case: str, ci: bool, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / f"test_{case}.py").write_text(CASES[case], encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(HERE / "support")
    # plugins by name, as scripts/test.sh loads them
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "cikit", "-p", "xdist.plugin",
                           "-p", "no:cacheprovider", "-q", "-rs",
                           "-c", str(tmp_path / "pytest.ini"),
                           *extra, str(tmp_path / f"test_{case}.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", ["other", "package"])
def test_a_skip_passes_outside_ci(tmp_path, case):
    out = run(tmp_path, case, ci=False)
    # a module skipped whole leaves nothing collected
    assert out.returncode in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), \
        out.stdout + out.stderr
    assert "1 skipped" in out.stdout


# scripts/test.sh runs the suite in worker processes (pytest-xdist): the skips of the
# workers reach the list too
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_an_unlisted_skip_fails_a_ci_run_and_is_listed(tmp_path, workers):
    out = run(tmp_path, "other", True, *workers)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "skips not allowed when CI=true" in out.stdout
    assert "test_other.py::test_b: the data is not here" in out.stdout


def test_a_missing_package_of_the_test_extra_fails_in_ci(tmp_path):
    out = run(tmp_path, "package", ci=True)
    assert out.returncode != 0, out.stdout + out.stderr
    assert "siteplan_no_such_package is not installed" in out.stdout
    assert "(required when CI=true)" in out.stdout


def test_an_allowed_skip_and_no_skip_pass_a_ci_run(tmp_path):
    for case in ("allowed", "passes"):
        out = run(tmp_path, case, ci=True)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "skips not allowed" not in out.stdout
