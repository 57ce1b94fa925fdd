"""How a field shows that its value is not allowed."""

from __future__ import annotations

import html

import ipywidgets as widgets

INVALID_CLASS = "wb-invalid"
_INVALID_BORDER = "2px solid #c62828"


def mark(widget: widgets.DOMWidget, message: str | None) -> None:
    """Mark (message given) or clear the error state of one input widget."""
    if message:
        widget.add_class(INVALID_CLASS)
        widget.layout.border = _INVALID_BORDER
        widget.tooltip = message
    else:
        widget.remove_class(INVALID_CLASS)
        widget.layout.border = None
        widget.tooltip = None


def is_marked(widget: widgets.DOMWidget) -> bool:
    return INVALID_CLASS in widget._dom_classes


def problems_html(problems) -> str:
    if not problems:
        return ""
    rows = "".join(f"<li><b>{html.escape(p.field)}</b>: got {html.escape(repr(p.value))}; "
                   f"allowed: {html.escape(p.allowed)}</li>" for p in problems)
    return f"<div style='color:#c62828'>Fix before saving:<ul>{rows}</ul></div>"
