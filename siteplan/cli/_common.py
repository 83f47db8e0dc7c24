"""What every ``siteplan`` subcommand shares: exit codes, layer options, messages, safe writes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .._errors import SiteplanInputError
from ..words import LANGS
from ._mappings import load_mapped, mapping_options

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INPUT, EXIT_ADDRESS_IN_USE, EXIT_EXISTS = 0, 1, 2, 3, 4, 5
EXIT_SOLVER = 6

#: every exit code of the ``siteplan`` command and what it means (``--help`` and README)
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_ERROR: "internal error (a bug: run again with --debug for the traceback)",
    EXIT_USAGE: "bad usage: an unknown option, a missing or contradictory argument",
    EXIT_INPUT: "bad input data or profile (the message names the layer, column, value, fix)",
    EXIT_ADDRESS_IN_USE: "serve: the address or port is already in use",
    EXIT_EXISTS: "an output file already exists (add --overwrite to replace it)",
    EXIT_SOLVER: "the solver gave no answer on good input (e.g. its time limit; the message "
                 "says what to try)",
}

LAYER_OPTIONS = ("parcels", "green_spaces", "roads", "pois", "admin", "population")


class UsageError(Exception):
    """Bad usage of the command line (exit 2)."""


class OutputExistsError(Exception):
    """An output file is there already and --overwrite was not given (exit 5)."""


class Parser(argparse.ArgumentParser):
    """An argument parser that exits with code 2 and a short message on bad usage."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def verbosity_options(p: argparse.ArgumentParser, *, root: bool = False) -> None:
    """``-v/--verbose`` and ``-q/--quiet``, before or after the subcommand alike."""
    default = {} if root else {"default": argparse.SUPPRESS}
    p.add_argument("-v", "--verbose", action="count", help="say more: -v what is done, "
                   "-vv every detail (log level INFO, DEBUG)", **({"default": 0} if root
                                                                else default))
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors",
                   **({"default": False} if root else default))


def layer_options(p: argparse.ArgumentParser) -> None:
    """``--sample`` or ``--parcels``, ``--roads``, ... and ``--layer NAME=FILE``.

    The rule is the same for every command: give ``--sample`` or
    ``--parcels`` (and the other layers); nothing falls back to the sample.
    """
    p.add_argument("--sample", action="store_true",
                   help="use the embedded synthetic Serang sample instead of layer files")
    p.add_argument("--parcels", help="parcel layer file")
    for name in LAYER_OPTIONS[1:]:
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, help=f"{name} layer file")
    p.add_argument("--layer", action="append", default=[], metavar="NAME=FILE",
                   help="another layer a profile uses (rivers, flood_zones, sawah, ...); "
                   "repeat as needed")
    mapping_options(p)


def skip_missing_option(p: argparse.ArgumentParser) -> None:
    """``--skip-missing``: leave out the rules whose layer was not given."""
    p.add_argument("--skip-missing", action="store_true",
                   help="leave out a constraint or criterion whose layer was not given (its "
                   "weight goes to the others) instead of stopping; each one left out is "
                   "listed in the output's notes and on the map")


def missing_from_args(args) -> str:
    """The ``missing=`` of :func:`siteplan.score` that ``--skip-missing`` asks for."""
    return "skip" if getattr(args, "skip_missing", False) else "error"


def say_skipped(args, skipped, profile_name: str | None = None) -> None:
    """Tell which rules ``--skip-missing`` left out, one line per rule."""
    where = f" ({profile_name})" if profile_name else ""
    for x in skipped:  # a handful of rules (siteplan.scoring.record.Skipped)
        why = "no layer" if x.reason == "layer_not_given" else "no matching feature in"
        say(args, f"left out{where}: {x.kind} {x.name} ({why} {x.layer})")


def scoring_options(p: argparse.ArgumentParser) -> None:
    """``--profile``, the layer options and ``--skip-missing``: what scoring needs."""
    p.add_argument("--profile", required=True, help="built-in profile name or a .toml file")
    layer_options(p)
    skip_missing_option(p)


