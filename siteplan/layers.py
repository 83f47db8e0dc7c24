"""The layer bundle: named GeoDataFrames in one metric CRS."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

__all__ = ["Layers"]

_REPAIR_COLUMNS = ["layer", "row", "feature_id", "problem", "action"]
_REJECT_COLUMNS = ["layer", "row", "feature_id", "reason"]


class Layers(Mapping):
    """A small immutable bundle of named GeoDataFrames in one metric CRS.

    Build it with :func:`siteplan.load_layers` or :func:`siteplan.load_sample`;
    it is a read-only mapping from layer name to GeoDataFrame.

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
    synthetic
        True when the data is siteplan's synthetic sample.

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
                 "synthetic", "attribution", "_cache")

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
    ):
        setattr_ = object.__setattr__
        setattr_(self, "_layers", MappingProxyType(dict(layers)))
        setattr_(self, "crs", crs)
        setattr_(self, "repairs", repairs if repairs is not None
                 else pd.DataFrame(columns=_REPAIR_COLUMNS))
        setattr_(self, "rejected", rejected if rejected is not None
                 else pd.DataFrame(columns=_REJECT_COLUMNS))
        setattr_(self, "rejected_parcels", rejected_parcels)
        setattr_(self, "sources", MappingProxyType(dict(sources or {})))
        setattr_(self, "synthetic", bool(synthetic))
        setattr_(self, "attribution", attribution)
        setattr_(self, "_cache", {})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Layers is immutable: use .replace(...) to get a new bundle")

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        try:
            return self._layers[name]
        except KeyError:
            from ._errors import SiteplanInputError

            have = ", ".join(self._layers) or "none"
            raise SiteplanInputError(
                f"layer '{name}' is not in this bundle (it has: {have}). Fix: pass it to "
                f"sp.load_layers({name}=...) or, for other layers, extra={{'{name}': ...}}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._layers

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __repr__(self) -> str:
        parts = [f"{k}: {len(v):,}" for k, v in self._layers.items()]
        tag = ", synthetic" if self.synthetic else ""
        return f"<Layers {self.crs.to_string()}{tag} | " + ", ".join(parts) + ">"

    @property
    def names(self) -> tuple[str, ...]:
        """The layer names in this bundle."""
        return tuple(self._layers)

    def replace(self, **layers: gpd.GeoDataFrame | None) -> Layers:
        """A new bundle with some layers replaced, added (GeoDataFrame) or removed (None).

        New layers are validated and reprojected like :func:`siteplan.load_layers` does.
        """
        from .load import prepare_layer

        data = dict(self._layers)
        repairs = [self.repairs]
        rejected = [self.rejected]
        rejected_parcels = self.rejected_parcels
        sources = dict(self.sources)
        problems: list = []
        for name, gdf in layers.items():
            if gdf is None:
                data.pop(name, None)
                sources.pop(name, None)
                continue
            prepared = prepare_layer(name, gdf, crs=self.crs, problems=problems)
            if prepared is None:
                continue
            data[name] = prepared.data
            repairs.append(prepared.repairs)
            rejected.append(prepared.rejected)
            if name == "parcels":
                rejected_parcels = prepared.rejected_rows
            sources[name] = "GeoDataFrame"
        from ._errors import raise_if_problems

        raise_if_problems(problems)
        return Layers(
            data,
            crs=self.crs,
            repairs=_concat(repairs, _REPAIR_COLUMNS),
            rejected=_concat(rejected, _REJECT_COLUMNS),
            rejected_parcels=rejected_parcels,
            sources=sources,
            synthetic=self.synthetic,
            attribution=self.attribution,
        )


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)
