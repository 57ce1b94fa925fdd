"""Small HTML building blocks for the self-contained reports (escaped, print-friendly)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

CSS = """
@page { size: A4; margin: 12mm 12mm 14mm 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11px; color: #222; max-width: 760px;
       margin: 0 auto; padding: 8px; }
h1 { font-size: 20px; margin: 0 0 4px 0; } h2 { font-size: 15px; border-bottom: 2px solid #0072B2;
     padding-bottom: 2px; margin-top: 22px; page-break-after: avoid; }
h3 { font-size: 12px; margin: 12px 0 4px 0; page-break-after: avoid; }
.meta { color: #555; margin-bottom: 10px; }
table { border-collapse: collapse; margin: 4px 0 10px 0; page-break-inside: auto; }
th, td { border: 1px solid #ccc; padding: 2px 5px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; hyphens: manual; }
table { max-width: 100%; }
th { background: #eef3f8; } tr { page-break-inside: avoid; }
td.num { text-align: right; }
.figure { width: 720px; page-break-inside: avoid; margin: 6px 0 12px 0; }
.empty { color: #555; font-style: italic; }
.ok { color: #1b5e20; font-weight: bold; } .bad { color: #b71c1c; font-weight: bold; }
.flow { display: flex; flex-direction: column; align-items: center; gap: 6px; page-break-inside: avoid; }
.flow .row { display: flex; gap: 16px; justify-content: center; }
.flow .box { border: 1.5px solid #333; padding: 5px 10px; min-width: 180px; text-align: center; background: #fafafa; }
.flow .arrow { font-size: 16px; line-height: 14px; }
nav ol { columns: 2; margin: 4px 0; }
table.hash { font-size: 9px; }
/* Ten columns or more do not fit the printed page at 11 px: their longest words alone are wider. */
table.dense { font-size: 9px; } table.dense th, table.dense td { padding: 1px 3px; }
table.hash td:nth-child(3) { font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }
/* A4 less the 12 mm margins is 186 mm (703 CSS px): the page is the limit in print, not 760 px, and a
   table wraps its cells (overflow-wrap above) rather than running off the right edge. break-word, not
   anywhere: "anywhere" lets the table shrink a column below its longest word, and Chromium printed
   "contro/l" and "accur/acy"; break-word breaks a word only when it alone is wider than the page. */
@media print { body { max-width: none; padding: 0 3px; } .figure { zoom: 0.96; } }
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


#: From this many columns (the index counted) a table is printed in the small type (``table.dense``).
DENSE_COLUMNS = 10


def table(frame: pd.DataFrame, *, empty: str, index: bool = False, classes: str = "") -> str:
    """An escaped HTML table, or a sentence saying why there is none."""
    if frame is None or frame.empty:
        return f"<p class='empty'>{esc(empty)}</p>"
    n_columns = frame.shape[1] + (frame.index.nlevels if index else 0)
    if n_columns >= DENSE_COLUMNS:
        classes = " ".join(filter(None, [classes, "dense"]))
    shown = frame.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = [("" if pd.isna(v) else f"{v:.3g}") for v in shown[col]]
    shown = shown.astype(object).where(shown.notna(), "—")
    return shown.to_html(index=index, escape=True, border=0, classes=classes or None, na_rep="—")


class FigureWriter:
    """Turns plotly figures into HTML; plotly.js is inlined once, by the first figure."""

    def __init__(self) -> None:
        self._first = True

    def __call__(self, fig: go.Figure) -> str:
        body = fig.to_html(full_html=False, include_plotlyjs=self._first,
                           config={"displayModeBar": False, "responsive": False})
        self._first = False
        return f"<div class='figure'>{body}</div>"


def section(anchor: str, title: str, *parts: str) -> str:
    return f"<section id='{esc(anchor)}'><h2>{esc(title)}</h2>{''.join(parts)}</section>"


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """A complete HTML document: title, table of contents and the sections (anchor, title, html)."""
    toc = "".join(f"<li><a href='#{esc(a)}'>{esc(t)}</a></li>" for a, t, _ in sections)
    body = "".join(section(a, t, h) for a, t, h in sections)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{esc(title)}</h1><div class='meta'>{esc(subtitle)}</div>"
            f"<nav><ol>{toc}</ol></nav>{body}</body></html>")


def consort_diagram(flow: pd.DataFrame, visit_names, enrolment: dict[str, int] | None = None) -> str:
    """CONSORT 2010-style boxes: enrolled, then one column per arm (allocated by randomization) to the analysis."""
    if flow.empty:
        return "<p class='empty'>No participant enrolled yet.</p>"
    total = flow[flow["arm"] == "total"].iloc[0]
    arms = flow[flow["arm"] != "total"]
    enrolment = enrolment or {}

    def box(text):
        return f"<div class='box'>{text}</div>"

    def row(cells):
        return "<div class='row'>" + "".join(cells) + "</div><div class='arrow'>&darr;</div>"

    def allocated(a):
        text = f"<b>Allocated to {esc(a['arm'])}</b> (randomized)<br>n = {int(a['allocated'])}"
        by_hand = int(a.get("assigned without randomization", 0))
        return box(text + (f"<br>assigned without randomization n = {by_hand}" if by_hand else ""))

    enrolled = enrolment.get("enrolled", int(total["allocated"]))
    waiting = enrolment.get("awaiting randomization", 0)
    parts = [box(f"<b>Enrolled</b> (consented)<br>n = {enrolled}"
                 + (f"<br>awaiting randomization n = {waiting}" if waiting else "")),
             "<div class='arrow'>&darr;</div>",
             row(allocated(a) for _, a in arms.iterrows())]
    for v in visit_names:
        parts.append(row(box(f"{esc(v)}: done n = {int(a[f'{v} done'])}") for _, a in arms.iterrows()))
    parts.append(row(box(f"Withdrawn n = {int(a['withdrawn'])}") for _, a in arms.iterrows()))
    parts.append("<div class='row'>" + "".join(
        box(f"<b>Analysed</b> (baseline and a follow-up)<br>n = {int(a['analysed (baseline + follow-up)'])}")
        for _, a in arms.iterrows()) + "</div>")
    return "<div class='flow'>" + "".join(parts) + "</div>"
