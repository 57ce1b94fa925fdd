"""Select the loopback-only liblsl configuration before pylsl is first used.

An LSL *session id* (liblsl's ``[lab] SessionID``) makes streams invisible to
resolvers of any other session on the same network or machine: two benches,
or two test workers, can then run beside each other without seeing each
other's streams. ``WORKBENCH_LSL_SESSION`` (or ``session=``) selects one.
"""

from __future__ import annotations

import os
import re
import tempfile
from importlib.resources import files
from pathlib import Path

from ..errors import Problem, ValidationError

LOOPBACK_CFG = str(files("workbench.acquisition") / "lsl_loopback.cfg")
SESSION_ENV = "WORKBENCH_LSL_SESSION"
_SESSION_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def use_loopback(force: bool = False, session: str | None = None) -> str:
    """Point liblsl at the loopback configuration unless the user chose their own.

    liblsl reads ``LSLAPICFG`` once, when the library first resolves or opens
    an outlet, so call this before any stream is created. Returns the path in use.

    Parameters
    ----------
    force : bool
        Replace a configuration the user chose with ``LSLAPICFG``.
    session : str | None
        LSL session id (letters, digits, ``_.-``); default ``WORKBENCH_LSL_SESSION``
        or liblsl's own ("default"). Child processes inherit the choice.
    """
    if force or "LSLAPICFG" not in os.environ:
        session = session if session is not None else os.environ.get(SESSION_ENV)
        os.environ["LSLAPICFG"] = LOOPBACK_CFG if not session else _session_cfg(session)
    return os.environ["LSLAPICFG"]


def _session_cfg(session: str) -> str:
    if not isinstance(session, str) or not _SESSION_RE.fullmatch(session):
        raise ValidationError(
            [Problem("LSL session", session, "1-64 letters, digits, '_', '.' or '-'")], what="LSL configuration"
        )
    text = Path(LOOPBACK_CFG).read_text().replace("[lab]\n", f"[lab]\nSessionID = {session}\n", 1)
    path = Path(tempfile.gettempdir()) / f"workbench-lsl-{session}.cfg"
    if not path.exists() or path.read_text() != text:
        # Written whole and renamed: a process starting beside this one never reads half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".cfg")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    return str(path)
