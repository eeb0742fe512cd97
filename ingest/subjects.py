"""A data subject's rights in the tool itself: find what concerns one person, erase their case rows (GDPR Arts 15, 17).

The compliance officer types the person's customer reference; it is hashed with every live key of the ring
(store/keyring.py) and never stored, logged or put in an audit event. A reference whose pseudonyms were made with a
retired key cannot be found: that key is destroyed, and the tool says so.

Erasure removes the person's case rows in every submission (current and superseded), the exceptions raised on those
cases and the quarantined rows that hold their pseudonym, except where a legal hold keeps the processor's month
(Art. 17(3)(e)). Each submission and check run it changes gets a `subject.erased` event holding counts only, which
carries the object's new digest (store/digests.py), so `oversight audit verify` accounts for the change. The caller
then compacts the database file (store/compact.py) so the removed values do not linger in its free blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from store import audit, holds
from store.db import transaction
from store.identity import User, require
from store.keyring import live_keys, pseudonyms_of

FIND = "find a data subject"
ERASE = "erase a data subject"
_SEP = "\x1f"  # joins processor and case id into one key (a unit separator: in neither)


@dataclass
class SubjectRecords:
    """What concerns one data subject: their cases, the samples and findings naming those cases, their quarantined
    rows; and the keys the reference was hashed with (never the reference or its pseudonyms)."""

    cases: list[dict[str, object]] = field(default_factory=list)
    samples: list[dict[str, object]] = field(default_factory=list)
    findings: list[dict[str, object]] = field(default_factory=list)
    quarantined_rows: int = 0
    keys_used: list[str] = field(default_factory=list)
    retired_keys: list[str] = field(default_factory=list)  # pseudonyms made with these can no longer be found

    def as_dict(self) -> dict[str, object]:
        return {"cases": self.cases, "samples": self.samples, "findings": self.findings,
                "quarantined_rows": self.quarantined_rows, "keys_used": self.keys_used,
                "retired_keys": self.retired_keys}


@dataclass
class Erasure:
    """What an erasure did, in counts (what an audit event may hold)."""

    cases_removed: int = 0
    exceptions_removed: int = 0
    quarantined_removed: int = 0
    cases_held: int = 0
    submissions: list[int] = field(default_factory=list)
    check_runs: list[int] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # "processor period" kept by a legal hold
    files_removed: int = 0  # stored files (evidence, uploads waiting, attachments) holding the person's data
    pending_rejected: int = 0  # processor uploads waiting for confirmation that held the reference

    def as_dict(self) -> dict[str, object]:
        return {"cases_removed": self.cases_removed, "exceptions_removed": self.exceptions_removed,
                "quarantined_removed": self.quarantined_removed, "cases_held": self.cases_held,
                "submissions": self.submissions, "check_runs": self.check_runs, "held": self.held,
                "files_removed": self.files_removed, "pending_rejected": self.pending_rejected}


# --- legal holds ------------------------------------------------------------------------------------------------------
def held(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> bool:
    """Whether an active legal hold keeps the processor's month (a hold on the processor, the month, or a finding of
    that month): the one rule of store/holds.py, which the retention purge applies too (GDPR Art. 17(3)(e))."""
    return holds.held(con, processor, period)


# --- find -------------------------------------------------------------------------------------------------------------
def _pseudonyms(con: duckdb.DuckDBPyConnection, key_path: Path, reference: str) -> tuple[list[str], list[str]]:
    """The reference's pseudonym under every live key, plus those linked to them across a rotation; the key ids."""
    if not reference.strip():
        return [], []
    made = pseudonyms_of(reference, live_keys(key_path))
    found = set(made.values())
    if found:
        linked = con.execute("SELECT old_pseudonym, new_pseudonym FROM pseudonym_links "
                             "WHERE list_contains($p, old_pseudonym) OR list_contains($p, new_pseudonym)",
                             {"p": sorted(found)}).fetchall()
        found |= {p for pair in linked for p in pair}
    return sorted(found), sorted(made)


def _case_rows(con: duckdb.DuckDBPyConnection, pseudonyms: list[str]) -> list[dict[str, object]]:
    cur = con.execute(
        "SELECT p.name AS processor, s.period, s.submission_id, s.status, c.source_row, c.case_id, "
        "c.received_on, c.request_type, c.outcome "
        "FROM cases c JOIN submissions s USING (submission_id) JOIN processors p USING (processor_id) "
        "WHERE list_contains($p, c.data_subject_ref) ORDER BY p.name, s.period, s.submission_id, c.source_row",
        {"p": pseudonyms})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _quarantine_filter(pseudonyms: list[str]) -> str:
    """SQL true for a quarantined row whose raw values hold one of the pseudonyms (64 hex digits: safe in a pattern)."""
    return f"regexp_matches(CAST(q.raw AS VARCHAR), '{'|'.join(pseudonyms)}')" if pseudonyms else "false"


def _keys(cases: list[dict[str, object]]) -> list[str]:
    return sorted({f"{c['processor']}{_SEP}{c['case_id']}" for c in cases})


