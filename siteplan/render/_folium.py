"""Small folium helpers shared by every map siteplan draws."""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

__all__ = ["layer_control_last", "new_map"]


class _FoldOnPhone(MacroElement):
    """On a narrow screen an open layer list folds into its icon (a tap opens it again).

    A child of the layer control, so its script follows the control's; it names
    only the control and the map (generated identifiers, no text from data).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        if (window.innerWidth < 600) {
            {{ this._parent.get_name() }}.collapse();
            {{ this._parent._parent.get_name() }}.on("click", function () {
                {{ this._parent.get_name() }}.collapse();
            });
        }
        {% endmacro %}
        """)


def layer_control_last(m, *, collapsed: bool = False) -> None:
    """Give the map one layer control, placed after every layer.

    folium writes a map's children in the order they were added; the layer
    control's script names the layers it switches, so it must come after them
    when a map is drawn on top of another (``render_selection(m=...)``). A new
    control is ``collapsed`` to an icon when something else (the weights
    panel) takes the top right; an open one folds on a phone-sized screen.
    """
    import folium

    controls = [(k, c) for k, c in m._children.items() if isinstance(c, folium.LayerControl)]
    if not controls:
        control = folium.LayerControl(position="topright", collapsed=collapsed).add_to(m)
        if not collapsed:
            control.add_child(_FoldOnPhone())
        return
    for key, child in controls:
        del m._children[key]
        m._children[key] = child


class _MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's own shows miles too)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)


def metric_scale(m) -> None:
    """Give a map a metric scale bar in its bottom left corner."""
    m.add_child(_MetricScale())


def new_map(location, zoom_start: int = 13, **kwargs):
    """A folium map on OpenStreetMap, its base layer named so in the layer list, with a
    metric scale bar.

    (folium names a base layer given by ``tiles="OpenStreetMap"`` in lower case.)
    """
    import folium

    kwargs.pop("control_scale", None)   # folium's scale shows miles too; ours is metric
    m = folium.Map(location=location, zoom_start=zoom_start, tiles=None, **kwargs)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    metric_scale(m)
    return m
