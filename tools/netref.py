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


def networkx_catchment(layers, geoms: np.ndarray, radius: float) -> np.ndarray:
    """People within ``radius`` metres along roads of each parcel (NaN: no road near)."""
    g = road_graph(layers)
    gx = nx.Graph()
    gx.add_nodes_from(range(g.n_nodes))
    for a, b, w in zip(g.u, g.v, g.length, strict=True):
        if not gx.has_edge(a, b) or gx[a][b]["weight"] > w:
            gx.add_edge(int(a), int(b), weight=float(w))
    pts, people = demand_points(layers)
    d_seg, d_along, d_gap = snap(g, pts)
    keep = d_seg >= 0
    d_seg, d_along, d_gap, people = d_seg[keep], d_along[keep], d_gap[keep], people[keep]
    p_seg, p_along, p_gap = snap(g, geoms)
    out = np.full(len(geoms), np.nan)
    for i in np.flatnonzero(p_seg >= 0):  # a reference: one search per parcel, on purpose
        s = p_seg[i]
        gx.add_edge("src", int(g.u[s]), weight=p_gap[i] + p_along[i])
        gx.add_edge("src", int(g.v[s]), weight=p_gap[i] + g.length[s] - p_along[i])
        dist = nx.single_source_dijkstra_path_length(gx, "src", cutoff=radius)
        gx.remove_node("src")
        du = np.array([dist.get(int(n), np.inf) for n in g.u[d_seg]])
        dv = np.array([dist.get(int(n), np.inf) for n in g.v[d_seg]])
        reach = np.minimum(du + d_along, dv + g.length[d_seg] - d_along) + d_gap
        same = d_seg == s
        reach[same] = np.minimum(reach[same], p_gap[i] + np.abs(p_along[i] - d_along[same])
                                 + d_gap[same])
        out[i] = people[reach <= radius].sum()
    return out
