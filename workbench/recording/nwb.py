"""Recorded sessions as Neurodata Without Borders files (NWB 2.x, written with pynwb).

One NWB file per recording file of a session. What goes where:

- the signal stream as an ``ElectricalSeries`` in ``acquisition``, stored in
  the recording's own sample type with ``conversion`` to volts, so the file
  holds exactly the recorded samples (an int16 Utah array stays int16);
  electrodes from the stream's channel list, grouped by channel type;
- threshold crossings (``units``, one multi-unit per electrode) and spike-band
  power (``processing/ecephys``) for a
  broadband intracortical stream (>= 20 kHz), computed by the decoder's own
  kernel (:func:`workbench.decoding.kernels.spike_bins`), -4.5 x RMS thresholds
  in 20 ms bins (Christie et al. 2015; BrainGate's settings);
- cues as the trials table (start = cue marker, stop = next marker), with
  what the closed loop decided for each cued trial (decoded class, correct,
  latency, gate decision) from the session's stored trials of the same run
  (the file's BIDS ``run-`` entity is the Run's number), matched to the cue
  marker of the same class at the trial's onset;
- decoder outputs as a ``TimeSeries`` and effector commands and gate decisions
  as event tables in ``processing/bci``;
- the subject by pseudonym only (sex and age, no dates), and provenance (the
  recording's and the decoder's SHA-256) in ``notes`` as JSON.

A session whose recording file is missing or no longer has its recorded
SHA-256 is refused with the reason, before anything is written.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

import numpy as np

from ..errors import Problem, RecordingFileError, ValidationError, WorkbenchError
from ..utils.files import make_private_dir

#: Streams of a closed-loop block besides the signal, by the suffix LabRecorder files give them.
EVENT_SUFFIXES = {"-markers": "cues", "-commands": "commands", "-gate": "gate", "-outputs": "outputs"}
#: Intracortical arrays are broadband; below this rate there are no spikes to count.
SPIKE_MIN_SFREQ = 20_000.0
SPIKE_BIN_S = 0.02
SPIKE_K = 4.5
_SEX = {"F": "F", "M": "M", "X": "O"}  # NWB best practice: F, M, U or O
_VOLT = {"v": 1.0, "mv": 1e-3, "uv": 1e-6, "µv": 1e-6, "μv": 1e-6, "microvolts": 1e-6, "nv": 1e-9}


@dataclass(frozen=True)
class NwbExport:
    """One written NWB file and the session and recording it came from."""

    fname: Path
    session_id: str
    recording: str
    recording_sha256: str


def check_session_files(session, root) -> list[Problem]:
    """Why each recording file of ``session`` cannot be exported (missing, or changed since it was recorded)."""
    problems = []
    for i, f in enumerate(session.recording_files):
        reason = f.check(root)
        if reason is not None:
            problems.append(Problem(f"session {session.id} recording_files[{i}]", f.path,
                                    f"the file as recorded (SHA-256 {f.sha256[:12]}...): {reason}"))
    return problems


def export_nwb(store, out, workspace=None, selection=None, *, allow_broken_trail: bool = False) -> Path:
    """Write every recording of the selected sessions as NWB files into ``out`` (new or empty); return it.

    The audit trail is verified first, as for every export. Every selected
    session's files are hashed before anything is written: one missing or
    changed file refuses the whole export and names it.
    """
    from ..analysis.units import Selection, select_sessions
    from ..config import get_workspace
    from ..records import Participant, Visit
    from ..records.types.identifiers import screen_record  # device, montage: free labels, screened as every export
    from ..utils.files import staged_folder
    from .read import recording_format

    report = store.verify_audit()
    if not report.ok and not allow_broken_trail:
        raise WorkbenchError(f"export refused: {report.summary().splitlines()[0]} "
                             "(investigate with `workbench audit verify`)")
    ws = get_workspace(workspace)
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError([Problem("out", str(out), "a new or empty folder")], what="NWB export")
    sessions = [s for s in select_sessions(store, selection or Selection()) if s.recording_files]
    if not sessions:
        raise ValidationError([Problem("sessions", 0, "at least one selected session with a recording file")],
                              what="NWB export")
    problems = [p for s in sessions for p in check_session_files(s, ws.root)]
    if problems:
        raise ValidationError(problems, what="NWB export (recordings must match their SHA-256)")
    participants = {p.id: p for p in store.find(Participant)}
    stored_trials = _stored_trials(store, sessions)
    visits = {v.id: v for v in store.find(Visit)}
    written = []
    with staged_folder(out) as tmp:
        for s in sessions:
            for i, f in enumerate(s.recording_files, start=1):
                if recording_format(ws.root / f.path) != "XDF":
                    raise ValidationError([Problem(f"session {s.id} recording_files[{i - 1}]", f.path,
                                                   "an XDF recording (the NWB export reads XDF streams)")],
                                          what="NWB export")
                visit = visits.get(s.visit_id)
                name = f"sub-{_label(s.participant_id)}_ses-{_label(visit.name if visit else 'unscheduled')}" \
                       f"_{_label(s.id)}_rec-{i}.nwb"
                write_session_nwb(ws.root / f.path, tmp / name, recording=f,
                                  session=screen_record(s, staff_key=store.staff_key),
                                  participant=participants.get(s.participant_id), visit=visit,
                                  trials=stored_trials.get((s.id, _run_number(f.path, len(s.recording_files)))))
                written.append({"file": name, "session": s.id, "recording": f.path, "sha256": f.sha256})
        (tmp / "manifest.json").write_text(json.dumps({"format": "nwb", "files": written,
                                                       "audit_intact": report.ok}, indent=2) + "\n")
    return out


def _label(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isalnum())


def _run_number(path: str, n_files: int) -> int | None:
    """The Run a recording file belongs to: its BIDS ``run-`` entity, or run 1 for a session's only file."""
    m = re.search(r"_run-0*(\d+)_", Path(path).name)
    return int(m.group(1)) if m else (1 if n_files == 1 else None)


