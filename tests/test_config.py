from pathlib import Path

import pytest

from workbench.config import SUBDIRS, get_workspace


def test_workspace_resolution_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    assert get_workspace(create=False).root == tmp_path / "workspace"
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "from-env"))
    assert get_workspace(create=False).root == tmp_path / "from-env"
    explicit = get_workspace(tmp_path / "explicit")
    assert explicit.root == tmp_path / "explicit"
    assert sorted(p.name for p in explicit.root.iterdir()) == sorted(SUBDIRS)


def test_db_url_defaults_to_sqlite_in_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    ws = get_workspace(tmp_path / "ws")
    assert ws.db_url == f"sqlite:///{tmp_path / 'ws' / 'workbench.sqlite'}"
    monkeypatch.setenv("WORKBENCH_DB_URL", "postgresql+psycopg://u:p@127.0.0.1:5/db")
    assert ws.db_url.startswith("postgresql+psycopg://")


def test_every_folder_of_a_checkout_shares_its_workspace(tmp_path, monkeypatch):
    from workbench.config import find_checkout

    from .conftest import REPO

    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    # make lab and Voila run kernels in notebooks/; make demo runs at the top: one workspace.
    for folder in (REPO, REPO / "notebooks", REPO / "workbench" / "ui"):
        monkeypatch.chdir(folder)
        assert get_workspace(create=False).root == REPO / "workspace"
    assert find_checkout(REPO / "notebooks") == REPO
    # A fake checkout elsewhere: its own workspace, found from a sub-folder.
    (tmp_path / "other" / "workbench").mkdir(parents=True)
    (tmp_path / "other" / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "other" / "workbench" / "config.py").write_text("")
    (tmp_path / "other" / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "other" / "notebooks")
    assert get_workspace(create=False).root == tmp_path / "other" / "workspace"
    # WORKBENCH_HOME still wins over the checkout.
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    assert get_workspace(create=False).root == tmp_path / "home"


def test_the_workspace_folders_it_makes_are_the_owners_only_whatever_the_umask(tmp_path):
    import os

    from workbench.config import SUBDIRS, get_workspace

    old = os.umask(0o022)  # the usual default: 0755 folders
    try:
        ws = get_workspace(tmp_path / "ws")
    finally:
        os.umask(old)
    assert {(ws.root / sub).stat().st_mode & 0o777 for sub in SUBDIRS} == {0o700}
    assert ws.root.stat().st_mode & 0o777 == 0o700


def test_the_shared_recordings_are_found_from_the_package_not_the_current_folder(tmp_path, monkeypatch):
    from workbench.config import SHARED_DATA_ENV, shared_data_dir
    from workbench.errors import ValidationError

    monkeypatch.delenv(SHARED_DATA_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # a notebook copied elsewhere, a kernel started in another folder
    beside = Path(__file__).resolve().parents[2] / "shared" / "data"
    assert shared_data_dir(must_exist=False) == beside

    monkeypatch.setenv(SHARED_DATA_ENV, str(tmp_path / "recordings"))
    with pytest.raises(ValidationError) as err:
        shared_data_dir()
    assert SHARED_DATA_ENV in str(err.value) and str(tmp_path / "recordings") in str(err.value)
    (tmp_path / "recordings").mkdir()
    assert shared_data_dir() == tmp_path / "recordings"
