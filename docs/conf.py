"""Sphinx configuration of siteplan's documentation (built by tests/test_docs.py).

    python -m sphinx -W -b html docs docs/_build/html

The API reference comes from the docstrings (numpydoc style, read by
napoleon); the notebooks in ``notebooks/`` (linked as ``docs/notebooks``) are
rendered by myst-nb as committed, without running them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from siteplan import __version__  # noqa: E402

project = "siteplan"
author = "siteplan contributors"
copyright = "siteplan contributors, MIT licence"  # noqa: A001
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_nb",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

# the notebooks are shown as committed (without outputs): nothing runs at build time
nb_execution_mode = "off"
myst_heading_anchors = 3

autosummary_generate = False          # the summary tables link to the entries below them
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"exclude-members": "__init__"}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

html_theme = "alabaster"
html_title = f"siteplan {release}"
html_static_path: list[str] = []
