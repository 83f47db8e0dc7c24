"""Small folium helpers shared by every map siteplan draws."""

from __future__ import annotations

__all__ = ["layer_control_last"]


def layer_control_last(m, *, collapsed: bool = False) -> None:
    """Give the map one layer control, placed after every layer.

    folium writes a map's children in the order they were added; the layer
    control's script names the layers it switches, so it must come after them
    when a map is drawn on top of another (``render_selection(m=...)``). A new
    control is ``collapsed`` to an icon when something else (the weights
    panel) takes the top right.
    """
    import folium

    controls = [(k, c) for k, c in m._children.items() if isinstance(c, folium.LayerControl)]
    if not controls:
        folium.LayerControl(position="topright", collapsed=collapsed).add_to(m)
        return
    for key, child in controls:
        del m._children[key]
        m._children[key] = child
