"""Atomic file writes and checksums: nothing half-written ever appears."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


#: Clinical outputs (reports, exports, run manifests, decoders fitted on a participant's signals) are
#: readable by their owner only: on a shared workstation the file mode is the one boundary a SQLite
#: study has (issue 24). Share a file on purpose, e.g. by copying it into the trial master file.
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def make_private_dir(folder: str | os.PathLike) -> Path:
    """Create ``folder`` and any missing parents 0700 (folders that exist keep their mode)."""
    folder = Path(folder)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for p in reversed(missing):
        try:
            p.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by another process
            pass
        else:
            os.chmod(p, PRIVATE_DIR)  # mkdir's mode is masked by the umask; 0700 is wanted whatever it is
    return folder


@contextmanager
def atomic_write(fname: str | os.PathLike, mode: str = "w", *, perms: int | None = PRIVATE_FILE,
                 **kwargs) -> Iterator:
    """Open a temporary file beside ``fname``; rename it over ``fname`` on success.

    On any exception the temporary file is removed and ``fname`` is untouched.
    The data are fsync'ed before the rename so a power cut leaves either the
    old file or the new one. The file is ``perms`` (default 0600, owner only:
    clinical outputs); ``perms=None`` gives what ``open`` would (0666 less the
    umask) for a file meant to be shared. Missing folders are made 0700.
    """
    fname = Path(fname)
    make_private_dir(fname.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{fname.name}.", suffix=".tmp", dir=fname.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask() if perms is None else perms)
        os.replace(tmp, fname)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def make_private(folder: str | os.PathLike) -> None:
    """Every file under ``folder`` 0600 and every folder 0700 (symbolic links and what they point to untouched)."""
    folder = Path(folder)
    os.chmod(folder, PRIVATE_DIR)
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            if not p.is_symlink():
                os.chmod(p, PRIVATE_DIR if p.is_dir() else PRIVATE_FILE)


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; put it straight back
    os.umask(mask)
    return mask


def sha256_file(fname: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(fname, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


@contextmanager
def staged_folder(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; swap it in as ``out`` on success.

    ``out`` must not exist or be an empty folder. On any exception the
    temporary folder is removed and ``out`` is untouched, so a reader never
    sees a half-written export. What appears is private (files 0600, folders
    0700) whichever library wrote it: an export holds the study's data.
    """
    out = Path(out)
    make_private_dir(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
        make_private(tmp)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
