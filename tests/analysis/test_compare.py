"""Decoders compared on one recorded block: results written as re-analyses and read back from the records."""

import shutil

import pytest

from workbench.analysis import AnalysisSpec, analyse_unit
from workbench.analysis.compare import block_unit, compare_decoders, decoder_comparison, describe
from workbench.errors import ValidationError
from workbench.records import Reanalysis, Session
from workbench.session.results import ONLINE_SETTLE_S
from workbench.utils.files import sha256_file

from .conftest import open_store


def _first_session(store):
    return sorted(store.find(Session), key=lambda s: s.id)[0]


@pytest.mark.slow
def test_each_decoder_is_stored_once_and_read_back_as_computed(study, tmp_path):
    ws, _, spec = study
    v1 = ws / "decoders" / "demo_attempt_eeg-64.npz"
    v2 = tmp_path / "second.npz"
    shutil.copyfile(v1, v2)  # the same decoder under another name: its own result, the same numbers
    with open_store(ws) as store:
        session = _first_session(store)
        path = session.recording_files[0].path
        block = compare_decoders(store, session.id, path, [v1, v2], ws)
        n_rows = len(store.find(Reanalysis))
        again = compare_decoders(store, session.id, path, [v1, v2], ws)  # stored already: nothing computed
        assert len(store.find(Reanalysis)) == n_rows
        assert again == block and [block] == [b for b in decoder_comparison(store, session.id) if b.recording == path]
        # scored as the closed loop scores its trials (ONLINE_SETTLE_S after each cue)
        expected = analyse_unit(block_unit(store, session.id, path, ws),
                                AnalysisSpec.from_files(v1, settle_s=ONLINE_SETTLE_S))
    assert [s.decoder for s in block.scores] == ["demo_attempt_eeg-64.npz", "second.npz"]
    assert {s.decoder_sha256 for s in block.scores} == {sha256_file(v1)}
    for s in block.scores:
        assert s.error is None and s.n_trials == expected.n_trials > 0
        assert s.accuracy == pytest.approx(expected.accuracy) and s.kappa == pytest.approx(expected.kappa)
    assert block.score("second.npz") is block.scores[1] and block.score("absent.npz") is None
    assert describe([block]).splitlines() == [
        f"{path}: {name} trial accuracy {expected.accuracy:.2f} over {expected.n_trials} trials"
        for name in ("demo_attempt_eeg-64.npz", "second.npz")]


def test_a_missing_decoder_or_a_recording_the_session_does_not_hold_is_refused_before_anything_runs(study):
    ws, _, _ = study
    with open_store(ws) as store:
        session = _first_session(store)
        n_rows = len(store.find(Reanalysis))
        with pytest.raises(ValidationError, match=r"decoders\[1\].*nowhere\.npz"):
            compare_decoders(store, session.id, session.recording_files[0].path,
                             [ws / "decoders" / "demo_attempt_eeg-64.npz", ws / "nowhere.npz"], ws)
        with pytest.raises(ValidationError, match="recording.*elsewhere.xdf.*one of the session's recordings"):
            compare_decoders(store, session.id, "recordings/elsewhere.xdf",
                             [ws / "decoders" / "demo_attempt_eeg-64.npz"], ws)
        assert len(store.find(Reanalysis)) == n_rows
