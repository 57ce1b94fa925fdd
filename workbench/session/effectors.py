"""Effectors behind an LSL command stream, and their simulated devices.

The loop pushes one string per command on ``<name>-commands`` (irregular
rate): ``<command>;seq=<n>;src=<lsl time of the newest sample it was decoded
from>``. A device answers on ``<name>-heartbeat`` every ``heartbeat_s`` with its
state; a missing heartbeat is a fault the gate acts on.

Three kinds, each with a simulated device:

- ``glove`` (grasp glove or FES): ``open``, ``close``, ``hold``;
- ``programs`` (spinal stimulation): ``program:<name>@<mA>``, one validated
  :class:`~workbench.session.stimulation.StimProgram` per decoded intent, run
  at an amplitude up to its own (the gate ramps switches between programs;
  ``program:<name>`` alone runs it at its own amplitude);
- ``adaptive`` (spinal stimulation): ``amplitude:<mA>`` from the controller;
  when it follows the decoded intent, also ``stimulate`` (an active intent
  passed the gate: the controller runs) and ``rest`` (the amplitude ramps to 0).

Every kind understands ``off`` (:data:`~workbench.session.gate.SAFE_COMMAND`).
A simulated device applies a command the moment it arrives and checks it once
more on its side (unknown command, amplitude over its hardware limit: it goes
off and reports a fault), as real stimulators do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ..errors import Problem, ValidationError
from .gate import SAFE_COMMAND

DEVICE_POLL_S = 0.004  # the simulated device reads commands and beats at this pace (s)
#: The simulated devices' heartbeat period (s), on the device's own clock. The gate calls a heartbeat lost after
#: 80 ms (GateLimits.heartbeat_timeout_s), so a hold-up of the machine is tolerated up to that timeout less the
#: longest interval between beats. Every 20 ms, sent 20-24 ms apart (each beat timed from the poll that sent the
#: last), left 56 ms: the hour soak of 2026-11-26 had a heartbeat_lost in its last block while both CPUs stalled
#: 57-60 ms. Every 10 ms on the device's clock (10-14 ms apart) leaves 66 ms.
HEARTBEAT_S = 0.01

EFFECTOR_KINDS = ("glove", "programs", "adaptive")
#: Decoded intent -> glove command.
GLOVE_COMMANDS = {"grasp": "close", "open": "open", "rest": "hold"}
#: Adaptive stimulation that follows the decoded intent: rest -> REST, any other class -> STIMULATE.
STIMULATE, REST = "stimulate", "rest"
REST_INTENTS = frozenset({"rest"})


@dataclass(frozen=True)
class Command:
    """One command as sent: what, its sequence number and the sample time it was decoded from."""

    command: str
    seq: int
    source_time: float

    def encode(self) -> str:
        return f"{self.command};seq={self.seq};src={self.source_time:.6f}"

    @classmethod
    def decode(cls, text: str) -> "Command":
        head, *fields = text.split(";")
        kv = dict(f.split("=", 1) for f in fields if "=" in f)
        return cls(head, int(kv.get("seq", -1)), float(kv.get("src", "nan")))


def intent_commands(kind: str, classes, programs: dict | None = None, *, follow_intent: bool = False) -> dict:
    """Decoded intent -> command (None: no command) for an effector kind.

    ``follow_intent`` (adaptive only): the intents become :data:`STIMULATE` / :data:`REST`, so that the
    gate's threshold, dwell and refractory period decide when stimulation may run.
    """
    if kind not in EFFECTOR_KINDS:
        raise ValidationError([Problem("effector", kind, ", ".join(EFFECTOR_KINDS))], what="effector")
    if kind == "glove":
        return {c: GLOVE_COMMANDS.get(c) for c in classes}
    if kind == "programs":
        programs = programs or {}
        return {c: programs[c].command() if c in programs else None for c in classes}
    if follow_intent:
        return {c: REST if str(c) in REST_INTENTS else STIMULATE for c in classes}
    return {c: None for c in classes}  # adaptive: the controller sends amplitudes, whatever the intent


def command_levels(programs: dict | None) -> dict:
    """Program command -> its checked amplitude (mA): what the gate ramps between."""
    return {p.command(): p.amplitude_ma for p in (programs or {}).values()}


class CommandOutlet:
    """The loop's side of the command stream."""

    def __init__(self, name: str, source_id: str | None = None) -> None:
        import pylsl

        info = pylsl.StreamInfo(f"{name}-commands", "Commands", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string,
                                source_id or f"{name}-commands")
        self.name, self.source_id = info.name(), info.source_id()
        self._outlet = pylsl.StreamOutlet(info)
        self._seq = 0
        self.sent: list[tuple[float, Command]] = []

    def push(self, command: str, source_time: float) -> Command:
        import pylsl

        self._seq += 1
        cmd = Command(command, self._seq, source_time)
        now = pylsl.local_clock()
        self._outlet.push_sample([cmd.encode()], now)
        self.sent.append((now, cmd))
        return cmd

    def close(self) -> None:
        self._outlet = None


def simulated_heartbeat_source_id(heartbeat_name: str) -> str:
    """The source id of a simulated device's heartbeat stream: the session opens it by id, not by name alone
    (a lookup by name waits 0.7 s for a second stream of that name, to refuse an ambiguous one)."""
    return f"{heartbeat_name}-sim"


