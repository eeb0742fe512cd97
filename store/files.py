"""Replacing a file whole or not at all: the new bytes go to a temporary file beside it, then os.replace swaps it in.

A reader of the target sees the old file or the new one, never half of either (os.replace is an atomic rename on
POSIX and Windows when both names are on one file system, hence "beside it"). The callers pair the swap with an audit
event: the swap happens when the ``with`` block ends without an exception, so entered inside
``store.db.transaction`` the event and the file go together — an event that fails leaves the file untouched, a swap
that fails rolls the event back.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replace_atomically(path: Path, data: bytes, *, new_file_mode: int) -> Iterator[None]:
    """Write `data` beside `path`; when the block ends without an exception, swap it in for `path`.

    An existing target keeps its permission bits; a new one gets `new_file_mode` (the temporary file gets that mode
    before a byte is written, so the contents are never readable by more people than the target allows). The folder must
    exist. Whatever fails — writing, the block, the swap — the temporary file is removed and the target is untouched.
    """
    mode = path.stat().st_mode & 0o777 if path.exists() else new_file_mode  # not setuid/setgid/sticky
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            os.chmod(temp, mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())  # the bytes are on disk before the name points at them
        yield
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def file_digest(path: Path) -> tuple[str, int]:
    """Return the file's SHA-256 (hex) and its size in bytes, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