def find_subject(con: duckdb.DuckDBPyConnection, user: User, key_path: Path, reference: str) -> SubjectRecords:
    """List the cases, samples and findings concerning the person with this customer reference (GDPR Art. 15).

    The reference is hashed with each live key and forgotten; the search is audited as `subject.searched` with
    counts only (Art. 5(2): the answer to a request can be shown), never the reference or a pseudonym."""
    role = require(user, FIND)
    pseudonyms, keys_used = _pseudonyms(con, key_path, reference)
    retired = [r[0] for r in con.execute("SELECT key_id FROM pseudonym_keys WHERE status = 'retired' "
                                         "ORDER BY created_at").fetchall()]
    records = SubjectRecords(keys_used=keys_used, retired_keys=retired)
    if pseudonyms:
        _collect(con, pseudonyms, records)
    with transaction(con):
        audit.append_event(con, user=user.name, role=role, action="subject.searched", obj="data_subject",
                           details={"cases": len(records.cases), "samples": len(records.samples),
                                    "findings": len(records.findings), "quarantined_rows": records.quarantined_rows,
                                    "keys_used": len(keys_used)})
    return records


def _collect(con: duckdb.DuckDBPyConnection, pseudonyms: list[str], records: SubjectRecords) -> None:
    records.cases = _case_rows(con, pseudonyms)
    keys = _keys(records.cases)
    cur = con.execute(
        "SELECT DISTINCT i.sample_id, sa.processor, sa.period, i.case_id FROM sample_items i JOIN samples sa "
        "USING (sample_id) WHERE list_contains($k, sa.processor || chr(31) || i.case_id) ORDER BY 1, 4", {"k": keys})
    records.samples = [dict(zip(("sample_id", "processor", "period", "case_id"), r, strict=True))
                       for r in cur.fetchall()]
    cur = con.execute(
        "SELECT DISTINCT f.finding_id, f.processor, f.period, f.status, fc.case_id FROM finding_cases fc "
        "JOIN findings f USING (finding_id) WHERE list_contains($k, f.processor || chr(31) || fc.case_id) "
        "ORDER BY 1, 5", {"k": keys})
    records.findings = [dict(zip(("finding_id", "processor", "period", "status", "case_id"), r, strict=True))
                        for r in cur.fetchall()]
    records.quarantined_rows = con.execute(
        f"SELECT count(*) FROM quarantine q WHERE {_quarantine_filter(pseudonyms)}").fetchall()[0][0]


# --- erase ------------------------------------------------------------------------------------------------------------
def erase_subject(con: duckdb.DuckDBPyConnection, user: User, key_path: Path, reference: str) -> Erasure:
    """Remove the person's case rows, the exceptions of those cases and the quarantined rows with their pseudonym,
    where no legal hold keeps the month (GDPR Art. 17, 17(3)(e)); one transaction, audited with counts only.

    The caller compacts the database file afterwards (store/compact.py): deleted rows linger in free blocks.
    """
    role = require(user, ERASE)
    pseudonyms, _ = _pseudonyms(con, key_path, reference)
    result = Erasure()
    with transaction(con):
        cases = _case_rows(con, pseudonyms) if pseudonyms else []
        months = {(str(c["processor"]), str(c["period"])) for c in cases}
        kept = {m for m in months if held(con, *m)}
        result.held = sorted(f"{p} {m}" for p, m in kept)
        erased = [c for c in cases if (str(c["processor"]), str(c["period"])) not in kept]
        result.cases_held = len(cases) - len(erased)
        # A case id stays with its exceptions while a held month still lists it.
        keys = sorted(set(_keys(erased)) - set(_keys([c for c in cases if c not in erased])))
        rows = [[int(c["submission_id"]), int(c["source_row"])] for c in erased]
        per_run = dict(con.execute(
            "SELECT run_id, count(*) FROM exceptions WHERE list_contains($k, processor || chr(31) || case_id) "
            "GROUP BY run_id ORDER BY 1", {"k": keys}).fetchall()) if keys else {}
        runs = sorted(per_run)
        result.exceptions_removed = sum(per_run.values())
        if keys:
            con.execute("DELETE FROM exceptions WHERE list_contains($k, processor || chr(31) || case_id)", {"k": keys})
        if rows:
            con.execute("DELETE FROM cases WHERE list_contains($r, [submission_id, source_row])", {"r": rows})
        held_submissions = [int(c["submission_id"]) for c in cases if c not in erased]
        quarantine = con.execute(
            f"SELECT q.submission_id, q.source_row, q.part FROM quarantine q WHERE {_quarantine_filter(pseudonyms)} "
            "AND NOT list_contains($held, q.submission_id)", {"held": held_submissions}).fetchall() \
            if pseudonyms else []
        for submission_id, source_row, part in quarantine:
            con.execute("DELETE FROM quarantine WHERE submission_id = ? AND source_row = ? AND part = ?",
                        [submission_id, source_row, part])
        if pseudonyms and not result.cases_held:
            # The key ring's records of the person's pseudonyms and links go with them (nothing held needs them).
            con.execute("DELETE FROM pseudonym_links WHERE list_contains($p, old_pseudonym) "
                        "OR list_contains($p, new_pseudonym)", {"p": pseudonyms})
            con.execute("DELETE FROM pseudonyms WHERE list_contains($p, pseudonym)", {"p": pseudonyms})
        _erase_files(con, reference, pseudonyms, erased, result)
        result.cases_removed = len(erased)
        result.quarantined_removed = len(quarantine)
        result.submissions = sorted({int(c["submission_id"]) for c in erased} | {int(q[0]) for q in quarantine})
        result.check_runs = runs
        # Each changed submission and check run: an event with counts only, carrying the object's new digest.
        for submission_id in result.submissions:
            audit.append_event(con, user=user.name, role=role, action="subject.erased",
                               obj=f"submission:{submission_id}", details={
                                   "cases_removed": sum(1 for c in erased if c["submission_id"] == submission_id),
                                   "quarantined_removed": sum(1 for q in quarantine if q[0] == submission_id)})
        for run_id in runs:
            audit.append_event(con, user=user.name, role=role, action="subject.erased", obj=f"check_run:{run_id}",
                               details={"exceptions_removed": per_run[run_id]})
        audit.append_event(con, user=user.name, role=role, action="subject.erased", obj="data_subject",
                           details={"cases_removed": result.cases_removed, "cases_held": result.cases_held,
                                    "exceptions_removed": result.exceptions_removed,
                                    "quarantined_removed": result.quarantined_removed,
                                    "submissions": len(result.submissions), "check_runs": len(runs),
                                    "held_months": len(kept), "files_removed": result.files_removed,
                                    "pending_rejected": result.pending_rejected})
    return result


