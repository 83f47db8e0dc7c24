"""Measured values kept between runs: changing weights or the method re-uses them.

Measuring (distances, catchments, zonal statistics) and checking constraints
are most of the time of :func:`siteplan.score`; weights, the aggregation
method and titles do not change them. Each measured criterion and each
constraint check is kept in one process-wide cache, keyed by

- the layer bundle it was measured on (its token: a bundle is immutable, and
  ``Layers.replace`` makes a new one),
- the exact parcels measured (their positions in the parcel layer), and
- the rule's definition without its weight, title and source,

bounded by the bytes it holds (least recently used entries go first). A hit
gives the very arrays a fresh run computes, so results are identical. It is
shared by ``sp.score``, ``sp.sensitivity``, the service and the command line
within one process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from .._data import plain

__all__ = ["measured", "clear", "stats", "MAX_BYTES"]

#: the most the cache holds, in bytes of arrays (about 30 criteria of 10^6 parcels)
MAX_BYTES = 256 * 2 ** 20

T = TypeVar("T")
_LOCK = threading.Lock()
_STORE: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
_STATS = {"hits": 0, "misses": 0, "bytes": 0}
_NOT_DEFINITION = {"weight", "title", "source"}


def definition(rule: Any) -> str:
    """A rule's definition as text: every field but its weight, title and source."""
    if isinstance(rule, list | tuple):
        return "[" + ",".join(definition(r) for r in rule) + "]"
    if isinstance(rule, Mapping):
        fields = dict(rule)
    else:
        fields = {name: getattr(rule, name) for name in rule.__dataclass_fields__}
    return json.dumps(plain({k: v for k, v in fields.items() if k not in _NOT_DEFINITION}),
                      sort_keys=True, default=str)


def rows_key(index_positions: np.ndarray) -> str:
    """The parcels measured, as a digest of their positions."""
    pos = np.ascontiguousarray(index_positions, dtype=np.int64)
    if len(pos) and pos[0] == 0 and pos[-1] == len(pos) - 1 and (np.diff(pos) == 1).all():
        return f"first:{len(pos)}"     # every row from the first: nothing to digest
    return hashlib.blake2b(pos.tobytes(), digest_size=16).hexdigest() + f":{len(pos)}"


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes + (8 * value.size if value.dtype == object else 0)
    if isinstance(value, tuple | list):
        return sum(_nbytes(v) for v in value)
    return 64


def _freeze(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value.setflags(write=False)   # a cached array is never changed in place
    elif isinstance(value, tuple | list):
        for v in value:
            _freeze(v)
    return value


def measured(token: str, kind: str, rule: Any, rows: str, build: Callable[[], T]) -> T:
    """The value of ``build()`` for this bundle, rule and parcels; built once."""
    key = (token, kind, definition(rule), rows)
    with _LOCK:
        hit = _STORE.get(key)
        if hit is not None:
            _STORE.move_to_end(key)
            _STATS["hits"] += 1
            return hit[0]
    value = _freeze(build())
    size = _nbytes(value)
    with _LOCK:
        _STATS["misses"] += 1
        if size <= MAX_BYTES and key not in _STORE:
            _STORE[key] = (value, size)
            _STATS["bytes"] += size
            while _STATS["bytes"] > MAX_BYTES:
                _, (_, gone) = _STORE.popitem(last=False)
                _STATS["bytes"] -= gone
    return value


def clear() -> None:
    """Forget every kept value."""
    with _LOCK:
        _STORE.clear()
        _STATS.update(hits=0, misses=0, bytes=0)


def stats() -> dict[str, int]:
    """Hits, misses, entries and bytes held."""
    with _LOCK:
        return {**_STATS, "entries": len(_STORE)}
