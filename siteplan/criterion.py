"""The parts of a profile: a criterion (measured, transformed, weighted) and a constraint
(a hard rule)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Criterion", "Constraint"]


@dataclass(frozen=True)
class Criterion:
    """One criterion: how it is measured, transformed and weighted."""

    name: str
    measure: str
    transform: Mapping[str, Any]
    weight: float
    layer: str | None = None
    where: Mapping[str, tuple] = field(default_factory=dict)
    column: str | None = None
    radius: float | None = None
    missing: float | None = None
    title: Mapping[str, str] = field(default_factory=dict)
    level: str | None = None
    fallback: str | None = None
    # the standard or reasoning it rests on: text, or a table per language (id, en)
    source: str | Mapping[str, str] | None = None
    stat: str | None = None    # rasters: mean, sum, min, max, majority, share
    values: tuple | None = None  # rasters, stat "share": the cell values that count
    at_least: float | None = None  # rasters, stat "share": cells at least this count
    unit: str | None = None    # slope: percent or degrees
    mode: str | None = None    # travel_time: walk, motorcycle or car (road_speeds.csv)
    speed: float | None = None  # travel_time: one speed on every road, km/h
    threshold: float | None = None  # access_gain: access below which people are underserved

    def label(self, lang: str = "id") -> str:
        return self.title.get(lang) or self.title.get("en") or self.name.replace("_", " ")


#: the keys of a constraint that are fields of their own; the rest are its type's own
_CONSTRAINT_FIELDS = ("type", "layer", "where", "title", "source")


@dataclass(frozen=True, eq=False)
class Constraint(Mapping[str, Any]):
    """One hard rule of a profile: a parcel that breaks it is excluded, with the reason.

    ``type`` names an entry of :data:`siteplan.methods.constraints.CONSTRAINT_TYPES`
    (``min_area``, ``max_area``, ``outside``, ``inside``, ``attribute``);
    ``params`` holds the keys that type reads (``value``, ``buffer``,
    ``column``, ``in``, ``at_least``, ...). It reads as the table the profile
    wrote, too: ``con["buffer"]``, ``con.get("layer")``, ``dict(con)``.

    Examples
    --------
    >>> con = Constraint("outside", layer="rivers", params={"buffer": 50.0})
    >>> con["buffer"], con.layer, sorted(con)
    (50.0, 'rivers', ['buffer', 'layer', 'title', 'type', 'where'])
    >>> Constraint.from_table(dict(con)) == con
    True
    """

    type: str
    layer: str | None = None
    where: Mapping[str, tuple] = field(default_factory=dict)
    title: Mapping[str, str] = field(default_factory=dict)
    source: str | Mapping[str, str] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Constraint:
        """A constraint from its table (as the profile, or a record's JSON, writes it)."""
        return cls(type=str(table["type"]), layer=table.get("layer"),
                   where=table.get("where") or {}, title=table.get("title") or {},
                   source=table.get("source"),
                   params={k: v for k, v in table.items() if k not in _CONSTRAINT_FIELDS})

    def _table(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.layer is not None:
            out["layer"] = self.layer
        out["where"] = self.where
        out["title"] = self.title
        if self.source is not None:
            out["source"] = self.source
        out.update(self.params)
        return out

    def __getitem__(self, key: str) -> Any:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        return f"Constraint({self._table()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return self._table() == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # a table: compared by value, not hashed
