"""The layer bundle: named GeoDataFrames in one metric CRS."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from ..io.prepare import REJECT_COLUMNS, REPAIR_COLUMNS, concat_reports

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

__all__ = ["Layers", "CacheKey", "LayerCache"]

T = TypeVar("T")


@dataclass(frozen=True)
class CacheKey:
    """What a cached value is and what it is built from.

    ``kind`` names the value (``"tree"``, ``"road_graph"``, ...), ``layers``
    the layers it reads and ``params`` anything else it depends on (a filter,
    a radius). A value that reads the parcels belongs to one set of parcels;
    one that reads only context layers can be shared by every partition of
    the parcels (the dask engine relies on this).
    """

    kind: str
    layers: tuple[str, ...] = ()
    params: tuple = ()

    @property
    def on_parcels(self) -> bool:
        """True when the value depends on the parcels layer."""
        return "parcels" in self.layers


class LayerCache:
    """Values derived from a bundle's layers (search trees, road graph, population points).

    Context entries (built from context layers only) and parcel entries are
    kept apart: :meth:`for_partition` gives a cache that shares the context
    entries and keeps its own parcel entries.
    """

    __slots__ = ("_context", "_parcels", "_lock")

    def __init__(self, context: dict | None = None):
        self._context: dict[CacheKey, Any] = {} if context is None else context
        self._parcels: dict[CacheKey, Any] = {}
        self._lock = threading.RLock()

    def get(self, key: CacheKey, build: Callable[[], T]) -> T:
        """The cached value of ``key``, built with ``build()`` the first time."""
        if not isinstance(key, CacheKey):
            raise TypeError(f"cache keys are CacheKey objects, got {type(key).__name__}")
        store = self._parcels if key.on_parcels else self._context
        try:
            return store[key]
        except KeyError:
            pass
        value = build()
        with self._lock:
            return store.setdefault(key, value)

    def __contains__(self, key: CacheKey) -> bool:
        return key in (self._parcels if key.on_parcels else self._context)

    def keys(self) -> list[CacheKey]:
        """Every key held (context entries first)."""
        return [*self._context, *self._parcels]

    def for_partition(self) -> LayerCache:
        """A cache sharing this one's context entries, with parcel entries of its own."""
        return LayerCache(self._context)



