"""The brief as PDF: printed by headless Chromium through Playwright (A4, print CSS).

Chromium embeds the fonts it uses (as subsets) and keeps the text as text,
so the PDF is searchable and its text can be selected and copied. The page
is loaded with every network request refused: a brief needs none.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path

from .._errors import Problem, SiteplanInputError

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


def _browser_path(chromium: str | PathLike | None) -> str:
    found = chromium or os.environ.get("SITEPLAN_CHROMIUM") or (
        CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium"))
    if not found or not Path(found).is_file():
        raise SiteplanInputError(Problem(
            "write_brief_pdf", f"no Chromium browser found (looked for "
            f"{chromium or CHROMIUM})", "install it (Debian: apt-get install chromium), pass "
            "chromium=\"/path/to/chromium\", or set SITEPLAN_CHROMIUM; the HTML brief needs "
            "no browser"))
    return str(found)


def _print(html: str, target: Path, exe: str, footer: str) -> None:
    from playwright.sync_api import sync_playwright

    def refuse(route):
        url = route.request.url
        if url.startswith(("data:", "about:")):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", refuse)
            page.set_content(html, wait_until="load")
            page.emulate_media(media="print")
            page.pdf(path=str(target), format="A4", print_background=True,
                     prefer_css_page_size=True, display_header_footer=True,
                     header_template="<span></span>",
                     footer_template=(
                         '<div style="width:100%;font:7px \'DejaVu Sans\',Arial,sans-serif;'
                         'color:#6b7280;text-align:center">' + footer +
                         ' · <span class="pageNumber"></span>/<span class="totalPages">'
                         "</span></div>"))
        finally:
            browser.close()


def _title_of(html: str) -> str:
    """The text of the page's <title> (unescaped), or "" when it has none."""
    import html as htmllib
    import re

    found = re.search(r"<title>(.*?)</title>", html, flags=re.S | re.I)
    return htmllib.unescape(found.group(1)).strip() if found else ""


def _set_metadata(pdf: Path, *, title: str, author: str, subject: str) -> None:
    """Give the printed PDF its document information (the browser writes only its own)."""
    from pypdf import PdfReader, PdfWriter

    from .._version import __version__

    writer = PdfWriter(clone_from=PdfReader(pdf))
    writer.add_metadata({"/Title": title, "/Author": author, "/Subject": subject,
                         "/Creator": f"siteplan {__version__}",
                         "/Producer": f"siteplan {__version__} (Chromium, pypdf)"})
    with open(pdf, "wb") as fh:
        writer.write(fh)


def write_brief_pdf(html: str, path: str | PathLike, *, chromium: str | PathLike | None = None,
                    footer: str = "siteplan", author: str = "Pemerintah Kota Serang",
                    subject: str | None = None) -> Path:
    """Print a brief (from :func:`siteplan.site_brief`) to an A4 PDF with headless Chromium.

    Parameters
    ----------
    html
        The brief's HTML.
    path
        The PDF to write (replaced atomically when it exists).
    chromium
        The browser executable; default ``$SITEPLAN_CHROMIUM``, else
        ``/usr/bin/chromium``, else ``chromium`` on the PATH.
    footer
        Text of the page footer (page numbers are added); HTML-escaped here.
    author, subject
        The PDF's author (the city's unit that issues the brief) and subject
        (default: the brief's title); its title is the brief's title.

    Returns
    -------
    pathlib.Path
        The PDF written: the cover and one page per site, fonts embedded,
        text selectable.

    Raises
    ------
    SiteplanInputError
        When no browser or no Playwright for Python is installed.

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> html = sp.site_brief(sp.score(layers, "rth"), layers, top=1)
    >>> sp.write_brief_pdf(html, "brief.pdf")  # doctest: +SKIP
    PosixPath('brief.pdf')
    """
    from ._words import esc

    exe = _browser_path(chromium)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise SiteplanInputError(Problem("write_brief_pdf", "needs Playwright for Python",
                                         "pip install 'siteplan[pdf]' (the browser itself "
                                         "comes from the system: apt-get install chromium)")
                                 ) from None
    target = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".pdf", prefix=".brief-", dir=target.parent or ".")
    os.close(fd)
    try:
        # Playwright's sync API refuses to run inside an asyncio loop (Jupyter): a thread
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(_print, html, Path(tmp), exe, esc(footer)).result()
        title = _title_of(html) or "siteplan"
        _set_metadata(Path(tmp), title=title, author=str(author),
                      subject=title if subject is None else str(subject))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
