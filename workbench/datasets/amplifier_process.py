"""The simulated amplifier in a process of its own (``workbench simulate``), as a real amplifier is.

A :class:`~workbench.datasets.player.Player` started in a notebook streams from a
thread of the kernel, and shares its interpreter with everything the notebook does:
while a cell imports plotly (nbformat, jsonschema: seconds of Python) or draws a
scope, the Player's thread waits for the interpreter at each of its calls into
numpy, scipy and liblsl, and notebook 01 showed five "no samples for 0.50 s"
disconnections in its first ten seconds, none of them the amplifier's. A real
amplifier streams from its own SDK or LSL app; this one streams from its own
interpreter, so what the notebook shows is what the workbench does.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from ..errors import Problem, ValidationError, WorkbenchError
from ..utils.isolated import helper_environment
from ..utils.signals import die_with_parent
from .player import Player
from .synthetic import SyntheticSource

#: Seconds to wait for the process's outlets (a fresh interpreter imports numpy, scipy and pylsl).
START_TIMEOUT_S = 60.0
#: Seconds a stopped amplifier has to close its outlets before it is killed.
STOP_GRACE_S = 5.0


class SimulatedAmplifier:
    """A synthetic amplifier streaming on LSL from its own process.

    Parameters
    ----------
    montage : str
        One of :data:`~workbench.datasets.MONTAGES` (``eeg-64``, ``ecog-8``, ``utah-96``).
    seed : int
        Same seed, same signal.
    name : str
        The signal stream's name; the cues go to ``name + "-markers"``.
    source_id : str | None
        LSL source id of the signal stream (default ``"<name>-<this process's pid>"``): a
        stream opened by it reconnects when the amplifier is started again.
    chunk_ms : float
        Push period in milliseconds (1-1000).
    counter : bool
        Channel 0 carries the sample index (a sample counter for loss checks).

    Examples
    --------
    >>> amplifier = SimulatedAmplifier("eeg-64", seed=0, name="wb-sim").start()  # doctest: +SKIP
    >>> stream = Stream(amplifier.name).connect()  # doctest: +SKIP
    """

    def __init__(self, montage: str = "eeg-64", *, seed: int = 0, name: str = "wb-sim", source_id: str | None = None,
                 chunk_ms: float = 20.0, counter: bool = False) -> None:
        # The Player the process will run, built here and never started: its rules and SyntheticSource's check
        # the settings (every problem at once), and it names the streams the process will open.
        problems = []
        try:
            source = SyntheticSource(montage, seed=seed, counter=counter)
        except ValidationError as err:
            problems += err.problems
            source = SyntheticSource(counter=counter)  # a valid stand-in, so the Player's rules are checked too
        try:
            player = Player(source, name=name, source_id=source_id, chunk_ms=chunk_ms)
        except ValidationError as err:
            problems += err.problems
        if problems:
            raise ValidationError(problems, what="simulated amplifier")
        self.montage, self.seed, self.counter, self.chunk_ms = montage, seed, bool(counter), player.chunk_ms
        self.name, self.marker_name, self.source_id = player.name, player.marker_name, player.source_id
        self._process: subprocess.Popen | None = None
        self._log = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, timeout: float = START_TIMEOUT_S) -> SimulatedAmplifier:
        """Start the process and return once its outlets are open (or raise with what it printed)."""
        if self._process is not None:
            raise WorkbenchError(f"simulated amplifier {self.name!r} was already started; make a new one")
        command = [sys.executable, "-m", "workbench", "simulate", "--montage", self.montage, "--seed", str(self.seed),
                   "--name", self.name, "--source-id", self.source_id, "--chunk-ms", f"{self.chunk_ms:g}"]
        if self.counter:
            command.append("--counter")
        # Its log goes to a file, not a pipe nobody reads: liblsl's notes over hours would fill a pipe.
        self._log = tempfile.TemporaryFile(mode="w+")
        # A session of its own: Jupyter's "Interrupt kernel" signals the kernel's whole process group, and an
        # interrupted cell must not stop the amplifier. It still ends with the kernel (die_with_parent).
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log, env=helper_environment(),
                                         start_new_session=True, preexec_fn=die_with_parent)
        # The CLI prints "running ..." once its outlets are open; EOF: it ended first. Bytes as they come (select
        # and a buffered reader disagree about what is left to read).
        deadline, printed, fd = time.monotonic() + timeout, b"", self._process.stdout.fileno()
        while (remaining := deadline - time.monotonic()) > 0 and select.select([fd], [], [], remaining)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            printed += chunk
            if any(line.startswith(b"running") for line in printed.splitlines()):
                return self
        why = self._failure()
        self.stop()
        raise WorkbenchError(f"simulated amplifier {self.name!r} did not start: {why}")

    def stop(self) -> None:
        """Close the outlets (Ctrl-C to the process), kill it after a grace period; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _failure(self) -> str:
        try:  # its output ended: its exit status follows (a moment later on a loaded machine)
            code = self._process.wait(1.0)
        except subprocess.TimeoutExpired:
            code = None
        self._log.flush()
        self._log.seek(0)
        lines = [line.strip() for line in self._log.read().splitlines() if line.strip()]
        said = lines[-1] if lines else "it printed nothing"
        return f"{said} (exit code {code})" if code is not None else f"no outlets after the timeout; {said}"

    def __enter__(self) -> SimulatedAmplifier:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running, pid {self.pid}" if self.running else "stopped"
        return (f"<SimulatedAmplifier {self.montage} seed={self.seed}: {self.name!r} and {self.marker_name!r}, "
                f"source_id={self.source_id!r}, {state}>")
