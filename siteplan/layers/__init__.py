"""The layers: the bundle every stage reads, and the ways a bundle is made.

- :class:`Layers` (``bundle.py``): the immutable bundle in one metric CRS,
  with its cache (:class:`LayerCache`, :class:`CacheKey`);
- ``load.py`` (``sp.load_layers``), ``sample.py`` (``sp.load_sample``) and
  ``osm.py`` (``sp.layers_from_osm``) make a bundle from files, from the
  embedded sample and from an OpenStreetMap extract, with ``siteplan.io``'s
  readers and checks;
- what stages ask of layers: ``features.py`` (features of a kind, search
  trees), ``raster.py`` (raster layers kept as rasters) and ``population.py``
  (the one population model behind every "people within r").
"""

from __future__ import annotations

from .bundle import CacheKey, LayerCache, Layers

__all__ = ["Layers", "LayerCache", "CacheKey"]
