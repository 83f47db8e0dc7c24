"""A reference for siteplan's road catchments: networkx, one Dijkstra per parcel.

Used by the tests (as an independent check) and the benchmarks (as the
correctness reference beside the peers). It snaps parcels and people to the
roads exactly as siteplan does (``siteplan.measures.network.snap``), then asks
networkx how far each person is along the roads, one parcel at a time.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely

from siteplan.measures.network import ENTRANCE_GAP, road_graph, snap
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


def node_entrances(g, geom, gap: float = ENTRANCE_GAP) -> dict[int, float]:
    """The road nodes inside a polygon or within ``gap`` of it, with their distance to it.

    Written apart from siteplan's (a loop over every node, on purpose): a
    point or a line has none.
    """
    if shapely.get_dimensions(geom) != 2:
        return {}
    xy = {}
    for k, line in enumerate(g.segments):
        c = shapely.get_coordinates(line)
        xy[int(g.u[k])], xy[int(g.v[k])] = tuple(c[0]), tuple(c[-1])
    out = {}
    for node, (x, y) in xy.items():
        d = shapely.distance(geom, shapely.Point(x, y))
        if d <= gap:
            out[node] = float(d)
    return out


def road_nx(g) -> nx.Graph:
    """The road graph in networkx, the shortest of parallel segments kept."""
    gx = nx.Graph()
    gx.add_nodes_from(range(g.n_nodes))
    for a, b, w in zip(g.u, g.v, g.length, strict=True):
        if not gx.has_edge(a, b) or gx[a][b]["weight"] > w:
            gx.add_edge(int(a), int(b), weight=float(w))
    return gx


def networkx_distance(layers, geoms: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Metres along roads from each parcel to the nearest target (NaN: no road near or cut
    off), every polygon (parcel or target) entered at its snap and its entrance nodes."""
    g = road_graph(layers)
    p_seg, p_along, p_gap = snap(g, geoms)
    t_seg, t_along, t_gap = snap(g, targets)
    gx = road_nx(g)
    for j in np.flatnonzero(t_seg >= 0):
        s = t_seg[j]
        for node, w in ((g.u[s], t_gap[j] + t_along[j]),
                        (g.v[s], t_gap[j] + g.length[s] - t_along[j])):
            _cheapest(gx, "dst", int(node), float(w))
        for node, w in node_entrances(g, targets[j]).items():
            _cheapest(gx, "dst", node, w)
    out = np.full(len(geoms), np.nan)
    for i in np.flatnonzero(p_seg >= 0):  # a reference: one search per parcel, on purpose
        s = p_seg[i]
        ways = {int(g.u[s]): p_gap[i] + p_along[i], int(g.v[s]): p_gap[i] + g.length[s]
                - p_along[i]}
        for node, w in node_entrances(g, geoms[i]).items():
            ways[node] = min(ways.get(node, np.inf), w)
        for node, w in ways.items():
            gx.add_edge("src", node, weight=float(w))
        try:
            best = nx.shortest_path_length(gx, "src", "dst", weight="weight")
        except nx.NetworkXNoPath:
            best = np.nan
        same = np.flatnonzero(t_seg == s)   # along the parcel's own segment
        if len(same):
            direct = p_gap[i] + np.abs(p_along[i] - t_along[same]) + t_gap[same]
            best = np.fmin(best, direct.min())
        gx.remove_node("src")
        out[i] = best
    return out


def _cheapest(gx: nx.Graph, a, b, w: float) -> None:
    if not gx.has_edge(a, b) or gx[a][b]["weight"] > w:
        gx.add_edge(a, b, weight=w)


def networkx_catchment(layers, geoms: np.ndarray, radius: float) -> np.ndarray:
    """People within ``radius`` metres along roads of each parcel (NaN: no road near),
    the parcel left through its snap and through its entrance nodes."""
    g, people, (p_seg, p_along, p_gap) = snapped(layers, geoms)
    gx = road_nx(g)
    out = np.full(len(geoms), np.nan)
    for i in np.flatnonzero(p_seg >= 0):  # a reference: one search per parcel, on purpose
        s = p_seg[i]
        gx.add_edge("src", int(g.u[s]), weight=p_gap[i] + p_along[i])
        _cheapest(gx, "src", int(g.v[s]), p_gap[i] + g.length[s] - p_along[i])
        for node, w in node_entrances(g, geoms[i]).items():
            _cheapest(gx, "src", node, w)
        dist = nx.single_source_dijkstra_path_length(gx, "src", cutoff=radius)
        gx.remove_node("src")
        node_dist = np.full(g.n_nodes, np.inf)
        reached = [n for n in dist if n != "src"]
        node_dist[reached] = [dist[n] for n in reached]
        out[i] = people_reached(g, node_dist, people, (s, p_along[i], p_gap[i]), radius)
    return out
