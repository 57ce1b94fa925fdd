"""The live scope in JupyterLab and Chromium: frames the page draws per second, and recovery from a slow page.

Starts JupyterLab (a token, a temporary workspace) on a notebook that streams
the simulated amplifier (``SimulatedAmplifier('eeg-64')``, in a process of its
own) into ``ScopeWidget`` with three channels, runs all cells in Debian's
Chromium, waits until the plot shows its channel labels, then counts plotly's
``plotly_update`` events on the page for ``--seconds``: the frames the page
drew, from ``--settle`` seconds after the plot was first drawn. Two pages:

- ``healthy``: the page as it comes;
- ``slow first load``: the page's first load of plotly's widget module is
  held 2.5 s, past anywidget's 2 s, as on a loaded machine: that plot's model
  never gets a message; the scope rebuilds it.

Prints, per page: seconds from Run All to a drawn plot, frames drawn per second,
the scope's target rate, and the status line's note. (Before frames were
paced by plotly's trace receipts, every frame waited the full ``max_wait`` of
1 s for an ``on_edits_completed`` that plotly 7.1 never calls: under one frame
a second. With receipts, about 7 on two cores: the page's round trip, not the
kernel's 9 ms frame, sets the pace; one frame in flight instead of none gained
about one frame a second and was left out.)

Usage::

    .venv/bin/python benchmarks/lab_scope.py [--seconds 10] [--settle 5] [--json]

Needs Debian's chromium and Playwright, as the browser tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the workbench and the browser tests' server helpers, from this checkout

from tests.browser.servers import jupyterlab, run_all_cells  # noqa: E402

TOKEN = "lab-scope-benchmark-token"
RATE = 15.0  # ScopeWidget's default

CELLS = [
    "from workbench.acquisition.lsl_config import use_loopback\nuse_loopback()\n"
    "from workbench.acquisition import Stream\nfrom workbench.datasets import SimulatedAmplifier\n"
    "from workbench.ui.acquisition import ScopeModel, ScopeWidget",
    "amplifier = SimulatedAmplifier('eeg-64', seed=0, name='{name}').start()\n"
    "stream = Stream(amplifier.name, bufsize=10).connect()\n"
    "scope = ScopeWidget(ScopeModel(stream, picks=['C3', 'Cz', 'C4'], window=3.0))\nscope.start()\nscope",
]

SLOW_FIRST_PLOT_MODULE = REPO / "tests" / "browser" / "slow_first_plot_module.js"  # the lab test's slow page

COUNT_UPDATES = """el => { el.__wbUpdates = 0; el.on('plotly_update', () => { el.__wbUpdates += 1; }); }"""
LABELS_DRAWN = ("[...document.querySelectorAll('.js-plotly-plot .ytick text')]"
                ".some(t => t.textContent === 'C3')")


def measure(browser, slow_first_load: bool, seconds: float, settle: float) -> dict:
    import nbformat
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    root = Path(tempfile.mkdtemp(prefix="wb-lab-scope-"))
    (root / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    name = f"wb-lab-scope-{os.getpid()}-{int(slow_first_load)}"
    nb.cells = [nbformat.v4.new_code_cell(c.replace("{name}", name)) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "notebooks" / "scope.ipynb")
    env = {**os.environ, "WORKBENCH_HOME": str(root / "workspace")}
    with jupyterlab(root / "notebooks", TOKEN, root / "lab.log", env=env) as base:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        if slow_first_load:
            page.add_init_script(path=SLOW_FIRST_PLOT_MODULE)
        page.goto(f"{base}lab/tree/scope.ipynb?token={TOKEN}", timeout=120_000)
        run_all_cells(page)
        started = time.monotonic()
        try:
            page.wait_for_function(LABELS_DRAWN, timeout=120_000)
            to_drawn = round(time.monotonic() - started, 1)
        except PlaywrightTimeout:
            to_drawn = None  # never drawn (a scope that does not rebuild a plot the page dropped)
        time.sleep(settle)  # the kernel's first seconds (imports, the amplifier's start) are not the steady state
        plot = page.locator(".js-plotly-plot").first
        plot.evaluate(COUNT_UPDATES)
        time.sleep(seconds)
        updates = plot.evaluate("el => el.__wbUpdates")
        status = page.locator("text=/connected, [0-9]+ samples/").first.inner_text()
        page.close()
    note = status.split(" samples", 1)[1].strip(" ·") if " samples" in status else ""
    return {"page": "slow first load" if slow_first_load else "healthy", "s_to_drawn_plot": to_drawn,
            "frames_drawn_per_s": round(updates / seconds, 1), "target_per_s": RATE, "status_note": note}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of frames counted per page")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after the plot is drawn before counting")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from workbench.report.pdf import launch_chromium

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            rows = [measure(browser, slow, args.seconds, args.settle) for slow in (False, True)]
        finally:
            browser.close()
    if args.json:
        print(json.dumps({"lab_scope": rows}))
        return 0
    print("s to drawn plot: from Run All (the kernel starting included); '-': not drawn within 120 s")
    print(f"{'page':<16} {'s to drawn plot':>15} {'frames/s':>9} {'target':>7}  status note")
    for r in rows:
        print(f"{r['page']:<16} {r['s_to_drawn_plot'] or '-':>15} {r['frames_drawn_per_s']:>9} {r['target_per_s']:>7}  "
              f"{r['status_note'] or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
