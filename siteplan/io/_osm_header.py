"""Provenance of an OpenStreetMap extract: its sha256 and the date of its data.

The date is the header's replication timestamp (``osmosis_replication_timestamp``
of a ``.osm.pbf``, ``<osm timestamp=...>`` or Overpass's ``<meta osm_base=...>``
of a ``.osm``), else the newest ``osm_timestamp`` of the features read.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import cast

import pandas as pd

from .._data import file_sha256

__all__ = ["osm_fingerprint"]


def _varint(b: bytes, i: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        c = b[i]
        i += 1
        out |= (c & 0x7F) << shift
        if c < 0x80:
            return out, i
        shift += 7


def _protobuf(b: bytes) -> dict[int, int | bytes]:
    """The fields of one protobuf message (last value of each field number)."""
    out: dict[int, int | bytes] = {}
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, i = _varint(b, i)
        elif wire == 2:
            n, i = _varint(b, i)
            value, i = b[i:i + n], i + n
        elif wire == 1:
            value, i = b[i:i + 8], i + 8
        elif wire == 5:
            value, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"protobuf wire type {wire}")
        out[number] = value
    return out


def _pbf_replication_time(path: Path) -> datetime | None:
    """``osmosis_replication_timestamp`` of a .osm.pbf's header block, when it has one.

    The file opens with a BlobHeader (type ``OSMHeader``) and its Blob (raw
    or zlib); the HeaderBlock's field 32 is the timestamp in seconds since
    1970 (OSM PBF format, wiki.openstreetmap.org/wiki/PBF_Format).
    """
    try:
        with open(path, "rb") as fh:
            size = struct.unpack(">I", fh.read(4))[0]
            if size > 64 * 1024:
                return None
            head = _protobuf(fh.read(size))
            if head.get(1) != b"OSMHeader" or not isinstance(head.get(3), int) \
                    or cast(int, head[3]) > 32 * 1024 * 1024:  # an int: checked just before
                return None
            blob = _protobuf(fh.read(cast(int, head[3])))
        # the Blob's zlib_data (field 3) is length-delimited: bytes in a well-formed file
        data = zlib.decompress(cast(bytes, blob[3])) if 3 in blob else blob.get(1)
        seconds = _protobuf(data).get(32) if isinstance(data, bytes) else None
    except (OSError, ValueError, IndexError, struct.error, zlib.error):
        return None
    if not isinstance(seconds, int) or not seconds:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def _xml_replication_time(path: Path) -> datetime | None:
    """``<osm timestamp=...>`` or Overpass's ``<meta osm_base=...>`` of a .osm file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return None
    m = re.search(r"<osm\b[^>]*\btimestamp=\"([^\"]+)\"", head) or re.search(
        r"<meta\b[^>]*\bosm_base=\"([^\"]+)\"", head)
    if not m:
        return None
    try:
        when = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def osm_fingerprint(path: str | PathLike, frames: Mapping | None = None) -> dict[str, str]:
    """The extract's sha256 and date: its replication timestamp, else its newest object's.

    Parameters
    ----------
    path
        The ``.osm.pbf`` or ``.osm`` file.
    frames
        Its driver layers (:func:`osm_frames`), to date it by the newest
        ``osm_timestamp`` of the features read when the header has no
        replication timestamp.

    Returns
    -------
    dict
        ``sha256``, ``date`` (ISO 8601, UTC; empty when the file says
        nothing) and ``date_from`` (``replication_timestamp``,
        ``newest_object`` or ``unknown``).

    Examples
    --------
    >>> from pathlib import Path
    >>> import pyrosm
    >>> pbf = Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"
    >>> from siteplan.layers.osm import osm_frames
    >>> fp = osm_fingerprint(pbf, osm_frames(pbf))
    >>> fp["date"], fp["date_from"], len(fp["sha256"])
    ('2019-02-23T13:23:35+00:00', 'newest_object', 64)
    """
    path = Path(path)
    name = path.name.lower()
    when = _xml_replication_time(path) if name.endswith(".osm") else _pbf_replication_time(path)
    source = "replication_timestamp"
    if when is None and frames:
        stamps = [pd.to_datetime(f["osm_timestamp"], utc=True, errors="coerce").max()
                  for k, f in frames.items() if not k.startswith("_")
                  and "osm_timestamp" in getattr(f, "columns", ())]
        stamps = [t for t in stamps if pd.notna(t)]
        if stamps:
            when, source = max(stamps).to_pydatetime(), "newest_object"
    if when is None:
        source = "unknown"
    text = when.astimezone(UTC).isoformat(timespec="seconds") if when is not None else ""
    return {"sha256": file_sha256(path), "date": text, "date_from": source}
