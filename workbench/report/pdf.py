"""Print an HTML report to PDF with headless Chromium (Debian's, never a downloaded one)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import WorkbenchError

#: Flags that keep Chromium from calling home or needing a display (STACK.md).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class ChromiumMissingError(WorkbenchError):
    """No Chromium to print with: the HTML report stands; the message says how to get a PDF."""


def chromium_path() -> str:
    """The system Chromium (``$WORKBENCH_CHROMIUM`` or /usr/bin/chromium), with an install hint when missing."""
    path = os.environ.get("WORKBENCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        raise ChromiumMissingError("Chromium is needed to print PDF reports and was not found: "
                             "`apt-get install -y chromium` (or `make test`, which installs it as root)")
    return path


def launch_chromium(playwright):
    """A headless Chromium browser from a running Playwright instance."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *, browser=None) -> Path:
    """Print ``html_path`` to an A4 PDF at ``pdf_path``, with the network blocked.

    Raises :class:`ChromiumMissingError` before anything is written when there is no Chromium.

    Blocking every http(s) request proves the HTML is self-contained: what the
    PDF shows is what the file holds. Written to a temporary name first, so a
    failed print leaves no half-written PDF.
    """
    from playwright.sync_api import sync_playwright

    if browser is None:
        chromium_path()  # no Chromium: say so before Playwright starts
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    tmp = pdf_path.with_suffix(".pdf.part")

    def run(b):
        page = b.new_page()
        try:
            page.route("http*://**", lambda route: route.abort())
            page.goto(html_path.as_uri(), wait_until="load")
            page.wait_for_function("() => [...document.querySelectorAll('.figure .js-plotly-plot')]"
                                   ".every(el => el.querySelector('.main-svg'))", timeout=60_000)
            page.emulate_media(media="print")
            page.pdf(path=str(tmp), format="A4", print_background=True,
                     margin={"top": "12mm", "bottom": "14mm", "left": "12mm", "right": "12mm"},
                     display_header_footer=True, header_template="<span></span>",
                     footer_template="<div style='font-size:8px;width:100%;text-align:center;color:#555'>"
                                     "<span class='title'></span> · page <span class='pageNumber'></span> of "
                                     "<span class='totalPages'></span></div>")
        finally:
            page.close()

    try:
        if browser is not None:
            run(browser)
        else:
            with sync_playwright() as p:
                b = launch_chromium(p)
                try:
                    run(b)
                finally:
                    b.close()
        tmp.replace(pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path
