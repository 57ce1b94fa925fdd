import hashlib
import os
import stat

import pytest

from workbench.utils.files import atomic_write, sha256_file


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_write(target) as fh:
        fh.write("first")
    with atomic_write(target) as fh:
        fh.write("second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_atomic_write_is_private_unless_asked_to_share(tmp_path):
    """Clinical outputs are 0600 and new folders 0700 whatever the umask; perms=None gives open()'s."""
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "new" / "deeper" / "report.html") as fh:
            fh.write("x")
        with atomic_write(tmp_path / "shared.txt", perms=None) as fh:
            fh.write("x")
        with open(tmp_path / "plain.txt", "w") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(tmp_path / "new" / "deeper" / "report.html") == 0o600
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "deeper") == 0o700
    assert mode(tmp_path / "shared.txt") == mode(tmp_path / "plain.txt") == 0o644


def test_staged_folder_makes_whatever_was_written_private(tmp_path):
    from workbench.utils.files import staged_folder

    outside = tmp_path / "recording.xdf"
    outside.write_text("raw")
    os.chmod(outside, 0o644)
    old = os.umask(0o022)
    try:
        with staged_folder(tmp_path / "exports" / "csv-1") as tmp:
            (tmp / "participants.csv").write_text("id\nSCI-001\n")
            (tmp / "sub-1").mkdir()
            (tmp / "sub-1" / "scans.tsv").write_text("x")
            (tmp / "sub-1" / "linked.xdf").symlink_to(outside)
    finally:
        os.umask(old)
    out = tmp_path / "exports" / "csv-1"
    modes = {str(p.relative_to(out)): stat.S_IMODE(os.lstat(p).st_mode) for p in out.rglob("*")
             if not p.is_symlink()}
    assert modes == {"participants.csv": 0o600, "sub-1": 0o700, "sub-1/scans.tsv": 0o600}
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(outside).st_mode) == 0o644  # what a link points to is not ours to change


def test_atomic_write_leaves_old_file_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("half-written")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"], "the temporary file is cleaned up"


def test_sha256_matches_hashlib(tmp_path):
    data = bytes(range(256)) * 10_000
    f = tmp_path / "blob.bin"
    f.write_bytes(data)
    assert sha256_file(f, chunk_size=4096) == hashlib.sha256(data).hexdigest()


def test_staged_folder_appears_whole_or_not_at_all(tmp_path):
    import pytest

    from workbench.utils.files import staged_folder

    out = tmp_path / "export"
    with pytest.raises(RuntimeError):
        with staged_folder(out) as tmp:
            (tmp / "half.csv").write_text("a,b\n")
            raise RuntimeError("writer failed")
    assert not out.exists() and list(tmp_path.iterdir()) == []  # nothing half-written, no temp left
    with staged_folder(out) as tmp:
        (tmp / "whole.csv").write_text("a,b\n")
    assert [p.name for p in out.iterdir()] == ["whole.csv"] and list(tmp_path.iterdir()) == [out]
