"""``--osm FILE.pbf``, ``--column LAYER:NAME=CANONICAL`` and ``--value COLUMN:FROM=TO``.

Layers of an OpenStreetMap extract, and the column and value mappings of
other sources (:func:`siteplan.load_layers`'s ``columns=`` and ``values=``),
for every command that reads layers.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["mapping_options", "load_mapped", "parse_columns", "parse_values"]


def mapping_options(p: argparse.ArgumentParser) -> None:
    """``--osm``, ``--column`` and ``--value``."""
    p.add_argument("--osm", metavar="FILE.osm.pbf",
                   help="read green spaces, roads, POIs, admin units, rivers, water, "
                   "coastline, heritage and rice fields from an OpenStreetMap extract "
                   "(.osm.pbf or .osm); layer files given beside it replace its layers")
    p.add_argument("--column", action="append", default=[], metavar="LAYER:NAME=CANONICAL",
                   help="read a column of another name as siteplan's, e.g. "
                   "--column parcels:ID=parcel_id; repeat as needed")
    p.add_argument("--value", action="append", default=[], metavar="COLUMN:FROM=TO",
                   help="read a value of another source as siteplan's, e.g. "
                   "--value ownership:municipal=pemda; repeat as needed")


def _split(item: str, option: str, example: str) -> tuple[str, str, str]:
    from .._errors import Problem, SiteplanInputError

    head, sep, to = item.partition("=")
    layer, colon, name = head.partition(":")
    if not (sep and colon and layer.strip() and name.strip() and to.strip()):
        raise SiteplanInputError(Problem(option, f"got {item!r}", f"write {example}"))
    return layer.strip(), name.strip(), to.strip()


def _nested(items: list[str], option: str, example: str) -> dict[str, dict[str, str]]:
    """``["A:B=C", ...]`` -> ``{"A": {"B": "C"}, ...}``."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        outer, name, to = _split(item, option, example)
        out.setdefault(outer, {})[name] = to
    return out


def parse_columns(items: list[str]) -> dict[str, dict[str, str]]:
    """``["parcels:ID=parcel_id"]`` -> ``{"parcels": {"ID": "parcel_id"}}``."""
    return _nested(items, "--column", "LAYER:NAME=CANONICAL (e.g. parcels:ID=parcel_id)")


def parse_values(items: list[str]) -> dict[str, dict[str, str]]:
    """``["ownership:municipal=pemda"]`` -> ``{"ownership": {"municipal": "pemda"}}``."""
    return _nested(items, "--value", "COLUMN:FROM=TO (e.g. ownership:municipal=pemda)")


def load_mapped(args, given: dict[str, Any], extra: dict[str, Any]):
    """The layers of the command line: files, or an OSM extract with files over it."""
    from ..layers.load import load_layers
    from ..layers.osm import layers_from_osm

    columns = parse_columns(getattr(args, "column", []) or [])
    values = parse_values(getattr(args, "value", []) or [])
    osm = getattr(args, "osm", None)
    if osm:
        parcels = given.pop("parcels", None)
        return layers_from_osm(osm, parcels=parcels, extra={**given, **extra},
                                  columns=columns or None, values=values or None)
    return load_layers(**given, extra=extra, columns=columns or None,
                          values=values or None)
