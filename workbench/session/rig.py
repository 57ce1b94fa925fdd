"""The simulated participant and devices in a process of their own, as a real amplifier and effector are.

A real amplifier streams from its own SDK or LSL app and a real glove or stimulator
answers from its own firmware: neither shares the workbench's interpreter. When the
simulated participant's Player and the simulated effector ran as threads of the
session's process, they took the interpreter from the closed loop, and the loop took it
from them: on a busy machine the glove's heartbeat thread was held up for tens of
milliseconds while the machine itself was not late, and the gate rightly went to the
safe state for a silence that no real device would have had (issue 18). The rig runs
them in a process of its own (``python -m workbench.session.rig``), driven over a socket pair:

- the participant's :class:`~workbench.session.participant.CueTimeline` is followed
  (every start, pause, resume or abort of the runner is sent as a snapshot);
- faults are injected there (a signal stall, a NaN burst, a silent heartbeat);
- the effector starts once the loop's command stream exists, and on stop the rig sends
  back what the device received and refused (:class:`EffectorReport`).

The stimulation the effector applies reaches the participant's EMG inside the rig, as
current reaches muscle: no round trip through the workbench. A device does not pause to
collect garbage either: the rig leaves the objects it starts with out of Python's full
collections (``utils.memory.settle_heap``; before, 31-51 ms pauses of stream and heartbeat).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..errors import Problem, ValidationError, WorkbenchError
from ..utils.isolated import helper_environment
from ..utils.realtime import LIVE_PRIORITY, live_priority, priority_problems
from ..utils.signals import children_keep_running_on_ctrl_c

#: Seconds to wait for the rig process to start (a spawned interpreter imports numpy, scipy and pylsl).
START_TIMEOUT_S = 120.0
#: Seconds to wait for the rig's answer to a request (the effector finds the command stream in up to 5 s).
REPLY_TIMEOUT_S = 30.0
#: Seconds the rig waits for the Player's first chunk before settling its heap again (never longer).
FIRST_CHUNK_S = 2.0


@dataclass
class EffectorReport:
    """The simulated effector as the rig found it at the end of the block (``LiveRun.effector``).

    Filled by :meth:`SimulatedRig.stop`; until then the lists are empty.
    """

    kind: str
    command_stream: str
    received: list = field(default_factory=list)  # (arrival on the LSL clock, Command)
    faults: list = field(default_factory=list)  # commands the device refused (it went to "off")
    state: str = "off"
    amplitude_ma: float = 0.0
    position: float = 0.0
    error: BaseException | None = None
    _rig: SimulatedRig | None = field(default=None, repr=False)

    def silence_heartbeat(self, seconds: float) -> None:
        """Stop the device's heartbeat for ``seconds`` (a device that hangs), in the rig."""
        self._rig._send(("silence", float(seconds)))


