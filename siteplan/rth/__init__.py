"""Green open space (RTH): need per admin unit against UU 26/2007 and Permen PU 05/2008.

The map of it is :func:`siteplan.render_rth`.
"""

from .need import (
    LEVELS,
    PARK_TYPES,
    SHARE_BREAKS,
    TYPE_ORDER,
    read_norms,
    rth_gaps,
)

__all__ = ["rth_gaps", "read_norms", "LEVELS",
           "PARK_TYPES", "TYPE_ORDER", "SHARE_BREAKS"]