def _stored_trials(store, sessions) -> dict:
    """{(session id, run number): the run's stored trials}; empty where the role may not read trials."""
    from ..errors import PermissionDeniedError
    from ..records import Run, Trial

    out = {}
    try:
        for s in sessions:
            for run in store.find(Run, session_id=s.id):
                out[(s.id, run.number)] = sorted(store.find(Trial, run_id=run.id), key=lambda t: t.number)
    except PermissionDeniedError:  # e.g. a blinded assessor: the cues alone, as from a file from elsewhere
        return {}
    return out


def write_session_nwb(fname, out, *, session, recording=None, participant=None, visit=None,
                      spike_features: bool | None = None, trials=None) -> Path:
    """Write one recording of ``session`` as the NWB file ``out``; return its path.

    ``spike_features`` None computes threshold crossings and spike-band power
    for broadband intracortical streams (>= 20 kHz) only. ``trials``: the
    stored :class:`~workbench.records.Trial` records of this recording's run,
    joined to the cue markers in the trials table.
    """
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.ecephys import ElectricalSeries
    from pynwb.file import Subject

    from .read import pick_signal_stream, read_xdf_streams

    streams = read_xdf_streams(fname)
    signal = pick_signal_stream(streams, fname=fname)
    others = {}
    for s in streams:
        for suffix, role in EVENT_SUFFIXES.items():
            if s is not signal and s.name.endswith(suffix):
                others[role] = s
    if "cues" not in others:  # a file from elsewhere: its first marker stream holds the cues
        markers = [s for s in streams if s is not signal and s.is_marker and s not in others.values()]
        if markers:
            others["cues"] = markers[0]
    t0 = float(signal.times[0])
    start = session.started_at if session.started_at.tzinfo else session.started_at.replace(tzinfo=timezone.utc)
    provenance = {"recording": {"path": getattr(recording, "path", Path(fname).name),
                                "sha256": getattr(recording, "sha256", None)},
                  "decoder": {"version": session.decoder_version, "sha256": session.decoder_sha256},
                  "signal_stream": signal.name, "xdf_first_timestamp_s": t0}
    nwb = NWBFile(
        session_description=f"BCI session at visit {visit.name if visit else 'unscheduled'}; "
                            f"montage {session.montage}; device {session.device}",
        identifier=session.id + (f"-{recording.sha256[:12]}" if recording is not None else ""),
        session_start_time=start.astimezone(timezone.utc),
        session_id=session.id,
        institution=participant.site_id if participant is not None else None,
        experiment_description="BCI clinical trial session recorded with the workbench (pseudonymised)",
        notes=json.dumps(provenance, sort_keys=True),
        source_script="sci-bci-workbench",
        source_script_file_name="workbench/recording/nwb.py",
    )
    nwb.subject = _subject(participant, session, Subject)
    device = nwb.create_device(name=_label(session.device) or "amplifier",
                               description=session.device + (f" ({signal.manufacturer})" if signal.manufacturer
                                                             else ""))
    types = [t.lower() or "unknown" for t in (signal.ch_types or ("",) * signal.n_channels)]
    groups = {}
    for t in dict.fromkeys(types):
        groups[t] = nwb.create_electrode_group(name=t, description=f"{t} channels of montage {session.montage}",
                                               location="unknown", device=device)
    nwb.add_electrode_column(name="label", description="channel name in the recording")
    for name, t in zip(signal.ch_names, types):
        nwb.add_electrode(group=groups[t], location="unknown", label=name)
    region = nwb.create_electrode_table_region(list(range(signal.n_channels)), "all recorded channels")
    unit = (signal.units[0] if signal.units else "").lower() or "uv"  # XDF convention: ExG in microvolts
    conversion = _VOLT.get(unit, 1e-6)
    data = np.ascontiguousarray(signal.data)
    nwb.add_acquisition(ElectricalSeries(
        name="ElectricalSeries", data=data, electrodes=region, starting_time=0.0, rate=float(signal.sfreq),
        conversion=conversion, description=f"stream {signal.name!r} ({signal.type}) as recorded, "
                                             f"{signal.channel_format} x {conversion:g} = volts"))
    if spike_features is None:
        spike_features = signal.sfreq >= SPIKE_MIN_SFREQ and set(types) <= {"seeg", "neural", "ecog", "unknown"}
    if spike_features:
        _add_spike_features(nwb, signal, data, conversion)
    if "cues" in others:
        _add_trials(nwb, others["cues"], t0, trials or ())
    bci = None
    if "outputs" in others and others["outputs"].channel_format != "string":
        s = others["outputs"]
        bci = bci or nwb.create_processing_module("bci", "decoder outputs, effector commands, gate decisions")
        times = np.asarray(s.times, float) - t0
        steps = np.diff(times)
        # A decoder emits once per step: a regular series is stored by rate (NWB best practice), else stamped.
        when = {"starting_time": float(times[0]), "rate": float(1.0 / steps.mean())} \
            if steps.size and steps.min() > 0 and np.ptp(steps) <= 1e-6 * steps.mean() else {"timestamps": times}
        bci.add(TimeSeries(name="decoder_outputs", data=np.asarray(s.data, float), unit="n/a", **when,
                           description="decoder outputs as streamed: " + ", ".join(s.ch_names)))
    for role, what in (("commands", "effector command sent"), ("gate", "safety gate decision")):
        if role in others:
            bci = bci or nwb.create_processing_module("bci", "decoder outputs, effector commands, gate decisions")
            bci.add(_event_table(role, what, others[role], t0))
    make_private_dir(Path(out).parent)
    with NWBHDF5IO(os.fspath(out), "w") as io:
        io.write(nwb)
    return Path(out)


