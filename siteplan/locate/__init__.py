"""Where to put k facilities, and who is underserved now: location models and access measures.

Two levels, so that others can check the answers:

- on plain matrices: :func:`solve` runs one of :data:`MODELS` (``lscp``,
  ``lscpb``, ``mclp``, ``pmedian``, ``cpmedian``, ``pcenter``,
  ``pdispersion``) exactly with HiGHS on a demand-by-site cost matrix and
  answers a :class:`Plan`; :func:`access` computes one of
  :data:`ACCESS_METHODS` (``fca``, ``2sfca``, ``e2sfca``, ``3sfca``,
  ``gravity``, ``raam``) per demand row;
- for the planner: :func:`locate_sites` (``sp.locate_sites``) builds the
  problem from a scored result, the population model and the roads, and
  answers a :class:`SitePlan` that maps and the command line read;
  :func:`access_now` measures today's access to a layer of facilities,
  :func:`equity_of_plan` the share underserved and the lowest decile's access
  before and after a plan's sites are built.
"""

from __future__ import annotations

from .._errors import SiteplanSolverError, SolverError
from ._solve import objective_of, solve
from .access import (
    ACCESS_METHODS,
    AccessMethod,
    access,
    gaussian_weights,
    gravity_weights,
    step_weights,
)
from .models import MODELS, Model
from .now import access_by_area, access_now, equity, equity_of_plan
from .plan import Plan
from .sites import SitePlan, locate_sites

__all__ = ["solve", "access", "Plan", "SiteplanSolverError", "SolverError", "MODELS", "Model",
           "ACCESS_METHODS", "AccessMethod", "step_weights", "gravity_weights",
           "gaussian_weights", "objective_of", "locate_sites", "SitePlan", "access_now",
           "equity", "access_by_area", "equity_of_plan"]
