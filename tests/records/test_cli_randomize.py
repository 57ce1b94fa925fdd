"""``workbench randomize``: sequences, randomization by the allocator only, allocations listed without the arm for
the blinded; refusals exit 2, name what is wrong and write nothing."""

from __future__ import annotations

import json

import pytest

from tests.records import factories as f
from workbench.cli import main
from workbench.records import UserAccount, Allocation, AllocationSequence, Participant, Site
from workbench.records.demo import DEMO_USERS, open_demo_store
from workbench.records.types.randomization import PENDING_ARM, enrol


@pytest.fixture
def enrolled(workspace, monkeypatch):
    """The demo accounts, and a second study with three enrolled participants: two with consent, one without."""
    store = open_demo_store(workspace.root)
    try:
        store.add(f.study(), Site(id="BE", study_id="BCI-SCI-01", name="Spinal cord unit B", country="CH"))
        for pid in ("SCI-901", "SCI-902"):
            enrol(store, f.participant(pid, site_id="BE"), f.consent(pid))
        enrol(store, f.participant("SCI-903", site_id="BE"))  # no consent
        store.add_account(UserAccount(id="be.assessor", role="assessor", site_id="BE"), "be-assessor-password-1")
    finally:
        store.close()
    passwords = json.loads((workspace.root / "keys" / "demo-accounts.json").read_text())
    passwords["be.assessor"] = "be-assessor-password-1"
    users = {**DEMO_USERS, "assessor": "be.assessor"}  # the assessor of the site the participants are at
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)

    def as_role(role):
        monkeypatch.setenv("WORKBENCH_USER", users[role])
        monkeypatch.setenv("WORKBENCH_PASSWORD", passwords[users[role]])
    return workspace, as_role


def _records(workspace):
    store = open_demo_store(workspace.root, role="allocator")
    try:
        arms = {p.id: p.arm for p in store.find(Participant, study_id="BCI-SCI-01")}
        # This study's allocations only: the demo study in the same workspace is randomized too.
        return (store.find(AllocationSequence, study_id="BCI-SCI-01"),
                [a for a in store.find(Allocation) if a.participant_id in arms], arms)
    finally:
        store.close()


def test_generate_randomize_and_list(enrolled, tmp_path, capsys):
    workspace, as_role = enrolled
    seed_file = tmp_path / "seed.txt"
    as_role("allocator")
    assert main(["randomize", "generate", "--study", "BCI-SCI-01", "--n-per-stratum", "8",
                 "--seed-file", str(seed_file)]) == 0
    assert seed_file.stat().st_mode & 0o077 == 0 and seed_file.read_text().strip().isdigit()
    sequences, allocations, arms = _records(workspace)
    assert len(sequences) == 5 and allocations == []  # one per AIS grade at the one site
    assert main(["randomize", "participant", "SCI-901", "--seed-file", str(seed_file)]) == 0
    out = capsys.readouterr().out
    _, [allocation], arms = _records(workspace)
    assert allocation.participant_id == "SCI-901" and arms["SCI-901"] == allocation.arm != PENDING_ARM
    assert f"arm {allocation.arm}" in out and allocation.randomized_by == DEMO_USERS["allocator"]

    as_role("monitor")
    assert main(["randomize", "list"]) == 0
    assert "SCI-901" in [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    as_role("assessor")
    assert main(["randomize", "list"]) == 0
    listing = capsys.readouterr().out
    assert "SCI-901" in listing and "concealed" in listing
    assert "BCI" not in listing.replace("BCI-SCI-01", "") and "control" not in listing


@pytest.mark.parametrize("role, pid, twice, says", [
    ("allocator", "SCI-903", False, "consent"),          # enrolled without consent in force
    ("investigator", "SCI-901", False, "may not randomize"),  # not the allocation role
    ("allocator", "SCI-902", True, "not yet randomized"),  # a second randomization
])
def test_refusals_exit_2_name_what_is_wrong_and_write_nothing(enrolled, tmp_path, capsys, role, pid, twice, says):
    workspace, as_role = enrolled
    seed_file = tmp_path / "seed.txt"
    as_role("allocator")
    assert main(["randomize", "generate", "--study", "BCI-SCI-01", "--seed-file", str(seed_file)]) == 0
    if twice:
        assert main(["randomize", "participant", pid, "--seed-file", str(seed_file)]) == 0
    before = _records(workspace)[1:]
    capsys.readouterr()
    as_role(role)
    assert main(["randomize", "participant", pid, "--seed-file", str(seed_file)]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err, err
    assert _records(workspace)[1:] == before


def test_a_second_generation_is_refused_and_keeps_no_new_seed(enrolled, tmp_path, capsys):
    workspace, as_role = enrolled
    as_role("allocator")
    assert main(["randomize", "generate", "--study", "BCI-SCI-01", "--seed-file", str(tmp_path / "a")]) == 0
    assert main(["randomize", "participant", "SCI-901", "--seed-file", str(tmp_path / "a")]) == 0
    assert main(["randomize", "generate", "--study", "BCI-SCI-01", "--seed-file", str(tmp_path / "b")]) == 2
    assert "nobody is allocated" in capsys.readouterr().err and not (tmp_path / "b").exists()


def test_a_fixed_seed_gives_the_sequence_it_names_and_the_flow_counts_it(enrolled, tmp_path, capsys):
    """``generate --seed`` (demonstrations only) is reproducible: the arm drawn is the generator's for that seed,
    and the study's CONSORT flow counts the allocation from the record."""
    from workbench.records.types.randomization import permuted_blocks
    from workbench.report import load_trial
    from workbench.report import summaries as S

    workspace, as_role = enrolled
    seed_file = tmp_path / "seed.txt"
    as_role("allocator")
    assert main(["randomize", "generate", "--study", "BCI-SCI-01", "--seed", "19", "--n-per-stratum", "4",
                 "--seed-file", str(seed_file)]) == 0
    assert seed_file.read_text().strip() == "19"
    assert main(["randomize", "participant", "SCI-901", "--seed-file", str(seed_file)]) == 0
    _, [allocation], arms = _records(workspace)
    grade = f.participant("SCI-901").baseline_ais
    assert allocation.arm == permuted_blocks(19, ("BE", grade), 1, ("BCI", "control"))[0][2] == arms["SCI-901"]
    store = open_demo_store(workspace.root, role="monitor")
    try:
        flow = S.consort_flow(load_trial(store, "BCI-SCI-01")).set_index("arm")
    finally:
        store.close()
    assert flow.loc[allocation.arm, "allocated"] == 1 and flow.loc["total", "allocated"] == 1


def test_a_bad_fixed_seed_is_refused_before_anything_is_written(enrolled, tmp_path, capsys):
    workspace, as_role = enrolled
    as_role("allocator")
    assert main(["randomize", "generate", "--study", "BCI-SCI-01", "--seed", "-1",
                 "--seed-file", str(tmp_path / "s")]) == 2
    assert "--seed" in capsys.readouterr().err
    assert _records(workspace)[0] == [] and not (tmp_path / "s").exists()


def test_help_says_a_real_trial_leaves_the_seed_to_the_secure_generator(capsys):
    with pytest.raises(SystemExit):
        main(["randomize", "generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "a real trial leaves it out" in text and "secure generator" in text
