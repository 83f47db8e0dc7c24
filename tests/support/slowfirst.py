"""The test modules in the order the worker processes should take them: slowest first.

``scripts/test.sh`` runs the suite on one worker per core with pytest-xdist's
``--dist loadscope`` (a module's tests stay on one worker, so its server, database or
browser starts once) and ``--no-loadscope-reorder``: the workers take whole modules
in collection order. Left to itself, xdist orders the modules by their number of
tests, so a module of one slow test (mypy over the package, the notebooks) came last
and one worker ran it alone while the other idled. Taking the slowest modules first
(longest processing time first) leaves only short modules to even out the end.

The seconds each module took come from ``module_seconds.json`` beside this file; a
module not listed counts as 0.1 s a test. Refresh the file after adding slow tests (a run
of some modules updates only theirs)::

    bash scripts/test.sh --module-seconds tests/support/module_seconds.json
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

SECONDS = Path(__file__).with_name("module_seconds.json")
#: the time a test of a module missing from the file is taken to need
UNLISTED = 0.1


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--module-seconds", metavar="PATH", default=None,
                     help="write the seconds each test module took (setup, call and "
                          "teardown of its tests) to PATH as JSON, for the module order")


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def order(items: list, seconds: dict[str, float]) -> list:
    """``items`` with the modules slowest first; a module's tests keep their order."""
    count: dict[str, int] = defaultdict(int)
    for item in items:
        count[_module(item.nodeid)] += 1

    def weight(item) -> float:
        module = _module(item.nodeid)
        return seconds.get(module, UNLISTED * count[module])
    # a stable sort: equal weights keep the collection order, so modules stay whole
    return sorted(items, key=lambda item: -weight(item))


def pytest_collection_modifyitems(items: list) -> None:
    if not SECONDS.is_file():
        return
    items[:] = order(items, json.loads(SECONDS.read_text(encoding="utf-8")))


class _Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[_module(report.nodeid)] += report.duration

    def pytest_sessionfinish(self) -> None:
        # a run of some modules updates theirs and keeps the others' (modules whose file
        # is gone are dropped)
        table = json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() \
            else {}
        table.update({m: round(s, 1) for m, s in self.seconds.items()})
        root = Path(__file__).resolve().parents[2]
        table = {m: s for m, s in sorted(table.items()) if (root / m).is_file()
                 or m in self.seconds}
        self.path.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--module-seconds", default=None)
    # written once, by the process that sees every report (xdist's controller, or the
    # only process)
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Recorder(Path(path)), "siteplan-module-seconds")
