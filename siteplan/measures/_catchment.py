"""People within a road distance of many parcels, shared per road segment.

A parcel snapped to segment ``e = (u, v)`` at ``a`` metres from ``u``, ``g``
metres off the road, leaves the road network through ``u`` (cost ``g + a``)
or through ``v`` (cost ``g + L - a``). A person snapped to segment ``f`` at
``b`` metres from its start, ``h`` metres off the road, is reached from a
node ``x`` in ``D_x(q) = min(D(x, u_f) + b, D(x, v_f) + L_f - b) + h``. So a
person is within ``R`` of the parcel when

    D_u(q) <= R - g - a   or   D_v(q) <= R - g - (L - a)   (or, on e itself,
    g + |a - b| + h <= R, along the segment directly).

``D_x`` depends on the node only: one bounded Dijkstra per end node of a
segment that holds parcels (not one per parcel), each turned once into the
people it reaches and their distances. Every parcel of a segment is then
counted against the people of its two end nodes with array comparisons. The
same paths are compared with the same radius as a Dijkstra from each parcel,
so the people counted are the same (tests compare with that reference).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._progress import steps

if TYPE_CHECKING:
    from .network import RoadGraph

_EPS = 1e-9  # the same tiny cost the graph adds to its edges (see RoadGraph.matrix)
_CELLS = 4_000_000  # elements of one dense block (sources x nodes, parcels x people)


def _reach_per_node(graph: RoadGraph, sources: np.ndarray, d_seg: np.ndarray,
                    d_along: np.ndarray, d_gap: np.ndarray, radius: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People within ``radius`` of each source node: CSR ``(indptr, person, metres)``.

    Only the people on a segment with an end node the search reached are
    looked at: the nodes reached, joined to the people at each node.
    """
    from scipy.sparse import csgraph

    base = graph.matrix("length")
    du, dv = graph.u[d_seg], graph.v[d_seg]
    back = graph.length[d_seg] - d_along
    # the people at each node (a person sits at both ends of its segment)
    at = np.concatenate([du, dv])
    by_node = np.argsort(at, kind="stable")
    node_ptr = np.concatenate([[0], np.cumsum(np.bincount(at, minlength=graph.n_nodes))])
    n_people = len(d_seg)
    step = max(1, _CELLS // max(graph.n_nodes, 1))
    counts, people, metres = [], [], []
    for start in steps(range(0, len(sources), step), desc="road catchments",
                       unit="block"):  # bounded memory, not per parcel
        d = csgraph.dijkstra(base, directed=True, indices=sources[start:start + step],
                             limit=radius)
        rows, nodes = np.nonzero(np.isfinite(d))
        many = node_ptr[nodes + 1] - node_ptr[nodes]
        row = np.repeat(rows, many)
        first = np.repeat(node_ptr[nodes] - np.cumsum(many) + many, many)
        entry = by_node[first + np.arange(len(row))]
        q = entry % n_people
        # each person once: through its start node, or its end node when the
        # start node was not reached
        d_u = d[row, du[q]]
        once = (entry < n_people) | ~np.isfinite(d_u)
        row, q, d_u = row[once], q[once], d_u[once]
        reach = np.minimum(d_u + d_along[q], d[row, dv[q]] + back[q]) + d_gap[q]
        near = reach <= radius
        counts.append(np.bincount(row[near], minlength=len(d)))
        people.append(q[near])
        metres.append(reach[near])
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))]) if counts \
        else np.zeros(1, dtype=np.int64)
    return (indptr, np.concatenate(people) if people else np.empty(0, np.int64),
            np.concatenate(metres) if metres else np.empty(0))


