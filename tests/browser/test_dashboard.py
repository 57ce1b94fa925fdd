"""The clinicians' dashboard in Chromium, served by `workbench dashboard` (Voila) with a token."""

from __future__ import annotations

import pytest

from workbench.config import get_workspace
from workbench.records import OutcomeAssessment
from workbench.records.demo import demo_passwords, open_demo_store

from ..report.trial_helpers import PLANTED, add_bci, add_isncsci, plant_identifiers
from .chromium import assert_not_blank, browser, save_png  # noqa: F401 (fixture)
from .servers import dashboard, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "test-token-7f3a9c"
FIGURE = ".wb-figure .js-plotly-plot .main-svg"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboard")
    ws = get_workspace(root / "workspace")
    store = open_demo_store(ws.root)
    add_isncsci(store, "SCI-001")
    add_bci(store, ws)
    store.close()
    with dashboard(ws.root, TOKEN, root / "voila.log") as base:
        yield base, ws


def _open(browser, base, ws, *, user="demo.monitor"):  # noqa: F811
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{base}?token={TOKEN}", timeout=90_000)
    sign_in(page, user, demo_passwords(ws.root)[user])
    page.wait_for_selector(FIGURE, timeout=90_000)
    return page


def test_refused_without_the_token(served, browser):  # noqa: F811
    base, _ = served
    page = browser.new_page()
    for url in (base, f"{base}?token=wrong"):
        response = page.goto(url)
        assert "/login" in page.url or response.status in (401, 403)
        assert "Enrolment by site and arm" not in page.content()
    page.close()


@pytest.fixture(scope="module")
def monitor_page(served, browser):  # noqa: F811
    """One signed-in page for the monitor's views (each Voila page load starts a kernel)."""
    base, ws = served
    page = _open(browser, base, ws)
    yield page
    page.close()


# Every figure area under root holds its plot, and there are at least n areas. Counted per area: plotly 6
# draws three .main-svg layers per figure, so counting layers (">= 3", "/ 2 >= areas") passed with one
# figure of three drawn, and a fresh-clone CI run read the session's titles before its gate figure came.
_DRAWN = """(root, n) => { const areas = [...document.querySelectorAll(root + ' .wb-figure')];
    return areas.length >= n && areas.every(a => a.querySelector('.main-svg') !== null); }"""
_OVERVIEW_DRAWN = f"n => ({_DRAWN})('.wb-overview', n)"


def test_overview_draws_every_figure_with_the_token(monitor_page, tmp_path):
    page = monitor_page
    assert "signed in as demo.monitor" in page.inner_text(".wb-dash-who")
    page.wait_for_function(_OVERVIEW_DRAWN, arg=3, timeout=60_000)
    titles = [t.text_content() for t in page.locator(".wb-overview .gtitle").all()]
    assert "Enrolment by site and arm" in titles and any("overdue" in t for t in titles)
    assert "Traceback" not in page.content() and "There was an error" not in page.content()
    save_png(page.screenshot(full_page=True), tmp_path, "dashboard-overview.png")
    for k, fig in enumerate(page.locator(".wb-overview .wb-figure").all()):
        assert_not_blank(save_png(fig.screenshot(), tmp_path, f"dashboard-overview-{k}.png").read_bytes(), titles[k])


def _assert_figures_drawn(view) -> None:
    """Every figure area is drawn; one with nothing to draw says why in words."""
    figures = view.locator(".wb-figure").all()
    assert figures
    for k, fig in enumerate(figures):
        if "wb-figure-empty" in (fig.get_attribute("class") or ""):
            assert fig.locator(".annotation-text").first.text_content().startswith("No ")
        else:
            assert_not_blank(fig.screenshot(), f"figure {k}: {fig.locator('.gtitle').first.text_content()}")


def _choose(page, participant: str) -> None:
    """Pick a participant in the Participant tab's drop-down (options are 'SCI-004 · arm · site')."""
    select = page.locator(".wb-participant select").first
    labels = [o.text_content() for o in select.locator("option").all()]
    select.select_option(index=next(i for i, lab in enumerate(labels) if lab.startswith(participant)))