class SimulatedEffector:
    """A simulated device on the command stream: applies commands and sends a heartbeat.

    Parameters
    ----------
    kind : str
        glove, programs or adaptive.
    command_stream : str
        Name of the loop's command stream.
    participant : SimulatedParticipant | None
        Stimulation sets ``participant.stimulation_ma`` (its EMG answers after a delay).
    programs : dict | None
        For ``programs``: intent -> StimProgram (already checked).
    max_amplitude_ma : float
        The device's own hardware limit.
    """

    def __init__(self, kind: str, command_stream: str, *, participant=None, programs: dict | None = None,
                 max_amplitude_ma: float = 8.0, heartbeat_s: float = HEARTBEAT_S) -> None:
        if kind not in EFFECTOR_KINDS:
            raise ValidationError([Problem("kind", kind, ", ".join(EFFECTOR_KINDS))], what="simulated effector")
        self.kind = kind
        self.command_stream = command_stream
        self.participant = participant
        self.programs = {p.name: p for p in (programs or {}).values()}
        self.max_amplitude_ma = float(max_amplitude_ma)
        self.heartbeat_s = float(heartbeat_s)
        self.heartbeat_name = f"{command_stream.removesuffix('-commands')}-heartbeat"
        self.state = SAFE_COMMAND
        self.amplitude_ma = 0.0
        self.position = 0.0  # glove: 0 open .. 1 closed
        self.received: list[tuple[float, Command]] = []
        self.faults: list[str] = []
        self._silent_until = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None

    # -- fault injection ------------------------------------------------------
    def silence_heartbeat(self, seconds: float) -> None:
        """Stop the heartbeat for ``seconds`` (a device that hangs)."""
        import pylsl

        self._silent_until = pylsl.local_clock() + seconds

    # -- lifecycle ------------------------------------------------------------
    def start(self, timeout: float = 5.0) -> "SimulatedEffector":
        self._thread = threading.Thread(target=self._run, name=f"effector-{self.kind}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise ValidationError([Problem("command_stream", self.command_stream, "a visible LSL command stream")],
                                  what="simulated effector")
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self) -> None:
        import pylsl

        try:
            found = pylsl.resolve_byprop("name", self.command_stream, 1, 5.0)
            if not found:
                return
            inlet = pylsl.StreamInlet(found[0], processing_flags=pylsl.proc_clocksync)
            inlet.open_stream(5.0)
            # A clock-synced inlet holds its first samples until the first offset estimate: get it now.
            inlet.time_correction(5.0)
            info = pylsl.StreamInfo(self.heartbeat_name, "Heartbeat", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string,
                                    simulated_heartbeat_source_id(self.heartbeat_name))
            outlet = pylsl.StreamOutlet(info)
            self._ready.set()
            next_beat = 0.0
            last = pylsl.local_clock()
            while not self._stop.is_set():
                # Polling with timeout 0 and short sleeps: a blocking pull hung on this machine (STACK.md).
                samples, _ = inlet.pull_chunk(timeout=0.0)
                now = pylsl.local_clock()
                for (text,) in samples or ():
                    cmd = Command.decode(text)
                    self.received.append((now, cmd))
                    self.apply(cmd.command)
                if now >= next_beat and now >= self._silent_until:
                    outlet.push_sample([f"{self.state}|{self.amplitude_ma:.3f}"], now)
                    # The next beat is due a period after this one was due, not after this poll (which
                    # would add up to a poll interval to every period); a device that woke late goes on
                    # from now instead of sending the beats it missed in a burst.
                    next_beat += self.heartbeat_s
                    if next_beat <= now:
                        next_beat = now + self.heartbeat_s
                step, last = now - last, now
                if self.kind == "glove":
                    target = {"close": 1.0, "open": 0.0}.get(self.state)
                    if target is not None:  # 1 s from open to closed
                        self.position += max(-step, min(step, target - self.position))
                # A device's own pace, not the loop's: every 4 ms, so a command waits at most that long.
                time.sleep(DEVICE_POLL_S)
        except BaseException as err:  # reported, never silently lost
            self.error = err
        finally:
            self._off()

    # -- the device's own checks -----------------------------------------------
    def _off(self) -> None:
        self.state, self.amplitude_ma = SAFE_COMMAND, 0.0
        if self.participant is not None:
            self.participant.stimulation_ma = 0.0

    def apply(self, command: str) -> None:
        if command == SAFE_COMMAND:
            return self._off()
        if self.kind == "glove" and command in ("open", "close", "hold"):
            self.state = command
            return None
        name, _, level = command.partition("@")
        if self.kind == "programs" and name.startswith("program:") and name[8:] in self.programs:
            prog = self.programs[name[8:]]
            amp = _number(level) if level else prog.amplitude_ma
            # Never above the amplitude the program was checked at (charge density), nor the hardware limit.
            if 0 <= amp <= min(prog.amplitude_ma, self.max_amplitude_ma) + 1e-9:
                self.state, self.amplitude_ma = name, amp
                if self.participant is not None:
                    self.participant.stimulation_ma = amp
                return None
        if self.kind == "adaptive" and command in (STIMULATE, REST):
            return None  # the intent in force; the amplitude comes in its own commands, ramped by the gate
        if self.kind == "adaptive" and command.startswith("amplitude:"):
            amp = _number(command[10:])
            if 0 <= amp <= self.max_amplitude_ma:
                self.state, self.amplitude_ma = "stimulating" if amp > 0 else "idle", amp
                if self.participant is not None:
                    self.participant.stimulation_ma = amp
                return None
        self.faults.append(command)
        return self._off()


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
