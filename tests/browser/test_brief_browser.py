"""site_brief in a real browser: headless Chromium opens the HTML and prints the PDF.

The brief loads nothing from the network (every request other than
``file:``/``data:`` is refused and recorded), runs no script (the canaries
in names and ids stay text), and prints to one PDF page per site plus the
cover; the PDF's text, read back with pypdf, holds each site's id on its page.

Needs ``/usr/bin/chromium`` (never ``playwright install``). Outside CI a
missing browser skips these tests; with ``CI=true`` they fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from test_brief import ID_B, XSS_IMG, XSS_JS, XSS_SCRIPT, pages, profile, world
from test_browser import chromium

import siteplan as sp

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def browser():
    """Chromium alone: a brief loads nothing from a CDN, so no npm assets are needed."""
    yield from chromium(cdn_assets=False)


@pytest.fixture(scope="module")
def tiny():
    layers = sp.load_layers(**world())
    return sp.score(layers, profile()), layers


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(path)).pages]


def _fonts_embedded(path: Path) -> list[str]:
    """Names of the fonts the PDF uses without embedding them (empty when all are)."""
    from pypdf import PdfReader

    missing = []
    for page in PdfReader(str(path)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else {}
            if not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont")))
    return missing


def test_brief_opens_with_no_script_run_and_nothing_fetched(browser, tiny, tmp_path):
    result, layers = tiny
    path = tmp_path / "brief.html"
    path.write_text(sp.site_brief(result, layers, top=3), encoding="utf-8")
    requests, errors, dialogs = [], [], []
    page = browser.new_page(viewport={"width": 1000, "height": 1400})

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            requests.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.evaluate("document.scripts.length") == 0
        assert requests == [] and errors == [] and dialogs == []
        assert page.evaluate("document.querySelectorAll('.page').length") == 4
        assert page.evaluate("document.querySelectorAll('.page.site').length") == 3
        # every map decoded (data: PNGs), none broken
        assert page.evaluate("Array.from(document.images).every("
                             "i => i.complete && i.naturalWidth > 400)")
        assert page.evaluate("document.images.length") == 4
        # the canaries are shown as the text they are
        text = page.evaluate("document.body.innerText")
        for raw in (XSS_SCRIPT, XSS_IMG, XSS_JS, ID_B):
            assert raw in text
    finally:
        page.close()


@pytest.mark.usefixtures("browser")
def test_pdf_page_per_site_text_and_fonts(tiny, tmp_path):
    result, layers = tiny
    html = sp.site_brief(result, layers, top=3, lang="en")
    out = sp.write_brief_pdf(html, tmp_path / "brief.pdf")
    texts = _pdf_pages(out)
    assert len(texts) == 4                                # the cover, then one per site
    assert "CSR partner meeting pack".upper() in texts[0].upper()
    assert "ID A" in texts[1] and f"ID {ID_B}" in texts[2]
    assert "SITE 3 OF 3\n3 D Score" in texts[3]          # no name: the id is the heading
    assert "Score 85.6 of 100" in texts[1]
    assert XSS_SCRIPT in texts[1]                         # printed as text
    assert _fonts_embedded(out) == []
    info = PdfReader(out).metadata                        # the document's own information
    assert info.title.startswith("CSR partner meeting pack") and info.author == \
        "Pemerintah Kota Serang" and info.subject == info.title
    assert "HeadlessChrome" not in f"{info.creator} {info.producer}"
    again = sp.write_brief_pdf(html, tmp_path / "b2.pdf", author="Bappeda Kota Serang",
                               subject=XSS_SCRIPT)
    info = PdfReader(again).metadata
    assert info.author == "Bappeda Kota Serang" and info.subject == XSS_SCRIPT


@pytest.mark.parametrize("name", ["fasilitas_publik", "rth", "sentra_kuliner",
                                  "wisata_religi"])
@pytest.mark.usefixtures("browser")
def test_sample_pdf_one_page_per_site(sample_layers, tmp_path, name):
    result = sp.score(sample_layers, name)
    stab = sp.sensitivity(result, name, draws=200, top_k=10, seed=0)
    html = sp.site_brief(result, sample_layers, top=5, stability=stab)
    assert len(pages(html)) == 5
    out = sp.write_brief_pdf(html, tmp_path / f"{name}.pdf", footer=f"siteplan · {name}")
    texts = _pdf_pages(out)
    assert len(texts) == 6, [t[:60] for t in texts]
    best = result.sort_values("rank").head(5)["parcel_id"]
    for i, pid in enumerate(best, 1):                     # site i on page i + 1, alone
        assert pid in texts[i]
        assert all(pid not in t for j, t in enumerate(texts) if j not in (0, i))
        assert f"{i + 1}/6" in texts[i]                   # the footer's page number


@pytest.mark.usefixtures("browser")
def test_ten_site_pack_prints_eleven_pages(tmp_path, sample_layers):
    result = sp.score(sample_layers, "sentra_kuliner")
    html = sp.site_brief(result, sample_layers, top=10, lang="en")
    texts = _pdf_pages(sp.write_brief_pdf(html, tmp_path / "pack.pdf"))
    assert len(texts) == 11
    best = list(result.sort_values("rank").head(10)["parcel_id"])
    assert all(best[i - 1] in texts[i] for i in range(1, 11))


@pytest.mark.usefixtures("browser")
def test_cli_writes_the_pdf(tmp_path):
    import subprocess
    import sys

    out, pdf = tmp_path / "pack.html", tmp_path / "pack.pdf"
    r = subprocess.run([sys.executable, "-m", "siteplan.cli", "brief", "--sample",
                        "--profile", "rth",
                        "--top", "2", "--out", out, "--pdf", pdf, "--lang", "en",
                        "--author", "Bappeda Kota Serang"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert len(_pdf_pages(pdf)) == 3 and "(3 pages)" in r.stdout
    assert PdfReader(pdf).metadata.author == "Bappeda Kota Serang"


@pytest.mark.usefixtures("browser")
def test_pdf_from_inside_an_event_loop(tiny, tmp_path):
    """As in Jupyter, where an asyncio loop runs: the PDF is still written."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    result, layers = tiny
    html = sp.site_brief(result, layers, top=1)

    async def in_loop():
        return sp.write_brief_pdf(html, tmp_path / "loop.pdf")

    # a thread of its own: this one already runs the browser fixture's loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        written = pool.submit(asyncio.run, in_loop()).result()
    assert len(_pdf_pages(written)) == 2
