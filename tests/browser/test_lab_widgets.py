"""The notebooks' widgets in JupyterLab (run as root with --allow-root, a token, a temporary workspace):
the live scope draws and redraws (in a page as slow to load plotly as CI's loaded machine, where the first
plot never drew), the record control records, the ISNCSCI worksheet classifies as typed."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from workbench.config import get_workspace
from workbench.ui.acquisition import ScopeWidget

from .chromium import assert_not_blank, browser, save_png  # noqa: F401 (fixture)
from .servers import jupyterlab, run_all_cells

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.lsl, pytest.mark.timeout(600)]
TOKEN = "lab-test-token-51b2"

#: Cells as the notebooks write them: every line a call into the package.
CELLS = [
    "from workbench.acquisition.lsl_config import use_loopback\nuse_loopback()\n"
    "from workbench.acquisition import MarkerStream, Stream\nfrom workbench.config import get_workspace\n"
    "from workbench.datasets import SimulatedAmplifier\nfrom workbench.recording.labrecorder import Recorder\n"
    "from workbench.recording.runs import RunEntities\n"
    "from workbench.ui.acquisition import RecordControl, ScopeModel, ScopeWidget\n"
    "from workbench.ui.forms import IsncsciWorksheet",
    "amplifier = SimulatedAmplifier('eeg-64', seed=0, name='{name}').start()\n"
    "stream = Stream(amplifier.name, bufsize=10).connect()\n"
    "scope = ScopeWidget(ScopeModel(stream, picks=['C3', 'Cz', 'C4'], window=3.0))\nscope.start()\nscope",
    "control = RecordControl(lambda: Recorder([amplifier.name], get_workspace().recordings,\n"
    "                                         entities=RunEntities(subject='lab', task='browser'), monitors=[stream]))\n"
    "control",
    "sheet = IsncsciWorksheet(save=lambda a: None)\nsheet.widget",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):  # noqa: F811
    root = tmp_path_factory.mktemp("lab")
    ws = get_workspace(root / "workspace")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.replace("{name}", f"wb-lab-{os.getpid()}")) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "widgets.ipynb")
    env = {**os.environ, "WORKBENCH_HOME": str(ws.root)}
    with jupyterlab(root / "notebooks", TOKEN, root / "lab.log", env=env) as base:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.add_init_script(path=SLOW_FIRST_PLOT_MODULE)
        page.goto(f"{base}lab/tree/widgets.ipynb?token={TOKEN}", timeout=120_000)
        run_all_cells(page)
        yield page, ws
        page.close()


#: A page as slow as CI's loaded machine: anywidget gives a plot's model 2 s to load plotly's module and then
#: drops every message to it. The first such load here takes 2.5 s.
SLOW_FIRST_PLOT_MODULE = Path(__file__).with_name("slow_first_plot_module.js")


def _status(page) -> str:
    return page.locator("text=/connected, [0-9]+ samples/").first.inner_text()


def _samples_shown(page) -> int:
    return int(_status(page).split("connected, ")[1].split()[0])


#: Counts the plot's edit events on the page (each frame is a restyle, a relayout or an update).
_COUNT_PLOTLY_EDITS = """el => {
    el.__wbEdits = {};
    for (const name of ['plotly_restyle', 'plotly_relayout', 'plotly_update', 'plotly_afterplot', 'plotly_redraw']) {
        el.__wbEdits[name] = 0;
        el.on(name, () => { el.__wbEdits[name] += 1; });
    }
}"""


def test_live_scope_draws_and_redraws_once_rebuilt_after_a_slow_first_load(lab, tmp_path):
    page, _ = lab
    try:
        # The first plot's model never got its messages (the page's first module load took 2.5 s); the
        # scope rebuilds it, and the rebuilt plot draws: wait for its channel labels, not any axis.
        page.wait_for_function("[...document.querySelectorAll('.js-plotly-plot .ytick text')]"
                               ".some(t => t.textContent === 'C3')", timeout=120_000)
    finally:
        save_png(page.screenshot(full_page=True), tmp_path, "lab-after-run-all.png")
    assert page.evaluate("window.__wbSlowedOnce") is True, "the page never loaded a plot module slowly"
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    page.bring_to_front()  # a page in the background gets no animation frames
    # Plotly's own events say whether the page applied new frames, apart from what the screenshot shows.
    plot.evaluate(_COUNT_PLOTLY_EDITS)
    first, n1 = plot.screenshot(), _samples_shown(page)
    # Frames wait for the page to draw the previous one, so on a loaded machine (the suite's other
    # workers) a redraw can take longer than the text's update: poll for a bounded time.
    started = time.monotonic()
    while True:
        time.sleep(0.5)
        second, n2 = plot.screenshot(), _samples_shown(page)
        if (n2 > n1 and first != second) or time.monotonic() - started > 60:
            break
    waited = time.monotonic() - started
    edits, status = plot.evaluate("el => el.__wbEdits"), _status(page)
    assert n2 > n1, f"no new samples shown in {waited:.1f} s ({n1} then {n2})"
    assert first != second, (f"{n2 - n1} new samples arrived but the plot was not redrawn in {waited:.1f} s "
                             f"(plotly events on the page meanwhile: {edits}; status: {status!r})")
    assert_not_blank(save_png(second, tmp_path, "lab-scope.png").read_bytes(), "live scope")
    ticks = page.eval_on_selector_all(".js-plotly-plot .ytick text", "els => els.map(e => e.textContent)")
    assert {"C3", "Cz", "C4"} <= set(ticks)
    # Rebuilt, and the plot that draws is left alone. Only the first module load is slowed here, but on a
    # loaded runner the rebuilt plot's own load can pass anywidget's 2 s too (CI once needed a second
    # rebuild, at 15 s): any count up to MAX_REBUILDS is the scope doing its job, more would be a loop.
    rebuilt = re.search(r"plot rebuilt (once|([0-9]+) times): the page had stopped drawing it", status)
    assert rebuilt, status
    assert (1 if rebuilt.group(1) == "once" else int(rebuilt.group(2))) <= ScopeWidget.MAX_REBUILDS, status
    assert page.locator(".js-plotly-plot").count() == 1


def test_record_control_records(lab, tmp_path):
    page, ws = lab
    page.get_by_role("button", name="Record").first.click()
    status = page.locator(".wb-record-status").first
    page.wait_for_function("document.querySelector('.wb-record-status').innerText.includes('recording')",
                           timeout=60_000)
    time.sleep(2.0)
    assert "samples in this run" in status.inner_text()
    page.get_by_role("button", name="Stop").first.click()
    page.wait_for_function("document.querySelector('.wb-record-status').innerText.includes('samples in the file')",
                           timeout=60_000)
    save_png(page.locator(".wb-record-control").first.screenshot(), tmp_path, "lab-record-control.png")
    files = list(ws.recordings.rglob("*.xdf"))
    assert len(files) == 1 and files[0].stat().st_size > 10_000
    assert files[0].name in status.inner_text().replace("\n", "")


def test_isncsci_worksheet_classifies_as_cells_are_typed(lab, tmp_path):
    page, _ = lab
    # The scope keeps running: its frames wait for the page to draw the last one, so a form in the same
    # kernel answers while it runs (before the frames were paced, each classification waited 25-45 s).
    assert page.get_by_role("button", name="Pause").first.is_visible()
    page.get_by_role("button", name="Empty fields normal").first.click()
    result = page.locator(".wb-isncsci-result").first
    result.wait_for(timeout=60_000)
    assert "25 + 25 = 50" in result.inner_text()  # UEMS (R + L) of a normal exam
    cell = page.locator(".wb-cell-right-motor-C6 input").first
    cell.fill("2")
    cell.press("Tab")
    page.wait_for_function("document.querySelector('.wb-isncsci-result').innerText.includes('22 + 25 = 47')",
                           timeout=90_000)
    save_png(result.screenshot(), tmp_path, "lab-isncsci-result.png")
    cell.fill("7")  # not a motor grade
    cell.press("Tab")
    page.wait_for_function("document.body.innerText.includes('Right motor C6 (wrist extensors)')", timeout=90_000)
    border = cell.evaluate("e => getComputedStyle(e).borderTopColor")
    assert border == "rgb(198, 40, 40)"  # the red mark the notebook promises
    save_png(page.locator(".wb-form-errors").first.screenshot(), tmp_path, "lab-isncsci-error.png")
    save_png(page.screenshot(full_page=True), tmp_path, "lab-notebook.png")
    n = _samples_shown(page)
    page.wait_for_function(f"document.body.innerText.match(/connected, ([0-9]+) samples/)[1] > {n}", timeout=10_000)
