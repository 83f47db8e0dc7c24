"""Network measures along the roads layer: distance, travel time, catchment.

The roads layer becomes a graph once per :class:`~siteplan.Layers` bundle
(cached): every road segment is an edge between its two end points, so roads
must be split at junctions, as network exports are (nodes are matched to
0.01 m). Shortest paths use ``scipy.sparse.csgraph.dijkstra``: compiled, on a
CSR matrix, with a distance limit, and no Python object per node.

Parcels and features are snapped to their nearest road segment; the snap
length is part of the distance. A polygon (a parcel, a park) is also reached
where the network meets it: every road node inside it or within
:data:`ENTRANCE_GAP` metres of its boundary is an entrance, at the cost of
its straight distance to the polygon (0 inside). A parcel with no road within
``MAX_SNAP`` metres, or on a piece of the network cut off from every target,
gets NaN and a reason, never a silent zero.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError
from ..layers.bundle import CacheKey
from ..layers.features import select_features
from ..layers.population import demand_points
from ..limits import number_problem
from ..methods.transforms import saturation_distance
from ._catchment import people_by_entrances, people_by_segment

if TYPE_CHECKING:
    import geopandas as gpd
    from scipy import sparse

    from ..criterion import Criterion
    from ..layers.bundle import Layers

__all__ = ["RoadGraph", "road_graph", "snap", "entrances", "network_distance", "travel_time",
           "network_catchment", "MAX_SNAP", "ENTRANCE_GAP", "road_speeds", "travel_modes",
           "DEFAULT_MODE", "MAX_SPEED"]

MAX_SNAP = 500.0  # metres from a parcel to the road it is reached by
#: a road node this near a polygon's boundary (or inside it) is an entrance to the polygon:
#: half a local road's reserve and a pavement (judgement), so that a road running along a
#: park's edge or ending at its gate enters it, and one a block away does not
ENTRANCE_GAP = 20.0
_EPS = 1e-9


#: the mode of travel_time when a criterion names none (the speeds before modes existed)
DEFAULT_MODE = "car"
#: the highest ``speed = <km/h>`` a criterion may give
MAX_SPEED = 200.0


def _speed_rows() -> list[dict[str, str]]:
    text = (resources.files("siteplan") / "data" / "road_speeds.csv").read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def travel_modes() -> tuple[str, ...]:
    """The modes of ``siteplan/data/road_speeds.csv`` (walk, motorcycle, car, ...)."""
    return tuple(dict.fromkeys(r["mode"] for r in _speed_rows()))


def road_speeds(mode: str = DEFAULT_MODE) -> dict[str, float]:
    """Travel speed (km/h) per road class of one mode, from ``siteplan/data/road_speeds.csv``.

    Examples
    --------
    >>> road_speeds("walk")["arteri"], road_speeds()["arteri"]
    (4.8, 30.0)
    """
    rows = [r for r in _speed_rows() if r["mode"] == mode]
    if not rows:
        raise SiteplanInputError(Problem("travel_time", f"unknown mode {mode!r}",
                                         f"use one of: {', '.join(travel_modes())}, or give "
                                         "speed = <km/h>"))
    return {r["road_class"]: float(r["speed_kmh"]) for r in rows}


def _seconds(classes: np.ndarray | None, length: np.ndarray, mode: str = DEFAULT_MODE,
             speed: float | None = None) -> np.ndarray:
    """Seconds to travel each segment: at ``speed`` km/h, else at the mode's class speed
    (a class the table does not list goes at the mode's slowest)."""
    if speed is not None:
        return length / (float(speed) / 3.6)
    speeds = road_speeds(mode)
    slowest = min(speeds.values())
    kinds = pd.unique(classes)
    lookup = {c: speeds.get(c, slowest) for c in kinds}
    kmh = pd.Series(classes).map(lookup).to_numpy(dtype=float)
    return length / (kmh / 3.6)


@dataclass(frozen=True)
class RoadGraph:
    """The road network as arrays: segments, their end nodes and a CSR matrix per weight."""

    segments: np.ndarray  # LineStrings
    length: np.ndarray  # metres
    seconds: np.ndarray  # travel time in seconds at the default mode's class speed
    u: np.ndarray  # start node of each segment
    v: np.ndarray  # end node of each segment
    n_nodes: int
    component: np.ndarray  # connected piece of each node
    tree: shapely.STRtree
    road_class: np.ndarray | None = None  # of each segment

    def matrix(self, weight: str | np.ndarray) -> sparse.csr_matrix:
        """The graph weighted by ``"length"``, ``"seconds"`` or a cost per segment."""
        w = self.cost(weight)
        # parallel segments between the same nodes: keep the shortest
        a, b = np.minimum(self.u, self.v), np.maximum(self.u, self.v)
        frame = pd.DataFrame({"a": a, "b": b, "w": w + _EPS}).groupby(["a", "b"])["w"].min()
        a, b = frame.index.get_level_values(0), frame.index.get_level_values(1)
        w = frame.to_numpy()
        rows = np.concatenate([a, b])
        cols = np.concatenate([b, a])
        from scipy import sparse

        return sparse.csr_matrix((np.concatenate([w, w]), (rows, cols)),
                                 shape=(self.n_nodes, self.n_nodes))

    def cost(self, weight: str | np.ndarray) -> np.ndarray:
        """Cost of each segment: ``"length"`` (m), ``"seconds"``, or the array itself."""
        if isinstance(weight, np.ndarray):
            return weight
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
    start = shapely.get_coordinates(shapely.get_point(parts, 0))
    end = shapely.get_coordinates(shapely.get_point(parts, -1))
    ends = np.round(np.vstack([start, end]) * 100).astype(np.int64)
    _, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = len(parts)
    u, v = inverse[:n], inverse[n:]
    n_nodes = int(inverse.max()) + 1
    graph = RoadGraph(parts, length, _seconds(classes, length), u, v, n_nodes,
                      np.zeros(n_nodes, dtype=np.int64), shapely.STRtree(parts), classes)
    from scipy.sparse import csgraph

    _, comp = csgraph.connected_components(graph.matrix("length"), directed=False)
    return RoadGraph(parts, length, graph.seconds, u, v, n_nodes, comp, graph.tree, classes)


def node_points(graph: RoadGraph) -> np.ndarray:
    """Each node of the graph as a shapely Point (node ``i`` at index ``i``)."""
    xy = np.zeros((graph.n_nodes, 2))
    xy[graph.u] = shapely.get_coordinates(shapely.get_point(graph.segments, 0))
    xy[graph.v] = shapely.get_coordinates(shapely.get_point(graph.segments, -1))
    return shapely.points(xy)


def entrances(graph: RoadGraph, geoms: np.ndarray, *, gap: float = ENTRANCE_GAP,
              nodes: tuple[np.ndarray, shapely.STRtree] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The road nodes where the network meets each polygon: ``(row, node, metres)``.

    Every node inside a polygon (0 m) or within ``gap`` metres of its boundary
    (its straight distance); points and lines have none (they are reached
    by their snap alone). ``nodes``: the graph's :func:`node_points` and their
    tree, when made already (:func:`_nodes` keeps them per bundle).
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    ok = (shapely.get_dimensions(geoms) == 2) & ~shapely.is_empty(geoms)
    if not ok.any() or graph.n_nodes == 0:
        return empty
    rows = np.flatnonzero(ok)
    pts, tree = nodes if nodes is not None else _with_tree(node_points(graph))
    i, n = tree.query(geoms[rows], predicate="dwithin", distance=gap)
    d = shapely.distance(geoms[rows][i], pts[n])
    keep = d <= gap
    return rows[i[keep]], n[keep].astype(np.int64), d[keep]


def _with_tree(pts: np.ndarray) -> tuple[np.ndarray, shapely.STRtree]:
    return pts, shapely.STRtree(pts)


def _nodes(graph: RoadGraph, layers: Layers) -> tuple[np.ndarray, shapely.STRtree]:
    # the graph's nodes as points and their tree, made once per bundle (reading every
    # segment's ends was half the time of a road distance to a handful of sites)
    return layers.cache.get(CacheKey("road_nodes", ("roads",)),
                            lambda: _with_tree(node_points(graph)))


def _node_per_m(graph: RoadGraph, cost: np.ndarray) -> np.ndarray:
    """Cost per metre off the road at each node: that of its slowest road (the leg from an
    entrance node to its polygon is walked or driven at no more than that)."""
    per_m = cost / graph.length
    out = np.zeros(graph.n_nodes)
    np.maximum.at(out, graph.u, per_m)
    np.maximum.at(out, graph.v, per_m)
    return out


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
    from scipy.spatial import cKDTree

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

    # "layer" is among the network measures' needs (MEASURES)
    feats = select_features(layers, cast(str, crit.layer), crit.where, context=context)
    return np.asarray(feats.geometry.array, dtype=object)


def _from_targets(graph: RoadGraph, seg: np.ndarray, along: np.ndarray, gap: np.ndarray,
                  weight: str | np.ndarray, *, limit: float | None,
                  entry: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Cost from every node to the nearest target (targets given snapped, and the
    polygons' entrance nodes as ``(node, cost)``)."""
    ok = seg >= 0
    seg, along, gap = seg[ok], along[ok], gap[ok]
    cost = graph.cost(weight)
    per_m = cost[seg] / graph.length[seg]
    gap_cost = gap * per_m  # the snap leg at the road's own speed
    s = graph.n_nodes
    base = graph.matrix(weight)
    cols = np.concatenate([graph.u[seg], graph.v[seg]])
    vals = np.concatenate([gap_cost + along * per_m,
                           gap_cost + (graph.length[seg] - along) * per_m]) + _EPS
    if entry is not None and len(entry[0]):
        cols = np.concatenate([cols, entry[0]])
        vals = np.concatenate([vals, entry[1] + _EPS])
    # one edge per node, the cheapest (a sparse matrix would add duplicates up)
    best = pd.Series(vals).groupby(cols).min()
    cols, vals = best.index.to_numpy(dtype=np.int64), best.to_numpy()
    rows = np.full(len(cols), s)
    from scipy import sparse
    from scipy.sparse import csgraph

    extra = sparse.csr_matrix((vals, (rows, cols)), shape=(s + 1, s + 1))
    m = sparse.block_diag([base, sparse.csr_matrix((1, 1))], format="csr") + extra
    d = csgraph.dijkstra(m, directed=True, indices=s, limit=np.inf if limit is None
                         else limit)
    return d[:s]


def _network_cost(crit: Criterion, geoms: np.ndarray, layers: Layers, context: str,
                  weight: str | np.ndarray, limit: float | None
                  ) -> tuple[np.ndarray, np.ndarray]:
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
    nodes = _nodes(graph, layers)
    node_per_m = _node_per_m(graph, cost)
    _, t_node, t_metres = entrances(graph, tgeoms, nodes=nodes)
    out = np.full(len(geoms), np.nan)
    notes = np.full(len(geoms), "", dtype=object)
    ok = p_seg >= 0
    notes[~ok] = f"{crit.name}: unreachable, no road within {MAX_SNAP:g} m"
    if ok.any():
        dnode = _from_targets(graph, t_seg, t_along, t_gap, weight, limit=limit,
                              entry=(t_node, t_metres * node_per_m[t_node]))
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
        # a parcel's own entrance nodes: leave by any of them
        p_row, p_node, p_metres = entrances(graph, geoms, nodes=nodes)
        if len(p_row):
            via = dnode[p_node] + p_metres * node_per_m[p_node]
            least = pd.Series(via).groupby(p_row).min()
            rows = least.index.to_numpy(dtype=np.int64)
            out[rows] = np.fmin(out[rows], least.to_numpy())
        # cut off: none of the parcel's pieces of network holds a target
        held = np.unique(np.concatenate([graph.component[graph.u[t_seg[tk]]],
                                         graph.component[t_node]]))
        reach = np.zeros(len(geoms), bool)
        reach[np.flatnonzero(ok)] = np.isin(graph.component[graph.u[sg]], held)
        reach[p_row[np.isin(graph.component[p_node], held)]] = True
        cut = np.flatnonzero(ok & ~reach)
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
    """Minutes along roads to the nearest feature.

    At the criterion's ``speed`` (km/h on every road) when it gives one, else
    at the class speeds of its ``mode`` (``walk`` 4.8 km/h, ``motorcycle``,
    ``car``, the default: see ``siteplan/data/road_speeds.csv``).
    """
    limit = saturation_distance(crit.transform)
    mode = getattr(crit, "mode", None)
    speed = getattr(crit, "speed", None)
    weight: str | np.ndarray = "seconds"
    if speed is not None or (mode is not None and mode != DEFAULT_MODE):
        if speed is not None and not (0 < float(speed) <= MAX_SPEED):
            raise SiteplanInputError(Problem(context, f"speed {speed!r} km/h is out of range",
                                             f"give a speed above 0 and up to {MAX_SPEED:g}"))
        graph = road_graph(layers, context=context)
        weight = graph.cost("seconds") if graph.road_class is None and speed is None else \
            _seconds(graph.road_class, graph.length, mode or DEFAULT_MODE, speed)
    secs, notes = _network_cost(crit, geoms, layers, context, weight,
                                None if limit is None else limit * 60.0)
    return secs / 60.0, notes


def network_catchment(crit: Criterion, parcels: gpd.GeoDataFrame, geoms: np.ndarray,
                      layers: Layers, context: str) -> tuple[np.ndarray, np.ndarray]:
    """People living within ``radius`` metres along roads of each parcel.

    People come from the population layer as points (polygons are spread over
    a 100 m grid, see :func:`siteplan.layers.population.demand_points`), each snapped
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
                                d_gap, people, float(cast(float, crit.radius)))  # needed
    # parcels the network meets at nodes near or inside them: counted from every entrance
    e_row, e_node, e_metres = entrances(graph, geoms, nodes=_nodes(graph, layers))
    e_ok = ok[e_row]
    e_row, e_node, e_metres = e_row[e_ok], e_node[e_ok], e_metres[e_ok]
    if len(e_row):
        rows = np.unique(e_row)
        pos = np.searchsorted(rows, e_row)
        out[rows] = people_by_entrances(graph, p_seg[rows], p_along[rows], p_gap[rows], pos,
                                        e_node, e_metres, d_seg, d_along, d_gap, people,
                                        float(cast(float, crit.radius)))  # as above
    return out, notes


def check_travel_time(cr: Mapping[str, Any], where: str, problems: list[Problem]) -> None:
    """A travel_time criterion's ``mode`` or ``speed``, as a profile gives them."""
    if "mode" in cr and "speed" in cr:
        problems.append(Problem(where, "gives both mode and speed",
                                "give one: mode = \"walk\", or speed = 4.8 (km/h on every "
                                "road)"))
    modes = travel_modes()
    if "mode" in cr and cr["mode"] not in modes:
        problems.append(Problem(where, f"unknown mode {cr['mode']!r}",
                                f"use one of: {', '.join(modes)} (siteplan/data/road_speeds.csv)"
                                ", or speed = <km/h>"))
    if "speed" in cr:
        bad = number_problem(where, "speed", cr["speed"], strict_low=True, high=MAX_SPEED,
                             unit="km/h", example="4.8")
        if bad:
            problems.append(bad)
