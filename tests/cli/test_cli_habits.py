"""The command line behaves as GIS staff expect of a tool of the field.

Flags work before and after the subcommand, warnings of the library reach the
terminal (and ``-q`` silences them), a closed pipe ends the command quietly,
``python -m siteplan`` works, every failure has its own exit code, and no
command falls back to the sample without ``--sample``.
"""

from __future__ import annotations

import subprocess
import sys

import clikit
import geopandas as gpd
import pytest
import shapely

from siteplan.cli._common import EXIT_CODES

# the command in a child process (what only a process shows: -m, pipes, terminals), and in
# this process with a child's output, files and exit code (tests/support/clikit.py)
siteplan = clikit.child
in_process = clikit.siteplan


@pytest.fixture(scope="module")
def parcels_with_a_broken_row(tmp_path_factory):
    """Three parcels, one of them an empty polygon (rejected at load, with a warning)."""
    path = tmp_path_factory.mktemp("habits") / "persil.gpkg"
    x0, y0 = 620_000.0, 9_320_000.0
    gpd.GeoDataFrame({"parcel_id": ["A", "B", "R"], "ownership": ["pemda"] * 3,
                      "land_use": ["tanah_kosong"] * 3},
                     geometry=[shapely.box(x0, y0, x0 + 60, y0 + 60),
                               shapely.box(x0 + 200, y0, x0 + 260, y0 + 60),
                               shapely.Polygon()], crs="EPSG:32748").to_file(path)
    return path


def test_python_dash_m_siteplan_is_the_command():
    r = siteplan("--version", module="siteplan")
    assert r.returncode == 0 and r.stdout.startswith("siteplan ")
    assert r.stdout == siteplan("--version").stdout


def test_help_lists_every_exit_code():
    r = siteplan("--help")
    assert r.returncode == 0
    for code, meaning in EXIT_CODES.items():
        assert f"  {code}  {meaning}" in r.stdout
    assert len(set(EXIT_CODES)) == len(EXIT_CODES) == 7


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_and_verbose_work_on_either_side_of_the_subcommand(tmp_path, where):
    args = ["profiles", "export", "rth", tmp_path / "rth.toml"]
    quiet = ["-q", *args] if where == "before" else [*args, "--quiet"]
    r = in_process(*quiet)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and (tmp_path / "rth.toml").is_file()
    scored = ["score", "--sample", "--profile", "sentra_kuliner", "--out", tmp_path / "s.gpkg"]
    loud = ["-v", *scored] if where == "before" else [*scored, "-v"]
    r = in_process(*loud)
    assert r.returncode == 0, r.stderr
    # -v: the library's INFO messages reach stderr ("<profile>: n scored, ...")
    assert "sentra_kuliner:" in r.stderr and "scored" in r.stderr


def test_library_warnings_reach_the_terminal_unless_quiet(tmp_path, parcels_with_a_broken_row):
    args = ["score", "--profile", "sentra_kuliner", "--parcels", parcels_with_a_broken_row,
            "--skip-missing", "--out"]
    r = in_process(*args, tmp_path / "a.gpkg")
    assert r.returncode == 0, r.stderr
    assert "siteplan: warning: layer 'parcels': 1 features rejected ('empty geometry')" \
        in r.stderr
    r = in_process(*args, tmp_path / "b.gpkg", "-q")
    assert r.returncode == 0, r.stderr
    assert r.stderr == "" and r.stdout == ""


def test_a_closed_pipe_ends_the_command_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "siteplan", "profiles", "schema"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()          # the reader is gone before a byte is written (`| head -0`)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert b"BrokenPipe" not in err and b"internal error" not in err and err == b""


@pytest.mark.parametrize("command", [
    ["score", "--profile", "rth", "--out", "x.gpkg"],
    ["brief", "--profile", "rth", "--out", "x.html"],
    ["select", "--profile", "rth", "--out", "x.gpkg"],
    ["compare", "--out", "cmp"],
    ["allocate", "--demand", "rth=1", "--out", "x.gpkg"],
    ["serve"],
])
def test_no_command_falls_back_to_the_sample(tmp_path, command):
    r = in_process(*command, cwd=tmp_path)
    assert r.returncode == 2
    assert "--sample" in r.stderr and "--parcels" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_sample_and_files_together_is_bad_usage(tmp_path, parcels_with_a_broken_row):
    r = in_process("score", "--profile", "rth", "--sample", "--parcels",
                 parcels_with_a_broken_row, "--out", tmp_path / "x.gpkg")
    assert r.returncode == 2 and "not both" in r.stderr


def test_distinct_exit_codes(tmp_path):
    assert in_process("score", "--no-such-option").returncode == 2            # usage
    r = in_process("score", "--sample", "--profile", "no_such_profile", "--out",
                 tmp_path / "x.gpkg")
    assert r.returncode == 3 and "no_such_profile" in r.stderr              # bad input
    (tmp_path / "taken.toml").write_text("mine\n")
    r = in_process("profiles", "export", "rth", tmp_path / "taken.toml")
    assert r.returncode == 5 and "--overwrite" in r.stderr                  # output exists
    assert (tmp_path / "taken.toml").read_text() == "mine\n"


def _stderr_on(terminal: bool, *args) -> tuple[int, str]:
    """Run the command with stderr on a pseudo-terminal (or a pipe); what stderr got."""
    import os
    import pty

    if not terminal:
        r = siteplan(*args)
        return r.returncode, r.stderr
    import fcntl
    import struct
    import termios

    main_fd, sub_fd = pty.openpty()
    # a terminal of 24 x 100 characters, as a console has (a new pty has no size)
    fcntl.ioctl(sub_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "siteplan", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=sub_fd)
    os.close(sub_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:      # the terminal closed: the command ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    return proc.wait(timeout=600), b"".join(chunks).decode("utf-8", "replace")


def test_progress_is_shown_on_a_terminal_only(tmp_path):
    args = ["score", "--sample", "--profile", "sentra_kuliner", "--out"]
    code, err = _stderr_on(True, *args, tmp_path / "a.gpkg")
    assert code == 0, err
    assert "sentra_kuliner: criteria" in err and "criterion/s" in err   # a tqdm bar
    code, err = _stderr_on(False, *args, tmp_path / "b.gpkg")
    assert code == 0, err
    assert "criteria" not in err and "\r" not in err                    # a pipe: no bar
    code, err = _stderr_on(True, *args, tmp_path / "c.gpkg", "-q")
    assert code == 0 and "criteria" not in err                          # -q: no bar
