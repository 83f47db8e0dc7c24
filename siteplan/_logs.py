"""siteplan's logging: silent unless asked, as a library should be.

The package logs through :mod:`logging` under the ``siteplan`` logger (features
rejected at load, repairs, checksums not checked, rules left out, timings at
INFO). A :class:`logging.NullHandler` keeps it silent; :func:`log_console`
shows the messages on stderr, in a notebook or a script. The ``siteplan``
command configures its own handler from ``-v``/``-q``.
"""

from __future__ import annotations

import logging
import sys

from ._errors import Problem, SiteplanInputError

__all__ = ["log_console"]

LOGGER = logging.getLogger("siteplan")
LOGGER.addHandler(logging.NullHandler())

_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING,
           "ERROR": logging.ERROR}


class _ConsoleHandler(logging.StreamHandler):
    """The handler :func:`log_console` adds (one at most)."""


def log_console(level: str | None = "INFO") -> logging.Handler | None:
    """Show siteplan's log messages on stderr from ``level`` up; ``None`` silences them again.

    Parameters
    ----------
    level
        ``"DEBUG"``, ``"INFO"`` (what is done), ``"WARNING"`` (data problems
        only) or ``"ERROR"``; ``None`` removes the console output.

    Returns
    -------
    logging.Handler or None
        The handler writing to stderr (None when removed).

    Examples
    --------
    >>> import siteplan as sp
    >>> handler = sp.log_console("WARNING")
    >>> handler.level == 30
    True
    >>> sp.log_console(None) is None
    True
    """
    for h in [h for h in LOGGER.handlers if isinstance(h, _ConsoleHandler)]:
        LOGGER.removeHandler(h)
    if level is None:
        return None
    key = str(level).upper()
    if key not in _LEVELS:
        raise SiteplanInputError(Problem("log_console", f"level {level!r} is not a level",
                                         f"use one of: {', '.join(_LEVELS)}, or None"))
    handler = _ConsoleHandler(sys.stderr)
    handler.setLevel(_LEVELS[key])
    handler.setFormatter(logging.Formatter("siteplan %(levelname)s: %(message)s"))
    LOGGER.addHandler(handler)
    if LOGGER.level == logging.NOTSET or LOGGER.level > _LEVELS[key]:
        LOGGER.setLevel(_LEVELS[key])
    return handler
