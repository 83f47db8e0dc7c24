"""Numbered labels that stay readable where sites are close: a deterministic spread.

A numbered pin stands on its site. Where two sites are closer on the screen
than two pins are wide, the later pin (the lower rank) moves to the first of a
fixed list of places around its site where it overlaps no pin placed before it,
and a thin line leads back to the site. The places are tried ring by ring
(straight up, up right, up left, right, left, down right, down left, down; then
the same one step further), so the same sites always give the same picture.

The offsets are in screen units (pixels on a web map, points on a printed
map): a web map keeps them at every zoom (an icon's anchor is in pixels), so
the line from a moved pin still ends on its site. The screen positions are
those of the zoom the map opens at: :func:`fit_zoom` is the zoom Leaflet's
``fitBounds`` chooses for a viewport.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["spread_labels", "fit_zoom", "web_pixels"]

#: the directions tried around a site, in order (x right, y down)
_DIRECTIONS = np.array([(0, -1), (1, -1), (-1, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (0, 1)],
                       dtype=float)


def _boxes(anchor: np.ndarray, offsets: np.ndarray, w: float, h: float) -> np.ndarray:
    """(left, top, right, bottom) of labels whose bottom centre is at anchor + offset."""
    x = anchor[..., 0] + offsets[..., 0]
    y = anchor[..., 1] + offsets[..., 1]
    return np.stack([x - w / 2, y - h, x + w / 2, y], axis=-1)


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlapping area of each box of ``a`` (C, 4) with each of ``b`` (P, 4): (C, P)."""
    dx = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    dy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(dx, 0, None) * np.clip(dy, 0, None)


def spread_labels(xy, w: float, h: float, *, gap: float = 2.0, rings: int = 4) -> np.ndarray:
    """Where each label goes: its offset from its site, (0, 0) when it fits there.

    Parameters
    ----------
    xy
        The sites on the screen, one row each (x right, y down), in the order
        labels are placed: the best site first (it never moves). Several
        screens at once (shape ``(screens, sites, 2)``: the same map at two
        zooms) give one offset per site that fits on every screen.
    w, h
        A label's width and height; its bottom centre is on the site.
    gap
        Space kept between two labels.
    rings
        How many steps away from its site a label may move; a label with no
        free place within them stays where it overlaps least.

    Returns
    -------
    numpy.ndarray
        One ``(dx, dy)`` offset per site, in the units of ``xy``.

    Examples
    --------
    >>> spread_labels([[0, 0], [100, 0], [10, 0]], 24, 30).tolist()  # 10 px apart: one moves up
    [[0.0, 0.0], [0.0, 0.0], [0.0, -32.0]]
    """
    pts = np.asarray(xy, dtype=float)
    screens = pts.reshape(-1, pts.shape[-2] if pts.ndim > 1 else 1, 2) if pts.size else \
        np.zeros((1, 0, 2))
    n = screens.shape[1]
    step = np.array([w + gap, h + gap])
    cands = np.vstack([np.zeros((1, 2))] + [_DIRECTIONS * step * k for k in range(1, rings + 1)])
    out = np.zeros((n, 2))
    placed = [np.empty((0, 4)) for _ in screens]
    for i in range(n):                 # a label at a time: each sees the ones before it
        boxes = [_boxes(scr[i], cands, w + gap, h + gap) for scr in screens]
        cost = sum((_overlap(b, p).sum(axis=1) for b, p in zip(boxes, placed, strict=True)),
                   np.zeros(len(cands)))
        free = np.flatnonzero(cost <= 0)
        pick = int(free[0]) if len(free) else int(np.argmin(cost))
        out[i] = cands[pick]
        placed = [np.vstack([p, b[pick]]) for p, b in zip(placed, boxes, strict=True)]
    return out


def web_pixels(lon, lat, zoom: float) -> np.ndarray:
    """Web Mercator pixel coordinates (x right, y down) of degrees at a zoom (256 px tiles)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.clip(np.asarray(lat, dtype=float), -85.0511287798, 85.0511287798)
    scale = 256.0 * 2.0 ** zoom
    x = scale * (lon + 180.0) / 360.0
    s = np.sin(np.radians(lat))
    y = scale * (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi))
    return np.column_stack([x, y])


def fit_zoom(bounds, width: float, height: float, *, max_zoom: int = 18) -> int:
    """The zoom Leaflet's ``fitBounds`` (no padding, whole zoom levels) picks for a viewport.

    ``bounds`` is ``[[south, west], [north, east]]`` in degrees.

    Examples
    --------
    >>> fit_zoom([[-6.2, 106.1], [-6.0, 106.3]], 1366, 768)
    12
    """
    (s, w), (n, e) = bounds
    corners = web_pixels([w, e], [n, s], 0)
    bw, bh = np.abs(corners[1] - corners[0])
    if bw <= 0 and bh <= 0:
        return max_zoom
    scale = min(width / bw if bw > 0 else math.inf, height / bh if bh > 0 else math.inf)
    zoom = math.log2(scale)
    zoom = round(zoom * 100) / 100          # Leaflet: within 1 % of a level counts as it
    return int(min(max(math.floor(zoom), 0), max_zoom))
