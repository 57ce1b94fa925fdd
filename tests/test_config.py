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