def map_options(p: argparse.ArgumentParser, *, interactive: bool = False) -> None:
    """``--lang`` and ``--top`` of every command that draws a map (and ``--interactive``)."""
    p.add_argument("--lang", choices=LANGS, default="id",
                   help="language of the map labels (default: id)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="number the N best sites on the map (default: 10)")
    if interactive:
        p.add_argument("--interactive", action="store_true",
                       help="weights tuned in the saved map itself: sliders, method, copy as "
                       "TOML; scores, classes, ranks and numbered sites follow in the browser")


def sensitivity_options(p: argparse.ArgumentParser) -> None:
    """``--sensitivity DRAWS`` and its settings."""
    p.add_argument("--sensitivity", type=int, default=0, metavar="DRAWS",
                   help="add rank stability from DRAWS perturbed weight sets (e.g. 1000): "
                   "columns p_top_k, rank_p05, rank_p50, rank_p95")
    p.add_argument("--spread", type=float, default=0.2,
                   help="how much the weights vary in the sensitivity draws (default: 0.2)")
    p.add_argument("--top-k", type=int, default=10,
                   help="the k of p_top_k, share of draws in the top k (default: 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the draws (default: 0)")


def check_sensitivity_args(args) -> None:
    """Refuse bad ``--sensitivity``, ``--spread``, ``--top-k`` or ``--seed`` before scoring.

    Each is bounded (see :mod:`siteplan.limits`: at most 100,000 draws, a seed
    from 0 to 2**63 - 1); a bad one exits with code 3 and names the option.
    """
    from ..scoring.stability import sensitivity_problems

    if args.sensitivity < 0:
        raise UsageError("--sensitivity needs a positive number of draws")
    problems = sensitivity_problems(
        draws=args.sensitivity or 1, spread=args.spread, top_k=args.top_k, seed=args.seed,
        where="sensitivity", names={"draws": "--sensitivity", "spread": "--spread",
                                    "top_k": "--top-k", "seed": "--seed"})
    if problems:
        raise SiteplanInputError(problems)


def with_sensitivity(result, prof, args):
    """The result joined with its rank stability when ``--sensitivity`` asks for it."""
    from ..scoring.record import attach, record_of
    from ..scoring.stability import sensitivity

    if not args.sensitivity:
        return result
    check_sensitivity_args(args)
    stab = sensitivity(result, prof, draws=args.sensitivity, spread=args.spread,
                          top_k=args.top_k, seed=args.seed)
    out = result.join(stab)
    out.attrs = dict(result.attrs)
    attach(out, record_of(result).with_(sensitivity={
        "draws": args.sensitivity, "spread": args.spread, "top_k": args.top_k,
        "seed": args.seed}))
    return out


def source(text: str) -> str | tuple[str, str]:
    """``FILE`` or ``FILE:LAYER`` for a GeoPackage layer."""
    path = Path(text)
    if not path.exists() and ":" in text:
        head, layer = text.rsplit(":", 1)
        if Path(head).exists():
            return (head, layer)
    return text


def layers_from_args(args) -> Any:
    """The layers named on the command line, or the embedded sample with ``--sample``."""
    from ..layers.sample import load_sample

    given = {name: source(getattr(args, name)) for name in LAYER_OPTIONS
             if getattr(args, name, None)}
    extra = {}
    for item in args.layer:
        if "=" not in item:
            raise UsageError(f"--layer needs NAME=FILE, got {item!r}")
        name, file = item.split("=", 1)
        extra[name.strip()] = source(file.strip())
    if getattr(args, "sample", False):
        if given or extra or getattr(args, "osm", None):
            raise UsageError("give --sample or layer files, not both")
        return load_sample()
    osm = getattr(args, "osm", None)
    if not given and not extra and not osm:
        raise UsageError("say what to read: --parcels FILE (and the other layers), or "
                         "--sample for the embedded synthetic sample")
    if "parcels" not in given:
        raise UsageError("--parcels is needed when other layer files are given")
    return load_mapped(args, given, extra)


def layer_rule(text: str | None, option: str) -> tuple[str | None, dict | None]:
    """``LAYER`` or ``LAYER:COLUMN=V1,V2`` of an option naming features of a layer."""
    if not text:
        return None, None
    if ":" not in text:
        return text, None
    layer, rule = text.split(":", 1)
    if "=" not in rule:
        raise UsageError(f"{option} needs LAYER or LAYER:COLUMN=VALUE, got {text!r}")
    column, value = rule.split("=", 1)
    return layer, {column: value.split(",")}


def number_or_column(text: str | None) -> str | float | None:
    """An option given as a number or as the name of a column."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def profile_from_arg(text: str):
    """A built-in profile's name or a TOML file."""
    from ..profiles.profile import get_profile, read_profile

    if text.lower().endswith(".toml") or Path(text).is_file():
        return read_profile(text)
    return get_profile(text)


def check_table_suffix(path: Path) -> None:
    """Refuse an output file whose extension no writer knows."""
    from ..outputs.formats import FORMATS

    if path.suffix.lower() not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UsageError(f"--out must end in one of {known}, got {path.name!r}")


def progress(items: Iterable, *, quiet: bool, desc: str, unit: str = "profile") -> Iterable:
    """A tqdm bar on a terminal, the items alone otherwise (never in logs or pipes)."""
    if quiet or not sys.stderr.isatty():
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # progress bars are a nicety
        return items
    return tqdm(items, desc=desc, unit=unit, file=sys.stderr)


def say(args, text: str) -> None:
    """Print unless ``--quiet``."""
    if not args.quiet:
        print(text)


def check_free(paths: Sequence[Path], overwrite: bool) -> None:
    """Refuse to replace existing outputs unless ``--overwrite``."""
    taken = [str(p) for p in paths if p.exists()]
    if taken and not overwrite:
        raise OutputExistsError(f"{', '.join(taken)} already exist(s); choose another --out, "
                           "or add --overwrite")


def save_text(text: str, path: Path, overwrite: bool) -> None:
    """Write a text file atomically (an existing one only with ``overwrite``)."""
    from ..outputs.formats import atomic_path

    check_free([path], overwrite)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_map(m, path: Path, overwrite: bool) -> None:
    """Save a folium map atomically (an existing one only with ``overwrite``)."""
    from ..outputs.formats import atomic_path

    check_free([path], overwrite)
    with atomic_path(path, overwrite=overwrite) as tmp:
        m.save(str(tmp))
