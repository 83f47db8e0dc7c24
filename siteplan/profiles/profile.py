"""Profiles: what a facility needs, as data (TOML read with ``tomllib``, never eval'd).

A profile names its candidates, constraints, criteria (measure + transform),
weights and aggregation method. The built-in profiles live beside this module
in ``builtin_profiles/`` as TOML files a planner can copy and edit
(``siteplan profiles export NAME FILE.toml``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from .._errors import Problem, SiteplanInputError
from ..criterion import Constraint, Criterion
from ..limits import (
    MAX_CONSTRAINTS,
    MAX_CRITERIA,
    MAX_DISTANCE,
    MAX_MAGNITUDE,
    MAX_MINUTES,
    OWA_ALPHA,
    finite,
    number_problem,
    text_problems,
)
from ..measures import MEASURES as MEASURE_TABLE
from ..methods.aggregate import AGGREGATORS
from ..methods.constraints import CONSTRAINT_TYPES
from ..methods.transforms import check_transform
from ..methods.weights import CR_LIMIT, ahp_weights, normalise_weights

__all__ = ["Profile", "Criterion", "get_profile", "read_profile", "list_profiles",
           "profile_from_dict", "MEASURES", "CONSTRAINTS", "MAX_PROFILE_BYTES"]

MAX_PROFILE_BYTES = 1_000_000
#: the names the validator accepts, read from the registries
METHODS = tuple(AGGREGATORS)
MEASURES = tuple(MEASURE_TABLE)
CONSTRAINTS = tuple(CONSTRAINT_TYPES)

_TOP_KEYS = {"name", "title", "description", "method", "candidates", "constraints", "criteria",
             "weights", "allow_inconsistent", "owa", "reach", "notes", "version"}
#: criterion keys that only the measures allowing them read (``Measure.allows``)
_MEASURE_ONLY_KEYS = ("stat", "values", "at_least", "unit", "mode", "speed", "threshold")
_CRITERION_KEYS = {"name", "title", "measure", "layer", "where", "column", "radius",
                   "transform", "weight", "missing", "level", "description", "fallback",
                   "source", "stat", "values", "at_least", "unit", "mode", "speed",
                   "threshold"}
_CONSTRAINT_KEYS = {"type", "title", "source"}.union(*(t.keys for t in
                                                      CONSTRAINT_TYPES.values()))
_WEIGHTS_KEYS = {"order", "ahp", "values"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Profile:
    """A facility profile: candidates, constraints, criteria, weights, method.

    Build one with :func:`get_profile` (built-in) or :func:`read_profile`
    (a TOML file). Immutable; :meth:`with_weights` and :meth:`with_method`
    return changed copies.

    Parameters
    ----------
    name, title, method, criteria, candidates, constraints
        As in the TOML file (see ``docs/architecture.md`` and the built-in
        profiles); ``criteria`` are :class:`~siteplan.criterion.Criterion`
        values with weights summing to 1, ``constraints``
        :class:`~siteplan.criterion.Constraint` values (a plain table given
        here becomes one).

    Examples
    --------
    >>> import siteplan as sp
    >>> prof = sp.get_profile("rth").with_method("topsis")
    >>> prof.method, len(prof.criteria)
    ('topsis', 4)
    """

    name: str
    title: Mapping[str, str]
    method: str
    criteria: tuple[Criterion, ...]
    candidates: Mapping[str, tuple] = field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()
    allow_inconsistent: bool = False
    consistency_ratio: float | None = None
    owa_alpha: float = 1.0
    description: Mapping[str, str] = field(default_factory=dict)
    source_text: str | None = field(default=None, repr=False, compare=False)
    source_path: str | None = None

    def __post_init__(self) -> None:
        # a constraint given as a plain table (a dict) becomes a Constraint
        if any(not isinstance(c, Constraint) for c in self.constraints):
            object.__setattr__(self, "constraints", tuple(
                c if isinstance(c, Constraint) else Constraint.from_table(c)
                for c in self.constraints))

    def __repr__(self) -> str:
        from .._reprs import profile_repr

        return profile_repr(self)

    def _repr_html_(self) -> str:
        from .._reprs import profile_html
        from ..methods.constraints import constraint_label

        return profile_html(self, [constraint_label(c) for c in self.constraints])

    @property
    def weights(self) -> dict[str, float]:
        """Criterion weights, summing to 1."""
        return {c.name: c.weight for c in self.criteria}

    def label(self, lang: str = "id") -> str:
        return self.title.get(lang) or self.title.get("en") or self.name

    def with_weights(self, weights: Mapping[str, float]) -> Profile:
        """The same profile with new direct weights, normalised to sum 1.

        Parameters
        ----------
        weights
            Criterion name -> weight (any scale, >= 0, not all 0). A
            criterion left out keeps its present weight, so it keeps its
            weight relative to the other criteria left out; then every
            weight is divided by the total.

        Returns
        -------
        Profile
            A new profile (this one is unchanged); an AHP consistency ratio
            no longer applies and is dropped.

        Raises
        ------
        SiteplanInputError
            A name that is not a criterion of the profile (the known ones
            are listed), or a negative, non-numeric or all-zero weight.

        Examples
        --------
        >>> import siteplan as sp
        >>> prof = sp.get_profile("sentra_kuliner")
        >>> round(prof.weights["akses_jalan"], 6), round(prof.weights["luas"], 6)
        (0.25, 0.1)
        >>> new = prof.with_weights({"akses_jalan": 0.65})   # the rest keep 0.75 between them
        >>> round(new.weights["akses_jalan"], 6), round(new.weights["luas"], 6)
        (0.464286, 0.071429)
        >>> round(sum(new.weights.values()), 12)
        1.0
        """
        unknown = set(weights) - {c.name for c in self.criteria}
        if unknown:
            raise SiteplanInputError(Problem(f"profile '{self.name}'", f"no criterion named "
                                             f"{', '.join(sorted(map(str, unknown)))}",
                                             "use one of: " +
                                             ", ".join(c.name for c in self.criteria)))
        merged = {c.name: weights.get(c.name, c.weight) for c in self.criteria}
        norm = normalise_weights(merged, f"profile '{self.name}' weights")
        crits = tuple(replace(c, weight=norm[c.name]) for c in self.criteria)
        return replace(self, criteria=crits, consistency_ratio=None)

    def with_ahp(self, matrix: Any, *, allow_inconsistent: bool | None = None) -> Profile:
        """A copy weighted by an AHP matrix over the criteria in profile order."""
        allow = self.allow_inconsistent if allow_inconsistent is None else allow_inconsistent
        if len(matrix) != len(self.criteria):
            raise SiteplanInputError(Problem(f"profile '{self.name}'", f"AHP matrix has "
                                             f"{len(matrix)} rows for {len(self.criteria)} "
                                             "criteria", "one row and column per criterion, "
                                             "in the profile's order"))
        w, cr = ahp_weights(matrix, allow_inconsistent=allow)
        prof = self.with_weights(dict(zip([c.name for c in self.criteria], w, strict=True)))
        return replace(prof, consistency_ratio=cr, allow_inconsistent=allow)

    def with_method(self, method: str, *, alpha: float | None = None) -> Profile:
        if method not in METHODS:
            raise SiteplanInputError(Problem(f"profile '{self.name}'", f"unknown method "
                                             f"{method!r}", f"use one of: {', '.join(METHODS)}"))
        if alpha is not None:
            bad = number_problem(f"profile '{self.name}'", "owa alpha", alpha, low=OWA_ALPHA[0],
                                 high=OWA_ALPHA[1], example="2.0")
            if bad:
                raise SiteplanInputError(bad)
            alpha = float(alpha)
        return replace(self, method=method, owa_alpha=self.owa_alpha if alpha is None else alpha)


def _builtin_dir():
    return resources.files("siteplan") / "builtin_profiles"


def list_profiles() -> list[str]:
    """Names of the built-in profiles.

    Returns
    -------
    list of str
        Sorted names; each one works with :func:`get_profile`.

    Examples
    --------
    >>> import siteplan as sp
    >>> sp.list_profiles()
    ['fasilitas_publik', 'rth', 'sentra_kuliner', 'wisata_religi']
    """
    return sorted(p.name[:-5] for p in _builtin_dir().iterdir() if p.name.endswith(".toml"))


def builtin_profile_text(name: str) -> str:
    """The TOML text of a built-in profile (to copy and edit)."""
    if name not in list_profiles():
        raise SiteplanInputError(Problem("profile", f"no built-in profile {name!r}",
                                         f"use one of: {', '.join(list_profiles())}, or "
                                         "sp.read_profile('file.toml')"))
    return (_builtin_dir() / f"{name}.toml").read_text(encoding="utf-8")


def get_profile(name: str) -> Profile:
    """A built-in profile by name (see :func:`list_profiles`).

    Parameters
    ----------
    name
        One of :func:`list_profiles`.

    Returns
    -------
    Profile
        Checked, with weights summing to 1.

    Examples
    --------
    >>> import siteplan as sp
    >>> prof = sp.get_profile("sentra_kuliner")
    >>> prof.title["en"]
    'Culinary centre for small businesses'
    >>> round(sum(prof.weights.values()), 6)
    1.0
    """
    text = builtin_profile_text(name)
    return _from_text(text, f"built-in profile '{name}'", source_path=None)


def read_profile(path: str | PathLike) -> Profile:
    """Read and check a profile from a TOML file (size-limited; data only, never executed).

    Parameters
    ----------
    path
        A TOML file in the profile format (``siteplan profiles export NAME
        FILE.toml`` writes a built-in one to start from).

    Returns
    -------
    Profile
        Checked: every problem in the file is collected and raised once as a
        :class:`~siteplan.SiteplanInputError`.

    Examples
    --------
    >>> import tempfile, pathlib, siteplan as sp
    >>> from siteplan.profiles import builtin_profile_text
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.toml"
    >>> _ = path.write_text(builtin_profile_text("rth"), encoding="utf-8")
    >>> sp.read_profile(path).name
    'rth'
    """
    p = Path(path)
    where = f"profile file '{p}'"
    if not p.is_file():
        raise SiteplanInputError(Problem(where, "does not exist", "check the path"))
    size = p.stat().st_size
    if size > MAX_PROFILE_BYTES:
        raise SiteplanInputError(Problem(where, f"is {size:,} bytes, over the limit of "
                                         f"{MAX_PROFILE_BYTES:,}", "a profile is a short TOML "
                                         "file; check that this is the right file"))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SiteplanInputError(Problem(where, f"is not UTF-8 text ({exc.reason} at byte "
                                         f"{exc.start})", "save it as UTF-8")) from None
    return _from_text(text, where, source_path=str(p))


def _from_text(text: str, where: str, *, source_path: str | None) -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteplanInputError(Problem(where, f"is not valid TOML: {exc}",
                                         "fix the syntax at the line given")) from None
    prof = profile_from_dict(data, where=where)
    return replace(prof, source_text=text, source_path=source_path)


def _where_table(value: Any, where: str, problems: list[Problem]) -> dict[str, tuple]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(Problem(where, f"'where' must be a table of column = [values], got "
                                f"{value!r}", "write where = { category = [\"pasar\"] }"))
        return {}
    out = {}
    for col, allowed in value.items():
        allowed = allowed if isinstance(allowed, list) else [allowed]
        if not all(isinstance(a, str | int | float | bool) for a in allowed):
            problems.append(Problem(where, f"'where' values for '{col}' must be plain values",
                                    "write a list of strings or numbers"))
            continue
        out[str(col)] = tuple(allowed)
    return out


def _title(value: Any, where: str, problems: list[Problem], key: str = "title"
           ) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"id": value, "en": value}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        problems.append(Problem(where, f"{key} must be a table like {{ id = \"...\", en = "
                                f"\"...\" }}, got {value!r}", f"give the {key} in id and en"))
        return {}
    return dict(value)


def _source(value: Any, where: str, problems: list[Problem]) -> str | Mapping[str, str] | None:
    """A ``source``: plain text (read as it is in every language) or ``{ id = ..., en = ... }``."""
    from ..words import LANGS

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping) and value and set(value) <= set(LANGS) and all(
            isinstance(v, str) and v.strip() for v in value.values()):
        return MappingProxyType(dict(value))
    problems.append(Problem(where, f"source must be text or a table like {{ id = \"...\", "
                            f"en = \"...\" }} (languages: {', '.join(LANGS)}), got {value!r}",
                            "write source = { id = \"PP 38/2011 (sempadan sungai)\", "
                            "en = \"PP 38/2011 (river setbacks)\" }"))
    return None


def _check_measure_keys(cr: Mapping[str, Any], measure: Any, spec: Any, cw: str,
                        problems: list[Problem]) -> None:
    """Keys that only some measures read, given to another; then the measure's own check."""
    allowed = spec.allows if spec is not None else frozenset()
    for key in _MEASURE_ONLY_KEYS:
        if key in cr and key not in allowed:
            users = [m for m, s in MEASURE_TABLE.items() if key in s.allows]
            problems.append(Problem(cw, f"'{key}' does not apply to measure {measure!r}",
                                    f"remove it (it is for the measures {', '.join(users)})"))
    if spec is not None and spec.check is not None:
        spec.check(cr, cw, problems)


