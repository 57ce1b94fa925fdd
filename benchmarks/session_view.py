"""How the dashboard's Session tab behaves in Chromium when a session is chosen, frame by frame.

Serves ``workbench dashboard`` (Voila, with a token) on a workspace, signs in
(default: the demo monitor), opens the Session tab and chooses each session of
the first participant in turn. From the moment a session is chosen until its
figures are drawn, every animation frame is sampled and the panel under the
chooser classified: the previous session still shown, "Loading", "Drawing"
(figure areas without their plot yet), blank (no word and no plot), drawn.
Prints per session, in milliseconds after choosing: how long the previous
session stayed on screen, when "Loading" appeared, when the first and the last
figure were drawn, the number of blank frames, and the browser's long tasks
(main thread busy > 50 ms). The previous session has left once the panel's
notes name another session (their ``data-wb-session``) or say "Loading", so
two sessions that read the same (the same notes, no figure) are told apart;
a session built between two frames shows no "Loading" at all. ">" under
"previous" means it never left while watched (5 s).

The next session is chosen 3 s after the previous one is drawn. (Before the
notes named their session, this benchmark told sessions apart by their text
and read ">" for two that read the same, or when its own sampling loop held
back the page right after the closed-loop session was drawn.)

Usage, after ``make demo`` (its workspace has a recorded closed-loop session)::

    .venv/bin/python benchmarks/session_view.py --workspace workspace [--json]

Needs Debian's chromium and Playwright, as the browser tests do.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = "session-view-benchmark-token"

# Installed in the page before each choice; resolves when "Loading" has come and gone and every
# figure area holds its plot (or after 60 s; after 5 s if "Loading" never showed in a frame, as for a
# session without figures, built between two frames). Drawn: an area holding a plot (plotly 6 draws
# three .main-svg layers per figure; counting layers / 2 called two figures of three all drawn).
_WATCH = """() => { window.wbWatch = new Promise(resolve => {
    const root = document.querySelector('.wb-session'), t0 = performance.now();
    const w = {frames: 0, blank: 0, timeline: [], long_tasks: []};
    const obs = new PerformanceObserver(l => { for (const e of l.getEntries())
        w.long_tasks.push([Math.round(e.startTime - t0), Math.round(e.duration)]); });
    obs.observe({entryTypes: ['longtask']});
    const shownId = () => { const e = root.querySelector('[data-wb-session]'); return e && e.dataset.wbSession; };
    const before = shownId();
    let last = null, moved = false;
    const frame = () => {
        const shown = [...root.children].slice(1).map(k => k.innerText).join('').trim();
        const areas = root.querySelectorAll('.wb-figure').length;
        const drawn = [...root.querySelectorAll('.wb-figure')].filter(a => a.querySelector('.main-svg')).length;
        const loading = shown.includes('Loading');
        moved = moved || loading || shownId() !== before;
        const state = loading ? 'loading' : (!moved ? 'previous' : (shown === '' && drawn === 0 ? 'blank'
                      : (drawn < areas ? 'drawing' : 'drawn')));
        w.frames += 1;
        w.blank += state === 'blank';
        const t = Math.round(performance.now() - t0);
        if (state !== last) { w.timeline.push([t, state, drawn, areas]); last = state; }
        const done = (moved && !loading && drawn >= areas) || t > (moved ? 60000 : 5000);
        if (done) { w.watched_ms = t; obs.disconnect(); resolve(w); } else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}); }"""


def measure(workspace: Path, user: str, password: str, screenshots: Path | None = None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from tests.browser.servers import dashboard, sign_in

    (workspace / "logs").mkdir(exist_ok=True)
    out = []
    with dashboard(workspace, TOKEN, workspace / "logs" / "session-view-benchmark.log", timeout=180) as base:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(f"{base}?token={TOKEN}", timeout=180_000)
            page.locator("input[type=password]").first.wait_for(timeout=180_000)
            sign_in(page, user, password)
            page.wait_for_selector(".wb-figure .main-svg", timeout=180_000)
            page.get_by_text("Session", exact=True).first.click()
            page.wait_for_selector(".wb-session select", timeout=180_000)
            select = page.locator(".wb-session select").first
            labels = [o.text_content() for o in select.locator("option").all()]
            for k in [*range(1, len(labels)), 0]:  # every session, ending on the one shown first
                page.evaluate(_WATCH)
                select.select_option(index=k)
                w = page.evaluate("window.wbWatch")
                time.sleep(3.0)  # let plotly's renderer finish (see the module docstring)
                if screenshots is not None:  # what the user sees once the session is drawn
                    page.screenshot(path=str(screenshots / f"session-{k}.png"), full_page=True)
                first = {state: t for t, state, _, _ in reversed(w["timeline"])}
                drawn_first = next((t for t, state, drawn, _ in w["timeline"]
                                    if drawn > 0 and state in ("drawing", "drawn")), None)
                left = next((t for t, state, _, _ in w["timeline"] if state != "previous"), None)
                out.append({"session": labels[k].replace("\xa0", " "), "frames": w["frames"], "blank": w["blank"],
                            "previous_shown_ms": left if left is not None else w["watched_ms"],
                            "previous_never_left": left is None,
                            "loading_ms": first.get("loading"), "first_figure_ms": drawn_first,
                            "all_drawn_ms": first.get("drawn"), "figures": w["timeline"][-1][3],
                            "timeline": w["timeline"], "long_tasks": w["long_tasks"]})
            browser.close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=REPO / "workspace")
    parser.add_argument("--user", default="demo.monitor")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--screenshots", type=Path, help="a folder: one page screenshot per session once drawn")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from workbench.records.demo import demo_passwords

    ws = args.workspace.resolve()
    if not (ws / "workbench.sqlite").is_file():
        parser.error(f"--workspace: {ws} holds no study (workbench.sqlite); run `make demo` first")
    if args.screenshots is not None:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    rows = measure(ws, args.user, demo_passwords(ws)[args.user], args.screenshots)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'session':34} {'previous':>9} {'loading':>8} {'1st fig':>8} {'drawn':>8} {'figs':>5} {'blank':>6}  "
          "long tasks (start, ms)")
    for r in rows:
        cells = [("-" if r[k] is None else str(r[k])) for k in ("loading_ms", "first_figure_ms", "all_drawn_ms")]
        # "previous": how long the session shown before stayed on screen (">" when it never left while watched)
        prev = (">" if r["previous_never_left"] else "") + str(r["previous_shown_ms"])
        print(f"{r['session'][:34]:34} {prev:>9} {cells[0]:>8} {cells[1]:>8} {cells[2]:>8} {r['figures']:>5} "
              f"{r['blank']:>6}  {r['long_tasks']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
