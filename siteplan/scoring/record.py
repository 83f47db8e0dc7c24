"""The typed record of how a result was made, kept in ``result.attrs["siteplan"]``.

Every stage after scoring reads what it needs from this record, never from a
dict of string keys: the score map, the interactive map, the brief, the
selection and allocation maps, the outputs, the service and the command line.
Files keep the record as JSON (:meth:`ScoreRecord.to_dict` /
:func:`record_from_dict`, in this module only), so a result read back from a
GeoPackage carries the same record.

Facts only: rule numbers, the profile object, counts and numbers. Words for a
person are made from them at the edge (``render/``, ``brief/``, ``cli/``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from .._data import fields as _fields
from .._data import plain as _plain
from .._errors import Problem, SiteplanInputError
from .._version import __version__
from ..criterion import Constraint, Criterion

if TYPE_CHECKING:
    from ..layers.bundle import Layers
    from ..profiles.profile import Profile

__all__ = ["Counts", "Skipped", "Source", "Provenance", "ScoreRecord", "CompareRecord",
           "AllocationRecord", "record_of", "record_from_dict", "attach", "FORMAT"]

#: version of the record's JSON form (``to_dict``); 1 is the untyped dict before it
FORMAT = 2
KEY = "siteplan"


class _Immutable:
    """Frozen values copy as themselves (pandas deep-copies ``attrs`` on every operation)."""

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class _Record(_Immutable):
    """What every record shares: a short repr, a notebook table, pickling as its JSON form."""

    kind = ""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        from .._reprs import record_repr

        return record_repr(self)

    def _repr_html_(self) -> str:
        from .._reprs import record_html
        from ..methods.constraints import constraint_label

        # kind "score": a ScoreRecord, which has the profile
        labels = [constraint_label(c) for c in cast("ScoreRecord", self).profile.constraints] \
            if self.kind == "score" else []
        return record_html(self, labels)

    def __reduce__(self):   # pickled as its JSON form (mapping proxies do not pickle)
        return record_from_dict, (self.to_dict(),)


def _frozen_map(m: Mapping | None) -> Mapping:
    return MappingProxyType(dict(m or {}))


@dataclass(frozen=True)
class Counts(_Immutable):
    """How many parcels came in, and what became of them."""

    input: int = 0
    not_candidate: int = 0
    scored: int = 0
    excluded: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class Skipped(_Immutable):
    """A rule left out by ``missing="skip"``: its layer was not given, or held no feature.

    ``rule`` is the rule's 1-based number in the profile as written;
    ``reason`` is ``"layer_not_given"`` or ``"no_matching_feature"``.
    """

    kind: str                     # "criterion" or "constraint"
    name: str
    rule: int
    layer: str | None
    reason: str
    title: Mapping[str, str] = field(default_factory=dict)
    type: str | None = None       # the constraint's type or the criterion's measure
    weight: float | None = None   # a criterion's weight in the profile as written
    where: Mapping[str, tuple] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "title", _frozen_map(self.title))
        object.__setattr__(self, "where", _frozen_map(
            {k: tuple(v) for k, v in (self.where or {}).items()}))

    def label(self, lang: str = "id") -> str:
        """The rule's title in ``lang`` (else Indonesian, English, its name)."""
        return self.title.get(lang) or self.title.get("id") or self.title.get("en") or self.name

    def __reduce__(self):
        return _skipped, (_plain(_fields(self)),)


@dataclass(frozen=True)
class Source(_Immutable):
    """Where one layer came from: the text the bundle holds, and the file's fingerprint.

    ``sha256`` and ``date`` are filled when a result is written to a file
    (hashing is left out of scoring, which must stay fast).
    """

    layer: str
    text: str
    sha256: str | None = None
    date: str | None = None


def _fingerprint(layers: Layers, name: str) -> dict[str, str | None]:
    """The sha256 and date the bundle knows of layer ``name``'s file (else none)."""
    known = (getattr(layers, "fingerprints", None) or {}).get(name) or {}
    return {"sha256": known.get("sha256"), "date": known.get("date")}


