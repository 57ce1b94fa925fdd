"""Read a recording where it lies (local path or any fsspec URL), never writing to it.

Local files are read in place. A remote file is copied to a private temporary
folder first (MNE's readers need a local file), together with the companion
files BrainVision keeps beside its header; the copy is what gets hashed, so
the SHA-256 is of the bytes actually analysed.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import RecordingFileError

#: BrainVision keeps its data and markers beside the header, with the same stem.
_COMPANIONS = {".vhdr": (".eeg", ".vmrk")}


def _hash_file(fname: Path) -> str:
    h = hashlib.sha256()
    with open(fname, "rb") as fh:  # read-only: the recording is never opened for writing
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextmanager
def local_copy(source: str) -> Iterator[tuple[Path, str]]:
    """``(local path, sha256)`` of ``source`` for the duration of the block."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(source)
    except (ValueError, ImportError) as err:
        raise RecordingFileError(f"{source}: cannot open ({err})") from None
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if "file" in protocols or "local" in protocols:
        fname = Path(path)
        if not fname.is_file():
            raise RecordingFileError(f"{source}: no such file")
        yield fname, _hash_file(fname)
        return
    if not fs.exists(path):
        raise RecordingFileError(f"{source}: no such file")
    tmp = Path(tempfile.mkdtemp(prefix="wb-unit-"))
    try:
        name = path.rsplit("/", 1)[-1]
        fs.get_file(path, str(tmp / name))
        stem, dot, ext = name.rpartition(".")
        for companion in _COMPANIONS.get(f".{ext.lower()}", ()):
            other = path[: -len(ext) - 1] + companion
            if fs.exists(other):
                fs.get_file(other, str(tmp / (stem + companion)))
        yield tmp / name, _hash_file(tmp / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
