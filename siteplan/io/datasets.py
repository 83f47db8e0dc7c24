"""Real public data, downloaded at run time: Kota Serang's administrative boundaries.

siteplan does not ship real boundaries. :func:`serang_admin` downloads the
kelurahan (urban village) boundaries of Kota Serang from a pinned commit of
`cahyadsn/wilayah_boundaries <https://github.com/cahyadsn/wilayah_boundaries>`_
(MIT licence, (c) cahya dsn), checks the file's SHA-256, keeps it in the
user's cache folder and turns it into a GeoDataFrame of kelurahan, kecamatan
or the whole city.

Downloading, checking and caching are `pooch <https://www.fatiando.org/pooch>`_'s
(a file is written under a temporary name and moved in place only when its
checksum matches); the cache folder is ``$SITEPLAN_CACHE_DIR`` when set,
otherwise the user's cache folder as `platformdirs
<https://platformdirs.readthedocs.io>`_ names it (``~/.cache/siteplan`` or
``$XDG_CACHE_HOME/siteplan`` on Linux, ``~/Library/Caches/siteplan`` on
macOS, ``%LOCALAPPDATA%\\siteplan`` on Windows). Without internet access,
download the file by other means and pass it as ``source=``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import Problem, SiteplanInputError
from .admin import KOTA_KODE as _KOTA_KODE
from .admin import KOTA_NAMA as _KOTA_NAMA
from .admin import SERANG_KECAMATAN, dissolve, parent_code

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pyproj

__all__ = [
    "SERANG_KEL_URL",
    "SERANG_KEL_SHA256",
    "SERANG_KECAMATAN",
    "ATTRIBUTION",
    "cache_dir",
    "fetch_serang_boundaries",
    "serang_admin",
]

log = logging.getLogger(__name__)

#: Pinned source: the kelurahan of Kota Serang (36.73) at one commit.
SERANG_KEL_URL = (
    "https://raw.githubusercontent.com/cahyadsn/wilayah_boundaries/"
    "3c5a7960f4d227a38489094d84252bdbb3f978a5/db/kel/36/wilayah_boundaries_kel_36.73.sql"
)
#: SHA-256 of the pinned file (176,101 bytes).
SERANG_KEL_SHA256 = "65ba709ec7a84de7363d7f652d7a0dc0e8c9eef63de6a4e348dd3f7744eff622"
_SERANG_KEL_SIZE = 176_101
_FILE_NAME = "wilayah_boundaries_kel_36.73.sql"

ATTRIBUTION = (
    "Boundaries: cahyadsn/wilayah_boundaries (commit 3c5a796), MIT licence, "
    "(c) 2025 cahya dsn"
)

_WHERE = "sp.datasets.serang_admin"
_LEVELS = ("kelurahan", "kecamatan", "kota")
_CHUNK = 64 * 1024
_MAX_BYTES = 64 * 1024 * 1024  # refuse to fill the disk with a wrong answer
_URL_SCHEMES = {"http", "https", "file", "ftp"}
_NEGLIGIBLE_DEG2 = 1e-10  # about 1.2 m² at Serang's latitude
_USER_AGENT = "siteplan (pooch)"


# ------------------------------------------------------------------ the cache


def cache_dir() -> Path:
    """The folder where siteplan keeps downloaded files.

    ``$SITEPLAN_CACHE_DIR`` when set; otherwise the user's cache folder for
    siteplan as ``platformdirs.user_cache_dir`` names it: ``~/.cache/siteplan``
    (or ``$XDG_CACHE_HOME/siteplan``) on Linux, ``~/Library/Caches/siteplan``
    on macOS, ``%LOCALAPPDATA%\\siteplan`` on Windows. The folder is not
    created here.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import siteplan as sp
    >>> sp.datasets.cache_dir().is_absolute()
    True
    """
    env = os.environ.get("SITEPLAN_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("siteplan", appauthor=False, opinion=False))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_url(source: str | PathLike) -> bool:
    if not isinstance(source, str):
        return False
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    # a one-letter "scheme" is a Windows drive letter (C:\...)
    return len(scheme) > 1 and scheme in _URL_SCHEMES


def _offline_fix(url: str) -> str:
    return (f"download {url} by other means (a browser, another computer) and pass "
            f"the file: sp.datasets.serang_admin(source='path/to/{_FILE_NAME}'); or copy "
            f"it into the cache folder {cache_dir()} (set SITEPLAN_CACHE_DIR to choose "
            "another)")


class _Bounded:
    """The file pooch's downloader writes to: hashed and counted on the way, and bounded."""

    def __init__(self, fh, url: str):
        self.fh, self.url = fh, url
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, block: bytes) -> int:
        self.size += len(block)
        if self.size > _MAX_BYTES:
            raise SiteplanInputError(Problem(
                _WHERE, f"the download from {self.url} is larger than "
                f"{_MAX_BYTES // 2**20} MiB, which is not the expected file", "check the URL"))
        self.digest.update(block)
        return self.fh.write(block)

    def flush(self) -> None:
        self.fh.flush()


