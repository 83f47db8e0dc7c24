"""Numbered pins spread where sites are close: the placement by hand, and on the maps."""

from __future__ import annotations

import re

import folium
import numpy as np
import pytest

import siteplan as sp
from siteplan.brief._staticmap import pin_places
from siteplan.render._labels import fit_zoom, spread_labels, web_pixels


def test_spread_labels_by_hand():
    # labels 24 x 30 with 2 px kept between them: a step is 26 across, 32 up.
    # 0 stays; 1 is far; 2 (10 px right of 0) moves straight up; 3 (5 px right of 0):
    # up is 2's place, up right still covers 2 (x 18..44 against -3..23), up left is free
    xy = [[0, 0], [100, 0], [10, 0], [5, 0]]
    assert spread_labels(xy, 24, 30).tolist() == [[0, 0], [0, 0], [0, -32], [-26, -32]]
    # sites far apart: nothing moves
    assert not spread_labels([[0, 0], [0, 40], [30, 0]], 24, 30).any()


def test_spread_labels_fits_every_screen_at_once():
    # the same two sites at two zooms: 40 px apart at the higher one (no overlap there),
    # 20 px at the lower one (they overlap): the second label moves so that it fits both
    alone = spread_labels([[0, 0], [40, 0]], 24, 30)
    assert not alone.any()
    both = spread_labels([[[0, 0], [40, 0]], [[0, 0], [20, 0]]], 24, 30)
    assert both.tolist() == [[0, 0], [0, -32]]


def test_fit_zoom_by_hand():
    # at zoom 0 a degree is 256/360 px (and about as much of latitude at the equator):
    # 0.2 degrees are 0.1422 px; 1366 / 0.1422 = 2^13.2, 768 / 0.1422 = 2^12.4: zoom 12
    assert fit_zoom([[-0.1, 0.0], [0.1, 0.2]], 1366, 768) == 12
    assert fit_zoom([[-0.1, 0.0], [0.1, 0.2]], 390, 844) == 11      # 390 / 0.1422 = 2^11.4
    px = web_pixels([0.0, 90.0], [0.0, 0.0], 1)
    assert px.tolist() == [[256.0, 256.0], [384.0, 256.0]]  # 512 px wide: 90° is 128 px


def test_brief_overview_moves_a_number_off_a_close_site():
    # a 720 m window on a 10 inch figure: 1 m is 1 point. Discs are sqrt(150) = 12.25 pt
    # across; the second site, 5 m east of the first, has its number moved up (north) by
    # a disc and the 2 pt gap, 14.25 m; the third, far away, stays
    xy = np.array([[100.0, 100.0], [105.0, 100.0], [500.0, 300.0]])
    at = pin_places(xy, (0.0, 0.0, 720.0, 360.0), (10.0, 5.0))
    assert at[0].tolist() == [100.0, 100.0] and at[2].tolist() == [500.0, 300.0]
    assert at[1] == pytest.approx([105.0, 100.0 + 150 ** 0.5 + 2.0])


def _pins(m):
    group = next(c for c in m._children.values() if isinstance(c, folium.FeatureGroup)
                 and c.layer_name.startswith("10 "))
    return [k.icon.options for k in group._children.values() if isinstance(k, folium.Marker)]


def test_score_map_pins_lead_back_to_their_sites(sample_layers):
    result = sp.score(sample_layers, "wisata_religi")
    pins = _pins(sp.render_map(result, sample_layers, top=10))
    assert len(pins) == 10
    moved = 0
    for opts in pins:
        w = opts["icon_size"][0]
        circle = re.search(r'<circle cx="(-?\d+)" cy="(-?\d+)"', opts["html"])
        if circle is None:          # on its site: the tip of the pin at the anchor
            assert opts["icon_anchor"] == (w // 2, 30) and "sp-moved" not in opts["html"]
        else:                       # moved: the line's dot is on the anchor, the site
            moved += 1
            assert (int(circle.group(1)), int(circle.group(2))) == opts["icon_anchor"]
            assert "sp-moved" in opts["html"]
            assert opts["popup_anchor"] == (w // 2 - opts["icon_anchor"][0],
                                            30 - opts["icon_anchor"][1] - 28)
    assert moved >= 1               # the sample's best religious-tourism sites are close
