"""The operator's panel: pause, resume, abort, a large stop button, and what the loop is doing."""

from __future__ import annotations

import asyncio
import html

import ipywidgets as widgets

STOP_STYLE = widgets.Layout(width="260px", height="90px")


class OperatorPanel:
    """A view over a :class:`~workbench.session.live.BlockControl` (the block runs in its own thread).

    The stop button is an operator stop: the gate turns the effector off at
    the loop's next step (within 100 ms) and holds it off until "Release".
    """

    def __init__(self, control, rate: float = 4.0) -> None:
        self.control = control
        self.rate = rate
        self.stop_button = widgets.Button(description="STOP", button_style="danger", layout=STOP_STYLE,
                                          tooltip="effector off now (operator stop)")
        self.stop_button.style.font_size = "32px"
        self.stop_button.style.font_weight = "bold"
        self.buttons = {a: widgets.Button(description=a.capitalize()) for a in ("pause", "resume", "abort", "release")}
        self.stop_button.on_click(lambda _: control.request("stop"))
        for action, button in self.buttons.items():
            button.on_click(lambda _, a=action: control.request(a))
        self.status = widgets.HTML("not started")
        self.widget = widgets.VBox([self.stop_button, widgets.HBox(list(self.buttons.values())), self.status])
        self._task = None

    def refresh(self) -> str:
        c = self.control
        cue = c.cue
        cue_text = "-" if cue is None else (f"trial {cue.trial}/{cue.n_trials}: <b>{html.escape(cue.label)}</b> "
                                            f"({cue.remaining_s:.1f} s left), paradigm {cue.state}")
        gate = (f"<span style='color:#b00'>SAFE STATE ({html.escape(c.gate_rule)})</span>" if c.gate_safe
                else "<span style='color:#070'>active</span>")
        self.status.value = (f"{'running' if c.running else 'not running'} &nbsp; {cue_text}<br>gate {gate}, "
                             f"effector <code>{html.escape(c.command)}</code>, {c.n_decisions} decisions")
        return self.status.value

    def start_updates(self) -> None:
        """Refresh ``rate`` times a second from the notebook's event loop."""
        try:
            self._task = asyncio.get_event_loop().create_task(self._loop())
        except RuntimeError:  # no event loop (plain script): call refresh() yourself
            self._task = None

    async def _loop(self) -> None:
        while True:
            self.refresh()
            await asyncio.sleep(1.0 / self.rate)