class _Downloader:
    """A pooch downloader that remembers what it fetched (for the checksum's message).

    ``http``, ``https`` and ``ftp`` go through pooch's own downloaders;
    ``file://`` URLs (a copy on a shared drive) are read with the standard
    library.
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.fetched: _Bounded | None = None

    def __call__(self, url: str, output_file: Any, pooch: Any = None) -> None:
        import pooch as _pooch

        with open(output_file, "wb") as fh:
            out = self.fetched = _Bounded(fh, url)
            if urllib.parse.urlsplit(url).scheme.lower() == "file":
                with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                    while block := response.read(_CHUNK):
                        out.write(block)
                return
            if url.lower().startswith(("http://", "https://")):
                inner = _pooch.HTTPDownloader(timeout=self.timeout, progressbar=False,
                                              headers={"User-Agent": _USER_AGENT})
            else:
                inner = _pooch.choose_downloader(url, progressbar=False)
            inner(url, out, pooch)


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs each download to stderr; siteplan stays silent unless asked (its own log)."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _retrieve(url: str, folder: Path, name: str, *, sha256: str | None,
              timeout: float) -> Path:
    """Download ``url`` into ``folder/name`` with pooch (checked), or raise a clear error."""
    import pooch
    import requests

    where = _WHERE
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiteplanInputError(Problem(
            where, f"cannot write to the cache folder '{folder}' ({exc})",
            "set the environment variable SITEPLAN_CACHE_DIR to a folder you can write to, "
            "or pass a local copy of the file as source=")) from None
    downloader = _Downloader(timeout)
    log.info("downloading %s to %s", url, folder / name)
    try:
        with _quiet_pooch():
            path = pooch.retrieve(url, known_hash=None if sha256 is None else
                                  f"sha256:{sha256.lower()}", fname=name, path=folder,
                                  downloader=downloader, progressbar=False)
    except SiteplanInputError:
        raise                            # too large: said by _Bounded
    except requests.exceptions.HTTPError as exc:
        response = exc.response
        status = f"{response.status_code} {response.reason}" if response is not None else exc
        raise SiteplanInputError(Problem(
            where, f"could not download {url}: the server answered HTTP {status}",
            _offline_fix(url))) from None
    except requests.exceptions.Timeout as exc:
        raise SiteplanInputError(Problem(
            where, f"could not download {url} ({type(exc).__name__}: {exc} after a "
            f"timeout of {timeout:g} s); no copy is in the cache",
            _offline_fix(url) + "; or pass a longer timeout=")) from None
    except (requests.exceptions.RequestException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SiteplanInputError(Problem(
            where, f"could not download {url} ({reason}); no copy is in the cache",
            _offline_fix(url))) from None
    except ValueError as exc:            # pooch: the checksum does not match
        got = downloader.fetched
        if sha256 is None or got is None:
            raise
        expected = (f", expected {_SERANG_KEL_SIZE:,}"
                    if sha256.lower() == SERANG_KEL_SHA256 else "")
        raise SiteplanInputError(Problem(
            where, f"the file downloaded from {url} has SHA-256 {got.digest.hexdigest()} "
            f"({got.size:,} bytes{expected}), not the pinned {sha256}; it was deleted",
            "try again later; if it persists the source changed or the download is "
            "intercepted (a proxy, a captive portal): download the file by other means, "
            "check it, and pass it as source= (or pass sha256=None to accept it unchecked)"
        )) from exc
    if downloader.fetched is not None:
        log.info("saved %s (%d bytes, sha256 %s)", path, downloader.fetched.size,
                 downloader.fetched.digest.hexdigest())
    return Path(path)


def fetch_serang_boundaries(
    source: str | PathLike | None = None,
    *,
    sha256: str | None = SERANG_KEL_SHA256,
    timeout: float = 30.0,
) -> Path:
    """The local path of the Kota Serang kelurahan SQL file, downloading it when needed.

    Parameters
    ----------
    source
        None (default) for the pinned GitHub URL; a URL (``https://``,
        ``http://``, ``file://``) to download from instead; or the path of a
        local copy of ``wilayah_boundaries_kel_36.73.sql``, used as it is
        (not copied into the cache).
    sha256
        The expected SHA-256 of the file. A downloaded file that does not
        match is deleted and an error raised; a cached copy that does not
        match is downloaded again. ``None`` accepts any content (a warning is
        logged) and downloads every time.
    timeout
        Seconds to wait for the server before giving up.

    Returns
    -------
    pathlib.Path
        A checked file: the cached download, or ``source`` when it is a path.

    Raises
    ------
    SiteplanInputError
        When the file cannot be downloaded and is not cached (the message
        says how to pass a local copy), when its checksum is wrong, or when a
        local ``source`` does not exist.
    """
    where = _WHERE
    if source is not None and not _is_url(source):
        path = Path(source).expanduser()
        if not path.is_file():
            raise SiteplanInputError(Problem(
                where, f"source file '{path}' does not exist or is not a file",
                f"pass the path of {_FILE_NAME}, a URL, or nothing to download it"))
        if sha256 is None:
            log.warning("using %s without checking its SHA-256", path)
            return path
        got = _sha256_file(path)
        if got != sha256.lower():
            raise SiteplanInputError(Problem(
                where, f"source file '{path}' has SHA-256 {got}, not the pinned {sha256}",
                f"use an unchanged copy of {SERANG_KEL_URL}, or pass sha256=None to use this "
                "file unchecked"))
        return path

    url = SERANG_KEL_URL if source is None else str(source)
    if sha256 is None:
        key = hashlib.sha256(url.encode()).hexdigest()[:16]
        name = f"unverified-{key}-{_FILE_NAME}"
        log.warning("downloading %s without checking its SHA-256", url)
        (cache_dir() / name).unlink(missing_ok=True)     # unchecked: fetched every time
        return _retrieve(url, cache_dir(), name, sha256=None, timeout=timeout)
    target = cache_dir() / _FILE_NAME
    if target.is_file() and _sha256_file(target) != sha256.lower():
        log.warning("cached %s has a wrong SHA-256; downloading it again", target)
    return _retrieve(url, cache_dir(), _FILE_NAME, sha256=sha256, timeout=timeout)


# ------------------------------------------------------------ the SQL parser


class _SqlSyntaxError(Exception):
    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.pos = pos


class _Scanner:
    """A small scanner for MySQL ``INSERT ... VALUES`` dumps: strings, numbers, NULL."""

    _ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "Z": "\x1a"}

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def error(self, expected: str) -> _SqlSyntaxError:
        found = self.text[self.pos:self.pos + 20]
        found = repr(found) if found else "the end of the file"
        return _SqlSyntaxError(f"expected {expected} but found {found}", self.pos)

    def skip(self) -> None:
        """Skip white space and comments (``/* */``, ``-- ``, ``#``)."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch.isspace():
                self.pos += 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise _SqlSyntaxError("a /* comment is never closed", self.pos)
                self.pos = end + 2
            elif text.startswith("--", self.pos) or ch == "#":
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            else:
                return

    def at_end(self) -> bool:
        self.skip()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos:self.pos + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"'{char}'")
        self.pos += 1

    def word(self) -> str:
        """An identifier or keyword, optionally in backquotes."""
        self.skip()
        text, start = self.text, self.pos
        if text.startswith("`", start):
            end = text.find("`", start + 1)
            if end < 0:
                raise self.error("a closing backquote")
            self.pos = end + 1
            return text[start + 1:end]
        end = start
        while end < len(text) and (text[end].isalnum() or text[end] in "_$."):
            end += 1
        if end == start:
            raise self.error("a name")
        self.pos = end
        return text[start:end]

    def string(self) -> str:
        """A single-quoted string; ``''`` and backslash escapes are understood."""
        text, n = self.text, len(self.text)
        start = self.pos
        self.pos += 1  # the opening quote
        parts: list[str] = []
        run = self.pos
        while self.pos < n:
            ch = text[self.pos]
            if ch == "\\" and self.pos + 1 < n:
                parts.append(text[run:self.pos])
                nxt = text[self.pos + 1]
                parts.append(self._ESCAPES.get(nxt, nxt))
                self.pos += 2
                run = self.pos
            elif ch == "'":
                if text.startswith("''", self.pos):
                    parts.append(text[run:self.pos + 1])
                    self.pos += 2
                    run = self.pos
                else:
                    parts.append(text[run:self.pos])
                    self.pos += 1
                    return "".join(parts)
            else:
                self.pos += 1
        raise _SqlSyntaxError("a quoted string is never closed", start)

    def value(self) -> str | float | None:
        ch = self.peek()
        if ch == "'":
            return self.string()
        text, start = self.text, self.pos
        end = start
        while end < len(text) and (text[end].isalnum() or text[end] in "+-."):
            end += 1
        token = text[start:end]
        if token.upper() == "NULL":
            self.pos = end
            return None
        # a number; float() alone would also take 'inf' and 'nan'
        if token[:1].isdigit() or token[:1] in {"+", "-", "."}:
            try:
                number = float(token)
            except ValueError:
                pass
            else:
                self.pos = end
                return number
        raise self.error("a quoted string, a number or NULL")

    def skip_statement(self) -> None:
        """Skip to just after the next ``;`` that is outside a string."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch == "'":
                self.string()
            elif ch == ";":
                self.pos += 1
                return
            elif text.startswith("/*", self.pos) or text.startswith("--", self.pos):
                self.skip()
            else:
                self.pos += 1

    def line_col(self, pos: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, pos) + 1
        return line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1


def _insert_rows(text: str, table: str = "wilayah_boundaries") -> Iterator[tuple[int, dict]]:
    """Yield (line number, {column: value}) for every row inserted into ``table``.

    Other statements (``DELETE``, ``CREATE``, ``SET``, ...) are skipped.
    """
    sc = _Scanner(text)
    while not sc.at_end():
        start = sc.pos
        keyword = sc.word().upper() if (sc.peek().isalpha() or sc.peek() == "`") else ""
        if keyword not in {"INSERT", "REPLACE"}:
            sc.pos = start
            sc.skip_statement()
            continue
        word = sc.word().upper()
        while word in {"IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"}:
            word = sc.word().upper()
        if word != "INTO":
            raise sc.error("INTO")
        name = sc.word().rsplit(".", 1)[-1]
        if name.lower() != table:
            log.debug("skipping an INSERT into table %r", name)
            sc.pos = start
            sc.skip_statement()
            continue
        columns: list[str] = []
        sc.expect("(")
        while True:
            columns.append(sc.word().lower())
            if sc.peek() == ",":
                sc.pos += 1
                continue
            sc.expect(")")
            break
        if sc.word().upper() not in {"VALUES", "VALUE"}:
            raise sc.error("VALUES")
        while True:
            sc.expect("(")
            row_pos = sc.pos
            values: list[Any] = []
            while True:
                values.append(sc.value())
                if sc.peek() == ",":
                    sc.pos += 1
                    continue
                sc.expect(")")
                break
            if len(values) != len(columns):
                raise _SqlSyntaxError(f"a row has {len(values)} values for {len(columns)} "
                                      f"columns ({', '.join(columns)})", row_pos)
            yield sc.line_col(row_pos)[0], dict(zip(columns, values, strict=True))
            nxt = sc.peek()
            if nxt == ",":
                sc.pos += 1
                continue
            if nxt == ";" or nxt == "":
                sc.pos += 1
                break
            raise sc.error("',' or ';' after a row")


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value:
        depth += 1
        value = value[0]
    return depth


def _polygon_parts(path: Any) -> list[list[list]]:
    """Normalise a path to a list of polygons, each a list of rings of [lat, lng]."""
    if not isinstance(path, list) or not path:
        raise ValueError("the path is not a non-empty JSON array")
    depth = _depth(path)
    if depth == 2:  # one ring
        return [[path]]
    if depth == 3:  # one polygon: exterior ring, then holes
        return [path]
    if depth == 4:  # a multipolygon
        return path
    raise ValueError(f"the path is nested {depth} deep; expected 2 (a ring), 3 (a polygon) "
                     "or 4 (a multipolygon) levels of [lat, lng] pairs")


def _ring_lonlat(ring: Any):
    import numpy as np

    if not isinstance(ring, list):
        raise ValueError("a ring is not a JSON array")
    try:
        coords = np.asarray(ring, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("a ring holds something other than [lat, lng] number pairs") from None
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError("a ring holds something other than [lat, lng] number pairs")
    if not np.isfinite(coords).all():
        raise ValueError("a ring holds a coordinate that is not a finite number")
    lat, lng = coords[:, 0], coords[:, 1]
    if (np.abs(lat) > 90).any():
        raise ValueError(f"a latitude reaches {lat[np.abs(lat) > 90][0]:g}: the path must be "
                         "[lat, lng] pairs, but these look like [lng, lat]")
    if (np.abs(lng) > 180).any():
        raise ValueError(f"a longitude reaches {lng[np.abs(lng) > 180][0]:g}")
    closed = coords if (coords[0] == coords[-1]).all() else np.vstack([coords, coords[:1]])
    if len(np.unique(closed, axis=0)) < 3:
        return None  # degenerate: fewer than 3 distinct points
    return closed[:, ::-1]  # [lat, lng] -> (lon, lat)


def _geometry_from_path(path_text: str):
    import shapely

    try:
        path = json.loads(path_text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the path is not valid JSON ({exc.msg} at character {exc.pos})") \
            from None
    polygons = []
    dropped = 0
    for part in _polygon_parts(path):
        rings = [_ring_lonlat(r) for r in part]
        if rings[0] is None:
            dropped += len(rings)
            continue
        holes = [r for r in rings[1:] if r is not None]
        dropped += sum(r is None for r in rings[1:])
        polygons.append(shapely.Polygon(rings[0], holes))
    if not polygons:
        raise ValueError("the path has no ring with 3 or more distinct points")
    geom = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
    return geom, dropped


def _parse_wilayah_sql(text: str, *, name: str = "source") -> gpd.GeoDataFrame:
    """Parse a cahyadsn ``wilayah_boundaries`` SQL dump into an EPSG:4326 GeoDataFrame.

    Columns ``kode``, ``nama``, ``geometry``. The ``path`` column is JSON in
    [lat, lng] order and is swapped to (lon, lat). Invalid polygons are made
    valid (and logged).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    where = f"{_WHERE}: file '{name}'"
    fix = (f"use an unchanged copy of {_FILE_NAME} from cahyadsn/wilayah_boundaries "
           "(delete the cached copy to download it again)")
    problems: list[Problem] = []
    kode, nama, geoms = [], [], []
    try:
        for line, row in _insert_rows(text):
            missing = [c for c in ("kode", "nama", "path") if c not in row]
            if missing:
                raise SiteplanInputError(Problem(
                    where, f"line {line}: the INSERT has no column {', '.join(missing)} "
                    f"(it has {', '.join(row)})", fix))
            if not isinstance(row["kode"], str) or not isinstance(row["path"], str):
                problems.append(Problem(where, f"line {line}: kode and path must be quoted "
                                        f"strings (kode is {row['kode']!r})", fix))
                continue
            try:
                geom, dropped = _geometry_from_path(row["path"])
            except ValueError as exc:
                problems.append(Problem(where, f"line {line} (kode {row['kode']}): {exc}", fix))
                continue
            if dropped:
                log.info("%s, kode %s: dropped %d degenerate ring(s) with fewer than 3 "
                         "distinct points", name, row["kode"], dropped)
            kode.append(row["kode"].strip())
            nama.append(str(row["nama"]).strip() if row["nama"] is not None else None)
            geoms.append(geom)
    except _SqlSyntaxError as exc:
        line, col = _Scanner(text).line_col(exc.pos)
        raise SiteplanInputError(Problem(where, f"line {line}, column {col}: {exc}", fix)) \
            from None
    if problems:
        raise SiteplanInputError(problems)
    if not kode:
        raise SiteplanInputError(Problem(
            where, "holds no INSERT INTO wilayah_boundaries(...) rows", fix))

    arr = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_valid(arr)
    if invalid.any():
        reasons = shapely.is_valid_reason(arr[invalid])
        fixed = shapely.make_valid(arr[invalid])
        # keep the polygonal part (make_valid may add stray lines or points)
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        for k, why in zip(np.asarray(kode, dtype=object)[invalid], reasons, strict=True):
            log.info("%s, kode %s: invalid polygon (%s) repaired with shapely.make_valid",
                     name, k, why)
        arr[invalid] = fixed
    return gpd.GeoDataFrame({"kode": kode, "nama": nama}, geometry=list(arr), crs="EPSG:4326")


def _polygonal(geom):
    import shapely

    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# ----------------------------------------------------------------- the public API


def serang_admin(
    level: str = "kelurahan",
    *,
    source: str | PathLike | None = None,
    to_crs: str | int | pyproj.CRS | None = None,
    fill_gaps: bool = True,
    sha256: str | None = SERANG_KEL_SHA256,
    timeout: float = 30.0,
) -> gpd.GeoDataFrame:
    """Real administrative boundaries of Kota Serang: kelurahan, kecamatan or the city.

    The 67 kelurahan come from `cahyadsn/wilayah_boundaries
    <https://github.com/cahyadsn/wilayah_boundaries>`_ at a pinned commit
    (MIT licence, (c) cahya dsn; codes of Kepmendagri 300.2.2-2138/2025). The
    file is downloaded once, checked against its SHA-256 and kept in the cache
    folder (see :func:`cache_dir`). Kecamatan and the city are the kelurahan
    dissolved. Neighbouring kelurahan leave small slivers and overlaps (about
    0.1 km² each in all): real data is like that. The kelurahan are returned as
    published; when dissolving, the gaps between them are filled (see
    ``fill_gaps``).

    The result can be passed to ``sp.load_layers(admin=...)``.

    Parameters
    ----------
    level
        ``"kelurahan"`` (67 units), ``"kecamatan"`` (6) or ``"kota"`` (1).
    source
        None (default) to download the pinned file (or use the cached copy);
        a URL (``https://``, ``file://``) to download from instead; or the path
        of a local copy of ``wilayah_boundaries_kel_36.73.sql``, for a machine
        without internet access.
    to_crs
        Reproject the result, e.g. ``32748`` for UTM 48S (metres). Default:
        keep EPSG:4326 (lon, lat).
    fill_gaps
        For ``"kecamatan"`` and ``"kota"``: fill the holes that dissolving
        leaves where neighbouring kelurahan do not quite meet (226 holes,
        0.09 km², for the city). A hole mostly covered by other kelurahan
        (an enclave) is always kept. ``False`` keeps the plain union.
    sha256
        Expected SHA-256 of the file; ``None`` accepts any content unchecked.
    timeout
        Seconds to wait for the server.

    Returns
    -------
    geopandas.GeoDataFrame
        Sorted by ``kode``. Kelurahan: ``kode`` (e.g. ``36.73.02.1007``),
        ``nama``, ``level``, ``kecamatan`` (its kecamatan's name),
        ``geometry``. Kecamatan: ``kode`` (e.g. ``36.73.02``), ``nama``,
        ``level``, ``geometry``. Kota: one row, ``kode`` ``36.73``, ``nama``
        ``Kota Serang``. ``.attrs["attribution"]`` holds the credit line to
        show on maps.

    Raises
    ------
    SiteplanInputError
        For an unknown ``level``; when the file can be neither downloaded nor
        found in the cache (the message says how to pass a local copy); when
        its checksum is wrong; when it cannot be parsed.

    Examples
    --------
    >>> import siteplan as sp
    >>> kec = sp.datasets.serang_admin("kecamatan", to_crs=32748)  # doctest: +SKIP
    >>> kec["nama"].tolist()  # doctest: +SKIP
    ['Serang', 'Kasemen', 'Walantaka', 'Curug', 'Cipocok Jaya', 'Taktakan']
    >>> layers = sp.load_layers(admin=kec)  # doctest: +SKIP
    """
    if not isinstance(level, str) or level.strip().lower() not in _LEVELS:
        raise SiteplanInputError(Problem(
            _WHERE, f"level={level!r} is not a known level",
            f"use one of {', '.join(repr(v) for v in _LEVELS)}"))
    level = level.strip().lower()
    crs = None
    if to_crs is not None:
        import pyproj

        try:
            crs = pyproj.CRS.from_user_input(to_crs)
        except pyproj.exceptions.CRSError as exc:
            raise SiteplanInputError(Problem(
                _WHERE, f"to_crs={to_crs!r} is not a CRS ({exc})",
                "pass an EPSG code such as 32748, a string like 'EPSG:32748', or None"))\
                from None

    path = fetch_serang_boundaries(source, sha256=sha256, timeout=timeout)
    text = path.read_bytes().decode("utf-8", errors="replace")
    kel = _parse_wilayah_sql(text, name=path.name)
    kel = _with_kecamatan(kel, name=path.name)

    if level == "kelurahan":
        out = kel[["kode", "nama", "level", "kecamatan", "geometry"]]
    elif level == "kecamatan":
        out = dissolve(kel, parent_code(kel["kode"], "kecamatan"), "kecamatan",
                       fill_gaps=fill_gaps, degrees=True)
        out["nama"] = out["kode"].map(SERANG_KECAMATAN)
    else:
        out = dissolve(kel, [_KOTA_KODE] * len(kel), "kota", fill_gaps=fill_gaps, degrees=True)
        out["nama"] = _KOTA_NAMA
    out = out[["kode", "nama", "level", *(["kecamatan"] if level == "kelurahan" else []),
               "geometry"]]
    out = out.sort_values("kode", ignore_index=True)
    if crs is not None:
        out = _reproject(out, crs)
    out.attrs["attribution"] = ATTRIBUTION
    out.attrs["source"] = SERANG_KEL_URL if source is None else str(source)
    return out


def _reproject(gdf: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Reproject, repairing (and logging) polygons that rounding made invalid."""
    import geopandas as gpd

    out = gdf.to_crs(crs)
    invalid = ~out.is_valid.to_numpy()
    if invalid.any():
        for k in out["kode"].to_numpy()[invalid]:
            log.info("kode %s became invalid when reprojected to %s; repaired with "
                     "shapely.make_valid", k, crs.name)
        geoms = out.geometry.to_numpy().copy()
        geoms[invalid] = [_polygonal(g) for g in out.geometry[invalid].make_valid()]
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out


def _with_kecamatan(kel: gpd.GeoDataFrame, *, name: str) -> gpd.GeoDataFrame:
    where = f"{_WHERE}: file '{name}'"
    parts = kel["kode"].str.split(".")
    bad_shape = parts.str.len() != 4
    kec_code = parent_code(kel["kode"], "kecamatan")
    unknown = ~bad_shape & ~kec_code.isin(list(SERANG_KECAMATAN))
    problems = []
    if bad_shape.any():
        problems.append(Problem(where, f"codes {kel.loc[bad_shape, 'kode'].tolist()[:5]} are "
                                "not kelurahan codes (like 36.73.02.1007)",
                                f"use the kelurahan file {_FILE_NAME}"))
    if unknown.any():
        problems.append(Problem(where, f"codes {kel.loc[unknown, 'kode'].tolist()[:5]} are not "
                                "in Kota Serang's kecamatan 36.73.01-36.73.06",
                                f"use the Kota Serang file {_FILE_NAME}"))
    dup = kel["kode"].duplicated(keep=False)
    if dup.any():
        problems.append(Problem(where, f"codes {sorted(set(kel.loc[dup, 'kode']))[:5]} occur "
                                "more than once", f"use an unchanged copy of {_FILE_NAME}"))
    if problems:
        raise SiteplanInputError(problems)
    kel = kel.copy()
    kel["level"] = "kelurahan"
    kel["kecamatan"] = kec_code.map(SERANG_KECAMATAN)
    return kel
