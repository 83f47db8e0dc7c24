"""Small helpers every stage shares for data it writes: plain JSON values, file digests."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np

__all__ = ["plain", "fields", "file_sha256"]


def fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict (no deep copy: mapping proxies do not copy)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def plain(value: Any) -> Any:
    """A JSON-ready copy: mappings and dataclasses to dicts, tuples to lists, numpy scalars to
    Python numbers. A dataclass that is a mapping too (a profile's constraint) is written as
    the mapping it reads as."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(fields(value))
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def file_sha256(path: str | PathLike) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