def _tables(data: Mapping[str, Any], key: str, one: str, where: str,
            problems: list[Problem]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The tables of an array of tables (``[[key]]``), numbered from 1; others reported."""
    raw = data.get(key, [])
    if not isinstance(raw, list):
        problems.append(Problem(where, f"'{key}' must be an array of tables",
                                f"write each as [[{key}]]"))
        return
    for i, table in enumerate(raw, 1):
        if isinstance(table, Mapping):
            yield i, table
        else:
            problems.append(Problem(f"{where} {one} {i}", "must be a table",
                                    f"write it as [[{key}]]"))


def profile_from_dict(data: Mapping[str, Any], *, where: str = "profile") -> Profile:
    """Check a profile given as a dict (the parsed TOML); collect every problem, raise once."""
    _check_readable(data, where)
    problems: list[Problem] = []
    name, title = _read_names(data, where, problems)
    method, allow, alpha = _read_method(data, where, problems)
    candidates = _where_table(data.get("candidates"), f"{where} [candidates]", problems)
    constraints = _read_constraints(data, where, problems)
    crit_rows = _read_criteria(data, where, problems)
    weights, cr_value = _read_weights(data, crit_rows, allow, where, problems)
    _title(data.get("description"), where, problems, key="description")
    for _, cr, cw in crit_rows:          # read again when the criteria are built
        _where_table(cr.get("where"), cw, problems)
        _title(cr.get("title"), cw, problems)
    if problems:
        raise SiteplanInputError(problems)
    criteria = tuple(_criterion(cname, cr, cw, weights[cname]) for cname, cr, cw in crit_rows)
    return Profile(name=name, title=MappingProxyType(title), method=method,
                   criteria=criteria, candidates=MappingProxyType(candidates),
                   constraints=tuple(constraints), allow_inconsistent=allow,
                   consistency_ratio=cr_value, owa_alpha=alpha,
                   description=MappingProxyType(_title(data.get("description"), where, [])))


def _check_readable(data: Any, where: str) -> None:
    """Raise before reading a profile that is not a table, holds bad text or is over the limits."""
    if not isinstance(data, Mapping):
        raise SiteplanInputError(Problem(where, "must be a table", "see the built-in profiles"))
    # text that no file can hold, and the size of the profile, before anything reads them
    bad_text = text_problems(data, where)
    if bad_text:
        raise SiteplanInputError(bad_text)
    problems: list[Problem] = []
    for key, most, one in (("criteria", MAX_CRITERIA, "criterion"),
                           ("constraints", MAX_CONSTRAINTS, "constraint")):
        n = len(data[key]) if isinstance(data.get(key), list) else 0
        if n > most:
            problems.append(Problem(where, f"has {n:,} {key}, over the limit of {most}",
                                    f"keep at most {most} {key} (each {one} is measured for "
                                    "every parcel); split the profile if it needs more"))
    if problems:
        raise SiteplanInputError(problems)


def _read_names(data: Mapping[str, Any], where: str,
                problems: list[Problem]) -> tuple[str, dict[str, str]]:
    """A profile's top-level keys checked, and its name and title."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        problems.append(Problem(where, f"unknown key(s) {', '.join(sorted(unknown))}",
                                f"use only: {', '.join(sorted(_TOP_KEYS))}"))
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(Problem(where, f"'name' must be a short lowercase identifier "
                                f"(a-z, 0-9, _), got {name!r}", "write name = \"my_profile\""))
        name = str(name)
    title = _title(data.get("title"), f"{where} title", problems)
    return name, title


