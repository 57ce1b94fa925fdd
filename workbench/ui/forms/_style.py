"""How a field shows that its value is not allowed, and how errors are named."""

from __future__ import annotations

import html

import ipywidgets as widgets

INVALID_CLASS = "wb-invalid"
_RED = "#c62828"

#: One stylesheet for every form: an invalid input gets a red border and a pink
#: fill (the class alone is invisible), and long labels wrap instead of being cut.
STYLE_HTML = f"""<style>
.{INVALID_CLASS} input, .{INVALID_CLASS} select, .{INVALID_CLASS} textarea,
input.{INVALID_CLASS}, select.{INVALID_CLASS} {{
  border: 2px solid {_RED} !important; background-color: #ffebee !important; }}
.wb-form-label {{ white-space: normal; line-height: 1.25; padding-right: 8px; }}
.wb-form-errors {{ color: {_RED}; }}
</style>"""


def style() -> widgets.HTML:
    return widgets.HTML(STYLE_HTML, layout=widgets.Layout(height="0px", margin="0"))


def mark(widget: widgets.DOMWidget, message: str | None) -> None:
    """Mark (message given) or clear the error state of one input widget."""
    if message:
        widget.add_class(INVALID_CLASS)
        widget.tooltip = message
    else:
        widget.remove_class(INVALID_CLASS)
        widget.tooltip = None


def is_marked(widget: widgets.DOMWidget) -> bool:
    return INVALID_CLASS in widget._dom_classes


def label(text: str, width: str = "420px") -> widgets.HTML:
    """A label that wraps (ipywidgets' Label cuts long text off with an ellipsis)."""
    return widgets.HTML(f"<div class='wb-form-label'>{html.escape(text)}</div>", layout=widgets.Layout(width=width))


def problems_html(problems, labels: dict[str, str] | None = None) -> str:
    """The problems as a list, each named by the label the user sees on the form."""
    if not problems:
        return ""
    labels = labels or {}
    rows = "".join(f"<li><b>{html.escape(labels.get(p.field, p.field))}</b>: "
                   f"{'empty' if p.value is None else 'got ' + html.escape(_shown(p.value))}; "
                   f"allowed: {html.escape(p.allowed)}</li>" for p in problems)
    return f"<div class='wb-form-errors'>Fix before saving:<ul>{rows}</ul></div>"


def _shown(value) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)
