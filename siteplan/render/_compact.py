"""Big merged shapes shipped compactly: integer coordinates decoded in the page.

The score map draws its best ``detail`` sites one by one and the rest merged,
one MultiPolygon per score class or exclusion reason. Those merged shapes
hold nearly every vertex of a 100,000-parcel map; written as GeoJSON text
(``[106.134721, -6.132435]`` per vertex) they made most of its 19 MB. Here
their coordinates travel the way the interactive map ships its sites
(:func:`siteplan.render.interactive.encode_polygons`: rounded to the map's
``precision``, delta- and varint-encoded, base64), in a
``<script type="application/json">`` (data, never run), and the page adds
them to their folium layer with the interactive map's own decoder
(``siteplanInteractive.features`` in ``static/interactive.js``).

The folium layer keeps every feature, the merged ones with a null geometry
(Leaflet skips those), so that folium still writes their styles, tooltips
and popups by feature id; the decoded shapes take the same ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from branca.element import MacroElement
from folium.template import Template

from .interactive import _script, encode_polygons, json_for_script

if TYPE_CHECKING:
    import folium

__all__ = ["hollow", "CompactShapes"]


def hollow(fc: dict[str, Any], first: int) -> dict[str, Any]:
    """The same collection with the geometry of features ``first`` onwards left out."""
    feats = fc["features"]
    # a loop over the merged features: one per score class or exclusion reason
    tail = [{**f, "geometry": None} for f in feats[first:]]
    return {**fc, "features": feats[:first] + tail}


class CompactShapes(MacroElement):
    """The shapes of some features of a GeoJson layer, encoded, added by the page.

    Parameters
    ----------
    layer
        The ``folium.GeoJson`` holding the features (their geometry null).
    geoms
        Polygons/MultiPolygons in EPSG:4326, rounded to ``precision`` decimals.
    ids
        The feature id of each shape in ``layer``.
    properties
        The properties of each feature (tooltip and popup text, already escaped).
    precision
        Decimals of the coordinates (the quantisation step is ``10**-precision``).
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
        <script>{{ this.script }}</script>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.data_id }}">{{ this.blob }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var data = JSON.parse(document.getElementById({{ this.data_id|tojson }}).textContent);
            var fc = siteplanInteractive.features(data.geom, data.ids.length);
            fc.features.forEach(function (f) {
                var i = f.id;
                f.id = data.ids[i];
                f.properties = data.props[i];
            });
            {{ this.layer.get_name() }}.addData(fc);
        })();
        {% endmacro %}
    """)

    def __init__(self, layer: folium.GeoJson, geoms: np.ndarray, ids, properties: list,
                 precision: int):
        super().__init__()
        self._name = "SiteplanCompactShapes"
        self.layer = layer
        self.data_id = f"siteplan-shapes-{layer.get_name()}"
        self.blob = json_for_script({"geom": encode_polygons(geoms, precision),
                                     "ids": [int(i) for i in ids], "props": properties})
        self.script = _script()
