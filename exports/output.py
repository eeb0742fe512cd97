"""Handing an export over: the file written whole or not at all, and one audit event with its SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from exports.errors import OutputNotWritable
from store import audit
from store.db import transaction


@dataclass(frozen=True)
class Produced:
    """An export as handed over: its file name, content hash and size, and the audit event recording it."""

    file_name: str
    sha256: str
    size: int
    event_seq: int

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file_name, "sha256": self.sha256, "bytes": self.size, "audit_event": self.event_seq}


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it, so a reader never sees half a workbook."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record_export(con: duckdb.DuckDBPyConnection, *, user: str, role: str, action: str, obj: str, file_name: str,
                  data: bytes, details: dict[str, object], out_path: Path | None = None) -> Produced:
    """Append the export's audit event and, given a path, write the file: both happen, or neither does."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        with transaction(con):
            seq = audit.append_event(con, user=user, role=role, action=action, obj=obj,
                                     details={"file": file_name, "sha256": digest, "bytes": len(data), **details})
            if out_path is not None:
                _write_atomically(out_path, data)
    except OSError as exc:
        raise OutputNotWritable(str(out_path), exc.strerror or str(exc)) from None
    return Produced(file_name, digest, len(data), seq)
