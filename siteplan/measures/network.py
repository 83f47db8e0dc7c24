"""Network measures along the roads layer: distance, travel time, catchment.

The roads layer becomes a graph once per :class:`~siteplan.Layers` bundle
(cached): every road segment is an edge between its two end points, so roads
must be split at junctions, as network exports are (nodes are matched to
0.01 m). Shortest paths use ``scipy.sparse.csgraph.dijkstra``: compiled, on a
CSR matrix, with a distance limit, and no Python object per node.

Parcels and features are snapped to their nearest road segment; the snap
length is part of the distance. A parcel with no road within ``MAX_SNAP``
metres, or on a piece of the network cut off from every target, gets NaN and
a reason, never a silent zero.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .._errors import Problem, SiteplanInputError
from ..features import select_features
from ..layers import CacheKey
from ..population import demand_points
from ..transforms import saturation_distance
from ._catchment import people_by_segment

if TYPE_CHECKING:
    import geopandas as gpd

    from ..criterion import Criterion
    from ..layers import Layers

__all__ = ["RoadGraph", "road_graph", "snap", "network_distance", "travel_time",
           "network_catchment", "MAX_SNAP", "road_speeds"]

MAX_SNAP = 500.0  # metres from a parcel to the road it is reached by
_EPS = 1e-9


def road_speeds() -> dict[str, float]:
    """Travel speed (km/h) per road class, from ``siteplan/data/road_speeds.csv``."""
    text = (resources.files("siteplan") / "data" / "road_speeds.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["road_class"]: float(r["speed_kmh"]) for r in rows}


@dataclass(frozen=True)
class RoadGraph:
    """The road network as arrays: segments, their end nodes and a CSR matrix per weight."""

    segments: np.ndarray  # LineStrings
    length: np.ndarray  # metres
    seconds: np.ndarray  # travel time in seconds at the class speed
    u: np.ndarray  # start node of each segment
    v: np.ndarray  # end node of each segment
    n_nodes: int
    component: np.ndarray  # connected piece of each node
    tree: shapely.STRtree

    def matrix(self, weight: str) -> sparse.csr_matrix:
        w = self.length if weight == "length" else self.seconds
        # parallel segments between the same nodes: keep the shortest
        a, b = np.minimum(self.u, self.v), np.maximum(self.u, self.v)
        frame = pd.DataFrame({"a": a, "b": b, "w": w + _EPS}).groupby(["a", "b"])["w"].min()
        a, b = frame.index.get_level_values(0), frame.index.get_level_values(1)
        w = frame.to_numpy()
        rows = np.concatenate([a, b])
        cols = np.concatenate([b, a])
        return sparse.csr_matrix((np.concatenate([w, w]), (rows, cols)),
                                 shape=(self.n_nodes, self.n_nodes))

    def cost(self, weight: str) -> np.ndarray:
        return self.length if weight == "length" else self.seconds


def road_graph(layers: Layers, *, context: str = "network") -> RoadGraph:
    """The graph of ``layers["roads"]``, built once per bundle."""
    return layers.cache.get(CacheKey("road_graph", ("roads",)),
                            lambda: _build_road_graph(layers, context))


def _build_road_graph(layers: Layers, context: str) -> RoadGraph:
    if "roads" not in layers:
        raise SiteplanInputError(Problem(context, "needs the 'roads' layer for distances "
                                         "along roads", "pass roads=... to sp.load_layers, "
                                         "or give the criterion fallback = \"distance\""))
    roads = layers["roads"]
    parts, idx = shapely.get_parts(np.asarray(roads.geometry.array, dtype=object),
                                   return_index=True)
    length = shapely.length(parts)
    keep = length > 0
    parts, idx, length = parts[keep], idx[keep], length[keep]
    classes = roads["road_class"].to_numpy(dtype=object)[idx]
    speeds = road_speeds()
    slowest = min(speeds.values())
    kmh = np.array([speeds.get(c, slowest) for c in pd.unique(classes)])
    lookup = dict(zip(pd.unique(classes), kmh, strict=True))
    speed = pd.Series(classes).map(lookup).to_numpy(dtype=float)
    start = shapely.get_coordinates(shapely.get_point(parts, 0))
    end = shapely.get_coordinates(shapely.get_point(parts, -1))
    ends = np.round(np.vstack([start, end]) * 100).astype(np.int64)
    _, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = len(parts)
    u, v = inverse[:n], inverse[n:]
    n_nodes = int(inverse.max()) + 1
    graph = RoadGraph(parts, length, length / (speed / 3.6), u, v, n_nodes,
                      np.zeros(n_nodes, dtype=np.int64), shapely.STRtree(parts))
    _, comp = csgraph.connected_components(graph.matrix("length"), directed=False)
    return RoadGraph(parts, length, graph.seconds, u, v, n_nodes, comp, graph.tree)


def snap(graph: RoadGraph, geoms: np.ndarray, *, max_snap: float = MAX_SNAP
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest road segment of each geometry, the position along it and the snap length.

    Returns ``(segment, along, gap)``: segment index (-1 when no road lies
    within ``max_snap``), metres from the segment's start to the snapped
    point, and metres from the geometry to the road.
    """
    seg = np.full(len(geoms), -1, dtype=np.int64)
    along = np.full(len(geoms), np.nan)
    gap = np.full(len(geoms), np.nan)
    if len(geoms) == 0:
        return seg, along, gap
    i_in, i_seg, dist = _nearest_segment(graph, geoms, max_snap)
    near = dist <= max_snap
    i_in, i_seg, dist = i_in[near], i_seg[near], dist[near]
    seg[i_in] = i_seg
    gap[i_in] = dist
    link = shapely.shortest_line(geoms[i_in], graph.segments[i_seg])
    on_road = shapely.get_point(link, -1)
    along[i_in] = shapely.line_locate_point(graph.segments[i_seg], on_road)
    return seg, along, gap


