"""The ``siteplan`` command, for GIS staff producing maps and GeoPackages in batch.

Exit codes (:data:`~siteplan.cli._common.EXIT_CODES`): 0 done, 1 internal
error, 2 bad usage, 3 bad input data or profile, 4 address in use (serve),
5 an output exists, 6 the solver gave no answer. Errors go to stderr in one
or two lines, without a traceback unless ``--debug`` is given. Warnings of the library (features
rejected, checksums not checked, ...) reach stderr through :mod:`logging`;
``-q`` keeps only errors, ``-v``/``-vv`` say more. ``-v``, ``-q`` and
``--debug`` work before or after the subcommand.

Each subcommand is one module of this package with ``HELP``, ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int``; :data:`COMMANDS` lists
them. Adding a command is adding a module and its name there.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from .._errors import SiteplanInputError, SolverError
from .._progress import shown
from .._version import __version__
from ._common import (
    EXIT_CODES,
    EXIT_ERROR,
    EXIT_EXISTS,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_SOLVER,
    EXIT_USAGE,
    OutputExistsError,
    Parser,
    UsageError,
    verbosity_options,
)

__all__ = ["main", "COMMANDS"]

#: subcommand name -> module of this package
COMMANDS = {"demo": "demo", "profiles": "profiles", "score": "score", "map": "map",
            "compare": "compare", "select": "select", "brief": "brief",
            "allocate": "allocate", "serve": "serve", "register": "register",
            "locate": "locate", "access": "access"}


def _command_in(argv: Sequence[str] | None) -> str | None:
    """The subcommand named in ``argv`` (the first word that is one), if any."""
    words = sys.argv[1:] if argv is None else list(argv)
    return next((w for w in words if w in COMMANDS), None)


def _build_parser(argv: Sequence[str] | None = None, *, every: bool = False
                  ) -> tuple[Parser, dict]:
    """The parser; only the command being run gets its options (the others' may import a lot).

    With ``every`` every command gets its options; when ``argv`` names no command
    (``--help``, ``--version``) none needs them.
    """
    wanted = None if every else (_command_in(argv) or "")
    p = Parser(prog="siteplan", description=(
        "Score Kota Serang's city-owned parcels for CSR facilities (green open space, "
        "culinary centre, public facility, religious tourism), and write maps and GIS files."),
        epilog="Run 'siteplan COMMAND --help' for the options of a command.\n\nExit codes:\n"
        + "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"siteplan {__version__}")
    verbosity_options(p, root=True)
    p.add_argument("--debug", action="store_true", default=False,
                   help="show the full traceback on errors (and every log message)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    modules = {}
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f".{module}", __name__)
        modules[name] = mod
        sp = sub.add_parser(name, help=mod.HELP, description=mod.DESCRIPTION)
        if wanted is None or name == wanted:
            mod.add_arguments(sp)
        verbosity_options(sp)
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    return p, modules


class _Console(logging.Handler):
    """``siteplan: warning: ...`` on stderr for the library's log records and warnings."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.name == "py.warnings":   # "file:line: Category: message"
                text = text.strip().splitlines()[0]
                text = text.split(": ", 2)[-1] if text.count(": ") >= 2 else text
            level = record.levelname.lower()
            prefix = "" if level == "info" else f"{level}: "
            print(f"siteplan: {prefix}{text}", file=sys.stderr)
        except Exception:  # noqa: BLE001 - logging must never stop the command
            self.handleError(record)


def _configure_logging(args) -> logging.Handler:
    """Route the library's logging and warnings to stderr at the asked verbosity."""
    if args.debug or args.verbose >= 2:
        level = logging.DEBUG
    elif args.verbose == 1:
        level = logging.INFO
    elif args.quiet:
        level = logging.ERROR
    else:
        level = logging.WARNING
    handler = _Console(level)
    for name in ("siteplan", "py.warnings"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
    logging.captureWarnings(True)
    return handler


def _release_logging(handler: logging.Handler) -> None:
    logging.captureWarnings(False)
    for name in ("siteplan", "py.warnings"):
        logging.getLogger(name).removeHandler(handler)


_MAX_SHOWN = 20  # problems printed in full; the rest are counted


def _problems_text(exc: SiteplanInputError) -> str:
    """Every problem in full, one per line, with fixes in command-line terms.

    Nothing is cut inside a problem: beyond :data:`_MAX_SHOWN` problems the
    rest are counted, never shortened.
    """
    texts = [p.text("cli") if hasattr(p, "text") else str(p) for p in exc.problems]
    if len(texts) == 1:
        return texts[0]
    shown = [f"  {i}. {t}" for i, t in enumerate(texts[:_MAX_SHOWN], 1)]
    more = len(texts) - _MAX_SHOWN
    if more > 0:
        shown.append(f"  and {more} more problem{'s' if more > 1 else ''} "
                     "(run again with --debug to see every one)")
    return f"{len(texts)} problems with the input:\n" + "\n".join(shown)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``siteplan`` command with ``argv`` (default: the process's arguments)."""
    parser, modules = _build_parser(argv)
    args = parser.parse_args(argv)
    handler = _configure_logging(args)
    try:
        # progress bars only on a terminal, and not with -q (never in logs or pipes)
        with shown(sys.stderr.isatty() and not args.quiet):
            return modules[args.command].run(args)
    except BrokenPipeError:
        # the reader stopped early (`siteplan profiles schema | head`): that is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_OK
    except OutputExistsError as exc:
        print(f"siteplan: error: {exc}", file=sys.stderr)
        return EXIT_EXISTS
    except UsageError as exc:
        if args.debug:
            raise
        parser.print_usage(sys.stderr)
        print(f"siteplan: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SiteplanInputError as exc:
        if args.debug:
            raise
        print(f"siteplan: error: {_problems_text(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except SolverError as exc:
        if args.debug:
            raise
        print(f"siteplan: error: {exc}", file=sys.stderr)
        return EXIT_SOLVER
    except KeyboardInterrupt:
        print("siteplan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: short message, traceback with --debug
        if args.debug:
            raise
        print(f"siteplan: internal error: {type(exc).__name__}: {exc} (run again with --debug "
              "for the traceback)", file=sys.stderr)
        return EXIT_ERROR
    finally:
        _release_logging(handler)
