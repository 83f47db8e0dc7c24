"""The languages and their tables (one module per language beside this one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .._errors import Problem, SiteplanInputError
from . import en as _en
from . import id as _id

__all__ = ["LANGS", "Lang", "check_lang", "words", "section", "separators"]

#: the languages, in the order the command line lists them
LANGS: tuple[str, ...] = ("id", "en")
#: a language, for type hints and request schemas
Lang = Literal["id", "en"]

_TABLES: Mapping[str, Mapping[str, Any]] = {"id": _id.WORDS, "en": _en.WORDS}
_SEPARATORS: Mapping[str, tuple[str, str]] = {"id": _id.SEPARATORS, "en": _en.SEPARATORS}


def check_lang(lang: object, where: str) -> Mapping[str, Any]:
    """The table of ``lang``, or a clear error listing the languages."""
    if lang not in _TABLES:
        raise SiteplanInputError(Problem(where, f"unknown language {lang!r}",
                                         f"use one of: {', '.join(LANGS)}"))
    return _TABLES[str(lang)]


def words(lang: str) -> Mapping[str, Any]:
    """The whole table of one language (its sections)."""
    return check_lang(lang, "lang")


def section(name: str) -> dict[str, Mapping[str, Any]]:
    """One section in every language: ``{"id": {...}, "en": {...}}``."""
    return {lang: _TABLES[lang][name] for lang in LANGS}


def separators(lang: str) -> tuple[str, str]:
    """(thousands, decimal) separators: Indonesian writes 4.200,5; English 4,200.5."""
    check_lang(lang, "lang")
    return _SEPARATORS[lang]