class SimulatedRig:
    """A process streaming the simulated participant and, once asked, running the simulated effector.

    Parameters
    ----------
    participant : SimulatedParticipant | None
        Streamed through a :class:`~workbench.datasets.Player` named ``name``; its timeline is followed.
        ``None``: an effector only (a real amplifier elsewhere).
    name : str
        Name of the signal stream (the markers go on ``NAME-markers``).
    chunk_ms : float
        The amplifier's chunk period.
    priority : int | None
        ``SCHED_FIFO`` priority of the rig's threads where permitted (``utils/realtime.py``): a real
        amplifier and a real device keep their timing whatever the host does. None: ordinary.

    Use as a context manager, or :meth:`begin` then :meth:`ready`, so that the process starts while the
    caller does something else (the decoder's warm-up). ``name``, ``marker_name`` and ``t0`` (the Player's
    start on the LSL clock, which every process of the machine shares) are set by :meth:`ready`.
    """

    def __init__(self, participant=None, *, name: str, chunk_ms: float = 10.0,
                 priority: int | None = LIVE_PRIORITY) -> None:
        problems = priority_problems(priority)
        if participant is not None and not callable(getattr(participant, "generate", None)):
            problems.append(Problem("participant", type(participant).__name__, "a SimulatedParticipant"))
        if problems:
            raise ValidationError(problems, what="simulated rig")
        self.participant = participant
        self.name = name
        self.chunk_ms = float(chunk_ms)
        self.priority = priority
        self.marker_name: str | None = None
        self.source_ids: dict[str, str] = {}  # the participant's streams' source ids, by stream name
        self.t0: float | None = None
        self.effector: EffectorReport | None = None
        self.error: str | None = None  # the Player's or the rig's own failure, as the rig reported it
        self.pushes = None  # after stop: the Player's chunks, (n, 2) (Player.pushes)
        self._process = None
        self._conn = None
        self._lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------
    def begin(self) -> SimulatedRig:
        """Start the process; returns at once (see :meth:`ready`)."""
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        # A fresh interpreter (``python -m workbench.session.rig``), not a fork: the session's process runs
        # LSL and numba threads, which a fork would copy half-held; and not multiprocessing's spawn, which
        # re-runs the caller's main script (a script without a main guard would start its session again).
        ours, theirs = socket.socketpair()
        env = helper_environment()  # LSLAPICFG too: the rig's streams live in the session's LSL configuration
        try:
            with children_keep_running_on_ctrl_c():  # the session stops the rig, after the operator stop
                command = [sys.executable, "-m", "workbench.session.rig", str(theirs.fileno())]
                self._process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), env=env,
                                                 stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._send((self.participant, self.name, self.chunk_ms, self.priority))
        return self

    def ready(self, timeout: float = START_TIMEOUT_S) -> SimulatedRig:
        """Wait until the participant streams (or, without one, until the rig listens)."""
        if self._process is None:
            self.begin()
        reply = self._reply(timeout, "start")
        _, self.name, self.marker_name, self.t0, self.source_ids = reply
        if self.participant is not None:
            self.participant.timeline.subscribe(self._send_cues)
            self._send_cues(self.participant.timeline.snapshot())
        return self

    def __enter__(self) -> SimulatedRig:
        try:
            return self.ready()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the effector (its last state "off") and the Player; fill :attr:`effector` from the rig."""
        import subprocess

        if self._process is None:
            return
        if self.participant is not None:
            self.participant.timeline.unsubscribe(self._send_cues)
        try:
            self._send(("stop",))
            report = self._reply(REPLY_TIMEOUT_S, "stop")[1]
        except WorkbenchError as err:
            report = {"error": str(err)}
        finally:
            try:
                self._process.wait(10.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5.0)
            self._conn.close()
            self._process = None
        self.error = report.get("error")
        self.pushes = report.get("pushes")
        dev = report.get("effector")
        if self.effector is not None and dev is not None:
            for key, value in dev.items():
                setattr(self.effector, key, WorkbenchError(value) if key == "error" and value else value)

    # -- requests -------------------------------------------------------------
    def inject_stall(self, at_s: float, for_s: float) -> None:
        """The participant's amplifier goes silent for ``for_s`` s when it reaches ``at_s``."""
        self._send(("stall", float(at_s), float(for_s)))

    def inject_nan(self, at_s: float, for_s: float) -> None:
        """The participant's EEG is NaN in [at_s, at_s + for_s)."""
        self._send(("nan", float(at_s), float(for_s)))

    def start_effector(self, kind: str, command_stream: str, *, programs: dict | None = None,
                       max_amplitude_ma: float = 8.0) -> EffectorReport:
        """Start the simulated effector on ``command_stream``; returns once its heartbeat stream exists."""
        self._send(("effector", kind, command_stream, programs, float(max_amplitude_ma)))
        reply = self._reply(REPLY_TIMEOUT_S, "effector")
        if reply[0] != "effector_ready":
            raise ValidationError([Problem("command_stream", command_stream, "a visible LSL command stream")],
                                  what="simulated effector")
        self.effector = EffectorReport(kind, command_stream, _rig=self)
        return self.effector

    def _send_cues(self, snapshot) -> None:
        self._send(("cues", snapshot))

    def _send(self, message) -> None:
        with self._lock:
            try:
                self._conn.send(message)
            except (OSError, EOFError, BrokenPipeError) as err:
                raise WorkbenchError(f"the simulated rig {self.name!r} is gone: {err}") from err

    def _reply(self, timeout: float, what: str):
        if not self._conn.poll(timeout):
            raise WorkbenchError(f"the simulated rig {self.name!r} did not answer ({what}) within {timeout:g} s")
        try:
            reply = self._conn.recv()
        except EOFError as err:
            raise WorkbenchError(f"the simulated rig {self.name!r} ended ({what}) without an answer") from err
        if reply[0] == "failed":
            raise WorkbenchError(f"the simulated rig {self.name!r} failed ({what}): {reply[1]}")
        return reply


