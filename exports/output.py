"""Handing an export over: the file written whole or not at all, and one audit event with its SHA-256."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import duckdb

from exports.errors import OutputNotWritable
from store import audit
from store.db import transaction
from store.files import replace_atomically

# Owner-only, as every export was when tempfile.mkstemp made it: a pack lists cases, samples and findings.
NEW_FILE_MODE = 0o600


@dataclass(frozen=True)
class Produced:
    """An export as handed over: its file name, content hash and size, and the audit event recording it."""

    file_name: str
    sha256: str
    size: int
    event_seq: int

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file_name, "sha256": self.sha256, "bytes": self.size, "audit_event": self.event_seq}


def record_export(con: duckdb.DuckDBPyConnection, *, user: str, role: str, action: str, obj: str, file_name: str,
                  data: bytes, details: dict[str, object], out_path: Path | None = None) -> Produced:
    """Append the export's audit event and, given a path, write the file: both happen, or neither does."""
    digest = hashlib.sha256(data).hexdigest()
    # Written whole or not at all, so a reader never sees half a workbook; the event and the file go together.
    written = (replace_atomically(out_path, data, new_file_mode=NEW_FILE_MODE) if out_path is not None
               else nullcontext())
    try:
        with transaction(con), written:
            seq = audit.append_event(con, user=user, role=role, action=action, obj=obj,
                                     details={"file": file_name, "sha256": digest, "bytes": len(data), **details})
    except OSError as exc:
        raise OutputNotWritable(str(out_path), exc.strerror or str(exc)) from None
    return Produced(file_name, digest, len(data), seq)
