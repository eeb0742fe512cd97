"""Seed commitments: the SHA-256 of a seed, stored before the report arrives (docs/sampling.md, Draw).

Commitment = SHA-256 of the seed's UTF-8 bytes (after draw.normalize_seed, so 12345 and "12345" commit alike),
as 64 lowercase hex digits. Only the commitment is stored; the auditor keeps the seed until the draw. A later draw
with that seed is marked as matching the commitment, and says whether the commitment predates the report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from spotchecks.draw import new_seed, normalize_seed
from spotchecks.queries import fetch
from store import audit
from store.db import transaction
from store.identity import User, require

SHORT_SEED = 16  # characters; a shorter seed could be found from its commitment by trying candidates


def commitment_of(seed: object) -> str:
    """The commitment of a seed (module docstring has the exact bytes)."""
    return hashlib.sha256(normalize_seed(seed).encode()).hexdigest()


@dataclass(frozen=True)
class Commitment:
    """A stored commitment; `seed` is returned to the auditor once and never stored."""

    seed: str
    commitment: str
    committed_at: datetime
    committed_by: str
    seed_generated: bool
    already_committed: bool
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"commitment": self.commitment, "seed": self.seed, "committed_at": self.committed_at,
                "committed_by": self.committed_by, "seed_generated": self.seed_generated,
                "already_committed": self.already_committed, "notes": list(self.notes)}


@dataclass(frozen=True)
class CommitmentMatch:
    """A draw's seed matched a stored commitment."""

    commitment: str
    committed_at: datetime
    committed_by: str
    before_report: bool | None  # committed before the report was ingested (None: ingest time unknown)

    def describe(self) -> str:
        when = {True: "before the report was ingested", False: "after the report was ingested",
                None: ""}[self.before_report]
        return (f"The seed matches the commitment {self.commitment[:12]}… made by {self.committed_by} on "
                f"{self.committed_at:%Y-%m-%d %H:%M} UTC {when}".rstrip() + ".")

    def as_dict(self) -> dict[str, object]:
        return {"commitment": self.commitment, "committed_at": self.committed_at,
                "committed_by": self.committed_by, "before_report": self.before_report}


def commit_seed(con: duckdb.DuckDBPyConnection, user: User, seed: object = None) -> Commitment:
    """Store the SHA-256 commitment of a seed (a new random one unless given) and return both."""
    role = require(user, "commit a seed")
    generated = seed in (None, "")
    text = new_seed() if generated else normalize_seed(seed)
    digest = commitment_of(text)
    notes = []
    if len(text) < SHORT_SEED:
        notes.append(f"This seed is short ({len(text)} characters): whoever sees the commitment could find it by "
                     "trying seeds. Keep the commitment private, or commit a generated seed.")
    with transaction(con):
        found = fetch(con, "SELECT committed_at, committed_by FROM seed_commitments WHERE commitment = ?", [digest])
        if found:
            return Commitment(text, digest, found[0]["committed_at"], str(found[0]["committed_by"]),  # type: ignore[arg-type]
                              generated, True, (*notes, "This seed was committed before; nothing new was stored."))
        at = datetime.now(UTC).replace(tzinfo=None)
        con.execute("INSERT INTO seed_commitments VALUES (?, ?, ?)", [digest, at, user.name])
        audit.append_event(con, user=user.name, role=role, action="seed.committed", obj=f"commitment:{digest}",
                           details={"commitment": digest})
    return Commitment(text, digest, at, user.name, generated, False, tuple(notes))


def match_commitment(con: duckdb.DuckDBPyConnection, seed: str, report_ingested_at: datetime | None
                     ) -> CommitmentMatch | None:
    """The stored commitment this seed matches, if any."""
    digest = commitment_of(seed)
    found = fetch(con, "SELECT committed_at, committed_by FROM seed_commitments WHERE commitment = ?", [digest])
    if not found:
        return None
    at: datetime = found[0]["committed_at"]  # type: ignore[assignment]
    before = None if report_ingested_at is None else at < report_ingested_at
    return CommitmentMatch(digest, at, str(found[0]["committed_by"]), before)
