"""The public errors, one place: bad input, a solver that gave no answer, and problem
collection shared by every stage.

- :class:`SiteplanInputError` (a ``ValueError``): the input is wrong; it lists
  every :class:`Problem` found, each with its fix;
- :class:`SolverError` (a ``RuntimeError``): the input was fine and an
  optimisation solver (HiGHS) gave no answer, e.g. it hit its time limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Problem", "SiteplanInputError", "SolverError", "SiteplanSolverError",
           "SiteplanDataWarning", "raise_if_problems"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, with what to do about it.

    ``where`` names the layer or profile part ("layer 'parcels'"), ``what``
    says what is wrong, including the column, row and bad value, and ``fix``
    tells the user how to repair it. ``cli``, when given, is the same fix as
    said to a user of the ``siteplan`` command (options, not Python): the
    command line shows it instead of ``fix`` (:meth:`text`).

    Parameters
    ----------
    where
        The layer or profile part.
    what
        What is wrong, with the column, row and value.
    fix
        What to do about it, said to a Python user.
    cli
        The same fix said to a user of the command line, or None.

    Examples
    --------
    >>> import siteplan as sp
    >>> try:
    ...     sp.get_profile("kolam")
    ... except sp.SiteplanInputError as err:
    ...     problem = err.problems[0]
    >>> isinstance(problem, sp.Problem), problem.where
    (True, 'profile')
    """

    where: str
    what: str
    fix: str
    cli: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.what}. Fix: {self.fix}"

    def text(self, interface: str = "python") -> str:
        """The problem as said to a user of ``interface`` (``"python"`` or ``"cli"``)."""
        fix = self.cli if interface == "cli" and self.cli else self.fix
        return f"{self.where}: {self.what}. Fix: {fix}"


class SiteplanInputError(ValueError):
    """Bad input data or a bad profile.

    The message lists every problem found, each naming the layer (or profile
    key), the column or row, the bad value and the fix. The problems are also
    available, as :class:`Problem` values, in ``.problems``.
    """

    def __init__(self, problems: Problem | str | Iterable[Problem | str]):
        if isinstance(problems, Problem | str):
            problems = [problems]
        self.problems: list[Problem | str] = list(problems)
        if len(self.problems) == 1:
            message = str(self.problems[0])
        else:
            lines = [f"{len(self.problems)} problems with the input:"]
            lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
            message = "\n".join(lines)
        super().__init__(message)


def raise_if_problems(problems: list[Problem]) -> None:
    """Raise one :class:`SiteplanInputError` carrying every collected problem."""
    if problems:
        raise SiteplanInputError(problems)


class SolverError(RuntimeError):
    """The solver failed on a well-formed problem (time limit without a solution, a crash).

    Bad input (an impossible ``k``, a radius that leaves people unreachable,
    rules no set of sites meets) is a :class:`SiteplanInputError` instead;
    this error means the input was fine and the solver did not answer.
    ``where`` names the step (``"locate 'pmedian'"``, ``"select_sites"``),
    ``status`` holds HiGHS's own status text and ``hint`` what to try.

    Parameters
    ----------
    where
        The step that ran the solver.
    status
        The solver's own status text.
    hint
        What to try (``"raise time_limit, ..."``).

    Examples
    --------
    >>> import numpy as np
    >>> import siteplan as sp
    >>> cost = np.arange(20.0).reshape(4, 5)
    >>> try:
    ...     sp.locate.solve("pmedian", cost, k=2, time_limit=0)
    ... except sp.SolverError as err:
    ...     print(err.where, "|", err.hint.split(",")[0])
    locate 'pmedian' | raise time_limit
    """

    def __init__(self, where: str, status: str, hint: str):
        self.where = where
        self.status = status
        self.hint = hint
        super().__init__(f"{where}: the solver gave no answer ({status}). {hint}")


#: the name :class:`SolverError` had when only the location models raised it
SiteplanSolverError = SolverError


class SiteplanDataWarning(UserWarning):
    """Data that can be scored but probably not as meant (e.g. layers far from the parcels)."""
