"""``siteplan profiles``: list, show or export the built-in profiles."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._common import EXIT_OK, UsageError, save_text, say

HELP = "list, show or export the built-in profiles, or print the profile JSON Schema"
DESCRIPTION = ("Without arguments: list the built-in profiles. 'show NAME' prints one; "
               "'export NAME FILE.toml' writes a copy to edit; 'schema' prints the JSON Schema "
               "of the profile format (draft 2020-12).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=["list", "show", "export", "schema"],
                   default="list")
    p.add_argument("name", nargs="?", help="profile name (show, export)")
    p.add_argument("file", nargs="?", type=Path, help="TOML file to write (export)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")


def run(args) -> int:
    from ..profiles.profile import builtin_profile_text, get_profile, list_profiles

    if args.action == "list":
        for name in list_profiles():
            prof = get_profile(name)
            say(args, f"{name:18} {prof.label('id')}  ({prof.label('en')})")
        return EXIT_OK
    if args.action == "schema":
        from ..profiles.schema import profile_schema

        print(json.dumps(profile_schema(), indent=2, ensure_ascii=False))
        return EXIT_OK
    if not args.name:
        raise UsageError(f"'profiles {args.action}' needs a profile name")
    text = builtin_profile_text(args.name)
    if args.action == "show":
        print(text, end="")
        return EXIT_OK
    if args.file is None:
        raise UsageError("'profiles export' needs NAME and FILE.toml")
    save_text(text, args.file, args.overwrite)
    say(args, f"wrote {args.file}: edit it, then: siteplan score --profile {args.file} ...")
    return EXIT_OK