def _serve(conn, participant, name, chunk_ms, priority=LIVE_PRIORITY) -> None:
    """The rig process: stream, follow requests until "stop", report, exit."""
    from ..datasets import Player
    from ..utils.memory import settle_heap
    from .effectors import SimulatedEffector

    player = effector = None
    error = None
    try:
        # A full garbage collection would stop the stream and the heartbeat (utils/memory.py): settle the heap
        # now, and again once the first chunk is out (its first generate imports scipy's filters: a 40 ms
        # automatic collection a second into the stream when left alone).
        settle_heap()
        if participant is not None:
            # The Player's thread (and liblsl's for its outlets) real-time where permitted: a real amplifier's
            # timing does not wait for LabRecorder. This thread goes back to ordinary priority for the rest.
            with live_priority(priority):
                # keep_pushes: when each chunk left, to split the amplifier's share (LiveRun.amplifier_pushes)
                player = Player(participant, name=name, chunk_ms=chunk_ms, keep_pushes=True).start()
            deadline = time.monotonic() + FIRST_CHUNK_S
            while player.n_samples_sent == 0 and player.error is None and time.monotonic() < deadline:
                time.sleep(0.005)
            settle_heap()
            conn.send(("started", player.name, player.marker_name, player.t0,
                       {spec.name: spec.source_id for spec in player.specs}))
        else:
            conn.send(("started", name, None, None, {}))
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the session's process is gone: stop streaming, leave the effector off
                return
            kind = message[0]
            if kind == "stop":
                break
            if kind == "cues":
                participant.timeline.restore(message[1])
            elif kind == "stall":
                participant.inject_stall(*message[1:])
            elif kind == "nan":
                participant.inject_nan(*message[1:])
            elif kind == "silence" and effector is not None:
                effector.silence_heartbeat(message[1])
            elif kind == "effector":
                _, dev_kind, stream, programs, max_ma = message
                effector = SimulatedEffector(dev_kind, stream, participant=participant, programs=programs,
                                             max_amplitude_ma=max_ma)
                try:
                    with live_priority(priority):  # its heartbeat and command threads, as a device's firmware
                        effector.start()
                    settle_heap()  # the effector's inlet and outlet too
                    conn.send(("effector_ready",))
                except ValidationError:
                    effector.stop()
                    effector = None
                    conn.send(("effector_missing",))
    except BaseException as err:  # reported to the session, never silently lost
        error = repr(err)
        try:
            conn.send(("failed", error))
        except OSError:
            pass
        return
    finally:
        if effector is not None:
            effector.stop()
        if player is not None:
            player.stop()
            error = error or (repr(player.error) if player.error is not None else None)
    dev = None
    if effector is not None:
        dev = {"received": effector.received, "faults": effector.faults, "state": effector.state,
               "amplitude_ma": effector.amplitude_ma, "position": effector.position,
               "error": repr(effector.error) if effector.error is not None else None}
    pushes = player.pushes if player is not None else None
    conn.send(("stopped", {"effector": dev, "error": error, "pushes": pushes}))


def _main(fd: int) -> None:
    import signal
    from multiprocessing.connection import Connection

    # The operator's Ctrl-C reaches the terminal's whole process group. It stops the session (operator stop:
    # effector off, then the file closed), and the session then stops the rig: the devices must not vanish
    # first, taking the last "off" and the device's record with them. SIGINT arrives blocked
    # (SimulatedRig.begin); ignoring it too keeps the rig running if anything in it unblocks signals.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    try:
        participant, name, chunk_ms, priority = conn.recv()
    except EOFError:
        return
    _serve(conn, participant, name, chunk_ms, priority)


if __name__ == "__main__":
    import sys

    _main(int(sys.argv[1]))