def _read_method(data: Mapping[str, Any], where: str,
                 problems: list[Problem]) -> tuple[str, bool, float]:
    """A profile's aggregation method, allow_inconsistent, and the OWA alpha (1.0 if unset)."""
    method = data.get("method", "wlc")
    if method not in METHODS:
        problems.append(Problem(where, f"unknown method {method!r}",
                                f"use one of: {', '.join(METHODS)}"))
    allow = data.get("allow_inconsistent", False)
    if not isinstance(allow, bool):
        problems.append(Problem(where, f"allow_inconsistent must be true or false, got "
                                f"{allow!r}", "write allow_inconsistent = true"))
        allow = False
    alpha = 1.0
    owa_table = data.get("owa", {})
    if not isinstance(owa_table, Mapping):
        problems.append(Problem(where, "[owa] must hold alpha = <number>",
                                "write [owa] alpha = 2.0 (above 1: cautious, below 1: bold)"))
    else:
        bad = number_problem(f"{where} [owa]", "alpha", owa_table.get("alpha", 1.0),
                             low=OWA_ALPHA[0], high=OWA_ALPHA[1],
                             example="2.0 (above 1: cautious, below 1: bold)")
        if bad:
            problems.append(bad)
        else:
            alpha = float(owa_table.get("alpha", 1.0))
    return method, allow, alpha


