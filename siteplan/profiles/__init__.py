"""Facility profiles: what a facility needs, read from TOML and checked.

``profile.py`` holds :class:`Profile` and its reading and checks against the
measure and method tables; ``schema.py`` the profile's JSON Schema; ``_toml.py``
writing a profile back as TOML (:func:`profile_to_toml`); the built-in
profiles are the TOML files in ``siteplan/builtin_profiles/``.
"""

from __future__ import annotations

from ..criterion import Constraint
from ._toml import profile_to_toml
from .profile import (
    CONSTRAINTS,
    MAX_PROFILE_BYTES,
    MEASURES,
    Criterion,
    Profile,
    as_profile,
    builtin_profile_text,
    get_profile,
    list_profiles,
    profile_from_dict,
    read_profile,
)

__all__ = ["Profile", "Criterion", "Constraint", "get_profile", "read_profile", "list_profiles",
           "profile_from_dict", "as_profile", "builtin_profile_text", "MEASURES",
           "CONSTRAINTS", "MAX_PROFILE_BYTES", "profile_to_toml"]
