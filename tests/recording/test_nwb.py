"""Sessions as NWB files: checked by nwbinspector, read back equal to the XDF's samples, bad files refused."""

from __future__ import annotations

import struct
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import pyxdf

from workbench.analysis import Selection
from workbench.errors import ValidationError
from workbench.records import RecordingFile, Session
from workbench.records.demo import open_demo_store
from workbench.recording.nwb import export_nwb

pytestmark = pytest.mark.slow


# -- a small XDF writer (XDF 1.0 spec, github.com/sccn/xdf/wiki/Specifications) --------------------------------
def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return b"\x08" + struct.pack("<Q", len(body)) + body


def _varlen(n: int) -> bytes:
    return b"\x08" + struct.pack("<Q", n)


def _header(sid, name, kind, ch_names, ch_types, unit, sfreq, fmt) -> bytes:
    chans = "".join(f"<channel><label>{c}</label><type>{t}</type><unit>{unit}</unit></channel>"
                    for c, t in zip(ch_names, ch_types))
    xml = (f'<?xml version="1.0"?><info><name>{name}</name><type>{kind}</type>'
           f"<channel_count>{len(ch_names)}</channel_count><nominal_srate>{sfreq}</nominal_srate>"
           f"<channel_format>{fmt}</channel_format><source_id>{name}-src</source_id>"
           f"<desc><channels>{chans}</channels></desc></info>")
    return _chunk(2, struct.pack("<I", sid) + xml.encode())


def _samples(sid, times, rows, fmt) -> bytes:
    out = [struct.pack("<I", sid), _varlen(len(times))]
    for t, row in zip(times, rows):
        out.append(b"\x08" + struct.pack("<d", t))
        if fmt == "string":
            for v in row:
                b = v.encode()
                out.append(_varlen(len(b)) + b)
        else:
            out.append(np.asarray(row, dtype=fmt).tobytes())
    return _chunk(3, b"".join(out))


def _footer(sid, times) -> bytes:
    xml = (f'<?xml version="1.0"?><info><first_timestamp>{times[0]}</first_timestamp>'
           f"<last_timestamp>{times[-1]}</last_timestamp><sample_count>{len(times)}</sample_count></info>")
    return _chunk(6, struct.pack("<I", sid) + xml.encode())