def _read_constraints(data: Mapping[str, Any], where: str,
                      problems: list[Problem]) -> list[Constraint]:
    """A profile's [[constraints]], each checked by its type; those of unknown type left out."""
    constraints = []
    for i, con in _tables(data, "constraints", "constraint", where, problems):
        kind = con.get("type")
        cw = f"{where} constraint {i} ({kind})"
        bad_keys = set(con) - _CONSTRAINT_KEYS
        if bad_keys:
            problems.append(Problem(cw, f"unknown key(s) {', '.join(sorted(bad_keys))}",
                                    f"use only: {', '.join(sorted(_CONSTRAINT_KEYS))}"))
        if kind not in CONSTRAINTS:
            problems.append(Problem(cw, f"unknown constraint type {kind!r}",
                                    f"use one of: {', '.join(CONSTRAINTS)}"))
            continue
        CONSTRAINT_TYPES[kind].check(con, cw, problems)
        entry = dict(con)
        if "source" in con:
            entry["source"] = _source(con["source"], cw, problems)
        entry["where"] = _where_table(con.get("where"), cw, problems)
        entry["title"] = _title(con.get("title"), cw, problems)
        constraints.append(Constraint.from_table(entry))
    return constraints


def _read_criteria(data: Mapping[str, Any], where: str,
                   problems: list[Problem]) -> list[tuple[str, Mapping[str, Any], str]]:
    """A profile's [[criteria]] checked, as (name, table, where) rows in the profile's order."""
    if not data.get("criteria"):
        problems.append(Problem(where, "has no criteria", "add at least one [[criteria]] table"))
    crit_rows = []
    seen: set[str] = set()
    for i, cr in _tables(data, "criteria", "criterion", where, problems):
        cname, cw = _criterion_name(i, cr, where, seen, problems)
        _check_criterion(cr, cw, problems)
        crit_rows.append((cname, cr, cw))
    return crit_rows