def test_choosing_a_participant_updates_the_figures(monitor_page, tmp_path):
    page = monitor_page
    page.get_by_text("Participant", exact=True).first.click()
    view = page.locator(".wb-participant")
    view.locator(".js-plotly-plot .main-svg").first.wait_for()
    assert "SCI-001" in view.locator(".gtitle").first.text_content()
    _choose(page, "SCI-004")
    page.wait_for_function("[...document.querySelectorAll('.wb-participant .gtitle')]"
                           ".some(t => t.textContent.includes('SCI-004 · WISCI-II: WISCI II level'))", timeout=60_000)
    titles = " ".join(t.text_content() for t in view.locator(".gtitle").all())
    assert "SCI-001" not in titles
    save_png(page.screenshot(full_page=True), tmp_path, "dashboard-participant-SCI-004.png")
    _assert_figures_drawn(view)
    assert "Closed-loop timing per run" not in view.inner_text()  # SCI-004 ran no closed loop
    _choose(page, "SCI-001")  # back, for the session view
    page.wait_for_function("[...document.querySelectorAll('.wb-participant .gtitle')]"
                           ".some(t => t.textContent.includes('SCI-001'))", timeout=60_000)
    # The closed-loop run's timing, as the reports show it: its heading, then its row under the headers.
    timing = view.locator("h4", has_text="Closed-loop timing per run").locator("xpath=following-sibling::table[1]")
    headers = timing.locator("th").all_inner_texts()
    cells = dict(zip(headers, timing.locator("tbody tr").first.locator("td").all_inner_texts()))
    assert (cells["command latency p99 (ms)"], cells["samples lost"]) == ("24.5", "4470"), cells
    save_png(timing.screenshot(), tmp_path, "dashboard-participant-timing.png")


# Every figure area of the session panel holds its plot, and there are at least n of them: the panel sends
# one plot per message (SessionPanel, FIGURE_STAGGER_S), so "some plots drawn" is not "the session drawn".
_SESSION_DRAWN = f"n => ({_DRAWN})('.wb-session', n)"


def test_session_view_shows_signal_and_confusion_matrix(monitor_page, tmp_path):
    page = monitor_page
    page.get_by_text("Session", exact=True).first.click()
    view = page.locator(".wb-session")
    page.wait_for_function(_SESSION_DRAWN, arg=3, timeout=60_000)
    titles = " ".join(t.text_content() for t in view.locator(".gtitle").all())
    assert "Signal snippet" in titles and "Confusion matrix (8 trials)" in titles and "Safety-gate" in titles
    save_png(page.screenshot(full_page=True), tmp_path, "dashboard-session.png")
    _assert_figures_drawn(view)


# Sampled every frame from choosing a session until its figures are drawn: the frames in which the
# panel below the chooser shows no word and no plot ("loading" gone, figures not yet drawn).
_WATCH_BLANK = """target => { window.wbWatch = new Promise(resolve => {
    const root = document.querySelector('.wb-session');
    const w = {frames: 0, blank: 0, drawingSeen: false};
    const frame = () => {
        const shown = [...root.children].slice(1).map(k => k.innerText).join('').trim();
        const plots = [...root.querySelectorAll('.wb-figure')].filter(a => a.querySelector('.main-svg')).length;
        w.frames += 1;
        w.blank += (shown === '' && plots === 0) ? 1 : 0;
        w.drawingSeen = w.drawingSeen || (plots === 0 && shown.includes('Drawing'));
        // bounded: a sampler that never stops would hang the test instead of failing it
        if (plots >= target || w.frames > 3600) resolve(w); else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}); }"""


