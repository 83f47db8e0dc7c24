"""Reading vector files for :func:`siteplan.load_layers`.

GeoPackage, Shapefile (also zipped), GeoJSON, GeoParquet and FlatGeobuf are
read with pyogrio (GDAL) or pyarrow; GDAL's warnings are logged and kept as
notes that the loader reports as repairs.
"""

from __future__ import annotations

import logging
import warnings
from os import PathLike
from pathlib import Path

import geopandas as gpd
import shapely

from .._errors import Problem, SiteplanInputError
from .validate import _listed

__all__ = ["read_layer"]

log = logging.getLogger("siteplan.load")


def read_layer(
    source: str | PathLike,
    *,
    layer: str | None = None,
    name: str = "layer",
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer from a file.

    GeoPackage (``layer=`` picks a layer), Shapefile (also inside a ``.zip``),
    GeoJSON, GeoParquet (``.parquet``) and FlatGeobuf are read with pyogrio
    or pyarrow.

    Parameters
    ----------
    source
        Path of the file.
    layer
        Layer inside a multi-layer file (GeoPackage). When the file holds
        several layers and none is named, a layer called ``name`` is used if
        there is one; otherwise the error lists the layers.
    name
        The siteplan layer this file is for, used in messages.
    encoding
        Text encoding of attributes, for a Shapefile without ``.cpg``
        (for example ``"cp1252"``).

    Returns
    -------
    geopandas.GeoDataFrame
        As stored: not validated or reprojected (see :func:`load_layers`).

    Examples
    --------
    >>> import siteplan as sp
    >>> from siteplan.layers.sample import sample_path
    >>> roads = sp.read_layer(sample_path(), layer="roads")
    >>> "road_class" in roads.columns
    True
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    path = Path(source)
    where = f"layer '{name}'"
    if not path.exists():
        raise SiteplanInputError(
            Problem(where, f"file '{path}' does not exist", "check the path and the spelling")
        )
    if path.is_file() and path.stat().st_size == 0:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' is empty (0 bytes)", "export the layer again")
        )
    suffix = path.suffix.lower()
    if suffix in {".pbf", ".osm", ".o5m"}:
        raise SiteplanInputError(Problem(
            where, f"file '{path}' is an OpenStreetMap extract, which holds roads, parks, "
            "markets and more at once, not one layer",
            f"read it with sp.layers_from_osm('{path}') (parcels=... bundles your parcels)",
            cli=f"give it with --osm {path} (and your parcels with --parcels FILE)"))
    if suffix in {".parquet", ".geoparquet"}:
        try:
            return gpd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for broken files
            raise SiteplanInputError(
                Problem(where, f"file '{path}' is not a readable GeoParquet file ({exc})",
                        "write it again with GeoDataFrame.to_parquet")
            ) from None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            available = [row[0] for row in pyogrio.list_layers(path)]
        _log_gdal(name, caught)
    except (DataSourceError, DataLayerError) as exc:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' cannot be read as a GIS layer ({_gdal(exc)})",
                    "check that the file is complete (a Shapefile needs its .shp, .shx and "
                    ".dbf) and is GeoPackage, Shapefile, GeoJSON, GeoParquet or FlatGeobuf")
        ) from None
    if layer is None and len(available) > 1:
        if name in available:
            layer = name
        else:
            raise SiteplanInputError(
                Problem(where, f"file '{path}' holds {len(available)} layers "
                        f"({_listed(available, 10)}) and none was chosen",
                        f"pass ('{path}', '<layer name>') to say which one",
                        cli=f"say which one: {_cli_option(name)}{path}:LAYER")
            )
    if layer is not None and layer not in available:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' has no layer '{layer}' (it has: "
                    f"{_listed(available, 10)})", "use one of the layer names listed")
        )
    kwargs = {"layer": layer} if layer is not None else {}
    if encoding:
        kwargs["encoding"] = encoding
    notes: list[str] = []
    # GDAL's Arrow path hands Shapefile text over undecoded; the row path recodes it
    arrow = suffix not in {".shp", ".dbf", ".zip"}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                gdf = pyogrio.read_dataframe(path, use_arrow=arrow, **kwargs)
            except shapely.errors.GEOSException as exc:
                # e.g. a GeoJSON ring that is not closed: read again, closing what can be
                gdf = pyogrio.read_dataframe(path, use_arrow=arrow, on_invalid="fix", **kwargs)
                notes.append(f"some geometries could not be read as stored ({exc}); "
                             "unclosed rings were closed, unreadable ones left empty")
        notes += _log_gdal(name, caught)
    except (DataSourceError, DataLayerError, UnicodeDecodeError) as exc:
        raise SiteplanInputError(
            Problem(where, f"file '{path}' cannot be read ({_gdal(exc)})",
                    "open it in QGIS to check it; for a Shapefile with accented names "
                    "pass its encoding (for example encoding='cp1252')")
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SiteplanInputError(
            Problem(where, f"file '{path}' holds a table without geometry (columns: "
                    f"{_listed(list(gdf.columns), 8)})",
                    "give the layer's geometry file too: a Shapefile needs its .shp, .shx "
                    "and .dbf side by side (also inside a .zip)"))
    gdf.attrs["siteplan_read_notes"] = notes
    return gdf


def resolve_source(name: str, source, encoding: str | None = None
                   ) -> tuple[gpd.GeoDataFrame, str]:
    """A layer given as a GeoDataFrame, a path or a ``(path, layer name)`` pair, and where
    it came from (``"GeoDataFrame"``, the path, or ``path:layer``)."""
    if isinstance(source, gpd.GeoDataFrame):
        return source, "GeoDataFrame"
    if isinstance(source, tuple) and len(source) == 2:
        path, layer = source
        return read_layer(path, layer=layer, name=name, encoding=encoding), f"{path}:{layer}"
    if isinstance(source, str | PathLike):
        return read_layer(source, name=name, encoding=encoding), str(source)
    raise SiteplanInputError(Problem(f"layer '{name}'", f"got a {type(source).__name__}",
                                     "pass a file path, a (path, layer name) pair or a "
                                     "GeoDataFrame"))


def _cli_option(name: str) -> str:
    """The command-line option that gives layer ``name``, ready for its value."""
    from .schema import LAYER_SCHEMAS

    return f"--{name.replace('_', '-')} " if name in LAYER_SCHEMAS else f"--layer {name}="


def _log_gdal(name: str, caught) -> list[str]:
    """Pass GDAL's warnings on to the log, and return them as notes."""
    notes = []
    for w in caught:
        text = str(w.message).strip()
        log.warning("layer '%s': GDAL: %s", name, text)
        notes.append(f"GDAL: {text}")
    return notes


def _gdal(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