def _criterion_name(i: int, cr: Mapping[str, Any], where: str, seen: set[str],
                    problems: list[Problem]) -> tuple[str, str]:
    """Criterion ``i``'s name (``criterion_<i>`` if bad) and the place its problems name."""
    cw = f"{where} criterion {i}"
    cname = cr.get("name")
    if not isinstance(cname, str) or not _NAME.match(cname):
        problems.append(Problem(cw, f"'name' must be a short lowercase identifier, got "
                                f"{cname!r}", "write name = \"akses_jalan\""))
        cname = f"criterion_{i}"
    cw = f"{where} criterion '{cname}'"
    if cname in seen:
        problems.append(Problem(cw, "is defined twice", "give each criterion its own name"))
    seen.add(cname)
    return cname, cw


def _check_criterion(cr: Mapping[str, Any], cw: str, problems: list[Problem]) -> None:
    """One criterion's keys, measure, source, missing score and transform checked."""
    bad_keys = set(cr) - _CRITERION_KEYS
    if bad_keys:
        problems.append(Problem(cw, f"unknown key(s) {', '.join(sorted(bad_keys))}",
                                f"use only: {', '.join(sorted(_CRITERION_KEYS))}"))
    measure: Any = cr.get("measure")  # as written in the profile, checked next
    if not isinstance(measure, str) or measure not in MEASURES:
        problems.append(Problem(cw, f"unknown measure {measure!r}",
                                f"use one of: {', '.join(MEASURES)}"))
    spec = MEASURE_TABLE.get(measure) if isinstance(measure, str) else None
    _check_measure_needs(cr, measure, spec, cw, problems)
    _check_measure_keys(cr, measure, spec, cw, problems)
    if "source" in cr:
        _source(cr["source"], cw, problems)
    if "missing" in cr:
        bad = number_problem(cw, "missing", cr["missing"], high=1.0, example="0")
        if bad:
            problems.append(bad)
    _check_criterion_transform(cr, spec, cw, problems)


