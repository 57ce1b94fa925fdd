"""Read any recording the workbench meets into MNE ``Raw`` (markers as annotations).

XDF is read with pyxdf (clock synchronisation, clock-reset handling and
dejittering are pyxdf's); EDF, BDF, BrainVision and FIF with MNE's readers.
This module only chooses streams, names channels, converts units, turns
markers into annotations and refuses files that are missing, corrupt or cut
short, with a :class:`~workbench.errors.RecordingFileError` that says which.
"""

from __future__ import annotations

import logging
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..errors import Problem, RecordingFileError, ValidationError

#: File endings read_recording understands, and the format each one means.
FORMATS = {
    ".xdf": "XDF",
    ".xdfz": "XDF",
    ".edf": "EDF",
    ".bdf": "BDF",
    ".vhdr": "BrainVision",
    ".fif": "FIF",
    ".fif.gz": "FIF",
}

#: MNE channel types whose values are potentials (volts in MNE, microvolts on LSL/XDF).
VOLTAGE_TYPES = frozenset({"eeg", "emg", "eog", "ecg", "ecog", "seeg", "dbs"})
_TYPE_ALIASES = {
    "eeg": "eeg", "emg": "emg", "eog": "eog", "ecg": "ecg", "ekg": "ecg", "ecog": "ecog",
    "seeg": "seeg", "dbs": "dbs", "stim": "stim", "trigger": "stim", "misc": "misc",
    "resp": "resp", "gsr": "gsr", "eda": "gsr", "temp": "temperature", "temperature": "temperature",
}  # fmt: skip
# XDF meta-data convention: ExG channels are in microvolts unless a unit says otherwise
# (github.com/sccn/xdf/wiki/EEG-Meta-Data, "unit").
_UNIT_TO_VOLT = {
    "v": 1.0, "volt": 1.0, "volts": 1.0,
    "mv": 1e-3, "millivolt": 1e-3, "millivolts": 1e-3,
    "uv": 1e-6, "µv": 1e-6, "μv": 1e-6, "microvolt": 1e-6, "microvolts": 1e-6,
    "nv": 1e-9, "nanovolt": 1e-9, "nanovolts": 1e-9,
}  # fmt: skip
# Time-stamp jumps longer than this many nominal sample periods are marked BAD_ACQ_SKIP.
_GAP_PERIODS = 5


@dataclass(frozen=True)
class XdfStream:
    """One stream of an XDF file, after pyxdf's clock synchronisation.

    Attributes
    ----------
    name, type, source_id : str
    sfreq : float
        Nominal rate in Hz; 0 for irregular streams.
    channel_format : str
        ``"float32"``, ``"double64"``, ``"int16"``, ``"int32"``, ``"string"``, ...
    ch_names, ch_types, units : tuple of str
        From ``desc/channels/channel``; empty strings where the file says nothing.
    manufacturer : str
    times : ndarray, shape (n_times,)
        Seconds on the recording computer's clock.
    data : ndarray
        ``(n_times, n_channels)`` numbers, or ``(n_times,)`` str labels for a
        string stream (channels joined with ``"/"``).
    """

    name: str
    type: str
    source_id: str
    sfreq: float
    channel_format: str
    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...]
    units: tuple[str, ...]
    manufacturer: str
    times: np.ndarray
    data: np.ndarray

    @property
    def n_times(self) -> int:
        return int(self.times.size)

    @property
    def n_channels(self) -> int:
        return len(self.ch_names)

    @property
    def is_marker(self) -> bool:
        """String streams and irregular-rate streams carry events, not signals."""
        return self.channel_format == "string" or self.sfreq == 0

    def labels(self) -> list[str]:
        """Marker labels as strings (integers print without a decimal point)."""
        if self.data.ndim == 1:
            return [str(v) for v in self.data]
        return ["/".join(_format_value(v) for v in row) for row in self.data]