def write_xdf(fname: Path, signal: np.ndarray, sfreq: float, ch_type: str, fmt: str, events: dict) -> None:
    """Signal stream ``sig`` plus string streams ``sig-<suffix>`` and an optional numeric ``sig-outputs``."""
    t0 = 1000.0
    n = signal.shape[0]
    times = t0 + np.arange(n) / sfreq
    parts = [b"XDF:", _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')]
    parts.append(_header(1, "sig", "EEG" if ch_type == "eeg" else "Neural", [f"ch{i + 1}" for i in
                                                                             range(signal.shape[1])],
                         [ch_type] * signal.shape[1], "microvolts", sfreq, fmt))
    streams = [(1, times, signal, fmt)]
    for sid, (suffix, (ts, rows, efmt)) in enumerate(events.items(), start=2):
        width = len(rows[0]) if efmt != "string" else 1
        parts.append(_header(sid, f"sig-{suffix}", "Markers", [f"{suffix}{i}" for i in range(width)],
                             ["misc"] * width, "", 0, efmt))
        streams.append((sid, t0 + np.asarray(ts), rows, efmt))
    step = 2000
    for sid, ts, rows, f in streams:
        for i in range(0, len(ts), step):
            parts.append(_samples(sid, ts[i:i + step], rows[i:i + step], f))
    for sid, ts, _, _ in streams:
        parts.append(_footer(sid, ts))
    fname.write_bytes(b"".join(parts))


def _inspect(fname) -> list:
    from nwbinspector import Importance, inspect_nwbfile

    return [m for m in inspect_nwbfile(nwbfile_path=str(fname))
            if m.importance in (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION)]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """A demo study with an EEG closed-loop session and a 1024-channel 30 kHz Utah-array session."""
    from workbench.datasets import SyntheticSource, generate_raw

    ws = tmp_path_factory.mktemp("nwb-ws")
    folder = ws / "recordings"
    folder.mkdir(exist_ok=True)
    # EEG: the simulator's 64 channels, float32 microvolts, with cues, commands, gate decisions, outputs.
    raw = generate_raw(SyntheticSource(montage="eeg-64", seed=1), 12.0)
    eeg = (raw.get_data().T * 1e6).astype(np.float32)
    cue_t = [1.0, 4.0, 5.5, 8.5, 10.0]
    events = {
        "markers": (cue_t, [["left"], ["iti"], ["right"], ["iti"], ["left"]], "string"),
        "commands": ([2.0, 6.5], [["grasp"], ["open"]], "string"),
        "gate": ([2.0, 6.4, 6.5], [["gate:passed|ok"], ["gate:held|rate"], ["gate:passed|ok"]], "string"),
        "outputs": (list(np.arange(1.0, 11.0, 0.25)), [[0.3, 0.7, 1.0]] * 40, "float32"),
    }
    write_xdf(folder / "eeg.xdf", eeg, raw.info["sfreq"], "eeg", "float32", events)
    # Utah: 1024 channels at 30 kHz, 2 s of int16 (the simulator's 96 electrodes, tiled with fresh noise).
    utah = generate_raw(SyntheticSource(montage="utah-96", seed=2), 2.0).get_data().T * 1e6
    rng = np.random.default_rng(3)
    tiled = np.tile(utah, (1, 11))[:, :1024] + rng.normal(0, 5, (utah.shape[0], 1024))
    write_xdf(folder / "utah.xdf", np.clip(tiled / 0.25, -32768, 32767).astype(np.int16), 30000.0, "seeg",
              "int16", {"markers": ([0.5, 1.2], [["attempt"], ["iti"]], "string")})
    with open_demo_store(ws, role="investigator") as store:
        made = []
        for name, montage in (("eeg.xdf", "eeg-64"), ("utah.xdf", "utah-1024")):
            made.append(Session(participant_id="SCI-001", started_at=datetime(2026, 3, 2, 9, tzinfo=timezone.utc),
                                device="simulated amplifier", montage=montage, decoder_version="v1",
                                decoder_sha256="b" * 64, operator=store.user.name,
                                recording_files=(RecordingFile.from_file(folder / name, root=ws),)))
        store.add(*made)
    return ws, {s.montage: s for s in made}


def test_eeg_and_utah_sessions_export_pass_nwbinspector_and_read_back_as_recorded(sessions, tmp_path):
    from pynwb import NWBHDF5IO

    ws, made = sessions
    with open_demo_store(ws, role="monitor") as store:
        out = export_nwb(store, tmp_path / "nwb", ws, Selection(participants=("SCI-001",)))
    for montage, session in made.items():
        [fname] = [p for p in out.glob("*.nwb") if session.id.replace("-", "") in p.name.replace("-", "")]
        assert _inspect(fname) == [], montage
        xdf = {s["info"]["name"][0]: s for s in pyxdf.load_xdf(str(ws / session.recording_files[0].path),
                                                                 dejitter_timestamps=False)[0]}
        with NWBHDF5IO(str(fname), "r") as io:
            nwb = io.read()
            es = nwb.acquisition["ElectricalSeries"]
            assert np.array_equal(es.data[:], xdf["sig"]["time_series"])  # the samples, bit for bit
            assert es.data.dtype == xdf["sig"]["time_series"].dtype
            assert es.conversion == pytest.approx(1e-6)  # microvolts in the XDF
            assert len(nwb.electrodes) == xdf["sig"]["time_series"].shape[1]
            assert nwb.subject.subject_id == "SCI-001"
            assert session.recording_files[0].sha256 in nwb.notes and "b" * 64 in nwb.notes
            cues = list(nwb.trials["cue"][:])
            assert cues == [v[0] for v in xdf["sig-markers"]["time_series"]]
            if montage == "eeg-64":
                bci = nwb.processing["bci"]
                assert list(bci["commands"]["label"][:]) == ["grasp", "open"]
                assert len(bci["gate"]) == 3
                assert bci["decoder_outputs"].data.shape == (40, 3)
                assert "ecephys" not in nwb.processing
            else:
                assert es.data.shape == (60000, 1024) and es.rate == 30000.0
                sbp = nwb.processing["ecephys"]["spike_band_power"]
                assert sbp["power"].data.shape == (100, 1024)  # 20 ms bins over 2 s
                counts = sbp["crossings"].data[:]
                assert counts.sum() > 0  # the simulated units fire
                units = nwb.units.to_dataframe()
                assert len(units) == 1024
                # the units' crossing times, binned, give the kernel's counts
                for c in (0, 500, 1023):
                    binned = np.histogram(units["spike_times"].iloc[c], bins=np.arange(101) * 0.02)[0]
                    assert np.array_equal(binned, counts[:, c])
        text = fname.read_bytes()
        assert b"SCI-001" in text and store.user.name.encode() not in text  # pseudonym, no staff name


def test_a_missing_or_changed_recording_is_refused_with_the_reason(sessions, tmp_path, monkeypatch, capsys):
    from workbench.cli import main
    from workbench.records.demo import demo_passwords

    ws, made = sessions
    eeg = ws / made["eeg-64"].recording_files[0].path
    original = eeg.read_bytes()
    try:
        eeg.write_bytes(original + b"\0")
        monkeypatch.setenv("WORKBENCH_USER", "demo.monitor")
        monkeypatch.setenv("WORKBENCH_PASSWORD", demo_passwords(ws)["demo.monitor"])
        code = main(["--workspace", str(ws), "export", "--format", "nwb", "--participant", "SCI-001",
                     "--out", str(tmp_path / "cli")])
        said = capsys.readouterr()
        assert code != 0 and "file changed" in said.out + said.err
        with open_demo_store(ws, role="monitor") as store, pytest.raises(ValidationError) as err:
            export_nwb(store, tmp_path / "changed", ws)
        assert "file changed" in str(err.value) and made["eeg-64"].id in str(err.value)
        eeg.unlink()
        with open_demo_store(ws, role="monitor") as store, pytest.raises(ValidationError) as err:
            export_nwb(store, tmp_path / "missing", ws)
        assert "missing" in str(err.value)
        assert not any((tmp_path / d).exists() for d in ("changed", "missing", "cli"))
    finally:
        eeg.write_bytes(original)


def test_the_trials_table_holds_what_the_loop_decided_for_each_cue(sessions, tmp_path):
    """The stored trials of the file's run (BIDS run-01 -> Run 1) join the cue markers at their onsets."""
    import shutil

    from pynwb import NWBHDF5IO

    from workbench.records import Run, Trial

    ws, made = sessions
    eeg = made["eeg-64"]
    name = "recordings/sub-SCI001_task-glove_run-01_eeg.xdf"
    shutil.copyfile(ws / eeg.recording_files[0].path, ws / name)
    # cue markers of the file (fixture): left at 1.0 s, iti 4.0, right 5.5, iti 8.5, left 10.0; a trial's
    # onset counts from the block's first cue, here the marker at 1.0 s
    with open_demo_store(ws, role="engineer") as store:
        session = Session(participant_id="SCI-001", started_at=datetime(2026, 3, 3, 9, tzinfo=timezone.utc),
                          device="simulated amplifier", montage="eeg-64", operator=store.user.name,
                          recording_files=(RecordingFile.from_file(ws / name, root=ws),))
        run = Run(session_id=session.id, number=1, task="glove")
        store.add(session, run,
                  Trial(run_id=run.id, number=1, cue="left", onset_s=0.0, decoded="left", correct=True,
                        latency_s=0.8, gate_decision="passed"),
                  Trial(run_id=run.id, number=2, cue="right", onset_s=4.5, decoded="left", correct=False,
                        latency_s=1.1, gate_decision="held"),
                  Trial(run_id=run.id, number=3, cue="left", onset_s=9.0))  # the block ended before an output
    with open_demo_store(ws, role="monitor") as store:
        out = export_nwb(store, tmp_path / "nwb", ws, Selection(participants=("SCI-001",)))
    [fname] = [p for p in out.glob("*.nwb") if session.id.replace("-", "") in p.name.replace("-", "")]
    assert _inspect(fname) == []
    with NWBHDF5IO(str(fname), "r") as io:
        trials = io.read().trials.to_dataframe()
    assert list(trials["cue"]) == ["left", "iti", "right", "iti", "left"]
    assert list(trials["trial_number"]) == [1, 0, 2, 0, 3]
    assert list(trials["decoded"]) == ["left", "", "left", "", ""]
    assert list(trials["correct"]) == ["yes", "", "no", "", ""]
    assert list(trials["gate_decision"]) == ["passed", "", "held", "", ""]
    assert trials["latency_s"].iloc[[0, 2]].tolist() == [0.8, 1.1]
    assert trials["latency_s"].iloc[[1, 3, 4]].isna().all()
    # the files of sessions without stored runs keep the cues alone
    [plain] = [p for p in out.glob("*.nwb") if made["eeg-64"].id.replace("-", "") in p.name.replace("-", "")]
    with NWBHDF5IO(str(plain), "r") as io:
        assert list(io.read().trials.colnames) == ["start_time", "stop_time", "cue"]
