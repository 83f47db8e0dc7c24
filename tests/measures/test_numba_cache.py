"""The compiled search is compiled once per installation, even from a read-only package folder.

numba keeps the compiled search in siteplan's user cache folder
(``<user cache>/siteplan/numba``), not beside the package's sources: a
second fresh process, running a read-only copy of the package, loads it from
there instead of compiling it again. A user's own ``NUMBA_CACHE_DIR`` wins.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from cikit import require

import siteplan

CHILD = textwrap.dedent("""
    import json

    import numpy as np
    import shapely

    import siteplan
    from siteplan.measures import _nearest

    rng = np.random.default_rng(0)
    grid = _nearest.feature_grid(shapely.points(rng.uniform(0, 100, (20, 2))))
    parcels = shapely.buffer(shapely.points(rng.uniform(0, 100, (50, 2))), 2.0)
    d, unsure = _nearest.nearest(parcels, grid, None)
    points = shapely.points(np.c_[grid.x, grid.y])
    ref = shapely.distance(parcels[:, None], points[None, :]).min(axis=1)
    stats = _nearest._kernel.stats
    print(json.dumps({"package": siteplan.__file__, "cache_dir": _nearest.cache_dir(),
                      "kernel_cache": _nearest._kernel._cache._cache_path,
                      "hits": sum(stats.cache_hits.values()),
                      "misses": sum(stats.cache_misses.values()),
                      "exact": bool((d[~unsure] == ref[~unsure]).all())}))
""")


def _read_only_copy(dest: Path) -> Path:
    pkg = dest / "siteplan"
    shutil.copytree(Path(siteplan.__file__).parent, pkg,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for p in [pkg, *pkg.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return dest


def _run(code: str, site: Path, cache_home: Path, **extra_env) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "SITEPLAN_CACHE_DIR", "SITEPLAN_NO_JIT")}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(cache_home),
               PYTHONDONTWRITEBYTECODE="1", **extra_env)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=site, check=True,
                         capture_output=True, text=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cache_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.suffix in (".nbi", ".nbc")]


def test_second_process_loads_the_search_from_the_user_cache(tmp_path):
    require("numba", extra="fast")
    site = _read_only_copy(tmp_path / "site")
    cache_home = tmp_path / "cache"
    try:
        first = _run(CHILD, site, cache_home)
        assert Path(first["package"]).is_relative_to(site)   # the read-only copy ran
        assert first["exact"]
        assert first["cache_dir"] == str(cache_home / "siteplan" / "numba")
        assert Path(first["kernel_cache"]).is_relative_to(cache_home / "siteplan" / "numba")
        files = _cache_files(cache_home / "siteplan" / "numba")
        assert any(p.name.startswith("_nearest._kernel-") and p.suffix == ".nbc" for p in files)
        assert not _cache_files(site)                      # nothing beside the sources

        second = _run(CHILD, site, cache_home)
        assert second["exact"]
        assert second["hits"] >= 1 and second["misses"] == 0, second   # loaded, not compiled
    finally:   # let pytest remove the copy
        for p in [site, *site.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_the_users_numba_cache_dir_wins(tmp_path):
    require("numba", extra="fast")
    mine = tmp_path / "mine"
    code = textwrap.dedent("""
        import json

        import numba

        from siteplan.measures import _nearest

        print(json.dumps({"kernel_cache": _nearest._kernel._cache._cache_path,
                          "config": numba.config.CACHE_DIR}))
    """)
    got = _run(code, Path(siteplan.__file__).parents[1], tmp_path / "cache",
               NUMBA_CACHE_DIR=str(mine))
    assert Path(got["kernel_cache"]).is_relative_to(mine)
    assert got["config"] == str(mine)
    # and without it, numba's setting is left as it was for other users of numba
    got = _run(code, Path(siteplan.__file__).parents[1], tmp_path / "cache")
    assert Path(got["kernel_cache"]).is_relative_to(tmp_path / "cache" / "siteplan" / "numba")
    assert got["config"] == ""
