"""The tables a profile names besides its measures, each a dict of named entries.

``constraints.py`` (:data:`CONSTRAINT_TYPES`, the hard rules),
``transforms.py`` (:data:`TRANSFORMS`, raw value to suitability),
``weights.py`` (direct weights and AHP) and ``aggregate.py``
(:data:`AGGREGATORS`: WLC, WGM, TOPSIS, OWA, and Shapley contributions).
Profiles check their names against these tables; scoring runs them.
"""

from __future__ import annotations

from .aggregate import AGGREGATORS
from .constraints import CONSTRAINT_TYPES
from .transforms import TRANSFORMS

__all__ = ["AGGREGATORS", "CONSTRAINT_TYPES", "TRANSFORMS"]
