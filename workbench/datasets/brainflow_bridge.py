"""Publish any BrainFlow board as LSL streams: :class:`BrainFlowBridge`.

A lab whose amplifier speaks BrainFlow (OpenBCI, g.tec Unicorn, Muse, ...)
rather than LSL gets the same streams as from the simulated amplifier:

- ``NAME``: the ExG channels (EEG, EMG, ECG, EOG rows of the board
  description) in microvolts, as BrainFlow delivers every ExG channel;
- ``NAME-aux``: every other data row of the board's default preset
  (accelerometer, gyroscope, PPG, EDA, temperature, battery, ...), in the
  board's own units (BrainFlow documents a unit only for ExG);
- ``NAME-<preset>``: the data rows of each further preset a board has
  (e.g. a Muse's auxiliary IMU and ancillary PPG, at their own rates);
- ``NAME-markers``: the values of BrainFlow's marker row (``insert_marker``),
  one string sample each, stamped with their sample's time.

Every signal stream carries BrainFlow's package counter as channel 0
(``PACKAGE``, 0-255 on most boards), so a consumer can prove with
:func:`workbench.acquisition.check_counter` (``modulus=256``) that no
sample was lost. Sample time stamps are BrainFlow's own (host time when the
sample arrived, per sample) moved onto the LSL clock.

Why here, in the datasets layer: this is a source that opens LSL outlets, as
the Player does, and it shares the Player's outlet description (XDF meta-data
conventions, :mod:`.outlets`); the acquisition layer below only consumes
streams, whatever publishes them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from ..errors import Problem, ValidationError, WorkbenchError
from .outlets import StreamSpec, marker_spec, open_outlet

#: Rows of a board description that are ExG, in the priority that names a row's
#: type when the description lists it under several (the synthetic board lists
#: its 16 rows as EEG, EMG, ECG and EOG at once).
EXG_KINDS = (("eeg_channels", "eeg", "EEG"), ("emg_channels", "emg", "EMG"), ("ecg_channels", "ecg", "ECG"),
             ("eog_channels", "eog", "EOG"))  # fmt: skip

#: Every other data row kind of a board description: (key, LSL type, label prefix, unit).
AUX_KINDS = (
    ("accel_channels", "accel", "ACCEL", ""),
    ("gyro_channels", "gyro", "GYRO", ""),
    ("magnetometer_channels", "magnetometer", "MAG", ""),
    ("rotation_channels", "rotation", "ROT", ""),
    ("ppg_channels", "ppg", "PPG", ""),
    ("eda_channels", "eda", "EDA", ""),
    ("temperature_channels", "temperature", "TEMP", ""),
    ("resistance_channels", "resistance", "RES", ""),
    ("optical_channels", "optical", "OPT", ""),
    ("analog_channels", "analog", "ANALOG", ""),
    ("other_channels", "other", "OTHER", ""),
    ("battery_channel", "battery", "BATTERY", ""),
)

#: BrainFlow's unit for every ExG row (its data format description: EXG in uV).
EXG_UNIT = "microvolts"
COUNTER_LABEL = "PACKAGE"
#: BrainFlow's package counter is one byte on most boards: it wraps at 256.
PACKAGE_MODULUS = 256


def available_boards() -> tuple[str, ...]:
    """Names ``--board`` accepts: BrainFlow's board ids, lower case, without ``_board``."""
    return tuple(sorted(_board_ids()))


def _board_ids() -> dict[str, int]:
    from brainflow.board_shim import BoardIds

    names = {}
    for board in BoardIds:
        if board.value < -1:  # NO_BOARD, and the playback/streaming pseudo-boards need a file or a feed
            continue
        name = board.name.lower()
        names[name[: -len("_board")] if name.endswith("_board") else name] = board.value
    return names