def test_the_session_panel_says_what_it_is_doing_until_the_figures_are_drawn(monitor_page, tmp_path):
    """Loading, then each figure's "Drawing ..." in its place, then the figures: never an empty panel."""
    page = monitor_page
    page.get_by_text("Session", exact=True).first.click()
    page.wait_for_function(_SESSION_DRAWN, arg=3, timeout=60_000)
    select = page.locator(".wb-session select").first
    drawn_at = select.input_value()
    other = next(o.get_attribute("value") for o in select.locator("option").all()
                 if o.get_attribute("value") != drawn_at)
    select.select_option(value=other)  # a session without recording or trials: notes only
    page.wait_for_function("document.querySelector('.wb-session').innerText.includes('No recording')",
                           timeout=60_000)
    page.evaluate(_WATCH_BLANK, 3)
    select.select_option(value=drawn_at)
    seen = page.evaluate("window.wbWatch")
    assert 0 < seen["frames"] <= 3600 and seen["blank"] == 0, seen
    # Once drawn, every figure covers its "Drawing ..." line.
    for fig in page.locator(".wb-session .wb-figure").all():
        fig.scroll_into_view_if_needed()
        covered = fig.evaluate("""box => {
            const p = box.querySelector('.wb-figure-drawing'), r = p.getBoundingClientRect();
            const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return p.innerText.startsWith('Drawing') && e !== null && e.closest('.js-plotly-plot') !== null;
        }""")
        assert covered, fig.locator(".gtitle").first.text_content()
    save_png(page.screenshot(full_page=True), tmp_path, "dashboard-session-redrawn.png")


def test_monitor_sees_no_entry_form(monitor_page):
    page = monitor_page
    page.get_by_text("Enter outcomes", exact=True).first.click()
    page.wait_for_function("document.querySelector('.wb-dashboard').innerText.includes('changes none')",
                           timeout=60_000)  # the tab is built when first opened
    assert page.locator(".wb-entry").count() == 0
    # No control anywhere on the monitor's page saves, closes or deletes anything.
    buttons = [b.inner_text().strip().lower() for b in page.locator(".wb-dashboard button").all()]
    assert not [b for b in buttons if any(w in b for w in ("save", "close", "delete", "sign"))], buttons


def _shown_text(page) -> str:
    """What a reader of the page sees: its text and every figure's SVG text (titles, legends, ticks)."""
    return page.evaluate("document.body.innerText + '\\n' + [...document.querySelectorAll('svg text')]"
                         ".map(t => t.textContent).join('\\n')")