@dataclass(frozen=True)
class Provenance(_Immutable):
    """Which siteplan made a result, when, from which inputs, in which CRS."""

    siteplan_version: str = __version__
    created: str = ""
    sources: tuple[Source, ...] = ()
    synthetic: bool = False
    attribution: str = ""
    crs: str = ""

    @classmethod
    def of(cls, layers: Layers) -> Provenance:
        return cls(created=datetime.now(UTC).isoformat(timespec="seconds"),
                   sources=tuple(Source(str(k), str(v), **_fingerprint(layers, k))
                                 for k, v in layers.sources.items()),
                   synthetic=bool(layers.synthetic), attribution=str(layers.attribution or ""),
                   crs=layers.crs.to_string())

    @property
    def source_texts(self) -> dict[str, str]:
        """Layer name -> where it came from (as ``Layers.sources``)."""
        return {s.layer: s.text for s in self.sources}

    def to_dict(self) -> dict[str, Any]:
        return _plain(_fields(self))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Provenance:
        sources = d.get("sources") or ()
        if isinstance(sources, Mapping):              # format 1: layer -> text
            inputs = {x.get("layer"): x for x in d.get("inputs") or () if isinstance(x, Mapping)}
            sources = [{"layer": k, "text": str(v),
                        "sha256": (inputs.get(k) or {}).get("sha256")}
                       for k, v in sources.items()]
        return cls(siteplan_version=str(d.get("siteplan_version", "")),
                   created=str(d.get("created", "")),
                   sources=tuple(Source(**{k: s.get(k) for k in ("layer", "text", "sha256",
                                                                 "date")}) for s in sources),
                   synthetic=bool(d.get("synthetic", False)),
                   attribution=str(d.get("attribution") or ""), crs=str(d.get("crs") or ""))


# ------------------------------------------------------------------ profiles as data

def profile_to_dict(prof: Profile) -> dict[str, Any]:
    """Every field of a profile as plain JSON data (criteria with every field)."""
    return {"name": prof.name, "title": dict(prof.title), "method": prof.method,
            "description": dict(prof.description), "owa_alpha": float(prof.owa_alpha),
            "allow_inconsistent": bool(prof.allow_inconsistent),
            "consistency_ratio": prof.consistency_ratio, "source_path": prof.source_path,
            "candidates": {k: list(v) for k, v in prof.candidates.items()},
            "constraints": [_plain(c) for c in prof.constraints],
            "criteria": [_plain(_fields(c)) for c in prof.criteria]}


def _criterion(d: Mapping[str, Any]) -> Criterion:
    known = {f.name for f in dataclasses.fields(Criterion)}
    args = {k: v for k, v in d.items() if k in known}
    args["where"] = {k: tuple(v) for k, v in (args.get("where") or {}).items()}
    args["title"] = dict(args.get("title") or {})
    args["transform"] = dict(args.get("transform") or {})
    if isinstance(args.get("source"), Mapping):
        args["source"] = MappingProxyType(dict(args["source"]))
    if args.get("values") is not None:
        args["values"] = tuple(args["values"])
    args.setdefault("measure", "")
    args.setdefault("weight", 0.0)
    return Criterion(**args)


def profile_from_record(d: Mapping[str, Any]) -> Profile:
    """The profile of :func:`profile_to_dict` (or of a format-1 record) as a Profile."""
    from ..profiles.profile import Profile

    weights = d.get("weights") or {}
    crits = []
    for c in d.get("criteria") or ():
        c = dict(c)
        if c.get("weight") is None and c.get("name") in weights:
            c["weight"] = weights[c["name"]]
        crits.append(_criterion(c))
    cons = tuple(Constraint.from_table({k: ({w: tuple(x) for w, x in v.items()} if k == "where"
                                            and isinstance(v, Mapping) else v)
                                        for k, v in dict(c).items() if k != "label"})
                 for c in d.get("constraints") or ())
    return Profile(name=str(d.get("name") or d.get("profile") or ""),
                   title=dict(d.get("title") or {}), method=str(d.get("method") or "wlc"),
                   criteria=tuple(crits),
                   candidates={k: tuple(v) for k, v in (d.get("candidates") or {}).items()},
                   constraints=cons, allow_inconsistent=bool(d.get("allow_inconsistent")),
                   consistency_ratio=d.get("consistency_ratio"),
                   owa_alpha=float(d["owa_alpha"] if d.get("owa_alpha") is not None
                                   else 1.0),
                   description=dict(d.get("description") or {}),
                   source_path=d.get("source_path"))