_CANDIDATES = 16  # nearest segment midpoints looked at per geometry before falling back


def _nearest_segment(graph: RoadGraph, geoms: np.ndarray, max_snap: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nearest segment of each (non-empty) geometry and its exact distance.

    Candidates are the segments whose midpoints a KD-tree finds near the
    geometry's box centre; a segment can only be nearer than the distance
    ``U`` to the nearest-midpoint segment if its midpoint lies within
    ``U`` + both half-diagonals of the centre, and its box within ``U`` of the
    geometry's box. The exact distance (GEOS) decides among those left, the
    lowest segment index among equals; geometries with more candidates than
    looked at go to ``STRtree.query_nearest``.
    """
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    rows = np.flatnonzero(ok)
    if len(rows) == 0 or len(graph.segments) == 0:
        return rows, np.zeros(0, dtype=np.int64), np.zeros(0)
    g = geoms[rows]
    sb = shapely.bounds(graph.segments)
    pb = shapely.bounds(g)
    mid = (sb[:, :2] + sb[:, 2:]) / 2
    half = np.hypot(sb[:, 2] - sb[:, 0], sb[:, 3] - sb[:, 1]) / 2
    centre = (pb[:, :2] + pb[:, 2:]) / 2
    reach = np.hypot(pb[:, 2] - pb[:, 0], pb[:, 3] - pb[:, 1]) / 2 + half.max()
    k = min(_CANDIDATES, len(mid))
    tree = cKDTree(mid)
    d_mid, cand = tree.query(centre, k=k, workers=-1)
    d_mid, cand = d_mid.reshape(len(g), k), cand.reshape(len(g), k)
    upper = shapely.distance(g, graph.segments[cand[:, 0]])
    near = d_mid <= (upper + reach + 1e-6 * (1.0 + upper))[:, None]
    crowded = near[:, -1] if k < len(mid) else np.zeros(len(g), bool)
    i, j = np.nonzero(near & ~crowded[:, None])
    s = cand[i, j]
    dx = np.maximum(0.0, np.maximum(sb[s, 0] - pb[i, 2], pb[i, 0] - sb[s, 2]))
    dy = np.maximum(0.0, np.maximum(sb[s, 1] - pb[i, 3], pb[i, 1] - sb[s, 3]))
    # a box distance is a lower bound; the slack covers its rounding
    keep = (j == 0) | (np.hypot(dx, dy) <= upper[i] + 1e-6 * (1.0 + upper[i]))
    i, j, s = i[keep], j[keep], s[keep]
    d = upper[i]  # known for the nearest midpoint's segment
    other = j > 0
    d[other] = shapely.distance(g[i[other]], graph.segments[s[other]])
    order = np.lexsort((d, i))
    start = np.r_[True, i[order][1:] != i[order][:-1]][:len(order)]
    first = order[start]
    # equally near segments (within rounding): GEOS's own choice, as before
    best = np.repeat(d[first], np.diff(np.r_[np.flatnonzero(start), len(order)]))
    close = d[order] <= best + 1e-9 * (1.0 + best)
    tied = np.zeros(len(g), bool)
    tied[i[order][close & ~start]] = True
    first = first[~tied[i[first]]]
    out_i, out_s, out_d = [i[first]], [s[first]], [d[first]]
    again = np.flatnonzero(crowded | tied)
    if len(again):
        (ci, cs), cd = graph.tree.query_nearest(g[again], max_distance=max_snap,
                                                return_distance=True, all_matches=False)
        out_i.append(again[ci])
        out_s.append(cs)
        out_d.append(cd)
    return (rows[np.concatenate(out_i)], np.concatenate(out_s).astype(np.int64),
            np.concatenate(out_d))


def _targets(crit: Criterion, layers: Layers, context: str) -> np.ndarray:

    feats = select_features(layers, crit.layer, crit.where, context=context)
    return np.asarray(feats.geometry.array, dtype=object)


def _from_targets(graph: RoadGraph, seg: np.ndarray, along: np.ndarray, gap: np.ndarray,
                  weight: str, limit: float | None) -> np.ndarray:
    """Cost from every node to the nearest target (targets given snapped)."""
    ok = seg >= 0
    seg, along, gap = seg[ok], along[ok], gap[ok]
    cost = graph.cost(weight)
    per_m = cost[seg] / graph.length[seg]
    gap_cost = gap * per_m  # the snap leg at the road's own speed
    s = graph.n_nodes
    base = graph.matrix(weight)
    rows = np.full(2 * len(seg), s)
    cols = np.concatenate([graph.u[seg], graph.v[seg]])
    vals = np.concatenate([gap_cost + along * per_m,
                           gap_cost + (graph.length[seg] - along) * per_m]) + _EPS
    extra = sparse.csr_matrix((vals, (rows, cols)), shape=(s + 1, s + 1))
    m = sparse.block_diag([base, sparse.csr_matrix((1, 1))], format="csr") + extra
    d = csgraph.dijkstra(m, directed=True, indices=s, limit=np.inf if limit is None
                         else limit)
    return d[:s]


def _network_cost(crit: Criterion, geoms: np.ndarray, layers: Layers, context: str,
                  weight: str, limit: float | None) -> tuple[np.ndarray, np.ndarray]:
    tgeoms = _targets(crit, layers, context)
    if len(tgeoms) == 0:  # an empty layer: nothing there to reach
        return np.full(len(geoms), np.inf), np.full(len(geoms), "", dtype=object)
    graph = road_graph(layers, context=context)
    t_seg, t_along, t_gap = snap(graph, tgeoms)
    if (t_seg < 0).all():
        raise SiteplanInputError(Problem(context, f"no feature of layer '{crit.layer}' lies "
                                         f"within {MAX_SNAP:g} m of a road",
                                         "check the roads layer covers the same area"))
    p_seg, p_along, p_gap = snap(graph, geoms)
    cost = graph.cost(weight)
    out = np.full(len(geoms), np.nan)
    notes = np.full(len(geoms), "", dtype=object)
    ok = p_seg >= 0
    notes[~ok] = f"{crit.name}: unreachable, no road within {MAX_SNAP:g} m"
    if ok.any():
        dnode = _from_targets(graph, t_seg, t_along, t_gap, weight, limit)
        sg = p_seg[ok]
        per_m = cost[sg] / graph.length[sg]
        via_u = dnode[graph.u[sg]] + p_along[ok] * per_m
        via_v = dnode[graph.v[sg]] + (graph.length[sg] - p_along[ok]) * per_m
        best = np.minimum(via_u, via_v) + p_gap[ok] * per_m
        # a target on the same segment is reached along it directly
        tk = t_seg >= 0
        pairs = pd.DataFrame({"p": np.flatnonzero(ok), "seg": sg, "a": p_along[ok],
                              "g": p_gap[ok] * per_m}).merge(
            pd.DataFrame({"seg": t_seg[tk], "ta": t_along[tk],
                          "tg": t_gap[tk] * (cost[t_seg[tk]] / graph.length[t_seg[tk]])}),
            on="seg")
        if len(pairs):
            pm = cost[pairs["seg"].to_numpy()] / graph.length[pairs["seg"].to_numpy()]
            direct = pairs["g"] + (pairs["a"] - pairs["ta"]).abs() * pm + pairs["tg"]
            dmin = direct.groupby(pairs["p"]).min()
            pos = np.searchsorted(np.flatnonzero(ok), dmin.index.to_numpy())
            best[pos] = np.minimum(best[pos], dmin.to_numpy())
        out[ok] = best
        # cut off: the parcel's piece of network holds no target
        reachable = np.isin(graph.component[graph.u[sg]],
                            np.unique(graph.component[graph.u[t_seg[tk]]]))
        cut = np.flatnonzero(ok)[~reachable]
        out[cut] = np.nan
        notes[cut] = (f"{crit.name}: unreachable, its roads are cut off from every "
                      f"'{crit.layer}' feature")
    return out, notes


def network_distance(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                     layers: Layers, context: str
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Metres along roads from each parcel to the nearest (filtered) feature.

    Includes the snap legs from the parcel to its road and from the road to
    the feature. Beyond the transform's saturation distance the search stops
    and the value is +inf (suitability 0).
    """
    return _network_cost(crit, geoms, layers, context, "length",
                         saturation_distance(crit.transform))


def travel_time(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                layers: Layers, context: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """Minutes along roads to the nearest feature, at the class speeds of ``road_speeds``."""
    limit = saturation_distance(crit.transform)
    secs, notes = _network_cost(crit, geoms, layers, context, "seconds",
                                None if limit is None else limit * 60.0)
    return secs / 60.0, notes


def network_catchment(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                      layers: Layers, context: str) -> tuple[np.ndarray, np.ndarray]:
    """People living within ``radius`` metres along roads of each parcel.

    People come from the population layer as points (polygons are spread over
    a 100 m grid, see :func:`siteplan.population.demand_points`), each snapped
    to its nearest road; people with no road within ``MAX_SNAP`` are not
    counted. Parcels keep their exact place on their road segment; the
    shortest paths are searched once per end node of a segment holding
    parcels, not once per parcel (see :mod:`siteplan.measures._catchment`).
    """
    graph = road_graph(layers, context=context)
    if crit.layer != "population":
        raise SiteplanInputError(Problem(context, "network_catchment counts the "
                                         "'population' layer", "write layer = \"population\""))
    pts, people = demand_points(layers, context=context)
    d_seg, d_along, d_gap = snap(graph, pts)
    keep = d_seg >= 0
    d_seg, d_along, d_gap, people = d_seg[keep], d_along[keep], d_gap[keep], people[keep]
    p_seg, p_along, p_gap = snap(graph, geoms)
    out = np.full(len(geoms), np.nan)
    notes = np.full(len(geoms), "", dtype=object)
    notes[p_seg < 0] = f"{crit.name}: unreachable, no road within {MAX_SNAP:g} m"
    ok = p_seg >= 0
    out[ok] = people_by_segment(graph, p_seg[ok], p_along[ok], p_gap[ok], d_seg, d_along,
                                d_gap, people, float(crit.radius))
    return out, notes
