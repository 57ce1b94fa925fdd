"""reanalyze: a local cluster gives the serial results; reruns skip; failures and dead workers are contained."""

from __future__ import annotations

import dataclasses
import os
import signal

import pytest

from workbench.analysis import AnalysisSpec, WorkUnit, connect, local_client, reanalyze
from workbench.analysis.compute import UnitResult
from workbench.analysis.results import write_result
from workbench.errors import PermissionDeniedError, ValidationError
from workbench.records import Participant, Reanalysis, ReanalysisTrial
from workbench.records.demo import open_demo_store
from workbench.utils.files import sha256_file

from ..ports import free_port
from .conftest import comparable, open_store

pytestmark = pytest.mark.slow


def _stored(store, version):
    return {r.unit_key: r for r in store.find(Reanalysis, result_version=version)}


def test_local_cluster_gives_exactly_the_serial_results(study):
    ws, units, spec = study
    assert len(units) >= 20
    before = {u.source: (sha256_file(u.source), os.stat(u.source).st_mtime_ns) for u in units}
    cluster_spec = dataclasses.replace(spec, result_version=2)
    with open_store(ws) as store:
        serial = reanalyze(store, units, spec, scheduler="serial")
        cluster = reanalyze(store, units, cluster_spec, workers=2)
        assert serial.done == cluster.done == len(units) and serial.failed == cluster.failed == 0
        by_unit = {r.unit.identity: comparable(r) for r in serial.results}
        assert {r.unit.identity: comparable(r) for r in cluster.results} == by_unit
        # What the decoder did is in every result: trials decided, accuracy above chance on simulated ERD.
        assert all(r.n_trials >= 2 and r.accuracy is not None for r in serial.results)
        assert sum(r.accuracy for r in serial.results) / len(units) > 0.6
        # Stored records agree too, apart from what names the run.
        drop = {"id", "unit_key", "result_version", "parameters", "finished_at", "version"}
        rows = lambda v: sorted((({k: x for k, x in r.to_plain().items() if k not in drop})  # noqa: E731
                                 for r in store.find(Reanalysis, result_version=v)), key=lambda d: d["source"])
        assert rows(1) == rows(2)
        one = store.find(Reanalysis, result_version=1)[0]
        assert one.recording_sha256 and one.decoder_sha256 == spec.decoder_sha256
        assert one.parameters["decoder_sha256"] == spec.decoder_sha256 and one.software_version
        assert len(store.find(ReanalysisTrial, reanalysis_id=one.id)) == one.n_trials
    # Recordings are read only, never rewritten.
    assert {u.source: (sha256_file(u.source), os.stat(u.source).st_mtime_ns) for u in units} == before


def test_rerun_skips_finished_units_and_writes_nothing(study):
    ws, units, spec = study
    spec = dataclasses.replace(spec, result_version=3)
    with open_store(ws) as store:
        first = reanalyze(store, units[:5], spec, scheduler="serial")
        n_audit = len(store.audit_trail())
        again = reanalyze(store, units, spec, scheduler="serial")
        assert first.done == 5
        assert again.skipped == 5 and again.done == len(units) - 5
        third = reanalyze(store, units, spec, scheduler="serial")
        assert third.skipped == len(units) and third.results == []
        assert len(store.audit_trail()) > n_audit
        assert len(_stored(store, 3)) == len(units)


def test_bad_units_fail_with_their_reason_and_the_rest_go_on(study, tmp_path):
    ws, units, spec = study
    corrupt = tmp_path / "corrupt_eeg.fif"
    corrupt.write_bytes(b"not a FIF file at all" * 100)
    from workbench.datasets import SyntheticSource, generate_raw

    ecog = tmp_path / "ecog_eeg.fif"
    generate_raw(SyntheticSource(montage="ecog-8", seed=5), 12.0).save(ecog, verbose="error")
    changed = dataclasses.replace(units[0], expected_sha256="0" * 64)
    bad = [
        WorkUnit(identity="test:missing", source=str(tmp_path / "gone_eeg.fif"), label="missing"),
        WorkUnit(identity="test:corrupt", source=str(corrupt), label="corrupt"),
        WorkUnit(identity="test:ecog", source=str(ecog), label="ecog"),
        dataclasses.replace(changed, identity="test:changed"),
    ]
    spec = dataclasses.replace(spec, result_version=4)
    with open_store(ws) as store:
        report = reanalyze(store, bad + units[:2], spec, scheduler="serial")
        assert report.failed == 4 and report.done == 2
        errors = {r.unit.identity: r.error for r in report.results if r.status == "failed"}
        assert "no such file" in errors["test:missing"]
        assert "corrupt_eeg.fif" in errors["test:corrupt"]
        # The decoder's channels that the ECoG recording lacks are listed, per unit.
        assert "ch_names (missing)" in errors["test:ecog"] and "C3" in errors["test:ecog"]
        assert "changed after it was recorded" in errors["test:changed"]
        stored = {r.source: r for r in store.find(Reanalysis, result_version=4)}
        assert stored["test:missing"].status == "failed" and "no such file" in stored["test:missing"].error
        # A failed unit runs again on the next run; a finished one does not.
        again = reanalyze(store, bad + units[:2], spec, scheduler="serial")
        assert again.skipped == 2 and again.failed == 4 and again.done == 0


