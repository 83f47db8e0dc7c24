"""``siteplan register``: the site-offer register (init, partner, offer, advance, list,
history, export)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ._common import (
    EXIT_OK,
    UsageError,
    check_free,
    layer_options,
    layers_from_args,
    missing_from_args,
    profile_from_arg,
    say,
    skip_missing_option,
)

HELP = "the site-offer register: which site is offered to which partner, and how far"
DESCRIPTION = ("Keep the register of site offers to CSR partners in one file (SQLite, also a "
               "GeoPackage that QGIS opens) or in PostgreSQL/PostGIS (a postgresql:// URL; put "
               "the password in ~/.pgpass or PGPASSWORD, not on the command line). Every "
               "change is an event with who and when; a parcel is in at most one open offer.")

_ACTIONS = {
    "init": "make a new register (--sample: the synthetic sample's season of offers)",
    "partner": "add a CSR partner",
    "offer": "offer a site (one or more parcels) to a partner, scored with a profile",
    "advance": "move an offer to its next state",
    "list": "list the offers",
    "history": "every event of one offer",
    "export": "write the register to a GeoPackage or CSV for the office's records",
    "token": "tokens of `siteplan serve --register`: add (shown once), list, revoke",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _register_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("register", metavar="REGISTER",
                   help="the register: a file (e.g. offers.gpkg) or a postgresql:// URL")


def _actor_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--actor", required=True, help="who does it (kept with the event)")
    p.add_argument("--note", default="", help="a note kept with the event")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..register.models import FIRST_STATES, STATES

    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    a = sub.add_parser("init", help=_ACTIONS["init"], description=_ACTIONS["init"])
    _register_arg(a)
    a.add_argument("--srid", type=int, default=32748,
                   help="EPSG code the geometry is stored in (default: 32748, UTM 48S)")
    a.add_argument("--sample", action="store_true",
                   help="fill it with the synthetic sample's partners and offers")
    a = sub.add_parser("partner", help=_ACTIONS["partner"], description=_ACTIONS["partner"])
    _register_arg(a)
    a.add_argument("--name", required=True, help="the partner's name")
    _actor_arg(a)
    a = sub.add_parser("offer", help=_ACTIONS["offer"], description=(
        _ACTIONS["offer"] + ". The parcels are scored with --profile first: the offer keeps "
        "their score and rank, and an excluded parcel needs --override with the reason."))
    _register_arg(a)
    a.add_argument("--parcel", action="append", required=True, metavar="ID",
                   help="a parcel_id of the site; repeat for a site of several parcels")
    a.add_argument("--partner", required=True, help="the partner's name")
    a.add_argument("--profile", required=True, help="the facility kind: a built-in profile "
                   "or a .toml file")
    a.add_argument("--override", help="the reason for offering a parcel the profile excludes")
    a.add_argument("--state", choices=FIRST_STATES, default="usulan",
                   help="the offer's first state (default: usulan)")
    a.add_argument("--at", help="when it happened (YYYY-MM-DD or ISO time; default now)")
    _actor_arg(a)
    layer_options(a)
    skip_missing_option(a)
    a = sub.add_parser("advance", help=_ACTIONS["advance"], description=_ACTIONS["advance"])
    _register_arg(a)
    a.add_argument("offer_id", type=int, metavar="OFFER")
    a.add_argument("to", choices=list(STATES), metavar="STATE",
                   help="the next state: " + ", ".join(STATES))
    a.add_argument("--agreement-no", help="the agreement's number (PKS, MoU), for disepakati")
    a.add_argument("--agreement-date", help="the agreement's date (YYYY-MM-DD)")
    a.add_argument("--at", help="when it happened (YYYY-MM-DD or ISO time; default now)")
    _actor_arg(a)
    a = sub.add_parser("list", help=_ACTIONS["list"], description=_ACTIONS["list"])
    _register_arg(a)
    a.add_argument("--state", action="append", choices=["open", *STATES],
                   help="only offers in this state ('open': every state that holds its "
                   "parcels); repeat for several")
    a.add_argument("--partner", help="only this partner's offers")
    a = sub.add_parser("history", help=_ACTIONS["history"], description=_ACTIONS["history"])
    _register_arg(a)
    a.add_argument("offer_id", type=int, metavar="OFFER")
    a = sub.add_parser("export", help=_ACTIONS["export"], description=(
        _ACTIONS["export"] + ": a .gpkg gets the layers offers, offer_parcels, events and "
        "partners; a .csv gets the offers (geometry as WKT) and, beside it, "
        "NAME_events.csv, NAME_parcels.csv and NAME_partners.csv."))
    _register_arg(a)
    a.add_argument("--out", required=True, type=Path, help="a .gpkg or .csv file")
    a.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    a = sub.add_parser("token", help=_ACTIONS["token"], description=(
        "Tokens for the service (siteplan serve --register): a caller sends one as "
        "'Authorization: Bearer TOKEN'. The register keeps only a salted hash of each; a new "
        "token is printed once. Roles: admin (partners and tokens, and what a planner "
        "does), planner (makes and moves offers), partner (reads its own partner's offers)."))
    tsub = a.add_subparsers(dest="token_action", metavar="TOKEN_ACTION",
                            parser_class=type(p))
    tsub.required = True
    t = tsub.add_parser("add", help="make a token and print it (once)",
                        description="make a token and print it on stdout, once")
    _register_arg(t)
    t.add_argument("--role", required=True, choices=["admin", "planner", "partner"])
    t.add_argument("--partner", help="the partner of a partner token")
    t.add_argument("--name", help="whose token it is (kept with every event it writes; "
                   "default: the partner, or the role and the token's key)")
    t.add_argument("--actor", required=True, help="who makes it")
    t = tsub.add_parser("list", help="list the tokens (never their secrets)",
                        description="list the tokens (never their secrets)")
    _register_arg(t)
    t = tsub.add_parser("revoke", help="revoke a token by its key",
                        description="revoke a token by its key (the 12 characters after "
                        "spt_); it opens nothing from then on")
    _register_arg(t)
    t.add_argument("key", metavar="KEY")
    t.add_argument("--actor", required=True, help="who revokes it")


def _clean(value) -> str:
    """One value for the terminal: control characters shown as '?'."""
    return _CONTROL.sub("?", "" if value is None else str(value))


def _open(args, *, create: bool = False):
    from ..register import open_register

    return open_register(args.register, create=create)


def run(args) -> int:
    return {"init": _init, "partner": _partner, "offer": _offer, "advance": _advance,
            "list": _list, "history": _history, "export": _export,
            "token": _token}[args.action](args)


def _init(args) -> int:
    from ..register import open_register
    from ..register.sample import sample_register

    target = args.register
    is_url = target.startswith(("postgresql://", "postgres://"))
    if not is_url and Path(target).exists():
        raise UsageError(f"{target} exists; give a new file name (init makes a new register)")
    if args.sample:
        reg = sample_register(target)
    else:
        reg = open_register(target, create=True, srid=args.srid)
    with reg:
        n = len(reg.offers())
        say(args, f"register ready: {reg.label} ({n} offers"
                  + (", synthetic sample" if reg.synthetic else "") + ")")
    return EXIT_OK


def _partner(args) -> int:
    with _open(args) as reg:
        pid = reg.add_partner(args.name, actor=args.actor, note=args.note)
        say(args, f"partner {pid}: {_clean(args.name)}")
    return EXIT_OK


def _offer(args) -> int:
    from ..scoring.run import score

    prof = profile_from_arg(args.profile)
    layers = layers_from_args(args)
    result = score(layers, prof, missing=missing_from_args(args))
    with _open(args) as reg:
        oid = reg.offer(result, args.parcel, partner=args.partner, actor=args.actor,
                        note=args.note, override=args.override, state=args.state, at=args.at)
        say(args, f"offer {oid}: {_clean(';'.join(args.parcel))} to {_clean(args.partner)} "
                  f"for {prof.name} ({args.state})")
    return EXIT_OK


def _advance(args) -> int:
    with _open(args) as reg:
        state = reg.advance(args.offer_id, args.to, actor=args.actor, note=args.note,
                            agreement_no=args.agreement_no,
                            agreement_date=args.agreement_date, at=args.at)
        say(args, f"offer {args.offer_id}: {state}")
    return EXIT_OK


def _list(args) -> int:
    with _open(args) as reg:
        off = reg.offers(state=args.state, partner=args.partner)
    if args.quiet:
        return EXIT_OK
    print("offer\tstate\tsince\tpartner\tprofile\tsite\tscore\trank")
    for r in off.itertuples():        # the register's offers: a few hundred lines at most
        since = "" if r.since is None else str(r.since)[:10]
        score = "" if r.score != r.score else f"{r.score:.1f}"
        rank = "" if r.rank is None or str(r.rank) == "<NA>" else str(r.rank)
        print("\t".join(_clean(v) for v in (r.offer_id, r.state, since, r.partner, r.profile,
                                             r.site, score, rank)))
    return EXIT_OK


def _history(args) -> int:
    with _open(args) as reg:
        ev = reg.history(args.offer_id)
    if args.quiet:
        return EXIT_OK
    print("at\tactor\tfrom\tto\tnote\tagreement")
    for e in ev.itertuples():         # one offer's events
        agreement = "" if not isinstance(e.agreement_no, str) else \
            f"{e.agreement_no} ({e.agreement_date})"
        print("\t".join(_clean(v) for v in (str(e.at)[:19], e.actor, e.from_state or "-",
                                             e.to_state, e.note, agreement)))
    return EXIT_OK


def _export(args) -> int:
    from ..register.export import export_paths, export_register

    check_free(export_paths(args.out), args.overwrite)
    with _open(args) as reg:
        written = export_register(reg, args.out, overwrite=True)
    say(args, "wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _token(args) -> int:
    import sys

    with _open(args) as reg:
        if args.token_action == "add":
            token = reg.add_token(args.role, actor=args.actor, partner=args.partner,
                                  name=args.name)
            print(token)          # the only time it is shown: stdout, even with -q
            sys.stdout.flush()
            if not args.quiet:
                print(f"siteplan: {args.role} token {token[4:16]} made: keep it now, it is "
                      "not shown again (the register keeps only its hash)", file=sys.stderr)
        elif args.token_action == "revoke":
            reg.revoke_token(args.key, actor=args.actor)
            say(args, f"token {_clean(args.key)} revoked")
        else:
            tokens = reg.tokens()
            if not args.quiet:
                print("key\trole\tpartner\tname\tmade\trevoked")
                for r in tokens.itertuples():        # a few dozen tokens
                    revoked = "" if r.revoked_at is None or str(r.revoked_at) == "NaT" else \
                        str(r.revoked_at)[:19]
                    print("\t".join(_clean(v) for v in (r.key_id, r.role, r.partner or "",
                                                          r.name, str(r.created_at)[:19],
                                                          revoked)))
    return EXIT_OK
