"""Helper processes: a terminal's Ctrl-C does not stop them behind the session's back; they end with their parent."""

from __future__ import annotations

import signal
from contextlib import contextmanager


@contextmanager
def children_keep_running_on_ctrl_c():
    """Processes started inside this block start with SIGINT blocked.

    A terminal sends Ctrl-C to its whole foreground process group: LabRecorderCLI
    and the simulated rig got it together with the session and ended at once, so
    the XDF had no footers and the devices vanished before the operator stop's
    "off". The session turns Ctrl-C into an operator stop and then stops its
    helpers itself. A blocked signal mask is inherited through fork and exec
    (POSIX), and only the calling thread's mask changes here, for the block.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """``preexec_fn`` for a helper that must not outlive its parent: it gets SIGTERM when the parent dies,
    even by SIGKILL (Linux ``PR_SET_PDEATHSIG``); elsewhere nothing. Linux counts the thread that started it
    as the parent: start such helpers from a thread that lives as long as they should (a cell, a main loop)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
