"""The typed answer of a location model: :class:`Plan`, and the solver's own failure.

A plan is a frozen value: the chosen columns of the cost matrix, each demand
row's site and cost, the objective with the solver's bound and gap, the time
it took and the parameters it was solved with. Maps, the command line and
files read its fields; ``to_dict`` is what files hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["Plan"]


def _frozen_array(a: Any, dtype) -> np.ndarray:
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class Plan:
    """Sites chosen by a location model and what each demand row gets from them.

    Attributes
    ----------
    model
        The model's name (``"pmedian"``, ...; see :data:`siteplan.locate.MODELS`).
    chosen
        Column indices of the chosen sites, ascending.
    assignment
        For every demand row, the column of the site serving it (the nearest
        chosen site; the solved one for ``cpmedian``), -1 when none can.
    cost
        For every demand row, its cost to that site (NaN when none).
    covered
        For every demand row, whether it is within ``radius`` of a chosen site
        (all True when the model has no radius).
    objective
        The model's objective on the chosen sites, computed from them exactly
        (see the model's entry for what it measures).
    bound
        The best bound the solver proved (equal to ``objective`` when solved to
        optimality).
    gap
        Relative gap between ``objective`` and ``bound`` (0 when optimal).
    seconds
        Wall-clock time of building and solving the problem.
    status
        ``"optimal"`` or the solver's status text (e.g. a time limit).
    secondary
        The sum of ``prefer`` over the chosen sites when a preference broke ties
        among equal optima, else None.
    params
        The parameters solved with (``k``, ``radius``, ``fixed``, ...).
    """

    model: str
    chosen: np.ndarray
    assignment: np.ndarray
    cost: np.ndarray
    covered: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float
    status: str = "optimal"
    secondary: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chosen", _frozen_array(self.chosen, np.int64))
        object.__setattr__(self, "assignment", _frozen_array(self.assignment, np.int64))
        object.__setattr__(self, "cost", _frozen_array(self.cost, float))
        object.__setattr__(self, "covered", _frozen_array(self.covered, bool))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def k(self) -> int:
        """Number of sites chosen."""
        return len(self.chosen)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (lists, numbers, texts)."""
        def plain(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return v.tolist()
            if isinstance(v, np.generic):
                return v.item()
            if isinstance(v, tuple | list):
                return [plain(x) for x in v]
            return v

        return {"model": self.model, "chosen": self.chosen.tolist(),
                "assignment": self.assignment.tolist(),
                "cost": [None if np.isnan(c) else float(c) for c in self.cost],
                "covered": self.covered.tolist(), "objective": float(self.objective),
                "bound": float(self.bound), "gap": float(self.gap),
                "seconds": float(self.seconds), "status": self.status,
                "secondary": self.secondary,
                "params": {k: plain(v) for k, v in self.params.items()}}
