"""The ``siteplan`` command, for GIS staff producing maps and GeoPackages in batch.

Exit codes: 0 done, 2 bad usage, 3 bad input data or profile, 1 anything
else. Errors go to stderr in one or two lines, without a traceback unless
``--debug`` is given.

Each subcommand is one module of this package with ``HELP``, ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int``; :data:`COMMANDS` lists
them. Adding a command is adding a module and its name there.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence

from .._errors import SiteplanInputError
from .._version import __version__
from ._common import EXIT_ERROR, EXIT_INPUT, EXIT_USAGE, Parser, UsageError

__all__ = ["main", "COMMANDS"]

#: subcommand name -> module of this package
COMMANDS = {"demo": "demo", "profiles": "profiles", "score": "score", "map": "map",
            "compare": "compare", "select": "select", "brief": "brief",
            "allocate": "allocate", "serve": "serve"}


def _build_parser() -> tuple[Parser, dict]:
    p = Parser(prog="siteplan", description=(
        "Score Kota Serang's city-owned parcels for CSR facilities (green open space, "
        "culinary centre, public facility, religious tourism), and write maps and GIS files."),
        epilog="Run 'siteplan COMMAND --help' for the options of a command.")
    p.add_argument("--version", action="version", version=f"siteplan {__version__}")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    modules = {}
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f".{module}", __name__)
        modules[name] = mod
        mod.add_arguments(sub.add_parser(name, help=mod.HELP, description=mod.DESCRIPTION))
    return p, modules


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
    parser, modules = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format="siteplan: %(message)s")
    try:
        return modules[args.command].run(args)
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
    except KeyboardInterrupt:
        print("siteplan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: short message, traceback with --debug
        if args.debug:
            raise
        print(f"siteplan: internal error: {type(exc).__name__}: {exc} (run again with --debug "
              "for the traceback)", file=sys.stderr)
        return EXIT_ERROR