def resolve_board(board: str | int) -> int:
    """BrainFlow board id for a name (``"synthetic"``, ``"cyton_daisy"``, ``"SYNTHETIC_BOARD"``) or id.

    Raises
    ------
    ValidationError
        Naming every board available.
    """
    ids = _board_ids()
    if isinstance(board, (int, np.integer)) and not isinstance(board, bool) and int(board) in ids.values():
        return int(board)
    if isinstance(board, str):
        key = board.strip().lower()
        key = key[: -len("_board")] if key.endswith("_board") else key
        if key in ids:
            return ids[key]
        if key.lstrip("-").isdigit() and int(key) in ids.values():
            return int(key)
    raise ValidationError([Problem("board", board, "a BrainFlow board: " + ", ".join(available_boards()))],
                          what="BrainFlow board")  # fmt: skip


@dataclass(frozen=True)
class _Lane:
    """One outlet of the bridge: what it announces and which rows of which preset feed it."""

    spec: StreamSpec
    preset: int
    rows: tuple[int, ...]
    timestamp_row: int | None


def _rows(descr: dict, key: str) -> list[int]:
    value = descr.get(key)
    if value is None:
        return []
    return [int(value)] if np.ndim(value) == 0 else [int(v) for v in value]


def _exg_channels(descr: dict) -> tuple[list[int], list[str], list[str]]:
    rows, types, names = [], [], []
    eeg_names = [n for n in str(descr.get("eeg_names", "")).split(",") if n]
    eeg_rows = _rows(descr, "eeg_channels")
    for key, ch_type, prefix in EXG_KINDS:
        for k, row in enumerate(_rows(descr, key)):
            if row in rows:
                continue
            rows.append(row)
            types.append(ch_type)
            if ch_type == "eeg" and len(eeg_names) == len(eeg_rows):
                names.append(eeg_names[eeg_rows.index(row)])
            else:
                names.append(f"{prefix}{k + 1}")
    return rows, types, names


def _aux_channels(descr: dict, exclude) -> tuple[list[int], list[str], list[str], list[str]]:
    rows, types, names, units = [], [], [], []
    for key, ch_type, prefix, unit in AUX_KINDS:
        kind_rows = [r for r in _rows(descr, key) if r not in exclude and r not in rows]
        axes = "XYZ" if len(kind_rows) == 3 and ch_type in ("accel", "gyro", "magnetometer") else None
        for k, row in enumerate(kind_rows):
            rows.append(row)
            types.append(ch_type)
            names.append(f"{prefix}_{axes[k]}" if axes else (prefix if len(kind_rows) == 1 else f"{prefix}{k + 1}"))
            units.append(unit)
    return rows, types, names, units


def board_lanes(board_id: int, name: str, source_id: str) -> list[_Lane]:
    """The outlets a board becomes, from BrainFlow's board descriptions (one per preset)."""
    from brainflow.board_shim import BoardShim, BrainFlowPresets

    lanes = []
    model = f"BrainFlow board {BoardShim.get_device_name(board_id)} (id {board_id})"
    for preset in sorted(BoardShim.get_board_presets(board_id)):  # the default preset (0) first
        descr = BoardShim.get_board_descr(board_id, preset)
        sfreq = float(descr["sampling_rate"])
        counter = _rows(descr, "package_num_channel")
        ts_row = descr.get("timestamp_channel")
        lead = (counter, ["misc"], [COUNTER_LABEL], ["count"]) if counter else ([], [], [], [])
        exg_rows, exg_types, exg_names = _exg_channels(descr)
        aux = _aux_channels(descr, set(exg_rows) | set(counter))
        default = preset == BrainFlowPresets.DEFAULT_PRESET.value
        groups = []
        if exg_rows:
            stype = "EEG" if "eeg" in exg_types else exg_types[0].upper()
            groups.append((name if default else f"{name}-{_preset_name(preset)}", stype,
                           (exg_rows, exg_types, exg_names, [EXG_UNIT] * len(exg_rows))))  # fmt: skip
        if aux[0]:
            suffix = "aux" if default else _preset_name(preset) + ("-aux" if exg_rows else "")
            groups.append((f"{name}-{suffix}", "Aux", aux))
        for stream_name, stype, (rows, types, names, units) in groups:
            spec = StreamSpec(
                stream_name, stype, sfreq, "double64", source_id + stream_name[len(name):],
                tuple(lead[2] + names), tuple(lead[1] + types), tuple(lead[3] + units), model=model,
                manufacturer="BrainFlow",
            )  # fmt: skip
            lanes.append(_Lane(spec, preset, tuple(counter + rows), None if ts_row is None else int(ts_row)))
        if default and descr.get("marker_channel") is not None:
            spec = marker_spec(f"{name}-markers", f"{source_id}-markers", model)
            lanes.append(_Lane(spec, preset, (int(descr["marker_channel"]),), None if ts_row is None else int(ts_row)))
    return lanes


