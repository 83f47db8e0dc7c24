"""Network measures along the roads layer (not available yet).

Profiles may name ``measure = "network_distance"``; until the road-network
measures land, scoring such a profile raises a clear error instead of
silently using straight-line distance.
"""

from __future__ import annotations

from ._errors import Problem, SiteplanInputError

__all__ = ["network_distance"]


def network_distance(crit, geoms, layers, context):  # noqa: ARG001 - same signature as measures
    raise SiteplanInputError(Problem(
        context, "measure 'network_distance' (distance along roads) is not available in this "
        "version of siteplan", "use measure = \"distance\" (straight-line distance from the "
        "parcel's edge) for now"))
