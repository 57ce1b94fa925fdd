"""Every word of both printed reports lies within A4's printable width (nothing runs off the page)."""

from __future__ import annotations

import re
import subprocess

import pytest

from workbench.report import write_participant_report, write_study_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The margins workbench.report.pdf prints with (12 mm left and right), in PDF points.
MARGIN_PT = 12 / 25.4 * 72
#: Half a point of slack: glyph boxes are rounded by pdftotext.
SLACK_PT = 0.5

PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def words_outside(pdf) -> list[str]:
    """Each word whose box leaves the printable width, as 'page N: word (xMin-xMax of left-right)'."""
    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for n, chunk in enumerate(text.split("<page ")[1:], start=1):
        width = float(PAGE.match("<page " + chunk).group(1))
        left, right = MARGIN_PT - SLACK_PT, width - MARGIN_PT + SLACK_PT
        for x0, _, x1, _, word in WORD.findall(chunk):
            if float(x0) < left or float(x1) > right:
                out.append(f"page {n}: {word!r} ({float(x0):.1f}-{float(x1):.1f} of {left:.1f}-{right:.1f})")
    return out


@pytest.fixture(scope="module")
def reports(demo):
    ws, store = demo
    return {"study": write_study_report(store, ws.root), "participant": write_participant_report(store, "SCI-001", ws.root)}


@pytest.fixture(scope="module")
def pdfs(reports):
    return {kind: files.pdf for kind, files in reports.items()}


@pytest.mark.parametrize("kind", ["study", "participant"])
def test_every_word_lies_within_the_printable_width(pdfs, kind):
    outside = words_outside(pdfs[kind])
    assert outside == [], f"{len(outside)} words beyond the margins, e.g. " + "; ".join(outside[:12])


@pytest.mark.parametrize("kind", ["study", "participant"])
def test_no_word_of_a_table_is_split_across_lines(reports, kind):
    """A cell wraps between words, not inside one ('contro' / 'l', 'accur' / 'acy' were printed)."""
    page = reports[kind].html.read_text()
    cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", " ".join(re.findall(r"<table.*?</table>", page, flags=re.S)))
    words = {w for c in cells for w in re.findall(r"[A-Za-z]{4,}", c)}
    text = subprocess.run(["pdftotext", str(reports[kind].pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    printed = set(re.findall(r"[A-Za-z]{4,}", text))
    # a compound may wrap at its hyphen (a place to break), which pdftotext reads as hyphenation and joins
    for compound in {m for c in cells for m in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)+", c)}:
        if compound.replace("-", "") in printed:
            printed.update(compound.split("-"))
    assert words and not words - printed, sorted(words - printed)[:20]


#: A4's width less the 12 mm margins, in CSS pixels (96 per inch): the width Chromium lays a printed page out at.
PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)


@pytest.mark.parametrize("kind", ["study", "participant"])
def test_every_table_and_figure_fits_the_printable_width(reports, kind):
    """Wider than the page, a table's right columns were cut off at the edge and Chromium shrank every page."""
    from playwright.sync_api import sync_playwright

    from workbench.report.pdf import launch_chromium

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": PRINTABLE_PX, "height": 1000})
            page.goto(reports[kind].html.resolve().as_uri())
            page.emulate_media(media="print")
            too_wide = page.evaluate("""() => {
                const width = document.documentElement.clientWidth;
                return [...document.querySelectorAll('table, .figure')].map(el => {
                    const r = el.getBoundingClientRect(), h = el.closest('section')?.querySelector('h2');
                    return {right: Math.round(r.right), width, what: el.tagName + ' in ' + (h ? h.textContent : '?'),
                            head: el.tagName === 'TABLE' ? el.querySelector('th')?.textContent : ''};
                }).filter(x => x.right > x.width);
            }""")
        finally:
            browser.close()
    assert too_wide == [], too_wide
