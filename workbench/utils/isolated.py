"""Run one function in a fresh interpreter and take back its result: for the heavy work of a live process.

A session process lives for hours and holds the live loop. Work that needs a
few hundred MB for a few seconds (a recalibration: reading a 5-minute block and
cross-validating) leaves the session's heap bigger than it was: glibc keeps part
of a freed heap resident, and the hour's soak (``benchmarks/soak.py``) saw the
session's memory in the loop rise with every recalibration (532 -> 566 MB over
eleven, 2026-11-27) while every counted object stayed flat. In a process of its
own, that memory goes back to the system when the process exits.

The helper is ``python -m workbench.utils.isolated``, a fresh interpreter, as
the simulated rig is (``session/rig.py``): a fork would copy the session's LSL
and numba threads half-held, and multiprocessing's spawn re-runs the caller's
main script. It starts at ordinary priority whatever thread asks for it, so it
never inherits a live loop's real-time scheduling. The request and the result
travel as pickles in a private temporary folder; the helper's output streams
are the caller's, so its warnings are seen where they would have been.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError
from .realtime import ordinary_priority

_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def helper_environment() -> dict:
    """This process's environment for a fresh interpreter of the workbench's: the caller's variables
    (``LSLAPICFG``, ``NUMBA_CACHE_DIR``...) and this workbench first on ``PYTHONPATH``, however it was imported."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH")) if p)
    return env


@dataclass(frozen=True)
class IsolatedResult:
    """What the function returned, and the helper process's peak resident memory (MB; None if unknown)."""

    value: Any
    peak_rss_mb: float | None


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def run_isolated(target: str, *args, **kwargs) -> IsolatedResult:
    """Call ``target`` (``"package.module:function"``) with the arguments, in a fresh interpreter.

    Arguments and the return value must pickle. An exception the function raises is raised here (a
    :class:`~workbench.errors.ValidationError` keeps its problems); a helper that dies without an answer
    (killed, out of memory) raises :class:`~workbench.errors.WorkbenchError` with its exit status.
    """
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"target: got {target!r}; allowed: 'package.module:function'")
    env = helper_environment()  # NUMBA_CACHE_DIR too: the helper loads the kernels the install compiled
    with tempfile.TemporaryDirectory(prefix="workbench-isolated-") as tmp:
        request, answer = Path(tmp) / "request.pkl", Path(tmp) / "answer.pkl"
        request.write_bytes(pickle.dumps((module, name, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
        with ordinary_priority():
            process = subprocess.Popen([sys.executable, "-m", __name__, str(request), str(answer)], env=env,
                                       stdin=subprocess.DEVNULL)
        try:
            code = process.wait()
        finally:
            if process.poll() is None:  # the caller was interrupted: the helper's work is of no use now
                process.kill()
                process.wait()
        if not answer.exists():
            raise WorkbenchError(f"{target} in a helper process: the process ended with exit status {code} "
                                 "and no answer (killed, or out of memory?)")
        ok, value, peak = pickle.loads(answer.read_bytes())
    if not ok:
        raise value
    return IsolatedResult(value, peak)


def _serve(request: Path, answer: Path) -> int:
    module, name, args, kwargs = pickle.loads(request.read_bytes())
    try:
        outcome = (True, getattr(importlib.import_module(module), name)(*args, **kwargs))
    except Exception as err:  # noqa: BLE001 - every failure goes back to the caller, who raises it
        outcome = (False, err)
    try:
        data = pickle.dumps((*outcome, _peak_rss_mb()), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:  # noqa: BLE001 - an answer that does not pickle is the caller's error to see
        data = pickle.dumps((False, WorkbenchError(f"{module}:{name} in a helper process: its "
                                                   f"{'result' if outcome[0] else 'error'} does not pickle "
                                                   f"({type(err).__name__}: {err}); it was: {outcome[1]!r}"),
                             _peak_rss_mb()))
    tmp = answer.with_suffix(".part")  # the caller sees a whole answer or none
    tmp.write_bytes(data)
    tmp.replace(answer)
    return 0


if __name__ == "__main__":
    sys.exit(_serve(Path(sys.argv[1]), Path(sys.argv[2])))
