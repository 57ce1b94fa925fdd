"""One LSL inlet served by one thread, with bounded waits and recovery.

The thread polls with ``timeout=0.0`` and short sleeps: a blocking
``pull_chunk(timeout=1.0)`` loop was seen to hang with pylsl 1.18 on this
kind of machine (shared/STACK.md, "LSL"), while polling ran cleanly.

Recovery is done here, not by liblsl: the inlet is opened with
``recover=False`` so liblsl raises ``LostError`` as soon as the source goes
away (measured: under 1 ms on loopback after the outlet closes). The thread
then records a ``disconnected`` event, looks for a stream with the same
source id every ``retry_interval`` seconds, and on its return records
``reconnected`` and, at the first new sample, a ``gap`` event. liblsl's silent
recovery would hide the gap from the session record.

A source can also fall silent without closing (a hung driver, a cable pulled
on another host, where TCP may take minutes to notice). For regular streams
the thread therefore also reports ``disconnected`` when no sample arrived for
``stall_timeout`` seconds (never less than 5 sample periods), and
``reconnected`` plus a ``gap`` when samples flow again on the same inlet.

A live loop can take the pulls over (:meth:`InletWorker.pull_here`): liblsl
then wakes the loop's own thread when a chunk arrives, one thread wake-up
and one lock hand-off fewer between the amplifier and the decision. The
thread hands its inlet over at its next turn and is started again only to
reconnect (opening an inlet can take a second, which the loop's watchdog
must not wait for); it hands the new inlet back at once.
"""

from __future__ import annotations

import threading
import time

import pylsl

from ..errors import WorkbenchError
from ..utils._checks import _check_positive
from ..utils.realtime import ordinary_priority
from .discovery import StreamDescription, describe, find_stream
from .events import AcquisitionEvent

_LostError = pylsl.util.LostError
_TimeoutError = pylsl.util.TimeoutError


class NotConnectedError(WorkbenchError):
    """The stream was used before :meth:`connect` (or after :meth:`disconnect`)."""


