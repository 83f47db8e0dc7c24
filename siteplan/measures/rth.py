"""The RTH measures: a criterion's view of the green open space need of :mod:`siteplan.rth`.

``rth_shortfall`` reads the need of the admin unit holding each parcel
(:func:`siteplan.rth_gaps`); ``pop_beyond_reach`` counts the people a new park
on each parcel would bring within reach. Both take the measure table's
signature (criterion, parcels, geometries, layers, context).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._errors import Problem, SiteplanInputError
from ..layers.bundle import CacheKey
from ..layers.population import QUAD_SEGS, amount_in, people_beyond
from ..rth.need import _arr, _check_level, _gaps, _park_where, _require, read_norms

if TYPE_CHECKING:
    import geopandas as gpd

    from ..criterion import Criterion
    from ..layers.bundle import Layers

__all__ = ["rth_shortfall", "pop_beyond_reach"]


def rth_shortfall(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                  layers: Layers, context: str) -> np.ndarray:
    """How far the admin unit holding each parcel falls short of its RTH target.

    The value of ``column`` (default ``public_share_short``: the share of the
    unit's area by which its public RTH falls short of 20%, 0 to 0.2; any
    numeric :func:`rth_gaps` column may be named, e.g.
    ``public_shortfall_ha``) of the admin unit at ``level`` (default
    kelurahan) holding the parcel's point on surface; NaN outside every unit.
    """
    level = crit.level or "kelurahan"
    _check_level(level, context)
    if crit.where or crit.layer:
        raise SiteplanInputError(Problem(context, "measure 'rth_shortfall' takes no layer or "
                                         "where (it reads the admin and green_spaces layers)",
                                         "remove them; choose the unit with level = ..."))
    _require(layers, ("admin", "green_spaces"), context)
    gaps = _gaps(layers, level, read_norms(), _park_where(None), context,
                 with_people="population" in layers)
    column = crit.column or "public_share_short"
    numeric = [c for c in gaps.columns
               if c not in ("kode", "nama", "level", "kecamatan", "kode_bps", "geometry")]
    if column not in numeric:
        raise SiteplanInputError(Problem(context, f"column {column!r} is not a numeric "
                                         "rth_gaps column", f"use one of: {', '.join(numeric)}"))
    values = gaps[column].to_numpy(dtype=float)
    tree = layers.cache.get(CacheKey("rth_unit_tree", ("admin",), (level,)),
                            lambda: shapely.STRtree(_arr(gaps)))
    i, j = tree.query(shapely.point_on_surface(geoms), predicate="intersects")
    first = np.unique(i, return_index=True)[1]
    out = np.full(len(geoms), np.nan)
    out[i[first]] = values[j[first]]
    return out


def pop_beyond_reach(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                     layers: Layers, context: str) -> np.ndarray:
    """The people a new park on each parcel would bring within ``radius`` metres.

    Those who live within ``radius`` of the parcel and beyond it of every
    park (``layer``/``where``, default the public taman, hutan_kota and
    lapangan of ``green_spaces``).

    Examples
    --------
    >>> import siteplan as sp
    >>> result = sp.score(sp.load_sample(), "rth")
    >>> bool((result["m_jangkauan_taman"].dropna() >= 0).all())
    True
    """
    radius = crit.radius
    if radius is None or not radius > 0:
        raise SiteplanInputError(Problem(context, f"measure 'pop_beyond_reach' needs radius "
                                         f"> 0, got {radius!r}", "write radius = 1000"))
    layer = crit.layer or "green_spaces"
    where = dict(crit.where) if crit.where else _park_where(None)
    _require(layers, ("population", layer), context)
    beyond = people_beyond(layers, float(radius), layer, where, context=context)
    if len(geoms) == 0:
        return np.zeros(0)
    return amount_in(shapely.buffer(geoms, radius, quad_segs=QUAD_SEGS), beyond)