def _preset_name(preset: int) -> str:
    from brainflow.board_shim import BrainFlowPresets

    name = BrainFlowPresets(preset).name.lower()
    return name[: -len("_preset")] if name.endswith("_preset") else name


class BrainFlowBridge:
    """Stream a BrainFlow board to LSL until stopped.

    Parameters
    ----------
    board : str | int
        A name from :func:`available_boards` (``"synthetic"``, ``"cyton"``,
        ``"unicorn"``, ``"muse_2"``, ...) or a BrainFlow board id.
    serial_port, mac_address, ip_address, ip_port, serial_number, other_info : str | int | None
        How to reach the board, as BrainFlow's ``BrainFlowInputParams``
        names them (each board needs the ones its documentation lists).
    name : str
        Name of the ExG stream; the others are ``NAME-aux``, ``NAME-markers``...
    chunk_ms : float
        How often the board's buffer is emptied onto the outlets (1-1000 ms).

    Examples
    --------
    >>> with BrainFlowBridge("synthetic", name="bf") as bridge:   # doctest: +SKIP
    ...     print(bridge.stream_names)      # ['bf', 'bf-aux', 'bf-markers', 'bf-auxiliary']
    """

    def __init__(self, board: str | int, *, name: str = "brainflow", serial_port: str | None = None,
                 mac_address: str | None = None, ip_address: str | None = None, ip_port: int | None = None,
                 serial_number: str | None = None, other_info: str | None = None, chunk_ms: float = 20.0) -> None:  # fmt: skip
        problems = []
        try:
            self.board_id = resolve_board(board)
        except ValidationError as err:
            problems.extend(err.problems)
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem("name", name, "a non-empty stream name"))
        if not isinstance(chunk_ms, (int, float)) or isinstance(chunk_ms, bool) or not 1 <= chunk_ms <= 1000:
            problems.append(Problem("chunk_ms", chunk_ms, "milliseconds between 1 and 1000"))
        if ip_port is not None and (not isinstance(ip_port, int) or not 0 < ip_port < 65536):
            problems.append(Problem("ip_port", ip_port, "a port number 1-65535"))
        if problems:
            raise ValidationError(problems, what="BrainFlow bridge")
        self.board = board
        self.name = name
        self.chunk_ms = float(chunk_ms)
        self.connection = {k: v for k, v in dict(serial_port=serial_port, mac_address=mac_address,
                                                ip_address=ip_address, ip_port=ip_port, serial_number=serial_number,
                                                other_info=other_info).items() if v is not None}  # fmt: skip
        where = serial_port or mac_address or ip_address or serial_number or "local"
        # Stable across restarts: a consumer reconnects to the same board's streams.
        board_name = next(k for k, v in _board_ids().items() if v == self.board_id)
        self.source_id = f"brainflow-{board_name}-{where}"
        self._lanes = board_lanes(self.board_id, name, self.source_id)
        self.error: BaseException | None = None
        self._shim = None
        self._outlets: list = []
        self._n_sent = [0] * len(self._lanes)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ description
    @property
    def specs(self) -> list[StreamSpec]:
        """What each outlet announces (ExG stream first)."""
        return [lane.spec for lane in self._lanes]

    @property
    def stream_names(self) -> list[str]:
        return [lane.spec.name for lane in self._lanes]

    @property
    def marker_name(self) -> str | None:
        return next((lane.spec.name for lane in self._lanes if lane.spec.channel_format == "string"), None)

    @property
    def n_samples_sent(self) -> dict[str, int]:
        """Samples (markers for the marker stream) pushed per stream so far."""
        return dict(zip(self.stream_names, self._n_sent))

    @property
    def board_shim(self):
        """The open ``brainflow.BoardShim`` (None when stopped): for board commands
        such as ``config_board`` while bridging. Stopping its stream silences the
        bridge's outlets without closing them, as a board that stops sending does."""
        return self._shim

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -------------------------------------------------------------- lifecycle
    def start(self) -> "BrainFlowBridge":
        """Open the board (BrainFlow's ``prepare_session``), start it, open the outlets.

        Raises
        ------
        ValidationError
            The board does not answer where it was told to be (or needs a
            connection parameter it was not given); the message has
            BrainFlow's reason and the boards available. Nothing is left open.
        """
        from brainflow.board_shim import BoardShim, BrainFlowError, BrainFlowInputParams

        if self.running:
            return self
        BoardShim.disable_board_logger()  # it logs every parameter as JSON at info level
        params = BrainFlowInputParams()
        for key, value in self.connection.items():
            setattr(params, key, value)
        shim = BoardShim(self.board_id, params)
        try:
            shim.prepare_session()
            shim.start_stream()
        except BrainFlowError as err:
            if shim.is_prepared():
                shim.release_session()
            where = ", ".join(f"{k}={v!r}" for k, v in self.connection.items()) or "no connection parameters"
            raise ValidationError(
                [Problem("board", f"{BoardShim.get_device_name(self.board_id)} at {where}",
                         f"a board that answers there (BrainFlow: {err}); boards available: "
                         + ", ".join(available_boards()))],
                what="BrainFlow board connection",
            ) from err  # fmt: skip
        try:
            self._outlets = [open_outlet(lane.spec) for lane in self._lanes]
        except BaseException:
            shim.stop_stream()
            shim.release_session()  # nothing half-open: the board is free again
            raise
        self._shim = shim
        # BrainFlow stamps samples with the host's wall clock; LSL wants its own clock.
        import pylsl

        self._offset = time.time() - pylsl.local_clock()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"wb-brainflow-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop pushing, stop and release the board, close the outlets."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._shim is not None:
            try:
                self._push_all()  # what the board delivered before the stop
            except Exception:  # noqa: BLE001 - the board may already be gone; release anyway
                pass
            try:
                self._shim.stop_stream()
            finally:
                self._shim.release_session()
                self._shim = None
        self._outlets = []

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the bridge stops (a board error ends it); True if it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def insert_marker(self, value: float) -> None:
        """Put a marker on the board's next sample (BrainFlow's ``insert_marker``; non-zero)."""
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value == 0 or not np.isfinite(value):
            raise ValidationError([Problem("marker value", value, "a finite non-zero number")], what="marker")
        if self._shim is None:
            raise WorkbenchError("the bridge is not started: call start() first")
        self._shim.insert_marker(float(value))

    def __enter__(self) -> "BrainFlowBridge":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -------------------------------------------------------------- internals
    def _run(self) -> None:
        period = self.chunk_ms / 1000
        try:
            while not self._stop.wait(period):
                self._push_all()
        except Exception as err:  # noqa: BLE001 - kept for the caller; consumers see the streams fall silent
            self.error = err

    def _push_all(self) -> None:
        by_preset: dict[int, np.ndarray] = {}
        for i, (lane, outlet) in enumerate(zip(self._lanes, self._outlets)):
            if lane.preset not in by_preset:
                by_preset[lane.preset] = self._shim.get_board_data(preset=lane.preset)  # empties the board's buffer
            data = by_preset[lane.preset]
            if data.shape[1] == 0:
                continue
            stamps = self._stamps(data, lane)
            if lane.spec.channel_format == "string":
                values = data[lane.rows[0]]
                for k in np.flatnonzero(values):
                    outlet.push_sample([f"{values[k]:g}"], float(stamps[k]))
                    self._n_sent[i] += 1
            else:
                outlet.push_chunk(np.ascontiguousarray(data[list(lane.rows)].T), stamps.tolist())
                self._n_sent[i] += data.shape[1]

    def _stamps(self, data: np.ndarray, lane: _Lane) -> np.ndarray:
        import pylsl

        if lane.timestamp_row is not None:
            return data[lane.timestamp_row] - self._offset
        # No time stamp row: the newest sample is now, the others back at the nominal rate.
        n = data.shape[1]
        return pylsl.local_clock() - (n - 1 - np.arange(n)) / lane.spec.sfreq
