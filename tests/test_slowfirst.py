"""tests/support/slowfirst.py: the workers take the slowest test modules first."""

from __future__ import annotations

import json
from types import SimpleNamespace

import slowfirst


def _items(*nodeids):
    return [SimpleNamespace(nodeid=n) for n in nodeids]


def test_slowest_module_first_and_each_module_keeps_its_order():
    items = _items("a.py::t1", "a.py::t2", "b.py::t1", "c.py::t1", "c.py::t2", "c.py::t3")
    got = [i.nodeid for i in slowfirst.order(items, {"a.py": 1.0, "b.py": 9.0})]
    # c.py is not listed: 3 tests x 0.1 s = 0.3 s, after a.py's 1.0 s
    assert got == ["b.py::t1", "a.py::t1", "a.py::t2", "c.py::t1", "c.py::t2", "c.py::t3"]


def test_equal_weights_keep_the_collection_order():
    items = _items("x.py::t", "y.py::t", "z.py::t")
    got = [i.nodeid for i in slowfirst.order(items, {"x.py": 2.0, "y.py": 2.0, "z.py": 2.0})]
    assert got == ["x.py::t", "y.py::t", "z.py::t"]


def test_the_table_lists_seconds_per_test_module():
    table = json.loads(slowfirst.SECONDS.read_text(encoding="utf-8"))
    assert table and all(k.startswith("tests/") and k.endswith(".py") for k in table)
    assert all(isinstance(v, (int, float)) and v >= 0 for v in table.values())


def test_the_recorder_sums_each_modules_reports(tmp_path):
    rec = slowfirst._Recorder(tmp_path / "s.json")
    for nodeid, d in (("m.py::a", 1.25), ("m.py::a", 0.5), ("n.py::b", 2.0)):
        rec.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=d))
    rec.pytest_sessionfinish()
    assert json.loads((tmp_path / "s.json").read_text()) == {"m.py": 1.8, "n.py": 2.0}


def test_a_run_of_some_modules_keeps_the_others(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"tests/test_slowfirst.py": 9.0, "m.py": 3.0,
                                "tests/no_such_module.py": 5.0}))
    rec = slowfirst._Recorder(path)
    rec.pytest_runtest_logreport(SimpleNamespace(nodeid="m.py::a", duration=1.0))
    rec.pytest_sessionfinish()
    # m.py updated, this module kept (its file exists), a module whose file is gone dropped
    assert json.loads(path.read_text()) == {"m.py": 1.0, "tests/test_slowfirst.py": 9.0}
