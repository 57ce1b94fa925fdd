"""Write a report's HTML and PDF under the workspace's ``reports/`` folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..config import get_workspace
from ..utils.files import PRIVATE_DIR, PRIVATE_FILE, atomic_write, make_private_dir
from .build import participant_report_html, study_report_html
from .pdf import print_pdf
from .trial_data import load_trial


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path | None


def _write(html: str, folder: Path, stem: str, pdf: bool) -> ReportFiles:
    # A report holds participants' clinical data: the folder and both files are the owner's only
    # (0700/0600), so the PDF the browser prints is never readable by others, even for a moment.
    make_private_dir(folder)
    os.chmod(folder, PRIVATE_DIR)
    html_path = folder / f"{stem}.html"
    with atomic_write(html_path, encoding="utf-8") as fh:  # 0600
        fh.write(html)
    files = ReportFiles(html_path, None)
    return add_pdf(files) if pdf else files


def add_pdf(files: ReportFiles) -> ReportFiles:
    """Print ``files.html`` to the PDF beside it (0600); :class:`ChromiumMissingError` without Chromium."""
    pdf_path = print_pdf(files.html, files.html.with_suffix(".pdf"))
    os.chmod(pdf_path, PRIVATE_FILE)
    return ReportFiles(files.html, pdf_path)


def write_study_report(store, workspace=None, *, study_id: str | None = None, pdf: bool = True,
                       today: date | None = None) -> ReportFiles:
    """``reports/study-<STUDY>.html`` and ``.pdf`` for the whole study; returns their paths."""
    ws = get_workspace(workspace)
    data = load_trial(store, study_id, today=today)
    html = study_report_html(store, data, ws.root)
    return _write(html, ws.reports, f"study-{data.study.id}", pdf)


def write_participant_report(store, participant_id: str, workspace=None, *, study_id: str | None = None,
                             pdf: bool = True, today: date | None = None) -> ReportFiles:
    """``reports/participant-<ID>.html`` and ``.pdf``; unknown ids are refused with the known ones."""
    ws = get_workspace(workspace)
    data = load_trial(store, study_id, today=today)
    data.check_participant(participant_id)
    html = participant_report_html(store, data, participant_id, ws.root)
    return _write(html, ws.reports, f"participant-{participant_id}", pdf)


__all__ = ["ReportFiles", "add_pdf", "write_participant_report", "write_study_report"]