def test_a_worker_killed_mid_run_has_its_units_retried_and_each_written_once(study):
    ws, units, spec = study
    spec = dataclasses.replace(spec, result_version=5)
    client = local_client(2, dashboard=False)
    killed = []

    def kill_a_busy_worker(result):
        if killed:
            return
        pids = client.run(os.getpid)
        busy = [addr for addr, keys in client.processing().items() if keys]
        if busy:  # SIGKILL: no clean-up, as when the OOM killer or a node failure takes a worker
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(busy[0])

    try:
        with open_store(ws) as store:
            report = reanalyze(store, units, spec, client=client, on_result=kill_a_busy_worker)
            stored = _stored(store, 5)
            trail = store.audit_trail()
    finally:
        client.close()
        client.cluster.close()
    assert killed, "no worker was busy after the first result"
    assert report.done == len(units) and report.failed == 0
    assert len(stored) == len(units) and all(r.status == "done" for r in stored.values())
    assert_written_once(trail, stored)


def assert_written_once(trail, stored) -> None:
    """Every unit written once: the trail holds one creation of each record (per field or per row)."""
    created = trail[(trail["entity"] == "reanalyses") & (trail["action"] == "create")]
    assert set(created["entity_id"]) >= {r.id for r in stored.values()}
    assert created.groupby(["entity_id", "field"], dropna=False).size().max() == 1


def test_a_scheduler_that_does_not_answer_is_a_clear_error():
    port = free_port()  # nothing listens there
    with pytest.raises(ValidationError) as err:
        connect(f"tcp://127.0.0.1:{port}", timeout=2)
    assert err.value.fields == ("--scheduler",) and f"127.0.0.1:{port}" in str(err.value)
    with pytest.raises(ValidationError, match="tcp://host:8786"):
        connect("localhost:8786")


def test_bad_arguments_are_listed_together(study):
    ws, units, spec = study
    with open_store(ws) as store:
        with pytest.raises(ValidationError) as err:
            reanalyze(store, ["not a unit"], "not a spec", progress="fancy")
    assert set(err.value.fields) == {"progress", "spec", "units[0]"}
    with pytest.raises(ValidationError) as err:
        AnalysisSpec(settle_s=-1, result_version=0)
    assert set(err.value.fields) == {"settle_s", "result_version"}


def test_a_run_from_elsewhere_keeps_its_results_without_a_link_the_study_lacks(study):
    ws, units, spec = study
    spec = dataclasses.replace(spec, result_version=6)
    foreign = dataclasses.replace(units[0], identity="bids:other-study/run-1", session_id="other-study-session",
                                  participant_id="XYZ-9", expected_sha256=None)
    with open_store(ws) as store:
        report = reanalyze(store, [foreign], spec, scheduler="serial")
        (stored,) = store.find(Reanalysis, result_version=6)
    assert report.done == 1 and stored.session_id is None and stored.participant_id is None


def test_a_site_account_writes_results_only_on_its_own_sessions(study):
    ws, units, spec = study
    spec = dataclasses.replace(spec, decoder=None, decoder_name=None, result_version=8)  # ERD only: cheap
    with open_store(ws) as lead:
        site_of = {p.id: p.site_id for p in lead.find(Participant)}
    zh = [u for u in units if site_of[u.participant_id] == "ZH"][:2]
    hd = [u for u in units if site_of[u.participant_id] == "HD"][:1]
    with open_demo_store(ws, role="engineer") as store:  # demo.engineer works at site ZH
        assert reanalyze(store, zh, spec, scheduler="serial").done == 2
        # A unit of another site's session is refused before anything runs, naming the site.
        with pytest.raises(ValidationError) as err:
            reanalyze(store, hd + zh, spec, scheduler="serial")
        assert "site 'ZH'" in str(err.value) and hd[0].label in str(err.value)
        # The store itself refuses a result on that session, whoever writes it.
        with pytest.raises(PermissionDeniedError, match="belongs to site 'HD'"):
            write_result(store, UnitResult(hd[0], spec.unit_key(hd[0].identity), "failed", error="x"), spec)
    with open_store(ws) as lead:
        stored = lead.find(Reanalysis, result_version=8)
    assert sorted(r.session_id for r in stored) == sorted(u.session_id for u in zh)
