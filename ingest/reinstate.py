"""Making an earlier submission the current report again (issue 12 §1): audited, with the reason.

A resubmission supersedes the report of its processor and month; when it was the wrong file, re-uploading the good
one is recognised as a duplicate, so the good submission is reinstated instead. The submission that was current
becomes superseded by it; both stay in the history, and the event says who, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ingest import resubmission
from ingest.errors import ReinstateRefused
from store import audit
from store.db import rows, transaction
from store.identity import User, require


@dataclass(frozen=True)
class Reinstated:
    """The submission made current, the one it replaced, and what that changed in the month's cases."""

    submission_id: int
    processor: str
    period: str
    file_name: str
    replaced: int | None
    diff: resubmission.Diff | None


def reinstate(con: duckdb.DuckDBPyConnection, submission_id: int, *, reason: str, user: User) -> Reinstated:
    """Make a superseded submission current again; the current one of its processor, month and kind is superseded."""
    role = require(user, "ingest a report")
    reason = (reason or "").strip()
    if not reason:
        raise ReinstateRefused("Say why the submission is made current again (--reason TEXT): the reason is kept in "
                               "the audit trail.")
    with transaction(con):
        found = rows(con, "SELECT s.submission_id, s.processor_id, p.name AS processor, s.period, s.kind, "
                          "s.file_name, s.status, s.rows_loaded FROM submissions s JOIN processors p "
                          "USING (processor_id) WHERE s.submission_id = ?", [submission_id])
        if not found:
            raise ReinstateRefused(f"There is no submission {submission_id}. `oversight reports` lists them.")
        target = found[0]
        where = f"{target['processor']} {target['period']}"
        if target["status"] == "current":
            raise ReinstateRefused(f"Submission {submission_id} is already the current report for {where}; nothing "
                                   "was changed.")
        if target["kind"] == "cases" and not target["rows_loaded"]:
            raise ReinstateRefused(f"Submission {submission_id} ({target['file_name']}) loaded no case: a report "
                                   "with no cases cannot be the month's report. Nothing was changed.")
        current = rows(con, "SELECT submission_id FROM submissions WHERE processor_id = ? AND period = ? "
                            "AND kind = ? AND status = 'current'",
                       [target["processor_id"], target["period"], target["kind"]])
        replaced = current[0]["submission_id"] if current else None
        diff = None
        if replaced is not None and target["kind"] == "cases":
            diff = resubmission.compare(con, replaced, resubmission.submission_cases(replaced),
                                        resubmission.submission_cases(submission_id))
        if replaced is not None:
            con.execute("UPDATE submissions SET status = 'superseded', superseded_by = ? WHERE submission_id = ?",
                        [submission_id, replaced])
        con.execute("UPDATE submissions SET status = 'current', superseded_by = NULL WHERE submission_id = ?",
                    [submission_id])
        audit.append_event(con, user=user.name, role=role, action="report.reinstated",
                           obj=f"submission:{submission_id}",
                           details={"processor": target["processor"], "period": target["period"],
                                    "file": target["file_name"], "reason": reason, "replaces": replaced,
                                    **({"added": diff.counts["added"], "removed": diff.counts["removed"],
                                        "changed": diff.counts["changed"]} if diff else {})})
    return Reinstated(submission_id, target["processor"], target["period"], target["file_name"], replaced, diff)
