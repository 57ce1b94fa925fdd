"""The PDF: printed by headless Chromium, pages present, pdftoppm renders them, figures drawn."""

from __future__ import annotations

import subprocess

import pytest

from workbench.report import write_study_report

from ..browser.chromium import assert_not_blank, browser, keep, save_png  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def study_files(demo):
    ws, store = demo
    return write_study_report(store, ws.root)


def test_pdf_pages_render_and_are_not_blank(study_files, tmp_path):
    pdf = study_files.pdf
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_mode & 0o777 == 0o600  # clinical data: the owner's only (issue 24)
    keep(pdf, "study-report.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 3
    assert "(A4)" in info
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for img in images:
        keep(img, f"study-report-{img.name}")
        assert_not_blank(img.read_bytes(), img.name, min_ink=0.005)


def test_pdf_text_holds_every_section(study_files):
    text = subprocess.run(["pdftotext", "-layout", str(study_files.pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for title in ("Enrolment flow", "Baseline characteristics", "change from baseline", "BCI metrics",
                  "Adverse events", "Protocol deviations", "Provenance", "audit trail intact"):
        assert title in text, title


def test_every_figure_draws_offline_in_print_layout(study_files, browser, tmp_path):  # noqa: F811
    page = browser.new_page()
    requests = []
    page.route("http*://**", lambda route: (requests.append(route.request.url), route.abort()))
    page.goto(study_files.html.as_uri())
    page.emulate_media(media="print")
    page.wait_for_selector(".figure .js-plotly-plot .main-svg")
    figures = page.locator(".figure")
    assert figures.count() >= 6
    for k in range(figures.count()):
        fig = figures.nth(k)
        fig.scroll_into_view_if_needed()
        box = fig.bounding_box()
        assert box["width"] <= 740  # a fixed width that fits A4, never the window's
        title = fig.locator(".gtitle").first.text_content() if fig.locator(".gtitle").count() else f"figure {k}"
        png = save_png(fig.screenshot(), tmp_path, f"study-report-figure-{k:02d}.png")
        assert_not_blank(png.read_bytes(), title)
    assert requests == [], f"the report asked the network for {requests}"
    page.close()