class Layers(Mapping):
    """A small immutable bundle of named GeoDataFrames in one metric CRS.

    Build it with :func:`siteplan.load_layers` or :func:`siteplan.load_sample`;
    it is a read-only mapping from layer name to GeoDataFrame.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame, every one already in ``crs``.
    crs
        The metric CRS.
    repairs, rejected, rejected_parcels, sources, synthetic, attribution, fingerprints
        As the attributes below (:func:`siteplan.load_layers` fills them).

    Attributes
    ----------
    crs
        The metric CRS every layer is in.
    repairs
        One row per repair made while loading (layer, row, feature_id,
        problem, action): geometry made valid, area recomputed, ...
    rejected
        One row per feature that could not be used (layer, row, feature_id,
        reason), for example a parcel with an empty geometry. Rejected parcels
        keep their attributes in :attr:`rejected_parcels` so that scoring can
        report them.
    sources
        Where each layer came from (a path, or ``"GeoDataFrame"``).
    fingerprints
        Layer name -> ``{"sha256": ..., "date": ...}`` of the file it came
        from, where known when loading (an OpenStreetMap extract's hash and
        replication date, see :func:`siteplan.layers_from_osm`); the result's
        provenance carries them.
    synthetic
        True when the data is siteplan's synthetic sample.
    cache
        Values derived from the layers (search trees, the road graph, the
        population model), built once per bundle: see :class:`LayerCache`.
    token
        A random id of this bundle (a worker keeps its cache under it).

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> layers.crs.to_epsg()
    32748
    >>> "parcels" in layers
    True
    """

    __slots__ = ("_layers", "crs", "repairs", "rejected", "rejected_parcels", "sources",
                 "synthetic", "attribution", "fingerprints", "cache", "token", "_all_parcels")

    # the slots' types, for readers and type checkers (set once in __init__)
    _layers: Mapping[str, Any]
    crs: pyproj.CRS
    repairs: pd.DataFrame
    rejected: pd.DataFrame
    rejected_parcels: gpd.GeoDataFrame | None
    sources: Mapping[str, str]
    synthetic: bool
    attribution: str
    fingerprints: Mapping[str, Mapping[str, str | None]]
    cache: LayerCache
    token: str
    _all_parcels: gpd.GeoDataFrame | None

    def __init__(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        *,
        crs: pyproj.CRS,
        repairs: pd.DataFrame | None = None,
        rejected: pd.DataFrame | None = None,
        rejected_parcels: gpd.GeoDataFrame | None = None,
        sources: Mapping[str, str] | None = None,
        synthetic: bool = False,
        attribution: str = "",
        fingerprints: Mapping[str, Mapping[str, str | None]] | None = None,
    ):
        setattr_ = object.__setattr__
        setattr_(self, "_layers", MappingProxyType(dict(layers)))
        setattr_(self, "crs", crs)
        setattr_(self, "repairs", repairs if repairs is not None
                 else pd.DataFrame(columns=REPAIR_COLUMNS))
        setattr_(self, "rejected", rejected if rejected is not None
                 else pd.DataFrame(columns=REJECT_COLUMNS))
        setattr_(self, "rejected_parcels", rejected_parcels)
        setattr_(self, "sources", MappingProxyType(dict(sources or {})))
        setattr_(self, "synthetic", bool(synthetic))
        setattr_(self, "attribution", attribution)
        setattr_(self, "fingerprints", MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in (fingerprints or {}).items()}))
        setattr_(self, "cache", LayerCache())
        setattr_(self, "token", uuid.uuid4().hex)
        setattr_(self, "_all_parcels", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Layers is immutable: use .replace(...) to get a new bundle")

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        try:
            return self._layers[name]
        except KeyError:
            from .._errors import SiteplanInputError

            have = ", ".join(self._layers) or "none"
            raise SiteplanInputError(
                f"layer '{name}' is not in this bundle (it has: {have}). Fix: pass it to "
                f"sp.load_layers({name}=...) or, for other layers, extra={{'{name}': ...}}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._layers

    def get(self, name: str, default: Any = None) -> Any:
        """The layer ``name``, or ``default`` when the bundle has no such layer."""
        return self._layers.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __repr__(self) -> str:
        parts = [f"{k}: {len(v):,}" for k, v in self._layers.items()]
        tag = ", synthetic" if self.synthetic else ""
        return f"<Layers {self.crs.to_string()}{tag} | " + ", ".join(parts) + ">"

    def _repr_html_(self) -> str:
        from .._reprs import layers_html

        return layers_html(self)

    def features(self, name: str) -> Any:
        """The layer ``name`` as features a rule or a criterion reads.

        The same as ``self[name]``, except in a part of a bundle scored on its own
        (the dask engine's partitions, :meth:`as_part`): there the parcels read as
        features are every parcel of the whole bundle, not the part's.
        """
        if name == "parcels" and self._all_parcels is not None:
            return self._all_parcels
        return self[name]

    def as_part(self, cache: LayerCache, all_parcels: gpd.GeoDataFrame | None) -> Layers:
        """This bundle as a part of a larger one (the dask engine's partitions): over
        ``cache``, its parcels scored while rules and criteria reading the parcels layer as
        features read ``all_parcels``, every parcel of the whole bundle."""
        view = self.with_cache(cache)
        object.__setattr__(view, "_all_parcels", all_parcels)
        return view

    @property
    def names(self) -> tuple[str, ...]:
        """The layer names in this bundle."""
        return tuple(self._layers)

    def with_cache(self, cache: LayerCache) -> Layers:
        """The same bundle (its layers, sources, provenance and token) over ``cache``.

        For a caller that keeps derived values apart (the service gives each request
        a cache of its own over the shared one); what was measured on this bundle
        (keyed by its token) stays valid for the view.
        """
        view = object.__new__(Layers)
        for name in self.__slots__:
            object.__setattr__(view, name, getattr(self, name))
        object.__setattr__(view, "cache", cache)
        return view

    def replace(self, **layers: Any) -> Layers:
        """A new bundle with some layers replaced, added or removed (None).

        A GeoDataFrame, a vector file's path or a ``(path, layer name)`` pair is
        read, validated and reprojected like :func:`siteplan.load_layers` does;
        a raster file path (``.tif``, ...) or a raster layer is added as a
        raster layer, kept in its own CRS.

        Examples
        --------
        >>> import siteplan as sp
        >>> s = sp.load_sample()
        >>> smaller = s.replace(landcover=None, parcels=s["parcels"].head(10))
        >>> len(smaller["parcels"]), "landcover" in smaller
        (10, False)
        """
        from .._errors import SiteplanInputError, raise_if_problems
        from ..io.prepare import prepare_all
        from ..io.read import resolve_source
        from .raster import as_raster

        data = dict(self._layers)
        sources = dict(self.sources)
        prints = {k: v for k, v in self.fingerprints.items() if k not in layers}
        frames = {}
        problems: list = []
        for name, gdf in layers.items():
            try:
                if gdf is None:
                    data.pop(name, None)
                    sources.pop(name, None)
                elif (raster := as_raster(name, gdf)) is not None:
                    data[name], sources[name] = raster, raster.path
                else:
                    frames[name], sources[name] = resolve_source(name, gdf)
            except SiteplanInputError as exc:
                problems.extend(exc.problems)
        new, repairs, rejected, new_rejected = prepare_all(frames, crs=self.crs,
                                                           problems=problems)
        raise_if_problems(problems)
        data.update(new)
        rejected_parcels = new_rejected if "parcels" in new else self.rejected_parcels
        return Layers(
            data,
            crs=self.crs,
            repairs=concat_reports([self.repairs, *repairs], REPAIR_COLUMNS),
            rejected=concat_reports([self.rejected, *rejected], REJECT_COLUMNS),
            rejected_parcels=rejected_parcels,
            sources=sources,
            synthetic=self.synthetic,
            attribution=self.attribution,
            fingerprints=prints,
        )
