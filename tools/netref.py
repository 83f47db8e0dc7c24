"""A reference for siteplan's road catchments: networkx, one Dijkstra per parcel.

Used by the tests (as an independent check) and the benchmarks (as the
correctness reference beside the peers). It snaps parcels and people to the
roads exactly as siteplan does (``siteplan.measures.network.snap``), then asks
networkx how far each person is along the roads, one parcel at a time.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from siteplan.measures.network import road_graph, snap
from siteplan.population import demand_points


def snapped(layers, geoms: np.ndarray):
    """The road graph, the people snapped to it and the parcels snapped to it.

    Returns ``(graph, people, parcels)``: ``people`` is ``(segment, along, gap,
    count)`` for the people near a road, ``parcels`` is ``(segment, along,
    gap)`` (segment -1: no road near), as ``siteplan.measures.network.snap``
    gives them.
    """
    g = road_graph(layers)
    pts, people = demand_points(layers)
    d_seg, d_along, d_gap = snap(g, pts)
    keep = d_seg >= 0
    return g, (d_seg[keep], d_along[keep], d_gap[keep], people[keep]), snap(g, geoms)


def people_reached(g, node_dist: np.ndarray, people, parcel, radius: float) -> float:
    """People within ``radius`` of one parcel, given its distance to every node of ``g``.

    ``people`` as :func:`snapped` gives it; ``parcel`` is the parcel's
    ``(segment, along, gap)``. A person is reached through either end of their
    segment, or straight along it when the parcel sits on the same segment.
    """
    d_seg, d_along, d_gap, count = people
    seg, along, gap = parcel
    reach = np.minimum(node_dist[g.u[d_seg]] + d_along,
                       node_dist[g.v[d_seg]] + g.length[d_seg] - d_along) + d_gap
    same = d_seg == seg
    reach[same] = np.minimum(reach[same], gap + np.abs(along - d_along[same]) + d_gap[same])
    return float(count[reach <= radius].sum())


def networkx_catchment(layers, geoms: np.ndarray, radius: float) -> np.ndarray:
    """People within ``radius`` metres along roads of each parcel (NaN: no road near)."""
    g, people, (p_seg, p_along, p_gap) = snapped(layers, geoms)
    gx = nx.Graph()
    gx.add_nodes_from(range(g.n_nodes))
    for a, b, w in zip(g.u, g.v, g.length, strict=True):
        if not gx.has_edge(a, b) or gx[a][b]["weight"] > w:
            gx.add_edge(int(a), int(b), weight=float(w))
    out = np.full(len(geoms), np.nan)
    for i in np.flatnonzero(p_seg >= 0):  # a reference: one search per parcel, on purpose
        s = p_seg[i]
        gx.add_edge("src", int(g.u[s]), weight=p_gap[i] + p_along[i])
        gx.add_edge("src", int(g.v[s]), weight=p_gap[i] + g.length[s] - p_along[i])
        dist = nx.single_source_dijkstra_path_length(gx, "src", cutoff=radius)
        gx.remove_node("src")
        node_dist = np.full(g.n_nodes, np.inf)
        reached = [n for n in dist if n != "src"]
        node_dist[reached] = [dist[n] for n in reached]
        out[i] = people_reached(g, node_dist, people, (s, p_along[i], p_gap[i]), radius)
    return out
