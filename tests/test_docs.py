"""The reference documentation builds with warnings as errors, so a broken reference fails.

Sphinx reads the docstrings (autodoc, autosummary, napoleon for the numpydoc
sections) and renders the notebooks with myst-nb as committed, without
running them. The build goes to a temporary folder; nothing is written into
``docs/``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cikit import require

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_build_without_a_warning(tmp_path):
    require("sphinx")
    require("myst_nb")
    before = sorted(p.relative_to(ROOT / "docs") for p in (ROOT / "docs").rglob("*"))
    html = tmp_path / "html"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(html)],
        capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-5000:]
    api = (html / "api.html").read_text(encoding="utf-8")
    for name in ("score", "explain", "sensitivity", "select_sites", "render_map",
                 "record_of", "load_layers"):
        assert f'id="siteplan.{name}"' in api, name
    assert "Examples" in api and "Parameters" in api
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.stem for p in (html / "notebooks").glob("*.html")) == notebooks
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "notebooks/01_quick_start.html" in index and "api.html" in index
    after = sorted(p.relative_to(ROOT / "docs") for p in (ROOT / "docs").rglob("*"))
    assert after == before, "the build wrote into docs/"