def _subject(participant, session, Subject):
    kwargs = {"subject_id": session.participant_id, "species": "Homo sapiens",
              "description": "study participant (pseudonym only)"}
    if participant is not None:
        kwargs["sex"] = _SEX.get(participant.sex, "U")
        if participant.age_years is not None:  # ISO 8601 duration, at enrolment; 90 means 90 or older
            kwargs["age"] = f"P{participant.age_years}Y"
            kwargs["age__reference"] = "birth"
    else:
        kwargs["sex"] = "U"
    return Subject(**kwargs)


#: A stored trial's onset and its cue marker agree to a sample; this allows for the marker stream's own stamping.
_ONSET_TOLERANCE_S = 0.05


def _match_trials(times, labels, trials) -> dict[int, object]:
    """{row of the cue markers: the stored trial cued there}.

    A trial's onset is counted from the block's first cue (its timeline's 0,
    the first marker), so the marker of trial k is the one of the same class
    at that offset from the first marker.
    """
    if not trials or len(times) == 0:
        return {}
    rel = np.asarray(times) - times[0]
    rows = {}
    for trial in trials:
        near = [i for i, lab in enumerate(labels)
                if lab == trial.cue and abs(rel[i] - trial.onset_s) <= _ONSET_TOLERANCE_S and i not in rows]
        if near:
            rows[near[0]] = trial
    return rows


def _add_trials(nwb, cues, t0: float, stored=()) -> None:
    times = np.asarray(cues.times, float) - t0
    labels = cues.labels()
    matched = _match_trials(times, labels, stored)
    nwb.add_trial_column(name="cue", description="cue marker label (rest periods are 'iti')")
    if matched:
        nwb.add_trial_column(name="trial_number", description="number of the stored trial within its run "
                                                              "(0: a marker that is no cued trial, e.g. 'iti')")
        nwb.add_trial_column(name="decoded", description="class the decoder output for this cue ('' if none)")
        nwb.add_trial_column(name="correct", description="'yes' if the decoded class is the cue, 'no' if not, "
                                                         "'' if nothing was decoded or the marker is no trial")
        nwb.add_trial_column(name="latency_s", description="cue onset to the decoder's output, seconds "
                                                           "(NaN if none)")
        nwb.add_trial_column(name="gate_decision", description="the safety gate's decision on the trial's "
                                                               "command ('' if none)")
    for i, (t, lab) in enumerate(zip(times, labels)):
        stop = times[i + 1] if i + 1 < len(times) else t + (times[i] - times[i - 1] if i else 1.0)
        row = {"start_time": float(t), "stop_time": float(max(stop, t)), "cue": lab}
        if matched:
            trial = matched.get(i)
            row.update(trial_number=trial.number if trial else 0, decoded=(trial and trial.decoded) or "",
                       correct="" if trial is None or trial.correct is None else "yes" if trial.correct else "no",
                       latency_s=math.nan if trial is None or trial.latency_s is None else float(trial.latency_s),
                       gate_decision=(trial and trial.gate_decision) or "")
        nwb.add_trial(**row)


