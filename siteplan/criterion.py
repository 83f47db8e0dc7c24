"""One criterion of a profile: how it is measured, transformed and weighted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Criterion"]


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

    def label(self, lang: str = "id") -> str:
        return self.title.get(lang) or self.title.get("en") or self.name.replace("_", " ")