def _spellings(reference: str) -> list[bytes]:
    """The raw reference as a stored report or case file may hold it (the encodings the readers accept)."""
    found: list[bytes] = []
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "cp1252"):
        try:
            spelled = reference.strip().encode(encoding)
        except UnicodeEncodeError:
            continue
        if spelled not in found:
            found.append(spelled)
    return found


def _erase_files(con: duckdb.DuckDBPyConnection, reference: str, pseudonyms: list[str],
                 erased: list[dict[str, object]], result: Erasure) -> None:
    """Stored files are the person's data too (GDPR Art. 17): the evidence sent for an erased case, and any stored
    file whose bytes hold the raw reference (an upload waiting for confirmation is a whole report file; an
    attachment or a case file may quote it). Those files are removed with the rows that point at them; an upload
    still waiting is rejected with the reason. The pseudonyms in a waiting upload's diff are blanked too.
    (A compressed file, e.g. a PDF's deflated text, can hold it unseen: the evidence of an erased case goes by its
    case id whatever its bytes hold.)"""
    spellings = _spellings(reference)
    hits = {str(sha) for sha, data in con.execute("SELECT sha256, bytes FROM blobs").fetchall()
            if any(s in bytes(data) for s in spellings)}
    erased_cases = sorted({(str(c["processor"]), str(c["case_id"])) for c in erased})
    if erased_cases:
        hits |= {str(r[0]) for r in con.execute(
            "SELECT f.sha256 FROM evidence_files f JOIN evidence_requests r USING (request_id) "
            "WHERE list_contains($cases, [r.processor, f.case_id])", {"cases": [list(c) for c in erased_cases]}
        ).fetchall()}
    if pseudonyms:
        for (pending_id,) in con.execute(
                "SELECT pending_id FROM pending_submissions WHERE "
                + " OR ".join("contains(CAST(diff_summary AS VARCHAR), ?)" for _ in pseudonyms),
                pseudonyms).fetchall():
            text = con.execute("SELECT CAST(diff_summary AS VARCHAR) FROM pending_submissions WHERE pending_id = ?",
                               [pending_id]).fetchall()[0][0]
            for pseudonym in pseudonyms:
                text = text.replace(pseudonym, "erased")
            con.execute("UPDATE pending_submissions SET diff_summary = ? WHERE pending_id = ?", [text, pending_id])
    if not hits:
        return
    chosen = sorted(hits)
    [(rejected,)] = con.execute(
        "UPDATE pending_submissions SET status = 'rejected', decided_at = now()::TIMESTAMP, decided_by = 'erasure', "
        "reason = 'The file held a data subject''s reference that was erased (GDPR Art. 17); send the report "
        "again without it.' WHERE status = 'pending' AND list_contains($s, sha256)", {"s": chosen}).fetchall()
    result.pending_rejected = int(rejected)
    con.execute("DELETE FROM evidence_files WHERE list_contains($s, sha256)", {"s": chosen})
    for response_id, attachments, names in con.execute(
            "SELECT response_id, attachments, attachment_names FROM finding_responses "
            "WHERE len(list_intersect(attachments, $s)) > 0", {"s": chosen}).fetchall():
        kept = [(a, n) for a, n in zip(attachments, names, strict=True) if a not in hits]
        con.execute("UPDATE finding_responses SET attachments = ?, attachment_names = ? WHERE response_id = ?",
                    [[a for a, _ in kept], [n for _, n in kept], response_id])
    [(removed,)] = con.execute("DELETE FROM blobs WHERE list_contains($s, sha256)", {"s": chosen}).fetchall()
    result.files_removed = int(removed)
