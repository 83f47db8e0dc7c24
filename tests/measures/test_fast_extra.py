"""numba is the optional extra ``[fast]``: without it the GEOS path gives the very same doubles.

A child process scores every built-in profile on the sample with ``import
numba`` failing (as where numba does not support the Python yet); this
process scores them with the compiled search. Every measured value, every
suitability and every score must be equal bit for bit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from cikit import require

import siteplan as sp

CHILD = textwrap.dedent("""
    import sys

    class NoNumba:                       # import numba fails, as when it is not installed
        def find_spec(self, name, path=None, target=None):
            if name == "numba" or name.startswith("numba."):
                raise ImportError("numba is not installed (blocked by the test)")

    sys.meta_path.insert(0, NoNumba())
    import numpy as np
    import pandas as pd

    import siteplan as sp
    from siteplan.measures import _nearest

    assert _nearest.numba is None and not _nearest.available()
    layers = sp.load_sample()
    out = {}
    for name in sp.list_profiles():
        res = sp.score(layers, name)
        for col in res.columns:
            if (col.startswith(("m_", "c_", "contrib_")) or col == "score") and \
                    pd.api.types.is_numeric_dtype(res[col]):
                out[f"{name}/{col}"] = res[col].to_numpy(dtype=float)
    np.savez(sys.argv[1], **out)
    print("numba" in sys.modules)
""")


def _numbers(res, name):
    return {f"{name}/{c}": res[c].to_numpy(dtype=float) for c in res.columns
            if (c.startswith(("m_", "c_", "contrib_")) or c == "score")
            and pd.api.types.is_numeric_dtype(res[c])}


@pytest.mark.scale
def test_without_numba_every_number_is_the_same(tmp_path, sample_layers):
    require("numba", extra="fast")
    from siteplan.measures import _nearest

    assert _nearest.available(), "the compiled path must run in this process"
    path = tmp_path / "geos.npz"
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False", "numba was imported after all"
    geos = dict(np.load(path))
    fast = {}
    for name in sp.list_profiles():
        fast.update(_numbers(sp.score(sample_layers, name), name))
    assert sorted(geos) == sorted(fast)
    assert any(k.endswith("/m_akses_jalan") for k in fast)     # a distance to lines
    for key in fast:
        np.testing.assert_array_equal(fast[key], geos[key], err_msg=key)