# ------------------------------------------------------------------ the records

@dataclass(frozen=True, repr=False)   # the short repr of _Record
class ScoreRecord(_Record):
    """How a scored result was made (``result.attrs["siteplan"]``, see :func:`record_of`).

    Frozen: change a copy with :meth:`with_`. Files keep it as JSON
    (:meth:`to_dict`, :meth:`from_dict`).

    Parameters
    ----------
    profile
        The profile that was scored: after rules were left out (``skipped``)
        and the remaining weights renormalised. ``excluded_rules`` numbers
        refer to its ``constraints`` (1-based); see :meth:`rule`.
    counts
        Parcels in, not candidates, scored, excluded, rejected.
    base_score
        The aggregation's score of a site with every criterion at its
        neutral value: contributions add up to ``score - base_score`` (0 for
        WLC, WGM and OWA; TOPSIS's base is not 0).
    measured_as
        Per criterion, how it was measured (a road measure may fall back to
        straight lines; see the criterion's ``fallback``).
    skipped
        The rules left out, with the reason.
    empty_layers
        Layers read by a rule that held no feature.
    engine
        ``"local"`` or ``"dask"``; ``engine_info`` says how the dask run went.
    provenance
        siteplan version, time, input sources, CRS.
    sensitivity
        When weight sensitivity was computed with the result (command line):
        draws, spread, top_k, seed.
    selection
        When the rows are a joint choice of sites (``siteplan select``): the
        choice's figures (see :func:`siteplan.select_sites`).

    Examples
    --------
    >>> import siteplan as sp
    >>> rec = sp.record_of(sp.score(sp.load_sample(), "rth", method="topsis"))
    >>> rec.profile.method, rec.counts.scored > 0, rec.base_score > 0
    ('topsis', True, True)
    >>> rec.rule(1)["type"]
    'min_area'
    """

    profile: Profile
    counts: Counts = field(default_factory=Counts)
    base_score: float = 0.0
    measured_as: Mapping[str, str] = field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()
    empty_layers: tuple[str, ...] = ()
    engine: str = "local"
    engine_info: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)
    sensitivity: Mapping[str, Any] | None = None
    selection: Mapping[str, Any] | None = None

    kind = "score"

    def __post_init__(self):
        object.__setattr__(self, "measured_as", _frozen_map(self.measured_as))
        object.__setattr__(self, "engine_info", _frozen_map(self.engine_info))
        for name in ("sensitivity", "selection"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _frozen_map(getattr(self, name)))

    # -- what consumers ask
    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def method(self) -> str:
        return self.profile.method

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return self.profile.criteria

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return self.profile.constraints

    @property
    def top_k(self) -> int | None:
        k = (self.sensitivity or {}).get("top_k")
        return int(k) if isinstance(k, int | np.integer) and not isinstance(k, bool) else None

    def title(self, lang: str = "id") -> str:
        return self.profile.label(lang) if hasattr(self.profile, "label") else self.name

    def rule(self, rule_id: int | str) -> Mapping[str, Any]:
        """The constraint numbered ``rule_id`` (1-based, as in ``excluded_rules``)."""
        j = int(rule_id)
        if not 1 <= j <= len(self.profile.constraints):
            raise SiteplanInputError(Problem("excluded_rules", f"rule {rule_id!r} is not one of "
                                             f"the profile's {len(self.profile.constraints)} "
                                             "constraints", "read the rule numbers of this "
                                             "result with its own record"))
        return self.profile.constraints[j - 1]

    def broken(self, excluded_rules: Sequence | pd.Series) -> np.ndarray:
        """One row per value of ``excluded_rules`` ("1;3"), one column per constraint: broken?"""
        text = pd.Series(excluded_rules, dtype="string").fillna("").reset_index(drop=True)
        out = np.zeros((len(text), len(self.profile.constraints)), dtype=bool)
        for j in range(len(self.profile.constraints)):
            out[:, j] = (";" + text + ";").str.contains(f";{j + 1};", regex=False).to_numpy(
                dtype=bool)
        return out

    def with_(self, **changes: Any) -> ScoreRecord:
        return dataclasses.replace(self, **changes)

    # -- files
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "kind": self.kind, "profile": profile_to_dict(self.profile),
                "counts": _fields(self.counts), "base_score": float(self.base_score),
                "measured_as": dict(self.measured_as),
                "skipped": [_plain(s) for s in self.skipped],
                "empty_layers": list(self.empty_layers), "engine": self.engine,
                "engine_info": _plain(self.engine_info),
                "provenance": self.provenance.to_dict(),
                "sensitivity": None if self.sensitivity is None else _plain(self.sensitivity),
                "selection": None if self.selection is None else _plain(self.selection)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScoreRecord:
        if d.get("format") is None:                      # written before the typed record
            return cls._from_format1(d)
        return cls(profile=profile_from_record(d["profile"]),
                   counts=Counts(**{k: int(v) for k, v in (d.get("counts") or {}).items()}),
                   base_score=float(d.get("base_score") or 0.0),
                   measured_as=dict(d.get("measured_as") or {}),
                   skipped=tuple(_skipped(s) for s in d.get("skipped") or ()),
                   empty_layers=tuple(d.get("empty_layers") or ()),
                   engine=str(d.get("engine") or "local"),
                   engine_info=dict(d.get("engine_info") or {}),
                   provenance=Provenance.from_dict(d.get("provenance") or {}),
                   sensitivity=d.get("sensitivity"), selection=d.get("selection"))

    @classmethod
    def _from_format1(cls, d: Mapping[str, Any]) -> ScoreRecord:
        engine = d.get("engine")
        counts = d.get("counts") or {}
        return cls(profile=profile_from_record(d),
                   counts=Counts(**{k: int(counts.get(k, 0)) for k in
                                    ("input", "not_candidate", "scored", "excluded",
                                     "rejected")}),
                   base_score=float(d.get("base_score") or 0.0),
                   measured_as={c["name"]: c.get("measured_as") or c.get("measure", "")
                                for c in d.get("criteria") or () if "name" in c},
                   skipped=tuple(_skipped(s) for s in d.get("skipped") or ()),
                   empty_layers=tuple(d.get("empty_layers") or ()),
                   engine=str(engine.get("engine", "dask")) if isinstance(engine, Mapping)
                   else str(engine or "local"),
                   engine_info=dict(engine) if isinstance(engine, Mapping) else {},
                   provenance=Provenance.from_dict(d),
                   sensitivity=d.get("sensitivity"), selection=d.get("selection"))


