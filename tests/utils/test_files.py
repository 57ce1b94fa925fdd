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


def test_atomic_write_gives_the_permissions_open_would(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "report.html") as fh:
            fh.write("x")
        with open(tmp_path / "plain.html", "w") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(tmp_path / "report.html").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "plain.html").st_mode) == 0o640


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
