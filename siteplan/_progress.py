"""Progress bars for long work: shown on a terminal by the command line, never otherwise.

The library wraps its long loops (criteria measured over many parcels, road
catchments in blocks, the brief's pages) in :func:`steps`. It shows nothing
unless the caller turned bars on with :func:`shown`: the ``siteplan`` command
does when stderr is a terminal and ``-q`` was not given, so bars never reach
logs, pipes or a notebook's output by surprise.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["shown", "steps"]

T = TypeVar("T")
_ON: contextvars.ContextVar[bool] = contextvars.ContextVar("siteplan_progress", default=False)


@contextlib.contextmanager
def shown(on: bool = True) -> Iterator[None]:
    """Within the block, :func:`steps` draws bars on stderr when ``on``."""
    token = _ON.set(bool(on))
    try:
        yield
    finally:
        _ON.reset(token)


def steps(items: Iterable[T], *, desc: str, total: int | None = None,
          unit: str = "it") -> Iterable[T]:
    """``items``, with a bar on stderr while :func:`shown` is on."""
    if not _ON.get():
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # bars are a nicety
        return items
    return tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False,
                mininterval=0.2)