def _skipped(s: Mapping[str, Any]) -> Skipped:
    return Skipped(kind=str(s.get("kind")), name=str(s.get("name")), rule=int(s.get("rule") or 0),
                   layer=s.get("layer"), reason=str(s.get("reason")),
                   title=dict(s.get("title") or {}),
                   type=s.get("type") or s.get("measure"), weight=s.get("weight"),
                   where=dict(s.get("where") or {}))


@dataclass(frozen=True, repr=False)   # the short repr of _Record
class CompareRecord(_Record):
    """How a comparison of profiles (:func:`siteplan.compare`) was made."""

    profiles: tuple[str, ...]
    skipped: Mapping[str, tuple[Skipped, ...]] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)

    kind = "compare"

    def __post_init__(self):
        object.__setattr__(self, "skipped", _frozen_map(self.skipped))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "kind": self.kind, "profiles": list(self.profiles),
                "skipped": {k: [_plain(s) for s in v]
                            for k, v in self.skipped.items()},
                "provenance": self.provenance.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CompareRecord:
        return cls(profiles=tuple(d.get("profiles") or ()),
                   skipped={k: tuple(_skipped(s) for s in v)
                            for k, v in (d.get("skipped") or {}).items()},
                   provenance=Provenance.from_dict(d.get("provenance") or d))


