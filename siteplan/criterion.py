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

    def label(self, lang: str = "id") -> str:
        return self.title.get(lang) or self.title.get("en") or self.name.replace("_", " ")
