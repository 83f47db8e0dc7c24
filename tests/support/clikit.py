"""The ``siteplan`` command run inside the test's own process.

A child process pays for importing geopandas, pyogrio and the compiled search
again at every command (1-3 s each); most command-line tests only need what
the command prints, writes and returns. :func:`siteplan` runs
``siteplan.cli.main`` with the process state a fresh interpreter would give it:
its own working folder, standard output and error captured as
text (not a terminal), Python's default warning filters instead of the suite's
``error``, and exit codes as the interpreter would report them (argparse's
``SystemExit`` included). What only a real process shows (the installed entry
point, a terminal's progress bar, a second process reading the compile cache,
signals) keeps its subprocess tests (tests/cli/test_cli.py,
tests/cli/test_cli_habits.py, tests/measures/test_numba_cache.py).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import traceback
import warnings
from pathlib import Path


def _fresh_warning_filters() -> None:
    """The filters of a fresh interpreter without -W (Python's documented defaults)."""
    warnings.resetwarnings()
    warnings.simplefilter("default")
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning,
                     DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")


def siteplan(*args: object, cwd: str | Path | None = None) -> subprocess.CompletedProcess:
    """``siteplan ARGS`` as a completed process (returncode, stdout, stderr), run in-process."""
    from siteplan.cli import main

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    folder = contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext()
    with folder, warnings.catch_warnings(), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        _fresh_warning_filters()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help, --version, a usage error
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                print(exc.code, file=sys.stderr)
        except Exception:  # uncaught (--debug): the interpreter prints it and exits with 1
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(["siteplan", *argv], int(code or 0), out.getvalue(),
                                       err.getvalue())


def child(*args: object, module: str = "siteplan.cli", **kw) -> subprocess.CompletedProcess:
    """``python -m MODULE ARGS`` in a child process, its output captured as text: for what
    only a real process shows (the entry point, ``-m``, pipes, a first run, bad files)."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)],
                          capture_output=True, text=True, timeout=600, **kw)