@dataclass(frozen=True, repr=False)   # the short repr of _Record
class AllocationRecord(_Record):
    """How a land allocation (:func:`siteplan.allocate`) was made.

    ``titles`` name each use per language; ``allocation`` holds the solver's
    figures (status, objective, bound, gap, times, demand, the greedy answer).
    """

    profiles: tuple[str, ...]
    titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    allocation: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)

    kind = "allocation"

    def __post_init__(self):
        object.__setattr__(self, "titles", _frozen_map(
            {k: _frozen_map(v) for k, v in self.titles.items()}))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "kind": self.kind, "profiles": list(self.profiles),
                "titles": _plain(self.titles), "allocation": _plain(self.allocation),
                "provenance": self.provenance.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AllocationRecord:
        return cls(profiles=tuple(d.get("profiles") or ()),
                   titles={k: dict(v) for k, v in (d.get("titles") or {}).items()},
                   allocation=dict(d.get("allocation") or {}),
                   provenance=Provenance.from_dict(d.get("provenance") or d))


Record = ScoreRecord | CompareRecord | AllocationRecord
_KINDS: dict[str, type[Record]] = {"score": ScoreRecord, "compare": CompareRecord,
                           "allocation": AllocationRecord}


def record_from_dict(d: Mapping[str, Any]) -> Record:
    """The record a file kept (its ``to_dict()``; also the untyped dict of older files)."""
    kind = d.get("kind")
    if kind is None:                       # format 1: told apart by its keys
        kind = "allocation" if "allocation" in d else (
            "compare" if d.get("profile") == "compare" else "score")
    if kind not in _KINDS:
        raise SiteplanInputError(Problem("result record", f"kind {kind!r} is unknown",
                                         f"siteplan writes {', '.join(_KINDS)}"))
    return _KINDS[kind].from_dict(d)


def record_of(result: Any, kind: type[Record] | None = ScoreRecord, *,
              where: str = "result") -> Any:
    """The record of how ``result`` was made.

    Parameters
    ----------
    result
        What :func:`siteplan.score`, :func:`siteplan.compare` or
        :func:`siteplan.allocate` returned, or :func:`siteplan.outputs.read_result`
        read back.
    kind
        The record expected (default :class:`ScoreRecord`); ``None`` takes any.
    where
        Names the caller in the error.

    Returns
    -------
    ScoreRecord, CompareRecord or AllocationRecord

    Raises
    ------
    SiteplanInputError
        The result has no record, or one of another kind.

    Examples
    --------
    >>> import siteplan as sp
    >>> result = sp.score(sp.load_sample(), "sentra_kuliner")
    >>> rec = sp.record_of(result)
    >>> rec.profile.name, rec.counts.scored > 0, rec.method
    ('sentra_kuliner', True, 'wlc')
    """
    attrs = getattr(result, "attrs", None)
    rec = attrs.get(KEY) if isinstance(attrs, Mapping) else None
    if isinstance(rec, Mapping):
        rec = record_from_dict(rec)
    if rec is None:
        raise SiteplanInputError(Problem(where, "has no record of how it was made "
                                         "(attrs['siteplan'] is empty)",
                                         "pass what sp.score returns; "
                                         "sp.outputs.read_result restores it from a file"))
    if kind is not None and not isinstance(rec, kind):
        raise SiteplanInputError(Problem(where, f"is a {rec.kind} result, not a "
                                         f"{kind.kind} result", "pass what sp.score returns"))
    return rec


def maybe_record(result: Any) -> Any:
    """The record when ``result`` has one, else None (maps of any scored table)."""
    try:
        return record_of(result, None)
    except SiteplanInputError:
        return None


def attach(result: Any, record: Record) -> Any:
    """Put ``record`` in ``result.attrs["siteplan"]`` (in place) and return ``result``."""
    result.attrs[KEY] = record
    return result
