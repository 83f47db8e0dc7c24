"""The embedded synthetic sample for Kota Serang.

The sample is *synthetic*: no real parcel data for Kota Serang is public, so
siteplan generates one with its own seeded code (the generator `tools/samplegen.py`)
and ships the result as one GeoPackage. See ``data/README.md`` for what each
layer holds and which real facts it was built from.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from .bundle import Layers

__all__ = ["load_sample", "sample_path", "ATTRIBUTION"]

ATTRIBUTION = (
    "siteplan synthetic sample data for Kota Serang (not real parcels); "
    "kelurahan positions after cahyadsn/wilayah_boundaries (MIT)"
)
_FILE = "serang_sample.gpkg"
_CORE = ("parcels", "green_spaces", "roads", "pois", "admin")
_EXTRA = ("rivers", "coastline", "flood_zones", "sawah", "heritage")
#: the sample's rasters (beside the GeoPackage), by layer name
RASTER_FILES = {"population": "serang_population_100m.tif",
                "flood_hazard": "serang_flood_hazard_100m.tif",
                "dem": "serang_dem_30m.tif", "landcover": "serang_landcover_30m.tif"}


def sample_path() -> Path:
    """Where the sample GeoPackage is: inside the package (wheel) or in the repository.

    Raises
    ------
    FileNotFoundError
        When neither ``siteplan/_sample/serang_sample.gpkg`` nor
        ``data/sample/serang_sample.gpkg`` next to the package exists.
    """
    here = Path(__file__).resolve().parents[1]  # the siteplan package
    candidates = (here / "_sample" / _FILE, here.parent / "data" / "sample" / _FILE)
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"the siteplan sample GeoPackage is missing (looked in: {looked}). Fix: reinstall "
        "siteplan, or rebuild it with: python tools/samplegen.py "
        "data/sample/serang_sample.gpkg")


@functools.lru_cache(maxsize=1)
def load_sample() -> Layers:
    """Load the embedded synthetic sample of Kota Serang as a :class:`Layers` bundle.

    Every layer is SYNTHETIC (made by the generator `tools/samplegen.py` with seed
    20261127), in EPSG:32748: 6,000 ``parcels`` (a few hundred owned by the
    city, ``ownership == "pemda"``), ``green_spaces`` (RTH), ``roads`` split
    at intersections, ``pois``, ``admin`` (67 kelurahan drawn as Voronoi
    cells of their real centroids, 6 kecamatan, the kota), ``population`` (a
    100 m raster of people per cell, like WorldPop, 700,000 in all, each
    kelurahan's cells adding up to its total; the totals themselves are
    ``population_kelurahan``) and the extra layers ``rivers``, ``coastline``,
    ``flood_zones``, ``sawah``, ``heritage`` and three more rasters:
    ``flood_hazard`` (an InaRISK-like index 0-1, 100 m), ``dem`` (elevation in
    metres, 30 m) and ``landcover`` (ESA WorldCover classes, 30 m). The
    kelurahan names and codes, the city outline and six landmark positions are
    real; nothing else is.

    The file is read once and the bundle cached: every call returns the same
    (immutable) object. Do not modify its GeoDataFrames in place; copy them.

    Returns
    -------
    Layers
        Loaded and validated with :func:`siteplan.load_layers`, with
        ``synthetic=True`` and an :attr:`~Layers.attribution` to show on maps.

    Raises
    ------
    FileNotFoundError
        When the sample GeoPackage is not installed.

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> layers.synthetic
    True
    >>> layers.crs.to_epsg()
    32748
    >>> len(layers["parcels"])
    6000
    >>> int(layers["population_kelurahan"]["population"].sum())
    700000
    >>> layers["population"]
    <RasterLayer population: 211 x 226 cells of 100 x 100, EPSG:32748, serang_population_100m.tif>
    >>> layers.names[:6]
    ('parcels', 'green_spaces', 'roads', 'pois', 'admin', 'population')
    >>> layers.names[6:11]
    ('rivers', 'coastline', 'flood_zones', 'sawah', 'heritage')
    >>> layers.names[11:]
    ('population_kelurahan', 'flood_hazard', 'dem', 'landcover')
    >>> sorted(layers["admin"]["level"].unique())
    ['kecamatan', 'kelurahan', 'kota']
    """
    from .load import load_layers

    path = sample_path()
    rasters = {name: str(path.parent / file) for name, file in RASTER_FILES.items()}
    core: dict[str, Any] = {name: (path, name) for name in _CORE}  # keyword arguments
    loaded = load_layers(**core,
                         population=rasters.pop("population"),
                         extra={**{name: (path, name) for name in _EXTRA},
                                "population_kelurahan": (path, "population"), **rasters})
    sources = {name: f"siteplan synthetic sample ({path.name}, layer '{name}')"
               for name in loaded}
    return Layers(dict(loaded), crs=loaded.crs, repairs=loaded.repairs,
                  rejected=loaded.rejected, rejected_parcels=loaded.rejected_parcels,
                  sources=sources, synthetic=True, attribution=ATTRIBUTION)
