"""Closing the widgets a view replaces, so that neither the kernel nor the page keeps them.

A widget taken out of a box but not closed stays open: its comm, its model in
the kernel and its view in the page. A Session tab switched all day kept every
figure it had drawn (each with its plotly JSON); a form chooser kept every
form it had shown. Views that replace what they show do it through
:func:`replace_children`. The widgets replaced must be the view's own: a
Layout or Style shared with widgets still shown (a module-level ``Layout``)
would be closed under them.
"""

from __future__ import annotations

import ipywidgets as widgets


def close_tree(widget: widgets.Widget) -> None:
    """Close ``widget``, every widget inside it, and their own layouts and styles."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in ("layout", "style"):  # made with each widget; ipywidgets does not close them with it
        owned = getattr(widget, part, None)
        if isinstance(owned, widgets.Widget):
            owned.close()
    widget.close()


def replace_children(container: widgets.Box, children) -> None:
    """Show ``children`` in ``container``, then close what it showed before and shows no more."""
    old, children = container.children, tuple(children)
    container.children = children  # first: the page never shows a closed widget
    kept = {id(c) for c in children}
    for w in old:
        if id(w) not in kept:
            close_tree(w)