def _check_measure_needs(cr: Mapping[str, Any], measure: Any, spec: Any, cw: str,
                         problems: list[Problem]) -> None:
    """The layer, radius and column a criterion's measure needs, and its fallback measure."""
    needs = spec.needs if spec is not None else frozenset()
    if "layer" in needs and not isinstance(cr.get("layer"), str):
        problems.append(Problem(cw, f"measure '{measure}' needs layer = \"<name>\"",
                                "name the layer to measure against"))
    if "radius" in needs and "radius" not in cr:
        problems.append(Problem(cw, f"measure '{measure}' needs radius = <metres> > 0",
                                "write radius = 2000"))
    elif "radius" in needs or "radius" in cr:
        bad = number_problem(cw, "radius", cr["radius"], strict_low=True, high=MAX_DISTANCE,
                             unit="m", example="2000")
        if bad:
            problems.append(bad)
    if "column" in needs and not isinstance(cr.get("column"), str):
        problems.append(Problem(cw, f"measure '{measure}' needs column = \"<name>\"",
                                "name the column to read"))
    fb = cr.get("fallback")
    if fb is not None and (spec is None or fb not in spec.fallbacks):
        ok = [f"{m}: {', '.join(s.fallbacks)}" for m, s in MEASURE_TABLE.items()
              if s.fallbacks]
        problems.append(Problem(cw, f"fallback {fb!r} does not fit measure {measure!r}",
                                "a road measure may fall back to a straight-line one ("
                                + "; ".join(ok) + ")"))


def _check_criterion_transform(cr: Mapping[str, Any], spec: Any, cw: str,
                               problems: list[Problem]) -> None:
    """A criterion's transform checked, its bounds in the measure's unit (m, min or none)."""
    if "transform" not in cr:
        problems.append(Problem(cw, "has no transform",
                                "add transform = { type = \"linear\", best = 0, "
                                "worst = 1000 }"))
        return
    # a unit that depends on the criterion (a function) is neither m nor min
    unit = spec.unit if spec is not None and isinstance(spec.unit, str) else ""
    bound = {"m": MAX_DISTANCE, "min": MAX_MINUTES}.get(unit, MAX_MAGNITUDE)
    problems.extend(check_transform(cr["transform"], f"{cw} transform", bound=bound,
                                    unit=unit if unit in ("m", "min") else ""))


def _read_weights(data: Mapping[str, Any], crit_rows: list[tuple[str, Mapping[str, Any], str]],
                  allow: bool, where: str,
                  problems: list[Problem]) -> tuple[dict[str, float], float | None]:
    """The criteria weights (normalised when all is well so far) and the AHP consistency ratio.

    Weights come per criterion, or from a [weights] table with order + ahp (or values).
    """
    weights: dict[str, float] = {}
    cr_value = None
    wt = data.get("weights")
    if wt is not None:
        weights, cr_value = _weights_table(wt, [c[0] for c in crit_rows], allow, where,
                                           problems)
        if any("weight" in cr for _, cr, _ in crit_rows):
            problems.append(Problem(where, "has both a [weights] table and per-criterion "
                                    "weights", "use one or the other"))
    else:
        for cname, cr, cw in crit_rows:
            if "weight" not in cr:
                problems.append(Problem(cw, "has no weight", "add weight = <number>, or a "
                                        "[weights] table"))
            else:
                weights[cname] = cr["weight"]
    if weights and not problems:
        try:
            weights = normalise_weights(weights, f"{where} weights")
        except SiteplanInputError as exc:
            # siteplan raises its input errors with Problem values only
            problems.extend(cast(list[Problem], exc.problems))
    return weights, cr_value