def _union(qu: np.ndarray, qv: np.ndarray, own: np.ndarray, stamp: np.ndarray,
           slot: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """``qu`` then the new people of ``qv`` and ``own``; the place of each in that list."""
    stamp[qu] = k
    slot[qu] = np.arange(len(qu))
    new_v = qv[stamp[qv] != k]
    slot[new_v] = len(qu) + np.arange(len(new_v))
    stamp[new_v] = k
    new_o = own[stamp[own] != k]
    slot[new_o] = len(qu) + len(new_v) + np.arange(len(new_o))
    stamp[new_o] = k
    return (np.concatenate([qu, new_v, new_o]), np.arange(len(qu)), slot[qv], slot[own])


def people_by_segment(graph: RoadGraph, p_seg: np.ndarray, p_along: np.ndarray,
                  p_gap: np.ndarray, d_seg: np.ndarray, d_along: np.ndarray,
                  d_gap: np.ndarray, weight: np.ndarray, radius: float) -> np.ndarray:
    """Weighted people within ``radius`` metres along roads of each snapped parcel.

    All inputs are snapped (see :func:`siteplan.measures.network.snap`):
    parcels by ``p_*`` (every ``p_seg >= 0``), people by ``d_*`` with their
    ``weight``. Returns one sum per parcel.
    """
    out = np.zeros(len(p_seg))
    if len(p_seg) == 0 or len(d_seg) == 0:
        return out
    # parcels grouped by segment
    order = np.argsort(p_seg, kind="stable")
    segs, first, size = np.unique(p_seg[order], return_index=True, return_counts=True)
    sources, ends = np.unique(np.concatenate([graph.u[segs], graph.v[segs]]),
                              return_inverse=True)
    iu, iv = ends[:len(segs)], ends[len(segs):]
    indptr, person, metres = _reach_per_node(graph, sources, d_seg, d_along, d_gap, radius)
    # people on each segment, for the direct way along it
    d_order = np.argsort(d_seg, kind="stable")
    d_sorted = d_seg[d_order]
    lo = np.searchsorted(d_sorted, segs, side="left")
    hi = np.searchsorted(d_sorted, segs, side="right")
    length = graph.length[segs]
    whole = bool(np.all(weight == np.round(weight)) and np.abs(weight).sum() < 2.0 ** 52)
    inf = np.inf
    stamp = np.full(len(d_seg), -1, dtype=np.int64)  # the segment a person was last listed for
    slot = np.zeros(len(d_seg), dtype=np.int64)      # and its place in that list
    for k in range(len(segs)):  # one pass per road segment holding parcels
        rows = order[first[k]:first[k] + size[k]]
        qu = person[indptr[iu[k]]:indptr[iu[k] + 1]]
        qv = person[indptr[iv[k]]:indptr[iv[k] + 1]]
        own = d_order[lo[k]:hi[k]]
        if len(qu) == 0 and len(qv) == 0 and len(own) == 0:
            continue
        # the people of both ends (and of the segment itself), aligned
        if whole:  # any order: marks instead of a sort
            q, pos_u, pos_v, own_pos = _union(qu, qv, own, stamp, slot, k)
        else:      # in the people's order (see the sums below)
            q = np.unique(np.concatenate([qu, qv, own]))
            pos_u, pos_v = np.searchsorted(q, qu), np.searchsorted(q, qv)
            own_pos = np.searchsorted(q, own)
        at_u = np.full(len(q), inf)
        at_u[pos_u] = metres[indptr[iu[k]]:indptr[iu[k] + 1]]
        at_v = np.full(len(q), inf)
        at_v[pos_v] = metres[indptr[iv[k]]:indptr[iv[k] + 1]]
        w = weight[q]
        a, g = p_along[rows], p_gap[rows]
        t_u = radius - (g + a + _EPS)
        t_v = radius - (g + (length[k] - a) + _EPS)
        step = max(1, _CELLS // max(len(q), 1))
        for s in range(0, len(rows), step):  # bounded memory on a crowded segment
            sl = slice(s, s + step)
            ok = (at_u[None, :] <= t_u[sl, None]) | (at_v[None, :] <= t_v[sl, None])
            if len(own):
                direct = (g[sl, None] + np.abs(a[sl, None] - d_along[own][None, :])
                          + d_gap[own][None, :]) <= radius
                ok[:, own_pos] |= direct
            if whole:  # whole people: every order of summing gives the same sum
                out[rows[sl]] = ok @ w
            else:  # summed over those counted only, in the people's order, so
                # that parcels counting the same people get the very same sum
                i, j = np.nonzero(ok)
                out[rows[sl]] = np.bincount(i, weights=w[j], minlength=len(ok))
    return out


def people_by_entrances(graph: RoadGraph, p_seg: np.ndarray, p_along: np.ndarray,
                        p_gap: np.ndarray, e_row: np.ndarray, e_node: np.ndarray,
                        e_cost: np.ndarray, d_seg: np.ndarray, d_along: np.ndarray,
                        d_gap: np.ndarray, weight: np.ndarray, radius: float) -> np.ndarray:
    """Weighted people within ``radius`` of parcels that have entrance nodes.

    A parcel (snapped by ``p_*``, every ``p_seg >= 0``) is left through both
    ends of its snapped segment and through each of its entrance nodes
    (``e_row`` the parcel's position in ``p_*``, ``e_node``, ``e_cost`` the
    metres to it): a person counts once when reached through any of them, or
    along the parcel's own segment. Each person is looked up in the reach list
    of each way out (one bounded Dijkstra per distinct node, as
    :func:`people_by_segment`), and the (parcel, person) pairs are made unique;
    the weights are summed in the people's order.
    """
    n = len(p_seg)
    out = np.zeros(n)
    if n == 0 or len(d_seg) == 0:
        return out
    length = graph.length[p_seg]
    # every way out: (parcel, node, metres to the node)
    row = np.concatenate([np.arange(n), np.arange(n), e_row])
    node = np.concatenate([graph.u[p_seg], graph.v[p_seg], e_node])
    cost = np.concatenate([p_gap + p_along, p_gap + length - p_along, e_cost])
    sources, k = np.unique(node, return_inverse=True)
    indptr, person, metres = _reach_per_node(graph, sources, d_seg, d_along, d_gap, radius)
    order = np.argsort(row, kind="stable")
    row, k, cost = row[order], k[order], cost[order]
    many = indptr[k + 1] - indptr[k]
    # the people on each parcel's own segment, for the direct way along it
    d_order = np.argsort(d_seg, kind="stable")
    d_sorted = d_seg[d_order]
    lo = np.searchsorted(d_sorted, p_seg, side="left")
    hi = np.searchsorted(d_sorted, p_seg, side="right")
    n_people = len(d_seg)
    # parcels in blocks whose pairs stay within _CELLS (never one parcel at a time)
    per_row = np.bincount(row, weights=many, minlength=n) + (hi - lo)
    block = np.cumsum(per_row) // max(_CELLS, 1)
    for b in np.unique(block):
        rows_b = np.flatnonzero(block == b)
        sel = np.flatnonzero(np.isin(row, rows_b))
        rep = np.repeat(sel, many[sel])
        offset = np.arange(len(rep)) - np.repeat(np.cumsum(many[sel]) - many[sel], many[sel])
        at = indptr[k[rep]] + offset
        near = metres[at] <= radius - (cost[rep] + _EPS)
        pr, pq = row[rep][near], person[at][near]
        # along the parcel's own segment
        own_n = hi[rows_b] - lo[rows_b]
        orow = np.repeat(rows_b, own_n)
        opos = np.repeat(lo[rows_b] - np.cumsum(own_n) + own_n, own_n) + np.arange(own_n.sum())
        oq = d_order[opos]
        direct = (p_gap[orow] + np.abs(p_along[orow] - d_along[oq]) + d_gap[oq]) <= radius
        key = np.unique(np.concatenate([pr, orow[direct]]).astype(np.int64) * n_people
                        + np.concatenate([pq, oq[direct]]))
        r, q = key // n_people, key % n_people
        out += np.bincount(r, weights=weight[q], minlength=n)
    return out