class InletWorker:
    """Base of :class:`~workbench.acquisition.Stream` and ``MarkerStream``.

    Subclasses implement :meth:`_setup` (validate the stream, allocate storage)
    and :meth:`_store` (keep one pulled chunk). Parameters are those of the
    subclasses.
    """

    #: liblsl post-processing; regular streams add dejitter and monotonize.
    _processing = pylsl.proc_clocksync
    #: samples pulled at most per call.
    _max_chunk = 4096

    def __init__(
        self,
        name: str | None = None,
        *,
        source_id: str | None = None,
        stype: str | None = None,
        poll_interval: float = 0.001,
        retry_interval: float = 0.1,
        reconnect: bool = True,
        stall_timeout: float = 0.5,
        wake_on_arrival: bool = False,
    ) -> None:
        _check_positive("poll_interval", poll_interval)
        _check_positive("stall_timeout", stall_timeout)
        self._stall_timeout = float(stall_timeout)
        _check_positive("retry_interval", retry_interval)
        self._query = (name, source_id, stype)
        self._poll_interval = float(poll_interval)
        self._wake_on_arrival = bool(wake_on_arrival)
        self._retry_interval = float(retry_interval)
        self._reconnect = bool(reconnect)
        self._description: StreamDescription | None = None
        self._inlet: pylsl.StreamInlet | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._events: list[AcquisitionEvent] = []
        self._events_lock = threading.Lock()
        self._n_received = 0
        self._last_ts: float | None = None
        self._gap_pending = False
        self._last_data = 0.0  # time.monotonic() of the last sample pulled (the stall check)
        self._stall_s: float | None = None  # seconds without samples that make a stall (None: irregular)
        self._caller_pulls = False  # pull_here() took the pulls over from the thread
        self._native_id: int | None = None
        self._resolver: pylsl.ContinuousResolver | None = None
        self._refused: set[str] = set()  # uids of returning streams already reported as another source/layout

    # -- public state -------------------------------------------------------
    @property
    def description(self) -> StreamDescription:
        """What the stream announced when first connected."""
        self._require_setup()
        return self._description

    @property
    def name(self) -> str:
        return self.description.name

    @property
    def connected(self) -> bool:
        """True while the inlet delivers; False within ~1 ms of the source going away."""
        return self._connected.is_set()

    @property
    def running(self) -> bool:
        """True while acquiring (connected or waiting to reconnect), by the thread or by :meth:`pull_here`."""
        thread_alive = self._thread is not None and self._thread.is_alive()
        return thread_alive or (self._caller_pulls and not self._stop.is_set())

    @property
    def events(self) -> tuple[AcquisitionEvent, ...]:
        """Every :class:`AcquisitionEvent` so far, oldest first."""
        with self._events_lock:
            return tuple(self._events)

    @property
    def n_samples_received(self) -> int:
        """Samples received since :meth:`connect`, over all reconnections."""
        return self._n_received

    @property
    def thread_native_id(self) -> int | None:
        """OS thread id of the acquisition thread (for CPU accounting)."""
        return self._native_id

    # -- lifecycle ----------------------------------------------------------
    def connect(self, timeout: float = 5.0):
        """Find the stream, open it and start the acquisition thread.

        Parameters
        ----------
        timeout : float
            Seconds allowed to find the stream, and again for each of the two
            steps after it (receive its description, open the inlet): on a
            loaded machine a 1024-channel 30 kHz source took over 2 s to
            describe and open after being found (benchmarks/acquisition.py),
            and a stream that was found should not fail for lack of the time
            its discovery used up.

        Returns
        -------
        self
        """
        if self.running:
            return self
        name, source_id, stype = self._query
        info = find_stream(name, source_id=source_id, stype=stype, timeout=timeout)
        full = self._full_description(info, timeout)
        self._description = describe(info, full)
        sfreq = self._description.sfreq
        self._stall_s = max(self._stall_timeout, 5.0 / sfreq) if sfreq > 0 else None  # never under 5 periods
        # Validates (raising before any thread starts) and allocates: a 256 ch / 2 kHz ring of 30 s is 123 MB
        # written through, ~300 ms of page faults. From a live loop's real-time thread that is done at
        # ordinary priority (it held a core from every ordinary task); the inlets opened next, and this
        # worker's thread, keep the caller's priority.
        with ordinary_priority():
            self._setup(full)
        self._inlet = self._open(info, timeout)
        self._stop.clear()
        self._caller_pulls = False
        self._record("connected", detail=self._description.summary())
        self._connected.set()
        self._last_data = time.monotonic()
        self._start_thread()
        return self

    def disconnect(self, timeout: float = 3.0) -> None:
        """Stop the acquisition thread (bounded wait) and close the inlet."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise WorkbenchError(f"acquisition thread of {self._query[0]!r} did not stop within {timeout} s")
        self._thread = None
        self._inlet = None  # held here, not by a thread, once pull_here() took over
        self._resolver = None
        self._connected.clear()

    def pull_here(self, timeout: float) -> int:
        """Pull in the calling thread: wait in liblsl up to ``timeout`` s for samples and store them.

        For one live loop that reads this stream and nothing else waits on it:
        liblsl wakes the caller when a chunk arrives, where the acquisition
        thread would store it and then wake the caller. The first call takes
        the pulls over from the thread (it hands over its inlet at its next
        turn, within one poll interval; this call waits meanwhile). Faults are
        recorded as the thread records them (``disconnected``, ``gap``,
        ``nonfinite`` ...); when the source is lost, a thread is started to
        reconnect and hands the new inlet back, and calls meanwhile just wait.
        A backlog (the caller was late) is pulled in full, so a caller late by
        more than the buffer finds its reader overrun, as with the thread.

        Parameters
        ----------
        timeout : float
            Longest wait for the first sample, s (>= 0).

        Returns
        -------
        n_samples : int
            Samples stored by this call (0 if none came in time).
        """
        self._require_setup()
        if self._stop.is_set():
            raise NotConnectedError(f"stream {self._description.name!r} is disconnected: call connect() first")
        self._caller_pulls = True
        thread = self._thread
        if thread is not None:
            if thread.is_alive():
                # Handing over (within one poll interval), or reconnecting: no samples until it is back.
                self._stop.wait(min(timeout, self._poll_interval) if self._connected.is_set() else timeout)
                return 0
            self._thread = None  # it has ended: from here on this thread pulls
            self._native_id = threading.get_native_id()
        if self._inlet is None:  # lost: the thread reconnects (its opening must not block this caller)
            self._start_thread()
            self._stop.wait(timeout)
            return 0
        total, wait = 0, timeout
        while True:
            inlet, n = self._pull_once(self._inlet, wait)
            # disconnect() from another thread meanwhile closed the stream: do not keep its inlet open
            self._inlet = None if self._stop.is_set() else inlet
            total += n
            if self._inlet is None or n < self._max_chunk:
                return total
            wait = 0.0  # a full pull: more may be waiting (a late caller's backlog)

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"wb-acq-{self._description.name}", daemon=True)
        self._thread.start()

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.disconnect()

    def __del__(self) -> None:
        self._stop.set()

    # -- subclass hooks -----------------------------------------------------
    def _setup(self, info: pylsl.StreamInfo) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _store(self, data, timestamps) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _pull(self, inlet: pylsl.StreamInlet, timeout: float):
        if timeout > 0:
            # Sleeps in liblsl until the first sample is there (at most ``timeout``), then takes what has
            # arrived: a chunk is stored when it comes, not at the next poll (min_samples=1, pylsl >= 1.18; the
            # old blocking pull waited for max_samples, which is what STACK.md saw hang).
            return inlet.pull_chunk(timeout=timeout, max_samples=self._max_chunk, min_samples=1, as_numpy=True)
        return inlet.pull_chunk(timeout=0.0, max_samples=self._max_chunk, as_numpy=True)

    def _pull_once(self, inlet: pylsl.StreamInlet, timeout: float) -> tuple[pylsl.StreamInlet | None, int]:
        """One pull and its consequences (store, gap, stall); the inlet (None once lost) and samples stored."""
        try:
            data, ts = self._pull(inlet, timeout)
        except _LostError:
            self._lost("the source closed the stream")
            return None, 0
        except Exception as err:  # a broken inlet must not kill acquisition silently
            self._lost(f"{type(err).__name__}: {err}")
            return None, 0
        if len(ts):
            self._last_data = time.monotonic()
            if not self._connected.is_set():  # samples again after a stall
                # The event before the state, here and below: whoever sees the state change finds its
                # event already in ``events`` (a test read the old last event once, under load).
                self._record("reconnected", detail="samples flow again on the same connection")
                self._connected.set()
            if self._gap_pending:
                self._mark_gap(ts[0])
            self._store(data, ts)
            self._last_ts = float(ts[-1])
            self._n_received += len(ts)
            return inlet, len(ts)
        stall = self._stall_s
        if stall is not None and self._connected.is_set() and time.monotonic() - self._last_data > stall:
            self._gap_pending = True
            self._record(
                "disconnected", gap_start=self._last_ts,
                detail=f"no samples for {stall:.2f} s; the connection is kept open",
            )  # fmt: skip
            self._connected.clear()
        return inlet, 0

    # -- internals ----------------------------------------------------------
    def _require_setup(self) -> None:
        if self._description is None:
            raise NotConnectedError(f"stream {self._query[0] or self._query[1]!r} is not connected: call connect() first")

    @staticmethod
    def _full_description(info: pylsl.StreamInfo, timeout: float) -> pylsl.StreamInfo:
        probe = pylsl.StreamInlet(info, max_buflen=1, recover=False)
        try:
            return probe.info(timeout=timeout)
        except (_TimeoutError, _LostError) as err:
            raise WorkbenchError(f"stream {info.name()!r} did not send its description within {timeout:.1f} s") from err

    def _open(self, info: pylsl.StreamInfo, timeout: float) -> pylsl.StreamInlet:
        inlet = pylsl.StreamInlet(info, max_buflen=360, recover=False, processing_flags=self._processing)
        try:
            inlet.open_stream(timeout=timeout)
        except (_TimeoutError, _LostError) as err:
            raise WorkbenchError(f"stream {info.name()!r} could not be opened within {timeout:.1f} s") from err
        return inlet

    def _record(self, kind: str, **fields) -> AcquisitionEvent:
        event = AcquisitionEvent(
            kind=kind,
            stream=self._description.name,
            wall_time=time.time(),
            lsl_time=pylsl.local_clock(),
            n_samples=self._n_received,
            **fields,
        )
        with self._events_lock:
            self._events.append(event)
        return event

    def _run(self) -> None:
        self._native_id = threading.get_native_id()
        inlet = self._inlet
        handed_over = False
        wait = self._poll_interval if self._wake_on_arrival else 0.0
        try:
            while not self._stop.is_set():
                if inlet is None:
                    inlet = self._try_reconnect()
                    if inlet is None:
                        self._stop.wait(self._retry_interval)
                    self._last_data = time.monotonic()
                    continue
                if self._caller_pulls:  # pull_here() pulls from now on
                    handed_over = True
                    break
                inlet, n = self._pull_once(inlet, wait)
                if not n and inlet is not None and not wait:  # else the pull itself waited
                    self._stop.wait(self._poll_interval)
        except Exception as err:  # a bug must not end acquisition silently: leave a trace
            self._record("disconnected", gap_start=self._last_ts, detail=f"acquisition thread failed: {err!r}")
        finally:
            if handed_over:
                self._inlet = inlet  # before the thread ends: the caller sees it once is_alive() is False
            else:
                self._connected.clear()
                self._inlet = None
                self._resolver = None
            del inlet

    def _lost(self, why: str) -> None:
        self._gap_pending = True
        more = "; waiting for it to return" if self._can_reconnect() else "; no source id, so no reconnection"
        self._record("disconnected", gap_start=self._last_ts, detail=why + more)
        self._connected.clear()

    def _can_reconnect(self) -> bool:
        return self._reconnect and bool(self._description.source_id)

    def _try_reconnect(self) -> pylsl.StreamInlet | None:
        if not self._can_reconnect():
            return None
        desc = self._description
        if self._resolver is None:
            # A continuous resolver listens in the background: one-shot resolves
            # with short timeouts were seen to miss a restarted loopback outlet
            # for seconds (its first answer can take ~0.5 s).
            # By name: a stream of the same name with another source id is seen, and reported.
            self._resolver = pylsl.ContinuousResolver(prop="name", value=desc.name, forget_after=1.0)
        # A restarted source has a new uid; the lost one may linger in the results briefly.
        infos = sorted(self._resolver.results(), key=lambda i: i.uid() == desc.uid)
        for info in infos:
            # Another source id, or the same one with another layout, is not the stream this session
            # opened (its decoder, montage and record assume that one): report it once, keep waiting.
            if info.source_id() != desc.source_id:
                self._refuse(info, "source_changed", f"a stream named {desc.name!r} appeared with source id "
                                                     f"{info.source_id()!r}, not {desc.source_id!r}; not used")
                continue
            if not self._same_layout(info):
                self._refuse(info, "layout_changed",
                             f"source {desc.source_id!r} returned with {info.channel_count()} channels at "
                             f"{info.nominal_srate():g} Hz ({describe(info).dtype}), not {desc.n_channels} at "
                             f"{desc.sfreq:g} Hz ({desc.dtype}); not used")
                continue
            try:
                inlet = self._open(info, 1.0)
            except WorkbenchError:
                continue
            self._resolver = None
            self._record("reconnected", detail=f"source {desc.source_id!r} is back (uid {info.uid()})")
            self._connected.set()
            return inlet
        return None

    def _refuse(self, info: pylsl.StreamInfo, kind: str, detail: str) -> None:
        if info.uid() not in self._refused:
            self._refused.add(info.uid())
            self._record(kind, detail=detail)

    def _same_layout(self, info: pylsl.StreamInfo) -> bool:
        d = self._description
        return (
            info.channel_count() == d.n_channels
            and info.nominal_srate() == d.sfreq
            and describe(info).dtype == d.dtype
        )

    def _mark_gap(self, first_ts: float) -> None:
        self._gap_pending = False
        start = self._last_ts
        sfreq = self._description.sfreq
        n_missing = 0
        if start is not None and sfreq > 0:
            n_missing = max(0, int(round((first_ts - start) * sfreq)) - 1)
        self._record(
            "gap",
            gap_start=start,
            gap_stop=float(first_ts),
            n_missing=n_missing,
            detail=_gap_detail(n_missing, sfreq),
        )


def _gap_detail(n_missing: int, sfreq: float) -> str:
    if sfreq <= 0:
        return "irregular stream"
    if n_missing == 0:  # a source held up that then sent what it owed: late, not lost
        return "no samples missing: they came late, none was lost"
    return f"about {n_missing} samples missing at the nominal rate"
