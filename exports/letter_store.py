"""Letters as sent: each one's bytes and SHA-256 in the `letters` table, and its audit event (issue 15 item 5).

The letter, its row and its audit event are written in one transaction, and the file (when a path is given) is
swapped into place inside it: all of them, or none. A copy produced later in a dispute is matched by its hash to
the event and to the stored bytes. A processor user lists and reads only its own processor's letters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from exports.errors import OutputNotWritable
from exports.output import NEW_FILE_MODE
from ingest.load import now_utc
from store import audit
from store.db import rows, transaction
from store.files import replace_atomically
from store.identity import User
from store.scope import OutOfScope, require_processor, sql_filter


@dataclass(frozen=True)
class SentLetter:
    """A letter as stored: its id, file name, hash, size and the audit event that records it."""

    letter_id: str
    file_name: str
    sha256: str
    size: int
    event_seq: int
    language: str
    kind: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file_name, "sha256": self.sha256, "bytes": self.size, "audit_event": self.event_seq,
                "letter_id": self.letter_id, "language": self.language, "kind": self.kind}


def next_letter_id(con: duckdb.DuckDBPyConnection, today: date) -> str:
    """The next letter id of the year, L-2026-0001 style (our reference on the letter)."""
    prefix = f"L-{today.year}-"
    [(last,)] = con.execute("SELECT max(CAST(substr(letter_id, length($p) + 1) AS INTEGER)) FROM letters "
                            "WHERE starts_with(letter_id, $p)", {"p": prefix}).fetchall()
    return f"{prefix}{(last or 0) + 1:04d}"


def store_letter(con: duckdb.DuckDBPyConnection, *, user: User, role: str, action: str, letter_id: str,
                 processor: str, kind: str, finding_ids: list[str], language: str, fmt: str, file_name: str,
                 data: bytes, out_path: Path | None,
                 extra: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None) -> SentLetter:
    """Store the letter and its audit event (and write the file), all or nothing; `extra(con)` runs inside too."""
    digest = hashlib.sha256(data).hexdigest()
    written = (replace_atomically(out_path, data, new_file_mode=NEW_FILE_MODE) if out_path is not None
               else nullcontext())
    try:
        with transaction(con), written:
            con.execute("INSERT INTO letters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [letter_id, processor, kind, finding_ids, language, fmt, digest, data, now_utc(),
                         user.name])
            seq = audit.append_event(con, user=user.name, role=role, action=action, obj=f"processor:{processor}",
                                     details={"file": file_name, "sha256": digest, "bytes": len(data),
                                              "processor": processor, "format": fmt, "findings": finding_ids,
                                              "letter_id": letter_id, "kind": kind, "language": language})
            if extra is not None:
                extra(con, digest)
    except OSError as exc:
        raise OutputNotWritable(str(out_path), exc.strerror or str(exc)) from None
    return SentLetter(letter_id, file_name, digest, len(data), seq, language, kind)


def list_letters(con: duckdb.DuckDBPyConnection, user: User, processor: str | None = None) -> list[dict[str, object]]:
    """The letters sent (newest first), without their bytes; a processor user gets only its own processor's."""
    if processor is not None:
        require_processor(user, processor, "processor")
    where, params = sql_filter(user)
    return rows(con, f"""SELECT letter_id, processor, kind, finding_ids, language, format, sha256,
                                octet_length(bytes) AS size, created_at, created_by
                         FROM letters WHERE {where} AND ($processor IS NULL OR processor = $processor)
                         ORDER BY created_at DESC, letter_id DESC""", {**params, "processor": processor})


def letter_content(con: duckdb.DuckDBPyConnection, user: User, letter_id: str) -> tuple[dict[str, object], bytes]:
    """One letter's row and bytes; another processor's letter is answered as not found."""
    found = rows(con, "SELECT letter_id, processor, kind, language, format, sha256, bytes FROM letters "
                      "WHERE letter_id = ?", [letter_id])
    if not found:
        raise OutOfScope("letter")
    row = found[0]
    require_processor(user, str(row["processor"]), "letter")
    return {k: v for k, v in row.items() if k != "bytes"}, bytes(row["bytes"])


def earlier_letters(con: duckdb.DuckDBPyConnection, finding_id: str) -> list[tuple[date, str]]:
    """The letters that included a finding, oldest first: (day sent, letter id)."""
    return [(r["created_at"].date(), str(r["letter_id"])) for r in rows(
        con, "SELECT letter_id, created_at FROM letters WHERE list_contains(finding_ids, ?) "
             "ORDER BY created_at, letter_id", [finding_id])]
