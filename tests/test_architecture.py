"""The package's shape: no import cycles, every extension point a table, doctests run."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import siteplan

PACKAGE = Path(siteplan.__file__).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / Path(*name.split(".")) / "__init__.py").is_file()


def _exists(name: str) -> bool:
    base = PACKAGE.parent / Path(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _resolve(current: str, level: int, module: str | None) -> str:
    base = current.split(".")
    if not _is_package(current):
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, current: str) -> set[str]:
    """Modules of siteplan imported anywhere in the module (module or function level),
    except under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names
                         if a.name == "siteplan" or a.name.startswith("siteplan."))
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(current, node.level, node.module) if node.level else node.module
            if target and (target == "siteplan" or target.startswith("siteplan.")):
                for alias in node.names:  # `from . import x` imports module x
                    sub = f"{target}.{alias.name}"
                    found.add(sub if _exists(sub) else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        graph[name] = _imports(ast.parse(path.read_text(encoding="utf-8")), name) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = walk(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_import_graph_reads_function_level_and_skips_type_checking():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from .bundle import Layers\n"
                     "def f():\n    from .population import people\n"
                     "from ..measures import basic\n"
                     "import siteplan as sp\n")
    got = _imports(tree, "siteplan.layers.features")
    assert got == {"siteplan.layers.population", "siteplan.measures.basic", "siteplan"}


def test_no_import_cycles_inside_the_package():
    graph = import_graph()
    assert len(graph) > 30
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def room_of(module: str) -> str:
    """The folder a module lives in (``siteplan.scoring.pipeline`` -> ``scoring``);
    a module at the top level is a room of its own (``siteplan._errors``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def room_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = {}
    for module, targets in graph.items():
        here = room_of(module)
        rooms.setdefault(here, set()).update(
            room_of(t) for t in targets if room_of(t) != here)
    return rooms


def test_room_graph_collapses_modules_into_their_folders():
    graph = {"siteplan.a.x": {"siteplan.b.y"}, "siteplan.b.y": {"siteplan.a.z"},
             "siteplan.a.z": set(), "siteplan._errors": set()}
    assert find_cycle(graph) is None            # no loop between modules ...
    rooms = room_graph(graph)
    assert find_cycle(rooms) == ["a", "b", "a"]  # ... but one between folders
    assert room_of("siteplan._errors") == "_errors"


def test_no_loops_between_folders():
    """The folders are floors: each imports only folders below it."""
    rooms = room_graph(import_graph())
    assert {"layers", "scoring", "profiles", "methods", "locate", "render"} <= set(rooms)
    cycle = find_cycle(rooms)
    assert cycle is None, "loop between folders: " + " -> ".join(cycle)


def test_the_package_never_imports_its_own_root():
    """No ``import siteplan`` (or ``from siteplan import``) inside the package except in
    its own ``__init__``: a stage names the module it uses, so the floors show."""
    offenders = sorted(m for m, targets in import_graph().items()
                       if "siteplan" in targets and m != "siteplan")
    assert not offenders, "imports the package root: " + ", ".join(offenders)


def _modules() -> list[str]:
    names = ["siteplan"]
    for info in pkgutil.walk_packages(siteplan.__path__, "siteplan."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_doctests(name):
    """Every Examples section runs (on the embedded sample) and shows what it says."""
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        if test.filename and Path(test.filename).resolve().is_relative_to(PACKAGE):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0


def test_cache_shares_context_entries_between_partitions_only():
    from siteplan.layers import CacheKey, LayerCache

    cache = LayerCache()
    calls = []

    def build(tag):
        calls.append(tag)
        return tag

    tree = CacheKey("tree", ("roads",), (("road_class", ("arteri",)),))
    own = CacheKey("areas", ("parcels",))
    assert not tree.on_parcels and own.on_parcels
    assert cache.get(tree, lambda: build("tree")) == "tree"
    assert cache.get(own, lambda: build("own")) == "own"
    part = cache.for_partition()
    assert part.get(tree, lambda: build("again")) == "tree"     # shared: not rebuilt
    assert part.get(own, lambda: build("own2")) == "own2"       # a partition's own
    assert calls == ["tree", "own", "own2"]
    with pytest.raises(TypeError, match="CacheKey"):
        cache.get(("tree", "roads"), lambda: None)


def test_unknown_names_list_the_known_ones():
    from siteplan.profiles.profile import profile_from_dict

    base = {"name": "t", "title": {"en": "t"}, "criteria": [
        {"name": "a", "measure": "area", "weight": 1,
         "transform": {"type": "linear", "best": 1000, "worst": 0}}]}
    for key, bad, table in (("measure", "nearness", sp_measures()),
                            ("method", "borda", None)):
        data = {**base}
        if key == "measure":
            data["criteria"] = [{**base["criteria"][0], "measure": bad}]
        else:
            data["method"] = bad
        with pytest.raises(siteplan.SiteplanInputError, match=f"unknown {key} '{bad}'.*"
                           + ("distance" if table else "topsis")):
            profile_from_dict(data)
    data = {**base, "constraints": [{"type": "near", "layer": "roads"}]}
    with pytest.raises(siteplan.SiteplanInputError, match="unknown constraint type 'near'"
                       ".*min_area, max_area, outside, inside, attribute"):
        profile_from_dict(data)


def sp_measures():
    from siteplan.measures import MEASURES

    return MEASURES


def _public():
    import siteplan.measures as measures

    skip = {"SiteplanInputError", "__version__", "datasets", "measures", "Measure"}
    for owner, names in ((siteplan, siteplan.__all__), (measures, measures.__all__)):
        for name in names:
            obj = getattr(owner, name)
            if name not in skip and callable(obj):
                yield f"{owner.__name__}.{name}", obj


@pytest.mark.parametrize("name, obj", list(_public()), ids=[n for n, _ in _public()])
def test_public_functions_have_numpydoc_docstrings(name, obj):
    import inspect

    doc = inspect.getdoc(obj) or ""
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = [p for p in inspect.signature(target).parameters if p not in ("self", "cls")]
    needed = ["Examples"] + (["Parameters"] if params else []) + \
        ([] if inspect.isclass(obj) else ["Returns"])
    missing = [s for s in needed if f"{s}\n--" not in doc]
    assert not missing, f"{name}: no {', '.join(missing)} section"