def _event_table(name: str, what: str, stream, t0: float):
    from hdmf.common import DynamicTable, VectorData

    return DynamicTable(name=name, description=f"{what}, one row per marker of stream {stream.name!r}", columns=[
        VectorData(name="timestamp", description="seconds from the session's first signal sample",
                   data=list(np.asarray(stream.times, float) - t0)),
        VectorData(name="label", description=what, data=stream.labels()),
    ])


def _add_spike_features(nwb, signal, data, conversion: float) -> None:
    """Threshold crossings and spike-band power per 20 ms bin, through the decoder's kernel.

    Crossings go into the units table as one multi-unit per electrode with
    its crossing times (as the intracortical BCI datasets on DANDI hold them),
    so any bin size can be counted back. Spike-band power goes into a table of
    bins (start time, one power per electrode): as a TimeSeries, a session of
    fewer bins than electrodes (a few seconds of a 1024-channel array) reads as
    transposed to every NWB checker.
    """
    from hdmf.common import DynamicTable, VectorData
    from pynwb.misc import Units
    from scipy.signal import butter, sosfilt

    from ..decoding.kernels import spike_bins

    sfreq = float(signal.sfreq)
    high = min(5000.0, 0.45 * sfreq)
    # Causal filter, as the online decoder sees the signal (no look-ahead).
    sos = butter(4, [300.0, high], btype="bandpass", fs=sfreq, output="sos")
    x = np.ascontiguousarray(sosfilt(sos, data.astype(np.float64) * (conversion / 1e-6), axis=0))  # µV
    rms = np.sqrt(np.mean(x**2, axis=0))
    thresholds = -SPIKE_K * np.where(rms > 0, rms, np.inf)  # a flat channel never crosses
    bin_size = int(round(SPIKE_BIN_S * sfreq))
    n_times, n_ch = x.shape
    m = n_times // bin_size + 1
    counts, power = np.empty((m, n_ch)), np.empty((m, n_ch))
    n = spike_bins(x, thresholds, bin_size, np.full(n_ch, -np.inf), np.zeros(n_ch), np.zeros(n_ch),
                   np.zeros(1, np.int64), counts, power)
    below = x < thresholds
    onsets = below[1:] & ~below[:-1]  # the kernel's rule: below the threshold, predecessor at or above it
    nwb.units = Units(name="units", resolution=1.0 / sfreq, electrode_table=nwb.electrodes,
                      description="threshold crossings, one multi-unit per electrode (not sorted)")
    nwb.add_unit_column(name="threshold_uv", description=f"crossing threshold, -{SPIKE_K:g} x RMS of the "
                        f"300-{high:g} Hz band (Christie et al. 2015), microvolts")
    duration = n_times / sfreq
    for c in range(n_ch):
        times = (np.flatnonzero(onsets[:, c]) + 1) / sfreq
        nwb.add_unit(spike_times=times, electrodes=[c], obs_intervals=[[0.0, duration]],
                     threshold_uv=float(thresholds[c]) if np.isfinite(thresholds[c]) else float("nan"))
    ecephys = nwb.create_processing_module("ecephys", "features the decoder computes from the broadband signal")
    ecephys.add(DynamicTable(name="spike_band_power", description=(
        f"mean squared {high:g}-300 Hz band-passed signal (4th-order Butterworth, causal) per "
        f"{SPIKE_BIN_S * 1000:g} ms bin (Nason et al. 2020), V^2, one value per row of the electrodes table; "
        f"threshold crossings are in the units table"), columns=[
        VectorData(name="start_time", description="bin start, seconds", data=np.arange(n) * SPIKE_BIN_S),
        VectorData(name="power", description="V^2 per electrode", data=power[:n] * 1e-12),
        VectorData(name="crossings", description="threshold crossings per electrode in the bin",
                   data=counts[:n].astype(np.uint16)),
    ]))


def read_nwb_signal(fname) -> tuple[np.ndarray, float, float]:
    """The recorded samples of an exported file, their rate and their conversion to volts."""
    from pynwb import NWBHDF5IO

    if not Path(fname).is_file():
        raise RecordingFileError(f"NWB file not found: {fname}")
    with NWBHDF5IO(os.fspath(fname), "r") as io:
        es = io.read().acquisition["ElectricalSeries"]
        return np.asarray(es.data[:]), float(es.rate), float(es.conversion)