@pytest.fixture(scope="module")
def planted_served(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted-dashboard")
    ws = get_workspace(root / "workspace")
    store = open_demo_store(ws.root)
    add_bci(store, ws)
    plant_identifiers(store)
    store.close()
    with dashboard(ws.root, TOKEN, root / "voila.log") as base:
        yield base, ws


def test_no_identifier_on_any_dashboard_view(planted_served, browser):  # noqa: F811
    base, ws = planted_served
    page = _open(browser, base, ws)
    seen = [page.content()]
    for tab, drawn in (("Participant", ".wb-participant .wb-figure .main-svg"),
                       ("Session", ".wb-session .wb-figure .main-svg")):
        page.get_by_text(tab, exact=True).first.click()
        page.wait_for_selector(drawn, timeout=60_000)  # each tab is built when first opened
        seen.append(page.content())
    for pid in ("SCI-002", "SCI-003"):
        page.get_by_text("Participant", exact=True).first.click()
        _choose(page, pid)
        page.wait_for_function(f"[...document.querySelectorAll('.wb-participant .gtitle')]"
                               f".some(t => t.textContent.includes('{pid}'))", timeout=60_000)
        seen.append(page.content())
    text = "\n".join(seen)
    assert "SCI-003" in text  # the pages were really read
    found = [p for p in PLANTED if p in text]
    assert not found, f"the dashboard shows {found}"
    page.close()


def test_assessor_sees_own_site_without_arms_and_saves_an_outcome(served, browser, tmp_path):  # noqa: F811
    """The blinded assessor's path: own site only, no arm on any view, an outcome saved to the store."""

    base, ws = served
    page = _open(browser, base, ws, user="demo.assessor")
    page.wait_for_function(_OVERVIEW_DRAWN, arg=3, timeout=60_000)
    assert "Enrolment by site" in [t.text_content() for t in page.locator(".wb-overview .gtitle").all()]
    page.get_by_text("Participant", exact=True).first.click()
    page.locator(".wb-participant .js-plotly-plot .main-svg").first.wait_for()
    options = [o.text_content() for o in page.locator(".wb-participant select").first.locator("option").all()]
    assert [o.replace("\xa0", " ") for o in options] == ["SCI-001 · site ZH", "SCI-002 · site ZH"]
    seen = [_shown_text(page)]
    _choose(page, "SCI-002")
    page.wait_for_function("[...document.querySelectorAll('.wb-participant .gtitle')]"
                           ".some(t => t.textContent.includes('SCI-002'))", timeout=60_000)
    seen.append(_shown_text(page))
    page.get_by_text("Study overview", exact=True).first.click()
    seen.append(_shown_text(page))
    text = "\n".join(seen)
    assert "SCI-002" in text and "SCI-003" not in text and "site HD" not in text  # ZH's participants only
    for arm in ("control", "blinded", "by site and arm"):  # the demo's arms are "BCI" and "control"
        assert arm not in text, f"the assessor's page shows {arm!r}"

    before = {a.id for a in _wisci_of_sci002_week12(ws)}  # the demo's own assessment of that visit (demo.assessor)
    page.get_by_text("Enter outcomes", exact=True).first.click()
    entry = page.locator(".wb-entry")
    _pick(entry, "Walking Index for Spinal Cord Injury II (WISCI-II)")
    try:
        page.wait_for_selector(".wb-entry .wb-form-label", timeout=60_000)
    finally:
        save_png(page.screenshot(full_page=True), tmp_path, "dashboard-entry-form.png")
    _pick(entry, "12 = ")  # the WISCI II level, shown with what it means
    _pick(entry, "week12")  # the visit, chosen from SCI-002's own visits
    # A double click on Save (issue 22: it stored the assessment twice). The demo holds a WISCI II for this
    # visit, so the form first asks whether this is a correction or a repeat; a repeat is saved once.
    entry.get_by_role("button", name="Save").dblclick()
    page.wait_for_function("document.querySelector('.wb-entry').innerText.includes('Is this save a correction')",
                           timeout=60_000)
    entry.get_by_role("button", name="A repeat (a new assessment)").click()
    page.wait_for_function("document.querySelector('.wb-entry').innerText.includes('Saved WISCI-II for SCI-002')",
                           timeout=60_000)
    # The form now edits the saved record: another double click writes nothing.
    entry.get_by_role("button", name="Save correction").dblclick()
    page.wait_for_function("document.querySelector('.wb-entry').innerText.includes('nothing written')",
                           timeout=60_000)
    save_png(page.screenshot(full_page=True), tmp_path, "dashboard-entry-saved.png")
    assert "control" not in _shown_text(page)
    saved = [a for a in _wisci_of_sci002_week12(ws) if a.id not in before]
    assert [(a.scores, a.assessor) for a in saved] == [({"total": 12}, "demo.assessor")]
    page.close()


def _wisci_of_sci002_week12(ws):
    store = open_demo_store(ws.root, role="monitor")
    try:
        return [a for a in store.find(OutcomeAssessment, participant_id="SCI-002", instrument="WISCI-II")
                if a.visit_id == "V-SCI-002-week12"]
    finally:
        store.close()


def _option(select, starts: str) -> str | None:
    # ipywidgets writes option labels with non-breaking spaces
    labels = [o.text_content() for o in select.locator("option").all()]
    return next((lab for lab in labels if lab.replace("\xa0", " ").startswith(starts)), None)


def _pick(scope, starts: str) -> None:
    """Choose, in whichever drop-down offers it, the option whose label starts with ``starts``."""
    import time

    deadline = time.monotonic() + 30  # the widgets may still be arriving from the kernel
    while time.monotonic() < deadline:
        for select in scope.locator("select").all():
            label = _option(select, starts)
            if label is not None:
                select.select_option(label=label)
                return
        time.sleep(0.3)
    raise AssertionError(f"no drop-down offers an option starting with {starts!r}")
