"""The whole record of one case: `oversight case show` and the Case page both read `case_record`.

Issue 12, Names and decisions: `{"case_id", "processor", "versions": [...], "deadlines": {...}, "exceptions": [...],
"reviews": [...], "findings": [...]}`, each version flat (`submission_id`, `period`, `submitted_on` and the case's
fields at the same level). `events` adds the audit events that concern the case: its submissions, its reviews and
its findings.
"""

from __future__ import annotations

import json

import duckdb

from casefile.deadlines import explain
from casefile.errors import CaseNotFound
from casefile.versions import versions
from checks.calendar import WorkingCalendar
from checks.contract import profile_for_processor
from store.db import rows


def case_record(con: duckdb.DuckDBPyConnection, processor: str, case_id: str,
                controller_country: str | None = None) -> dict[str, object]:
    """Everything known about one case of one processor; CaseNotFound when no report lists it.

    Its deadlines count the holidays the check runs count: `controller_country`'s (the configuration's
    ``[controller] country``) unless the profile overrides it (docs/deadlines.md, "Whose holidays")."""
    listed = versions(con, processor, case_id)
    if not listed:
        raise CaseNotFound(f"No report of {processor} lists case {case_id}. Check the case id and the processor "
                           "(`oversight cases --processor NAME` lists the current cases).")
    current = next((v for v in reversed(listed) if v["status"] == "current"), listed[-1])
    profile = profile_for_processor(con, processor)
    deadlines = explain(current, WorkingCalendar.from_spec(profile.statutory_spec(controller_country)[0]),
                        id_request_within_days=profile.parameters.id_request_within_days,
                        extension_requires_reason=bool(getattr(profile.parameters, "extension_requires_reason",
                                                               False)))
    deadlines["profile"] = profile.name
    deadlines["from_submission_id"] = current["submission_id"]
    return {"case_id": case_id, "processor": processor, "versions": listed, "deadlines": deadlines,
            "exceptions": exceptions(con, processor, case_id), "reviews": reviews(con, processor, case_id),
            "findings": findings(con, processor, case_id),
            "events": events(con, processor, case_id, [int(v["submission_id"]) for v in listed])}  # type: ignore[call-overload]


def exceptions(con: duckdb.DuckDBPyConnection, processor: str, case_id: str) -> list[dict[str, object]]:
    """The exceptions the case raised in each check run, oldest run first."""
    found = rows(con, """SELECT e.run_id, r.started_at AS run_at, e.period, e.check_id, e.severity, e.clause,
                                CAST(e.details AS VARCHAR) AS details
                         FROM exceptions e JOIN check_runs r USING (run_id)
                         WHERE e.processor = ? AND e.case_id = ? ORDER BY e.run_id, e.period, e.check_id""",
                 [processor, case_id])
    for e in found:
        e["details"] = json.loads(str(e["details"]))
    return found


def reviews(con: duckdb.DuckDBPyConnection, processor: str, case_id: str) -> list[dict[str, object]]:
    """Every review answer given on the case in a sample, oldest first; `current` marks each item's newest."""
    return rows(con, """SELECT r.sample_id, r.item_id, r.answer, r.comment, r.reviewer, r.reviewed_at,
                               r.rubric_version,
                               row_number() OVER (PARTITION BY r.sample_id, r.item_id ORDER BY r.review_id DESC) = 1
                                 AS current
                        FROM reviews r JOIN samples s USING (sample_id)
                        WHERE s.processor = ? AND r.case_id = ? ORDER BY r.review_id""", [processor, case_id])


def findings(con: duckdb.DuckDBPyConnection, processor: str, case_id: str) -> list[dict[str, object]]:
    """The findings the case belongs to, with the evidence it adds to each."""
    found = rows(con, """SELECT f.finding_id, f.period, f.clause, f.title, f.severity, f.status, f.source,
                                f.due_on, CAST(c.evidence AS VARCHAR) AS evidence
                         FROM finding_cases c JOIN findings f USING (finding_id)
                         WHERE f.processor = ? AND c.case_id = ? ORDER BY f.finding_id""", [processor, case_id])
    for f in found:
        f["evidence"] = json.loads(str(f["evidence"]))
    return found


def events(con: duckdb.DuckDBPyConnection, processor: str, case_id: str,
           submission_ids: list[int]) -> list[dict[str, object]]:
    """The audit events about the case: its submissions' ingest, its reviews, its findings (no other case's)."""
    found = rows(con, """SELECT seq, occurred_at, user_name, role, action, object, CAST(details AS VARCHAR) AS details
                         FROM audit_events
                         WHERE object IN (SELECT 'submission:' || unnest(?::INTEGER[]))
                            OR (starts_with(object, 'sample:') AND json_extract_string(details, '$.case_id') = ?
                                AND split_part(object, ':', 2) IN (SELECT sample_id FROM samples WHERE processor = ?))
                            OR object IN (SELECT 'finding:' || c.finding_id FROM finding_cases c
                                          JOIN findings f USING (finding_id) WHERE f.processor = ? AND c.case_id = ?)
                         ORDER BY seq""", [submission_ids, case_id, processor, processor, case_id])
    for e in found:
        e["details"] = json.loads(str(e["details"]))
    return found
