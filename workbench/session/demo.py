"""The end-to-end demo behind ``make demo`` / ``workbench demo``.

One cued session with everything real but the participant:

1. calibrate: a rest/attempt band-power + LDA decoder is fitted on two minutes
   of cued calibration data from the simulated amplifier (another seed than
   the live session) and saved into the workspace (arrays + JSON, no pickle);
2. acquire: the simulated amplifier streams on real LSL outlets; the workbench
   finds it, acquires it with a sample counter and records signal and markers
   with LabRecorder into one XDF per run;
3. decode online: the saved decoder, loaded against the live stream's
   channels and rate, runs on every acquired chunk;
4. record: the session, its run and one trial per complete cue go into the
   study database (SQLite in the workspace by default) with the recording's
   SHA-256, each write in the audit trail; the demo study is seeded first.

Each step is a call into the layers below; nothing here is demo-only logic.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import Problem, ValidationError

DEMO_PARTICIPANT = "SCI-001"
DEMO_OPERATOR = "demo.investigator"
CALIBRATION_SEED = 1  # the live amplifier uses seed 0: the decoder never sees its data in training


@dataclass
class DemoResult:
    """What the demo did, for the summary and for tests."""

    montage: str
    n_channels: int
    sfreq: float
    n_sent: int
    n_received: int
    n_recorded: int
    lost_or_repeated: int
    markers_sent: int
    markers_received: int
    markers_recorded: int
    recording: object  # RunManifest
    decoder_file: Path | None = None
    window_accuracy: float | None = None
    n_windows: int = 0
    trials: list = field(default_factory=list)
    session_id: str | None = None
    audit_intact: bool | None = None
    audit_entries: int = 0

    @property
    def ok(self) -> bool:
        return self.recording.status == "complete" and self.lost_or_repeated == 0 and self.audit_intact is not False


def calibrate(ws, montage: str, seconds: float):
    """Fit and save the attempt decoder on simulated calibration data; return (decoder, file)."""
    from ..datasets import SyntheticSource
    from .calibration import fit_attempt_decoder, pick_sensorimotor

    source = SyntheticSource(montage=montage, seed=CALIBRATION_SEED)
    data, _ = source.generate(int(round(seconds * source.sfreq)))
    picks = pick_sensorimotor(source.ch_names)
    cols = [source.ch_names.index(c) for c in picks]
    decoder = fit_attempt_decoder(data[:, cols], sfreq=source.sfreq, ch_names=picks, cue_at=source.cue_at,
                                  cue_samples=source.cue_samples)
    fname = decoder.save(ws.decoders / f"demo_attempt_{montage}.npz")
    return decoder, Path(fname)


def acquire_and_record(ws, source, duration: float, decoder_file: Path | None, progress: bool = True):
    """Stream, acquire, record and (with a decoder) decode live; return the pieces for the summary."""
    from tqdm import tqdm

    from ..acquisition import MarkerStream, Stream, find_streams
    from ..datasets import Player
    from ..decoding import load_decoder
    from ..recording.labrecorder import Recorder
    from ..recording.runs import RunEntities

    name = f"wb-demo-{os.getpid()}"
    counters, picked, live = [], [], None
    with Player(source, name=name) as player:
        streams = find_streams(timeout=1.0)
        if progress:
            print("streams on this machine:")
            for desc in streams:
                print("  " + desc.summary())
        with Stream(player.name, bufsize=duration + 5) as stream, MarkerStream(player.marker_name) as markers:
            if decoder_file is not None:
                from .calibration import pick_sensorimotor

                picks = pick_sensorimotor(stream.ch_names)
                cols = [stream.ch_names.index(c) for c in picks]
                # Loading against the stream checks channels and rate and says what differs.
                live = load_decoder(decoder_file, ch_names=picks, sfreq=stream.sfreq).online()
            reader = stream.reader(from_start=True)
            recorder = Recorder([player.name, player.marker_name], ws.recordings,
                                entities=RunEntities(subject="demo", task="demo"), monitors=[stream, markers])
            recorder.start()
            outputs = []

            def consume():
                data = reader.read()[0]
                counters.append(data[:, 0].astype(np.int64))
                if live is not None and len(data):
                    outputs.append(live.update(np.ascontiguousarray(data[:, cols], dtype=np.float64)))

            fmt = "{l_bar}{bar}| {n:.1f}/{total:.1f} s {postfix}"
            try:
                with tqdm(total=round(duration, 1), unit="s", desc="recording", bar_format=fmt,
                          disable=not progress) as bar:
                    while (status := recorder.status()).elapsed < duration:
                        consume()
                        bar.n = round(min(status.elapsed, duration), 1)
                        bar.set_postfix_str(f"{stream.n_samples_received} samples, {status.size_bytes / 1e6:.1f} MB")
                        time.sleep(0.25)
                    bar.n = round(duration, 1)
            finally:  # also on Ctrl-C: LabRecorder closes the file with footers and clock offsets
                if progress:
                    print("stopping LabRecorder (it closes the file with footers and clock offsets) ...")
                manifest = recorder.stop()
            consume()
            acquired = dict(n_channels=len(stream.ch_names), sfreq=stream.sfreq, n_received=stream.n_samples_received,
                            markers_received=markers.n_markers_received)
        acquired.update(n_sent=player.n_samples_sent, markers_sent=player.n_markers_sent)
    counter = np.concatenate(counters) if counters else np.empty(0, np.int64)
    return manifest, acquired, counter, outputs, live


def save_session(ws, manifest, decoder_file, montage: str, trials) -> tuple[str, object]:
    """Seed the demo study if needed, then save session, run and trials in one transaction."""
    from ..records import RecordingFile, Run, Session, Store, Study, Trial, User
    from ..records.demo import seed_demo
    from ..utils.files import sha256_file

    store = Store(ws.db_url, user=User(DEMO_OPERATOR, "investigator"))
    try:
        store.upgrade()
        if not store.find(Study, id="BCI-SCI-DEMO"):
            seed_demo(store)
        now = datetime.now(timezone.utc)
        session = Session(participant_id=DEMO_PARTICIPANT, started_at=now, device="workbench simulated amplifier",
                          montage=f"simulated {montage}",
                          decoder_version="rest-attempt bandpower-lda" if decoder_file else None,
                          decoder_sha256=sha256_file(decoder_file) if decoder_file else None,
                          recording_files=(RecordingFile.from_file(manifest.fname, root=ws.root),),
                          operator=DEMO_OPERATOR, notes="workbench demo session")
        run = Run(session_id=session.id, number=1, task="demo", started_at=now)
        rows = [Trial(run_id=run.id, number=t.number, cue=t.cue, onset_s=t.onset_s, decoded=t.decoded,
                      correct=t.correct, latency_s=t.latency_s) for t in trials]
        store.add(session, run, *rows)
        return session.id, store.verify_audit()
    finally:
        store.close()


def run_demo(workspace=None, *, duration: float = 10.0, montage: str = "eeg-64", calibration_s: float = 120.0,
             progress: bool = True) -> DemoResult:
    """Run the whole demo (see module docstring) and return what it measured."""
    from ..acquisition.lsl_config import use_loopback
    from ..config import get_workspace
    from ..datasets import SyntheticSource
    from ..recording.runs import recover_interrupted_runs
    from .calibration import CalibrationSpec, score_trials

    problems = []
    if not (isinstance(duration, (int, float)) and duration > 0):
        problems.append(Problem("duration", duration, "seconds > 0"))
    if not (isinstance(calibration_s, (int, float)) and calibration_s >= 30):
        problems.append(Problem("calibration_s", calibration_s, "seconds >= 30"))
    if problems:
        raise ValidationError(problems, what="demo")
    use_loopback()
    ws = get_workspace(workspace)
    for m in recover_interrupted_runs(ws.recordings):
        print(f"marked interrupted: {m.fname}")

    source = SyntheticSource(montage=montage, seed=0, counter=True)
    # The attempt detector reads sensorimotor EEG rhythms; ECoG and Utah montages record without it.
    decoder, decoder_file = calibrate(ws, montage, calibration_s) if montage == "eeg-64" else (None, None)
    manifest, acq, counter, outputs, live = acquire_and_record(ws, source, duration, decoder_file, progress)

    lost = int(np.count_nonzero(np.diff(counter) != 1))
    in_file = {s.name: s.n_samples for s in manifest.streams}
    signal_name = manifest.streams[0].name if manifest.streams else ""
    result = DemoResult(montage=montage, n_recorded=in_file.get(signal_name, 0), lost_or_repeated=lost,
                        markers_recorded=sum(n for s, n in in_file.items() if s.endswith("-markers")),
                        recording=manifest, decoder_file=decoder_file, **acq)
    trials = []
    if live is not None and outputs and len(counter):
        from ..decoding import DecoderOutput

        out = DecoderOutput.concatenate(outputs, len(decoder.output_names()))
        decided = decoder.model.classes_[out.values.argmax(axis=1)]
        source_index = counter[out.sample_index]  # the counter channel maps outputs to cues exactly
        _, _, settle = CalibrationSpec().samples(source.sfreq)
        settled = (source_index % source.cue_samples) >= settle
        truth = np.where(source.cue_at(source_index) == "rest", "rest", "attempt")
        result.n_windows = int(settled.sum())
        result.window_accuracy = float(np.mean(decided[settled] == truth[settled])) if settled.any() else None
        trials = score_trials(decided, source_index, sfreq=source.sfreq, cue_at=source.cue_at,
                              cue_samples=source.cue_samples, settle=settle, first_source_sample=int(counter[0]))
    result.trials = trials
    result.session_id, report = save_session(ws, manifest, decoder_file, montage, trials)
    result.audit_intact, result.audit_entries = report.ok, report.n_entries
    return result


def format_summary(r: DemoResult) -> str:
    """The lines ``workbench demo`` prints."""
    m = r.recording
    lines = [
        f"amplifier      {r.montage}: {r.n_channels} channels at {r.sfreq:g} Hz",
        f"samples        sent {r.n_sent}, acquired {r.n_received}, recorded {r.n_recorded} (this run)",
        f"counter check  {r.lost_or_repeated} samples lost or repeated in acquisition",
        f"markers        sent {r.markers_sent}, acquired {r.markers_received}, recorded {r.markers_recorded}",
        f"recording      {m.status}: {m.fname}",
        f"sha256         {m.sha256} ({m.size_bytes} bytes)",
    ]
    if r.decoder_file is not None:
        acc = "n/a" if r.window_accuracy is None else f"{r.window_accuracy:.2f}"
        lines.append(f"decoder        {r.decoder_file.name}: rest/attempt accuracy {acc} over {r.n_windows} "
                     f"settled live windows (chance 0.5)")
        for t in r.trials:
            lat = ("(no class change)" if t.latency_s is None
                   else f"first correct output {t.latency_s:.2f} s after the cue")
            lines.append(f"  trial {t.number}: cue {t.cue:<7} decoded {t.decoded:<7} "
                         f"{'correct' if t.correct else 'wrong':<7} {lat}")
    lines.append(f"trial records  session {r.session_id} for {DEMO_PARTICIPANT}, {len(r.trials)} trials; "
                 f"audit trail {'intact' if r.audit_intact else 'BROKEN'} ({r.audit_entries} entries)")
    return "\n".join(lines)
