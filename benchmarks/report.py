"""Benchmark the study report and the dashboard's first view: 50 participants x 12 visits.

Builds a synthetic study in a throwaway workspace through the records store
(2 sites, 2 arms, a 12-visit schedule, WISCI II, Box and Block and SCIM III at
every visit, one BCI session with a scored run per participant), then times:

- ``html_s``: ``write_study_report(..., pdf=False)``: read the study, compute every
  table and figure, write the self-contained HTML (goal: under 15 s);
- ``pdf_s``: printing that HTML to A4 with headless Chromium (browser start included);
- ``dashboard_first_view_s``: in Chromium, from opening the dashboard URL with its
  token on a running ``workbench dashboard`` (its pre-run kernel ready) through
  signing in to the study overview's figures drawn;
- ``dashboard_cold_start_s``: the same for the first page right after the
  dashboard started (it also waits for Voila to start a kernel and run the notebook).

A report has no faster peer doing the same job, so there is no ratio: the
numbers are the cost a user waits for, on this machine.

Usage::

    python benchmarks/report.py [--json] [--participants 50] [--visits 12] [--no-dashboard]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

USER, PASSWORD = "bench.investigator", "benchmark password 1234"


def build_study(root: Path, n_participants: int, n_visits: int):
    """A study store with n participants x n visits, three instruments per visit; returns (workspace, store)."""
    from workbench.config import get_workspace
    from workbench.outcomes.instruments import load_instrument, score_instrument
    from workbench.records import (
        Consent, OutcomeAssessment, Participant, Run, Session, Site, Store, Study, Trial, Visit, VisitDefinition,
    )
    from workbench.records.storage.engine import create_engine
    from workbench.records.storage.migrate import upgrade_database

    ws = get_workspace(root / "workspace")
    engine = create_engine(ws.db_url)
    upgrade_database(engine, workspace=ws.root)
    engine.dispose()
    store = Store.create_first_account(ws.db_url, user=USER, password=PASSWORD, workspace=ws.root)
    schedule = tuple(VisitDefinition(name="baseline" if k == 0 else f"week{4 * k}", target_day=28 * k,
                                     window_before=0 if k == 0 else 7, window_after=7) for k in range(n_visits))
    study = Study(id="BENCH-STUDY", title="Report benchmark study", arms=("BCI", "control"), visit_schedule=schedule)
    sites = [Site(id=s, study_id=study.id, name=f"Benchmark site {s}", country="CH") for s in ("AA", "BB")]
    store.add(study, *sites)
    wisci, bbt, scim = (load_instrument(i) for i in ("WISCI-II", "BBT", "SCIM-III"))
    start = date(2024, 1, 8)
    for i in range(n_participants):
        pid = f"BEN-{i + 1:03d}"
        enrol = start + timedelta(days=3 * i)
        p = Participant(id=pid, study_id=study.id, site_id=sites[i % 2].id, arm=study.arms[(i // 2) % 2],
                        enrolment_date=enrol, injury_date=enrol - timedelta(days=200 + i), injury_level="C5",
                        baseline_ais="ABCD"[i % 4], age_years=20 + i % 50, sex="FM"[i % 2])
        records = [p, Consent(participant_id=pid, form_version="ICF v1", consent_date=enrol - timedelta(days=2),
                              data_sharing=True)]
        for k, d in enumerate(schedule):
            when = enrol + timedelta(days=d.target_day)
            v = Visit(participant_id=pid, name=d.name, scheduled_date=when, window_before=d.window_before,
                      window_after=d.window_after, status="done", actual_date=when)
            records.append(v)
            if k == 0:
                first_visit = v
            gain = k * (1 + i % 3)
            for inst, items in ((wisci, {"level": min(20, i % 8 + k)}),
                                (bbt, {"right.blocks": 5 + gain, "left.blocks": 3 + gain}),
                                (scim, {item.id: item.values[min(len(item.values) - 1, k // 3)]
                                        for item in scim.items})):
                s = score_instrument(inst, items)
                records.append(OutcomeAssessment(
                    participant_id=pid, visit_id=v.id, instrument=inst.id, instrument_version=inst.version,
                    assessor=USER, assessed_on=when, item_values=s.item_values, scores=s.scores))
        session = Session(participant_id=pid, visit_id=first_visit.id, device="simulated amplifier",
                          montage="64 ch 10-10", operator=USER,
                          started_at=datetime.combine(enrol, datetime.min.time(), tzinfo=timezone.utc))
        run = Run(session_id=session.id, number=1, task="attempt-rest")
        trials = [Trial(run_id=run.id, number=t + 1, cue="attempt" if t % 2 else "rest", onset_s=4.0 * t,
                        decoded="attempt" if (t + i) % 5 else "rest", correct=(t % 2 == 1) == bool((t + i) % 5),
                        latency_s=0.3) for t in range(20)]
        records += [session, run, *trials]
        store.add(*records)
    return ws, store


def _first_view(browser, base: str, token: str) -> float:
    """Seconds from opening the tokened URL in a new page to the overview's figures drawn (sign-in included)."""
    from tests.browser.servers import sign_in

    page = browser.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(f"{base}?token={token}", timeout=180_000)
        sign_in(page, USER, PASSWORD)
        page.wait_for_function("document.querySelectorAll('.wb-overview .wb-figure .main-svg').length >= 3",
                               timeout=180_000)
        return time.perf_counter() - t0
    finally:
        page.close()


#: Seconds given to Voila to refill its pool of pre-run kernels after the first page took one
#: (a kernel start and the notebook's imports: 6-10 s on this machine under load).
POOL_REFILL_S = 20.0


def time_dashboard(ws) -> tuple[float, float]:
    """(first view on a running dashboard, first view right after ``workbench dashboard`` started).

    A clinician usually opens a dashboard that has been running for a while: its pre-run
    kernel is ready. The page opened right after the start also waits for that kernel.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.servers import dashboard
    from workbench.report.pdf import launch_chromium

    token = "benchmark-token"
    with dashboard(ws.root, token, ws.logs / "voila-benchmark.log") as base, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            cold = _first_view(browser, base, token)
            time.sleep(POOL_REFILL_S)
            return _first_view(browser, base, token), cold
        finally:
            browser.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--visits", type=int, default=12)
    parser.add_argument("--no-dashboard", action="store_true", help="skip the browser timing of the dashboard")
    args = parser.parse_args(argv)

    from workbench.report import write_study_report
    from workbench.report.pdf import print_pdf

    with tempfile.TemporaryDirectory(prefix="wb-bench-report-") as tmp:
        t0 = time.perf_counter()
        ws, store = build_study(Path(tmp), args.participants, args.visits)
        build_s = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            files = write_study_report(store, ws.root, pdf=False)
            html_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            pdf = print_pdf(files.html, files.html.with_suffix(".pdf"))
            pdf_s = time.perf_counter() - t0
            result = {"participants": args.participants, "visits": args.visits, "study_build_s": round(build_s, 2),
                      "html_s": round(html_s, 3), "html_goal_s": 15.0,
                      "html_mb": round(files.html.stat().st_size / 1e6, 2), "pdf_s": round(pdf_s, 3),
                      "pdf_mb": round(pdf.stat().st_size / 1e6, 2)}
            if not args.no_dashboard:
                warm, cold = time_dashboard(ws)
                result["dashboard_first_view_s"] = round(warm, 3)
                result["dashboard_cold_start_s"] = round(cold, 3)
        finally:
            store.close()
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:<26} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
