"""Demand units and cost matrices from siteplan's own layers.

- :func:`demand_units`: the people of the one population model
  (:func:`siteplan.layers.population.demand_points`) gathered into squares of ``cell``
  metres, each at its people-weighted centre (or the model's own points).
- :func:`straight_costs`: metres from each demand unit to each site's parcel
  (its edge; 0 inside), as :func:`siteplan.select_sites` measures reach.
- :func:`road_costs`: metres along the roads layer, with the snap legs, on the
  road graph of :mod:`siteplan.measures.network` (one Dijkstra search from the
  end nodes of the sites' road segments, all at once); ``inf`` where no route.

Every step is vectorised over units and sites.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from .._errors import Problem, SiteplanInputError
from ..layers.population import demand_points
from ..measures.network import road_graph, snap
from ._inputs import MAX_CELLS

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["demand_units", "straight_costs", "road_costs", "cost_matrix", "COSTS"]

#: the ways a cost can be measured
COSTS = ("straight", "roads")


def demand_units(layers: Layers, *, cell: float | None = 500.0, context: str = "locate"
                 ) -> tuple[np.ndarray, np.ndarray]:
    """People as weighted points: the population model's points gathered into ``cell`` squares.

    Each square's people sit at their weighted centre; squares without people
    are left out. ``cell=None`` keeps the population model's own points.
    """
    pts, w = demand_points(layers, context=context)
    keep = w > 0
    pts, w = pts[keep], w[keep]
    if cell is None or len(pts) == 0:
        return pts, w
    xy = shapely.get_coordinates(pts)
    key = np.floor((xy - xy.min(axis=0)) / cell).astype(np.int64)
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    people = np.bincount(inv, weights=w)
    x = np.bincount(inv, weights=w * xy[:, 0]) / people
    y = np.bincount(inv, weights=w * xy[:, 1]) / people
    return shapely.points(x, y), people


def _check_size(n: int, m: int, context: str) -> None:
    if n * m > MAX_CELLS:
        raise SiteplanInputError(Problem(context, f"{n:,} demand units x {m:,} sites is more "
                                         f"than {MAX_CELLS:,} costs",
                                         "use a larger demand cell or fewer candidate sites "
                                         "(min_score)"))


def straight_costs(pts: np.ndarray, sites: np.ndarray, *, context: str = "locate"
                   ) -> np.ndarray:
    """(units, sites) straight-line metres from each point to each site's geometry."""
    _check_size(len(pts), len(sites), context)
    return shapely.distance(pts[:, None], sites[None, :])


def road_costs(layers: Layers, pts: np.ndarray, sites: np.ndarray, *,
               context: str = "locate") -> np.ndarray:
    """(units, sites) metres along roads, snap legs included; ``inf`` where there is no route.

    A unit or site with no road within :data:`~siteplan.measures.network.MAX_SNAP`
    has no route to anything.
    """
    _check_size(len(pts), len(sites), context)
    graph = road_graph(layers, context=context)
    s_seg, s_al, s_gap = snap(graph, sites)
    d_seg, d_al, d_gap = snap(graph, pts)
    out = np.full((len(pts), len(sites)), np.inf)
    js, ids = np.flatnonzero(s_seg >= 0), np.flatnonzero(d_seg >= 0)
    if len(js) == 0 or len(ids) == 0:
        return out
    ss, sa, sg = s_seg[js], s_al[js], s_gap[js]
    ds, da, dg = d_seg[ids], d_al[ids], d_gap[ids]
    length = graph.length
    sources = np.unique(np.r_[graph.u[ss], graph.v[ss]])
    dist = csgraph.dijkstra(graph.matrix("length"), directed=False, indices=sources)
    pu = np.searchsorted(sources, graph.u[ss])
    pv = np.searchsorted(sources, graph.v[ss])
    # site -> every node, leaving its segment by either end
    to_node = np.minimum(sa[:, None] + dist[pu], (length[ss] - sa)[:, None] + dist[pv])
    via_u = to_node[:, graph.u[ds]] + da[None, :]
    via_v = to_node[:, graph.v[ds]] + (length[ds] - da)[None, :]
    best = np.minimum(via_u, via_v) + sg[:, None] + dg[None, :]
    # a site and a unit on the same segment: along it directly
    pairs = pd.DataFrame({"s": np.arange(len(js)), "seg": ss}).merge(
        pd.DataFrame({"d": np.arange(len(ids)), "seg": ds}), on="seg")
    if len(pairs):
        si, di = pairs["s"].to_numpy(), pairs["d"].to_numpy()
        direct = np.abs(sa[si] - da[di]) + sg[si] + dg[di]
        best[si, di] = np.minimum(best[si, di], direct)
    out[np.ix_(ids, js)] = best.T
    return out


def cost_matrix(layers: Layers, pts: np.ndarray, sites: np.ndarray, *, cost: str,
                context: str = "locate") -> np.ndarray:
    """(units, sites) costs measured as ``cost`` (one of :data:`COSTS`)."""
    if cost == "straight":
        return straight_costs(pts, sites, context=context)
    if cost == "roads":
        return road_costs(layers, pts, sites, context=context)
    raise SiteplanInputError(Problem(context, f"unknown cost {cost!r}",
                                     f"use one of {', '.join(COSTS)}"))
