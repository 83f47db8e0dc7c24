"""Scoring: one profile over one bundle of layers, and what is read from a result.

``run.py`` (``sp.score``) picks the engine: ``pipeline.py`` runs constrain,
measure, transform and aggregate for one set of parcels, locally or per
partition with dask (``_dask.py``); ``record.py`` is the typed record every
result carries (``sp.record_of``); ``ranks.py`` the ranks and their tie rule;
``stability.py`` (``sp.sensitivity``), ``explanation.py`` (``sp.explain``) and
``comparison.py`` (``sp.compare``) read results.
"""

from __future__ import annotations

from .run import STATUS_EXCLUDED, STATUS_REJECTED, STATUS_SCORED, score

__all__ = ["score", "STATUS_SCORED", "STATUS_EXCLUDED", "STATUS_REJECTED"]
