"""Writing results to files and reading them back with their record.

``formats.py`` holds :data:`FORMATS` (GeoPackage, GeoJSON, GeoParquet, CSV),
one entry per file extension.
"""

from __future__ import annotations

from .formats import (
    FORMATS,
    OutputFormat,
    atomic_path,
    provenance,
    qgis_style_qml,
    read_result,
    write_geopackage,
    write_result,
)

__all__ = ["write_result", "write_geopackage", "read_result", "provenance", "FORMATS",
           "OutputFormat", "atomic_path", "qgis_style_qml"]