def _format_value(value) -> str:
    if isinstance(value, (float, np.floating)):
        return repr(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def recording_format(fname) -> str:
    """The format of ``fname`` from its ending (``"XDF"``, ``"EDF"``...); RecordingFileError if unknown."""
    fname = Path(fname)
    name = fname.name.lower()
    for ending, kind in sorted(FORMATS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(ending):
            return kind
    raise RecordingFileError(
        f"{fname}: unknown recording format {fname.suffix!r}; allowed endings: {', '.join(FORMATS)}"
    )


def check_recording_file(fname) -> Path:
    """``fname`` as a Path if it is an existing, non-empty file; else RecordingFileError saying why."""
    fname = Path(os.fspath(fname)).expanduser()
    if not fname.exists():
        raise RecordingFileError(f"{fname}: no such file")
    if not fname.is_file():
        raise RecordingFileError(f"{fname}: not a file")
    if fname.stat().st_size == 0:
        raise RecordingFileError(f"{fname}: the file is empty (0 bytes)")
    return fname


class _ErrorLog(logging.Handler):
    """Collects the errors pyxdf logs (it logs corruption and reads on)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _pyxdf_errors() -> Iterator[_ErrorLog]:
    logger = logging.getLogger("pyxdf")
    handler = _ErrorLog()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _first(info: dict, key: str, default: str = "") -> str:
    value = info.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return default if value is None else str(value)


def _channels(info: dict, n_channels: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str]:
    labels, types, units = [""] * n_channels, [""] * n_channels, [""] * n_channels
    manufacturer = ""
    desc = info.get("desc") or [None]
    desc = desc[0] if isinstance(desc, list) else desc
    if isinstance(desc, dict):
        manufacturer = _first(desc, "manufacturer")
        chans = desc.get("channels") or [None]
        chans = chans[0] if isinstance(chans, list) else chans
        entries = chans.get("channel", []) if isinstance(chans, dict) else []
        if len(entries) == n_channels:
            for i, entry in enumerate(entries):
                labels[i], types[i], units[i] = (_first(entry, k) for k in ("label", "type", "unit"))
    return tuple(labels), tuple(types), tuple(units), manufacturer


class _ChannelPicker:
    """pyxdf's ``on_chunk`` hook: keeps only the picked channels of each chunk as the file is read.

    pyxdf holds every chunk of a stream until the end of the file and then concatenates them, so a
    whole signal stream is in memory twice: measured on a 62 s, 256-channel, 2 kHz run (247 MB on
    disk), reading it took 608 MB at peak and turning it into a Raw 1,106 MB; a 5-minute block of a
    trial day is five times that. Cutting each chunk (a few ms of samples) down to the picks keeps
    only what the caller needs.
    """

    def __init__(self, picks, *, keep_none: bool = False) -> None:
        self.picks = tuple(str(c) for c in picks)
        self.keep_none = keep_none  # time stamps only: no channel of any numeric stream (inspect_xdf)
        self.kept: dict[int, np.ndarray | None] = {}  # stream id -> column indices kept (None: all)

    def columns(self, stream_id: int, header: dict) -> np.ndarray | None:
        if stream_id not in self.kept:
            info = header["info"]
            n_ch = int(_first(info, "channel_count", "0"))
            labels = _channels(info, n_ch)[0]
            idx = [i for i, c in enumerate(labels) if c in self.picks]
            numeric = _first(info, "channel_format") != "string"
            if numeric and self.keep_none:
                self.kept[stream_id] = np.zeros(0, dtype=np.intp)
            else:
                self.kept[stream_id] = np.asarray(idx, dtype=np.intp) if numeric and idx else None
        return self.kept[stream_id]

    def __call__(self, values, stamps, header, stream_id):
        idx = self.columns(stream_id, header)
        if idx is not None:
            values = np.ascontiguousarray(values[:, idx])
        return values, stamps, header


def read_xdf_streams(fname, *, allow_truncated: bool = False, picks=None) -> list[XdfStream]:
    """Every stream of an XDF file, on one clock (pyxdf synchronisation and dejitter).

    Parameters
    ----------
    fname : path-like
        ``.xdf`` or ``.xdfz``.
    allow_truncated : bool
        By default a file whose end is missing (a stream without its footer,
        or pyxdf reporting corruption) raises; True returns what could be read,
        with a warning (useful to recover a session after a crash).
    picks : list of str | None
        Channel names to keep: a numeric stream with any of them keeps only
        those (in the stream's order), dropping the others chunk by chunk as
        the file is read, so a long many-channel run is never in memory
        whole; other streams are read whole. None keeps every channel.

    Returns
    -------
    list of XdfStream
        In file order, empty streams included.

    Raises
    ------
    RecordingFileError
        Missing, not XDF, corrupt or truncated.
    """
    picker = _ChannelPicker(picks) if picks is not None else None
    return [s for s, _ in _load_xdf(fname, allow_truncated, picker)]


def _load_xdf(fname, allow_truncated: bool, picker) -> list[tuple[XdfStream, int]]:
    """The streams of an XDF file, each with its channel count in the file (before ``picker``)."""
    import pyxdf

    fname = check_recording_file(fname)
    if recording_format(fname) != "XDF":
        raise RecordingFileError(f"{fname}: not an XDF file (expected .xdf or .xdfz)")
    if fname.suffix.lower() == ".xdf":
        # Checked here because pyxdf leaves the file open when it rejects the magic code.
        with open(fname, "rb") as fh:
            magic = fh.read(4)
        if magic != b"XDF:":
            raise RecordingFileError(f"{fname}: not an XDF file (it does not start with the 'XDF:' magic code)")
    with _pyxdf_errors() as errors, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            raw_streams, _header = pyxdf.load_xdf(str(fname), on_chunk=picker)
        except Exception as err:  # pyxdf raises OSError, ValueError, struct.error, EOFError...
            raise RecordingFileError(f"{fname}: could not read as XDF: {err}") from err
    problems = [f"pyxdf: {msg}" for msg in errors.messages]
    problems += [
        f"stream {_first(s['info'], 'name')!r} has no footer" for s in raw_streams if "footer" not in s
    ]
    if not raw_streams:
        problems.append("no stream header found")
    if problems:
        msg = f"{fname}: the XDF file is truncated or corrupt ({'; '.join(problems)})"
        if not allow_truncated or not raw_streams:
            raise RecordingFileError(msg + "; pass allow_truncated=True to read what is there")
        warnings.warn(msg + "; reading what is there", RuntimeWarning, stacklevel=3)

    streams = []
    for s in raw_streams:
        info = s["info"]
        fmt = _first(info, "channel_format")
        n_ch = n_in_file = int(_first(info, "channel_count", "0"))
        times = np.asarray(s["time_stamps"], dtype=float)
        labels, types, units, manufacturer = _channels(info, n_ch)
        kept = picker.columns(int(info["stream_id"]), s) if picker is not None else None
        if kept is not None:
            labels, types, units = (tuple(v[i] for i in kept) for v in (labels, types, units))
            n_ch = len(kept)
        if fmt == "string":
            data = np.array(["/".join(map(str, row)) for row in s["time_series"]], dtype=str)
        else:
            data = np.asarray(s["time_series"]).reshape(times.size, n_ch)
        stream = XdfStream(
            name=_first(info, "name"),
            type=_first(info, "type"),
            source_id=_first(info, "source_id"),
            sfreq=float(_first(info, "nominal_srate", "0")),
            channel_format=fmt,
            ch_names=labels,
            ch_types=types,
            units=units,
            manufacturer=manufacturer,
            times=times,
            data=data,
        )
        streams.append((stream, n_in_file))
    return streams


@dataclass(frozen=True)
class RecordedStream:
    """One stream of a recorded run, as requested and as found in the file (:func:`inspect_xdf`)."""

    name: str
    stype: str
    source_id: str
    n_channels: int
    sfreq: float
    n_samples: int = 0
    first_timestamp: float | None = None
    last_timestamp: float | None = None


def inspect_xdf(fname) -> tuple[tuple[RecordedStream, ...], str]:
    """The streams an XDF file holds, reading a cut-short file up to its last whole chunk.

    Returns
    -------
    streams : tuple of RecordedStream
        Per stream: name, type, source id, channels, rate, samples, first and
        last time stamps.
    note : str
        Empty for a complete file; else why it is incomplete (e.g. streams
        without footers after a crash).

    Raises
    ------
    RecordingFileError
        Missing, not XDF, or nothing readable (e.g. a damaged header).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        # Time stamps only: a run's manifest after a 5-minute 256-channel block read the whole 1.2 GB of
        # samples to count them (over 1 GB at peak at the end of every block in the soak).
        streams = _load_xdf(fname, True, _ChannelPicker((), keep_none=True))
    notes = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    out = tuple(
        RecordedStream(
            name=s.name,
            stype=s.type,
            source_id=s.source_id,
            n_channels=n_channels,
            sfreq=s.sfreq,
            n_samples=int(len(s.times)),
            first_timestamp=float(s.times[0]) if len(s.times) else None,
            last_timestamp=float(s.times[-1]) if len(s.times) else None,
        )
        for s, n_channels in streams
    )
    return out, "; ".join(notes)


def pick_signal_stream(streams: Sequence[XdfStream], stream: str | None = None, fname="") -> XdfStream:
    """Choose the signal stream: by name or type if given, else the fastest numeric one.

    Candidates are numeric, regular-rate streams with at least one sample.
    ``stream`` matches a stream name exactly, else a type (case-insensitive);
    among several matches, or with no ``stream``, the highest nominal rate
    wins (then the most samples, then file order).
    """
    candidates = [s for s in streams if not s.is_marker and s.n_times > 0]
    described = ", ".join(f"{s.name!r} ({s.type}, {s.sfreq:g} Hz, {s.n_times} samples)" for s in streams)
    if stream is not None:
        matches = [s for s in streams if s.name == stream] or [
            s for s in streams if s.type.lower() == str(stream).lower()
        ]
        if not matches:
            raise ValidationError(
                [Problem("stream", stream, f"the name or type of a stream in the file: {described}")],
                what="stream choice",
            )
        candidates = [s for s in matches if not s.is_marker and s.n_times > 0]
        if not candidates:
            raise RecordingFileError(
                f"{fname}: stream {stream!r} is not a signal stream with samples "
                f"(a numeric, regular-rate stream is needed); streams: {described}"
            )
    if not candidates:
        raise RecordingFileError(
            f"{fname}: no signal stream (numeric, regular rate, with samples) in the file; streams: {described}"
        )
    best = max(range(len(candidates)), key=lambda i: (candidates[i].sfreq, candidates[i].n_times, -i))
    return candidates[best]


def _mne_type(xdf_type: str, stream_type: str) -> str:
    return _TYPE_ALIASES.get(xdf_type.lower()) or _TYPE_ALIASES.get(stream_type.lower()) or "misc"


def _xdf_to_raw(fname: Path, stream, ch_names, allow_truncated: bool, picks=None):
    import mne

    streams = read_xdf_streams(fname, allow_truncated=allow_truncated, picks=picks)
    sig = pick_signal_stream(streams, stream, fname)
    if picks is not None and not set(sig.ch_names) <= set(map(str, picks)):
        raise ValidationError(
            [Problem("picks", list(picks), f"names of channels of the signal stream {sig.name!r}: "
                     f"{', '.join(sig.ch_names[:12])}{' ...' if sig.n_channels > 12 else ''}")],
            what="read_recording",
        )
    n_ch = sig.n_channels
    if ch_names is not None:
        ch_names = [str(c) for c in ch_names]
        if len(ch_names) != n_ch or len(set(ch_names)) != n_ch:
            raise ValidationError(
                [Problem("ch_names", ch_names, f"{n_ch} distinct names (stream {sig.name!r} has {n_ch} channels)")],
                what="read_recording",
            )
    elif all(sig.ch_names) and len(set(sig.ch_names)) == n_ch:
        ch_names = list(sig.ch_names)
    else:
        prefix = sig.type if sig.type.isalnum() else "ch"
        ch_names = [f"{prefix}{i + 1:02d}" for i in range(n_ch)]
    ch_types = [_mne_type(t, sig.type) for t in sig.ch_types]
    scale = np.ones(n_ch)
    for i, (kind, unit) in enumerate(zip(ch_types, sig.units)):
        unit = unit.strip().lower() or "microvolts"  # the XDF convention when no unit is given
        if kind not in VOLTAGE_TYPES:
            continue
        if unit not in _UNIT_TO_VOLT:
            raise RecordingFileError(
                f"{fname}: channel {ch_names[i]!r} has unit {unit!r}; voltage units understood: "
                + ", ".join(sorted(_UNIT_TO_VOLT))
            )
        scale[i] = _UNIT_TO_VOLT[unit]
    info = mne.create_info(ch_names, sig.sfreq, ch_types)
    info["description"] = f"XDF stream {sig.name!r} (type {sig.type!r}) of {fname.name}"
    raw = mne.io.RawArray(sig.data.astype(float).T * scale[:, None], info, verbose=False)

    onsets, durations, descriptions = [], [], []
    sample_axis = np.arange(sig.n_times, dtype=float)
    markers = [s for s in streams if s.is_marker and s.n_times > 0]
    for m in markers:
        # Map marker times onto the signal's own time stamps, so that a marker
        # lands on the sample recorded at the same moment even where the
        # device clock runs fast or slow (125.08 vs 125 Hz in bci4als) or the
        # recording computer's clock was reset (clock_resets.xdf).
        idx = np.interp(m.times, sig.times, sample_axis)
        idx = np.where(m.times < sig.times[0], (m.times - sig.times[0]) * sig.sfreq, idx)
        idx = np.where(m.times > sig.times[-1], sig.n_times - 1 + (m.times - sig.times[-1]) * sig.sfreq, idx)
        inside = (idx >= -0.5) & (idx < sig.n_times - 0.5)
        if not inside.all():
            warnings.warn(
                f"{fname.name}: {int((~inside).sum())} marker(s) of stream {m.name!r} fall outside "
                f"the signal stream {sig.name!r} and were left out",
                RuntimeWarning,
                stacklevel=3,
            )
        prefix = f"{m.name}/" if len(markers) > 1 else ""
        labels = m.labels()
        for i in np.flatnonzero(inside):
            onsets.append(np.clip(idx[i], 0, sig.n_times - 1) / sig.sfreq)
            durations.append(0.0)
            descriptions.append(prefix + labels[i])
    gaps = np.flatnonzero(np.diff(sig.times) > _GAP_PERIODS / sig.sfreq)
    for g in gaps:
        onsets.append(g / sig.sfreq)
        durations.append(1.0 / sig.sfreq)
        descriptions.append("BAD_ACQ_SKIP")
    if onsets:
        order = np.argsort(onsets, kind="stable")
        raw.set_annotations(
            mne.Annotations(
                np.asarray(onsets)[order], np.asarray(durations)[order], np.asarray(descriptions)[order]
            )
        )
    return raw


@contextmanager
def _mne_warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    messages.extend(str(w.message) for w in caught)


def _mne_to_raw(fname: Path, kind: str, allow_truncated: bool):
    import mne

    readers = {
        "EDF": mne.io.read_raw_edf,
        "BDF": mne.io.read_raw_bdf,
        "BrainVision": mne.io.read_raw_brainvision,
        "FIF": mne.io.read_raw_fif,
    }
    try:
        with _mne_warnings() as messages:
            raw = readers[kind](fname, preload=True, verbose="WARNING")  # WARNING: truncation is reported as a warning
    except Exception as err:  # the readers raise ValueError, OSError, KeyError, IndexError...
        raise RecordingFileError(f"{fname}: could not read as {kind}: {err}") from err
    problems = [m for m in messages if "does not match the file size" in m or "Omitted" in m]
    if kind == "BrainVision":
        # The .vhdr holds no sample count: a data file that is not a whole
        # number of sample frames was cut short (BrainVision Core Data Format 1.0).
        data_file = Path(raw.filenames[0])
        frame = raw.info["nchan"] * {"short": 2, "int": 4, "single": 4, "double": 8}.get(raw.orig_format, 1)
        if data_file.stat().st_size % frame:
            problems.append(f"{data_file.name} is {data_file.stat().st_size} bytes, not a multiple of {frame}")
    if problems:
        msg = f"{fname}: the {kind} file is truncated ({'; '.join(problems)})"
        if not allow_truncated:
            raise RecordingFileError(msg + "; pass allow_truncated=True to read what is there")
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
    if raw.n_times == 0:
        raise RecordingFileError(f"{fname}: the {kind} file holds no samples")
    if kind == "BDF" and "Status" in raw.ch_names and len(raw.annotations) == 0:
        _status_to_annotations(raw)
    return raw


def _status_to_annotations(raw) -> None:
    import mne

    # BioSemi's Status channel: bits 0-15 are the trigger inputs, 16-23 system
    # status (BioSemi ActiveTwo manual, "Trigger format"), hence the mask.
    events = mne.find_events(raw, "Status", shortest_event=1, initial_event=True, mask=0xFFFF, verbose="ERROR")
    if len(events):
        onsets = (events[:, 0] - raw.first_samp) / raw.info["sfreq"]
        raw.set_annotations(
            mne.Annotations(onsets, np.zeros(len(events)), events[:, 2].astype(str), orig_time=raw.info["meas_date"])
        )


def read_recording(fname, *, stream: str | None = None, ch_names=None, picks=None, allow_truncated: bool = False):
    """Read an XDF, EDF, BDF, BrainVision or FIF recording into MNE ``Raw``.

    Parameters
    ----------
    fname : path-like
        ``.xdf``/``.xdfz``, ``.edf``, ``.bdf``, ``.vhdr`` (BrainVision header),
        ``.fif``/``.fif.gz``.
    stream : str | None
        XDF only: the name (exact) or type (case-insensitive) of the signal
        stream. By default the signal is the numeric, regular-rate stream with
        samples and the highest nominal rate (ties: most samples, then file
        order). String streams and irregular-rate streams are markers.
    ch_names : list of str | None
        XDF only: channel names when the file has none (bci4als files, for
        instance). Without them, names come from ``desc/channels`` or default
        to ``<TYPE>01``, ``<TYPE>02``, ... (``EEG01``...).
    picks : list of str | None
        XDF only: read only these channels of the signal stream (those of
        them it has, in its order); the others are dropped chunk by chunk as
        the file is read, so memory follows the picks, not the file (a
        recalibration reads 8 channels of a 256-channel run).
    allow_truncated : bool
        Read what is there in a file that was cut short (with a warning)
        instead of raising.

    Returns
    -------
    raw : mne.io.Raw
        Data in volts for potential channels (XDF ExG values are taken as
        microvolts unless a channel unit says otherwise). XDF markers become
        annotations with duration 0 on the signal's clock: each marker time
        is placed by interpolation on the signal stream's own time stamps,
        the sampling rate is the nominal rate, and markers more than half a
        sample outside the signal are left out with a warning. With several
        marker streams, descriptions are ``"<stream name>/<label>"``. Time
        stamp jumps over 5 sample periods (clock resets, lost data) are
        annotated ``BAD_ACQ_SKIP``. EDF/BrainVision/FIF annotations are kept;
        BDF triggers on the Status channel become annotations (lower 16 bits).

    Raises
    ------
    RecordingFileError
        The file is missing, empty, of an unknown format, corrupt, truncated,
        or holds no signal stream.
    ValidationError
        ``stream`` matches no stream, or ``ch_names`` has the wrong length.
    """
    fname = check_recording_file(fname)
    kind = recording_format(fname)
    if kind != "XDF":
        given = [(k, v) for k, v in (("stream", stream), ("ch_names", ch_names), ("picks", picks)) if v is not None]
        if given:
            raise ValidationError([Problem(k, v, f"None for {kind} files (XDF only)") for k, v in given],
                                  what="read_recording")
    if ch_names is not None and picks is not None:
        raise ValidationError([Problem("picks", picks, "None when ch_names names the channels (picks are "
                                       "matched to the names the file gives)")], what="read_recording")
    if kind == "XDF":
        return _xdf_to_raw(fname, stream, ch_names, allow_truncated, picks)
    return _mne_to_raw(fname, kind, allow_truncated)
