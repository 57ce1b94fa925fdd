"""BrainFlow's own synthetic board -> bridge -> Stream -> LabRecorder XDF -> read_recording, nothing lost."""

from __future__ import annotations

import time

import numpy as np
import pytest

from workbench.acquisition import Stream, check_counter
from workbench.datasets.brainflow_bridge import (
    PACKAGE_MODULUS,
    BrainFlowBridge,
    available_boards,
    board_lanes,
    resolve_board,
)
from workbench.errors import ValidationError
from workbench.recording import Recorder, read_recording

from ..acquisition.outlets import wait_for

SYNTHETIC_EEG = ["Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "PO8", "F5", "F7", "F3", "F1", "F2", "F4", "F6", "F8"]


# ------------------------------------------------------------ description and bad input (no LSL)


def test_synthetic_board_becomes_exg_aux_marker_and_preset_streams_from_its_description():
    bridge = BrainFlowBridge("synthetic", name="bf")
    specs = {s.name: s for s in bridge.specs}
    assert bridge.stream_names == ["bf", "bf-aux", "bf-markers", "bf-auxiliary"]  # ExG stream first
    exg = specs["bf"]
    assert exg.type == "EEG" and exg.sfreq == 250 and exg.channel_format == "double64"
    assert list(exg.ch_names) == ["PACKAGE", *SYNTHETIC_EEG]
    assert exg.ch_types == ("misc",) + ("eeg",) * 16  # listed as EEG, EMG, ECG and EOG at once: EEG wins
    assert exg.units == ("count",) + ("microvolts",) * 16
    aux = specs["bf-aux"]
    assert aux.ch_names[:7] == ("PACKAGE", "ACCEL_X", "ACCEL_Y", "ACCEL_Z", "GYRO_X", "GYRO_Y", "GYRO_Z")
    assert {"ppg", "eda", "temperature", "resistance", "battery"} <= set(aux.ch_types)
    # no row twice, no time stamp or marker row among the channels
    assert len(set(aux.ch_names)) == len(aux.ch_names) == 14
    assert specs["bf-markers"].channel_format == "string" and specs["bf-markers"].sfreq == 0
    assert specs["bf-auxiliary"].ch_names[0] == "PACKAGE"
    assert len({s.source_id for s in bridge.specs}) == 4
    assert bridge.source_id == "brainflow-synthetic-local"


@pytest.mark.parametrize("board", available_boards())
def test_every_board_description_becomes_valid_streams(board):
    """Any BrainFlow board, not just the synthetic one: read from its descriptions, no hardware needed."""
    from brainflow.board_shim import BoardShim

    board_id = resolve_board(board)
    lanes = board_lanes(board_id, "bf", "sid")
    names = [lane.spec.name for lane in lanes]
    assert len(set(names)) == len(names) and len({lane.spec.source_id for lane in lanes}) == len(lanes)
    default = BoardShim.get_board_descr(board_id, 0) if 0 in BoardShim.get_board_presets(board_id) else {}
    exg = [r for key in ("eeg_channels", "emg_channels", "ecg_channels", "eog_channels") for r in default.get(key, [])]
    if exg:
        assert names[0] == "bf" and lanes[0].spec.units[1:] == ("microvolts",) * len(lanes[0].spec.units[1:])
    for lane in lanes:
        spec = lane.spec
        assert len(spec.ch_names) == len(lane.rows) == spec.n_channels
        assert len(set(spec.ch_names)) == spec.n_channels, f"duplicate channel names in {spec.name}"
        assert len(set(lane.rows)) == len(lane.rows), f"a board row twice in {spec.name}"
        if spec.channel_format != "string":
            assert spec.sfreq > 0 and lane.timestamp_row not in lane.rows
    # every ExG row of the default preset is published once, in the ExG stream
    if exg:
        assert sorted(lanes[0].rows[1:]) == sorted(set(exg))


def test_board_names_ids_and_enum_names_resolve_alike():
    assert resolve_board("synthetic") == resolve_board("SYNTHETIC_BOARD") == resolve_board(-1) == -1
    assert resolve_board("Cyton") == resolve_board(0) == 0
    assert {"synthetic", "cyton", "cyton_daisy", "unicorn", "muse_2", "ganglion"} <= set(available_boards())


def test_unknown_board_and_bad_options_list_every_problem_and_the_boards_available():
    with pytest.raises(ValidationError) as err:
        BrainFlowBridge("openbci-9000", name=" ", chunk_ms=0)
    assert err.value.fields == ("board", "name", "chunk_ms")
    assert "synthetic" in str(err.value) and "cyton" in str(err.value) and "unicorn" in str(err.value)


def test_a_port_that_does_not_answer_names_the_port_brainflows_reason_and_the_boards(tmp_path):
    port = str(tmp_path / "ttyUSB-nothing-here")
    bridge = BrainFlowBridge("cyton", serial_port=port, name="bf-noport")
    with pytest.raises(ValidationError) as err:
        bridge.start()
    text = str(err.value)
    assert port in text and "UNABLE_TO_OPEN_PORT" in text and "synthetic" in text
    assert not bridge.running and bridge.n_samples_sent == dict.fromkeys(bridge.stream_names, 0)


def test_a_board_that_needs_a_port_and_gets_none_says_so():
    with pytest.raises(ValidationError, match="no connection parameters"):
        BrainFlowBridge("cyton", name="bf-none").start()


# ------------------------------------------------------------ end to end on real LSL


def _wait_last_counter(reader, chunks, expected_last, timeout=10.0):
    def done():
        data, _ = reader.read()
        if len(data):
            chunks.append(data.copy())
        return bool(chunks) and chunks[-1][-1, 0] == expected_last

    assert wait_for(done, timeout=timeout), "the bridge's last sample never reached the Stream"


@pytest.mark.lsl
@pytest.mark.slow
def test_synthetic_board_bridge_stream_record_read_nothing_lost(tmp_path, unique_name):
    fname = tmp_path / "brainflow.xdf"
    chunks = []
    with BrainFlowBridge("synthetic", name=unique_name) as bridge:
        with Stream(unique_name, bufsize=60) as stream:
            assert stream.ch_names == ["PACKAGE", *SYNTHETIC_EEG]
            assert stream.units[1] == "microvolts"
            reader = stream.reader(from_start=True)
            names = [unique_name, bridge.marker_name, f"{unique_name}-aux"]
            rec = Recorder(names, tmp_path, fname=fname)
            rec.start(timeout=20)
            # Counted in samples, not seconds: on a loaded machine the board's thread runs late.
            n0 = stream.n_samples_received
            assert wait_for(lambda: stream.n_samples_received >= n0 + 250, timeout=30)
            bridge.insert_marker(7)
            assert wait_for(lambda: stream.n_samples_received >= n0 + 3 * 250, timeout=60)
            manifest = rec.stop()
            bridge.stop()  # pushes what the board still held, then closes the outlets
            n_sent = bridge.n_samples_sent[unique_name]
            _wait_last_counter(reader, chunks, (n_sent - 1) % PACKAGE_MODULUS)
    live = np.concatenate(chunks)
    # Live: every sample from the first the Stream got to the last the board made, none twice.
    check = check_counter(live[:, 0], modulus=PACKAGE_MODULUS)
    assert check.ok, str(check)
    assert check.n_samples == len(live) <= n_sent
    assert n_sent >= 250 * 3  # the board ran through the whole recording

    assert manifest.status == "complete"
    raw = read_recording(fname, stream=unique_name)
    assert raw.ch_names == ["PACKAGE", *SYNTHETIC_EEG]
    assert raw.get_channel_types()[:2] == ["misc", "eeg"]
    recorded = raw.get_data()
    file_check = check_counter(recorded[0], modulus=PACKAGE_MODULUS)
    # LabRecorder begins collecting a little after it says it started (0.5 s on a loaded CI machine):
    # the file must hold an unbroken run that reaches past the marker sent 1 s in, checked below.
    assert file_check.ok and file_check.n_samples == raw.n_times >= 250, str(file_check)
    # The file holds exactly the samples the Stream saw over the same stretch (µV on LSL, V in MNE).
    start = np.flatnonzero(np.isclose(live[:, 1], recorded[1, 0] * 1e6, rtol=0, atol=1e-9))
    assert len(start) == 1
    first = int(start[0])
    np.testing.assert_allclose(recorded[1:].T * 1e6, live[first : first + raw.n_times, 1:], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(recorded[0], live[first : first + raw.n_times, 0])
    # BrainFlow's marker row became a marker stream, placed on the sample that carried it.
    assert list(raw.annotations.description) == ["7"]
    aux = read_recording(fname, stream=f"{unique_name}-aux")
    assert aux.ch_names[1:4] == ["ACCEL_X", "ACCEL_Y", "ACCEL_Z"]
    assert check_counter(aux.get_data(picks=[0])[0], modulus=PACKAGE_MODULUS).ok


@pytest.mark.lsl
@pytest.mark.slow
def test_board_that_stops_sending_is_a_disconnection_then_a_reconnection_with_a_gap(unique_name):
    bridge = BrainFlowBridge("synthetic", name=unique_name).start()
    try:
        with Stream(unique_name, bufsize=30) as stream:
            assert wait_for(lambda: stream.n_samples_received > 100, timeout=10)
            bridge.stop()  # the board and its streams go away
            assert wait_for(lambda: any(e.kind == "disconnected" for e in stream.events), timeout=10)
            time.sleep(0.5)
            bridge = BrainFlowBridge("synthetic", name=unique_name).start()  # the same board back
            assert wait_for(lambda: any(e.kind == "gap" for e in stream.events), timeout=20)
            kinds = [e.kind for e in stream.events]
    finally:
        bridge.stop()
    assert kinds.index("disconnected") < kinds.index("reconnected") < kinds.index("gap")
    gap = next(e for e in stream.events if e.kind == "gap")
    assert gap.n_missing >= 250 * 0.5  # at least the half second the board was away


@pytest.mark.lsl
@pytest.mark.slow
def test_board_that_stops_sending_on_an_open_connection_is_a_stall_then_a_gap(unique_name):
    with BrainFlowBridge("synthetic", name=unique_name) as bridge:
        # dejitter off: the gap event's stamps then show the silence (see Stream)
        with Stream(unique_name, bufsize=30, dejitter=False, stall_timeout=0.5) as stream:
            assert wait_for(lambda: stream.n_samples_received > 100, timeout=10)
            bridge.board_shim.stop_stream()  # the board goes quiet; the outlets stay open
            assert wait_for(lambda: any(e.kind == "disconnected" for e in stream.events), timeout=10)
            time.sleep(0.5)
            bridge.board_shim.start_stream()
            assert wait_for(lambda: any(e.kind == "gap" for e in stream.events), timeout=10)
            assert stream.connected
            events = stream.events
    kinds = [e.kind for e in events]
    assert kinds.index("disconnected") < kinds.index("reconnected") < kinds.index("gap")
    assert "connection is kept open" in next(e for e in events if e.kind == "disconnected").detail
    gap = next(e for e in events if e.kind == "gap")
    assert gap.n_missing >= 250 * 1.0  # the 0.5 s stall timeout and the 0.5 s after it, at 250 Hz
    assert bridge.error is None