def _weights_table(wt: Any, names: list[str], allow: bool, where: str,
                   problems: list[Problem]) -> tuple[dict[str, float], float | None]:
    """The weights a [weights] table gives (order + ahp, or values), and the AHP ratio."""
    if not isinstance(wt, Mapping):
        problems.append(Problem(f"{where} [weights]", "must be a table",
                                "write [weights] with order = [...] and ahp = [[...]]"))
        return {}, None
    unknown = set(wt) - _WEIGHTS_KEYS
    if unknown:
        problems.append(Problem(f"{where} [weights]", f"unknown key(s) "
                                f"{', '.join(sorted(unknown))}",
                                "use order, ahp or values"))
    order = wt.get("order", names)
    if not isinstance(order, list):
        problems.append(Problem(f"{where} [weights]", f"order must be a list of the "
                                f"criteria's names, got {order!r}",
                                f"write order = {list(names)}"))
    elif sorted(map(str, order)) != sorted(names):
        problems.append(Problem(f"{where} [weights]", f"order {order} must list every "
                                f"criterion once: {names}", "list each criterion once"))
    elif "ahp" in wt:
        return _ahp_table(wt["ahp"], order, allow, where, problems)
    elif "values" in wt:
        values = wt["values"]
        if not isinstance(values, list) or len(values) != len(order):
            problems.append(Problem(f"{where} [weights]", "values must be a list with "
                                    "one weight per criterion in 'order'",
                                    "write values = [0.5, 0.3, 0.2]"))
        else:
            return dict(zip(order, values, strict=True)), None
    else:
        problems.append(Problem(f"{where} [weights]", "needs ahp = [[...]] or values "
                                "= [...]", "give an AHP matrix or direct values"))
    return {}, None


def _ahp_table(ahp: Any, order: list[str], allow: bool, where: str,
               problems: list[Problem]) -> tuple[dict[str, float], float | None]:
    """The weights an AHP matrix gives, by 'order', and its consistency ratio (None if unread)."""
    cr_value = None
    try:
        w, cr_value = ahp_weights(ahp, allow_inconsistent=True)
        if len(w) != len(order):
            problems.append(Problem(f"{where} [weights] ahp", f"matrix is "
                                    f"{len(w)}x{len(w)} for {len(order)} criteria",
                                    "one row and column per criterion in 'order'"))
        elif cr_value > CR_LIMIT and not allow:
            problems.append(Problem(f"{where} [weights] ahp", f"consistency ratio "
                f"CR = {cr_value:.3f} is above {CR_LIMIT:.2f}: the judgements "
                "contradict each other", "revise the comparisons, or set "
                "allow_inconsistent = true"))
        else:
            return dict(zip(order, (float(x) for x in w), strict=True)), cr_value
    except SiteplanInputError as exc:
        problems.extend(Problem(f"{where} [weights]", str(p), "see above")
                        if isinstance(p, str) else
                        Problem(f"{where} [weights] ahp", p.what, p.fix)
                        for p in exc.problems)
    return {}, cr_value


def _criterion(cname: str, cr: Mapping[str, Any], cw: str, weight: float) -> Criterion:
    """The Criterion a checked criterion table and its weight make."""
    # 'where' and 'title' are read here, after the checks: what they would report is dropped
    return Criterion(
        name=cname, measure=cr["measure"], transform=MappingProxyType(dict(cr["transform"])),
        weight=weight, layer=cr.get("layer"),
        where=MappingProxyType(_where_table(cr.get("where"), cw, [])),
        column=cr.get("column"), radius=_f(cr.get("radius")), missing=_f(cr.get("missing")),
        title=MappingProxyType(_title(cr.get("title"), cw, [])),
        level=cr.get("level"), fallback=cr.get("fallback"),
        source=_source(cr.get("source"), cw, []),
        stat=cr.get("stat"), at_least=_f(cr.get("at_least")), unit=cr.get("unit"),
        mode=cr.get("mode"), speed=_f(cr.get("speed")), threshold=_f(cr.get("threshold")),
        values=None if cr.get("values") is None else tuple(float(v) for v in cr["values"]))


def _num(v: Any, *, positive: bool = False, zero: bool = False, bounded: bool = False) -> bool:
    if not finite(v) or (bounded and abs(float(v)) > MAX_MAGNITUDE):
        return False
    if positive:
        return v > 0
    if zero:
        return v >= 0
    return True


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def as_profile(profile: Profile | str) -> Profile:
    """A profile object from a profile or a built-in profile's name."""
    if isinstance(profile, str):
        return get_profile(profile)
    if not isinstance(profile, Profile):
        raise SiteplanInputError(Problem("profile", f"got a {type(profile).__name__}",
                                         "pass sp.get_profile(name), sp.read_profile(path) or "
                                         "a built-in profile's name"))
    return profile
