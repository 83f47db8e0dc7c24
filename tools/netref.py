"""A reference for siteplan's road catchments and distances: networkx, one Dijkstra per parcel.

Used by the tests (as an independent check) and the benchmarks (as the
correctness reference beside the peers). Nothing here calls siteplan's
measures: the road graph is built from the raw road segments with shapely
(every part of every road a segment, its ends joined where they meet to the
centimetre), parcels and people are snapped to the nearest segment with
shapely's own nearest-neighbour query, people are placed by the population
model's documented rule (points as they are, polygons on a 100 m grid, raster
cells at their centres, read with rasterio), and networkx finds the shortest
paths, one parcel at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import shapely

#: the same documented constants as the model: metres to the nearest road a parcel or a
#: person is reached from, metres from a polygon to a road node that enters it, the grid
#: that spreads a polygon's people
MAX_SNAP = 500.0
ENTRANCE_GAP = 20.0
CELL = 100.0


@dataclass(frozen=True)
class RefGraph:
    """The road segments (shapely LineStrings), their end nodes and lengths in metres."""

    segments: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    n_nodes: int
    node_xy: np.ndarray   # (n_nodes, 2), the first end seen at each node

    def matrix(self, weight: str = "length"):
        """The graph as a symmetric scipy CSR matrix of metres (networkx's export of
        :func:`road_nx`: the shortest of parallel segments kept)."""
        if weight != "length":
            raise ValueError("the reference graph has lengths only")
        return nx.to_scipy_sparse_array(road_nx(self), nodelist=range(self.n_nodes),
                                        weight="weight", format="csr")


def ref_graph(roads) -> RefGraph:
    """Every part of every road line is a segment (a zero-length part is dropped); two
    ends within the same centimetre (coordinates rounded to 0.01 m) are one node."""
    parts = [part for geom in roads.geometry for part in
             (getattr(geom, "geoms", None) or [geom]) if part is not None and part.length > 0]
    node_of: dict[tuple[int, int], int] = {}
    xy: list[tuple[float, float]] = []
    u, v = [], []
    for line in parts:
        for x, y in (line.coords[0], line.coords[-1]):
            key = (round(x * 100), round(y * 100))
            if key not in node_of:
                node_of[key] = len(xy)
                xy.append((x, y))
        u.append(node_of[(round(line.coords[0][0] * 100), round(line.coords[0][1] * 100))])
        v.append(node_of[(round(line.coords[-1][0] * 100),
                          round(line.coords[-1][1] * 100))])
    return RefGraph(np.array(parts, dtype=object), np.array(u, dtype=np.int64),
                    np.array(v, dtype=np.int64), np.array([p.length for p in parts]),
                    len(xy), np.array(xy, dtype=float).reshape(-1, 2))


def ref_snap(g: RefGraph, geoms: np.ndarray, max_snap: float = MAX_SNAP):
    """``(segment, along, gap)`` of each geometry: its nearest segment within ``max_snap``
    (shapely's STRtree.query_nearest; -1 when none), metres from that segment's start to
    the nearest point on it, and metres from the geometry to it."""
    geoms = np.asarray(geoms, dtype=object)
    seg = np.full(len(geoms), -1, dtype=np.int64)
    along = np.full(len(geoms), np.nan)
    gap = np.full(len(geoms), np.nan)
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(ok) == 0 or len(g.segments) == 0:
        return seg, along, gap
    (i, j), dist = shapely.STRtree(g.segments).query_nearest(
        geoms[ok], max_distance=max_snap, return_distance=True, all_matches=False)
    rows = ok[i]
    seg[rows], gap[rows] = j, dist
    for r, s in zip(rows, j, strict=True):
        on_road = shapely.get_point(shapely.shortest_line(geoms[r], g.segments[s]), -1)
        along[r] = g.segments[s].project(on_road)
    return seg, along, gap


def ref_demand_points(layers, cell: float = CELL):
    """Where people live as ``(points, people)``: a point layer as it is (a multipoint's
    people shared by its points); each polygon's people shared by the centres of a
    ``cell``-metre grid over all polygons' extent that lie inside it (a centre on a
    shared edge goes to the first polygon), or put on its representative point when no
    centre lies inside; a raster's cells with people at their centres."""
    pop = layers["population"]
    if not hasattr(pop, "geometry"):
        return _raster_points(pop, layers.crs)
    values = pd.to_numeric(pop["population"], errors="coerce").fillna(0.0).to_numpy(float)
    pts, w = [], []
    for geom, value in zip(pop.geometry, values, strict=True):
        if geom is not None and geom.geom_type in ("Point", "MultiPoint"):
            parts = list(getattr(geom, "geoms", [geom]))
            pts += parts
            w += [value / max(len(parts), 1)] * len(parts)
    polys = [(geom, value) for geom, value in zip(pop.geometry, values, strict=True)
             if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon")]
    if polys:
        xmin, ymin, xmax, ymax = shapely.total_bounds([p for p, _ in polys])
        gx, gy = np.meshgrid(np.arange(xmin + cell / 2, xmax, cell),
                             np.arange(ymin + cell / 2, ymax, cell))
        gx, gy = gx.ravel(), gy.ravel()
        taken = np.zeros(len(gx), bool)
        inside = []
        for poly, _ in polys:
            hit = shapely.contains_xy(poly, gx, gy) & ~taken
            taken |= hit
            inside.append(np.flatnonzero(hit))
        for (_, value), idx in zip(polys, inside, strict=True):
            # in the grid's order, as the centres are numbered
            pts += list(shapely.points(gx[idx], gy[idx]))
            w += [value / len(idx)] * len(idx)
        for (poly, value), idx in zip(polys, inside, strict=True):
            if len(idx) == 0:
                pts.append(poly.representative_point())
                w.append(value)
    return np.array(pts, dtype=object), np.array(w, dtype=float)


def _raster_points(raster, crs):
    import pyproj
    import rasterio

    with rasterio.open(raster.path) as src:
        data = np.ma.filled(src.read(1, masked=True).astype(float), np.nan)
        t = src.transform
    rows, cols = np.nonzero(np.nan_to_num(data) > 0)
    x = t.c + t.a * (cols + 0.5) + t.b * (rows + 0.5)
    y = t.f + t.d * (cols + 0.5) + t.e * (rows + 0.5)
    if not pyproj.CRS(raster.crs).equals(crs):
        x, y = pyproj.Transformer.from_crs(raster.crs, crs, always_xy=True).transform(x, y)
    return shapely.points(np.asarray(x), np.asarray(y)), data[rows, cols]


def snapped(layers, geoms: np.ndarray):
    """The reference road graph, the people snapped to it and the parcels snapped to it.

    Returns ``(graph, people, parcels)``: ``people`` is ``(segment, along, gap,
    count)`` for the people near a road, ``parcels`` is ``(segment, along,
    gap)`` (segment -1: no road near).
    """
    g = ref_graph(layers["roads"])
    pts, people = ref_demand_points(layers)
    d_seg, d_along, d_gap = ref_snap(g, pts)
    keep = d_seg >= 0
    return g, (d_seg[keep], d_along[keep], d_gap[keep], people[keep]), ref_snap(g, geoms)


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

    Every node is measured (no spatial index, on purpose): a point or a line has none.
    """
    if shapely.get_dimensions(geom) != 2:
        return {}
    d = shapely.distance(geom, shapely.points(g.node_xy))
    return {int(node): float(d[node]) for node in np.flatnonzero(d <= gap)}


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
    g = ref_graph(layers["roads"])
    p_seg, p_along, p_gap = ref_snap(g, geoms)
    t_seg, t_along, t_gap = ref_snap(g, targets)
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
