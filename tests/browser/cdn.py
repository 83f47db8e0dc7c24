"""Serve the CDN files of a folium 0.20 map from ``tests/browser/node_modules``.

Used by ``tests/browser/test_browser.py`` and ``bench/bench_map.py`` through Playwright's
``page.route``: every request of the page goes to :func:`handle`, which answers
CDN files from the npm packages in ``package.json`` (installed with
``npm ci --prefix tests/browser``), tiles with a blank PNG, and aborts
anything else, recording it.

URL -> local file (``node_modules/...``):

- ``cdn.jsdelivr.net/npm/<pkg>@<ver>/<path>`` -> ``<pkg>/<path>`` (leaflet 1.9.3,
  bootstrap 5.2.2, @fortawesome/fontawesome-free 6.2.0, leaflet.fullscreen 3.0.0;
  the version installed must be the one in the URL; a ``.min`` file that the
  package does not ship, which jsDelivr minifies on the fly, is served unminified)
- ``code.jquery.com/jquery-3.7.1.min.js`` -> ``jquery/dist/jquery.min.js``
- ``cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/...`` ->
  ``drmonty-leaflet-awesome-markers/{js,css}/...`` (Leaflet.awesome-markers 2.0.2 is
  on npm only as this shim of the same release; ``leaflet.awesome-markers`` has
  2.0.0, 2.0.4 and 2.0.5)
- ``cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/X.js|css`` ->
  ``leaflet-minimap/dist/X.min.js|css`` (npm ships only the minified files)
- ``cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/...`` ->
  ``leaflet-measure/dist/...`` (the same release on npm; no ``.min.css`` there)
- ``netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css``: Bootstrap
  3.0.0 is not on npm (it starts at 3.1.1); served as the Glyphicons rules cut out
  of ``bootstrap3`` (npm alias of bootstrap 3.4.1), fonts from its ``dist/fonts``
- ``cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js`` -> ``d3/d3.min.js`` (only
  ``GeoDataFrame.explore``'s legend loads it, for ``bench/bench_map.py``)
- ``cdn.jsdelivr.net/gh/python-visualization/folium/.../leaflet.awesome.rotate.min.css``:
  a file of folium's GitHub repository, not on npm; it only rotates awesome-marker
  icons, which siteplan maps do not use: served as an empty stylesheet.
"""

from __future__ import annotations

import mimetypes
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"

TILE_HOSTS = ("tile.openstreetmap.org", "server.arcgisonline.com", "basemaps.cartocdn.com")

#: the scripts a siteplan map needs; the test fails when one was not served from disk
NEEDED_SCRIPTS = (
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    "https://code.jquery.com/jquery-3.7.1.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.js",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js",
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.js",
)


def blank_png(size: int = 256, rgb: tuple[int, int, int] = (238, 240, 242)) -> bytes:
    """A plain PNG tile (no imaging library needed)."""
    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(
        b"IEND", b"")


def _installed_version(package: str) -> str | None:
    meta = MODULES / package / "package.json"
    if not meta.is_file():
        return None
    found = re.search(r'"version"\s*:\s*"([^"]+)"', meta.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def _file(path: Path) -> Path | None:
    if path.is_file():
        return path
    name = path.name
    for a, b in ((".min.js", ".js"), (".min.css", ".css"), (".js", ".min.js"),
                 (".css", ".min.css")):
        if name.endswith(a):
            alt = path.with_name(name[: -len(a)] + b)
            if alt.is_file():
                return alt
    return None


def _glyphicons_css() -> bytes:
    css = (MODULES / "bootstrap3" / "dist" / "css" / "bootstrap.css").read_text("utf-8")
    face = re.search(r"@font-face\s*{[^}]*Glyphicons Halflings[^}]*}", css)
    rules = re.findall(r"(?m)^\.glyphicon[^{]*{[^}]*}", css)
    return ((face.group(0) + "\n" if face else "") + "\n".join(rules)).encode()


def local_file(url: str) -> tuple[bytes, str] | None:
    """(body, content type) for a CDN URL of a folium map, or None when unknown."""
    url = url.split("?", 1)[0].split("#", 1)[0]
    m = re.match(r"https://cdn\.jsdelivr\.net/npm/((?:@[^/]+/)?[^@/]+)@([^/]+)/(.+)", url)
    path: Path | None = None
    if m:
        package, version, rest = m.groups()
        if _installed_version(package) != version:
            return None
        path = _file(MODULES / package / rest)
    elif url == "https://code.jquery.com/jquery-3.7.1.min.js":
        path = MODULES / "jquery" / "dist" / "jquery.min.js" \
            if _installed_version("jquery") == "3.7.1" else None
    elif url.startswith("https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"):
        rest = url.rsplit("/2.0.2/", 1)[1]
        base = MODULES / "drmonty-leaflet-awesome-markers"
        sub = "css/" if rest.endswith(".css") or rest.startswith("images/") else "js/"
        path = _file(base / (sub + rest))
    elif url.startswith("https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/"):
        if _installed_version("leaflet-minimap") == "3.6.1":
            path = _file(MODULES / "leaflet-minimap" / "dist" / url.rsplit("/3.6.1/", 1)[1])
    elif url.startswith("https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/"):
        if _installed_version("leaflet-measure") == "2.1.7":
            path = _file(MODULES / "leaflet-measure" / url.rsplit("@2.1.7/", 1)[1])
    elif url == "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js":
        path = MODULES / "d3" / "d3.min.js" if _installed_version("d3") == "3.5.5" else None
    elif url == "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css":
        if (MODULES / "bootstrap3" / "dist" / "css" / "bootstrap.css").is_file():
            return _glyphicons_css(), "text/css"
    elif url.startswith("https://netdna.bootstrapcdn.com/bootstrap/3.0.0/fonts/"):
        path = _file(MODULES / "bootstrap3" / "dist" / "fonts" / url.rsplit("/", 1)[1])
    elif url.startswith("https://cdn.jsdelivr.net/gh/python-visualization/folium/") and \
            url.endswith("leaflet.awesome.rotate.min.css"):
        return b"/* not on npm; unused by siteplan maps */\n", "text/css"
    if path is None or not path.is_file():
        return None
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        kind = "application/javascript"
    return path.read_bytes(), kind


def page_assets(html: str) -> list[str]:
    """The external scripts and stylesheets a saved map loads."""
    return sorted(set(re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', html)))


def missing_assets(urls=NEEDED_SCRIPTS) -> list[str]:
    """The URLs that cannot be served from node_modules (empty when all are there)."""
    return [u for u in urls if local_file(u) is None]


@dataclass
class Router:
    """Answers a page's requests; records what was served, blanked and aborted."""

    served: list[str] = field(default_factory=list)
    tiles: int = 0
    aborted: list[str] = field(default_factory=list)
    _png: bytes = field(default_factory=blank_png)

    def handle(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()
            return
        host = url.split("/")[2] if "://" in url else ""
        if any(host == h or host.endswith("." + h) for h in TILE_HOSTS):
            self.tiles += 1
            route.fulfill(status=200, content_type="image/png", body=self._png)
            return
        found = local_file(url)
        if found is None:
            self.aborted.append(url)
            route.abort()
            return
        body, kind = found
        self.served.append(url.split("?", 1)[0])
        route.fulfill(status=200, content_type=kind, body=body,
                      headers={"Access-Control-Allow-Origin": "*"})

    def unserved(self, urls=NEEDED_SCRIPTS) -> list[str]:
        return [u for u in urls if u not in self.served]
